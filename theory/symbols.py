r"""The SymPy symbols every closed form of the package is written in.

:math:`L` depth (weight layers), :math:`m` hidden width, :math:`d` input dimension,
:math:`o` output dimension, :math:`r = \|x\|_2`, :math:`a` negative-side slope of the
hidden activations, :math:`T` training time, :math:`\sigma` noise scale,
:math:`n` dataset size, :math:`G` Lipschitz constant of the loss,
:math:`B` expected squared gradient-norm constant, :math:`\eta` step size,
:math:`\varepsilon` KL budget, :math:`R` comparator distance, :math:`k` rank of the
gradient span (written :math:`r_S` in formulas to keep it apart from :math:`r`).
"""

import sympy as sp

L = sp.Symbol("L", integer=True, positive=True)
m, d, o = sp.symbols("m d o", integer=True, positive=True)
r = sp.Symbol("r", positive=True)
a = sp.Symbol("a", real=True)
T, sigma, G, B, eta, eps, R = sp.symbols(r"T sigma G B eta varepsilon R", positive=True)
n = sp.Symbol("n", integer=True, positive=True)
rank = sp.Symbol("r_S", integer=True, positive=True)
delta_sq = sp.Symbol(r"\|\Delta\|^2", nonnegative=True)
layer = sp.Symbol("l", integer=True, positive=True)
