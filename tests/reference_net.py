"""The tests' own forward pass of a bias-free ReLU network (scalar output), independent of numerics/.

Used as the reference that per-example gradients (``jax.grad`` of it) are taken from, so the
Gram trick and the gradient-span reduction are each checked against code they do not share.
"""

import jax.numpy as jnp


def relu_net(ws, x):
    r""":math:`f(x) = W_L\,\phi(W_{L-1}\cdots\phi(W_1 x))`, :math:`\phi` = ReLU; first output."""
    h = x
    for l, w in enumerate(ws):
        h = w @ h
        if l < len(ws) - 1:
            h = jnp.maximum(h, 0.0)
    return h[0]
