"""The command-line contract other checks rely on."""

import json
import subprocess
import sys

import pytest

from initmatters.cli import main


def run_cli(*args):
    res = subprocess.run([sys.executable, "-m", "initmatters", *args], capture_output=True, text=True,
                         timeout=300)
    return res.returncode, res.stdout, res.stderr


def test_closed_forms_json_contract():
    rc, out, err = run_cli("closed-forms", "--init", "all", "--depth", "10", "--width", "1024",
                           "--input-dim", "64", "--format", "json")
    assert rc == 0, err
    res = json.loads(out)
    assert set(res) == {"lecun", "xavier", "he", "ntk"}
    for name, v in res.items():
        assert set(v) == {"beta", "per_layer", "total", "log_total", "latex"}
        assert len(v["beta"]) == 10 and len(v["per_layer"]) == 10
    # THEORY.md §2 worked cases: LeCun 2^{-9}(1 + 9*1024/64), He 1 + 9*1024/64
    assert res["lecun"]["total"] == pytest.approx((1 + 9 * 16) / 2**9, rel=1e-12)
    assert res["he"]["total"] == pytest.approx(1 + 9 * 16, rel=1e-12)


def test_closed_forms_huge_depth_gives_finite_log(capsys):
    assert main(["closed-forms", "--init", "lecun", "--depth", "10000", "--width", "1000000",
                 "--input-dim", "64", "--format", "json"]) == 0
    res = json.loads(capsys.readouterr().out)["lecun"]
    assert res["log_total"] < -6000 and (res["total"] == 0.0 or res["total"] is None)


def test_closed_forms_table_and_latex(capsys):
    assert main(["closed-forms", "--depth", "3", "--width", "8", "--input-dim", "4"]) == 0
    assert "xavier" in capsys.readouterr().out
    assert main(["closed-forms", "--depth", "3", "--width", "8", "--input-dim", "4", "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert r"\toprule" in out and r"\bottomrule" in out


@pytest.mark.parametrize("args,param", [
    (["--depth", "0", "--width", "3", "--input-dim", "3"], "--depth"),
    (["--depth", "2", "--width", "0", "--input-dim", "3"], "--width"),
    (["--depth", "2", "--width", "3", "--input-dim", "3", "--x-norm", "-1"], "--x-norm"),
    (["--depth", "2", "--width", "3", "--input-dim", "3", "--x-norm", "nan"], "--x-norm"),
    (["--depth", "2", "--width", "3", "--input-dim", "3", "--init", "kaiming"], "--init"),
    (["--depth", "two", "--width", "3", "--input-dim", "3"], "--depth"),
])
def test_bad_arguments_exit_2_with_one_line(args, param):
    rc, out, err = run_cli("closed-forms", *args)
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and param in err and "Traceback" not in err


def test_export_json_and_latex(tmp_path):
    assert main(["export", "--format", "json", "--out", str(tmp_path / "f.json")]) == 0
    data = json.loads((tmp_path / "f.json").read_text())
    assert {"B_lecun", "B_xavier", "B_he", "B_ntk", "kl_bound_sqrt2_replace", "optimal_excess_sqrt2"} <= set(data)
    for entry in data.values():
        assert entry["latex"] and entry["convention"] and entry["reference"]
    assert main(["export", "--format", "latex", "--out", str(tmp_path / "f.tex")]) == 0
    tex = (tmp_path / "f.tex").read_text()
    assert tex.count(r"\begin{align*}") == 1 and "B_{\\mathrm{Xavier}}" in tex


def test_privacy_loss_divergence_is_one_line_naming_lr():
    rc, out, err = run_cli("privacy-loss", "--init", "ntk", "--depth", "6", "--width", "64", "--lr", "20",
                           "--epochs", "30", "--data", "sphere", "--model", "full", "--runs", "2", "--quiet")
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "lr, sigma: training diverged" in err and "Traceback" not in err


def test_noise_driven_divergence_names_sigma_with_the_noise_variance():
    """Same lr, two noise levels: at sigma = 3 the injected variance per weight (2 lr sigma^2 per step)
    soon dwarfs the initial 1/m and the deep ReLU net blows up; at sigma = 0.01 training is fine.
    The one-line error must name sigma and give both variances."""
    base = ("privacy-loss", "--init", "lecun", "--depth", "6", "--width", "64", "--lr", "0.01", "--epochs", "50",
            "--data", "sphere", "--model", "full", "--runs", "2", "--quiet", "--format", "json")
    rc, out, err = run_cli(*base, "--sigma", "3")
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "sigma" in err and "injected noise per weight had variance" in err and "initial variances" in err
    rc, out, err = run_cli(*base, "--sigma", "0.01")
    assert rc == 0 and len(json.loads(out)["kl_mean"]) == 50
