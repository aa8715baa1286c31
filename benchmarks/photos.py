#!/usr/bin/env python3
"""uint8 RGB photos resized as they arrive: torchresample beside torch and the image libraries, the same pixels.

Six cases (issue 23): 1080p -> 224² bilinear / bicubic / Lanczos, 2160x3840 -> 512x910 bilinear, 640x480 -> 224²
bilinear, 256² -> 1024² bicubic, antialias on. Each in three layouts of the same pixels: ``view`` (a decoded HWC
buffer viewed as NCHW, ``torch.from_numpy(hwc).permute(2, 0, 1)[None]``, as torchvision gets it), ``channels_last``
(batch stride H*W*C) and ``contiguous`` (planar NCHW). Peers, each given the pixels in its own form outside the
timed call: torch's ``F.interpolate`` on the same tensor, Pillow's ``Image.resize`` (whichever Pillow is importable:
run this in a Pillow-SIMD venv to time Pillow-SIMD), libvips' ``resize`` (pyvips; its kernels: linear, cubic,
lanczos3) and OpenCV's ``cv2.resize`` (INTER_AREA for downscales, INTER_CUBIC for the upscale: its nearest
equivalents, not the same filter). Times are the median of interleaved rounds, in one process, at each thread count.

    pip install opencv-python-headless==5.0.0.93 pyvips==3.2.0 pyvips-binary==8.18.7   # the peers used on 2026-12-03
    python benchmarks/photos.py --threads 1,2 --out benchmarks/results/<date>-photos

A peer that is not importable is left out.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np
import torch
import torch.nn.functional as F

import torchresample as tr

CASES = [
    ("1080p -> 224 bilinear", (1080, 1920), (224, 224), "bilinear"),
    ("1080p -> 224 bicubic", (1080, 1920), (224, 224), "bicubic"),
    ("1080p -> 224 lanczos", (1080, 1920), (224, 224), "lanczos"),
    ("2160x3840 -> 512x910 bilinear", (2160, 3840), (512, 910), "bilinear"),
    ("640x480 -> 224 bilinear", (480, 640), (224, 224), "bilinear"),
    ("256 -> 1024 bicubic", (256, 256), (1024, 1024), "bicubic"),
]
LAYOUTS = ("view", "channels_last", "contiguous")


def photo(hw) -> np.ndarray:
    """A smooth scene with edges and noise (not uniform noise, which no image is), HWC uint8."""
    h, w = hw
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rng = np.random.default_rng(0)
    base = np.stack([128 + 100 * np.sin(x / 37 + c) * np.cos(y / 53 - c) for c in range(3)], axis=-1)
    base += (((x // 97 + y // 89) % 2) * 40 - 20)[..., None] + rng.normal(0, 8, (h, w, 3))
    return np.clip(base, 0, 255).astype(np.uint8)


def tensors(hwc: np.ndarray) -> Dict[str, torch.Tensor]:
    view = torch.from_numpy(hwc).permute(2, 0, 1).unsqueeze(0)
    return {
        "view": view,
        "channels_last": torch.from_numpy(hwc.copy()).unsqueeze(0).permute(0, 3, 1, 2),
        "contiguous": view.contiguous(),
    }


def peers(hwc: np.ndarray, size, mode: str) -> Dict[str, Callable[[], object]]:
    h, w = size
    fns: Dict[str, Callable[[], object]] = {}
    try:
        from PIL import Image

        im = Image.fromarray(hwc)
        resample = {
            "bilinear": Image.Resampling.BILINEAR,
            "bicubic": Image.Resampling.BICUBIC,
            "lanczos": Image.Resampling.LANCZOS,
        }[mode]
        simd = ".post" in Image.__version__  # Pillow-SIMD's versions: 9.5.0.post1
        fns["pillow-simd" if simd else "pillow"] = lambda: im.resize((w, h), resample)
    except ImportError:
        pass
    try:
        import pyvips

        vim = pyvips.Image.new_from_memory(hwc.tobytes(), hwc.shape[1], hwc.shape[0], 3, "uchar")
        kernel = {"bilinear": "linear", "bicubic": "cubic", "lanczos": "lanczos3"}[mode]
        hscale, vscale = w / hwc.shape[1], h / hwc.shape[0]
        fns["libvips"] = lambda: vim.resize(hscale, vscale=vscale, kernel=kernel).write_to_memory()
    except (ImportError, OSError):
        pass
    try:
        import cv2

        up = h > hwc.shape[0]
        flag = cv2.INTER_CUBIC if up else cv2.INTER_AREA
        fns["opencv"] = lambda: cv2.resize(hwc, (w, h), interpolation=flag)
    except ImportError:
        pass
    return fns


def measure(fns: Dict[str, Callable[[], object]], rounds: int, sample_ms: float) -> Dict[str, float]:
    for fn in fns.values():
        fn()
        fn()
    slowest = 0.0
    for fn in fns.values():
        t0 = time.perf_counter()
        fn()
        slowest = max(slowest, time.perf_counter() - t0)
    calls = max(1, min(1000, int(sample_ms / 1e3 / max(slowest, 1e-7))))
    samples: Dict[str, List[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            samples[k].append((time.perf_counter() - t0) * 1e3 / calls)
    return {k: statistics.median(v) for k, v in samples.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--sample-ms", type=float, default=40.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = []
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        try:
            import cv2

            cv2.setNumThreads(threads)
        except ImportError:
            pass
        for name, hw, size, mode in CASES:
            hwc = photo(hw)
            fns: Dict[str, Callable[[], object]] = {}
            for layout, x in tensors(hwc).items():
                kw = dict(size=size, mode=mode, antialias=True)
                fns[f"torch {layout}"] = lambda x=x, kw=kw: F.interpolate(x, **kw)
                fns[f"ours {layout}"] = lambda x=x, kw=kw: tr.interpolate(x, **kw)
            fns.update(peers(hwc, size, mode))
            times = measure(fns, args.rounds, args.sample_ms)
            rows.append({"case": name, "threads": threads, "ms": times})
            print(f"{threads} thread(s) {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in times.items()), flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        meta = {
            "machine": platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%d"),
            "argv": sys.argv[1:],
        }
        (args.out / "photos.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
        lines = [
            f"# uint8 photos: {meta['machine']}, torch {meta['torch']}, {meta['date']}",
            "",
            "`python benchmarks/photos.py " + " ".join(sys.argv[1:]) + "`; ms per call (median of interleaved "
            "rounds). The last three columns: the fastest peer's time (torch in any layout, or an image library on "
            "the HWC buffer) over ours on the view (the form photos arrive in), on channels_last and on contiguous "
            "tensors; above 1.0 we are faster.",
            "",
        ]
        keys = sorted({k for r in rows for k in r["ms"]})
        ours = [f"ours {layout}" for layout in LAYOUTS]
        lines.append(
            "| threads | case | " + " | ".join(keys) + " | " + " | ".join(f"{k} vs fastest" for k in ours) + " |"
        )
        lines.append("|---|---|" + "---:|" * (len(keys) + len(ours)))
        ratios: Dict[int, List[float]] = {}
        for r in rows:
            ms = r["ms"]
            fastest = min(v for k, v in ms.items() if not k.startswith("ours"))
            rs = [fastest / ms[k] for k in ours]
            ratios.setdefault(r["threads"], []).extend(rs)
            lines.append(
                f"| {r['threads']} | {r['case']} | "
                + " | ".join(f"{ms[k]:.3f}" if k in ms else "-" for k in keys)
                + " | "
                + " | ".join(f"{x:.2f}" for x in rs)
                + " |"
            )
        lines.append("")
        for threads, rs in ratios.items():
            geomean = math.exp(sum(math.log(x) for x in rs) / len(rs))
            lines.append(
                f"{threads} thread(s): geometric mean {geomean:.2f}x the fastest peer over the {len(rs)} "
                f"(case, layout) pairs, minimum {min(rs):.2f}x, {sum(x < 1.0 for x in rs)} under 1.0x."
            )
        (args.out / "photos.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
