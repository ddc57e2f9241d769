r"""Utility of noisy GD on the linearised network: excess empirical risk against a computed comparator.

THEORY.md §4.  For the linearised network the empirical loss depends on
:math:`W - W_0` only through its component in :math:`S = \mathrm{span}\{g_i\}`,
:math:`g_i = \nabla_W f(x_i; W_0)` over the training set.  With the Gram matrix
:math:`K = V\Lambda V^\top` (:mod:`numerics.gram`, no per-example gradient is formed)
and :math:`B = \Lambda_+^{1/2}V_+^\top` (:math:`r_S\times n`, :math:`B^\top B = K`),
the coordinates :math:`c\in\mathbb R^{r_S}` of that component give
:math:`f_{\rm lin}(x_i) = f_i^0 + (B^\top c)_i` and noisy GD becomes, exactly in law,

.. math:: c_{k+1} = c_k - \frac{\eta}{n}B\,\ell'(f^0 + B^\top c_k, y) + \sqrt{\eta\Sigma}\,\xi_k,
          \qquad \xi_k\sim\mathcal N(0, I_{r_S}),

because the orthogonal projection of isotropic Gaussian noise onto :math:`S` is isotropic in
any orthonormal basis of :math:`S`.  ``tests/numerics/test_utility.py`` checks this reduction
against full-parameter noisy GD (:func:`numerics.noisy_gd.train`).

Measured constants: :math:`r_S = \mathrm{rank}\,K`, :math:`G_L = \frac1n\sum_i\sqrt{K_{ii}}`,
:math:`\beta_s = \lambda_{\max}(K)/(4n)`, and the comparator
:math:`\tilde c_\lambda = \arg\min_c \mathcal L(c) + \frac\lambda2\|c\|^2` (ridge-regularised
logistic regression in :math:`S`, solved by damped Newton's method), :math:`R = \|\tilde c\|`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.special import expit

from numerics.blas import single_blas_thread
from numerics.bruteforce import draw_weights
from numerics.data import Dataset
from numerics.gram import gram_from_factors, layer_factors
from numerics.noisy_gd import loss_and_derivative, predict_batch
from numerics.spec import array_spec
from theory import Network
from theory.checks import choice, positive_float, positive_int
from theory.privacy import NOISE_CONVENTIONS, step_noise_variance

__all__ = ["SpanProblem", "span_problem", "linearized_problem", "span_loss_and_gradient", "Comparator",
           "ridge_comparator", "RidgePath", "min_norm_comparator", "UtilityRuns", "simulate"]


@dataclass(frozen=True)
class SpanProblem:
    """Logistic loss of the linearised network, in coordinates of the gradient span :math:`S`."""

    B: np.ndarray      # (r_S, n), B^T B = K
    f0: np.ndarray     # (n,) f(x_i; W_0)
    y: np.ndarray      # (n,) labels in {-1, +1}
    G_L: float         # (1/n) sum_i ||g_i||
    beta_s: float      # lambda_max(K) / (4n)

    @property
    def rank(self) -> int:
        return self.B.shape[0]

    @property
    def n(self) -> int:
        return self.B.shape[1]

    def loss(self, c) -> np.ndarray:
        """:math:`\\mathcal L(c)` for one ``c`` (r_S,) or a batch (R, r_S)."""
        f = self.f0 + np.asarray(c) @ self.B
        return np.mean(np.logaddexp(0.0, -self.y * f), axis=-1)


@single_blas_thread
def span_problem(K, f0, y, *, rel_tol: float = 1e-10) -> SpanProblem:
    """Reduce to :math:`S` from the training Gram matrix ``K`` (n, n), outputs ``f0`` and labels ``y``.

    Eigenvalues below ``rel_tol`` times the largest are treated as zero (numerical rank).
    """
    K = np.asarray(K, dtype=np.float64)
    f0, y = np.asarray(f0, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = K.shape[0]
    if K.shape != (n, n) or f0.shape != (n,) or y.shape != (n,):
        raise ValueError("K: need an (n, n) Gram matrix with n outputs and n labels")
    if n < 2:
        raise ValueError("n: need at least 2 training examples")
    if not (np.all(np.isfinite(K)) and np.all(np.isfinite(f0))):
        raise ValueError("K: Gram matrix and outputs must be finite")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError("y: labels must be -1 or +1")
    lam, V = np.linalg.eigh(0.5 * (K + K.T))
    if lam[-1] <= 0:
        raise ValueError("K: Gram matrix is zero (no gradient signal)")
    keep = lam > rel_tol * lam[-1]
    B = np.sqrt(lam[keep])[:, None] * V[:, keep].T
    return SpanProblem(B, f0, y, float(np.mean(np.sqrt(np.clip(np.diag(K), 0, None)))), float(lam[-1] / (4 * n)))


def linearized_problem(network: Network, scheme: str, data: Dataset, *, key) -> SpanProblem:
    """Draw :math:`W_0` with ``key`` and reduce the linearised logistic problem on ``data`` to :math:`S`."""
    if data.input_dim != network.input_dim:
        raise ValueError(f"input_dim: network expects {network.input_dim}, data has {data.input_dim}")
    if network.output_dim != 1:
        raise ValueError("output_dim: utility supports one output (o = 1)")
    spec = array_spec(network, scheme)
    slopes = [jnp.asarray(s) for s in spec.slopes]
    W0 = draw_weights(spec, key=key)
    X = jnp.asarray(data.x_train)
    K = gram_from_factors(layer_factors(W0, X, slopes))
    return span_problem(np.asarray(K), np.asarray(predict_batch(W0, X, slopes)), data.y_train)


def span_loss_and_gradient(Bm, f0, y, c):
    r""":math:`\mathcal L(c)` and :math:`\nabla_c\mathcal L(c) = \frac1n B\,\ell'(f^0 + B^\top c, y)`
    (logistic loss, JAX), from one forward pass.

    The gradient of the linearised loss in :math:`S`-coordinates: with :math:`Q` an orthonormal
    basis of :math:`S` (rows), :math:`Q\nabla_W\mathcal L(W_0 + Q^\top c) = \frac1n B\ell'`.
    """
    l, a = loss_and_derivative(f0 + c @ Bm, y, "logistic")
    return jnp.mean(l), Bm @ a / Bm.shape[1]


@dataclass(frozen=True)
class Comparator:
    c: np.ndarray
    loss: float     # L(W_0 + u~)
    R: float        # ||u~||
    lam: float | None   # ridge parameter; None for c = 0 (no regularised problem solved)


@single_blas_thread
def ridge_comparator(problem: SpanProblem, lam: float, *, start=None) -> Comparator:
    r""":math:`\tilde c = \arg\min_c \mathcal L(c) + \frac\lambda2\|c\|^2` (strictly convex; damped Newton, exact Hessian).

    THEORY.md §4 uses :math:`\lambda = 1/T`: then :math:`\tilde c` minimises the right-hand
    side :math:`\mathcal L(\tilde c) + R^2/(2T)` of the continuous bound.  ``start``: Newton's
    starting point (default 0); the minimiser is unique, so it changes only the work done.
    """
    lam = positive_float("lam", lam)
    Bm, f0, y, n = problem.B, problem.f0, problem.y, problem.n

    def fun(c):
        return problem.loss(c) + 0.5 * lam * c @ c

    def grad_hess(c):
        f = f0 + c @ Bm
        s = expit(-y * f)                           # |l'|; the loss' second derivative is s(1 - s)
        g = Bm @ (-y * s) / n + lam * c
        return g, (Bm * (s * (1 - s))) @ Bm.T / n + lam * np.eye(problem.rank)

    c = np.zeros(problem.rank) if start is None else np.array(start, dtype=np.float64)
    last = np.inf
    for _ in range(200):                            # damped Newton with Armijo backtracking
        g, H = grad_hess(c)
        step = -cho_solve(cho_factor(H), g)         # H is positive definite (lam > 0)
        decrement = -g @ step                       # Newton decrement squared ~ 2 (f(c) - min f)
        if decrement < 1e-10:
            # quadratic convergence: full steps until the step stops shrinking (rounding level); the
            # objective is then flat to rounding, but c, and so L(c), still gains digits
            size = float(np.linalg.norm(step))
            if size >= last or size <= 1e-15 * (1.0 + float(np.linalg.norm(c))):
                break
            c, last = c + step, size
            continue
        t, f_c = 1.0, fun(c)
        while fun(c + t * step) > f_c - 0.25 * t * decrement and t > 1e-12:
            t *= 0.5
        c = c + t * step
    else:
        raise RuntimeError(f"ridge comparator: Newton did not converge (lam={lam:g})")
    return Comparator(c, float(problem.loss(c)), float(np.linalg.norm(c)), lam)


class RidgePath:
    r"""Ridge comparators :math:`\tilde c_\lambda` of one problem, each Newton solve started from the
    solution at the nearest :math:`\log\lambda` already solved (searches along the path are cheap)."""

    def __init__(self, problem: SpanProblem):
        self.problem = problem
        self._solved: dict = {}   # log lambda -> Comparator

    def __call__(self, lam: float) -> Comparator:
        g = float(np.log(positive_float("lam", lam)))
        if g not in self._solved:
            near = min(self._solved, key=lambda h: abs(h - g), default=None)
            self._solved[g] = ridge_comparator(self.problem, lam, start=None if near is None else self._solved[near].c)
        return self._solved[g]


def min_norm_comparator(problem: SpanProblem, target_loss: float, *, path: RidgePath | None = None) -> Comparator:
    r"""The comparator of least norm with :math:`\mathcal L(\tilde u) \le` ``target_loss``.

    Along the ridge path :math:`\lambda\mapsto\tilde c_\lambda` both :math:`\mathcal L(\tilde c_\lambda)`
    and :math:`\|\tilde c_\lambda\|` are monotone, and :math:`\tilde c_\lambda` minimises
    :math:`\mathcal L` over the ball of radius :math:`\|\tilde c_\lambda\|` (Lagrange duality), so
    the least-norm comparator reaching the target is :math:`\tilde c_\lambda` with
    :math:`\mathcal L(\tilde c_\lambda) = ` target, found by root-finding in :math:`\log\lambda`.
    ``c = 0`` (:math:`R = 0`) when :math:`W_0` already meets the target.
    """
    from scipy.optimize import brentq

    target = positive_float("target_loss", target_loss)
    path = path or RidgePath(problem)
    zero = np.zeros(problem.rank)
    if problem.loss(zero) <= target:
        return Comparator(zero, float(problem.loss(zero)), 0.0, None)
    lo, hi = np.log(1e-10), np.log(1e10)   # at lambda = 1e10, c ~ 1e-10: the loss is L(0) > target
    if path(float(np.exp(lo))).loss > target:
        raise ValueError(f"target_loss: {target:g} is below what the span reaches (lambda down to 1e-10)")
    log_lam = brentq(lambda g: path(float(np.exp(g))).loss - target, lo, hi, xtol=1e-10, rtol=1e-12)
    return path(float(np.exp(log_lam)))


@dataclass(frozen=True)
class UtilityRuns:
    """Per-run losses of noisy GD in :math:`S` (R runs)."""

    losses: np.ndarray         # (R, K+1): L(c_k) for k = 0..K
    averaged_iterate: np.ndarray  # (R,): L(mean_{k<K} c_k)

    @property
    def avg_first(self) -> np.ndarray:
        """:math:`\\frac1K\\sum_{k=0}^{K-1}\\mathcal L_k` per run."""
        return self.losses[:, :-1].mean(axis=1)

    @property
    def avg_last(self) -> np.ndarray:
        """:math:`\\frac1K\\sum_{k=1}^{K}\\mathcal L_k` per run."""
        return self.losses[:, 1:].mean(axis=1)


@partial(jax.jit, static_argnames=("steps",))
def _simulate(Bm, f0, y, lr, scale, keys, *, steps):
    """Compiled once per (rank, n, runs, steps): problems of the same shape share it."""
    r = Bm.shape[0]

    def loss(c):
        return span_loss_and_gradient(Bm, f0, y, c)[0]

    def one(k):
        def step(carry, kk):
            c, csum = carry
            l_c, g = span_loss_and_gradient(Bm, f0, y, c)
            c_new = c - lr * g + scale * jax.random.normal(kk, (r,), dtype=jnp.float64)
            return (c_new, csum + c), l_c

        (cK, csum), losses = jax.lax.scan(step, (jnp.zeros(r), jnp.zeros(r)), jax.random.split(k, steps))
        return jnp.append(losses, loss(cK)), loss(csum / steps)

    return jax.vmap(one)(keys)


def simulate(problem: SpanProblem, *, lr: float, sigma: float, steps: int, runs: int, key,
             noise: str = "sqrt2") -> UtilityRuns:
    """Noisy GD from :math:`c_0 = 0` (i.e. :math:`W_0`), ``runs`` independent runs vectorised, float64."""
    lr, sigma = positive_float("lr", lr), positive_float("sigma", sigma)
    steps, runs = positive_int("steps", steps), positive_int("runs", runs)
    choice("noise", noise, NOISE_CONVENTIONS)
    scale = np.sqrt(step_noise_variance(lr=lr, sigma=sigma, noise=noise))
    Bm, f0, y = (jnp.asarray(a, dtype=jnp.float64) for a in (problem.B, problem.f0, problem.y))
    losses, avg_it = _simulate(Bm, f0, y, jnp.float64(lr), jnp.float64(scale), jax.random.split(key, runs),
                               steps=steps)
    losses, avg_it = np.asarray(losses), np.asarray(avg_it)
    if not (np.all(np.isfinite(losses)) and np.all(np.isfinite(avg_it))):
        raise ValueError("lr: utility simulation produced non-finite losses; lower lr")
    return UtilityRuns(losses, avg_it)
