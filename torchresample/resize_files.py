"""The ``resize`` command: resample image files (PNG/JPEG, 8/16-bit, grey/RGB/RGBA) with torchresample."""

from __future__ import annotations

import math
import os
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import torch

from ._ops import FILTERS
from .functional import interpolate

__all__ = ["ResizeError", "load_image", "resize_image", "resize_path"]

# The 2-D modes: torch's, then every windowed filter of the table (lanczos, box, gaussian, ...).
MODES = (
    "nearest",
    "nearest-exact",
    "bilinear",
    "bicubic",
    "area",
    *(name for name, f in FILTERS.items() if f.kind == "windowed"),
)
# The largest output, in bytes of the resampling's working type, resized without --max-bytes.
DEFAULT_MAX_BYTES = 4 << 30


class ResizeError(Exception):
    """A problem with one file or argument, reported as one line."""


def parse_size(text: str) -> Tuple[int, int]:
    """``"HxW"`` (or a single ``"N"`` for N×N) to a positive (H, W)."""
    parts = text.lower().split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise ResizeError(f"--size expects HxW (e.g. 224x224), got {text!r}") from None
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or min(values) <= 0:
        raise ResizeError(f"--size expects two positive integers HxW, got {text!r}")
    return values[0], values[1]


def load_image(path: Path):
    """Open an image with Pillow and return (tensor (1, C, H, W), Pillow mode to write back, max value).

    8-bit images stay uint8; 16-bit (and 32-bit integer) grey images are resampled in float32.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            image = im.copy()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ResizeError(f"{path}: not a readable image ({exc.__class__.__name__}: {exc})") from None
    import numpy as np

    if image.mode in ("1", "P", "CMYK", "YCbCr", "LAB", "HSV", "PA", "RGBX", "RGBa", "La"):
        image = image.convert("RGBA" if "transparency" in image.info or "A" in image.mode else "RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float32)[..., None]
        return torch.from_numpy(array.copy()).permute(2, 0, 1).unsqueeze(0), "I;16", 65535.0
    if image.mode == "F":
        array = np.asarray(image, dtype=np.float32)[..., None]
        return torch.from_numpy(array.copy()).permute(2, 0, 1).unsqueeze(0), "F", None
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        raise ResizeError(f"{path}: unsupported image mode {image.mode}")
    array = np.asarray(image, dtype=np.uint8)
    if array.ndim == 2:
        array = array[..., None]
    # HWC -> (1, C, H, W) as a channels_last view: no copy, and the kernels' fastest layout for images.
    return torch.from_numpy(array.copy()).permute(2, 0, 1).unsqueeze(0), image.mode, 255.0


def resize_image(
    x: torch.Tensor,
    mode_name: str,
    size: Optional[Tuple[int, int]],
    scale: Optional[float],
    kind: str,
    max_value: Optional[float],
    antialias: bool,
    align_corners: bool,
) -> torch.Tensor:
    """Resample an image tensor from :func:`load_image`; colour with alpha is resampled premultiplied."""
    kwargs = dict(mode=mode_name, antialias=antialias)
    if mode_name not in ("nearest", "nearest-exact", "area"):
        kwargs["align_corners"] = align_corners
    if size is not None:
        kwargs["size"] = size
    else:
        kwargs["scale_factor"] = scale
    has_alpha = kind in ("RGBA", "LA") and mode_name not in ("nearest", "nearest-exact")
    if has_alpha:
        # Premultiplied alpha keeps transparent pixels' colours from bleeding into visible ones.
        f = x.float()
        alpha = f[:, -1:] / 255.0
        f = torch.cat([f[:, :-1] * alpha, f[:, -1:]], dim=1)
        y = interpolate(f, **kwargs)
        a = y[:, -1:].clamp(0, 255)
        colour = torch.where(a > 0, y[:, :-1] / (a / 255.0).clamp_min(1e-12), torch.zeros_like(y[:, :-1]))
        return torch.cat([colour, a], dim=1).clamp(0, 255).round().to(torch.uint8)
    y = interpolate(x, **kwargs)
    if max_value is not None and y.is_floating_point():
        y = y.clamp(0, max_value).round()
    return y


def save_image(y: torch.Tensor, kind: str, path: Path) -> None:
    import numpy as np
    from PIL import Image

    array = y[0].permute(1, 2, 0).contiguous().cpu().numpy()
    suffix = path.suffix.lower()
    if kind == "I;16":
        if suffix not in (".png", ".tif", ".tiff"):
            raise ResizeError(f"{path}: 16-bit images can only be written as PNG or TIFF")
        image = Image.fromarray(array[..., 0].astype(np.uint16))
    elif kind == "F":
        image = Image.fromarray(array[..., 0].astype(np.float32))
    else:
        image = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
        if suffix in (".jpg", ".jpeg") and kind in ("RGBA", "LA"):
            image = image.convert("RGB" if kind == "RGBA" else "L")
    # Written next to the target and renamed over it when complete: a save that fails or is interrupted leaves
    # whatever was at `path` (the input itself, with --overwrite) as it was.
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        image.save(temp, format=Image.registered_extensions().get(suffix))
        os.replace(temp, path)
    except (OSError, ValueError, KeyError) as exc:
        raise ResizeError(f"{path}: cannot write ({exc})") from None
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def output_size(x: torch.Tensor, size: Optional[Tuple[int, int]], scale: Optional[float]) -> Tuple[int, int]:
    """The (H, W) interpolate gives `x` for this --size / --scale (torch's rule: floor of the double product)."""
    if size is not None:
        return size
    return math.floor(x.shape[-2] * scale), math.floor(x.shape[-1] * scale)


def check_output_bytes(src: Path, x: torch.Tensor, kind: str, out_hw: Tuple[int, int], max_bytes: int) -> None:
    """Refuses, before allocating, an output larger than `max_bytes` in the type it is resampled in."""
    h, w = out_hw
    if h <= 0 or w <= 0:
        raise ResizeError(f"{src}: the output would be {h}x{w} pixels; scale up or give a larger --size")
    float_path = x.is_floating_point() or kind in ("RGBA", "LA")  # alpha is resampled premultiplied in float32
    needed = h * w * x.shape[1] * (4 if float_path else 1)
    if needed > max_bytes:
        raise ResizeError(
            f"{src}: the output would be {h}x{w} pixels x {x.shape[1]} channels, {needed:,} bytes, "
            f"over the limit of {max_bytes:,} bytes (raise it with --max-bytes)"
        )


def resize_file(
    src: Path,
    dst: Path,
    mode: str,
    size,
    scale,
    antialias: bool,
    align_corners: bool,
    device: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Tuple[int, int]:
    x, kind, max_value = load_image(src)
    check_output_bytes(src, x, kind, output_size(x, size, scale), max_bytes)
    y = resize_image(x.to(device), mode, size, scale, kind, max_value, antialias, align_corners)
    save_image(y, kind, dst)
    return tuple(y.shape[-2:])


def resize_path(
    src: Path,
    dst: Path,
    mode: str,
    size,
    scale,
    antialias: bool,
    align_corners: bool,
    device: str,
    progress: bool = True,
    overwrite: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> List[str]:
    """Resize one file, or every file of a directory into ``dst``; returns the failures (one line each).

    An output that is one of the inputs is refused unless ``overwrite``; every output is written to a temporary
    file beside it and renamed over it when complete."""
    if not src.exists():
        raise ResizeError(f"{src}: no such file or directory")
    if src.is_file():
        if dst.exists() and dst.resolve() == src.resolve() and not overwrite:
            raise ResizeError(f"{dst}: the output is the input; pass --overwrite to replace it")
        resize_file(src, dst, mode, size, scale, antialias, align_corners, device, max_bytes)
        return []
    if dst.exists() and dst.resolve() == src.resolve() and not overwrite:
        raise ResizeError(
            f"{dst}: the output directory is the input directory; pass --overwrite to replace the images in place"
        )
    dst.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in src.iterdir() if p.is_file() and not p.name.startswith("."))
    failures: List[str] = []
    iterator: Sequence[Path] = files
    if progress:
        from tqdm import tqdm

        iterator = tqdm(files, desc="resize", unit="image", file=sys.stderr)
    for path in iterator:
        try:
            resize_file(path, dst / path.name, mode, size, scale, antialias, align_corners, device, max_bytes)
        except (ResizeError, RuntimeError, ValueError) as exc:
            failures.append(str(exc))
    return failures


def run_resize(args) -> int:
    """Entry of ``torchresample resize``: one-line errors on stderr, exit 1 on any failure."""
    try:
        if (args.size is None) == (args.scale is None):
            raise ResizeError("give exactly one of --size HxW or --scale S")
        size = parse_size(args.size) if args.size is not None else None
        if args.scale is not None and not args.scale > 0:
            raise ResizeError(f"--scale must be positive, got {args.scale}")
        if args.device == "cuda" and not torch.cuda.is_available():
            raise ResizeError("--device cuda: no CUDA device is available")
        if args.antialias and args.mode in ("nearest", "nearest-exact", "area"):
            raise ResizeError(f"--antialias does not apply to mode {args.mode}")
        if args.align_corners and args.mode in ("nearest", "nearest-exact", "area"):
            raise ResizeError(f"--align-corners does not apply to mode {args.mode}")
        if args.max_bytes <= 0:
            raise ResizeError(f"--max-bytes must be positive, got {args.max_bytes}")
        failures = resize_path(
            Path(args.input),
            Path(args.output),
            args.mode,
            size,
            args.scale,
            args.antialias,
            args.align_corners,
            args.device,
            progress=not args.quiet,
            overwrite=args.overwrite,
            max_bytes=args.max_bytes,
        )
    except (ResizeError, RuntimeError, ValueError) as exc:
        print(f"torchresample: error: {exc}", file=sys.stderr)
        return 1
    if failures:
        print(f"torchresample: {len(failures)} file(s) failed:", file=sys.stderr)
        for line in failures:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("resize", help="resize an image file, or every image of a directory")
    p.add_argument("input", help="image file or directory")
    p.add_argument("output", help="output file, or directory when INPUT is a directory")
    p.add_argument("--size", help="output size HxW (or N for NxN)")
    p.add_argument("--scale", type=float, help="scale factor for both axes")
    p.add_argument("--mode", default="bilinear", choices=MODES, help="default: bilinear")
    p.add_argument("--antialias", action="store_true", help="antialias (downscaling without aliasing)")
    p.add_argument("--align-corners", action="store_true", help="align corner pixel centres")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--overwrite", action="store_true", help="allow the output to be the input (replaced atomically)")
    p.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_BYTES,
        help=f"refuse outputs larger than this many bytes (default {DEFAULT_MAX_BYTES:,})",
    )
