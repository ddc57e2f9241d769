"""The samplers' spread of S = ||grad_W f||^2 against THEORY.md §2's exact finite-width values.

He initialisation, d = m, scalar output, ||x|| = 1: E S = 1 + (L-1) m/d and
Var(S)/E[S]^2 = 3/m at L = 2, (58 m + 113)/(9 m^2) at L = 3 (THEORY.md §2, "Finite-width
spread"; the L = 2 value is also a two-line hand computation: S = sum_j 1[g_j > 0](g_j^2 + w_j^2)
with iid terms).  Figure 9 plots this spread, so the sampler that draws it (auto: scalar for
ReLU, one output) and the matrix-free one are tested on the second moment
E S^2 = E[S]^2 (1 + ratio): a z-test at false-failure rate 1e-4, with enough samples that a 2%
error in E S^2 (a ratio off by about 0.08 at m = 8) is caught (asserted by assert_means_match).
"""

import jax
import numpy as np
import pytest

from numerics.sampling import draw
from numerics.spec import array_spec
from tests.stats import assert_means_match
from theory import Network

M = 8
CASES = [(2, 3 / M), (3, (58 * M + 113) / (9 * M**2))]


@pytest.mark.parametrize("method", ["scalar", "matrixfree"])
@pytest.mark.parametrize("depth,ratio", CASES, ids=["L2", "L3"])
def test_second_moment_matches_exact_spread(method, depth, ratio):
    spec = array_spec(Network.uniform(depth=depth, width=M, input_dim=M), "he")
    n = 1_000_000
    S = draw(spec, n, key=jax.random.key(17 + depth), method=method).sum(axis=1)
    mean = 1 + (depth - 1)
    assert_means_match(np.column_stack([S, S**2]), [mean, mean**2 * (1 + ratio)],
                       what=f"{method} L={depth} spread")
