r"""Exact KL for the linearised network with squared loss (THEORY.md §3).

Given :math:`W_0`, noisy GD on :math:`\mathcal L(W) = \frac1{2n}\sum_i(f_{\rm lin}(x_i; W)-y_i)^2`
is a linear-Gaussian recursion, so every iterate is Gaussian.  Only the component
of :math:`W - W_0` in :math:`S = \mathrm{span}\{g_i\}` (the per-example gradients of
both datasets) differs between :math:`D` and :math:`D'`; with the Gram matrix
:math:`G_S = V\Lambda V^\top` the coordinates :math:`B = \Lambda^{1/2}V^\top` satisfy
:math:`B^\top B = G_S`, and in them

.. math::

    c_{k+1} = c_k - \frac{\eta}{n} B_D(B_D^\top c_k + r_D) + \sqrt{\eta\Sigma}\,\xi_k,
    \qquad c_0 = 0,

with :math:`r` the residuals at :math:`W_0`.  Means and covariances follow exactly;
the final-iterate KL is the Gaussian KL, and the trajectory KL (chain rule) is
:math:`\sum_k \eta\,\mathbb E_D\|\Delta(c_k)\|^2/(2\Sigma)` with
:math:`\Delta(c) = Mc + v` affine.  Neighbours: replace training point :math:`j` by the
held-out point :math:`z`.

Bounds compared (both via :func:`theory.privacy.realised_kl_bound`):

* pathwise: :math:`\|\Delta_k\| \le \frac1n(|R_j|\|g_j\| + |R_z|\|g_z\|)
  \le \frac1n\max(|R_j|,|R_z|)(\|g_j\|+\|g_z\|)` and
  :math:`\mathbb E\max(R_j^2, R_z^2) \le \mathbb E R_j^2 + \mathbb E R_z^2` per step;
* Lipschitz-style with the initial residual :math:`G_0 = \max(|r_j|, |r_z|)`, which
  is **not** a valid bound for the squared loss (the residual grows with noise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numerics.blas import single_blas_thread
from theory.checks import choice, positive_float, positive_int
from theory.privacy import NOISE_CONVENTIONS, realised_kl_bound, step_kl, step_noise_variance


@dataclass(frozen=True)
class ExactChain:
    final_kl: float
    trajectory_kl: float
    pathwise_bound: float
    lipschitz_initial_bound: float   # not a valid bound for squared loss: reported as a finding
    steps: int
    T: float


def gaussian_kl(mu1, cov1, mu2, cov2) -> float:
    """:math:`\\mathrm{KL}(\\mathcal N(\\mu_1,\\Sigma_1)\\,\\|\\,\\mathcal N(\\mu_2,\\Sigma_2))`."""
    k = len(mu1)
    L2 = np.linalg.cholesky(cov2)
    sol = np.linalg.solve(L2, cov1)
    tr = np.trace(np.linalg.solve(L2.T, sol))
    d = np.linalg.solve(L2, mu2 - mu1)
    logdet2 = 2 * np.sum(np.log(np.diag(L2)))
    logdet1 = 2 * np.sum(np.log(np.diag(np.linalg.cholesky(cov1))))
    return float(0.5 * (tr + d @ d - k + logdet2 - logdet1))


@single_blas_thread
def exact_chain(K, residuals, *, n: int, j: int, z: int, lr: float, sigma: float, steps: int,
                noise: str = "sqrt2", rel_tol: float = 1e-12) -> ExactChain:
    """Exact final-iterate and trajectory KL for replacing training point ``j`` by point ``z``.

    ``K``: Gram matrix at :math:`W_0` over the training points (``0..n-1``) and
    held-out candidates; ``residuals``: :math:`f(x_i; W_0) - y_i` for the same points.
    """
    K = np.asarray(K, dtype=np.float64)
    r = np.asarray(residuals, dtype=np.float64)
    n = positive_int("n", n, minimum=2)
    lr, sigma = positive_float("lr", lr), positive_float("sigma", sigma)
    steps = positive_int("steps", steps)
    choice("noise", noise, NOISE_CONVENTIONS)
    if not (0 <= j < n <= z < K.shape[0]):
        raise ValueError("pair: need a training index j < n and a held-out index z >= n")
    if not (np.all(np.isfinite(K)) and np.all(np.isfinite(r))):
        raise ValueError("K: Gram matrix and residuals must be finite")
    step_var = step_noise_variance(lr=lr, sigma=sigma, noise=noise)   # eta Sigma

    idx = list(range(n)) + [z]                     # S: D and the new point
    lam, V = np.linalg.eigh(K[np.ix_(idx, idx)])
    keep = lam > rel_tol * lam.max()
    B = (np.sqrt(lam[keep])[:, None] * V[:, keep].T)  # (k, n+1), B^T B = G_S
    D = list(range(n))
    Dp = [i for i in range(n) if i != j] + [n]     # column n of B is the point z
    rS = r[idx]

    def dynamics(cols):
        Bc = B[:, cols]
        A = np.eye(B.shape[0]) - lr / n * Bc @ Bc.T
        b = -lr / n * Bc @ rS[cols]
        return A, b

    A1, b1 = dynamics(D)
    A2, b2 = dynamics(Dp)
    M = (B[:, D] @ B[:, D].T - B[:, Dp] @ B[:, Dp].T) / n
    v = (B[:, D] @ rS[D] - B[:, Dp] @ rS[Dp]) / n
    gj, gz = np.sqrt(K[j, j]), np.sqrt(K[z, z])
    k = B.shape[0]
    mu1 = np.zeros(k); C1 = np.zeros((k, k)); mu2 = np.zeros(k); C2 = np.zeros((k, k))
    traj_sq, bound_G = [], []
    for _ in range(steps):
        traj_sq.append(float(np.sum((M @ mu1 + v) ** 2) + np.trace(M @ C1 @ M.T)))
        ER = [(B[:, c] @ mu1 + rS[c]) ** 2 + B[:, c] @ C1 @ B[:, c] for c in (j, n)]
        bound_G.append(np.sqrt(ER[0] + ER[1]))
        mu1, C1 = A1 @ mu1 + b1, A1 @ C1 @ A1.T + step_var * np.eye(k)
        mu2, C2 = A2 @ mu2 + b2, A2 @ C2 @ A2.T + step_var * np.eye(k)
    traj = float(np.sum(step_kl(np.full(steps, lr), np.array(traj_sq), sigma=sigma, noise=noise)))
    pathwise = sum(realised_kl_bound(T=lr, G=max(G, 1e-300), grad_norm_a=gj, grad_norm_b=gz, sigma=sigma,
                                     n=n, noise=noise) for G in bound_G)
    G0 = max(abs(r[j]), abs(r[z]), 1e-300)
    lip = realised_kl_bound(T=lr * steps, G=G0, grad_norm_a=gj, grad_norm_b=gz, sigma=sigma, n=n, noise=noise)
    return ExactChain(gaussian_kl(mu1, C1, mu2, C2), traj, float(pathwise), float(lip), steps, lr * steps)
