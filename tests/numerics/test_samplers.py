"""Fast exact samplers against brute force (KS) and against the closed form (z-test).

False-failure rates: every KS family below is Bonferroni-split at 1e-4 in total;
every z-test family at 1e-4 in total (tests/stats.py).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from numerics import matrixfree
from numerics.sampling import draw
from numerics.spec import array_spec
from tests.stats import assert_means_match, assert_same_distribution
from tests.theory.bruteforce_numpy import per_layer_sq_norms
from theory import Network, get_scheme

N_KS = 20_000

KS_CASES = {
    "relu": (Network(widths=(5, 6, 4, 7, 1)), "he", ("matrixfree", "scalar")),
    "leaky": (Network(widths=(4, 6, 6, 1), slopes=0.2), "lecun", ("matrixfree",)),
    "leaky_negative": (Network(widths=(4, 5, 5, 2), slopes=-0.5), "xavier", ("matrixfree",)),
    "partial_linear": (Network(widths=(4, 6, 6, 1), slopes=((1.0, 1.0, 1.0, 0.0, 0.0, 0.0), 0.0)),
                       "he", ("matrixfree",)),
    "vector_output": (Network(widths=(4, 5, 5, 5, 3)), "ntk", ("matrixfree",)),
    "dead_layers_width1": (Network(widths=(3, 1, 1, 1)), "he", ("matrixfree", "scalar")),
    "uniform_scan": (Network(widths=(3, 4, 4, 4, 4, 2)), "he", ("matrixfree",)),
}


def _ks_family(a, b, what):
    L = a.shape[1]
    comps = L + 1
    for l in range(L):
        assert_same_distribution(a[:, l], b[:, l], comparisons=comps, what=f"{what} layer {l + 1}")
    assert_same_distribution(a.sum(1), b.sum(1), comparisons=comps, what=f"{what} total")


@pytest.mark.parametrize("case", list(KS_CASES))
def test_fast_samplers_match_bruteforce_in_distribution(case):
    net, scheme, methods = KS_CASES[case]
    spec = array_spec(net, scheme, x_norm=0.9)
    ref = draw(spec, N_KS, key=jax.random.key(101), method="bruteforce")
    for method in methods:
        fast = draw(spec, N_KS, key=jax.random.key(202), method=method)
        _ks_family(fast, ref, f"{case}/{method}")


def _wrong_per_output_sample(spec, *, key):
    """The WRONG o > 1 sampler of THEORY.md §2: an independent z per output column."""
    orig = matrixfree.conditional_transpose

    def per_column(h, g, delta, beta, *, key):
        cols = [orig(h, g, delta[:, [k]], beta, key=jax.random.fold_in(key, k))
                for k in range(delta.shape[1])]
        return jnp.concatenate(cols, axis=1)

    matrixfree.conditional_transpose = per_column
    try:
        return matrixfree._sample_loop(spec, key)
    finally:
        matrixfree.conditional_transpose = orig


def test_wrong_per_output_draw_is_caught_at_this_sample_size():
    """Power check: the per-output draw gets means right, distribution wrong; KS at N_KS rejects it."""
    net = Network(widths=(4, 5, 5, 5, 3))
    spec = array_spec(net, "ntk", x_norm=0.9)
    ref = draw(spec, N_KS, key=jax.random.key(101), method="bruteforce")
    f = jax.jit(jax.vmap(lambda k: _wrong_per_output_sample(spec, key=k)))
    wrong = np.asarray(f(jax.random.split(jax.random.key(7), N_KS)))
    with pytest.raises(AssertionError):
        _ks_family(wrong, ref, "wrong per-output")


MEAN_CASES = [  # (network, scheme, method, samples)
    (Network(widths=(6, 16, 16, 1)), "lecun", "scalar", 400_000),
    (Network(widths=(6, 16, 16, 1)), "xavier", "matrixfree", 400_000),
    (Network(widths=(6, 16, 12, 2), slopes=0.3), "ntk", "matrixfree", 400_000),
    (Network(widths=(6, 16, 16, 1)), "he", "bruteforce", 400_000),
]


@pytest.mark.parametrize("net,scheme,method,samples", MEAN_CASES,
                         ids=[f"{c[2]}-{c[1]}" for c in MEAN_CASES])
def test_sampler_means_match_closed_form(net, scheme, method, samples):
    """z-test against the closed form; the closed form is computed here by exact
    rational arithmetic from the product formula, not by the sampler's code."""
    from theory import symbolic_expected_sq_grad_norm_per_layer

    spec = array_spec(net, scheme, x_norm=1.0)
    s = draw(spec, samples, key=jax.random.key(3), method=method)
    exact = np.array([float(v) for v in symbolic_expected_sq_grad_norm_per_layer(net, scheme)])
    assert_means_match(np.column_stack([s, s.sum(1)]), np.append(exact, exact.sum()),
                       what=f"{method}/{scheme}")


def test_numpy_reference_agrees_with_jax_bruteforce():
    """The independent NumPy brute force of tests/theory and numerics.bruteforce: KS."""
    net = Network(widths=(4, 5, 3, 2), slopes=0.1)
    spec = array_spec(net, "he", x_norm=1.0)
    a = draw(spec, N_KS, key=jax.random.key(5), method="bruteforce")
    x = np.zeros(4)
    x[0] = 1.0
    b = per_layer_sq_norms(net.widths, get_scheme("he").variances(net),
                           [net.slope_vector(i) for i in (1, 2)], x, N_KS, np.random.default_rng(5))
    _ks_family(a, b, "numpy vs jax brute force")


def test_same_seed_same_numbers_and_chunk_invariance():
    spec = array_spec(Network(widths=(4, 8, 8, 8, 1)), "he")
    a = draw(spec, 1000, key=jax.random.key(9), method="matrixfree")
    b = draw(spec, 1000, key=jax.random.key(9), method="matrixfree", memory_budget=300_000)
    np.testing.assert_allclose(a, b, rtol=1e-12)  # same draws; only vector-width rounding may differ


def test_matrixfree_scan_equals_loop():
    spec = array_spec(Network(widths=(4, 8, 8, 8, 8, 3), slopes=0.2), "xavier")
    k = jax.random.key(4)
    np.testing.assert_allclose(matrixfree._sample_scan(spec, k), matrixfree._sample_loop(spec, k), rtol=1e-12)


def test_matrixfree_reaches_huge_width_and_depth():
    for net in (Network.uniform(depth=4, width=2**20, input_dim=64),
                Network.uniform(depth=1000, width=64, input_dim=64)):
        s = draw(array_spec(net, "he"), 1, key=jax.random.key(0), method="matrixfree")
        assert s.shape == (1, net.depth) and np.all(np.isfinite(s))


@pytest.mark.slow
def test_matrixfree_width_2_20_depth_1000():
    net = Network.uniform(depth=1000, width=2**20, input_dim=64)
    s = draw(array_spec(net, "he"), 1, key=jax.random.key(0), method="matrixfree")
    assert np.all(np.isfinite(s))


def test_bad_inputs():
    spec = array_spec(Network(widths=(4, 8, 3)), "he")
    with pytest.raises(ValueError, match="method"):
        draw(spec, 10, key=jax.random.key(0), method="scalar")
    with pytest.raises(ValueError, match="method"):
        draw(spec, 10, key=jax.random.key(0), method="magic")
    with pytest.raises(ValueError, match="memory_budget"):
        draw(array_spec(Network.uniform(depth=3, width=4096, input_dim=4096), "he"), 10,
             key=jax.random.key(0), method="bruteforce", memory_budget=10**6)
    with pytest.raises(ValueError, match="samples"):
        draw(spec, 0, key=jax.random.key(0))


def test_scalar_sampler_compiles_once_per_depth_with_the_same_numbers():
    """Networks of one depth share a compiled scalar sampler (their numbers are traced arguments);
    it must give exactly what the per-network sampler gives for the same keys."""
    from numerics import sampling, scalar

    specs = [array_spec(Network.uniform(depth=5, width=m, input_dim=7), s, x_norm=xn)
             for m, s, xn in ((8, "lecun", 1.0), (16, "he", 0.5), (3, "xavier", 2.0))]
    before = len(sampling._COMPILED)
    key = jax.random.key(3)
    for spec in specs:
        got = draw(spec, 64, key=key, method="scalar")
        keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(64, dtype=jnp.uint32))
        want = np.asarray(jax.vmap(lambda k: scalar.sample(spec, key=k))(keys))
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert len(sampling._COMPILED) - before <= 1
