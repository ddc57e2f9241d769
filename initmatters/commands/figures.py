"""``initmatters figures``: regenerate every figure, its data and the manifest."""

from __future__ import annotations

import sys


def add_parser(sub):
    p = sub.add_parser("figures", help="regenerate the paper figures, data and manifest")
    p.add_argument("--only", nargs="+", metavar="NAME", help="build only these figures")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help="paper scale (GPU recommended)")
    size.add_argument("--tiny", action="store_true", help="smoke-test scale (seconds)")
    p.add_argument("--out", default="paper_figs/out", help="output folder (default paper_figs/out)")
    p.add_argument("--force", action="store_true", help="rebuild even unchanged figures")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--list", action="store_true", help="list the figures and exit")
    p.add_argument("--gallery", metavar="DIR", help="also write README thumbnails of the built figures to DIR")
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    from paper_figs.build import build_figures, load_all

    if args.list:
        for name, spec in load_all().items():
            print(f"{name:28s} {spec.title}")
        return 0
    size = "full" if args.full else "tiny" if args.tiny else "default"
    extra = []
    if size != "tiny" and not args.only:  # the validation report beside the figures
        from initmatters.commands.validate import write_report

        def report(out):
            # the training observations take minutes: only at paper scale
            res = write_report(out, quick=size == "default", quiet=args.quiet, observations=size == "full")
            return {"validation": {"passed": res["passed"], "files": ["validation.json", "validation.md"],
                                   "grid": res["grid"], "alpha": res["alpha"]}}
        extra.append(report)
    manifest = build_figures(args.only, size=size, out_dir=args.out, force=args.force, quiet=args.quiet,
                             extra=extra)
    failed = [n for n, e in manifest["figures"].items()
              if (not args.only or n in args.only) and e.get("status") != "ok"]
    if failed:
        print(f"initmatters: error: figure(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    if args.gallery:
        from paper_figs.gallery import write_thumbnails

        write_thumbnails(args.out, args.gallery, args.only)
    if not args.quiet:
        print(f"wrote {args.out}/manifest.json" + (f" and thumbnails in {args.gallery}" if args.gallery else ""),
              file=sys.stderr)
    return 0
