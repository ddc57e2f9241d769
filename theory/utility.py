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

__all__ = ["derive_excess_risk_bound", "derive_discrete_excess_bound", "DISCRETE_FORMS", "derive_tradeoff",
           "Tradeoff", "excess_risk_bound", "discrete_excess_risk_bound", "optimal_tradeoff"]

#: Discrete-time corrections of THEORY.md §4: ``"lipschitz"`` averages iterates
#: :math:`k = 0..K-1`; ``"smooth"`` averages :math:`k = 1..K` and needs :math:`\eta\le 1/\beta_s`.
DISCRETE_FORMS = ("lipschitz", "smooth")
G_L_SYM = sp.Symbol("G_L", positive=True)          # (1/n) sum_i ||g(x_i)||: Lipschitz constant of L in W
BETA_S_SYM = sp.Symbol(r"\beta_s", positive=True)  # lambda_max(J J^T)/(4n): smoothness of the logistic L
K_STEPS = sp.Symbol("K", integer=True, positive=True)


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


@lru_cache(maxsize=None)
def derive_discrete_excess_bound(form: str = "lipschitz", noise: str = "sqrt2") -> sp.Expr:
    r"""Excess-risk bound of noisy GD with :math:`K` steps of size :math:`\eta` (:math:`T = K\eta`), in SymPy.

    Write :math:`D_k = \mathbb E\|u_k - \tilde u\|^2`, :math:`D_0 = R^2`,
    :math:`\zeta_k \sim \mathcal N(0, \eta\Sigma I_{r_S})` the noise in :math:`S`
    (:math:`\mathbb E\|\zeta_k\|^2 = \eta\Sigma r_S`, computed here with ``sympy.stats``).

    * ``"lipschitz"`` (:math:`\|\nabla\mathcal L\|\le G_L`, convexity): expanding the square,
      :math:`D_{k+1} \le D_k - 2\eta\,(\mathcal L_k - \tilde{\mathcal L}) + \eta^2 G_L^2 + \eta\Sigma r_S`;
      summed over :math:`k = 0..K-1` (telescoping by ``sympy.summation``):

      .. math:: \frac1K\sum_{k=0}^{K-1}\mathbb E\mathcal L_k - \tilde{\mathcal L}
                \le \frac{R^2}{2T} + \frac{\eta G_L^2}{2} + \frac{\Sigma r_S}{2}.

    * ``"smooth"`` (convex, :math:`\beta_s`-smooth, :math:`\eta\le 1/\beta_s`): the gradient
      step :math:`v_k` obeys :math:`\mathcal L(v_k) - \tilde{\mathcal L} \le (D_k - \|v_k-\tilde u\|^2)/(2\eta)`,
      :math:`D_{k+1} = \|v_k - \tilde u\|^2 + \eta\Sigma r_S` and
      :math:`\mathbb E\mathcal L_{k+1} \le \mathcal L(v_k) + \beta_s\eta\Sigma r_S/2`; summed over
      :math:`k = 0..K-1`:

      .. math:: \frac1K\sum_{k=1}^{K}\mathbb E\mathcal L_k - \tilde{\mathcal L}
                \le \frac{R^2}{2T} + \frac{\Sigma r_S}{2}(1 + \eta\beta_s).

    For the ``sqrt2`` convention :math:`\Sigma r_S/2 = \sigma^2 r_S` (THEORY.md §4).  Both tend to
    :func:`derive_excess_risk_bound` as :math:`\eta\to 0` at fixed :math:`T`.
    """
    from sympy.stats import E as expect, Normal

    checks.choice("form", form, DISCRETE_FORMS)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    Dk = sp.Function("D")
    Sigma = diffusion_variance(noise)
    zeta = Normal("zeta", 0, sp.sqrt(S.eta * Sigma))
    noise_sq = S.rank * sp.simplify(expect(zeta**2))          # E||zeta||^2 over r_S coordinates
    if form == "lipschitz":
        # per step: 2 eta gap_k <= D_k - D_{k+1} + eta^2 G_L^2 + E||zeta||^2
        per_step = (Dk(k) - Dk(k + 1) + S.eta**2 * G_L_SYM**2 + noise_sq) / (2 * S.eta)
    else:
        # per step: gap_{k+1} <= (D_k - (D_{k+1} - E||zeta||^2))/(2 eta) + beta_s E||zeta||^2 / 2
        per_step = (Dk(k) - (Dk(k + 1) - noise_sq)) / (2 * S.eta) + BETA_S_SYM * noise_sq / 2
    total = sp.summation(per_step, (k, 0, K_STEPS - 1))           # telescopes to D_0 - D_K + ...
    total = total.subs(Dk(K_STEPS), 0).subs(Dk(0), S.R**2)        # D_K >= 0 dropped, D_0 = R^2
    avg = sp.expand(total / K_STEPS)
    return sp.expand(avg.subs(K_STEPS, S.T / S.eta))


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


def discrete_excess_risk_bound(*, R, T, sigma, rank, lr, form: str = "lipschitz", G_L=None, beta_s=None,
                               noise: str = "sqrt2") -> float:
    r"""Evaluate :func:`derive_discrete_excess_bound` (``G_L`` for ``"lipschitz"``, ``beta_s`` for ``"smooth"``).

    ``"smooth"`` requires :math:`\eta\le 1/\beta_s`; a larger step raises ``ValueError``.
    """
    checks.choice("form", form, DISCRETE_FORMS)
    vals = [checks.positive_float("R", R, allow_zero=True), checks.positive_float("T", T),
            checks.positive_float("sigma", sigma), checks.positive_int("rank", rank),
            checks.positive_float("lr", lr)]
    if form == "lipschitz":
        extra, sym = checks.positive_float("G_L", G_L, allow_zero=True), G_L_SYM
    else:
        extra, sym = checks.positive_float("beta_s", beta_s), BETA_S_SYM
        if vals[4] * extra > 1 + 1e-12:
            raise ValueError(f"lr: the smooth form needs lr <= 1/beta_s = {1 / extra:.4g}, got {vals[4]}")
    f = compiled(derive_discrete_excess_bound(form, noise), (S.R, S.T, S.sigma, S.rank, S.eta, sym))
    return float(f(*vals, extra))


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
