#!/usr/bin/env python3
"""Touches every CUDA kernel of every op once, small, for compute-sanitizer (python3 dev.py gpu-check runs it):

    compute-sanitizer --tool memcheck python tests/cuda_sanitizer_run.py
    compute-sanitizer --tool racecheck python tests/cuda_sanitizer_run.py
    python tests/cuda_sanitizer_run.py --emulated        # the same calls on the emulated device, no GPU

Resample forward and backward of every filter in 1-D/2-D/3-D, float32/float16 (and uint8 forward), every layout,
with fixed-tap (one fused launch) and wide (one launch per axis, intermediates in the accumulation type) windows,
the uint8 two-pass rule, cached plans (every call twice), the 64-bit index path, equal-size copies and an empty
batch; max_unpool with duplicate indices, its backward, and an invalid index under the synchronous check;
pixel_shuffle / pixel_unshuffle in 1-D to 3-D. Results are checked against the CPU kernels; exits non-zero on a
mismatch.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import sys

import torch

import torchresample
from torchresample import emulation

OP = torch.ops.torchresample
FILTERS = ["nearest", "nearest-exact", "linear", "cubic", "area", "lanczos"]
DTYPES = [torch.float32, torch.float16, torch.uint8]
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


def resample_calls(target, failures):
    """Every resample kernel; returns the number of op calls."""
    runs = 0
    for filter_name, dim, dtype in itertools.product(FILTERS, (1, 2, 3), DTYPES):
        layouts = ["contiguous", "strided"] + (["channels_last"] if dim > 1 else [])
        variants = [(False, False), (True, True)] if filter_name in ("linear", "cubic", "lanczos") else [(False, False)]
        for layout, out, (align_corners, antialias) in itertools.product(layouts, OUT_SPATIAL[dim], variants):
            shape = (2, 3, *IN_SPATIAL[dim])
            args = (list(out), filter_name, align_corners, None, antialias)
            x = make(shape, dtype, layout, target.device)
            reference = target.on_cpu(OP.resample, x, *args)
            for _ in range(2):  # fresh plans, then cached ones
                runs += 1
                if not close(OP.resample(x, *args), reference):
                    failures.append(("forward", filter_name, dim, dtype, layout, out, align_corners, antialias))
            if dtype == torch.uint8:
                continue
            grad = make((2, 3, *out), dtype, layout, target.device)
            g = OP.resample_backward(grad, list(shape[2:]), *args[1:])
            runs += 1
            if not close(g, target.on_cpu(OP.resample_backward, grad, list(shape[2:]), *args[1:])):
                failures.append(("backward", filter_name, dim, dtype, layout, out, align_corners, antialias))
    same = make((2, 3, 5, 6), torch.float32, "channels_last", target.device)
    for filter_name in FILTERS:
        if not close(OP.resample(same, [5, 6], filter_name), target.on_cpu(OP.resample, same, [5, 6], filter_name)):
            failures.append(("equal-size", filter_name))
    x = make((2, 3, 13, 17), torch.float32, "contiguous", target.device)
    previous = target.option("force_wide_indices", 1)
    try:
        if not close(OP.resample(x, [29, 7], "cubic"), target.on_cpu(OP.resample, x, [29, 7], "cubic")):
            failures.append(("64-bit indices", "cubic"))
    finally:
        target.option("force_wide_indices", previous)
    OP.resample(torch.empty(0, 3, 4, 5, device=target.device), [8, 3], "cubic")
    OP.resample_backward(torch.empty(0, 3, 8, 3, device=target.device), [4, 5], "cubic")
    return runs + len(FILTERS) + 3


def layer_calls(target, failures):
    """max_unpool (duplicates, backward, an invalid index under the synchronous check) and pixel (un)shuffle."""
    gen = torch.Generator().manual_seed(1)
    values = torch.randn(2, 3, 8, 8, generator=gen)
    indices = torch.randint(0, 6, (2, 3, 8, 8), generator=gen)  # duplicates on 6 of 256 positions per plane
    for v in (values, values.contiguous(memory_format=torch.channels_last)):
        out = OP.max_unpool(v.to(target.device), indices.to(target.device), [16, 16])
        if not torch.equal(out.cpu(), target.on_cpu(OP.max_unpool, v, indices, [16, 16])):
            failures.append(("max_unpool", v.stride()))
        grad = OP.max_unpool_backward(out, indices.to(target.device))
        if not torch.equal(grad.cpu(), target.on_cpu(OP.max_unpool_backward, out, indices)):
            failures.append(("max_unpool_backward", v.stride()))
    broken = indices.clone()
    broken[0, 0, 0, 0] = 256
    previous = target.option("sync_index_check", 1)
    try:
        OP.max_unpool(values.to(target.device), broken.to(target.device), [16, 16])
        failures.append(("max_unpool invalid index not raised",))
    except RuntimeError as error:
        if "Found an invalid max index: 256" not in str(error):
            failures.append(("max_unpool invalid index message", str(error)[:80]))
    finally:
        target.option("sync_index_check", previous)
    for k, shape in ((1, (2, 8, 5)), (2, (2, 16, 6, 4)), (3, (2, 16, 2, 4, 6))):
        t = torch.randn(shape, generator=gen)
        y = OP.pixel_shuffle(t.to(target.device), 2, k)
        z = OP.pixel_unshuffle(y, 2, k)
        if not torch.equal(y.cpu(), target.on_cpu(OP.pixel_shuffle, t, 2, k)) or not torch.equal(z.cpu(), t):
            failures.append(("pixel_shuffle", k))
    return 10


class Target:
    """Where the calls run (a GPU, or the emulated device on CPU tensors) and how to reach its CPU reference."""

    def __init__(self, emulated: bool):
        self.mode = emulation.EmulatedCuda() if emulated else None
        self.device = "cpu" if emulated else "cuda"
        self.option = emulation.option if emulated else torch.ops.torchresample._cuda_option

    def on_cpu(self, fn, *args):
        """fn on CPU copies of its tensor arguments, with the CPU kernels."""
        if self.mode is not None:
            self.mode.enabled = False
        try:
            return fn(*[a.cpu() if isinstance(a, torch.Tensor) else a for a in args])
        finally:
            if self.mode is not None:
                self.mode.enabled = True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emulated", action="store_true", help="run on the emulated device instead of a GPU")
    args = parser.parse_args()
    if args.emulated and not emulation.available():
        print("needs a build with the emulated device (TORCHRESAMPLE_CUDA_EMULATION=1)")
        return 2
    if not args.emulated and not (torchresample.cuda_built() and torch.cuda.is_available()):
        print("needs a CUDA build of torchresample and a GPU")
        return 2
    target = Target(args.emulated)
    failures = []
    with target.mode if target.mode is not None else contextlib.nullcontext():
        runs = resample_calls(target, failures) + layer_calls(target, failures)
        if target.device == "cuda":
            torch.cuda.synchronize()
    for f in failures:
        print("MISMATCH", *f)
    print(f"{runs} op calls, {len(failures)} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
