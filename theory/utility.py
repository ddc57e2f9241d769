r"""Excess empirical risk of Langevin diffusion on the linearised network (THEORY.md §4).

Convex :math:`G`-Lipschitz loss; :math:`S` is the span of the per-example gradients,
:math:`r_S = \dim S`, comparator :math:`\tilde W = W_0 + \tilde u` with
:math:`\tilde u \in S`, :math:`R = \|\tilde u\|`.  Only the component of
:math:`W - W_0` in :math:`S` moves the loss; it is an :math:`r_S`-dimensional
Langevin diffusion with noise variance :math:`\Sigma` per unit time.  Itô's formula
for :math:`\|u_t - \tilde u\|^2` and convexity give, for the time average
:math:`\bar W_T`,

.. math:: \mathbb E\,\mathcal L(\bar W_T) - \mathcal L(\tilde W) \le \frac{R^2}{2T} + \frac{\Sigma r_S}{2}

(:math:`= R^2/(2T) + \sigma^2 r_S` for the ``sqrt2`` convention).  Fixing the KL
budget :math:`\varepsilon` of :func:`theory.privacy.derive_linearized_bound` and
optimising over :math:`T` (SymPy solves it in :func:`derive_tradeoff`):
:math:`T^* = R n\sqrt{\varepsilon/(2 r_S G^2 B)}`, excess
:math:`\le G R\sqrt{2 r_S B/\varepsilon}/n` (``sqrt2``, ``replace``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from theory import checks
from theory import symbols as S
from theory.lambdify import compiled
from theory.privacy import derive_linearized_bound, diffusion_variance

__all__ = ["derive_excess_risk_bound", "derive_tradeoff", "Tradeoff",
           "excess_risk_bound", "optimal_tradeoff"]


@lru_cache(maxsize=None)
def derive_excess_risk_bound(noise: str = "sqrt2") -> sp.Expr:
    r"""Derive :math:`R^2/(2T) + \Sigma r_S/2` from Itô's formula, in SymPy.

    :math:`d\|u-\tilde u\|^2 = -2\langle u - \tilde u, \nabla\mathcal L\rangle dt
    + \Sigma r_S\,dt + dM_t` and :math:`\langle u-\tilde u,\nabla\mathcal L(u)\rangle \ge
    \mathcal L(u) - \mathcal L(\tilde u)`; integrate over :math:`[0, T]`, drop
    :math:`\|u_T - \tilde u\|^2 \ge 0`, divide by :math:`2T` (Jensen for the average).
    """
    gap = sp.Symbol("gap")  # time-integrated excess risk: integral of L(u_t) - L(u~) dt
    Sigma = diffusion_variance(noise)
    # 0 <= E||u_T - u~||^2 <= R^2 - 2 * gap + Sigma * r_S * T  ==>  gap <= ...
    gap_max = sp.solve(sp.Eq(S.R**2 - 2 * gap + Sigma * S.rank * S.T, 0), gap)[0]
    return sp.expand(gap_max / S.T)


@dataclass(frozen=True)
class Tradeoff:
    """Optimal training time, noise and excess-risk bound under a KL budget."""

    T: float
    sigma: float
    excess: float


@lru_cache(maxsize=None)
def derive_tradeoff(noise: str = "sqrt2", neighbours: str = "replace") -> dict:
    r"""Solve :math:`\min_T` excess bound subject to KL bound :math:`= \varepsilon`, in SymPy.

    Returns ``{"sigma_sq": σ²(T), "T": T*, "sigma_sq_opt": σ²*, "excess": bound*}``.
    """
    kl = derive_linearized_bound(noise, neighbours)
    s2 = sp.Symbol("s2", positive=True)
    sigma_sq = sp.solve(sp.Eq(kl.subs(S.sigma, sp.sqrt(s2)), S.eps), s2)[0]
    excess_T = derive_excess_risk_bound(noise).subs(S.sigma, sp.sqrt(sigma_sq))
    T_opt = [t for t in sp.solve(sp.diff(excess_T, S.T), S.T) if t.is_positive][0]
    second = sp.simplify(sp.diff(excess_T, S.T, 2).subs(S.T, T_opt))
    if not second.is_positive:  # a minimum, not a maximum
        raise RuntimeError("trade-off: stationary point is not a minimum")
    return {
        "sigma_sq": sp.simplify(sigma_sq),
        "T": sp.simplify(T_opt),
        "sigma_sq_opt": sp.simplify(sigma_sq.subs(S.T, T_opt)),
        "excess": sp.simplify(excess_T.subs(S.T, T_opt)),
    }


def excess_risk_bound(*, R, T, sigma, rank, noise: str = "sqrt2") -> float:
    r""":math:`R^2/(2T) + \Sigma r_S/2` (continuous Langevin diffusion, THEORY.md §4)."""
    R = checks.positive_float("R", R, allow_zero=True)
    T = checks.positive_float("T", T)
    sigma = checks.positive_float("sigma", sigma)
    rank = checks.positive_int("rank", rank)
    f = compiled(derive_excess_risk_bound(noise), (S.R, S.T, S.sigma, S.rank))
    return float(f(R, T, sigma, rank))


def optimal_tradeoff(*, eps, G, B, R, rank, n, noise: str = "sqrt2",
                     neighbours: str = "replace") -> Tradeoff:
    r"""Best excess-risk bound at KL budget ``eps``: :math:`G R\sqrt{2 r_S B/\varepsilon}/n`."""
    vals = dict(eps=checks.positive_float("eps", eps), G=checks.positive_float("G", G),
                B=checks.positive_float("B", B), R=checks.positive_float("R", R),
                rank=checks.positive_int("rank", rank), n=checks.positive_int("n", n))
    forms = derive_tradeoff(noise, neighbours)
    args = (S.eps, S.G, S.B, S.R, S.rank, S.n)
    x = tuple(vals[k] for k in ("eps", "G", "B", "R", "rank", "n"))
    return Tradeoff(
        T=float(compiled(forms["T"], args)(*x)),
        sigma=float(compiled(forms["sigma_sq_opt"], args)(*x)) ** 0.5,
        excess=float(compiled(forms["excess"], args)(*x)),
    )
