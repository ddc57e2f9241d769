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
from numerics.gram import ntk_gram, ntk_gram_jacobian
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

    return {
        "config": {"d": d, "m": m, "L": L, "gram": {"n": n, "m": gm, "L": gL}, "quick": quick},
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "devices": [str(x) for x in jax.devices()], "jax": jax.__version__},
        "samples_per_s": rates,
        "matrixfree_vs_bruteforce": rates["matrixfree"] / rates["bruteforce"],
        "scalar_vs_bruteforce": rates["scalar"] / rates["bruteforce"],
        "bruteforce_vs_rng_floor": floor / rates["bruteforce"],
        "gram_vs_jacobian": t_jac / t_gram,
        "targets": {"matrixfree_vs_bruteforce": ">= 300", "scalar_vs_bruteforce": ">= 1e4",
                    "bruteforce_vs_rng_floor": "<= 2", "gram_vs_jacobian": ">= 5"},
    }

