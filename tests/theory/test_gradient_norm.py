"""Exact expected squared gradient norm: symbolic vs log-space, brute force, extremes."""

import math
import zlib
import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from tests.stats import assert_means_match
from tests.theory.bruteforce_numpy import per_layer_sq_norms
from theory import (SCHEME_NAMES, Network, get_scheme, gradient_norm_profile, log_expected_sq_grad_norm,
                    log_expected_sq_grad_norm_per_layer, symbolic_expected_sq_grad_norm_per_layer)
from theory.gradient_norm import derive_product_formula


@st.composite
def ragged_networks(draw):
    depth = draw(st.integers(1, 7))
    widths = tuple(draw(st.lists(st.integers(1, 300), min_size=depth + 1, max_size=depth + 1)))
    slopes = tuple(draw(st.sampled_from([0.0, 0.2, -0.5, 1.0])) for _ in range(depth - 1))
    return Network(widths=widths, slopes=slopes)


betas_st = st.floats(1e-4, 10.0, allow_nan=False)


@given(net=ragged_networks(), data=st.data(), r=st.floats(0.01, 5.0))
def test_symbolic_equals_log_space(net, data, r):
    """Exact rational arithmetic (SymPy) vs the float64 log-space evaluator."""
    scheme = data.draw(st.one_of(st.sampled_from(SCHEME_NAMES),
                                 st.lists(betas_st, min_size=net.depth, max_size=net.depth)))
    exact = symbolic_expected_sq_grad_norm_per_layer(net, scheme, x_norm=sp.Rational(r))
    logs = log_expected_sq_grad_norm_per_layer(net, scheme, x_norm=r)
    for e, lg in zip(exact, logs):
        assert math.isclose(float(sp.log(e).evalf(30)), lg, rel_tol=1e-12, abs_tol=1e-11)
    total = sp.log(sum(exact)).evalf(30)
    assert math.isclose(float(total), log_expected_sq_grad_norm(net, scheme, x_norm=r),
                        rel_tol=1e-12, abs_tol=1e-11)


@pytest.mark.parametrize("depth", range(1, 7))
def test_recursion_derivation_equals_product_formula(depth):
    recursion, formula = derive_product_formula(depth)
    assert all(sp.simplify(a - b) == 0 for a, b in zip(recursion, formula))


@pytest.mark.parametrize("scheme", SCHEME_NAMES)
@pytest.mark.parametrize("depth,width", [(10_000, 1_000_000), (10_000, 2), (1, 1_000_000), (3, 1)])
def test_extreme_sizes_stay_finite(scheme, depth, width):
    net = Network.uniform(depth=depth, width=width, input_dim=64, output_dim=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prof = gradient_norm_profile(net, scheme)
        per_layer = prof.per_layer
        total = prof.total
    assert np.all(np.isfinite(prof.log_per_layer)) and math.isfinite(prof.log_total)
    assert all(v is None or math.isfinite(v) for v in per_layer)
    assert total is None or math.isfinite(total)
    assert math.isclose(float(np.sum(prof.shares)), 1.0, rel_tol=1e-9)


def test_overflow_reports_none_not_inf():
    net = Network.uniform(depth=2000, width=10, input_dim=1)
    prof = gradient_norm_profile(net, [100.0] * 2000)
    assert prof.total is None and math.isfinite(prof.log_total)


# Brute force at tiny width.  Each case: 1M weight draws, per-layer and total
# means z-tested at family-wise false-failure rate 1e-4; assert_means_match also
# checks that a 2% error in the formula would be caught (power >= 95%).
CASES = [
    ("relu lecun", (3, 5, 4, 1), "lecun", 0.0, 1),
    ("relu he ragged", (4, 6, 3, 5, 1), "he", 0.0, 1),
    ("relu xavier", (2, 5, 5, 1), "xavier", 0.0, 1),
    ("relu ntk", (3, 4, 6, 1), "ntk", 0.0, 1),
    ("leaky 0.2 he", (3, 5, 5, 1), "he", 0.2, 1),
    ("leaky -0.5 lecun", (3, 4, 5, 1), "lecun", -0.5, 1),
    ("vector output o=3", (3, 5, 4, 3), "xavier", 0.0, 3),
    ("partially linear", (3, 6, 6, 2), "he", "mixed", 2),
]


@pytest.mark.parametrize("name,widths,scheme,slope,o", CASES, ids=[c[0] for c in CASES])
def test_bruteforce_monte_carlo_matches(name, widths, scheme, slope, o):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    if slope == "mixed":  # half the units of each hidden layer identity, half ReLU, one leaky
        slopes = tuple(tuple([1.0] * (w // 2) + [0.0] * (w - w // 2 - 1) + [0.3]) for w in widths[1:-1])
    else:
        slopes = tuple(slope for _ in widths[1:-1])
    net = Network(widths=widths, slopes=slopes)
    betas = get_scheme(scheme).variances(net)
    x = rng.standard_normal(widths[0])
    x *= 0.8 / np.linalg.norm(x)
    samples = per_layer_sq_norms(widths, betas, [net.slope_vector(i) for i in range(1, net.depth)],
                                 x, 1_000_000, rng)
    theory_per_layer = np.exp(log_expected_sq_grad_norm_per_layer(net, scheme, x_norm=0.8))
    both = np.column_stack([samples, samples.sum(axis=1)])
    expected = np.append(theory_per_layer, theory_per_layer.sum())
    assert_means_match(both, expected, what=name)


def test_bad_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="width"):
        Network.uniform(depth=3, width=0, input_dim=2)
    with pytest.raises(ValueError, match="depth"):
        Network.uniform(depth=0, width=3, input_dim=2)
    with pytest.raises(ValueError, match="input_dim"):
        Network(widths=(0, 3, 1))
    with pytest.raises(ValueError, match="init"):
        gradient_norm_profile(Network.uniform(depth=2, width=3, input_dim=2), "kaiming2")
    with pytest.raises(ValueError, match="beta"):
        gradient_norm_profile(Network.uniform(depth=2, width=3, input_dim=2), [1.0, -1.0])
    with pytest.raises(ValueError, match="beta"):
        gradient_norm_profile(Network.uniform(depth=2, width=3, input_dim=2), [1.0, float("nan")])
    with pytest.raises(ValueError, match="beta"):
        gradient_norm_profile(Network.uniform(depth=2, width=3, input_dim=2), [1.0])
    with pytest.raises(ValueError, match="x_norm"):
        gradient_norm_profile(Network.uniform(depth=2, width=3, input_dim=2), "he", x_norm=0.0)
    with pytest.raises(ValueError, match="slope"):
        Network.uniform(depth=2, width=3, input_dim=2, slope=float("inf"))
    with pytest.raises(ValueError, match="slopes"):
        Network(widths=(2, 3, 1), slopes=((0.0, 1.0),))
