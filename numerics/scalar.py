r"""Scalar exact sampler for ReLU networks with one output: :math:`O(L)` per sample.

With :math:`s_l = \|h_l\|^2` and :math:`K_l \sim \mathrm{Binomial}(m_l, 1/2)` active units,

.. math::

    s_l = \beta_l s_{l-1}\chi^2_{K_l},\qquad
    \|\delta_{l-1}\|^2 = \frac{f^2}{s_{l-1}} + \beta_l\|\delta_l\|^2\chi^2_{K_{l-1}-1},
    \qquad \|\partial f/\partial W_l\|^2 = \|\delta_l\|^2 s_{l-1},

with :math:`f = g_L \sim \mathcal N(0, \beta_L s_{L-1})` and :math:`\delta_L = 1`
(homogeneity gives :math:`g_l\cdot\delta_l = f`).  THEORY.md §2.  A dead layer
(:math:`K = 0`) makes :math:`s = 0`, :math:`f = 0` and every earlier
:math:`\delta = 0`.  Exactness is tested against :mod:`numerics.bruteforce` by
two-sample KS tests, never assumed.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from numerics.spec import ArraySpec


def _chi2(key, k):
    """:math:`\\chi^2_k` for integer ``k >= 0`` (``k = 0`` gives 0)."""
    kk = jnp.maximum(k, 1).astype(jnp.float64)
    draw = 2.0 * jax.random.gamma(key, kk / 2.0, dtype=jnp.float64)
    return jnp.where(k > 0, draw, jnp.zeros_like(draw))


def supports(spec: ArraySpec) -> bool:
    return spec.output_dim == 1 and spec.is_relu


def traced_params(spec: ArraySpec) -> tuple:
    r"""The numbers :func:`sample_traced` takes as arrays: variances, hidden widths, :math:`\|x\|`.

    Passed as traced arguments, they let one compiled sampler serve every network of the same
    depth (any scheme, width or input norm): compile once per depth, not once per network.
    """
    return (jnp.asarray(spec.betas, dtype=jnp.float64),
            jnp.asarray(spec.widths[1:-1], dtype=jnp.float64),
            jnp.asarray(spec.x_norm, dtype=jnp.float64))


def sample(spec: ArraySpec, *, key) -> jnp.ndarray:
    """Per-layer squared gradient norms for one network draw, shape (L,)."""
    return sample_traced(traced_params(spec), depth=spec.depth, key=key)


def sample_traced(params, *, depth: int, key) -> jnp.ndarray:
    """:func:`sample` with the network given by :func:`traced_params` (only ``depth`` is static)."""
    L = depth
    beta, widths, x_norm = params
    kK, kf, kc, kf2, kb = jax.random.split(key, 5)
    K = jax.random.binomial(kK, widths, 0.5 * jnp.ones(L - 1)).astype(jnp.int64) \
        if L > 1 else jnp.zeros(0, dtype=jnp.int64)
    chi_f = jax.vmap(_chi2)(jax.random.split(kc, max(L - 1, 1))[: L - 1], K)

    def fwd(s_prev, xs):
        b, c = xs
        s_new = b * s_prev * c
        return s_new, s_new

    s0 = x_norm**2
    _, s_hidden = jax.lax.scan(fwd, s0, (beta[: L - 1], chi_f))
    s = jnp.concatenate([s0[None], s_hidden])  # s_0 .. s_{L-1}
    f = jnp.sqrt(beta[L - 1] * s[L - 1]) * jax.random.normal(kf2, dtype=jnp.float64)
    f2 = f**2
    chi_b = jax.vmap(_chi2)(jax.random.split(kb, max(L - 1, 1))[: L - 1], K - 1)

    def bwd(dsq, xs):  # from ||delta_l||^2 to ||delta_{l-1}||^2, l = L .. 2
        s_p, b, c = xs  # s_{l-1}, beta_l, chi2_{K_{l-1}-1}
        safe = jnp.where(s_p > 0, s_p, jnp.ones_like(s_p))
        new = jnp.where(s_p > 0, f2 / safe + b * dsq * c, jnp.zeros_like(s_p))
        return new, new

    ls = jnp.arange(L, 1, -1)
    _, d_rev = jax.lax.scan(bwd, jnp.ones((), dtype=jnp.float64), (s[ls - 1], beta[ls - 1], chi_b[ls - 2]))
    dsq = jnp.concatenate([d_rev[::-1], jnp.ones(1, dtype=jnp.float64)])  # ||delta_1||^2 .. ||delta_L||^2
    return dsq * s


def bytes_per_sample(spec: ArraySpec) -> int:
    return 8 * 12 * spec.depth
