#!/usr/bin/env python3
"""Per-call cost of small calls: torchresample beside torch in one process, interleaved, median of repeats.

A tiny tensor makes the kernel's own work negligible, so what is timed is the cost of a call: Python argument
handling, the dispatcher, our Autograd kernel (Note [autograd of linear ops]) and planning. Each case runs three
ways: the eager inference call (an input that does not require grad), the forward with an input that does (a graph
node is recorded), and forward + backward (torch.autograd.grad). Run it against two builds (PYTHONPATH pointing at
each) to compare them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

import torchresample as tr


def cases():
    x = torch.randn(1, 1, 2, 2)
    c = torch.randn(1, 4, 2, 2)
    pooled, indices = F.max_pool2d(torch.randn(1, 1, 4, 4), 2, return_indices=True)
    return {
        "interpolate bilinear 1x1x2x2 -> 4x4": (
            x,
            lambda x: tr.interpolate(x, size=(4, 4), mode="bilinear"),
            lambda x: F.interpolate(x, size=(4, 4), mode="bilinear"),
        ),
        "interpolate nearest 1x1x2x2 x2": (
            x,
            lambda x: tr.interpolate(x, scale_factor=2),
            lambda x: F.interpolate(x, scale_factor=2),
        ),
        "resample op (direct) 1x1x2x2 -> 4x4": (
            x,
            lambda x: tr._ops.resample_op(x, [4, 4], "linear", False, None, False),
            lambda x: torch.ops.aten.upsample_bilinear2d.default(x, [4, 4], False),
        ),
        "pixel_shuffle 1x4x2x2": (c, lambda x: tr.functional.pixel_shuffle(x, 2), lambda x: F.pixel_shuffle(x, 2)),
        "max_unpool2d 1x1x2x2": (
            pooled,
            lambda x: tr.functional.max_unpool2d(x, indices, 2),
            lambda x: F.max_unpool2d(x, indices, 2),
        ),
    }


def time_call(fn, x, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn(x)
    return (time.perf_counter() - start) / calls * 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls per timing loop")
    parser.add_argument("--repeats", type=int, default=15, help="interleaved loops per case and library")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", help="also write the medians to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = []
    for name, (x, ours, theirs) in cases().items():
        for run in ("forward", "forward, requires_grad", "forward+backward"):
            xi = x.clone().requires_grad_(run != "forward")
            pair = (ours, theirs)
            if run == "forward+backward":
                grad = torch.rand_like(ours(xi))
                pair = tuple((lambda t, f=f: torch.autograd.grad(f(t), t, grad)) for f in pair)
            for fn in pair:  # warm up: plans, dispatcher caches
                time_call(fn, xi, 200)
            times = {"torchresample": [], "torch": []}
            for _ in range(args.repeats):
                times["torchresample"].append(time_call(pair[0], xi, args.calls))
                times["torch"].append(time_call(pair[1], xi, args.calls))
            ours_us = statistics.median(times["torchresample"])
            torch_us = statistics.median(times["torch"])
            rows.append(
                {
                    "case": name,
                    "run": run,
                    "torchresample_us": ours_us,
                    "torch_us": torch_us,
                    "cost_ratio": ours_us / torch_us,
                }
            )
    print(
        f"torch {torch.__version__}, {args.threads} thread(s); per-call microseconds, median of {args.repeats}"
        f" loops of {args.calls} calls; ratio = ours / torch's (lower is better)"
    )
    print(f"{'case':40s} {'run':24s} {'ours':>8s} {'torch':>8s} {'ratio':>6s}")
    for r in rows:
        print(
            f"{r['case']:40s} {r['run']:24s} {r['torchresample_us']:8.2f} {r['torch_us']:8.2f} {r['cost_ratio']:6.2f}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": args.threads, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
