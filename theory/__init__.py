"""Closed forms (SymPy) and their robust numeric evaluation.

Imports nothing else of the package.  See THEORY.md for notation.
"""

from theory.closed_forms import UniformClosedForm, uniform_closed_form
from theory.gradient_norm import (GradNormProfile, gradient_norm_profile,
                                  log_expected_sq_grad_norm, log_expected_sq_grad_norm_per_layer,
                                  symbolic_expected_sq_grad_norm_per_layer)
from theory.network import Network
from theory.schemes import SCHEME_NAMES, SCHEMES, CustomScheme, InitScheme, get_scheme
from theory.trends import DepthTrend, depth_trend

__all__ = [
    "Network", "InitScheme", "CustomScheme", "SCHEMES", "SCHEME_NAMES", "get_scheme",
    "GradNormProfile", "gradient_norm_profile", "log_expected_sq_grad_norm",
    "log_expected_sq_grad_norm_per_layer", "symbolic_expected_sq_grad_norm_per_layer",
    "UniformClosedForm", "uniform_closed_form", "DepthTrend", "depth_trend",
]
