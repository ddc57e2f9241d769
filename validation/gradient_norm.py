r"""Validate the closed form of :math:`\mathbb E\|\nabla_W f\|^2` against Monte Carlo over a grid.

Each claim compares the exact finite-width value from :mod:`theory` with an
independent Monte-Carlo estimate from :mod:`numerics` (the samplers never call the
closed form).  A claim passes when :math:`|z| < z^*` with :math:`z^*` the two-sided
Bonferroni critical value for a family-wise false-failure rate ``alpha`` over all
claims of the run.  The depth trend per scheme is then read off the simulations
alone: a one-sided z-test on :math:`\hat B(L_{k+1}) - \hat B(L_k)` for consecutive
grid depths at the same width.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy import stats

from numerics.estimate import estimate_grad_norm
from theory import SCHEME_NAMES, Network, gradient_norm_profile


@dataclass(frozen=True)
class Claim:
    name: str
    scheme: str
    widths: tuple
    theory: float
    estimate: float
    stderr: float
    ci95: tuple
    z: float
    passed: bool
    method: str
    samples: int


FULL_GRID = {"depths": (2, 4, 8, 16, 32), "widths": (64, 256, 1024), "input_dim": 48, "samples": 100_000}
QUICK_GRID = {"depths": (2, 4, 8), "widths": (64,), "input_dim": 48, "samples": 40_000}
EXTRA_CASES = (  # ragged widths and vector output (matrix-free sampler)
    ("ragged", (48, 96, 32, 128, 1)),
    ("vector output o=4", (48, 64, 64, 4)),
    ("ragged vector output o=3", (20, 40, 24, 3)),
)


def critical_z(alpha: float, family: int) -> float:
    return float(stats.norm.isf(alpha / (2 * family)))


def run_grid(*, quick: bool = False, alpha: float = 1e-3, seed: int = 0, quiet: bool = True,
             progress=None, grid: dict | None = None, extra_cases=EXTRA_CASES) -> dict:
    """Run every claim of the grid (``FULL_GRID``, ``QUICK_GRID`` or a custom ``grid``)."""
    grid = grid or (QUICK_GRID if quick else FULL_GRID)
    jobs = [(f"{s} L={L} m={m}", s, Network.uniform(depth=L, width=m, input_dim=grid["input_dim"]))
            for s in SCHEME_NAMES for m in grid["widths"] for L in grid["depths"]]
    jobs += [(f"{s} {name}", s, Network(widths=w)) for name, w in extra_cases for s in ("he", "xavier")]
    zc = critical_z(alpha, len(jobs))
    claims = []
    for i, (name, scheme, net) in enumerate(jobs):
        samples = grid["samples"] if net.output_dim == 1 else grid["samples"] // 20
        est = estimate_grad_norm(net, scheme, samples=samples, seed=seed + i, quiet=quiet)
        th = gradient_norm_profile(net, scheme).total
        z = (est.estimate - th) / est.stderr
        claims.append(Claim(name, scheme, net.widths, th, est.estimate, est.stderr, est.ci95, z,
                            bool(abs(z) < zc), est.method, est.samples))
        if progress:
            progress(1)
    trends = _trends(claims, grid, alpha)
    return {"alpha": alpha, "critical_z": zc, "claims": [asdict(c) for c in claims], "trends": trends,
            "grid": {k: list(v) if isinstance(v, tuple) else v for k, v in grid.items()},
            "passed": all(c.passed for c in claims)}


def _trends(claims, grid, alpha):
    """Depth-trend sign per scheme and width, from the simulations alone."""
    out = {}
    by = {c.name: c for c in claims}
    zc = stats.norm.isf(alpha / 2)  # per comparison, two-sided
    for s in SCHEME_NAMES:
        for m in grid["widths"]:
            signs = []
            for L1, L2 in zip(grid["depths"], grid["depths"][1:]):
                a, b = by[f"{s} L={L1} m={m}"], by[f"{s} L={L2} m={m}"]
                z = (b.estimate - a.estimate) / math.hypot(a.stderr, b.stderr)
                signs.append("down" if z < -zc else "up" if z > zc else "inconclusive")
            verdict = ("decreases with depth" if all(x == "down" for x in signs) else
                       "increases with depth" if all(x == "up" for x in signs) else "mixed: " + ",".join(signs))
            out[f"{s} m={m}"] = verdict
    return out


def to_markdown(res: dict) -> str:
    lines = ["# Validation: expected squared gradient norm at initialisation", "",
             f"Family-wise false-failure rate alpha = {res['alpha']:g} (Bonferroni over "
             f"{len(res['claims'])} claims): a claim passes when |z| < {res['critical_z']:.3f}.", "",
             f"**Overall: {'PASS' if res['passed'] else 'FAIL'}**", "",
             "| claim | widths | theory | MC estimate | 95% CI | z | method | samples | result |",
             "|---|---|---|---|---|---|---|---|---|"]
    for c in res["claims"]:
        lines.append(f"| {c['name']} | {tuple(c['widths'])[:3]}{'…' if len(c['widths']) > 3 else ''} | "
                     f"{c['theory']:.6g} | {c['estimate']:.6g} | [{c['ci95'][0]:.5g}, {c['ci95'][1]:.5g}] | "
                     f"{c['z']:+.2f} | {c['method']} | {c['samples']} | {'pass' if c['passed'] else 'FAIL'} |")
    lines += ["", "## Depth trend measured from the simulations alone", "",
              "| scheme, width | trend over the grid depths |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in res["trends"].items()]
    return "\n".join(lines) + "\n"
