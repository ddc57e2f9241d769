r"""Initialisation schemes: per-layer weight variances :math:`\beta_l` (THEORY.md §1).

Every weight of layer :math:`l` is drawn iid :math:`\mathcal N(0, \beta_l)`.  With
fan-in :math:`m_{l-1}` and fan-out :math:`m_l`:

==========  ==========================================================================
scheme      :math:`\beta_l`
==========  ==========================================================================
LeCun       :math:`1/m_{l-1}`
Xavier      :math:`2/(m_{l-1} + m_l)` (Glorot & Bengio 2010)
He          :math:`2/m_{l-1}` (He et al. 2015)
NTK         :math:`2/m_l` for :math:`l < L` (first layer :math:`2/m_1`, not :math:`2/d`),
            :math:`1/o` for the last layer (Allen-Zhu, Li, Song 2019, Def. 2.3)
==========  ==========================================================================

The same rule serves numbers (floats) and SymPy expressions: pass SymPy widths to
get exact variances.  :class:`CustomScheme` takes explicit per-layer variances.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy as sp

from theory import checks

__all__ = ["InitScheme", "CustomScheme", "SCHEMES", "SCHEME_NAMES", "get_scheme"]


@dataclass(frozen=True)
class InitScheme:
    """A named variance rule :math:`\\beta_l = \\text{rule}(m_{l-1}, m_l, l = L)`."""

    name: str
    label: str
    reference: str
    latex: str
    rule: Callable = field(compare=False, repr=False)

    def variances(self, widths) -> np.ndarray:
        """Float64 :math:`(\\beta_1, \\dots, \\beta_L)` for widths :math:`(m_0, \\dots, m_L)`."""
        widths = [float(w) for w in _widths_of(widths)]
        depth = len(widths) - 1
        return np.array(
            [self.rule(widths[l - 1], widths[l], l == depth) for l in range(1, depth + 1)],
            dtype=np.float64,
        )

    def symbolic_variances(self, widths) -> list:
        """Exact SymPy :math:`(\\beta_1, \\dots, \\beta_L)`; widths may be integers or symbols."""
        widths = [sp.sympify(w) for w in _widths_of(widths)]
        depth = len(widths) - 1
        return [self.rule(widths[l - 1], widths[l], l == depth)
                for l in range(1, depth + 1)]

    def layer_variance(self, fan_in, fan_out, *, last: bool):
        """:math:`\\beta` of one layer from its fan-in and fan-out (symbols allowed)."""
        return self.rule(fan_in, fan_out, last)


@dataclass(frozen=True)
class CustomScheme:
    """User-given per-layer variances :math:`(\\beta_1, \\dots, \\beta_L)`, all finite and > 0."""

    betas: tuple
    name: str = "custom"
    label: str = "Custom"

    def __post_init__(self):
        arr = checks.positive_array("beta", self.betas)
        object.__setattr__(self, "betas", tuple(float(b) for b in arr))

    def _check(self, widths):
        depth = len(_widths_of(widths)) - 1
        if len(self.betas) != depth:
            raise ValueError(f"beta: expected {depth} per-layer variances, got {len(self.betas)}")

    def variances(self, widths) -> np.ndarray:
        self._check(widths)
        return np.array(self.betas, dtype=np.float64)

    def symbolic_variances(self, widths) -> list:
        self._check(widths)
        return [sp.Rational(b) for b in self.betas]


def _widths_of(widths):
    return widths.widths if hasattr(widths, "widths") else tuple(widths)


def _one(x):
    return sp.Integer(1) if isinstance(x, sp.Basic) else 1.0


def _lecun(fan_in, fan_out, last):
    return _one(fan_in) / fan_in


def _xavier(fan_in, fan_out, last):
    return 2 * _one(fan_in) / (fan_in + fan_out)


def _he(fan_in, fan_out, last):
    return 2 * _one(fan_in) / fan_in


def _ntk(fan_in, fan_out, last):
    return _one(fan_out) / fan_out if last else 2 * _one(fan_out) / fan_out


SCHEMES = {
    "lecun": InitScheme("lecun", "LeCun", "LeCun et al. 1998", r"1/m_{l-1}", _lecun),
    "xavier": InitScheme("xavier", "Xavier", "Glorot & Bengio 2010", r"2/(m_{l-1}+m_l)", _xavier),
    "he": InitScheme("he", "He", "He et al. 2015", r"2/m_{l-1}", _he),
    "ntk": InitScheme("ntk", "NTK", "Allen-Zhu, Li & Song 2019, Def. 2.3",
                      r"2/m_l\ (l<L),\ 1/o\ (l=L)", _ntk),
}
SCHEME_NAMES = tuple(SCHEMES)


def get_scheme(scheme) -> "InitScheme | CustomScheme":
    """Look up a scheme by name (``lecun``, ``xavier``, ``he``, ``ntk``) or pass one through.

    A sequence of numbers is taken as custom per-layer variances.
    """
    if isinstance(scheme, (InitScheme, CustomScheme)):
        return scheme
    if isinstance(scheme, str):
        key = scheme.strip().lower()
        if key not in SCHEMES:
            raise ValueError(f"init: unknown scheme {scheme!r}; choose from {', '.join(SCHEME_NAMES)}")
        return SCHEMES[key]
    try:
        return CustomScheme(tuple(scheme))
    except TypeError:
        raise ValueError(f"init: expected a scheme name or per-layer variances, got {scheme!r}") from None
