"""``initmatters validate``: theory against simulation over a grid; writes validation.json/.md."""

from __future__ import annotations

import sys
from pathlib import Path

from initmatters.args import nonnegative_int, positive_float


def add_parser(sub):
    p = sub.add_parser("validate", help="closed forms against Monte Carlo, calibrated z-tests")
    p.add_argument("--quick", action="store_true", help="small grid (CI)")
    p.add_argument("--out", default=".", help="folder for validation.json and validation.md")
    p.add_argument("--alpha", type=positive_float, default=1e-3, help="family-wise false-failure rate")
    p.add_argument("--seed", type=nonnegative_int, default=0)
    p.add_argument("--no-observations", action="store_true",
                   help="skip re-running the authors' training observations (the slowest part)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=run)
    return p


def write_report(out, *, quick, alpha=1e-3, seed=0, quiet=True, observations=True) -> dict:
    """Gradient-norm grid, exact privacy chain, utility bounds and (optionally) the authors' observations."""
    from tqdm import tqdm

    from validation import privacy_checks, utility_checks
    from validation.artifacts import atomic_write, dumps
    from validation.gradient_norm import run_grid, to_markdown

    if not 0 < alpha < 1:
        raise ValueError(f"--alpha: must be in (0, 1), got {alpha}")
    with tqdm(desc="validate: gradient norms", disable=quiet, file=sys.stderr, unit="claim") as bar:
        res = run_grid(quick=quick, alpha=alpha, seed=seed, progress=bar.update)
    chain = privacy_checks.run_chain()
    ucfg = utility_checks.QUICK_UTILITY_CONFIG if quick else utility_checks.UTILITY_CONFIG
    with tqdm(desc="validate: utility", disable=quiet, file=sys.stderr, unit="network") as bar:
        util = utility_checks.run_utility(ucfg, alpha=alpha, progress=bar.update)
    obs = None
    if observations:
        cfg = privacy_checks.QUICK_OBSERVATION_CONFIG if quick else privacy_checks.OBSERVATION_CONFIG
        with tqdm(desc="validate: training runs", disable=quiet, file=sys.stderr, unit="run") as bar:
            obs = privacy_checks.run_observations(cfg, progress=bar.update)
    res["privacy"] = {"chain": chain, "observations": obs}
    res["utility"] = util
    res["gradient_norm_passed"] = res["passed"]
    res["passed"] = bool(res["passed"] and chain["passed"] and util["passed"])
    out = Path(out)
    atomic_write(out / "validation.json", dumps(res) + "\n")
    atomic_write(out / "validation.md", to_markdown(res) + "\n" + privacy_checks.to_markdown(chain, obs)
                 + "\n" + utility_checks.to_markdown(util))
    return res


def run(args) -> int:
    res = write_report(args.out, quick=args.quick, alpha=args.alpha, seed=args.seed, quiet=args.quiet,
                       observations=not args.no_observations)
    if not args.quiet:
        print(f"wrote {args.out}/validation.json and validation.md: "
              f"{'PASS' if res['passed'] else 'FAIL'}", file=sys.stderr)
    return 0 if res["passed"] else 1
