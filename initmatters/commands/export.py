"""``initmatters export``: every closed form as LaTeX or JSON, for citing in papers."""

from __future__ import annotations

from theory.export import to_json, to_latex
from validation.artifacts import atomic_write


def add_parser(sub):
    p = sub.add_parser("export", help="every closed form as LaTeX or JSON")
    p.add_argument("--format", default="latex", choices=("latex", "json"))
    p.add_argument("--out", default=None, help="write to this file (atomically) instead of stdout")
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    text = to_json() + "\n" if args.format == "json" else to_latex()
    if args.out:
        atomic_write(args.out, text)
    else:
        print(text, end="")
    return 0
