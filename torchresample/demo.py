"""The demo job: resample a generated zone plate with every mode and compare with torch (values and speed)."""

from __future__ import annotations

import math
import statistics
import time
from typing import Callable, Dict, List, Optional

import torch
import torch.nn.functional as F

from .functional import interpolate

__all__ = ["zone_plate", "run_demo", "DEMO_CASES"]


def zone_plate(height: int = 512, width: int = 512, channels: int = 3) -> torch.Tensor:
    """A circular zone plate (frequency rising with radius) in [0, 1]: the standard aliasing test image.

    Returns a (1, channels, height, width) float32 tensor; channel k is phase-shifted so channels differ.
    """
    y = torch.linspace(-1.0, 1.0, height, dtype=torch.float64).view(-1, 1)
    x = torch.linspace(-1.0, 1.0, width, dtype=torch.float64).view(1, -1)
    r2 = x * x + y * y
    k = math.pi * min(height, width) / 4  # the frequency reaches Nyquist at the edge
    planes = [0.5 + 0.5 * torch.cos(k * r2 + c * math.pi / 3) for c in range(channels)]
    return torch.stack(planes).unsqueeze(0).to(torch.float32)


# label -> interpolate keyword arguments, applied to 4-D images (3-D/5-D variants get their own rows).
DEMO_CASES: Dict[str, dict] = {
    "nearest": dict(mode="nearest"),
    "nearest-exact": dict(mode="nearest-exact"),
    "bilinear": dict(mode="bilinear"),
    "bilinear align_corners": dict(mode="bilinear", align_corners=True),
    "bicubic": dict(mode="bicubic"),
    "area": dict(mode="area"),
    "bilinear antialias": dict(mode="bilinear", antialias=True),
    "bicubic antialias": dict(mode="bicubic", antialias=True),
    "lanczos antialias": dict(mode="lanczos", antialias=True),
    "lanczos (no antialias)": dict(mode="lanczos"),
}


def _median_ms(fn: Callable[[], torch.Tensor], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def _compare(x: torch.Tensor, kwargs: dict, repeats: int) -> List[str]:
    ours = interpolate(x, **kwargs)
    try:
        ref: Optional[torch.Tensor] = F.interpolate(x, **kwargs)
    except (ValueError, NotImplementedError, RuntimeError):
        ref = None  # a mode torch lacks
    if ref is None:
        return ["-", "-", f"{_median_ms(lambda: interpolate(x, **kwargs), repeats):.2f}", "(torch lacks it)"]
    diff = (ours.double() - ref.double()).abs().max().item()
    # Interleave the two so that machine noise hits both alike.
    t_torch, t_ours = [], []
    for _ in range(repeats):
        t_torch.append(_median_ms(lambda: F.interpolate(x, **kwargs), 1))
        t_ours.append(_median_ms(lambda: interpolate(x, **kwargs), 1))
    mt, mo = statistics.median(t_torch), statistics.median(t_ours)
    return [f"{diff:.2e}", f"{mt:.2f}", f"{mo:.2f}", f"{mt / mo:.2f}x"]


def run_demo(size: int = 512, repeats: int = 7, print_fn: Callable[[str], None] = print) -> List[List[str]]:
    """Resample a zone plate ×0.25 and ×2 with every mode; print max |ours - torch| and torch/ours time."""
    image = zone_plate(size, size)
    rows: List[List[str]] = []
    for factor in (0.25, 2.0):
        for label, kwargs in DEMO_CASES.items():
            rows.append([f"{label} x{factor:g}", *_compare(image, dict(kwargs, scale_factor=factor), repeats)])
    line = image[:, :, size // 2]  # (1, 3, W): 1-D signal
    volume = image[:, :, : size // 8, : size // 8].unsqueeze(2).expand(1, 3, 16, size // 8, size // 8).contiguous()
    for label, x, kwargs in [
        ("linear 1-D x2", line, dict(mode="linear", scale_factor=2.0)),
        ("trilinear 3-D x2", volume, dict(mode="trilinear", scale_factor=2.0)),
        ("tricubic 3-D x2", volume, dict(mode="bicubic", scale_factor=2.0)),
        ("trilinear antialias 3-D x0.5", volume, dict(mode="trilinear", scale_factor=0.5, antialias=True)),
    ]:
        rows.append([label, *_compare(x, kwargs, repeats)])
    header = ["case", "max |ours - torch|", "torch ms", "ours ms", "torch/ours"]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    print_fn(f"torchresample demo: {size}x{size} RGB zone plate, float32, {torch.get_num_threads()} threads, "
             f"torch {torch.__version__}")
    print_fn(fmt.format(*header))
    for r in rows:
        print_fn(fmt.format(*r))
    return rows
