"""``initmatters bench``: sampler and Gram-trick speed as ratios measured in one process."""

from __future__ import annotations

from initmatters.output import table
from validation.artifacts import dumps


def add_parser(sub):
    p = sub.add_parser("bench", help="benchmark the samplers and the Gram trick (ratios)")
    p.add_argument("--quick", action="store_true", help="smaller sizes")
    p.add_argument("--format", default="table", choices=("table", "json"))
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    from numerics.bench import run as bench

    res = bench(quick=args.quick)
    if args.format == "json":
        print(dumps(res))
        return 0
    c = res["config"]
    print(f"d={c['d']} m={c['m']} L={c['L']}; Gram n={c['gram']['n']} m={c['gram']['m']} L={c['gram']['L']}; "
          f"{res['machine']['devices']}")
    rows = [(f"{k} samples/s", f"{v:,.1f}", "") for k, v in res["samples_per_s"].items()]
    rows += [(k, f"{res[k]:,.2f}", res["targets"][k]) for k in res["targets"]]
    mem = res["privacy_step_bytes"]
    rows += [(f"privacy step planned MiB ({k})", f"{mem[k] / 2**20:,.1f}", "") for k in ("gram", "per_example")]
    print(table(["measure", "value", "target"], rows))
    return 0
