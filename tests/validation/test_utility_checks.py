"""Utility validation report: verdicts, the privacy–utility curve against hand formulas, the markdown.

The report's z-tests run at family-wise false-failure rate ALPHA = 1e-4 (Bonferroni over every required
comparison), fixed seeds; what they can detect is the subject of tests/numerics/test_utility.py.
"""

import math

import numpy as np
import pytest

from tests.stats import ALPHA
from validation import utility_checks as U

TINY = {**U.QUICK_UTILITY_CONFIG, "width": 16, "depths": (2, 3), "runs": 16, "sigmas": (0.01, 0.001),
        "lrs": (0.1, 0.5), "tradeoff_max_steps": 300}


@pytest.fixture(scope="module")
def res():
    return U.run_utility(TINY, alpha=ALPHA)


def test_discrete_bounds_pass_and_every_row_is_reported(res):
    assert res["passed"]
    assert len(res["rows"]) == 4 * len(TINY["depths"]) * len(TINY["sigmas"]) * len(TINY["lrs"])
    for r in res["rows"]:
        assert r["lipschitz_holds"] and r["smooth_holds"] is not False
        assert r["bound_lipschitz"] >= r["bound_continuous"]
        assert (r["bound_smooth"] is None) == (r["lr_beta_s"] > 1)
    # the finding of THEORY.md §4: at sigma = 0.001 the continuous form fails for the larger steps
    assert any(r["sigma"] == 0.001 and r["lr"] == 0.5 for r in res["rows"] if not r["continuous_holds"])
    assert res["family"] == sum(1 + (r["bound_smooth"] is not None) for r in res["rows"])


def test_curve_against_hand_formulas(res):
    """excess* = G R sqrt(2 r B / eps)/n and T* = R n sqrt(eps/(2 r G^2 B)) (THEORY.md §4, typed here),
    B for LeCun = 2^{1-L}(1 + (L-1) m/d) (THEORY.md §2)."""
    for r in res["curve"]:
        n, rank, B, eps = r["n"], r["rank"], r["B"], r["eps"]
        if r["scheme"] == "lecun":
            L, m, d = r["depth"], TINY["width"], 64
            assert B == pytest.approx(2.0 ** (1 - L) * (1 + (L - 1) * m / d), rel=1e-12)
        for which in ("best", "target"):
            p = r[which]
            assert p["excess_bound"] == pytest.approx(p["R"] * math.sqrt(2 * rank * B / eps) / n, rel=1e-10)
            assert p["T_opt"] == pytest.approx(p["R"] * n * math.sqrt(eps / (2 * rank * B)), rel=1e-10)
            assert p["loss_bound"] == pytest.approx(p["comparator_loss"] + p["excess_bound"], rel=1e-12)
            assert p["steps"] * p["lr"] == pytest.approx(p["T_opt"], rel=1e-12)
            assert np.isfinite(p["measured_excess"])
        assert r["target"]["comparator_loss"] == pytest.approx(TINY["target_loss"], rel=1e-8)
        # the best comparator minimises the guarantee over the ridge path, the target one is on it
        assert r["best"]["loss_bound"] <= r["target"]["loss_bound"] * (1 + 1e-6)


def test_markdown_reports_verdicts_and_failures(res):
    md = U.to_markdown(res)
    assert "**PASS**" in md and "Privacy–utility curve" in md
    assert md.count("**violated**") == sum(not r["continuous_holds"] for r in res["rows"])
    assert md.count("| lecun |") == len(TINY["depths"]) * (len(TINY["sigmas"]) * len(TINY["lrs"]) + 1)
