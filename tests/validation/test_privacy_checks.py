"""Privacy validation: the exact chain report, and the observation criteria on known curves."""

import json
import subprocess
import sys

import numpy as np

from validation import privacy_checks as P


def test_chain_holds_and_reports_lipschitz_failures():
    res = P.run_chain(P.CHAIN_CASES[:3] + [P.CHAIN_CASES[6]])
    assert res["passed"]
    assert res["lipschitz_failures"] >= 1  # the finding: initial-residual bound fails for squared loss
    for r in res["cases"]:
        assert 0 < r["final_over_trajectory"] <= 1 + 1e-9 and 0 < r["trajectory_over_pathwise"] <= 1 + 1e-9
    md = P.to_markdown(res, None)
    assert "PASS" in md and md.count("| he |") == 4


def test_observation_criteria_on_known_curves():
    t = np.arange(1, 51, dtype=float)
    assert P.obs1_linear_then_superlinear(0.1 * t + 1e-5 * t**3)["reproduced"]
    assert not P.obs1_linear_then_superlinear(0.1 * t)["reproduced"]  # linear throughout
    assert P.obs2_early_small({"lecun": 1e-6, "xavier": 2e-6, "he": 1e-4, "ntk": 1e-3})["reproduced"]
    assert not P.obs2_early_small({"lecun": 1e-5, "xavier": 2e-6, "he": 1e-5, "ntk": 1e-3})["reproduced"]
    assert P.obs3_wider_larger(t + 1, t)["reproduced"] and not P.obs3_wider_larger(t, t)["reproduced"]
    short = {2: 1.0, 4: 2.0, 8: 3.0, 12: 2.5, 16: 2.0}
    long = {2: 1.0, 4: 2.0, 8: 3.0, 12: 4.0, 16: 5.0}
    assert P.obs4_depth(short, long, 8)["reproduced"]
    assert not P.obs4_depth(long, long, 8)["reproduced"]
    assert P.obs4_depth({2: 1.0, 8: 0.5}, {2: 1.0, 8: 2.0}, 8)["short_decreases_beyond"] is None


def test_privacy_loss_cli_json_contract():
    res = subprocess.run([sys.executable, "-m", "initmatters", "privacy-loss", "--init", "lecun", "--depth", "2",
                          "--width", "8", "--data", "sphere", "--epochs", "6", "--runs", "2", "--lr", "0.05",
                          "--format", "json", "--quiet"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out) == {"epoch", "kl_mean", "kl_std", "bound", "train_loss", "train_accuracy", "config"}
    assert out["epoch"] == list(range(1, 7))
    kl, bound = np.array(out["kl_mean"]), np.array(out["bound"])
    assert np.all(np.diff(kl) > 0) and np.all(np.isfinite(kl)) and bound.shape == kl.shape
    # bound is linear in T (closed form), independently: T G^2 B / (sigma^2 n^2) with B = 1 + m/d (LeCun L=2)
    n, d, m = out["config"]["n"], 8, 8
    B = (1 + m / d) / 2
    np.testing.assert_allclose(bound, 0.05 * np.arange(1, 7) * B / (0.1**2 * n**2), rtol=1e-12)
    bad = subprocess.run([sys.executable, "-m", "initmatters", "privacy-loss", "--init", "he", "--depth", "2",
                          "--width", "8", "--classes", "0,12"], capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "classes" in bad.stderr


def test_a_diverged_training_run_makes_its_criteria_untestable(monkeypatch):
    """A configuration whose training diverges is recorded, and no verdict is drawn from it."""
    from numerics.noisy_gd import TrainingDiverged

    def fake(*, scheme, depth, width, model, epochs, **kw):
        if scheme == "ntk" and depth == 8:
            raise TrainingDiverged("lr: training diverged", runs=1, total=2, step=3)
        t = np.arange(1, epochs + 1, dtype=float)
        scale = {"lecun": 1e-4, "xavier": 2e-4, "he": 1.0, "ntk": 2.0}[scheme] * width * depth
        return {"kl_mean": (scale * t).tolist(), "kl_std": (0 * t).tolist(), "bound": (10 * scale * t).tolist()}

    from validation import privacy_loss as PL

    monkeypatch.setattr(PL, "privacy_loss", fake)
    PL.privacy_loss_or_diverged.cache_clear()
    try:
        obs = P.run_observations(P.QUICK_OBSERVATION_CONFIG)
    finally:
        PL.privacy_loss_or_diverged.cache_clear()
    assert list(obs["diverged"]) == ["ntk L=8 m=32 full"]
    assert "untestable" in obs["1_linear_then_superlinear"]["ntk"]
    assert "untestable" in obs["2_early_lecun_xavier_small"]["depth 8"]
    assert obs["2_early_lecun_xavier_small"]["depth 2"]["reproduced"]      # not touched by the divergence
    assert not obs["1_linear_then_superlinear"]["he"]["reproduced"]        # linear throughout: a verdict
    md = P.to_markdown(P.run_chain(P.CHAIN_CASES[:1]), obs)
    assert "untestable: training diverged for ntk 8 32" in md and "ntk L=8 m=32 full" in md
