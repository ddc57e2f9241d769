"""``initmatters mc``: Monte-Carlo estimate of E||grad f||^2 at initialisation, with theory beside it."""

from __future__ import annotations

from initmatters.args import nonnegative_int, positive_float, positive_int
from initmatters.output import table
from theory import SCHEME_NAMES, Network, gradient_norm_profile
from validation.artifacts import dumps


def add_parser(sub):
    p = sub.add_parser("mc", help="Monte-Carlo estimate of E||grad f||^2 at initialisation")
    p.add_argument("--init", required=True, choices=SCHEME_NAMES)
    p.add_argument("--depth", type=positive_int, required=True)
    p.add_argument("--width", type=positive_int, required=True)
    p.add_argument("--input-dim", type=positive_int, required=True)
    p.add_argument("--output-dim", type=positive_int, default=1)
    p.add_argument("--x-norm", type=positive_float, default=1.0)
    p.add_argument("--samples", type=positive_int, required=True)
    p.add_argument("--method", default="auto", choices=("auto", "bruteforce", "matrixfree", "scalar"))
    p.add_argument("--seed", type=nonnegative_int, default=0)
    p.add_argument("--memory-budget", type=positive_float, default=2048.0, help="MiB per chunk (default 2048)")
    p.add_argument("--format", default="table", choices=("table", "json"))
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    from numerics.estimate import estimate_grad_norm

    if args.samples < 2:
        raise ValueError("--samples: must be >= 2 for a standard error")
    net = Network.uniform(depth=args.depth, width=args.width, input_dim=args.input_dim,
                          output_dim=args.output_dim)
    est = estimate_grad_norm(net, args.init, samples=args.samples, seed=args.seed, x_norm=args.x_norm,
                             method=args.method, memory_budget=int(args.memory_budget * 2**20),
                             quiet=args.quiet)
    prof = gradient_norm_profile(net, args.init, x_norm=args.x_norm)
    if prof.total is None:
        raise ValueError("--depth/--width: the closed form overflows float64 here; use closed-forms for its log")
    z = (est.estimate - prof.total) / est.stderr if est.stderr > 0 else 0.0
    res = {"estimate": est.estimate, "stderr": est.stderr, "ci95": list(est.ci95),
           "per_layer": list(est.per_layer), "theory": prof.total, "z": z, "samples": est.samples,
           "method": est.method, "device": est.device, "seconds": est.seconds}
    if args.format == "json":
        print(dumps(res))
    else:
        print(table(["quantity", "value"], [
            ("estimate", f"{est.estimate:.6g} ± {est.stderr:.2g}"),
            ("95% CI", f"[{est.ci95[0]:.6g}, {est.ci95[1]:.6g}]"), ("theory", f"{prof.total:.6g}"),
            ("z", f"{z:+.2f}"), ("samples", est.samples), ("method", est.method), ("device", est.device),
            ("seconds", f"{est.seconds:.2f}")]))
    return 0
