"""Entry point of the ``initmatters`` command.

Every subcommand lives in :mod:`initmatters.commands`.  Bad arguments and bad
values exit with status 2 and one line on stderr naming the parameter.
"""

from __future__ import annotations

import importlib
import signal
import sys
import threading

from initmatters.args import OneLineParser

COMMANDS = ("closed_forms", "export", "mc", "validate", "bench", "privacy_loss", "figures")


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="initmatters", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"initmatters.commands.{name}")
        except ModuleNotFoundError as exc:  # command not built yet
            if exc.name != f"initmatters.commands.{name}":
                raise
            continue
        module.add_parser(sub)
    return parser


def _terminate(signum, frame):
    """SIGTERM (``timeout``, a batch scheduler) as a clean exit: ``finally`` blocks and atomic writes
    tidy up, so no temporary or half-written file is left behind."""
    print("initmatters: terminated", file=sys.stderr)
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return int(args.run(args) or 0)
    except ValueError as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"initmatters: error: {msg}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into `head`: not an error of ours
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("initmatters: interrupted", file=sys.stderr)
        return 130
    finally:
        if main_thread and previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    raise SystemExit(main())
