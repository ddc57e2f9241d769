"""Gram trick against a jax.jacobian contraction, and its diagonal against the sampler."""

import jax
import numpy as np
import pytest

from numerics import bruteforce
from numerics.gram import ntk_gram, ntk_gram_jacobian
from numerics.spec import array_spec
from theory import Network


@pytest.mark.parametrize("widths,slopes", [((5, 7, 6, 1), 0.0), ((4, 6, 5, 6, 3), 0.2),
                                           ((3, 4, 2), ((1.0, 0.0, 0.0, 1.0),))])
def test_gram_equals_jacobian_contraction(widths, slopes):
    net = Network(widths=widths, slopes=slopes)
    spec = array_spec(net, "he")
    W = bruteforce.draw_weights(spec, key=jax.random.key(1))
    X = jax.random.normal(jax.random.key(2), (6, widths[0]), dtype=np.float64)
    sl = [np.broadcast_to(np.asarray(s), (w,)) for s, w in zip(spec.slopes, widths[1:-1])]
    np.testing.assert_allclose(ntk_gram(W, X, sl), ntk_gram_jacobian(W, X, sl), rtol=1e-12, atol=1e-12)


def test_gram_diagonal_equals_sampler_total():
    net = Network(widths=(5, 8, 8, 1))
    spec = array_spec(net, "xavier")
    W = bruteforce.draw_weights(spec, key=jax.random.key(3))
    X = jax.random.normal(jax.random.key(4), (4, 5), dtype=np.float64)
    sl = [np.asarray(0.0), np.asarray(0.0)]
    K = ntk_gram(W, X, sl)
    for i in range(4):
        total = float(bruteforce.sq_norms_given_weights(W, X[i], sl).sum())
        assert np.isclose(K[i, i], total, rtol=1e-12)
