"""Draw many per-layer gradient-norm samples: per-sample keys, chunks, devices, progress.

Sample ``i`` always uses ``fold_in(key, i)``, so the draws do not depend on the
chunk size or on how many devices share the work: a run on four devices equals the
run on one (tested).  Each chunk is sharded over every JAX device with
``jax.sharding`` (one GPU, several GPUs, several CPU devices); under
``jax.distributed`` the same code spans hosts.
"""

from __future__ import annotations

import sys
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from tqdm import tqdm

from numerics import bruteforce, matrixfree, scalar
from numerics.spec import DEFAULT_MEMORY_BUDGET, ArraySpec, chunk_size

SAMPLERS = {"bruteforce": bruteforce, "matrixfree": matrixfree, "scalar": scalar}
METHODS = ("auto",) + tuple(SAMPLERS)


def pick_method(spec: ArraySpec, method: str) -> str:
    """``auto``: the fastest exact sampler that supports the configuration."""
    if method not in METHODS:
        raise ValueError(f"method: unknown value {method!r}; choose from {', '.join(METHODS)}")
    if method == "auto":
        return "scalar" if scalar.supports(spec) else "matrixfree"
    if method == "scalar" and not scalar.supports(spec):
        raise ValueError("method: 'scalar' needs ReLU units and one output (o = 1); "
                         "use matrixfree or bruteforce")
    return method


_COMPILED: dict = {}
_MAX_COMPILED = 64


def _compiled(method: str, spec: ArraySpec):
    """The jitted, vmapped sampler for ``spec`` and the arrays it takes, cached (bounded, oldest dropped).

    A sampler module with ``traced_params``/``sample_traced`` (the scalar one) gets the network's
    numbers as traced arguments and is compiled once per depth; the others once per network.
    """
    mod = SAMPLERS[method]
    traced = hasattr(mod, "sample_traced")
    key = (method, spec.depth) if traced else (
        method, spec.widths, tuple(spec.betas.tolist()), tuple(np.asarray(s).tobytes() for s in spec.slopes),
        spec.x_norm)
    if key not in _COMPILED:
        if traced:
            def one(k, params):
                return mod.sample_traced(params, depth=spec.depth, key=k)
        else:
            fn = partial(mod.sample, spec)

            def one(k, params):
                return fn(key=k)

        def run(base_key, idx, params):
            keys = jax.vmap(lambda i: jax.random.fold_in(base_key, i))(idx)
            return jax.vmap(lambda k: one(k, params))(keys)

        if len(_COMPILED) >= _MAX_COMPILED:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = jax.jit(run)
    return _COMPILED[key], (mod.traced_params(spec) if traced else ())


def device_mesh():
    devs = jax.devices()
    return Mesh(np.array(devs), ("d",)), len(devs)


def draw(spec: ArraySpec, samples: int, *, key, method: str = "auto",
         memory_budget: int = DEFAULT_MEMORY_BUDGET, quiet: bool = True, on_chunk=None) -> np.ndarray:
    """``samples`` draws of the per-layer squared norms, float64 array (samples, L).

    ``on_chunk(array)`` is called with each chunk instead of keeping every draw,
    when given (then the return value is ``None``): streaming statistics.
    """
    if samples < 1:
        raise ValueError(f"samples: must be >= 1, got {samples}")
    method = pick_method(spec, method)
    mesh, n_dev = device_mesh()
    per = SAMPLERS[method].bytes_per_sample(spec)
    chunk = chunk_size(per, samples=samples, memory_budget=memory_budget, method=method)
    chunk = max(n_dev, (chunk // n_dev) * n_dev)
    fn, params = _compiled(method, spec)
    sharding = NamedSharding(mesh, PartitionSpec("d"))
    out = []
    with tqdm(total=samples, disable=quiet, file=sys.stderr, unit="sample", desc=method, delay=2.0) as bar:
        for start in range(0, samples, chunk):
            n = min(chunk, samples - start)
            padded = -(-n // n_dev) * n_dev
            idx = jax.device_put(jnp.arange(start, start + padded, dtype=jnp.uint32), sharding)
            res = np.asarray(fn(key, idx, params))[:n]
            if not np.all(np.isfinite(res)):
                raise ValueError(f"depth: non-finite gradient norms from the {method} sampler (float64 overflow "
                                 f"at this depth; the closed form is still available in log space)")
            if on_chunk is None:
                out.append(res)
            else:
                on_chunk(res)
            bar.update(n)
    return np.concatenate(out) if on_chunk is None else None
