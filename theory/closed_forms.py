r"""Per-scheme closed forms of :math:`B(L) = \mathbb E\|\nabla_W f(x; W_0)\|^2` for uniform width.

All hidden widths equal :math:`m`, input dimension :math:`d`, :math:`o` outputs,
:math:`\|x\| = r`, hidden slope :math:`a` (ReLU: :math:`a = 0`), effective width
:math:`c = m(1 + a^2)/2`.  SymPy derives each form from the product formula of
:mod:`theory.gradient_norm`: for :math:`L \ge 2` the layers split into the first
(fan-in :math:`d`), :math:`L-2` middle ones (:math:`m \to m`) and the last
(:math:`m \to o`), so

.. math::

    B(L) = o r^2 c^{L-1} \beta_1 \beta_{\rm mid}^{L-2} \beta_L
    \Big(\frac1{\beta_1} + \sum_{l=2}^{L-1} \frac1{\beta_{\rm mid}} + \frac1{\beta_L}\Big),
    \qquad B(1) = o r^2 .

Worked cases (THEORY.md §2, ReLU): LeCun :math:`o r^2 2^{-(L-1)}(1 + (L-1)m/d)`,
He :math:`o r^2 (1 + (L-1) m/d)`.  This module derives Xavier and NTK the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from theory import symbols as S
from theory.schemes import SCHEMES, InitScheme, get_scheme

__all__ = ["UniformClosedForm", "uniform_closed_form"]


@dataclass(frozen=True)
class UniformClosedForm:
    """Closed form of :math:`B(L)` for one scheme, valid for :math:`L \\ge 2`; :math:`B(1) = o r^2`."""

    scheme: str
    expr: sp.Expr            # L >= 2, ReLU slope a kept as symbol when requested
    per_layer: tuple         # (first, middle, last) layer terms, L >= 2
    betas: tuple             # (beta_1, beta_mid, beta_L)

    @property
    def piecewise(self) -> sp.Piecewise:
        return sp.Piecewise((S.o * S.r**2, sp.Eq(S.L, 1)), (self.expr, True))

    @property
    def latex(self) -> str:
        return sp.latex(self.expr)

    @property
    def piecewise_latex(self) -> str:
        return sp.latex(self.piecewise)

    def evaluate(self, *, depth: int, width: int, input_dim: int, output_dim: int = 1,
                 x_norm=1, slope=0):
        """Exact SymPy value at the given integers (used to cross-check numerics)."""
        values = {S.L: depth, S.m: width, S.d: input_dim, S.o: output_dim,
                  S.r: sp.nsimplify(x_norm), S.a: sp.nsimplify(slope)}
        return sp.nsimplify(self.piecewise.subs(values))


def _tidy(expr: sp.Expr) -> sp.Expr:
    """A readable equivalent: powers of two collected, then the rational part factored."""
    expr = sp.powsimp(sp.expand_power_base(sp.simplify(expr), force=True), force=True)
    expr = sp.powsimp(sp.simplify(expr), force=True)
    candidates = [expr, sp.factor(expr), sp.factor_terms(expr)]
    candidates = [sp.powsimp(c, force=True, combine="exp") for c in candidates]
    return min(candidates, key=sp.count_ops)


@lru_cache(maxsize=None)
def _derive(name: str, with_slope: bool) -> UniformClosedForm:
    scheme: InitScheme = SCHEMES[name]
    L, m, d, o, r, l = S.L, S.m, S.d, S.o, S.r, S.layer
    a = S.a if with_slope else sp.Integer(0)
    b1 = scheme.layer_variance(d, m, last=False)
    bmid = scheme.layer_variance(m, m, last=False)
    blast = scheme.layer_variance(m, o, last=True)
    c = m * (1 + a**2) / 2
    pre = o * r**2 * c ** (L - 1) * b1 * bmid ** (L - 2) * blast
    first, mid, last = pre / b1, pre / bmid, pre / blast
    total = first + sp.Sum(mid, (l, 2, L - 1)).doit() + last
    return UniformClosedForm(
        scheme=name,
        expr=_tidy(total),
        per_layer=tuple(_tidy(t) for t in (first, mid, last)),
        betas=(b1, bmid, blast),
    )


def uniform_closed_form(scheme, *, slope: bool = False) -> UniformClosedForm:
    r"""Derived closed form of :math:`B(L)` for a named scheme at uniform hidden width.

    ``slope=True`` keeps the hidden slope :math:`a` as a symbol (leaky ReLU);
    otherwise ReLU (:math:`a = 0`).  THEORY.md §2.
    """
    scheme = get_scheme(scheme)
    if not isinstance(scheme, InitScheme):
        raise ValueError("init: closed forms exist for the named schemes only")
    return _derive(scheme.name, bool(slope))
