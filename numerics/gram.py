r"""Empirical NTK Gram matrix without per-example gradients (THEORY.md §2, issue: Gram trick).

For fixed weights and inputs :math:`x_1..x_n`,

.. math::

    K_{ij} = \langle\nabla_W f(x_i), \nabla_W f(x_j)\rangle
           = \sum_{l=1}^{L} (\Delta_{l,i}^\top\Delta_{l,j})\,(h_{l-1,i}\cdot h_{l-1,j}),

since :math:`\partial f/\partial W_l = \Delta_l h_{l-1}^\top`.  Cost
:math:`O(n \sum_l m_l m_{l-1} + n^2 \sum_l m_l o)`, memory :math:`O(n \sum_l m_l o)`
instead of :math:`O(n \cdot \#\text{params})`.  For :math:`o > 1` the result has shape
``(n, o, n, o)`` (one block per output pair), for :math:`o = 1` shape ``(n, n)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from numerics.activations import dphi, phi


def _batch(a):
    a = jnp.asarray(a, dtype=jnp.float64)
    return a[None, :] if a.ndim == 1 else a


def layer_factors(weights, X, slopes):
    """Per layer :math:`(\\Delta_l, h_{l-1})` for a batch: shapes (n, m_l, o) and (n, m_{l-1})."""
    slopes = [_batch(a) for a in slopes]
    hs, gs = [X], []
    for l, W in enumerate(weights):
        g = hs[-1] @ W.T
        gs.append(g)
        if l < len(weights) - 1:
            hs.append(phi(g, slopes[l]))
    n, o = X.shape[0], weights[-1].shape[0]
    delta = jnp.broadcast_to(jnp.eye(o, dtype=X.dtype), (n, o, o))
    factors = [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        factors[l] = (delta, hs[l])
        if l > 0:
            delta = dphi(gs[l - 1], slopes[l - 1])[:, :, None] * jnp.einsum("ij,nik->njk", weights[l], delta)
    return factors


def gram_from_factors(factors) -> jnp.ndarray:
    """:math:`K` from the per-layer factors of :func:`layer_factors`."""
    K = 0.0
    for delta, h in factors:
        K = K + jnp.einsum("ima,jmb->iajb", delta, delta) * (h @ h.T)[:, None, :, None]
    o = factors[-1][0].shape[-1]
    return K[:, 0, :, 0] if o == 1 else K


def ntk_gram(weights, X, slopes) -> jnp.ndarray:
    """:math:`K_{ij}` by the per-layer factorisation (see module docstring)."""
    return gram_from_factors(layer_factors(weights, X, slopes))


def ntk_gram_jacobian(weights, X, slopes) -> jnp.ndarray:
    """Reference: the same Gram from ``jax.jacobian`` of every output w.r.t. every weight."""
    def f(ws, x):
        h = x
        for l, W in enumerate(ws):
            h = W @ h
            if l < len(ws) - 1:
                h = phi(h, slopes[l])
        return h

    J = jax.vmap(jax.jacobian(f), in_axes=(None, 0))(weights, X)  # list of (n, o, m_l, m_{l-1})
    K = sum(jnp.einsum("iapq,jbpq->iajb", j, j) for j in J)
    return K[:, 0, :, 0] if weights[-1].shape[0] == 1 else K
