"""Turn the package's SymPy closed forms into cached float64 NumPy functions.

Numeric evaluation goes through the derived expression itself, so each formula
lives in exactly one place: its SymPy derivation.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp


@lru_cache(maxsize=None)
def compiled(expr: sp.Expr, args: tuple):
    """``lambdify(args, expr, 'numpy')``, cached on the (hashable) expression."""
    return sp.lambdify(args, expr, modules="numpy")
