"""Utility bound and its optimised privacy-utility trade-off."""

import math

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from theory import privacy as P
from theory import symbols as S
from theory import utility as U

pos = st.floats(1e-2, 1e2)


def test_tradeoff_matches_theory_md():
    """T* = R n sqrt(eps/(2 r G^2 B)), excess* = G R sqrt(2 r B / eps)/n, typed from THEORY.md §4."""
    forms = U.derive_tradeoff("sqrt2", "replace")
    T_hand = S.R * S.n * sp.sqrt(S.eps / (2 * S.rank * S.G**2 * S.B))
    ex_hand = S.G * S.R * sp.sqrt(2 * S.rank * S.B / S.eps) / S.n
    assert sp.simplify(forms["T"] - T_hand) == 0
    assert sp.simplify(forms["excess"] - ex_hand) == 0
    assert U.derive_excess_risk_bound("sqrt2") == S.R**2 / (2 * S.T) + S.sigma**2 * S.rank


@given(eps=pos, G=pos, B=pos, R=pos, rank=st.integers(1, 100), n=st.integers(2, 10**5),
       k=st.floats(0.05, 20.0), noise=st.sampled_from(P.NOISE_CONVENTIONS),
       nb=st.sampled_from(P.NEIGHBOUR_RELATIONS))
def test_optimum_beats_any_other_time(eps, G, B, R, rank, n, k, noise, nb):
    opt = U.optimal_tradeoff(eps=eps, G=G, B=B, R=R, rank=rank, n=n, noise=noise, neighbours=nb)
    # the optimum spends exactly the budget ...
    kl = P.linearized_kl_bound(T=opt.T, G=G, B=B, sigma=opt.sigma, n=n, noise=noise, neighbours=nb)
    assert math.isclose(kl, eps, rel_tol=1e-9)
    assert math.isclose(U.excess_risk_bound(R=R, T=opt.T, sigma=opt.sigma, rank=rank, noise=noise),
                        opt.excess, rel_tol=1e-9)
    # ... and any other T on the same budget does no better
    T = opt.T * k
    sigma = opt.sigma * math.sqrt(k)  # KL bound ∝ T/σ²: same ε
    assert math.isclose(P.linearized_kl_bound(T=T, G=G, B=B, sigma=sigma, n=n, noise=noise,
                                              neighbours=nb), eps, rel_tol=1e-9)
    assert U.excess_risk_bound(R=R, T=T, sigma=sigma, rank=rank, noise=noise) >= opt.excess * (1 - 1e-12)


@given(eps=pos, G=pos, B=pos, R=pos, rank=st.integers(1, 100), n=st.integers(2, 1000))
def test_optimum_is_convention_free(eps, G, B, R, rank, n):
    a = U.optimal_tradeoff(eps=eps, G=G, B=B, R=R, rank=rank, n=n, noise="sqrt2")
    b = U.optimal_tradeoff(eps=eps, G=G, B=B, R=R, rank=rank, n=n, noise="sigma")
    assert math.isclose(a.excess, b.excess, rel_tol=1e-12) and math.isclose(a.T, b.T, rel_tol=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError, match="eps"):
        U.optimal_tradeoff(eps=0, G=1, B=1, R=1, rank=1, n=5)
    with pytest.raises(ValueError, match="rank"):
        U.excess_risk_bound(R=1, T=1, sigma=1, rank=0)
    with pytest.raises(ValueError, match="T"):
        U.excess_risk_bound(R=1, T=-1, sigma=1, rank=1)


def test_discrete_forms_match_theory_md():
    """The corrected discrete forms of THEORY.md §4, typed by hand (sqrt2 convention)."""
    lip = S.R**2 / (2 * S.T) + S.eta * U.G_L_SYM**2 / 2 + S.sigma**2 * S.rank
    smooth = S.R**2 / (2 * S.T) + S.sigma**2 * S.rank * (1 + S.eta * U.BETA_S_SYM)
    assert sp.simplify(U.derive_discrete_excess_bound("lipschitz", "sqrt2") - lip) == 0
    assert sp.simplify(U.derive_discrete_excess_bound("smooth", "sqrt2") - smooth) == 0
    # the sigma convention halves the noise term, as in the continuous form
    half = U.derive_discrete_excess_bound("smooth", "sigma") - S.R**2 / (2 * S.T)
    assert sp.simplify(half - (smooth - S.R**2 / (2 * S.T)) / 2) == 0


@pytest.mark.parametrize("form", U.DISCRETE_FORMS)
@pytest.mark.parametrize("noise", P.NOISE_CONVENTIONS)
def test_discrete_forms_tend_to_the_continuous_one(form, noise):
    assert sp.limit(U.derive_discrete_excess_bound(form, noise), S.eta, 0) == U.derive_excess_risk_bound(noise)


@given(R=pos, T=pos, sigma=pos, rank=st.integers(1, 500), lr=st.floats(1e-4, 1.0), G_L=pos,
       beta=st.floats(1e-3, 1.0))
def test_discrete_forms_dominate_the_continuous_one(R, T, sigma, rank, lr, G_L, beta):
    cont = U.excess_risk_bound(R=R, T=T, sigma=sigma, rank=rank)
    assert U.discrete_excess_risk_bound(R=R, T=T, sigma=sigma, rank=rank, lr=lr, G_L=G_L) >= cont
    assert U.discrete_excess_risk_bound(R=R, T=T, sigma=sigma, rank=rank, lr=lr, form="smooth",
                                        beta_s=beta) >= cont


def test_discrete_bad_inputs():
    with pytest.raises(ValueError, match="lr"):
        U.discrete_excess_risk_bound(R=1, T=1, sigma=1, rank=1, lr=1.0, form="smooth", beta_s=2.0)
    with pytest.raises(ValueError, match="form"):
        U.discrete_excess_risk_bound(R=1, T=1, sigma=1, rank=1, lr=0.1, form="euler", G_L=1)
    with pytest.raises(ValueError, match="G_L"):
        U.discrete_excess_risk_bound(R=1, T=1, sigma=1, rank=1, lr=0.1, G_L=float("nan"))
    with pytest.raises(ValueError, match="beta_s"):
        U.discrete_excess_risk_bound(R=1, T=1, sigma=1, rank=1, lr=0.1, form="smooth", beta_s=None)
