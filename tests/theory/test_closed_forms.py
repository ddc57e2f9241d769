"""Derived per-scheme closed forms and proven depth trends."""

import math

import pytest
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st

from theory import SCHEME_NAMES, Network, depth_trend, log_expected_sq_grad_norm, uniform_closed_form
from theory import symbols as S

L, m, d, o, r = S.L, S.m, S.d, S.o, S.r

# Typed in from THEORY.md §2 (hand derivations), not from the code under test.
HAND = {
    "lecun": o * r**2 * 2 ** (-(L - 1)) * (1 + (L - 1) * m / d),
    "he": o * r**2 * (1 + (L - 1) * m / d),
}


@pytest.mark.parametrize("scheme", sorted(HAND))
def test_derived_form_equals_theory_md(scheme):
    assert sp.simplify(uniform_closed_form(scheme).expr - HAND[scheme]) == 0


sizes = dict(depth=st.integers(1, 60), width=st.integers(1, 5000), input_dim=st.integers(1, 5000),
             output_dim=st.integers(1, 20))


@given(scheme=st.sampled_from(SCHEME_NAMES), r_=st.floats(0.05, 3.0), **sizes)
def test_closed_form_equals_product_formula(scheme, r_, depth, width, input_dim, output_dim):
    """SymPy closed form (derived per scheme) vs the general log-space product formula."""
    cf = uniform_closed_form(scheme)
    exact = cf.evaluate(depth=depth, width=width, input_dim=input_dim, output_dim=output_dim,
                        x_norm=sp.Rational(r_))
    net = Network.uniform(depth=depth, width=width, input_dim=input_dim, output_dim=output_dim)
    assert math.isclose(float(sp.log(exact).evalf(30)),
                        log_expected_sq_grad_norm(net, scheme, x_norm=r_), rel_tol=1e-12, abs_tol=1e-10)


@given(scheme=st.sampled_from(SCHEME_NAMES), a=st.sampled_from([0.1, -0.5, 0.3, 1.0]),
       depth=st.integers(2, 30), width=st.integers(1, 500), input_dim=st.integers(1, 500))
def test_leaky_closed_form_equals_product_formula(scheme, a, depth, width, input_dim):
    cf = uniform_closed_form(scheme, slope=True)
    exact = cf.evaluate(depth=depth, width=width, input_dim=input_dim, slope=sp.Rational(a))
    net = Network.uniform(depth=depth, width=width, input_dim=input_dim, slope=a)
    assert math.isclose(float(sp.log(exact).evalf(30)), log_expected_sq_grad_norm(net, scheme),
                        rel_tol=1e-12, abs_tol=1e-10)


def _B(scheme, depth, width, input_dim, output_dim):
    net = Network.uniform(depth=depth, width=width, input_dim=input_dim, output_dim=output_dim)
    return log_expected_sq_grad_norm(net, scheme)


@given(scheme=st.sampled_from(SCHEME_NAMES), **sizes)
def test_region_predicts_sign_of_depth_effect(scheme, depth, width, input_dim, output_dim):
    """Where the proven region says depth helps, B(L+1) < B(L) numerically; elsewhere not."""
    diff = _B(scheme, depth + 1, width, input_dim, output_dim) - _B(scheme, depth, width, input_dim, output_dim)
    assume(abs(diff) > 1e-12)  # exact ties (on the boundary) are checked below
    helps = depth_trend(scheme).depth_helps(depth=depth, width=width, input_dim=input_dim,
                                           output_dim=output_dim)
    assert helps == (diff < 0)


@given(d_=st.integers(2, 3000))
def test_lecun_first_step_boundary(d_):
    t = depth_trend("lecun")
    # just inside (m = d - 1) depth helps; on (m = d) and just outside (m = d + 1) it does not
    assert t.depth_helps(depth=1, width=d_ - 1, input_dim=d_)
    assert _B("lecun", 2, d_ - 1, d_, 1) < _B("lecun", 1, d_ - 1, d_, 1)
    for w in (d_, d_ + 1):
        assert not t.depth_helps(depth=1, width=w, input_dim=d_)
        assert _B("lecun", 2, w, d_, 1) >= _B("lecun", 1, w, d_, 1) - 1e-14


@given(m_=st.integers(1, 200), o_=st.integers(1, 10))
def test_xavier_first_step_boundary(m_, o_):
    t = depth_trend("xavier")
    d_in, d_out = -(-m_**2 // o_) + 1, (m_**2) // o_  # m^2 < o d  vs  m^2 >= o d
    assert t.depth_helps(depth=1, width=m_, input_dim=d_in, output_dim=o_)
    assert _B("xavier", 2, m_, d_in, o_) < _B("xavier", 1, m_, d_in, o_)
    if d_out >= 1:
        assert not t.depth_helps(depth=1, width=m_, input_dim=d_out, output_dim=o_)
        assert _B("xavier", 2, m_, d_out, o_) >= _B("xavier", 1, m_, d_out, o_) - 1e-14


def test_trend_statements_match_paper():
    """LeCun and Xavier: deeper is more private (L >= 2); He and NTK: less."""
    assert depth_trend("lecun").sign_for_deep == -1
    assert depth_trend("xavier").sign_for_deep == -1
    assert depth_trend("he").sign_for_deep == 1
    assert depth_trend("ntk").sign_for_deep == 1
    assert sp.simplify(depth_trend("he").difference - o * r**2 * m / d) == 0
    assert sp.simplify(depth_trend("ntk").difference - r**2 * m / 2) == 0


def test_trend_wording_in_text_and_latex():
    le, he = depth_trend("lecun"), depth_trend("he")
    assert "decreases B at every L >= 2" in le.statement and "iff d > m" in le.statement
    assert le.latex_summary == r"$\downarrow$ for $L\geq 2$; $L{=}1\to 2$: iff $d > m$"
    assert "never decreases it" in he.statement and he.latex_summary.endswith(": never")
    assert he.latex_summary.startswith(r"$\uparrow$")


def test_limits():
    assert depth_trend("lecun").limit_depth == 0
    assert depth_trend("xavier").limit_depth == 0
    assert depth_trend("he").limit_depth == sp.oo
    assert depth_trend("ntk").limit_depth == sp.oo
    assert depth_trend("lecun").limit_width == sp.oo
    # Xavier is bounded in width: B -> o r^2 2^{3-L} (L - 1); check numerically at huge width
    lim = depth_trend("xavier").limit_width
    for depth in (2, 5, 11):
        val = float(lim.subs({L: depth, o: 2, r: 1}))
        assert math.isclose(math.exp(_B("xavier", depth, 10**12, 7, 2)), val, rel_tol=1e-9)


@given(scheme=st.sampled_from(SCHEME_NAMES), **sizes)
def test_ratio_matches_numeric_ratio(scheme, depth, width, input_dim, output_dim):
    assume(depth >= 2)
    ratio = depth_trend(scheme).ratio.subs({L: depth, m: width, d: input_dim, o: output_dim})
    num = _B(scheme, depth + 1, width, input_dim, output_dim) - _B(scheme, depth, width, input_dim, output_dim)
    assert math.isclose(math.log(float(ratio)), num, rel_tol=1e-9, abs_tol=1e-12)
