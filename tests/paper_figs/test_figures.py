"""Every figure builds at tiny size; data files checked against theory; manifest; failures isolated."""

import csv
import json
import math

import numpy as np
import pytest

from paper_figs import build
from paper_figs.registry import FIGURES, register
from theory import Network, log_expected_sq_grad_norm


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("figs")
    build.build_figures(size="tiny", out_dir=d, quiet=True)
    return d


def _rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_every_figure_built_with_data_and_pictures(out):
    man = json.loads((out / "manifest.json").read_text())
    for name in build.load_all():
        entry = man["figures"][name]
        assert entry["status"] == "ok", entry.get("error")
        assert {"config", "seed", "runtime_s", "files", "key"} <= set(entry)
        exts = {f.rsplit(".", 1)[1] for f in entry["files"]}
        assert {"pdf", "png"} <= exts and exts & {"csv", "json"}
    assert {"versions", "git_commit", "platform", "size"} <= set(man)
    assert man["versions"]["numpy"] and man["versions"]["jax"]


@pytest.mark.parametrize("name,vary", [("grad_norm_vs_depth", "depth"), ("grad_norm_vs_width", "width")])
def test_grad_norm_data_agree_with_theory(out, name, vary):
    cfg = FIGURES[name].config("tiny")
    rows = _rows(out / f"{name}.csv")
    assert set(rows[0]) == {"scheme", vary, "theory", "log_theory", "mc_estimate", "mc_ci_lo", "mc_ci_hi"}
    n_mc = 0
    for r in rows:
        kw = dict(depth=cfg["depth"], width=cfg["width"], input_dim=cfg["input_dim"])
        kw[vary] = int(r[vary])
        lg = log_expected_sq_grad_norm(Network.uniform(**kw), r["scheme"])
        assert math.isclose(float(r["log_theory"]), lg, rel_tol=1e-12, abs_tol=1e-12)
        if r["mc_estimate"]:
            n_mc += 1
            lo, est, hi = float(r["mc_ci_lo"]), float(r["mc_estimate"]), float(r["mc_ci_hi"])
            assert lo < est < hi and all(np.isfinite([lo, est, hi]))
    assert n_mc > 0


def test_unchanged_figure_is_reused_and_force_rebuilds(out):
    before = json.loads((out / "manifest.json").read_text())["figures"]["grad_norm_vs_width"]
    man = build.build_figures(["grad_norm_vs_width"], size="tiny", out_dir=out, quiet=True)
    assert man["figures"]["grad_norm_vs_width"]["runtime_s"] == before["runtime_s"]  # reused
    man = build.build_figures(["grad_norm_vs_width"], size="tiny", out_dir=out, quiet=True, force=True)
    assert man["figures"]["grad_norm_vs_width"]["status"] == "ok"


def test_failing_figure_is_named_and_others_survive(tmp_path):
    @register("always_fails", "a figure that raises", {"tiny": {}, "default": {}, "full": {}})
    def _boom(cfg, out, *, progress):
        (out / "half.csv").write_text("partial")
        raise RuntimeError("boom")

    try:
        man = build.build_figures(["grad_norm_vs_width", "always_fails"], size="tiny", out_dir=tmp_path,
                                  quiet=True)
    finally:
        FIGURES.pop("always_fails")
    assert man["figures"]["always_fails"]["status"] == "failed"
    assert "boom" in man["figures"]["always_fails"]["error"]
    assert man["figures"]["grad_norm_vs_width"]["status"] == "ok"
    assert not (tmp_path / "half.csv").exists()  # nothing half-written left in the output folder


def test_unknown_figure_name():
    with pytest.raises(ValueError, match="only"):
        build.build_figures(["nope"], size="tiny", out_dir="/tmp/never", quiet=True)


def test_layer_share_matches_hand_formula(out):
    """He, uniform width: layer 1 carries 1/(1 + (L-1) m/d) of the total (THEORY.md §2 worked case)."""
    cfg = FIGURES["layer_share"].config("tiny")
    rows = [r for r in _rows(out / "layer_share.csv") if r["scheme"] == "he"]
    L, m, d = cfg["depth"], cfg["width"], cfg["input_dim"]
    assert math.isclose(float(rows[0]["share"]), 1 / (1 + (L - 1) * m / d), rel_tol=1e-12)
    for s in ("lecun", "xavier", "he", "ntk"):
        assert math.isclose(sum(float(r["share"]) for r in _rows(out / "layer_share.csv") if r["scheme"] == s),
                            1.0, rel_tol=1e-12)


def test_kl_bound_map_matches_hand_formula(out):
    """LeCun: KL bound = T B/(sigma^2 n^2), B = 2^{1-L}(1 + (L-1) m/d) typed from THEORY.md."""
    cfg = FIGURES["kl_bound_map"].config("tiny")
    for r in _rows(out / "kl_bound_map.csv"):
        if r["scheme"] != "lecun":
            continue
        L, m, d = int(r["depth"]), int(r["width"]), cfg["input_dim"]
        B = 2.0 ** (1 - L) * (1 + (L - 1) * m / d)
        want = math.log10(cfg["T"] * B / (cfg["sigma"] ** 2 * cfg["n"] ** 2))
        assert math.isclose(float(r["log10_kl_bound"]), want, rel_tol=1e-10)
        assert int(r["depth_helps"]) == int(L >= 2 or m < d)


def test_tightness_ordering(out):
    for r in _rows(out / "tightness.csv"):
        f, t, b = float(r["final_kl"]), float(r["trajectory_kl"]), float(r["pathwise_bound"])
        assert 0 < f <= t * (1 + 1e-9) <= b * (1 + 1e-9)
