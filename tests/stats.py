"""Calibrated statistical checks shared by the random tests.

Every check is two-sided with a family-wise false-failure rate ``alpha``
(default 1e-4), Bonferroni-split over the comparisons made together.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

ALPHA = 1e-4


def z_critical(alpha: float = ALPHA, comparisons: int = 1) -> float:
    """Two-sided critical |z| for a family of ``comparisons`` tests at total rate ``alpha``."""
    return float(stats.norm.isf(alpha / (2 * comparisons)))


def mean_and_stderr(samples: np.ndarray, axis=0):
    samples = np.asarray(samples, dtype=np.float64)
    n = samples.shape[axis]
    return samples.mean(axis=axis), samples.std(axis=axis, ddof=1) / np.sqrt(n)


def assert_means_match(samples, expected, *, alpha=ALPHA, detect_rel=0.02, what=""):
    """z-test of each column mean of ``samples`` against ``expected``.

    Also asserts the design has power: a relative error of ``detect_rel`` (2%)
    in ``expected`` would give |z| above the critical value plus 1.645 (i.e. it
    is caught with probability >= 95%).  Returns the z-scores.
    """
    samples = np.atleast_2d(np.asarray(samples, dtype=np.float64).T).T
    expected = np.atleast_1d(np.asarray(expected, dtype=np.float64))
    mean, se = mean_and_stderr(samples)
    zc = z_critical(alpha, comparisons=expected.size)
    z = (mean - expected) / se
    assert np.all(np.abs(z) < zc), f"{what}: z-scores {z} exceed {zc:.2f} (mean {mean}, theory {expected})"
    power_z = detect_rel * np.abs(expected) / se
    assert np.all(power_z > zc + 1.645), (
        f"{what}: too few samples to catch a {detect_rel:.0%} error (needs z {zc + 1.645:.2f}, "
        f"has {power_z})")
    return z


def assert_same_distribution(a, b, *, alpha=ALPHA, comparisons=1, what=""):
    """Two-sample KS test at family-wise rate ``alpha`` over ``comparisons`` tests."""
    p = stats.ks_2samp(np.asarray(a), np.asarray(b)).pvalue
    assert p > alpha / comparisons, f"{what}: KS p = {p:.3g} <= {alpha / comparisons:.3g}"
    return p
