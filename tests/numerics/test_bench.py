"""Memory of one noisy-GD privacy step: the Gram trick never holds n x #params (issue #4, speed and memory).

Measured with XLA's own plan of the compiled step (``Compiled.memory_analysis``: arguments,
outputs, temporaries), which is exact and needs no run and no timing.
"""

import pytest

from numerics.bench import peak_bytes, privacy_step_functions
from theory import Network

D, M, L = 64, 256, 4


@pytest.fixture(scope="module")
def plans():
    out = {}
    for N in (100, 200):
        gram, per_example, args = privacy_step_functions(N, M, L, D)
        out[N] = (peak_bytes(gram, *args), peak_bytes(per_example, *args))
    return out


def test_gram_step_memory_does_not_grow_with_n_times_params(plans):
    """Doubling n adds O(n sum_l m_l + n^2) bytes to the Gram step: less than 5% of the
    100 x #params float64 a per-example Jacobian of the extra points would need."""
    params = Network.uniform(depth=L, width=M, input_dim=D).num_params
    jacobian_growth = (200 - 100) * params * 8
    assert plans[200][0] - plans[100][0] < 0.05 * jacobian_growth


def test_the_measurement_sees_a_per_example_jacobian(plans):
    """Power: the per-example step does hold the n x #params Jacobian, and the same measurement shows it."""
    params = Network.uniform(depth=L, width=M, input_dim=D).num_params
    assert plans[200][1] - plans[100][1] >= (200 - 100) * params * 8
    assert plans[200][1] > 10 * plans[200][0]


def test_the_two_benchmarked_steps_compute_the_same_step():
    """The speed ratio compares like with like: with the same key, the Gram step and the per-example
    step give the same new weights and the same largest neighbour gradient difference."""
    import numpy as np

    gram, per_example, args = privacy_step_functions(20, 16, 3, 8)
    (wa, ka), (wb, kb) = gram(*args), per_example(*args)
    np.testing.assert_allclose(float(ka), float(kb), rtol=1e-10)
    for a, b in zip(wa, wb):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-14)
