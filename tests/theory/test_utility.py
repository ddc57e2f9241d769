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
