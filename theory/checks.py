"""Argument checks shared by every public function of the package.

Each check raises :class:`ValueError` whose message starts with the parameter
name, so the command line can turn it into one line and exit status 2.
"""

from __future__ import annotations

import math
import numbers
from typing import Iterable

import numpy as np


def positive_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` >= ``minimum`` or raise ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {value}")
    return value


def positive_float(name: str, value, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float > 0 (>= 0 with ``allow_zero``)."""
    value = finite_float(name, value)
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: must be {bound}, got {value}")
    return value


def finite_float(name: str, value) -> float:
    """Return ``value`` as a finite float."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be finite, got {value}")
    return value


def positive_array(name: str, values: Iterable, *, allow_zero: bool = False) -> np.ndarray:
    """Return a 1-d float64 array of finite values > 0 (>= 0 with ``allow_zero``)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numbers, got {values!r}") from None
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-d sequence, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: all values must be finite")
    if np.any(arr < 0) or (not allow_zero and np.any(arr == 0)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: all values must be {bound}")
    return arr


def choice(name: str, value, options: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``options``, else raise naming ``name``."""
    options = tuple(options)
    if value not in options:
        raise ValueError(f"{name}: unknown value {value!r}; choose from {', '.join(options)}")
    return value
