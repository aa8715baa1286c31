#!/usr/bin/env python3
"""Touches every CUDA resample kernel once, small, for compute-sanitizer:

    compute-sanitizer --tool memcheck python tests/cuda_sanitizer_run.py
    compute-sanitizer --tool racecheck python tests/cuda_sanitizer_run.py

Forward and backward of every filter in 1-D/2-D/3-D, every dtype, every layout, with fixed-tap (one fused launch)
and wide (one launch per axis, intermediates in the accumulation type) windows, the uint8 two-pass rule, the
nearest gather of every element size, equal-size copies and an empty batch. Results are checked against the CPU
kernels; exits non-zero on a mismatch.
"""

from __future__ import annotations

import itertools
import sys

import torch

import torchresample

OP = torch.ops.torchresample
FILTERS = ["nearest", "nearest-exact", "linear", "cubic", "area", "lanczos"]
DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.uint8]
IN_SPATIAL = {1: (19,), 2: (13, 17), 3: (7, 9, 11)}
# Upsampling (fixed taps, fused) and a strong downscale (wide antialias/area windows, split into passes).
OUT_SPATIAL = {1: [(41,), (2,)], 2: [(29, 7), (2, 3)], 3: [(15, 4, 23), (2, 2, 3)]}
CHANNELS_LAST = {2: torch.channels_last, 3: torch.channels_last_3d}


def make(shape, dtype, layout, device):
    gen = torch.Generator().manual_seed(0)
    if dtype == torch.uint8:
        x = torch.randint(0, 256, shape, generator=gen, dtype=dtype)
    else:
        x = torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)
    x = x.to(device)
    if layout == "channels_last":
        return x.contiguous(memory_format=CHANNELS_LAST[len(shape) - 2])
    if layout == "strided":
        wide = torch.zeros(*shape[:-1], 2 * shape[-1], dtype=dtype, device=device)
        wide[..., ::2] = x
        return wide[..., ::2]
    return x


def close(a, b):
    a, b = a.cpu(), b.cpu()
    if a.shape != b.shape or a.stride() != b.stride():
        return False
    if a.dtype == torch.uint8:
        return (a.int() - b.int()).abs().max().item() <= 1
    tol = 1e-2 if a.dtype in (torch.float16, torch.bfloat16) else 1e-4
    return torch.allclose(a.double(), b.double(), atol=tol, rtol=tol)


def main() -> int:
    if not torchresample.cuda_built() or not torch.cuda.is_available():
        print("needs a CUDA build of torchresample and a GPU")
        return 2
    failures = []
    runs = 0
    for filter_name, dim, dtype in itertools.product(FILTERS, (1, 2, 3), DTYPES):
        layouts = ["contiguous", "strided"] + (["channels_last"] if dim > 1 else [])
        variants = [(False, False), (True, True)] if filter_name in ("linear", "cubic", "lanczos") else [(False, False)]
        for layout, out, (align_corners, antialias) in itertools.product(layouts, OUT_SPATIAL[dim], variants):
            shape = (2, 3, *IN_SPATIAL[dim])
            args = (list(out), filter_name, align_corners, [], antialias)
            x = make(shape, dtype, layout, "cuda")
            y = OP.resample(x, *args)
            runs += 1
            if not close(y, OP.resample(x.cpu(), *args)):
                failures.append(("forward", filter_name, dim, dtype, layout, out, align_corners, antialias))
            if dtype == torch.uint8:
                continue
            grad = make((2, 3, *out), dtype, layout, "cuda")
            g = OP.resample_backward(grad, list(shape), *args[1:])
            runs += 1
            if not close(g, OP.resample_backward(grad.cpu(), list(shape), *args[1:])):
                failures.append(("backward", filter_name, dim, dtype, layout, out, align_corners, antialias))
    same = make((2, 3, 5, 6), torch.float32, "channels_last", "cuda")
    for filter_name in FILTERS:
        if not close(OP.resample(same, [5, 6], filter_name), OP.resample(same.cpu(), [5, 6], filter_name)):
            failures.append(("equal-size", filter_name))
    empty = torch.empty(0, 3, 4, 5, device="cuda")
    OP.resample(empty, [8, 3], "cubic")
    OP.resample_backward(torch.empty(0, 3, 8, 3, device="cuda"), [0, 3, 4, 5], "cubic")
    torch.cuda.synchronize()
    for f in failures:
        print("MISMATCH", *f)
    print(f"{runs} kernel calls, {len(failures)} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
