"""``initmatters privacy-loss``: numerical KL privacy loss of noisy GD over training epochs."""

from __future__ import annotations

import argparse
import sys

from initmatters.args import nonnegative_int, positive_float, positive_int
from initmatters.output import table
from theory import SCHEME_NAMES
from validation.artifacts import dumps


def _classes(text):
    try:
        a, b = (int(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two digits as A,B, got {text!r}") from None
    return a, b


def add_parser(sub):
    p = sub.add_parser("privacy-loss", help="numerical KL privacy loss of noisy GD on real data")
    p.add_argument("--init", required=True, choices=SCHEME_NAMES)
    p.add_argument("--depth", type=positive_int, required=True)
    p.add_argument("--width", type=positive_int, required=True)
    p.add_argument("--model", default="linearized", choices=("full", "linearized"))
    p.add_argument("--loss", default="logistic", choices=("logistic", "squared"))
    p.add_argument("--data", default="digits", choices=("digits", "sphere"))
    p.add_argument("--classes", type=_classes, default=(0, 1), help="two digits, e.g. 0,1")
    p.add_argument("--epochs", type=positive_int, default=50, help="full-batch steps")
    p.add_argument("--lr", type=positive_float, default=0.01)
    p.add_argument("--sigma", type=positive_float, default=0.1)
    p.add_argument("--runs", type=positive_int, default=4)
    p.add_argument("--neighbours", default="remove-add", choices=("remove-add", "replace"))
    p.add_argument("--noise", default="sqrt2", choices=("sqrt2", "sigma"))
    p.add_argument("--seed", type=nonnegative_int, default=0)
    p.add_argument("--format", default="table", choices=("table", "json"))
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    from tqdm import tqdm

    from validation.privacy_loss import privacy_loss

    with tqdm(total=args.runs, desc=f"training {args.runs} runs (vectorised)", file=sys.stderr,
              disable=args.quiet, delay=2.0, unit="run") as bar:
        res = privacy_loss(scheme=args.init, depth=args.depth, width=args.width, data=args.data,
                           classes=args.classes, model=args.model, loss=args.loss, epochs=args.epochs,
                           lr=args.lr, sigma=args.sigma, runs=args.runs, neighbours=args.neighbours,
                           noise=args.noise, seed=args.seed)
        bar.update(args.runs)
    if args.format == "json":
        print(dumps(res))
        return 0
    every = max(1, len(res["epoch"]) // 10)
    rows = [(e, f"{m:.4g}", f"{s:.2g}", "" if res["bound"] is None else f"{res['bound'][i]:.4g}",
             f"{res['train_loss'][i]:.4f}", f"{res['train_accuracy'][i]:.3f}")
            for i, (e, m, s) in enumerate(zip(res["epoch"], res["kl_mean"], res["kl_std"]))
            if (i + 1) % every == 0 or i == 0]
    print(table(["epoch", "KL mean", "KL std", "bound", "train loss", "train acc"], rows))
    return 0
