r"""Monte-Carlo estimate of :math:`\mathbb E\|\nabla_W f(x;W_0)\|^2` with standard error and CI.

Streaming float64 moments (per-chunk mean and centred sum of squares, merged with
Chan et al.'s pairwise update, so no draw is kept) give the per-layer and total
means, standard errors and a normal-theory 95% interval
:math:`\bar S \pm 1.96\,\mathrm{se}`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jax
import numpy as np

from numerics.sampling import draw, pick_method
from numerics.spec import DEFAULT_MEMORY_BUDGET, array_spec
from theory import Network
from theory.checks import positive_int


@dataclass(frozen=True)
class Estimate:
    estimate: float
    stderr: float
    ci95: tuple
    per_layer: tuple
    per_layer_stderr: tuple
    rel_std: float          # sample std / mean of the total: finite-width spread
    samples: int
    method: str
    device: str
    seconds: float


class _Moments:
    """Chan et al. pairwise combination of (count, mean, M2) per column."""

    def __init__(self, cols):
        self.n, self.mean, self.m2 = 0, np.zeros(cols), np.zeros(cols)

    def add(self, x):
        nb = x.shape[0]
        mb = x.mean(axis=0)
        m2b = ((x - mb) ** 2).sum(axis=0)
        d = mb - self.mean
        tot = self.n + nb
        self.mean = self.mean + d * nb / tot
        self.m2 = self.m2 + m2b + d**2 * self.n * nb / tot
        self.n = tot

    @property
    def stderr(self):
        return np.sqrt(self.m2 / max(self.n - 1, 1) / self.n)


def device_name() -> str:
    d = jax.devices()
    return f"{d[0].platform}:{len(d)}"


def estimate_grad_norm(network: Network, scheme, *, samples: int, seed: int = 0, x_norm: float = 1.0,
                       method: str = "auto", memory_budget: int = DEFAULT_MEMORY_BUDGET,
                       quiet: bool = True) -> Estimate:
    """Estimate per-layer and total expected squared gradient norms at initialisation."""
    samples = positive_int("samples", samples, minimum=2)
    spec = array_spec(network, scheme, x_norm=x_norm)
    method = pick_method(spec, method)
    mom = _Moments(spec.depth + 1)
    t0 = time.perf_counter()
    draw(spec, samples, key=jax.random.key(seed), method=method, memory_budget=memory_budget,
         quiet=quiet, on_chunk=lambda c: mom.add(np.column_stack([c, c.sum(axis=1)])))
    secs = time.perf_counter() - t0
    se = mom.stderr
    est, s = float(mom.mean[-1]), float(se[-1])
    rel_std = float(np.sqrt(mom.m2[-1] / (mom.n - 1)) / est) if est > 0 else 0.0
    return Estimate(est, s, (est - 1.959963984540054 * s, est + 1.959963984540054 * s),
                    tuple(float(v) for v in mom.mean[:-1]), tuple(float(v) for v in se[:-1]),
                    rel_std, samples, method, device_name(), secs)


__all__ = ["Estimate", "estimate_grad_norm"]
