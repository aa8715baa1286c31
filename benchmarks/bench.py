#!/usr/bin/env python3
"""Benchmarks: torchresample beside torch, eager and compiled, in one process, interleaved, medians.

Matrices (``--matrix``):
  large     feature maps 8x64x128x128, 1080p images, 2x16x32x64x64 volumes; float32, bfloat16, uint8
  small     decoder/FPN maps: N=1, C 3/64/256, 8x8 to 32x32, x2 and x0.5, forward and backward
  compiled  torch.compile (inductor) of F.interpolate as a peer, forward and a training step (forward+backward),
            and ours inside a compiled graph beside ours in eager; float32 cases of the large matrix

Every case is timed by one procedure: each callable runs twice to warm up; one loop length (calls per sample) is
chosen so that the slowest callable's sample takes at least --sample-ms; then --repeats rounds each time every
callable once, in turn; a case reports the median per-call time of each. No case is timed again.

The heap (``--heap``): ``default`` is glibc as a user's process has it (large blocks mapped fresh, so a new output
may page-fault); ``warm`` serves every allocation from a heap that is never trimmed (mallopt), for every library
alike, so that the kernels are timed rather than page faults. ``both`` (the default) runs the matrix under the
default heap, then again in a child process with the warm heap; the tables show both. torchresample itself never
changes allocator settings.

A backward case times ``torch.autograd.grad`` through the op, what a user's backward costs; on small maps the
autograd engine's own cost dominates it on both sides (a gradient through ``x * 1`` costs about as much). The
columns ``torch op`` and ``ours op`` time each side's backward kernel alone: the one backward op the gradient
dispatches (recorded under a TorchDispatchMode), called on the recorded arguments.

The reference column ``copy``: torch's ``Tensor.copy_`` of as many bytes as the op must read plus write (half
read, half written), on the same device: what moving those bytes costs with a streaming copy, not a lower bound of
the op (an op that reads a cached input can beat it).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

import torchresample
from torchresample import interpolate

ROOT = Path(__file__).resolve().parent


@dataclass
class Case:
    """One timed case: ``interpolate(x, **kwargs)`` on a tensor of ``shape``; ``backward`` times the gradient."""

    matrix: str
    name: str
    shape: Sequence[int]
    kwargs: Dict
    dtype: str = "float32"
    channels_last: bool = False
    backward: bool = False
    # heap -> callable -> median ms per call
    results: Dict[str, Dict[str, float]] = field(default_factory=dict)


MODES_2D = [
    ("nearest", dict(mode="nearest")),
    ("nearest-exact", dict(mode="nearest-exact")),
    ("bilinear", dict(mode="bilinear")),
    ("bicubic", dict(mode="bicubic")),
    ("area", dict(mode="area")),
    ("bilinear-aa", dict(mode="bilinear", antialias=True)),
    ("bicubic-aa", dict(mode="bicubic", antialias=True)),
]
MODES_3D = [("nearest", dict(mode="nearest")), ("trilinear", dict(mode="trilinear")), ("area", dict(mode="area"))]
FEATURES = (8, 64, 128, 128)
IMAGE = (1, 3, 1080, 1920)
VOLUME = (2, 16, 32, 64, 64)
UINT8_MODES = ("nearest", "bilinear", "bicubic", "bilinear-aa", "bicubic-aa")


def large_cases(quick: bool = False) -> List[Case]:
    out: List[Case] = []
    dtypes = ["float32"] if quick else ["float32", "bfloat16", "uint8"]
    layouts = [False] if quick else [False, True]
    modes_2d = [MODES_2D[i] for i in (0, 2, 3, 5)] if quick else MODES_2D
    for label, kw in modes_2d:
        for factor in (2.0, 0.5):
            for dtype in dtypes:
                if dtype == "uint8" and label not in UINT8_MODES:
                    continue
                for cl in layouts:
                    for bwd in (False, True):
                        if not (bwd and dtype == "uint8"):
                            out.append(
                                Case(
                                    "large",
                                    f"{label} x{factor:g}",
                                    FEATURES,
                                    dict(kw, scale_factor=factor),
                                    dtype,
                                    cl,
                                    bwd,
                                )
                            )
    for label in ("bilinear-aa", "bicubic-aa"):
        kw = dict(mode=label.split("-")[0], antialias=True, size=(224, 224))
        for dtype in ["float32"] if quick else ["float32", "uint8"]:
            for cl in [True] if quick else [False, True]:
                out.append(Case("large", f"{label} 1080p->224", IMAGE, kw, dtype, cl))
    for label, kw in MODES_3D[:2] if quick else MODES_3D:
        for factor in (2.0, 0.5):
            for bwd in (False, True):
                out.append(
                    Case(
                        "large",
                        f"{label} 3-D x{factor:g}",
                        VOLUME,
                        dict(kw, scale_factor=factor),
                        "float32",
                        False,
                        bwd,
                    )
                )
    return out


SMALL_MODES = ("nearest", "nearest-exact", "bilinear", "bicubic", "area")


def small_cases(quick: bool = False) -> List[Case]:
    """N=1 maps of 8^2, 16^2, 32^2 with 3, 64 or 256 channels, x2 and x0.5, both layouts, forward and backward."""
    out: List[Case] = []
    channels = (64,) if quick else (3, 64, 256)
    sides = (8, 32) if quick else (8, 16, 32)
    for mode in SMALL_MODES:
        for c in channels:
            for side in sides:
                for factor in (2.0, 0.5):
                    for cl in (False, True):
                        for bwd in (False, True):
                            out.append(
                                Case(
                                    "small",
                                    f"{mode} {c}x{side}x{side} x{factor:g}",
                                    (1, c, side, side),
                                    dict(mode=mode, scale_factor=factor),
                                    "float32",
                                    cl,
                                    bwd,
                                )
                            )
    return out


def compiled_cases(quick: bool = False) -> List[Case]:
    """The float32 cases of the large matrix (compiling each costs seconds: --quick keeps four)."""
    cases = [c for c in large_cases(quick) if c.dtype == "float32"]
    if quick:
        cases = [c for c in cases if c.name in ("bilinear x2", "bicubic x0.5")][:4]
    for c in cases:
        c.matrix = "compiled"
    return cases


MATRICES = {"large": large_cases, "small": small_cases, "compiled": compiled_cases}


def make_input(case: Case, device: str) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    if case.dtype == "uint8":
        x = torch.randint(0, 256, tuple(case.shape), generator=g, dtype=torch.uint8)
    else:
        x = torch.rand(tuple(case.shape), generator=g).to(getattr(torch, case.dtype))
    if case.channels_last:
        x = x.contiguous(memory_format=torch.channels_last if x.dim() == 4 else torch.channels_last_3d)
    return x.to(device)


def torch_has(case: Case, x: torch.Tensor) -> bool:
    """Whether torch's interpolate takes this case (torch has no bfloat16 antialias on CPU, no uint8 bicubic, ...)."""
    try:
        F.interpolate(x[:1], **case.kwargs)
        return True
    except (NotImplementedError, ValueError, RuntimeError):
        return False


def _gradient_step(fn: Callable, x: torch.Tensor, kwargs: Dict) -> Callable[[], object]:
    """A callable timing the backward alone: the graph is recorded once and kept (retain_graph)."""
    xr = x.detach().clone().requires_grad_(True)
    y = fn(xr, **kwargs)
    grad = torch.rand_like(y)
    return lambda: torch.autograd.grad(y, xr, grad, retain_graph=True)


class _Recorder(TorchDispatchMode):
    """Records every op dispatched under it (custom ops included) with its arguments."""

    def __init__(self):
        super().__init__()
        self.calls: List[tuple] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        self.calls.append((func, args, kwargs))
        return func(*args, **kwargs)


def _backward_op(fn: Callable, x: torch.Tensor, kwargs: Dict) -> Optional[Callable[[], object]]:
    """The backward kernel of fn alone, without the autograd engine: the one op whose name says backward that a
    gradient of fn(x) dispatches (torch's upsample_*_backward or _adaptive_avg_pool*_backward, our
    resample_backward), replayed on the recorded arguments. None when there is not exactly one."""
    xr = x.detach().clone().requires_grad_(True)
    y = fn(xr, **kwargs)
    grad = torch.rand_like(y)
    with _Recorder() as recorder:
        torch.autograd.grad(y, xr, grad)
    found = [(f, a, k) for f, a, k in recorder.calls if "backward" in str(f)]
    if len(found) != 1:
        return None
    func, args, kw = found[0]
    return lambda: func(*args, **kw)


def _training_step(fn: Callable, x: torch.Tensor, kwargs: Dict) -> Callable[[], object]:
    """A callable timing forward and backward together (what a compiled training step runs)."""
    xr = x.detach().clone().requires_grad_(True)
    grad = torch.rand_like(fn(xr, **kwargs))
    return lambda: torch.autograd.grad(fn(xr, **kwargs), xr, grad)


def _compiled(fn: Callable, kwargs: Dict) -> Callable:
    compiled = torch.compile(lambda t: fn(t, **kwargs), dynamic=False, fullgraph=True)
    return lambda t, **_: compiled(t)


def _copy_reference(case: Case, x: torch.Tensor, out_shape: Sequence[int]) -> Callable[[], object]:
    """copy_ of (bytes read + bytes written) / 2 into a preallocated buffer: the op's bytes moved by a stream."""
    read, write = (out_shape, x.shape) if case.backward else (x.shape, out_shape)
    element = x.element_size()
    total = (math.prod(read) + math.prod(write)) * element
    n = max(1, total // (2 * element))
    src = (
        torch.rand(n, device=x.device).to(x.dtype)
        if x.is_floating_point()
        else torch.ones(n, dtype=x.dtype, device=x.device)
    )
    dst = torch.empty_like(src)
    return lambda: dst.copy_(src)


def callables(case: Case, x: torch.Tensor) -> Dict[str, Callable[[], object]]:
    kw = case.kwargs
    has_torch = torch_has(case, x)
    out_shape = interpolate(x, **kw).shape
    fns: Dict[str, Callable[[], object]] = {}
    if case.matrix == "compiled":
        # Every case compiles the same lambdas: a fresh dynamo cache per case keeps them under its recompile limit.
        torch._dynamo.reset()
        # Forward: compiled F.interpolate, ours eager, ours compiled. Backward: the training step (forward+backward).
        step = _training_step if case.backward else (lambda fn, t, k: lambda: fn(t, **k))
        fns["ours"] = step(interpolate, x, kw)
        if has_torch:
            fns["inductor"] = step(_compiled(F.interpolate, kw), x, kw)
        fns["ours_compiled"] = step(_compiled(interpolate, kw), x, kw)
        return fns
    if case.backward:
        fns["ours"] = _gradient_step(interpolate, x, kw)
        if has_torch:
            fns["torch"] = _gradient_step(F.interpolate, x, kw)
            if x.is_cuda:
                fns.update(_deterministic_backwards(x, kw))
            ops = {"ours_op": _backward_op(interpolate, x, kw), "torch_op": _backward_op(F.interpolate, x, kw)}
            if all(ops.values()):
                fns.update(ops)
    else:
        fns["ours"] = lambda: interpolate(x, **kw)
        if has_torch:
            fns["torch"] = lambda: F.interpolate(x, **kw)
    fns["copy"] = _copy_reference(case, x, out_shape)
    fns.update(_image_library_callables(case, x))
    return fns


def _deterministic_backwards(x: torch.Tensor, kw: Dict) -> Dict[str, Callable[[], object]]:
    """The backward alone of torch and of ours, each under use_deterministic_algorithms(True): like for like (ours is
    deterministic either way). Empty where torch refuses the mode for this case."""
    previous = torch.are_deterministic_algorithms_enabled()

    def deterministic(step: Callable[[], object]) -> Callable[[], object]:
        def run():
            torch.use_deterministic_algorithms(True)
            try:
                return step()
            finally:
                torch.use_deterministic_algorithms(previous)

        return run

    torch_step = deterministic(_gradient_step(F.interpolate, x, kw))
    try:
        torch_step()
    except RuntimeError:
        return {}
    return {"torch_det": torch_step, "ours_det": deterministic(_gradient_step(interpolate, x, kw))}


IMAGE_CASES = ("bilinear-aa 1080p->224", "bicubic-aa 1080p->224")


def _image_library_callables(case: Case, x: torch.Tensor) -> Dict[str, Callable[[], object]]:
    """Pillow and (when importable) OpenCV INTER_AREA resizing the same pixels as an RGB / HWC uint8 image."""
    if x.is_cuda or case.name not in IMAGE_CASES or case.dtype != "uint8":
        return {}
    hwc = x[0].permute(1, 2, 0).contiguous().numpy()  # converted once, outside the timed callables
    h, w = case.kwargs["size"]
    fns: Dict[str, Callable[[], object]] = {}
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        im = Image.fromarray(hwc)
        resample = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}[case.kwargs["mode"]]
        fns["pillow"] = lambda: im.resize((w, h), resample)  # one thread, whatever torch's count
    try:
        import cv2
    except ImportError:
        cv2 = None
    if cv2 is not None:
        cv2.setNumThreads(torch.get_num_threads())
        fns["opencv"] = lambda: cv2.resize(hwc, (w, h), interpolation=cv2.INTER_AREA)
    return fns


class Timer:
    """Per-call milliseconds: CUDA events around a loop on GPU, perf_counter on CPU."""

    def __init__(self, device: str, repeats: int, sample_ms: float):
        self.device = device
        self.repeats = repeats
        self.sample_ms = sample_ms

    def loop(self, fn: Callable[[], object], calls: int) -> float:
        if self.device == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(calls):
                fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end) / calls
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - t0) * 1e3 / calls

    def case(self, fns: Dict[str, Callable[[], object]]) -> Dict[str, float]:
        for fn in fns.values():  # warm-up: plans, compiled graphs, caches
            fn()
            fn()
        slowest = max(self.loop(fn, 1) for fn in fns.values())
        calls = max(1, min(10000, math.ceil(self.sample_ms / max(slowest, 1e-6))))
        samples: Dict[str, List[float]] = {k: [] for k in fns}
        for _ in range(self.repeats):
            for k, fn in fns.items():
                samples[k].append(self.loop(fn, calls))
        return {k: statistics.median(v) for k, v in samples.items()}


def warm_heap() -> bool:
    """Serve every CPU allocation from glibc's heap and never trim it (process-wide, for every library alike):
    outputs then land on warm pages. Returns whether it could (glibc only)."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        return False
    if mallopt is None:
        return False
    m_trim_threshold, m_mmap_max = -1, -4
    return bool(mallopt(m_mmap_max, 0)) and bool(mallopt(m_trim_threshold, 1 << 30))


# The columns of the tables: (key in results, header). Speed-ups are the peer's time over ours.
COLUMNS = {
    "large": [
        ("torch", "torch"),
        ("ours", "ours"),
        ("copy", "copy"),
        ("pillow", "Pillow"),
        ("opencv", "OpenCV"),
        ("torch_det", "torch det."),
        ("ours_det", "ours det."),
        ("torch_op", "torch op"),
        ("ours_op", "ours op"),
    ],
    "small": [("torch", "torch"), ("ours", "ours"), ("copy", "copy"), ("torch_op", "torch op"), ("ours_op", "ours op")],
    "compiled": [("inductor", "inductor"), ("ours", "ours eager"), ("ours_compiled", "ours compiled")],
}
PEER = {"large": "torch", "small": "torch", "compiled": "inductor"}


def run(selected: List[Case], device: str, heap: str, timer: Timer, print_fn=print) -> None:
    for case in selected:
        r = timer.case(callables(case, make_input(case, device)))
        case.results[heap] = r
        peer = r.get(PEER[case.matrix])
        speed = f"{peer / r['ours']:.2f}x" if peer else "-"
        extra = "  ".join(f"{k} {v:.4f}" for k, v in r.items() if k not in ("ours", PEER[case.matrix]))
        print_fn(
            f"[{heap}] {case.matrix:8s} {label(case):58s} ours {r['ours']:.4f} ms  {PEER[case.matrix]} "
            f"{peer or float('nan'):.4f} ms  {speed:>7s}  {extra}",
            flush=True,
        )


def label(case: Case) -> str:
    return (
        f"{case.name} {case.dtype} {'channels_last' if case.channels_last else 'contiguous'} "
        f"{'backward' if case.backward else 'forward'}"
    )


def _geomean(values: List[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def summary(results: List[Case], heap: str) -> Dict[str, Dict[str, float]]:
    """Per matrix and pass: geometric-mean and minimum speed-up over the matrix's peer, and the cases under 1.0x."""
    out: Dict[str, Dict[str, float]] = {}
    for matrix in MATRICES:
        for backward in (False, True):
            speed = [
                c.results[heap][PEER[matrix]] / c.results[heap]["ours"]
                for c in results
                if c.matrix == matrix
                and c.backward == backward
                and heap in c.results
                and PEER[matrix] in c.results[heap]
            ]
            if speed:
                out[f"{matrix} {'backward' if backward else 'forward'}"] = {
                    "geomean": _geomean(speed),
                    "min": min(speed),
                    "under_1x": sum(s < 1.0 for s in speed),
                    "cases": len(speed),
                }
        op_speed = [
            c.results[heap]["torch_op"] / c.results[heap]["ours_op"]
            for c in results
            if c.matrix == matrix and heap in c.results and "torch_op" in c.results[heap]
        ]
        if op_speed:
            out[f"{matrix} backward-op"] = {
                "geomean": _geomean(op_speed),
                "min": min(op_speed),
                "under_1x": sum(s < 1.0 for s in op_speed),
                "cases": len(op_speed),
            }
    return out


def machine(device: str) -> Dict[str, str]:
    info = {
        "date": datetime.date.today().isoformat(),
        "torch": torch.__version__,
        "torchresample": torchresample.__version__,
        "threads": str(torch.get_num_threads()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "device": device,
    }
    try:
        cpu = next(line for line in open("/proc/cpuinfo") if line.startswith("model name"))
        info["cpu"] = cpu.split(":", 1)[1].strip()
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    info["cores"] = str(os.cpu_count())
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name()
        info["cuda"] = str(torch.version.cuda)
    return info


def _ms(value: Optional[float]) -> str:
    return f"{value:.4f}" if value is not None else "-"


def write_results(results: List[Case], out_dir: Path, device: str, heaps: List[str], argv: List[str]) -> None:
    """results.json and results.md (a table per matrix, both heaps side by side)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = machine(device)
    summaries = {heap: summary(results, heap) for heap in heaps}
    (out_dir / "results.json").write_text(
        json.dumps(
            {"machine": meta, "command": argv, "summary": summaries, "cases": [asdict(c) for c in results]}, indent=1
        )
    )
    lines = [
        f"# Benchmarks: {meta.get('gpu', meta['cpu'])}, {meta['threads']} threads, torch {meta['torch']}, "
        f"{meta['date']}",
        "",
        f"`python benchmarks/bench.py {' '.join(argv)}`; the procedure is in the "
        "docstring of benchmarks/bench.py. Times are milliseconds per call (median of the rounds); speed-up = "
        "the peer's time / ours (torch eager for the large and small matrices, inductor for the compiled "
        "one). `copy` moves the op's bytes with a streaming copy (a reference, not a bound). A backward "
        "case times `torch.autograd.grad` (what a user's backward costs); `torch op` / `ours op` time the "
        "backward kernel alone, called on the recorded arguments without the autograd engine, and the "
        "`backward-op` rows of the summary are their ratios.",
        "",
    ]
    lines += [
        "## Summary",
        "",
        "| matrix | pass | heap | geomean | min | cases under 1.0x |",
        "|---|---|---|---:|---:|---:|",
    ]
    for key in summaries[heaps[0]]:
        for heap in heaps:
            s = summaries[heap].get(key)
            if s:
                matrix, what = key.split()
                lines.append(
                    f"| {matrix} | {what} | {heap} | {s['geomean']:.2f}x | {s['min']:.2f}x | "
                    f"{s['under_1x']} of {s['cases']} |"
                )
    for matrix in MATRICES:
        cases = [c for c in results if c.matrix == matrix]
        if not cases:
            continue
        cols = [(k, h) for k, h in COLUMNS[matrix] if any(k in c.results.get(hp, {}) for c in cases for hp in heaps)]
        lines += ["", f"## {matrix}", ""]
        header = ["case", "dtype", "layout", "pass"]
        for heap in heaps:
            header += [f"{h} ({heap})" for _, h in cols] + [f"speed-up ({heap})"]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * 4 + "---:|" * (len(header) - 4)]
        for c in cases:
            row = [
                c.name,
                c.dtype,
                "channels_last" if c.channels_last else "contiguous",
                "backward" if c.backward else "forward",
            ]
            for heap in heaps:
                r = c.results.get(heap, {})
                row += [_ms(r.get(k)) for k, _ in cols]
                peer = r.get(PEER[matrix])
                row.append(f"{peer / r['ours']:.2f}" if peer and "ours" in r else "-")
            lines.append("| " + " | ".join(row) + " |")
        lost = [
            c
            for c in cases
            for heap in heaps[:1]
            if PEER[matrix] in c.results.get(heap, {}) and c.results[heap][PEER[matrix]] < c.results[heap]["ours"]
        ]
        lines += [
            "",
            f"Cases under 1.0x ({heaps[0]} heap): "
            + (
                "; ".join(
                    f"{label(c)} {c.results[heaps[0]][PEER[matrix]] / c.results[heaps[0]]['ours']:.2f}x" for c in lost
                )
                if lost
                else "none"
            )
            + ".",
        ]
    (out_dir / "results.md").write_text("\n".join(lines) + "\n")


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--matrix", default="large,small", help="comma-separated: large, small, compiled")
    parser.add_argument("--quick", action="store_true", help="a short representative subset of each matrix")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=11, help="interleaved rounds per case")
    parser.add_argument("--sample-ms", type=float, default=2.0, help="least duration of one timed loop")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--filter", default="", help="only cases whose label contains this text")
    parser.add_argument("--heap", default="both", choices=["default", "warm", "both"])
    parser.add_argument("--out", type=Path, default=None, help="results folder (default results/<date>-<device>)")
    parser.add_argument("--json-cases", type=Path, default=None, help=argparse.SUPPRESS)  # the warm-heap child
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    selected = [c for m in args.matrix.split(",") for c in MATRICES[m](args.quick) if args.filter in label(c)]
    heaps = ["default", "warm"] if args.heap == "both" else [args.heap]
    timer = Timer(args.device, args.repeats, args.sample_ms)
    if args.heap == "warm" and not warm_heap():
        print("bench: this C library has no mallopt; the warm heap is not available", file=sys.stderr)
        return 1
    first = heaps[0] if args.heap != "both" else "default"
    run(selected, args.device, first, timer)
    if args.json_cases is not None:  # a child run: hand the timings back
        args.json_cases.write_text(json.dumps([c.results for c in selected]))
        return 0
    if args.heap == "both":
        child_argv = [a for i, a in enumerate(argv) if not a.startswith("--heap") and argv[i - 1 : i] != ["--heap"]]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "warm.json"
            subprocess.run(
                [sys.executable, __file__, *child_argv, "--heap", "warm", "--json-cases", str(path)], check=True
            )
            for case, results in zip(selected, json.loads(path.read_text())):
                case.results.update(results)
    for key, s in summary(selected, heaps[0]).items():
        print(
            f"{key} ({heaps[0]} heap): geomean {s['geomean']:.2f}x, min {s['min']:.2f}x, "
            f"{s['under_1x']} of {s['cases']} under 1.0x"
        )
    out = args.out or ROOT / "results" / f"{datetime.date.today().isoformat()}-{args.device}"
    write_results(selected, out, args.device, heaps, argv)
    print(f"wrote {out}/results.json, results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
