"""The demo job: resample a generated zone plate with every mode and compare with torch (values and speed)."""

from __future__ import annotations

import math
import statistics
import time
from typing import Callable, Dict, List, Optional

import torch
import torch.nn.functional as F

from .functional import interpolate

__all__ = ["zone_plate", "synthetic_scene", "contact_sheet", "run_demo", "DEMO_CASES"]


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


def synthetic_scene(height: int = 256, width: int = 256) -> torch.Tensor:
    """A drawn test scene: text, thin lines at many angles, a checkerboard, circles and hard colour edges.

    Returns a (1, 3, height, width) float32 tensor in [0, 1]. Drawn with Pillow, so nothing is downloaded.
    """
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (width, height), (235, 235, 225))
    draw = ImageDraw.Draw(image)
    cell = max(2, width // 64)
    for y in range(0, height // 2, cell):
        for x in range(width // 2, width, cell):
            if ((x // cell) + (y // cell)) % 2 == 0:
                draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=(20, 20, 20))
    cx, cy = width // 4, height // 4
    for k in range(24):
        angle = math.pi * k / 24
        draw.line([cx, cy, cx + math.cos(angle) * cx, cy - math.sin(angle) * cy], fill=(30, 60, 160), width=1)
    for r in range(4, min(cx, cy), 6):
        draw.ellipse([cx - r, height - cy - r, cx + r, height - cy + r], outline=(170, 30, 30))
    draw.rectangle([width // 2 + 8, height // 2 + 8, width - 8, height - 8], fill=(250, 200, 40))
    font = ImageFont.load_default(size=max(10, height // 12))
    draw.text((width // 2 + 14, height // 2 + 14), "torch", fill=(0, 0, 0), font=font)
    draw.text((width // 2 + 14, height // 2 + 14 + height // 9), "resample", fill=(120, 0, 90), font=font)
    array = np.asarray(image, dtype=np.float32) / 255.0
    return torch.from_numpy(array.copy()).permute(2, 0, 1).unsqueeze(0).contiguous()


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


def run_demo(
    size: int = 512,
    repeats: int = 7,
    print_fn: Callable[[str], None] = print,
    sheet: Optional[str] = "torchresample_demo.png",
) -> List[List[str]]:
    """Resample a zone plate ×0.25 and ×2 with every mode; print max |ours - torch| and torch/ours time.

    With ``sheet``, also render the contact sheet of :func:`contact_sheet` there and say where it is.
    """
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
    print_fn(
        f"torchresample demo: {size}x{size} RGB zone plate, float32, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}"
    )
    print_fn(fmt.format(*header))
    for r in rows:
        print_fn(fmt.format(*r))
    if sheet:
        print_fn(f"contact sheet (every mode x0.25 and x4, ours beside torch): {contact_sheet(sheet)}")
    return rows


SHEET_ROWS = [
    ("nearest", dict(mode="nearest")),
    ("nearest-exact", dict(mode="nearest-exact")),
    ("bilinear", dict(mode="bilinear")),
    ("bilinear antialias", dict(mode="bilinear", antialias=True)),
    ("bicubic", dict(mode="bicubic")),
    ("bicubic antialias", dict(mode="bicubic", antialias=True)),
    ("area", dict(mode="area")),
    ("lanczos", dict(mode="lanczos")),
    ("lanczos antialias", dict(mode="lanczos", antialias=True)),
]


def contact_sheet(path: str, side: int = 256) -> str:
    """Render every mode at x0.25 down and x4 up (crop), ours beside torch's, into one labelled PNG.

    The source is a zone plate beside the synthetic scene; downscaled panels are enlarged x2 (nearest) so the
    aliasing of the non-antialiased modes is visible. Returns the path written.
    """
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    source = torch.cat([zone_plate(side, side), synthetic_scene(side, side)], dim=3)
    crop = source[:, :, side // 2 + 8 : side // 2 + 8 + side // 4, side + side // 2 : side + side // 2 + side // 4]
    label_w, title_h, pad = 170, 28, 6
    panel_w = 2 * source.shape[3] // 4  # the x0.25 result enlarged x2
    down_h, up_h = 2 * side // 4, 4 * crop.shape[2]
    up_w = 4 * crop.shape[3]
    columns = [("ours x0.25", panel_w), ("torch x0.25", panel_w), ("ours x4", up_w), ("torch x4", up_w)]
    row_h = max(down_h, up_h) + pad
    width = label_w + sum(w + pad for _, w in columns)
    height = title_h + row_h * len(SHEET_ROWS)
    sheet = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=14)

    def to_image(t: Optional[torch.Tensor], w: int, h: int) -> Image.Image:
        if t is None:
            blank = Image.new("RGB", (w, h), (200, 200, 200))
            ImageDraw.Draw(blank).text((8, h // 2 - 8), "torch lacks this mode", fill=(90, 90, 90), font=font)
            return blank
        array = (t[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
        return Image.fromarray(array)

    def torch_or_none(x: torch.Tensor, kwargs: dict) -> Optional[torch.Tensor]:
        try:
            return F.interpolate(x, **kwargs)
        except (ValueError, NotImplementedError, RuntimeError):
            return None

    x = label_w
    for title, w in columns:
        draw.text((x + 4, 6), title, fill=(0, 0, 0), font=font)
        x += w + pad
    for r, (label, kwargs) in enumerate(SHEET_ROWS):
        y = title_h + r * row_h
        draw.text((8, y + row_h // 2 - 8), label, fill=(0, 0, 0), font=font)
        down_kw, up_kw = dict(kwargs, scale_factor=0.25), dict(kwargs, scale_factor=4.0)
        panels = [
            interpolate(source, **down_kw),
            torch_or_none(source, down_kw),
            interpolate(crop, **up_kw),
            torch_or_none(crop, up_kw),
        ]
        x = label_w
        for i, (panel, (_, w)) in enumerate(zip(panels, columns)):
            if i < 2 and panel is not None:
                panel = panel.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
            sheet.paste(to_image(panel, w, down_h if i < 2 else up_h), (x, y))
            x += w + pad
    sheet.save(path)
    return path
