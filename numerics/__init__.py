"""JAX Monte Carlo of fully connected networks at initialisation.

Imports :mod:`theory` only for the network and initialisation specs.  float64 is
enabled on import: every number here is compared against theory.
"""

import jax

jax.config.update("jax_enable_x64", True)
