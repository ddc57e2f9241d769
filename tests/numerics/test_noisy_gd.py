"""Noisy GD: Gram-trick neighbour differences, exact Gaussian chain orderings, determinism, bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.bruteforce import draw_weights
from numerics.data import digits, prepare, sphere
from numerics.exact_kl import exact_chain
from numerics.gram import gram_from_factors, layer_factors
from numerics.noisy_gd import TrainingRun, loss_and_derivative, neighbour_sq_diffs, train
from numerics.spec import array_spec
from tests.reference_net import relu_net
from theory import Network
from theory.privacy import realised_kl_bound


def _setup(seed=0, n=7, h=3, widths=(5, 6, 4, 1)):
    spec = array_spec(Network(widths=widths), "he")
    W = draw_weights(spec, key=jax.random.key(seed))
    X = jax.random.normal(jax.random.key(seed + 1), (n + h, widths[0]), dtype=jnp.float64)
    y = jnp.where(jax.random.normal(jax.random.key(seed + 2), (n + h,), dtype=jnp.float64) > 0, 1.0, -1.0)
    sl = [jnp.zeros(()) for _ in widths[1:-1]]
    return W, X, y, sl, n


def _explicit(W, X, y, sl, n, loss):
    """Per-example gradients materialised with jax.grad: the reference for the Gram trick."""
    f = relu_net
    fx = jax.vmap(lambda x: f(W, x))(X)
    _, a = loss_and_derivative(fx, y, loss)
    g = jax.vmap(lambda x: jnp.concatenate([t.ravel() for t in jax.grad(f)(W, x)]))(X)
    G = a[:, None] * g
    full = G[:n].mean(0)
    rem = [jnp.sum((full - (G[:n].sum(0) - G[j]) / (n - 1)) ** 2) for j in range(n)]
    add = [jnp.sum((full - (G[:n].sum(0) + G[z]) / (n + 1)) ** 2) for z in range(n, X.shape[0])]
    rep = [jnp.sum((full - (G[:n].sum(0) - G[j] + G[z]) / n) ** 2) for j in range(n) for z in range(n, X.shape[0])]
    return a, np.array(rem + add), np.array(rep)


@pytest.mark.parametrize("loss", ["logistic", "squared"])
def test_gram_trick_neighbour_differences_equal_explicit_gradients(loss):
    W, X, y, sl, n = _setup()
    a, ref_ra, ref_rep = _explicit(W, X, y, sl, n, loss)
    K = gram_from_factors(layer_factors(W, X, sl))
    np.testing.assert_allclose(neighbour_sq_diffs(a, K, n, "remove-add"), ref_ra, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(neighbour_sq_diffs(a, K, n, "replace"), ref_rep, rtol=1e-10, atol=1e-14)


def _chain_inputs(seed, n, depth, width):
    ds = sphere(n=n, input_dim=5, seed=seed)
    spec = array_spec(Network.uniform(depth=depth, width=width, input_dim=5), "he")
    W0 = draw_weights(spec, key=jax.random.key(seed))
    X = np.vstack([ds.x_train, ds.x_held])
    y = np.concatenate([ds.y_train, ds.y_held])
    sl = [np.zeros(()) for _ in range(depth - 1)]
    fac = layer_factors(W0, jnp.asarray(X), sl)
    K = np.asarray(gram_from_factors(fac))
    h = X
    for l, w in enumerate(W0):
        h = h @ np.asarray(w).T
        if l < depth - 1:
            h = np.maximum(h, 0.0)
    return K, h[:, 0] - y, ds.n


@settings(max_examples=15)
@given(seed=st.integers(0, 10**6), n=st.integers(6, 24), depth=st.integers(2, 4), width=st.integers(3, 12),
       steps=st.integers(1, 300), sigma=st.floats(0.05, 3.0), lr=st.floats(0.005, 0.1),
       noise=st.sampled_from(["sqrt2", "sigma"]))
def test_final_le_trajectory_le_pathwise_bound(seed, n, depth, width, steps, sigma, lr, noise):
    """Data processing (final <= trajectory) and the pathwise bound, exact arithmetic in float64."""
    K, r, n_train = _chain_inputs(seed, n, depth, width)
    c = exact_chain(K, r, n=n_train, j=0, z=n_train, lr=lr, sigma=sigma, steps=steps, noise=noise)
    assert 0 <= c.final_kl <= c.trajectory_kl * (1 + 1e-9) + 1e-15
    assert c.trajectory_kl <= c.pathwise_bound * (1 + 1e-9)


def test_lipschitz_style_bound_fails_for_squared_loss():
    """A finding (THEORY.md §3): with the initial residual as 'G' the bound fails at long T / large sigma,
    while the exact trajectory KL tends to a sigma-independent constant."""
    K, r, n = _chain_inputs(0, 30, 3, 16)
    big = exact_chain(K, r, n=n, j=0, z=n, lr=0.01, sigma=3.0, steps=2000)
    assert big.lipschitz_initial_bound < big.trajectory_kl
    bigger = exact_chain(K, r, n=n, j=0, z=n, lr=0.01, sigma=30.0, steps=2000)
    assert abs(bigger.trajectory_kl / big.trajectory_kl - 1) < 0.05
    short = exact_chain(K, r, n=n, j=0, z=n, lr=0.01, sigma=0.3, steps=20)
    assert short.final_kl / short.trajectory_kl > 0.9


def test_logistic_pair_trajectory_below_realised_bound():
    """|l'| <= 1, so on every path sum_k eta ||Delta_k||^2/(4 sigma^2) <= the realised-norm bound."""
    ds = digits(seed=0)
    run = TrainingRun(Network.uniform(depth=3, width=32, input_dim=64), "xavier", lr=0.05, sigma=0.05,
                      steps=30, runs=3)
    res = train(run, ds)
    T = run.lr * run.steps
    for i in range(run.runs):
        traj = np.sum(res.pair_sq[i]) * run.lr / (4 * run.sigma**2)
        bound = realised_kl_bound(T=T, G=1.0, grad_norm_a=res.grad_norm_pair[i, 0],
                                  grad_norm_b=res.grad_norm_pair[i, 1], sigma=run.sigma, n=ds.n)
        assert 0 < traj <= bound


def test_same_seed_same_numbers():
    ds = sphere(n=20, input_dim=4)
    run = TrainingRun(Network.uniform(depth=2, width=8, input_dim=4), "he", model="full", steps=5, runs=2)
    a, b = train(run, ds), train(run, ds)
    np.testing.assert_array_equal(a.kl_step, b.kl_step)
    c = train(TrainingRun(run.network, "he", model="full", steps=5, runs=2, seed=1), ds)
    assert not np.array_equal(a.kl_step, c.kl_step)


def test_bad_inputs():
    with pytest.raises(ValueError, match="classes"):
        digits((0, 12))
    with pytest.raises(ValueError, match="classes"):
        digits((3, 3))
    with pytest.raises(ValueError, match="NaN"):
        prepare(np.array([[np.nan, 1.0], [0, 1], [1, 0], [1, 1]]), np.array([1.0, 1, -1, -1]))
    with pytest.raises(ValueError, match="fewer than 2"):
        prepare(np.eye(4), np.array([1.0, -1, -1, -1]))
    net = Network.uniform(depth=2, width=4, input_dim=4)
    for kw, name in [({"lr": 0.0}, "lr"), ({"sigma": -1.0}, "sigma"), ({"loss": "hinge"}, "loss"),
                     ({"model": "other"}, "model"), ({"neighbours": "swap"}, "neighbours")]:
        with pytest.raises(ValueError, match=name):
            TrainingRun(net, "he", **kw)
    with pytest.raises(ValueError, match="output_dim"):
        TrainingRun(Network.uniform(depth=2, width=4, input_dim=4, output_dim=2), "he")
    with pytest.raises(ValueError, match="input_dim"):
        train(TrainingRun(Network.uniform(depth=2, width=4, input_dim=3), "he"), sphere(n=10, input_dim=4))
