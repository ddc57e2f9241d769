r"""KL privacy of Langevin diffusion and noisy gradient descent (THEORY.md §3).

Conventions (every function takes them as keywords):

``noise``
    ``"sqrt2"`` (default, THEORY.md and the paper's Langevin form):
    :math:`dW_t = -\nabla\mathcal L(W_t; D)\,dt + \sqrt{2\sigma^2}\,dB_t`, discretised as
    :math:`W_{k+1} = W_k - \eta_k\nabla\mathcal L + \sqrt{2\eta_k\sigma^2}\,\xi_k`
    (diffusion variance per unit time :math:`\Sigma = 2\sigma^2`).
    ``"sigma"``: :math:`\sigma\,dB_t`, discretised with :math:`\sqrt{\eta_k}\sigma\,\xi_k`
    (:math:`\Sigma = \sigma^2`).
``neighbours``
    ``"replace"`` (default): :math:`D, D'` of size :math:`n` differ in one record.
    ``"add-remove"``: :math:`D` has :math:`n` records and :math:`D' = D \cup \{x'\}`.

Girsanov: :math:`\mathrm{KL} = \frac{1}{2\Sigma}\int_0^T \mathbb E\|\nabla\mathcal L(W_t;D) -
\nabla\mathcal L(W_t;D')\|^2 dt`, i.e. :math:`1/(4\sigma^2)` for ``sqrt2`` and
:math:`1/(2\sigma^2)` for ``sigma``; the discrete chain composes per-step Gaussian
KLs :math:`\eta_k\|\Delta_k\|^2/(2\Sigma)`.  Every constant here is derived in SymPy
(:func:`derive_step_kl`, :func:`derive_linearized_bound`) and evaluated through
that derivation.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp
from scipy.integrate import trapezoid

from theory import checks
from theory import symbols as S
from theory.lambdify import compiled

__all__ = [
    "NOISE_CONVENTIONS", "NEIGHBOUR_RELATIONS",
    "diffusion_variance", "derive_gaussian_kl", "derive_step_kl", "derive_girsanov_rate",
    "derive_linearized_bound", "derive_realised_bound",
    "step_kl", "discrete_kl", "girsanov_kl", "linearized_kl_bound", "realised_kl_bound",
    "pinsker_tv_bound", "membership_advantage_bound",
]

NOISE_CONVENTIONS = ("sqrt2", "sigma")
_MU1, _MU2 = sp.symbols("mu_1 mu_2", real=True)
_S = sp.Symbol("s", positive=True)
NEIGHBOUR_RELATIONS = ("replace", "add-remove")


def diffusion_variance(noise: str = "sqrt2") -> sp.Expr:
    r"""Noise variance per unit time :math:`\Sigma`: :math:`2\sigma^2` (``sqrt2``) or :math:`\sigma^2`."""
    checks.choice("noise", noise, NOISE_CONVENTIONS)
    return 2 * S.sigma**2 if noise == "sqrt2" else S.sigma**2


@lru_cache(maxsize=None)
def derive_gaussian_kl() -> sp.Expr:
    r"""KL between :math:`\mathcal N(\mu_1, s)` and :math:`\mathcal N(\mu_2, s)` on the real line.

    Computed by SymPy as :math:`\mathbb E_{X\sim\mathcal N(\mu_1,s)}[\log p_1(X) - \log p_2(X)]
    = (\mu_1 - \mu_2)^2/(2s)`; for isotropic Gaussians in :math:`\mathbb R^p` the
    coordinates add, giving :math:`\|\mu_1-\mu_2\|^2/(2s)`.
    """
    from sympy.stats import E, Normal

    mu1, mu2, s = _MU1, _MU2, _S
    X = Normal("X", mu1, sp.sqrt(s))

    def logpdf(y, mu):
        return -(y - mu) ** 2 / (2 * s) - sp.log(2 * sp.pi * s) / 2

    return sp.factor(sp.simplify(E(sp.expand(logpdf(X, mu1) - logpdf(X, mu2)))))


@lru_cache(maxsize=None)
def derive_step_kl(noise: str = "sqrt2") -> sp.Expr:
    r"""Per-step KL of noisy GD: :math:`\eta\|\Delta\|^2 / (2\Sigma)`.

    Both next iterates are Gaussian with covariance :math:`\eta\Sigma I` and means
    differing by :math:`\eta\Delta`; substituting into :func:`derive_gaussian_kl`.
    ``sqrt2``: :math:`\eta\|\Delta\|^2/(4\sigma^2)`; ``sigma``: :math:`\eta\|\Delta\|^2/(2\sigma^2)`.
    """
    delta = sp.Symbol("delta_c", real=True)  # one coordinate of Delta; coordinates add
    per_coord = derive_gaussian_kl().subs({_MU1: S.eta * delta, _MU2: 0, _S: S.eta * diffusion_variance(noise)})
    return sp.simplify(sp.expand(per_coord).subs(delta**2, S.delta_sq))


@lru_cache(maxsize=None)
def derive_girsanov_rate(noise: str = "sqrt2") -> sp.Expr:
    r"""KL accumulation rate :math:`\|\Delta_t\|^2/(2\Sigma)` of the continuous diffusion.

    The limit :math:`\eta\to 0` of :func:`derive_step_kl` per unit time, which is
    Girsanov's identity: :math:`\mathrm{KL} = \frac1{2\Sigma}\int_0^T\mathbb E\|\Delta_t\|^2dt`.
    """
    return sp.simplify(sp.limit(derive_step_kl(noise) / S.eta, S.eta, 0))


def _n_eff(neighbours: str):
    checks.choice("neighbours", neighbours, NEIGHBOUR_RELATIONS)
    return S.n if neighbours == "replace" else S.n + 1


@lru_cache(maxsize=None)
def derive_linearized_bound(noise: str = "sqrt2", neighbours: str = "replace") -> sp.Expr:
    r"""Linearised-network KL bound :math:`T G^2 B / (\sigma^2 n^2)` (``sqrt2``, ``replace``).

    Convex loss with :math:`|\ell'| \le G`; the gradient :math:`g(x) = \nabla_W f(x; W_0)` of
    the linearised network is constant along training.  Replace-one:
    :math:`\|\Delta\| \le \frac Gn(\|g(x)\| + \|g(x')\|)`, and
    :math:`(a+b)^2 \le 2(a^2 + b^2)`, so :math:`\mathbb E\|\Delta\|^2 \le 4G^2B/n^2` with
    :math:`B = \sup_{\|x\|\le1}\mathbb E\|g(x)\|^2`.  Add-one (:math:`|D| = n`,
    :math:`|D'| = n+1`): :math:`\Delta = \frac1{n+1}(\overline{\nabla\ell}_D - \nabla\ell(x'))`
    gives the same with :math:`n+1` in place of :math:`n`.  Times :math:`T` and the
    Girsanov rate.  THEORY.md §3.
    """
    a, b = sp.symbols("a b", nonnegative=True)
    if sp.factor(2 * (a**2 + b**2) - (a + b) ** 2) != (a - b) ** 2:  # the inequality used
        raise RuntimeError("derivation: (a+b)^2 <= 2(a^2+b^2) failed to verify")
    mean_sq_diff = 2 * (S.G / _n_eff(neighbours)) ** 2 * (S.B + S.B)
    rate = derive_girsanov_rate(noise).subs(S.delta_sq, mean_sq_diff)
    return sp.simplify(S.T * rate)


@lru_cache(maxsize=None)
def derive_realised_bound(noise: str = "sqrt2", neighbours: str = "replace") -> sp.Expr:
    r"""Per-pair bound with realised gradient norms :math:`T\,\frac{G^2}{n^2}(\|g\|+\|g'\|)^2/(2\Sigma)`."""
    ga, gb = sp.symbols("g_a g_b", nonnegative=True)
    sq = (S.G / _n_eff(neighbours)) ** 2 * (ga + gb) ** 2
    return sp.simplify(S.T * derive_girsanov_rate(noise).subs(S.delta_sq, sq))


def step_noise_variance(*, lr: float, sigma: float, noise: str = "sqrt2") -> float:
    r"""Variance per coordinate of one noisy-GD step's Gaussian noise, :math:`\eta\Sigma`.

    :math:`2\eta\sigma^2` (``sqrt2``: :math:`W \leftarrow W - \eta\nabla\mathcal L + \sqrt{2\eta\sigma^2}\,\xi`)
    or :math:`\eta\sigma^2` (``sigma``); the Euler step of the diffusion, THEORY.md §3.
    """
    lr, sigma = checks.positive_float("lr", lr), checks.positive_float("sigma", sigma)
    return float(compiled(S.eta * diffusion_variance(noise), (S.eta, S.sigma))(lr, sigma))


def step_kl(step_sizes, sq_grad_diffs, *, sigma: float, noise: str = "sqrt2") -> np.ndarray:
    r"""Per-step KLs :math:`\eta_k\|\Delta_k\|^2/(2\Sigma)` (elementwise, float64)."""
    sigma = checks.positive_float("sigma", sigma)
    eta = checks.positive_array("step_size", step_sizes)
    dsq = checks.positive_array("sq_grad_diff", sq_grad_diffs, allow_zero=True)
    if eta.shape != dsq.shape and eta.size != 1:
        raise ValueError(f"step_size: expected {dsq.size} step sizes or one, got {eta.size}")
    f = compiled(derive_step_kl(noise), (S.eta, S.delta_sq, S.sigma))
    return np.asarray(f(eta, dsq, sigma), dtype=np.float64) * np.ones_like(dsq)


def discrete_kl(step_sizes, sq_grad_diffs, *, sigma: float, noise: str = "sqrt2",
                cumulative: bool = False):
    r"""Composed KL of noisy GD, :math:`\sum_k \eta_k\|\Delta_k\|^2/(2\Sigma)`.

    KL is additive under adaptive composition (chain rule), so the trajectory KL of
    the discrete chain is the sum of per-step Gaussian KLs.  THEORY.md §3.
    ``cumulative=True`` returns the running sums.
    """
    per_step = step_kl(step_sizes, sq_grad_diffs, sigma=sigma, noise=noise)
    return np.cumsum(per_step) if cumulative else float(np.sum(per_step))


def girsanov_kl(times, sq_grad_diffs, *, sigma: float, noise: str = "sqrt2") -> float:
    r""":math:`\frac1{2\Sigma}\int_0^T \mathbb E\|\Delta_t\|^2\,dt` by the trapezoid rule on ``times``."""
    sigma = checks.positive_float("sigma", sigma)
    t = checks.positive_array("times", times, allow_zero=True)
    if np.any(np.diff(t) <= 0):
        raise ValueError("times: must be strictly increasing")
    dsq = checks.positive_array("sq_grad_diff", sq_grad_diffs, allow_zero=True)
    if dsq.shape != t.shape:
        raise ValueError("sq_grad_diff: needs one value per time")
    rate = compiled(derive_girsanov_rate(noise), (S.delta_sq, S.sigma))
    return float(trapezoid(np.asarray(rate(dsq, sigma)) * np.ones_like(dsq), t))


def _times(T) -> np.ndarray:
    T = np.asarray(T, dtype=np.float64)
    if not np.all(np.isfinite(T)) or np.any(T < 0):
        raise ValueError("T: must be finite and >= 0")
    return T


def linearized_kl_bound(*, T, G, B, sigma, n, noise: str = "sqrt2",
                        neighbours: str = "replace"):
    r"""Closed-form KL bound for the linearised network (:func:`derive_linearized_bound`).

    ``sqrt2``/``replace``: :math:`T G^2 B/(\sigma^2 n^2)`.  ``T`` may be an array.
    """
    T = _times(T)
    G = checks.positive_float("G", G)
    B = checks.positive_float("B", B)
    sigma = checks.positive_float("sigma", sigma)
    n = checks.positive_int("n", n)
    f = compiled(derive_linearized_bound(noise, neighbours), (S.T, S.G, S.B, S.sigma, S.n))
    out = np.asarray(f(T, G, B, sigma, n), dtype=np.float64) * np.ones_like(T)
    return float(out) if out.ndim == 0 else out


def realised_kl_bound(*, T, G, grad_norm_a, grad_norm_b, sigma, n, noise: str = "sqrt2",
                      neighbours: str = "replace"):
    r"""KL bound for one neighbour pair given the realised :math:`\|g(x)\|, \|g(x')\|`."""
    T = _times(T)
    G = checks.positive_float("G", G)
    sigma = checks.positive_float("sigma", sigma)
    n = checks.positive_int("n", n)
    ga = checks.positive_float("grad_norm_a", grad_norm_a, allow_zero=True)
    gb = checks.positive_float("grad_norm_b", grad_norm_b, allow_zero=True)
    ga_s, gb_s = sp.symbols("g_a g_b", nonnegative=True)
    f = compiled(derive_realised_bound(noise, neighbours), (S.T, S.G, ga_s, gb_s, S.sigma, S.n))
    out = np.asarray(f(T, G, ga, gb, sigma, n), dtype=np.float64) * np.ones_like(T)
    return float(out) if out.ndim == 0 else out


def pinsker_tv_bound(kl):
    r"""Pinsker: :math:`\mathrm{TV} \le \sqrt{\mathrm{KL}/2}` (not capped)."""
    kl = np.asarray(kl, dtype=np.float64)
    if not np.all(np.isfinite(kl)) or np.any(kl < 0):
        raise ValueError("kl: must be finite and >= 0")
    out = np.sqrt(kl / 2.0)
    return float(out) if out.ndim == 0 else out


def membership_advantage_bound(kl):
    r"""Upper bound on any membership-inference test's advantage TPR − FPR.

    The advantage is at most :math:`\mathrm{TV}`, and
    :math:`\mathrm{TV} \le \min\{1, \sqrt{\mathrm{KL}/2}, \sqrt{1 - e^{-\mathrm{KL}}}\}`
    (Pinsker; Bretagnolle–Huber, tighter for large KL).
    """
    kl = np.asarray(kl, dtype=np.float64)
    out = np.minimum(np.minimum(1.0, pinsker_tv_bound(kl)), np.sqrt(-np.expm1(-kl)))
    return float(out) if out.ndim == 0 else out
