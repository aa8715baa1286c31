"""Command line: ``python -m torchresample demo | bench`` (and the ``torchresample`` console script)."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="torchresample", description="Resampling for PyTorch.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="resample a generated zone plate with every mode and compare with torch")
    demo.add_argument("--size", type=int, default=512, help="side of the test image (default 512)")
    demo.add_argument("--repeats", type=int, default=7, help="timed repeats per case (default 7)")
    sub.add_parser("bench", help="benchmarks against torch (see `torchresample bench --help`)", add_help=False)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from .bench import main as bench_main

        return bench_main(argv[1:])
    args = parser.parse_args(argv)

    if args.command == "demo":
        from .demo import run_demo

        run_demo(size=args.size, repeats=args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
