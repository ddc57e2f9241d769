r"""Positively homogeneous activation :math:`\phi(z) = \max(z,0) + a\min(z,0)` and its derivative."""

import jax.numpy as jnp


def phi(g, a):
    return jnp.where(g > 0, g, a * g)


def dphi(g, a):
    return jnp.where(g > 0, jnp.ones_like(g), a * jnp.ones_like(g))
