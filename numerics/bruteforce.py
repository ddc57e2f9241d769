r"""Brute-force sampler: real weight matrices, exact per-layer squared gradient norms.

For one draw of :math:`W_1, \dots, W_L` (entries :math:`\mathcal N(0, \beta_l)`) and an
input :math:`x`, the norm-only backward pass
:math:`\Delta_L = I_o`, :math:`\Delta_{l-1} = \mathrm{diag}(\phi'(g_{l-1}))\,W_l^\top\Delta_l`
gives :math:`\|\partial f/\partial W_l\|_F^2 = \|\Delta_l\|_F^2\,\|h_{l-1}\|^2` without
forming the outer products (THEORY.md §2).  Cost :math:`O(\sum_l m_l m_{l-1})` per
sample; the reference every faster sampler is tested against.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from numerics.activations import dphi, phi
from numerics.spec import ArraySpec


def draw_weights(spec: ArraySpec, *, key) -> list:
    """One draw of the weight matrices :math:`W_l \\in \\mathbb R^{m_l \\times m_{l-1}}`."""
    keys = jax.random.split(key, spec.depth)
    return [jnp.sqrt(spec.betas[l]) * jax.random.normal(keys[l], (spec.widths[l + 1], spec.widths[l]),
                                                        dtype=jnp.float64)
            for l in range(spec.depth)]


def forward(weights, x, slopes):
    """Pre-activations :math:`g_l` and activations :math:`h_{l-1}` (list of length L each)."""
    hs, gs = [x], []
    for l, W in enumerate(weights):
        g = W @ hs[-1]
        gs.append(g)
        if l < len(weights) - 1:
            hs.append(phi(g, slopes[l]))
    return gs, hs


def sq_norms_given_weights(weights, x, slopes) -> jnp.ndarray:
    """Per-layer :math:`\\|\\partial f/\\partial W_l\\|_F^2` for fixed weights, shape (L,)."""
    gs, hs = forward(weights, x, slopes)
    o = weights[-1].shape[0]
    delta = jnp.eye(o, dtype=x.dtype)
    out = []
    for l in range(len(weights) - 1, -1, -1):
        out.append(jnp.sum(delta**2) * jnp.sum(hs[l] ** 2))
        if l > 0:
            delta = dphi(gs[l - 1], slopes[l - 1])[:, None] * (weights[l].T @ delta)
    return jnp.stack(out[::-1])


def sample(spec: ArraySpec, *, key, x=None) -> jnp.ndarray:
    """Per-layer squared gradient norms for one weight draw, shape (L,)."""
    if x is None:
        x = jnp.zeros(spec.widths[0], dtype=jnp.float64).at[0].set(spec.x_norm)
    slopes = [jnp.asarray(s) for s in spec.slopes]
    return sq_norms_given_weights(draw_weights(spec, key=key), x, slopes)


def bytes_per_sample(spec: ArraySpec) -> int:
    w = sum(a * b for a, b in zip(spec.widths[:-1], spec.widths[1:]))
    act = sum(spec.widths) * (2 + spec.output_dim)
    return 8 * (2 * w + 2 * act)
