"""Benchmarks: ours against torch in one process, interleaved, medians, with the memory floor of every case.

The uint8 1080p->224 image cases also time Pillow and (when installed) OpenCV on the same pixels as an HWC image.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import datetime
import json
import math
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F

from .functional import interpolate

__all__ = ["Case", "cases", "run", "main"]


@dataclass
class Case:
    """One timed case: ``interpolate(x, **kwargs)`` on a tensor of ``shape``, forward or backward."""

    name: str
    shape: Sequence[int]
    kwargs: Dict
    dtype: str = "float32"
    channels_last: bool = False
    backward: bool = False
    results: Dict[str, float] = field(default_factory=dict)


MODES_2D = [
    ("nearest", dict(mode="nearest")),
    ("nearest-exact", dict(mode="nearest-exact")),
    ("bilinear", dict(mode="bilinear")),
    ("bicubic", dict(mode="bicubic")),
    ("area", dict(mode="area")),
    ("bilinear-aa", dict(mode="bilinear", antialias=True)),
    ("bicubic-aa", dict(mode="bicubic", antialias=True)),
]
MODES_3D = [
    ("nearest", dict(mode="nearest")),
    ("trilinear", dict(mode="trilinear")),
    ("area", dict(mode="area")),
]
FEATURES = (8, 64, 128, 128)
IMAGE = (1, 3, 1080, 1920)
VOLUME = (2, 16, 32, 64, 64)


def cases(quick: bool = False) -> List[Case]:
    """The benchmark matrix; ``quick`` keeps a representative subset."""
    out: List[Case] = []
    dtypes = ["float32"] if quick else ["float32", "bfloat16", "uint8"]
    layouts = [False] if quick else [False, True]
    modes_2d = MODES_2D[:1] + MODES_2D[2:4] + MODES_2D[5:6] if quick else MODES_2D
    for label, kw in modes_2d:
        for factor in (2.0, 0.5):
            for dtype in dtypes:
                if dtype == "uint8" and label not in ("nearest", "bilinear", "bicubic", "bilinear-aa", "bicubic-aa"):
                    continue
                for cl in layouts:
                    for bwd in (False, True):
                        if bwd and dtype == "uint8":
                            continue
                        out.append(Case(f"{label} x{factor:g}", FEATURES, dict(kw, scale_factor=factor), dtype, cl, bwd))
    for label in ("bilinear-aa", "bicubic-aa"):
        kw = dict(mode=label.split("-")[0], antialias=True, size=(224, 224))
        for dtype in (["float32", "uint8"] if not quick else ["float32"]):
            for cl in ([False, True] if not quick else [True]):
                out.append(Case(f"{label} 1080p->224", IMAGE, kw, dtype, cl))
    for label, kw in (MODES_3D[:2] if quick else MODES_3D):
        for factor in (2.0, 0.5):
            for bwd in (False, True):
                out.append(Case(f"{label} 3-D x{factor:g}", VOLUME, dict(kw, scale_factor=factor), "float32", False, bwd))
    return out


def _make_input(case: Case, device: str) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    if case.dtype == "uint8":
        x = torch.randint(0, 256, tuple(case.shape), generator=g, dtype=torch.uint8)
    else:
        x = torch.rand(tuple(case.shape), generator=g).to(getattr(torch, case.dtype))
    if case.channels_last:
        x = x.contiguous(memory_format=torch.channels_last if x.dim() == 4 else torch.channels_last_3d)
    return x.to(device)


class _Timer:
    """Median milliseconds of a callable: CUDA events on GPU, perf_counter on CPU, after a warm-up."""

    def __init__(self, device: str, repeats: int):
        self.device = device
        self.repeats = repeats

    def once(self, fn: Callable[[], object]) -> float:
        if self.device == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end)
        # Not torch.utils.benchmark.Timer: timeit(1) per sample costs ~100 us of wall time and ~1.5 us of reported
        # time on a tiny callable (and defaults to one thread); blocked_autorange would break the interleaving.
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e3

    def interleaved(self, fns: Dict[str, Callable[[], object]]) -> Dict[str, float]:
        for fn in fns.values():
            fn()
        samples: Dict[str, List[float]] = {k: [] for k in fns}
        for _ in range(self.repeats):
            for k, fn in fns.items():
                samples[k].append(self.once(fn))
        return {k: statistics.median(v) for k, v in samples.items()}


def _callables(case: Case, x: torch.Tensor) -> Dict[str, Callable[[], object]]:
    kw = case.kwargs
    try:
        F.interpolate(x[:1], **kw)
        has_torch = True
    except (NotImplementedError, ValueError, RuntimeError):
        has_torch = False
    out_shape = interpolate(x, **kw).shape
    fns: Dict[str, Callable[[], object]] = {}
    if case.backward:
        xs = {}
        for name, f in (("ours", interpolate), ("torch", F.interpolate)):
            if name == "torch" and not has_torch:
                continue
            xr = x.detach().clone().requires_grad_(True)
            y = f(xr, **kw)
            grad = torch.rand_like(y)
            xs[name] = (xr, y, grad)
            fns[name] = (lambda xr=xr, y=y, grad=grad: torch.autograd.grad(y, xr, grad, retain_graph=True))
        if has_torch and x.is_cuda:
            fns.update(_deterministic_backward(x, kw))
        read_shape, write_shape = out_shape, x.shape
    else:
        fns["ours"] = lambda: interpolate(x, **kw)
        if has_torch:
            fns["torch"] = lambda: F.interpolate(x, **kw)
        read_shape, write_shape = x.shape, out_shape
    # The floor: read the input once and write a newly allocated output once (warm pages on CPU, as the ops'
    # outputs are: steady_allocator).
    src = torch.empty(read_shape, dtype=x.dtype, device=x.device).fill_(1)
    fns["floor"] = lambda: (src.max(), torch.empty(write_shape, dtype=x.dtype, device=x.device).fill_(1))
    fns.update(_image_library_callables(case, x))
    return fns


def _deterministic_backward(x: torch.Tensor, kw: Dict) -> Dict[str, Callable[[], object]]:
    """torch's backward alone under use_deterministic_algorithms(True), like ours: the graph is built once, each
    call times autograd.grad (and the mode switch around it). Empty where torch refuses the mode for this case."""
    previous = torch.are_deterministic_algorithms_enabled()
    xr = x.detach().clone().requires_grad_(True)
    y = F.interpolate(xr, **kw)
    grad = torch.rand_like(y)

    def deterministic():
        torch.use_deterministic_algorithms(True)
        try:
            return torch.autograd.grad(y, xr, grad, retain_graph=True)
        finally:
            torch.use_deterministic_algorithms(previous)

    try:
        deterministic()
    except RuntimeError:
        return {}
    return {"torch_deterministic": deterministic}


def _is_image_case(case: Case) -> bool:
    """The uint8 1080p->224 antialias forward cases, where Pillow and OpenCV are timed too (CPU only)."""
    return (tuple(case.shape) == IMAGE and case.dtype == "uint8" and not case.backward
            and case.kwargs.get("antialias") and "size" in case.kwargs)


def _image_library_callables(case: Case, x: torch.Tensor) -> Dict[str, Callable[[], object]]:
    """Pillow and (when importable) OpenCV resizing the same pixels as an RGB / HWC uint8 image."""
    if x.is_cuda or not _is_image_case(case):
        return {}
    hwc = x[0].permute(1, 2, 0).contiguous().numpy()  # converted once, outside the timed callables
    h, w = case.kwargs["size"]
    fns: Dict[str, Callable[[], object]] = {}
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        # Pillow is single-threaded: its resize uses one core whatever torch.get_num_threads() is.
        im = Image.fromarray(hwc)  # (H, W, 3) uint8 -> mode "RGB"
        resample = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}[case.kwargs["mode"]]
        fns["pillow"] = lambda: im.resize((w, h), resample)
    try:
        import cv2
    except ImportError:
        cv2 = None
    if cv2 is not None:
        cv2.setNumThreads(torch.get_num_threads())  # the same thread count as torch and ours
        # INTER_AREA: what OpenCV users pick for downscaling (INTER_LINEAR / INTER_CUBIC do not antialias).
        fns["opencv"] = lambda: cv2.resize(hwc, (w, h), interpolation=cv2.INTER_AREA)
    return fns


def steady_allocator() -> bool:
    """Serve every CPU allocation from glibc's heap and never trim it (the same for torch and ours): after its
    first call, every op writes its output to warm pages, so cases time the kernels rather than page faults.

    By default glibc maps large blocks fresh (page faults cost a 128 MiB output ~35 ms here) and moves its
    mmap threshold as blocks are freed, so whether an output landed on warm or fresh pages depended on which
    op freed what before: one op of a pair timed 3-4x faster than the other at random, and pinning only the
    threshold still left blocks of exactly 32 MiB (a float32 8x64x128x128 gradient) to chance. Returns
    whether it could (glibc only)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):
        return False
    if mallopt is None:
        return False
    m_trim_threshold, m_mmap_max = -1, -4
    return bool(mallopt(m_mmap_max, 0)) and bool(mallopt(m_trim_threshold, 1 << 30))


def run(selected: List[Case], device: str = "cpu", repeats: int = 15, print_fn=print) -> List[Case]:
    """Time every case; fill ``case.results`` with medians (ms)."""
    steady_allocator()
    timer = _Timer(device, repeats)
    header = (f"{'case':<34} {'dtype':<9} {'layout':<6} {'pass':<4} {'torch ms':>9} {'ours ms':>9} {'speed-up':>8} "
              f"{'% floor':>8} {'Pillow ms':>9} {'OpenCV ms':>9} {'torch det. ms':>13}")
    print_fn(header)

    def report(case: Case, note: str = "") -> None:
        r = case.results
        torch_ms = r.get("torch")
        speed = f"{torch_ms / r['ours']:.2f}" if torch_ms else "-"
        print_fn(
            f"{case.name:<34} {case.dtype:<9} {'CL' if case.channels_last else 'NCHW':<6} "
            f"{'bwd' if case.backward else 'fwd':<4} {torch_ms or float('nan'):>9.3f} {r['ours']:>9.3f} "
            f"{speed:>8} {100 * r['floor'] / r['ours']:>7.0f}% {_ms(r.get('pillow')):>9} {_ms(r.get('opencv')):>9}"
            f" {_ms(r.get('torch_deterministic')):>13}" + note
        )

    for case in selected:
        case.results = timer.interleaved(_callables(case, _make_input(case, device)))
        report(case)
    # A case under 1.0x is timed again once, after the whole matrix (a fresh input, the caches and the other
    # core in another state). The table keeps the second timing and the JSON both (first_torch / first_ours).
    slower = [c for c in selected if "torch" in c.results and c.results["torch"] < c.results["ours"]]
    if slower:
        print_fn(f"re-measuring {len(slower)} case(s) under 1.0x:")
    for case in slower:
        first = case.results
        case.results = timer.interleaved(_callables(case, _make_input(case, device)))
        case.results.update(first_torch=first["torch"], first_ours=first["ours"])
        report(case, f"   (first: {first['torch'] / first['ours']:.2f}x)")
    return selected


def _first(r: Dict[str, float]) -> str:
    return f" ({r['first_torch'] / r['first_ours']:.2f})" if "first_ours" in r else ""


def _ms(value: Optional[float]) -> str:
    return f"{value:.3f}" if value is not None else "-"


def _geomean(values: List[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def summary(results: List[Case]) -> Dict[str, float]:
    fwd = [c.results["torch"] / c.results["ours"] for c in results if "torch" in c.results and not c.backward]
    bwd = [c.results["torch"] / c.results["ours"] for c in results if "torch" in c.results and c.backward]
    return {
        "geomean_speedup_forward": _geomean(fwd),
        "geomean_speedup_backward": _geomean(bwd),
        "min_speedup_forward": min(fwd) if fwd else float("nan"),
        "min_speedup_backward": min(bwd) if bwd else float("nan"),
        "cases_under_1x": sum(s < 1.0 for s in fwd + bwd),
        "cases_with_torch": len(fwd) + len(bwd),
        "cases": len(results),
    }


def machine(device: str) -> Dict[str, str]:
    info = {
        "date": datetime.date.today().isoformat(),
        "torch": torch.__version__,
        "threads": str(torch.get_num_threads()),
        "platform": platform.platform(),
        "device": device,
    }
    try:
        cpu = next(line for line in open("/proc/cpuinfo") if line.startswith("model name"))
        info["cpu"] = cpu.split(":", 1)[1].strip()
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name()
        info["cuda"] = str(torch.version.cuda)
    return info


def write_results(results: List[Case], out_dir: Path, device: str) -> None:
    """JSON, a markdown table and (with matplotlib) a bar chart of the speed-ups."""
    out_dir.mkdir(parents=True, exist_ok=True)
    meta, summ = machine(device), summary(results)
    (out_dir / "results.json").write_text(
        json.dumps({"machine": meta, "summary": summ, "cases": [asdict(c) for c in results]}, indent=1)
    )
    lines = [
        f"# Benchmark: {meta.get('gpu', meta['cpu'])}, {meta['threads']} threads, torch {meta['torch']}, {meta['date']}",
        "",
        f"Geometric-mean speed-up over torch: forward {summ['geomean_speedup_forward']:.2f}x, "
        f"backward {summ['geomean_speedup_backward']:.2f}x (min {summ['min_speedup_forward']:.2f}x / "
        f"{summ['min_speedup_backward']:.2f}x); {summ['cases_under_1x']} of {summ['cases_with_torch']} cases under "
        "1.0x. % of floor = (read input + write a new output) / ours. "
        "Pillow ms / OpenCV ms (uint8 1080p->224 cases, CPU only, \"-\" elsewhere or when not installed): the same "
        "pixels as an RGB / HWC uint8 image resized by Pillow `Image.resize` (BILINEAR / BICUBIC, single-threaded) "
        f"and OpenCV `cv2.resize` INTER_AREA ({meta['threads']} threads); speed-ups are against torch only. "
        "torch det. ms (CUDA backward only): torch's backward alone under `use_deterministic_algorithms(True)`, "
        "\"-\" where torch refuses that mode; ours is deterministic always.",
        "",
        "CPU allocations all come from glibc's heap, never trimmed (`steady_allocator`): outputs land on warm "
        "pages, for torch, ours and the floor alike, so cases time the kernels rather than page faults. "
        "Cases first measured under 1.0x were timed again after the whole matrix; they show that timing, with the "
        "first speed-up in brackets.",
        "",
        "| case | dtype | layout | pass | torch ms | ours ms | speed-up | % of floor | Pillow ms | OpenCV ms | "
        "torch det. ms |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in results:
        r = c.results
        t = r.get("torch")
        lines.append(
            f"| {c.name} | {c.dtype} | {'channels_last' if c.channels_last else 'contiguous'} | "
            f"{'backward' if c.backward else 'forward'} | {t if t else float('nan'):.3f} | {r['ours']:.3f} | "
            f"{(t / r['ours']) if t else float('nan'):.2f}{_first(r)} | {100 * r['floor'] / r['ours']:.0f}% | "
            f"{_ms(r.get('pillow'))} | {_ms(r.get('opencv'))} | {_ms(r.get('torch_deterministic'))} |"
        )
    (out_dir / "results.md").write_text("\n".join(lines) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    timed = [c for c in results if "torch" in c.results]
    labels = [f"{c.name} {c.dtype} {'CL' if c.channels_last else ''} {'bwd' if c.backward else ''}" for c in timed]
    speed = [c.results["torch"] / c.results["ours"] for c in timed]
    fig, ax = plt.subplots(figsize=(8, max(3, 0.18 * len(timed))))
    ax.barh(range(len(timed)), speed, color=["tab:green" if s >= 1 else "tab:red" for s in speed])
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_yticks(range(len(timed)), labels, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel("speed-up over torch (higher is better)")
    ax.set_title(f"torchresample vs torch {meta['torch']} ({meta.get('gpu', 'CPU')}, {meta['threads']} threads)")
    fig.tight_layout()
    fig.savefig(out_dir / "speedup.png", dpi=110)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="torchresample bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short representative subset")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--filter", default="", help="only cases whose name contains this text")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results/<date>-<device>)")
    args = parser.parse_args(argv)
    selected = [c for c in cases(args.quick) if args.filter in c.name]
    results = run(selected, args.device, args.repeats)
    summ = summary(results)
    print(
        f"geomean speed-up: forward {summ['geomean_speedup_forward']:.2f}x, "
        f"backward {summ['geomean_speedup_backward']:.2f}x; {summ['cases_under_1x']} of {summ['cases_with_torch']} "
        "cases under 1.0x"
    )
    out = args.out or Path("benchmarks/results") / f"{datetime.date.today().isoformat()}-{args.device}"
    write_results(results, out, args.device)
    print(f"wrote {out}/results.json, results.md" + (", speedup.png" if (out / "speedup.png").exists() else ""))
    return 0
