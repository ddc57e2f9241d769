r"""Frozen specification of a bias-free fully connected network (THEORY.md §1).

.. math::

    h_0 = x,\quad g_l = W_l h_{l-1},\quad h_l = \phi_l(g_l)\ (l = 1,\dots,L-1),
    \quad f(x) = W_L h_{L-1},

with :math:`W_l \in \mathbb R^{m_l \times m_{l-1}}`, :math:`m_0 = d` (input) and
:math:`m_L = o` (outputs).  Each hidden unit :math:`j` of layer :math:`i` is a
positively homogeneous activation with negative-side slope :math:`a_{ij}`:
:math:`\phi(z) = \max(z, 0) + a_{ij}\min(z, 0)` (ReLU :math:`a=0`, leaky ReLU,
identity unit :math:`a = 1`; partially linearised layers mix 0 and 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from theory import checks

__all__ = ["Network"]


def _normalise_slopes(slopes, hidden_widths) -> tuple:
    n_hidden = len(hidden_widths)
    if slopes is None or (isinstance(slopes, (int, float)) and not isinstance(slopes, bool)):
        value = 0.0 if slopes is None else checks.finite_float("slope", slopes)
        return tuple(value for _ in range(n_hidden))
    slopes = tuple(slopes)
    if len(slopes) == 0:
        return tuple(0.0 for _ in range(n_hidden))
    if len(slopes) != n_hidden:
        raise ValueError(
            f"slopes: expected one entry per hidden layer ({n_hidden}), got {len(slopes)}"
        )
    out = []
    for i, (entry, width) in enumerate(zip(slopes, hidden_widths), start=1):
        if np.ndim(entry) == 0:
            out.append(checks.finite_float(f"slopes[{i}]", entry))
        else:
            arr = np.asarray(entry, dtype=np.float64)
            if arr.shape != (width,):
                raise ValueError(
                    f"slopes[{i}]: per-unit slopes need shape ({width},), got {arr.shape}"
                )
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"slopes[{i}]: all slopes must be finite")
            out.append(tuple(float(a) for a in arr))
    return tuple(out)


@dataclass(frozen=True)
class Network:
    """A bias-free fully connected network: widths :math:`(m_0, \\dots, m_L)` and slopes.

    Parameters
    ----------
    widths:
        ``(d, m_1, ..., m_{L-1}, o)``; every entry an integer >= 1, at least two entries.
    slopes:
        Negative-side slopes of the hidden activations: a number for every hidden
        unit, or one entry per hidden layer, each a number (all units of the layer)
        or a tuple of ``m_l`` per-unit slopes.  Default: ReLU everywhere.
    """

    widths: tuple
    slopes: tuple = field(default=())

    def __post_init__(self):
        widths = tuple(self.widths) if not isinstance(self.widths, (int, np.integer)) else None
        if widths is None or len(widths) < 2:
            raise ValueError(f"widths: need at least (input_dim, output_dim), got {self.widths!r}")
        names = ["input_dim"] + [f"width[{i}]" for i in range(1, len(widths) - 1)] + ["output_dim"]
        widths = tuple(checks.positive_int(n, w) for n, w in zip(names, widths))
        object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "slopes", _normalise_slopes(self.slopes, widths[1:-1]))

    @classmethod
    def uniform(cls, *, depth: int, width: int, input_dim: int, output_dim: int = 1,
                slope: float = 0.0) -> "Network":
        """Network with ``depth`` weight layers, all hidden layers of width ``width``."""
        depth = checks.positive_int("depth", depth)
        width = checks.positive_int("width", width)
        input_dim = checks.positive_int("input_dim", input_dim)
        output_dim = checks.positive_int("output_dim", output_dim)
        widths = (input_dim,) + (width,) * (depth - 1) + (output_dim,)
        return cls(widths=widths, slopes=slope)

    @property
    def depth(self) -> int:
        """Number of weight layers :math:`L`."""
        return len(self.widths) - 1

    @property
    def input_dim(self) -> int:
        return self.widths[0]

    @property
    def output_dim(self) -> int:
        return self.widths[-1]

    @property
    def hidden_widths(self) -> tuple:
        return self.widths[1:-1]

    @property
    def num_params(self) -> int:
        return int(sum(a * b for a, b in zip(self.widths[:-1], self.widths[1:])))

    @property
    def is_relu(self) -> bool:
        """True when every hidden unit is a plain ReLU (slope 0)."""
        return all(np.all(np.asarray(s) == 0.0) for s in self.slopes)

    def slope_vector(self, layer: int) -> np.ndarray:
        """Per-unit slopes of hidden layer ``layer`` (1-based), shape ``(m_layer,)``."""
        s = self.slopes[layer - 1]
        return np.broadcast_to(np.asarray(s, dtype=np.float64), (self.widths[layer],)).copy()

    def effective_widths(self) -> np.ndarray:
        r"""Effective widths :math:`c_i = \sum_j (1 + a_{ij}^2)/2`, :math:`i = 1..L-1`.

        ReLU gives :math:`c_i = m_i/2`, an identity layer :math:`c_i = m_i`
        (THEORY.md §2, positively homogeneous activations).
        """
        out = np.empty(self.depth - 1, dtype=np.float64)
        for i, (s, m) in enumerate(zip(self.slopes, self.hidden_widths)):
            if np.ndim(s) == 0:  # one slope for the layer: no per-unit vector needed
                out[i] = m * (1.0 + float(s) ** 2) / 2.0
            else:
                out[i] = float(np.sum((1.0 + np.asarray(s) ** 2) / 2.0))
        return out
