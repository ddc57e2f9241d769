r"""Depth and width trends of :math:`B(L)` per scheme, proved in SymPy (THEORY.md §2).

For uniform hidden width :math:`m` and ReLU, adding a layer (:math:`L \to L+1`, the
new hidden layer also of width :math:`m`) changes :math:`B` by

.. math:: B(L+1) - B(L) = (\text{positive factor}) \times P(L, m, d, o),

and SymPy isolates :math:`P` by dropping the factors it can prove positive.  For
:math:`L \ge 2` it substitutes :math:`L = 2 + k` (:math:`k \ge 0`) and proves the sign
of :math:`P` outright when it can.  The first step :math:`L = 1 \to 2` is separate,
since :math:`B(1) = o r^2` has no hidden layer.  Results (derived, not typed in):

* LeCun: depth helps iff :math:`(2 - L)m < d`, i.e. always for :math:`L \ge 2`, and
  for :math:`L = 1` iff :math:`m < d`.  :math:`B \to 0` as :math:`L \to \infty`.
* Xavier: always for :math:`L \ge 2`; for :math:`L = 1` iff :math:`m^2 < d\,o`.
  :math:`B \to 0` in depth and stays bounded in width.
* He: never (:math:`B(L+1) - B(L) = o r^2 m/d`).  NTK: never (:math:`r^2 m/2`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from theory import symbols as S
from theory.closed_forms import uniform_closed_form
from theory.schemes import get_scheme

__all__ = ["DepthTrend", "depth_trend"]

_k = sp.Symbol("k", integer=True, nonnegative=True)


@dataclass(frozen=True)
class DepthTrend:
    """What adding one layer does to :math:`B`, for one scheme (uniform width, ReLU)."""

    scheme: str
    ratio: sp.Expr               # B(L+1)/B(L), L >= 2
    difference: sp.Expr          # B(L+1) - B(L), L >= 2
    sign_factor: sp.Expr         # P: sign(B(L+1)-B(L)) = sign(P), L >= 2
    sign_for_deep: int | None    # proven sign of P for every L >= 2 (None: not decided)
    first_step_difference: sp.Expr   # B(2) - B(1)
    first_step_condition: sp.Basic   # B(2) < B(1) as a relation in m, d, o
    region: sp.Basic             # where B(L+1) < B(L), over (L, m, d, o)
    limit_depth: sp.Expr         # lim_{L->oo} B(L)
    limit_width: sp.Expr         # lim_{m->oo} B(L), L >= 2

    def depth_helps(self, *, depth: int, width: int, input_dim: int, output_dim: int = 1) -> bool:
        """True iff :math:`B(L+1) < B(L)` at these integers, read off :attr:`region`."""
        values = {S.L: depth, S.m: width, S.d: input_dim, S.o: output_dim}
        return bool(self.region.subs(values))

    @property
    def statement(self) -> str:
        """One readable sentence stating the proven trend."""
        name = get_scheme(self.scheme).label
        deep = {-1: "decreases B at every L >= 2", 1: "increases B at every L >= 2",
                0: "leaves B unchanged at every L >= 2"}.get(
                    self.sign_for_deep, f"decreases B where {sp.sstr(self.sign_factor)} < 0")
        first = {"never": "never decreases it", "always": "always decreases it"}.get(
            self._first_step("sstr"), f"decreases it iff {self._first_step('sstr')}")
        return f"{name}: adding a layer {deep}; going from L = 1 to L = 2 {first}."

    @property
    def latex_summary(self) -> str:
        r"""The same in a table cell: ``$\downarrow$ for $L\geq 2$; $L{=}1\to 2$: iff $d > m$``."""
        deep = {-1: r"$\downarrow$", 1: r"$\uparrow$", 0: "$=$"}.get(
            self.sign_for_deep, rf"$\downarrow$ where ${sp.latex(self.sign_factor)} < 0$")
        first = self._first_step("latex")
        first = first if first in ("never", "always") else f"iff ${first}$"
        return rf"{deep} for $L\geq 2$; $L{{=}}1\to 2$: {first}"

    def _first_step(self, printer: str) -> str:
        """``never``/``always``, or the condition for B(2) < B(1) printed by ``sp.<printer>``."""
        if self.first_step_condition is sp.false:
            return "never"
        if self.first_step_condition is sp.true:
            return "always"
        return getattr(sp, printer)(self.first_step_condition)


def _sign_factor(expr: sp.Expr) -> sp.Expr:
    """Drop the factors of ``expr`` that SymPy proves positive; keep the sign-carrying rest."""
    num, den = sp.fraction(sp.factor(sp.together(expr)))
    out = sp.Integer(1)
    for part in (num, den):
        for f in sp.Mul.make_args(sp.factor(part)):
            if f.is_positive:
                continue
            if f.is_negative:
                out = -out
                continue
            out *= f if part is num else 1 / f
    return sp.expand(out)


def _proven_sign(expr: sp.Expr, assume_deep: bool) -> int | None:
    e = sp.expand(expr.subs(S.L, 2 + _k)) if assume_deep else expr
    if e.is_zero:
        return 0
    if e.is_positive:
        return 1
    if e.is_negative:
        return -1
    return None


@lru_cache(maxsize=None)
def _derive(name: str) -> DepthTrend:
    B = uniform_closed_form(name).expr
    L = S.L
    ratio = sp.simplify(sp.powsimp(B.subs(L, L + 1) / B, force=True))
    diff = sp.simplify(B.subs(L, L + 1) - B)
    P = _sign_factor(diff)
    sign = _proven_sign(P, assume_deep=True)

    first = sp.simplify(B.subs(L, 2) - S.o * S.r**2)
    P1 = _sign_factor(first)
    cond1 = sp.simplify(sp.Lt(P1, 0)) if _proven_sign(P1, False) is None else sp.sympify(
        _proven_sign(P1, False) < 0)

    if sign == -1:
        deep_region = sp.Ge(L, 2)
    elif sign in (0, 1):
        deep_region = sp.false
    else:
        deep_region = sp.And(sp.Ge(L, 2), sp.Lt(P, 0))
    region = sp.Or(sp.And(sp.Eq(L, 1), cond1), deep_region)

    return DepthTrend(
        scheme=name, ratio=ratio, difference=diff, sign_factor=P, sign_for_deep=sign,
        first_step_difference=first, first_step_condition=cond1, region=region,
        limit_depth=sp.limit(B, L, sp.oo),
        limit_width=sp.simplify(sp.limit(B.subs(L, 2 + _k), S.m, sp.oo).subs(_k, L - 2)),
    )


def depth_trend(scheme) -> DepthTrend:
    r"""Proven depth trend of :math:`B` for a named scheme (uniform width, ReLU, THEORY.md §2)."""
    s = get_scheme(scheme)
    if not hasattr(s, "rule"):
        raise ValueError("init: depth trends exist for the named schemes only")
    return _derive(s.name)
