r"""Matrix-free exact sampler: :math:`O(L\,m\,o)` per sample by Gaussian conditioning.

Each :math:`W_l` enters the forward pass once, :math:`g_l = W_l h_{l-1} \sim
\mathcal N(0, \beta_l\|h_{l-1}\|^2 I)`, and the backward pass once, through
:math:`W_l^\top\Delta_l`, whose exact conditional law given :math:`W_l h_{l-1} = g_l` is

.. math::

    W^\top\Delta = \frac{h\,(g^\top\Delta)}{\|h\|^2}
      + \Big(I - \frac{h h^\top}{\|h\|^2}\Big) Z,\qquad
    Z = \sqrt\beta\,E\,R,\ \ \Delta = QR,\ E_{ij}\sim\mathcal N(0,1)

(rows of :math:`Z` iid :math:`\mathcal N(0, \beta\Delta^\top\Delta)`: the joint draw,
correct for :math:`o > 1`; a dead layer, :math:`h = 0`, takes :math:`W^\top\Delta = Z`).
THEORY.md §2.  Only the scalars :math:`s_l = \|h_l\|^2` are stored: the backward
pass regenerates :math:`g_{l-1}` from its PRNG key, so memory is :math:`O(m\,o + L)`
and width :math:`2^{20}` at depth 1000 fits.  Uniform hidden widths run as a
``lax.scan``; ragged widths as an unrolled loop over the same step functions.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from numerics.activations import dphi, phi
from numerics.spec import ArraySpec


def _pre(key, beta, s_prev, m):
    """Regenerate :math:`g_l = \\sqrt{\\beta_l s_{l-1}}\\,z` from its key."""
    return jnp.sqrt(beta * s_prev) * jax.random.normal(key, (m,), dtype=jnp.float64)


def conditional_transpose(h, g, delta, beta, *, key):
    """Draw :math:`W^\\top\\Delta` given :math:`W h = g`, :math:`W_{ij} \\sim \\mathcal N(0, \\beta)`."""
    hh = h @ h
    alive = hh > 0
    safe = jnp.where(alive, hh, jnp.ones_like(hh))
    R = jnp.linalg.qr(delta, mode="r")
    E = jax.random.normal(key, (h.shape[0], R.shape[0]), dtype=jnp.float64)
    Z = jnp.sqrt(beta) * (E @ R)
    correction = h[:, None] * ((g @ delta) - (h @ Z))[None, :] / safe
    return Z + jnp.where(alive, correction, jnp.zeros_like(correction))


def _keys(spec, key):
    kf, kb = jax.random.split(key)
    return jax.random.split(kf, spec.depth), jax.random.split(kb, spec.depth)


def sample(spec: ArraySpec, *, key) -> jnp.ndarray:
    """Per-layer squared gradient norms for one network draw, shape (L,)."""
    if spec.depth >= 3 and spec.uniform_hidden:
        return _sample_scan(spec, key)
    return _sample_loop(spec, key)


def _sample_loop(spec, key):
    L, w, beta = spec.depth, spec.widths, spec.betas
    kf, kb = _keys(spec, key)
    slopes = [jnp.asarray(a) for a in spec.slopes]
    s = [jnp.asarray(spec.x_norm**2, dtype=jnp.float64)]
    for l in range(1, L):  # forward: only the squared norms are kept
        s.append(jnp.sum(phi(_pre(kf[l - 1], beta[l - 1], s[-1], w[l]), slopes[l - 1]) ** 2))
    g = _pre(kf[L - 1], beta[L - 1], s[L - 1], w[L])
    delta = jnp.eye(w[L], dtype=jnp.float64)
    out = [None] * L
    for l in range(L, 0, -1):
        out[l - 1] = jnp.sum(delta**2) * s[l - 1]
        if l > 1:
            g_prev = _pre(kf[l - 2], beta[l - 2], s[l - 2], w[l - 1])
            h_prev = phi(g_prev, slopes[l - 2])
            U = conditional_transpose(h_prev, g, delta, beta[l - 1], key=kb[l - 1])
            delta = dphi(g_prev, slopes[l - 2])[:, None] * U
            g = g_prev
    return jnp.stack(out)


def _sample_scan(spec, key):
    L, w = spec.depth, spec.widths
    m, o = w[1], w[-1]
    beta = jnp.asarray(spec.betas)
    kf, kb = _keys(spec, key)
    slopes = jnp.stack([jnp.broadcast_to(jnp.asarray(a), (m,)) for a in spec.slopes])  # (L-1, m)
    if all(a.ndim == 0 for a in spec.slopes):
        slopes = jnp.stack([jnp.asarray(a) for a in spec.slopes])[:, None]  # (L-1, 1): O(L) memory

    def fwd(s_prev, xs):
        k, b, a = xs
        s_new = jnp.sum(phi(_pre(k, b, s_prev, m), a) ** 2)
        return s_new, s_new

    s0 = jnp.asarray(spec.x_norm**2, dtype=jnp.float64)
    _, s_hidden = jax.lax.scan(fwd, s0, (kf[: L - 1], beta[: L - 1], slopes))
    s = jnp.concatenate([s0[None], s_hidden])  # s_0 .. s_{L-1}

    # last layer (o outputs) outside the scan
    g_L = _pre(kf[L - 1], beta[L - 1], s[L - 1], o)
    g_prev = _pre(kf[L - 2], beta[L - 2], s[L - 2], m)
    U = conditional_transpose(phi(g_prev, slopes[L - 2]), g_L, jnp.eye(o, dtype=jnp.float64),
                              beta[L - 1], key=kb[L - 1])
    delta = dphi(g_prev, slopes[L - 2])[:, None] * U
    norm_last = o * s[L - 1]

    def bwd(carry, xs):  # layer l = L-1 .. 2; carry (Delta_l, g_l)
        delta, g = carry
        k_prev, b_prev, s_pp, s_p, a_prev, k_b, b = xs
        rec = jnp.sum(delta**2) * s_p
        g_prev = _pre(k_prev, b_prev, s_pp, m)
        U = conditional_transpose(phi(g_prev, a_prev), g, delta, b, key=k_b)
        return (dphi(g_prev, a_prev)[:, None] * U, g_prev), rec

    idx = jnp.arange(L - 1, 1, -1)  # l
    xs = (kf[idx - 2], beta[idx - 2], s[idx - 2], s[idx - 1], slopes[idx - 2], kb[idx - 1], beta[idx - 1])
    (delta, _), recs = jax.lax.scan(bwd, (delta, g_prev), xs)
    first = jnp.sum(delta**2) * s[0]
    return jnp.concatenate([first[None], recs[::-1], norm_last[None]])


def bytes_per_sample(spec: ArraySpec) -> int:
    m = max(spec.widths)
    return 8 * (12 * m * spec.output_dim + 8 * m + 4 * spec.depth)
