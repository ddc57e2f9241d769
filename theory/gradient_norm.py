r"""Exact finite-width expected squared gradient norm at initialisation (THEORY.md §2).

For the network of :mod:`theory.network` with iid :math:`\mathcal N(0, \beta_l)`
weights, any input with :math:`\|x\|_2 = r` and effective widths
:math:`c_i = \sum_j (1 + a_{ij}^2)/2`,

.. math::

    \mathbb E\,\Big\|\frac{\partial f}{\partial W_l}\Big\|_F^2
      = o\, r^2 \prod_{i=1}^{L-1} c_i \prod_{i \ne l} \beta_i ,
    \qquad
    \mathbb E\,\|\nabla_W f(x; W_0)\|^2 = \sum_{l=1}^{L} \mathbb E\,\Big\|\frac{\partial f}{\partial W_l}\Big\|_F^2 .

It is exact at every finite width: :math:`\|\partial f/\partial W_l\|_F^2 =
\|\Delta_l\|_F^2\,\|h_{l-1}\|^2` with :math:`\Delta_l = \partial f/\partial g_l`; the
forward second moments obey :math:`q_l = \beta_l c_l q_{l-1}`, :math:`q_0 = r^2`,
and the backward ones :math:`p_{l-1} = \beta_l c_{l-1} p_l`, :math:`p_L = o`
(sign-flip symmetry of each weight row: :math:`\phi'(g)^2 + \phi'(-g)^2 = 1 + a^2`),
and the two factors are uncorrelated, so the layer-:math:`l` term is
:math:`p_l\,q_{l-1}`.  :func:`derive_product_formula` carries out this recursion
in SymPy; :func:`log_expected_sq_grad_norm_per_layer` evaluates the product in log
space, finite at depth :math:`10^4` and width :math:`10^6`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.special import logsumexp

from theory import checks
from theory.network import Network
from theory.schemes import get_scheme

__all__ = [
    "GradNormProfile",
    "gradient_norm_profile",
    "log_expected_sq_grad_norm_per_layer",
    "log_expected_sq_grad_norm",
    "symbolic_expected_sq_grad_norm_per_layer",
    "derive_product_formula",
]

_LOG_MAX = float(np.log(np.finfo(np.float64).max))


@dataclass(frozen=True)
class GradNormProfile:
    """Per-layer and total expected squared gradient norm, carried in log space."""

    log_per_layer: tuple
    log_total: float
    betas: tuple

    @property
    def per_layer(self) -> list:
        """Per-layer values as floats; ``None`` for a value that overflows float64."""
        return [float(np.exp(v)) if v < _LOG_MAX else None for v in self.log_per_layer]

    @property
    def total(self):
        """Total as a float, or ``None`` when it does not fit in a float64."""
        return float(np.exp(self.log_total)) if self.log_total < _LOG_MAX else None

    @property
    def shares(self) -> np.ndarray:
        """Fraction of the total carried by each layer (sums to 1)."""
        return np.exp(np.asarray(self.log_per_layer) - self.log_total)


def log_expected_sq_grad_norm_per_layer(network: Network, scheme, *, x_norm: float = 1.0) -> np.ndarray:
    r""":math:`\log \mathbb E\|\partial f/\partial W_l\|_F^2`, :math:`l = 1..L`, in float64.

    .. math:: \log o + 2\log r + \sum_{i=1}^{L-1}\log c_i + \sum_{i=1}^{L}\log\beta_i - \log\beta_l

    THEORY.md §2.  ``scheme`` is a name, an :class:`~theory.schemes.InitScheme`, or
    a sequence of per-layer variances.
    """
    r = checks.positive_float("x_norm", x_norm)
    scheme = get_scheme(scheme)
    log_beta = np.log(scheme.variances(network))
    c = network.effective_widths()
    if np.any(c <= 0):  # cannot happen for real slopes; kept as a guard
        raise ValueError("slopes: effective width must be > 0")
    common = np.log(network.output_dim) + 2.0 * np.log(r) + np.sum(np.log(c)) + np.sum(log_beta)
    return common - log_beta


def log_expected_sq_grad_norm(network: Network, scheme, *, x_norm: float = 1.0) -> float:
    r""":math:`\log \mathbb E\|\nabla_W f(x; W_0)\|^2` (log-sum-exp of the per-layer logs)."""
    return float(logsumexp(log_expected_sq_grad_norm_per_layer(network, scheme, x_norm=x_norm)))


def gradient_norm_profile(network: Network, scheme, *, x_norm: float = 1.0) -> GradNormProfile:
    """Per-layer and total expected squared gradient norms with the variances used."""
    scheme = get_scheme(scheme)
    logs = log_expected_sq_grad_norm_per_layer(network, scheme, x_norm=x_norm)
    return GradNormProfile(
        log_per_layer=tuple(float(v) for v in logs),
        log_total=float(logsumexp(logs)),
        betas=tuple(float(b) for b in scheme.variances(network)),
    )


def _exact_effective_widths(network: Network) -> list:
    out = []
    for s, m in zip(network.slopes, network.hidden_widths):
        if np.ndim(s) == 0:
            out.append(m * (1 + sp.Rational(float(s)) ** 2) / 2)
        else:
            out.append(sum((1 + sp.Rational(float(a)) ** 2) / 2 for a in s))
    return out


def symbolic_expected_sq_grad_norm_per_layer(network: Network, scheme, *, x_norm=1) -> list:
    r"""Exact (rational) per-layer :math:`\mathbb E\|\partial f/\partial W_l\|_F^2` via SymPy.

    Evaluates :math:`o r^2 \prod_i c_i \prod_{i\ne l}\beta_i` with exact arithmetic;
    ``x_norm`` may be a SymPy symbol.  Used to cross-check the log-space evaluator.
    """
    scheme = get_scheme(scheme)
    betas = scheme.symbolic_variances(network)
    c = _exact_effective_widths(network)
    r = sp.sympify(x_norm)
    pre = network.output_dim * r**2 * sp.Mul(*c)
    return [sp.nsimplify(pre * sp.Mul(*[b for i, b in enumerate(betas) if i != l]))
            for l in range(network.depth)]


def derive_product_formula(depth: int):
    r"""Derive the per-layer formula from the moment recursions, in SymPy, for fixed ``depth``.

    With symbols :math:`\beta_i, c_i, o, r`: forward :math:`q_0 = r^2`,
    :math:`q_l = \beta_l c_l q_{l-1}`; backward :math:`p_L = o`,
    :math:`p_{l-1} = \beta_l c_{l-1} p_l`; layer term :math:`p_l q_{l-1}`.
    Returns ``(terms_from_recursion, terms_from_product_formula)``; they are equal
    (the test suite checks ``simplify(a - b) == 0``).
    """
    depth = checks.positive_int("depth", depth)
    beta = sp.IndexedBase("beta", positive=True)
    c = sp.IndexedBase("c", positive=True)
    o, r = sp.symbols("o r", positive=True)
    q = [r**2]
    for l in range(1, depth):
        q.append(beta[l] * c[l] * q[-1])
    p = {depth: o}
    for l in range(depth, 1, -1):
        p[l - 1] = beta[l] * c[l - 1] * p[l]
    recursion = [sp.expand(p[l] * q[l - 1]) for l in range(1, depth + 1)]
    prod_c = sp.Mul(*[c[i] for i in range(1, depth)])
    formula = [sp.expand(o * r**2 * prod_c * sp.Mul(*[beta[i] for i in range(1, depth + 1) if i != l]))
               for l in range(1, depth + 1)]
    return recursion, formula
