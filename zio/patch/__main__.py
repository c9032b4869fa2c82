"""``python -m zio.patch [--no-TARGET ...] (script.py | -m module) [args...]``.

Patches everything (minus the ``--no-TARGET`` ones) before the program's
first line runs, then runs it as ``__main__`` with ``sys.argv`` set as if it
had been started directly.
"""

from __future__ import annotations

import os
import runpy
import sys

from .._core import preempt
from . import TARGETS
from . import all as patch_all

USAGE = (
    "usage: python -m zio.patch [--no-TARGET ...] script.py [args...]\n"
    "       python -m zio.patch [--no-TARGET ...] -m module [args...]\n"
    f"targets: {', '.join(TARGETS)}"
)


def main(argv: list[str]) -> None:
    """Parse ``argv`` (without the program name), patch, and run the program."""
    flags: dict[str, bool] = {}
    args = list(argv)
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt in ("--help",):
            print(USAGE)
            return
        name = opt[len("--no-") :] if opt.startswith("--no-") else None
        if name not in TARGETS:
            sys.exit(f"zio.patch: unknown option {opt!r}\n{USAGE}")
        flags[name] = False
    if not args or args[0] in ("-h",):
        sys.exit(USAGE)
    patch_all(**flags)
    if args[0] == "-m":
        if len(args) < 2:
            sys.exit(f"zio.patch: -m needs a module name\n{USAGE}")
        module = args[1]
        sys.argv = [module, *args[2:]]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    else:
        script = args[0]
        sys.argv = [script, *args[1:]]
        # As `python script.py` does: the script's directory comes first on sys.path.
        sys.path[0] = os.path.dirname(os.path.abspath(script))
        runpy.run_path(script, run_name="__main__")


# The program's own frames start below main(): zio._core.preempt may time-slice them.
preempt.add_entry_point(main.__code__)


if __name__ == "__main__":
    main(sys.argv[1:])
