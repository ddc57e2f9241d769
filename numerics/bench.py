"""Benchmarks measured side by side in one process, reported as ratios (``initmatters bench``).

Every rate is the best of a few timed repetitions after a warm-up call (compile
excluded); ratios compare methods measured in the same process on the same machine.
"""

from __future__ import annotations

import platform
import time

import jax
import jax.numpy as jnp

from numerics import bruteforce
from numerics.gram import gram_from_factors, layer_factors, ntk_gram, ntk_gram_jacobian
from numerics.noisy_gd import loss_and_derivative, neighbour_sq_diffs, predict_batch
from numerics.sampling import draw
from numerics.spec import array_spec
from theory import Network


def _best_time(fn, repeats=3):
    fn()  # warm-up / compile
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _rate(spec, method, n):
    key = jax.random.key(0)
    return n / _best_time(lambda: draw(spec, n, key=key, method=method), repeats=2)


def run(*, quick: bool = False) -> dict:
    d, m, L = (64, 256, 6) if quick else (64, 1024, 10)
    spec = array_spec(Network.uniform(depth=L, width=m, input_dim=d), "he")
    n_bf, n_mf, n_sc = (16, 2000, 100_000) if quick else (32, 4000, 400_000)
    rates = {"bruteforce": _rate(spec, "bruteforce", n_bf), "matrixfree": _rate(spec, "matrixfree", n_mf),
             "scalar": _rate(spec, "scalar", n_sc)}

    # floor of brute force: drawing its sum_l m_l m_{l-1} normals, vectorised the same way
    n_w = sum(a * b for a, b in zip(spec.widths[:-1], spec.widths[1:]))
    rng = jax.jit(lambda k: jax.vmap(lambda kk: jnp.sum(jax.random.normal(kk, (n_w,), dtype=jnp.float64)))(
        jax.random.split(k, n_bf)))
    floor = n_bf / _best_time(lambda: rng(jax.random.key(1)).block_until_ready(), repeats=2)

    n, gm, gL = (64, 128, 4) if quick else (256, 512, 6)
    gspec = array_spec(Network.uniform(depth=gL, width=gm, input_dim=d), "he")
    W = bruteforce.draw_weights(gspec, key=jax.random.key(2))
    X = jax.random.normal(jax.random.key(3), (n, d), dtype=jnp.float64)
    sl = [jnp.zeros(()) for _ in range(gL - 1)]
    g1 = jax.jit(lambda W, X: ntk_gram(W, X, sl))
    g2 = jax.jit(lambda W, X: ntk_gram_jacobian(W, X, sl))
    t_gram = _best_time(lambda: g1(W, X).block_until_ready(), repeats=2)
    t_jac = _best_time(lambda: g2(W, X).block_until_ready(), repeats=2)

    pn, pm, pL = (90, 128, 4) if quick else (360, 512, 8)
    t_step_gram, t_step_pe, mem_gram, mem_pe = _privacy_steps(pn, pm, pL, d)

    return {
        "config": {"d": d, "m": m, "L": L, "gram": {"n": n, "m": gm, "L": gL},
                   "privacy_step": {"n": pn, "m": pm, "L": pL}, "quick": quick},
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "devices": [str(x) for x in jax.devices()], "jax": jax.__version__},
        "samples_per_s": rates,
        "matrixfree_vs_bruteforce": rates["matrixfree"] / rates["bruteforce"],
        "scalar_vs_bruteforce": rates["scalar"] / rates["bruteforce"],
        "bruteforce_vs_rng_floor": floor / rates["bruteforce"],
        "gram_vs_jacobian": t_jac / t_gram,
        "privacy_step_vs_per_example_grads": t_step_pe / t_step_gram,
        "privacy_step_bytes": {"gram": mem_gram, "per_example": mem_pe,
                               "params": Network.uniform(depth=pL, width=pm, input_dim=d).num_params},
        "targets": {"matrixfree_vs_bruteforce": ">= 300", "scalar_vs_bruteforce": ">= 1e4",
                    "bruteforce_vs_rng_floor": "<= 2", "gram_vs_jacobian": ">= 5",
                    "privacy_step_vs_per_example_grads": ">= 5"},
    }


def privacy_step_functions(N, m, L, d):
    """One noisy-GD step with the full remove/add neighbour scan (n = 0.8 N training points), twice:
    via the Gram trick and via vmapped per-example gradients.  Returns ``(step_gram,
    step_per_example, args)``; both steps are jitted and take ``*args``."""
    spec = array_spec(Network.uniform(depth=L, width=m, input_dim=d), "he")
    W = bruteforce.draw_weights(spec, key=jax.random.key(5))
    X = jax.random.normal(jax.random.key(6), (N, d), dtype=jnp.float64)
    X = X / jnp.linalg.norm(X, axis=1, keepdims=True)
    y = jnp.where(jnp.arange(N) % 2 == 0, 1.0, -1.0)
    n = int(0.8 * N)
    sl = [jnp.zeros(()) for _ in range(L - 1)]
    lr, std = 0.01, 0.01

    def f(ws, x):  # one example's output: what jax.grad differentiates per example
        return predict_batch(ws, x[None, :], sl)[0]

    def noise(ws, key):
        keys = jax.random.split(key, len(ws))
        return [std * jax.random.normal(k, w.shape, dtype=w.dtype) for w, k in zip(ws, keys)]

    @jax.jit
    def step_gram(ws, key):
        fac = layer_factors(ws, X, sl)
        fx = fac[-1][1] @ ws[-1][0]
        _, a = loss_and_derivative(fx, y, "logistic")
        kl = jnp.max(neighbour_sq_diffs(a, gram_from_factors(fac), n, "remove-add"))
        coef = jnp.concatenate([a[:n] / n, jnp.zeros(N - n)])
        grads = [jnp.einsum("n,nmo,nk->mk", coef, dd, hh) for dd, hh in fac]
        return [w - lr * g + e for w, g, e in zip(ws, grads, noise(ws, key))], kl

    @jax.jit
    def step_per_example(ws, key):
        fx = jax.vmap(lambda x: f(ws, x))(X)
        _, a = loss_and_derivative(fx, y, "logistic")
        J = jax.vmap(lambda x: jnp.concatenate([t.ravel() for t in jax.grad(f)(ws, x)]))(X)
        kl = jnp.max(neighbour_sq_diffs(a, J @ J.T, n, "remove-add"))
        g = (a[:n] / n) @ J[:n]
        out, start = [], 0
        for w, e in zip(ws, noise(ws, key)):
            out.append(w - lr * g[start:start + w.size].reshape(w.shape) + e)
            start += w.size
        return out, kl

    return step_gram, step_per_example, (W, jax.random.key(7))


def peak_bytes(fn, *args) -> int:
    """Bytes XLA plans for one call of the jitted ``fn``: arguments, outputs and temporaries
    (``Compiled.memory_analysis``; compiled, not run, so it is exact and costs no execution)."""
    ma = fn.lower(*args).compile().memory_analysis()
    return int(ma.argument_size_in_bytes + ma.output_size_in_bytes + ma.temp_size_in_bytes)


def _privacy_steps(N, m, L, d):
    """Seconds per step and planned bytes per step, Gram trick against per-example gradients."""
    step_gram, step_pe, args = privacy_step_functions(N, m, L, d)
    t1 = _best_time(lambda: jax.block_until_ready(step_gram(*args)), repeats=2)
    t2 = _best_time(lambda: jax.block_until_ready(step_pe(*args)), repeats=2)
    return t1, t2, peak_bytes(step_gram, *args), peak_bytes(step_pe, *args)

