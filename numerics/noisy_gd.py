r"""Noisy gradient descent on a ReLU network or its linearisation, with the numerical KL privacy loss.

Full batch, scalar output, loss :math:`\mathcal L(W; D) = \frac1n\sum_i \ell(f(x_i; W), y_i)`:

.. math:: W_{k+1} = W_k - \eta\nabla\mathcal L(W_k; D) + \sqrt{\eta\Sigma}\,\xi_k,

with :math:`\Sigma = 2\sigma^2` (``noise="sqrt2"``, default) or :math:`\sigma^2`
(``"sigma"``); see :mod:`theory.privacy`.  The linearised model is
:math:`f_{\rm lin}(x; W) = f(x; W_0) + \langle\nabla_W f(x; W_0), W - W_0\rangle`.

Numerical KL privacy loss (THEORY.md §5, the authors' procedure): at every step the
largest :math:`\|\nabla\mathcal L(W_k; D) - \nabla\mathcal L(W_k; D')\|^2` over the
neighbours :math:`D'` enters the per-step Gaussian KL
:math:`\eta\|\Delta_k\|^2/(2\Sigma)` (:func:`theory.privacy.step_kl`), summed over
steps.  With :math:`a_i = \ell'(f_i, y_i)`, :math:`g_i = \nabla_W f(x_i; W_k)`,
:math:`u = \sum_{i\in D} a_i g_i` and the Gram matrix :math:`K_{ij} = g_i\cdot g_j`
(:mod:`numerics.gram`, never the per-example gradients themselves):

* remove :math:`j`:  :math:`\|\Delta\|^2 = \frac{a^\top K a}{n^2(n-1)^2} - \frac{2a_j(Ka)_j}{n(n-1)^2} + \frac{a_j^2K_{jj}}{(n-1)^2}`
* add held-out :math:`z`: :math:`\frac{a^\top K a}{n^2(n+1)^2} - \frac{2a_z(Ka)_z}{n(n+1)^2} + \frac{a_z^2K_{zz}}{(n+1)^2}`
* replace :math:`j` by :math:`z`: :math:`(a_j^2K_{jj} - 2a_ja_zK_{jz} + a_z^2K_{zz})/n^2`.

Taking the maximum inside the expectation estimates an upper envelope of the
worst-case KL; :attr:`TrainingResult.pair_sq` also records one fixed pair, for the
rigorous per-pair comparison with realised gradient norms.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from numerics.activations import phi
from numerics.bruteforce import draw_weights
from numerics.data import Dataset
from numerics.gram import gram_from_factors, layer_factors
from numerics.spec import array_spec
from theory import Network
from theory.checks import choice, positive_float, positive_int
from theory.privacy import NOISE_CONVENTIONS, step_kl, step_noise_variance

MODELS = ("full", "linearized")
LOSSES = ("logistic", "squared")
NEIGHBOURS = ("remove-add", "replace")


class TrainingDiverged(ValueError):
    r"""Noisy GD produced a non-finite loss or gradient.

    Either the step is too large for the loss's curvature, or the injected noise, whose
    variance per weight :math:`2\eta\sigma^2 k` after :math:`k` steps does not shrink with
    the width, has outgrown the initial variances :math:`\beta_l` (about :math:`1/m`), so
    that each layer amplifies and the gradients grow geometrically with depth.  The message
    gives both numbers.  A ``ValueError`` naming ``lr`` and ``sigma``, so the command line
    exits with status 2 and one line.
    """

    def __init__(self, message, *, runs: int, total: int, step: int):
        super().__init__(message)
        self.runs, self.total, self.step = runs, total, step   # diverged runs, all runs, first bad step


@dataclass(frozen=True)
class TrainingRun:
    """Frozen spec of a noisy-GD experiment (``steps`` full-batch steps = epochs)."""

    network: Network
    scheme: str
    model: str = "linearized"
    loss: str = "logistic"
    lr: float = 0.01
    sigma: float = 0.1
    steps: int = 50
    runs: int = 4
    noise: str = "sqrt2"
    neighbours: str = "remove-add"
    seed: int = 0

    def __post_init__(self):
        choice("model", self.model, MODELS)
        choice("loss", self.loss, LOSSES)
        choice("noise", self.noise, NOISE_CONVENTIONS)
        choice("neighbours", self.neighbours, NEIGHBOURS)
        positive_float("lr", self.lr)
        positive_float("sigma", self.sigma)
        positive_int("steps", self.steps)
        positive_int("runs", self.runs)
        if self.network.output_dim != 1:
            raise ValueError("output_dim: training supports one output (o = 1)")


@dataclass(frozen=True)
class TrainingResult:
    """Per-run, per-step arrays, shape (runs, steps)."""

    max_sq: np.ndarray        # largest squared gradient difference over neighbours
    pair_sq: np.ndarray       # squared gradient difference for one fixed replace pair
    kl_step: np.ndarray       # per-step KL from max_sq
    loss: np.ndarray          # training loss before each step
    accuracy: np.ndarray
    grad_norm_pair: np.ndarray  # (runs, 2): ||g(x_j)||, ||g(x_z)|| at W_0 for the fixed pair
    run: TrainingRun

    @property
    def kl_cumulative(self) -> np.ndarray:
        return np.cumsum(self.kl_step, axis=1)


def loss_and_derivative(f, y, loss: str):
    """:math:`\\ell` and :math:`\\ell'` (logistic: :math:`\\log(1+e^{-yf})`, :math:`|\\ell'|\\le 1`;
    squared: :math:`(f-y)^2/2`)."""
    if loss == "logistic":
        return jnp.logaddexp(0.0, -y * f), -y * jax.nn.sigmoid(-y * f)
    return 0.5 * (f - y) ** 2, f - y


def neighbour_sq_diffs(a, K, n: int, kind: str):
    """Squared gradient differences to every neighbour, from ``a`` (N,) and the Gram ``K`` (N, N).

    Points ``0..n-1`` are the training set, ``n..N-1`` the held-out candidates.
    Returns a 1-d array: ``remove-add`` gives n removals then N-n additions,
    ``replace`` gives the n(N-n) replacements (row-major in (j, z)).
    """
    at, Kt = a[:n], K[:n, :n]
    Ka = K[:, :n] @ at          # (g_i . u) for every point i
    uu = at @ Ka[:n]
    diag = jnp.diagonal(K)
    if kind == "remove-add":
        rem = uu / (n**2 * (n - 1) ** 2) - 2 * at * Ka[:n] / (n * (n - 1) ** 2) + at**2 * diag[:n] / (n - 1) ** 2
        ah = a[n:]
        add = uu / (n**2 * (n + 1) ** 2) - 2 * ah * Ka[n:] / (n * (n + 1) ** 2) + ah**2 * diag[n:] / (n + 1) ** 2
        return jnp.concatenate([rem, add])
    aj, az = at[:, None], a[None, n:]
    rep = (aj**2 * diag[:n, None] - 2 * aj * az * K[:n, n:] + az**2 * diag[None, n:]) / n**2
    return rep.reshape(-1)


def predict_batch(weights, X, slopes):
    """Scalar outputs :math:`f(x_i; W)` for a batch ``X`` of shape (N, d)."""
    h = X
    for l, W in enumerate(weights):
        h = h @ W.T
        if l < len(weights) - 1:
            h = phi(h, slopes[l][None, :] if slopes[l].ndim == 1 else slopes[l])
    return h[:, 0]


def _grads_from_factors(factors, coef):
    """:math:`\\sum_i c_i\\,\\Delta_{l,i} h_{l-1,i}^\\top` per layer (full-batch gradient)."""
    return [jnp.einsum("n,nmo,nk->mk", coef, d, h) for d, h in factors]


def _train_one(run: TrainingRun, data: Dataset, key):
    spec = array_spec(run.network, run.scheme)
    slopes = [jnp.asarray(s) for s in spec.slopes]
    X = jnp.asarray(np.vstack([data.x_train, data.x_held]))
    y = jnp.asarray(np.concatenate([data.y_train, data.y_held]))
    n, yt = data.n, jnp.asarray(data.y_train)
    k_init, k_noise = jax.random.split(key)
    W0 = draw_weights(spec, key=k_init)
    noise_var = step_noise_variance(lr=run.lr, sigma=run.sigma, noise=run.noise)
    lin_factors = layer_factors(W0, X, slopes)
    f0 = predict_batch(W0, X, slopes)
    K0 = gram_from_factors(lin_factors)
    g_pair = jnp.sqrt(jnp.stack([K0[0, 0], K0[n, n]]))

    def predict(W):
        if run.model == "full":
            return predict_batch(W, X, slopes)
        return f0 + sum(jnp.einsum("nmo,nk,mk->n", d, h, w - w0)
                        for (d, h), w, w0 in zip(lin_factors, W, W0))

    def step(W, k):
        f = predict(W)
        l_all, a = loss_and_derivative(f, y, run.loss)
        factors = lin_factors if run.model == "linearized" else layer_factors(W, X, slopes)
        K = K0 if run.model == "linearized" else gram_from_factors(factors)
        diffs = neighbour_sq_diffs(a, K, n, run.neighbours)
        pair = (a[0] ** 2 * K[0, 0] - 2 * a[0] * a[n] * K[0, n] + a[n] ** 2 * K[n, n]) / n**2
        coef = jnp.concatenate([a[:n] / n, jnp.zeros(X.shape[0] - n)])
        grads = _grads_from_factors(factors, coef)
        keys = jax.random.split(k, len(W))
        W = [w - run.lr * g + jnp.sqrt(noise_var) * jax.random.normal(kk, w.shape, dtype=w.dtype)
             for w, g, kk in zip(W, grads, keys)]
        acc = jnp.mean((jnp.sign(f[:n]) == yt).astype(jnp.float64))
        return W, (jnp.max(diffs), pair, jnp.mean(l_all[:n]), acc)

    _, (mx, pair, loss, acc) = jax.lax.scan(step, W0, jax.random.split(k_noise, run.steps))
    return mx, pair, loss, acc, g_pair


def train(run: TrainingRun, data: Dataset) -> TrainingResult:
    """Run ``run.runs`` independent noisy-GD runs (vectorised) and record the privacy loss."""
    if data.input_dim != run.network.input_dim:
        raise ValueError(f"input_dim: network expects {run.network.input_dim}, data has {data.input_dim}")
    if data.n < 2:
        raise ValueError("data: need n >= 2 training examples")
    if run.neighbours in ("remove-add", "replace") and data.x_held.shape[0] < 1:
        raise ValueError("data: need at least one held-out example for add/replace neighbours")
    keys = jax.random.split(jax.random.key(run.seed), run.runs)
    fn = jax.jit(jax.vmap(lambda k: _train_one(run, data, k)))
    mx, pair, loss, acc, g_pair = (np.asarray(v) for v in fn(keys))
    bad = ~(np.isfinite(mx) & np.isfinite(loss))
    if bad.any():
        runs = np.flatnonzero(bad.any(axis=1))
        first = int(bad.argmax(axis=1)[runs].min()) + 1
        betas = array_spec(run.network, run.scheme).betas
        noise_var = step_noise_variance(lr=run.lr, sigma=run.sigma, noise=run.noise) * first
        raise TrainingDiverged(
            f"lr, sigma: training diverged (non-finite loss or gradients) in {len(runs)} of {run.runs} runs, first "
            f"at step {first}; by then the injected noise per weight had variance {noise_var:.3g} against initial "
            f"variances {betas.min():.3g} to {betas.max():.3g}; lower --sigma or --lr", runs=len(runs), total=run.runs,
            step=first)
    kl = step_kl(np.full(mx.size, run.lr), mx.reshape(-1), sigma=run.sigma, noise=run.noise).reshape(mx.shape)
    return TrainingResult(mx, pair, kl, loss, acc, g_pair, run)


__all__ = ["TrainingRun", "TrainingResult", "TrainingDiverged", "train", "neighbour_sq_diffs", "loss_and_derivative",
           "predict_batch"]
