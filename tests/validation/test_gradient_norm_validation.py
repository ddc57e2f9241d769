"""The validation grid passes on correct theory, fails on a 5% error, and reads the depth trend."""

import pytest

import validation.gradient_norm as V

GRID = {"depths": (2, 6), "widths": (32,), "input_dim": 20, "samples": 40_000}


@pytest.fixture(scope="module")
def result():
    return V.run_grid(grid=GRID, extra_cases=(("vector", (20, 16, 16, 2)),), alpha=1e-4)


def test_grid_passes_and_states_its_rate(result):
    assert result["passed"], [c for c in result["claims"] if not c["passed"]]
    assert result["alpha"] == 1e-4 and result["critical_z"] > 4
    assert V.to_markdown(result).count("| pass |") == len(result["claims"])


def test_depth_trend_from_simulation_alone(result):
    t = result["trends"]
    assert t["lecun m=32"] == "decreases with depth" and t["xavier m=32"] == "decreases with depth"
    assert t["he m=32"] == "increases with depth" and t["ntk m=32"] == "increases with depth"


def test_five_percent_error_fails(monkeypatch):
    """Relative standard errors here are below 1%, so a 5% error gives |z| > 5 > z*."""
    real = V.gradient_norm_profile

    class Off:
        def __init__(self, p):
            self.total = p.total * 1.05

    monkeypatch.setattr(V, "gradient_norm_profile", lambda *a, **k: Off(real(*a, **k)))
    res = V.run_grid(grid={**GRID, "depths": (2,)}, extra_cases=(), alpha=1e-4)
    assert not res["passed"]
