"""Array form of a (network, scheme) pair for the samplers, with the memory checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory import Network, get_scheme
from theory.checks import positive_float

DEFAULT_MEMORY_BUDGET = 2 * 1024**3  # bytes per chunk of samples


@dataclass(frozen=True)
class ArraySpec:
    """Widths, variances and per-layer slope vectors of a network, as NumPy arrays."""

    widths: tuple
    betas: np.ndarray
    slopes: tuple          # per hidden layer: float64 array (m_l,) or a 0-d array
    x_norm: float

    @property
    def depth(self) -> int:
        return len(self.widths) - 1

    @property
    def output_dim(self) -> int:
        return self.widths[-1]

    @property
    def uniform_hidden(self) -> bool:
        h = self.widths[1:-1]
        return len(set(h)) <= 1

    @property
    def is_relu(self) -> bool:
        return all(np.all(s == 0.0) for s in self.slopes)


def array_spec(network: Network, scheme, *, x_norm: float = 1.0) -> ArraySpec:
    betas = get_scheme(scheme).variances(network)
    slopes = tuple(np.asarray(s, dtype=np.float64) for s in network.slopes)
    return ArraySpec(network.widths, betas, slopes, positive_float("x_norm", x_norm))


def chunk_size(bytes_per_sample: int, *, samples: int, memory_budget: int, method: str) -> int:
    """Samples per chunk under ``memory_budget``; refuses a request where one sample does not fit."""
    if memory_budget <= 0:
        raise ValueError(f"memory_budget: must be > 0, got {memory_budget}")
    if bytes_per_sample > memory_budget:
        raise ValueError(
            f"memory_budget: one {method} sample needs {bytes_per_sample / 2**20:.1f} MiB, more than "
            f"the budget of {memory_budget / 2**20:.1f} MiB; raise --memory-budget or use a cheaper method")
    return int(max(1, min(samples, memory_budget // bytes_per_sample)))
