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


def _by(rows, **kw):
    return [r for r in rows if all(r[k] == str(v) for k, v in kw.items())]


def test_kl_over_training_curves(out):
    cfg = FIGURES["kl_over_training"].config("tiny")
    rows = _rows(out / "kl_over_training.csv")
    assert set(rows[0]) == {"scheme", "epoch", "kl_mean", "kl_std", "kl_over_linear", "train_loss", "train_accuracy",
                            "status"}
    assert {r["status"] for r in rows} == {"ok"}
    for s in ("lecun", "xavier", "he", "ntk"):
        rs = _by(rows, scheme=s)
        kl = np.array([float(r["kl_mean"]) for r in rs])
        assert [int(r["epoch"]) for r in rs] == list(range(1, cfg["epochs"] + 1))
        assert np.all(kl > 0) and np.all(np.diff(kl) > 0)          # a sum of positive per-step KLs
        assert all(float(r["kl_std"]) >= 0 for r in rs)
        assert float(rs[4]["kl_over_linear"]) == 1.0               # normalised at epoch 5
        rel = np.array([float(r["kl_over_linear"]) for r in rs]) * np.arange(1, len(kl) + 1) / 5
        np.testing.assert_allclose(rel * kl[4], kl, rtol=1e-12)    # the ratio is what it says


def test_kl_vs_depth_reads_the_same_training_runs(out):
    """Figure 6 at the last epoch equals figure 5's curve where the two share (scheme, depth, config)."""
    cfg5, cfg6 = FIGURES["kl_over_training"].config("tiny"), FIGURES["kl_vs_depth"].config("tiny")
    rows = _rows(out / "kl_vs_depth.csv")
    assert len(rows) == 4 * len(cfg6["depths"]) * 2
    assert {int(r["epoch"]) for r in rows} == {cfg6["short"], cfg6["epochs"]}
    assert cfg5["depth"] in cfg6["depths"] and cfg5["width"] == cfg6["width"]
    five = _rows(out / "kl_over_training.csv")
    for s in ("lecun", "he"):
        a = _by(rows, scheme=s, depth=cfg5["depth"], epoch=cfg6["epochs"])[0]
        b = _by(five, scheme=s, epoch=cfg5["epochs"])[0]
        assert float(a["kl_mean"]) == float(b["kl_mean"])


def test_diverged_training_is_recorded_not_plotted(tmp_path, monkeypatch):
    """A configuration whose noisy GD diverges leaves figures 5 and 6 built, with its rows marked
    ``diverged`` and empty numbers, and every other configuration as before."""
    from numerics.noisy_gd import TrainingDiverged
    from validation import privacy_loss as PL

    real = PL.privacy_loss

    def flaky(**kw):
        if kw["scheme"] == "ntk" and kw["depth"] == 3:
            raise TrainingDiverged("lr: training diverged", runs=1, total=kw["runs"], step=4)
        return real(**kw)

    monkeypatch.setattr(PL, "privacy_loss", flaky)
    PL.privacy_loss_or_diverged.cache_clear()
    try:
        man = build.build_figures(["kl_over_training", "kl_vs_depth"], size="tiny", out_dir=tmp_path, quiet=True)
    finally:
        PL.privacy_loss_or_diverged.cache_clear()
    assert all(man["figures"][n]["status"] == "ok" for n in ("kl_over_training", "kl_vs_depth"))
    five = _rows(tmp_path / "kl_over_training.csv")
    ntk = _by(five, scheme="ntk")
    assert len(ntk) == 1 and ntk[0]["status"] == "diverged: 1 of 2 runs, first at step 4"
    assert ntk[0]["kl_mean"] == ntk[0]["epoch"] == ""
    assert len(_by(five, scheme="he", status="ok")) == FIGURES["kl_over_training"].config("tiny")["epochs"]
    six = _rows(tmp_path / "kl_vs_depth.csv")
    bad = [r for r in six if r["status"] != "ok"]
    assert {(r["scheme"], r["depth"]) for r in bad} == {("ntk", "3")} and len(bad) == 2  # short and long time
    assert all(r["kl_mean"] == "" for r in bad) and all(float(r["kl_mean"]) > 0 for r in six if r["status"] == "ok")


def test_utility_vs_depth_matches_hand_formulas(out):
    """excess* = G R sqrt(2 r B/eps)/n at G = 1 (THEORY.md §4, typed here); B for LeCun and He from the
    THEORY.md §2 worked cases; the target comparator reaches the stated training loss."""
    cfg = FIGURES["utility_vs_depth"].config("tiny")
    rows = _rows(out / "utility_vs_depth.csv")
    assert len(rows) == 4 * len(cfg["depths"])
    for r in rows:
        L, m, n, rank, B = int(r["depth"]), cfg["width"], int(r["n"]), int(r["rank"]), float(r["B"])
        if r["scheme"] in ("lecun", "he"):
            hand = (1 + (L - 1) * m / 64) * (2.0 ** (1 - L) if r["scheme"] == "lecun" else 1.0)
            assert math.isclose(B, hand, rel_tol=1e-12)
        for w in ("target", "best"):
            R = float(r[f"{w}_R"])
            assert math.isclose(float(r[f"{w}_excess_bound"]), R * math.sqrt(2 * rank * B / cfg["eps"]) / n,
                                rel_tol=1e-10)
            assert math.isfinite(float(r[f"{w}_measured_excess"]))
        assert math.isclose(float(r["target_comparator_loss"]), cfg["target_loss"], rel_tol=1e-8)


def test_grad_norm_spread(out):
    """Finite, positive; LeCun and He identical (S_He = 2^{L-1} S_LeCun draw for draw, same seeds)."""
    cfg = FIGURES["grad_norm_spread"].config("tiny")
    rows = _rows(out / "grad_norm_spread.csv")
    assert len(rows) == 4 * (len(cfg["depths"]) + len(cfg["widths"]))
    for r in rows:
        assert float(r["rel_std"]) > 0 and float(r["rel_std_se"]) > 0
    for a, b in zip(_by(rows, scheme="lecun"), _by(rows, scheme="he")):
        assert math.isclose(float(a["rel_std"]), float(b["rel_std"]), rel_tol=1e-9)


def test_table1_latex_and_numbers(out):
    """booktabs LaTeX with one row per scheme; B, the KL bound T B/(sigma^2 n^2) and the excess bound
    R sqrt(2 n B/eps)/n at the stated configuration, by hand from THEORY.md's LeCun and He forms."""
    cfg = FIGURES["table1"].config("tiny")
    tex = (out / "table1.tex").read_text()
    for rule in (r"\toprule", r"\midrule", r"\bottomrule", r"\begin{tabular}", r"\caption"):
        assert tex.count(rule) == 1
    assert sum(line.rstrip().endswith(r"\\") for line in tex.splitlines()) == 5   # header + 4 schemes
    data = json.loads((out / "table1.json").read_text())
    L, m, d = cfg["depth"], cfg["width"], cfg["input_dim"]
    for r in data["rows"]:
        assert r["label"] in tex and r["B_latex"] in tex
        if r["scheme"] in ("lecun", "he"):
            B = (1 + (L - 1) * m / d) * (2.0 ** (1 - L) if r["scheme"] == "lecun" else 1.0)
            assert math.isclose(r["B"], B, rel_tol=1e-12)
            assert math.isclose(r["kl_bound"], cfg["T"] * B / (cfg["sigma"] ** 2 * cfg["n"] ** 2), rel_tol=1e-12)
            assert math.isclose(r["excess_bound"], math.sqrt(2 * cfg["n"] * B / cfg["eps"]) / cfg["n"],
                                rel_tol=1e-12)
    assert [r["scheme"] for r in data["rows"]] == ["lecun", "xavier", "he", "ntk"]


def test_readme_gallery_lists_every_figure_with_its_thumbnail():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    for name in build.load_all():
        assert f"paper_figs/gallery/{name}.png" in readme and f"--only {name}`" in readme, name
        assert (root / "paper_figs" / "gallery" / f"{name}.png").exists(), name


def test_gallery_thumbnails(out, tmp_path):
    from PIL import Image

    from paper_figs.gallery import THUMB_WIDTH, write_thumbnails

    paths = write_thumbnails(out, tmp_path, ["table1", "layer_share"])
    for p in paths:
        with Image.open(p) as im:
            assert im.width <= THUMB_WIDTH
    with pytest.raises(ValueError, match="gallery"):
        write_thumbnails(tmp_path / "empty", tmp_path, ["table1"])


def test_sigterm_mid_figure_leaves_previous_outputs_and_no_temporaries(tmp_path):
    """`timeout` or a scheduler sends SIGTERM while a figure is being written: the command exits with
    143 and one line, the previous outputs and manifest are untouched, and no staging folder or
    temporary file is left.  (A stale staging folder from a SIGKILL is swept by the next run.)"""
    import os
    import signal
    import subprocess
    import sys
    import time

    script_file, tmp_path = tmp_path / "slow_figure.py", tmp_path / "out"
    tmp_path.mkdir()
    (tmp_path / "slow.csv").write_text("previous\n")
    (tmp_path / "manifest.json").write_text('{"figures": {}}\n')
    (tmp_path / ".staging-old-x").mkdir()
    script = (
        "import time\n"
        "from paper_figs.registry import register\n"
        "from initmatters.cli import main\n"
        "@register('slow', 'writes then waits', {'tiny': {}, 'default': {}, 'full': {}})\n"
        "def slow(cfg, out, *, progress):\n"
        "    (out / 'slow.csv').write_text('half')\n"
        "    time.sleep(120)\n"
        f"raise SystemExit(main(['figures', '--tiny', '--quiet', '--only', 'slow', '--out', {str(tmp_path)!r}]))\n")
    script_file.write_text(script)  # a file, not -c: the manifest key hashes the figure's source
    proc = subprocess.Popen([sys.executable, str(script_file)], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not list(tmp_path.glob(".staging-slow-*/slow.csv")):
        assert time.time() < deadline and proc.poll() is None, "the figure never started"
        time.sleep(0.1)
    assert not (tmp_path / ".staging-old-x").exists()           # the stale one was swept
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.strip().splitlines() == ["initmatters: terminated"]
    assert (tmp_path / "slow.csv").read_text() == "previous\n"
    assert (tmp_path / "manifest.json").read_text() == '{"figures": {}}\n'
    assert sorted(os.listdir(tmp_path)) == ["manifest.json", "slow.csv"]
