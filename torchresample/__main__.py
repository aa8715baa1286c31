"""Command line: ``python -m torchresample resize | demo`` (and the ``torchresample`` console script)."""

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
    demo.add_argument(
        "--out", default="torchresample_demo.png", help="contact sheet PNG (default ./torchresample_demo.png)"
    )
    from .resize_files import add_parser as add_resize_parser

    add_resize_parser(sub)
    # The benchmarks live in the source tree: python benchmarks/bench.py.
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    if args.command == "resize":
        from .resize_files import run_resize

        return run_resize(args)
    if args.command == "demo":
        from .demo import run_demo

        run_demo(size=args.size, repeats=args.repeats, sheet=args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
