#!/usr/bin/env python3
"""The pipeline a user runs: a DataLoader over 1080p JPEGs, torchvision v2 transforms, images per second.

Photos from ``skimage.data`` (astronaut, coffee, rocket, chelsea, retina, hubble_deep_field,
immunohistochemistry), cropped to 16:9, scaled to 1920x1080 with Pillow's Lanczos and encoded at quality 90, in
eight variants each (flips, shifted crops): 56 distinct files, read in a fixed cycle. Each worker runs one
thread (the DataLoader sets it so), as a training job's workers do. Pipelines (``--pipelines``):

* ``tensor``: ``torchvision.io.decode_jpeg`` (CHW contiguous uint8) -> transforms on the tensor;
* ``pil-tensor``: Pillow decodes, ``v2.ToImage`` views the HWC buffer as CHW -> transforms on that tensor;
* ``pil``: Pillow decodes -> transforms on the PIL image (Pillow's resize; run this script in a Pillow-SIMD
  venv to time Pillow-SIMD) -> ``v2.PILToTensor``.

Transforms (``--transforms``): ``resize`` = ``v2.Resize(256, antialias=True) + v2.CenterCrop(224)``, ``rrc`` =
``v2.RandomResizedCrop(224, antialias=True)`` (the same crops in every run: the loader's generator is seeded), and
``decode`` = ``v2.CenterCrop(224)`` alone, the decoding cost to subtract. The tensor pipelines run twice: torch's
kernels, and ours after ``torchresample.patch_torch()`` in each worker. Each configuration keeps its workers
(``persistent_workers``), is warmed by one pass, then timed in interleaved rounds; the median is reported.

    pip install scikit-image==0.26.0
    python benchmarks/pipeline.py --workers 2 --out benchmarks/results/<date>-pipeline
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import torch
import torchvision
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

import torchresample

PHOTOS = ("astronaut", "coffee", "rocket", "chelsea", "retina", "hubble_deep_field", "immunohistochemistry")
SIZE = (1920, 1080)  # width, height


def make_jpegs(folder: Path) -> List[Path]:
    """1080p JPEGs (quality 90) of real photos: each base cropped to 16:9 at eight offsets and flips."""
    import skimage.data
    from PIL import Image, ImageOps

    paths = []
    for name in PHOTOS:
        base = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
        w, h = base.size
        cw, ch = (w, w * 9 // 16) if w * 9 <= h * 16 else (h * 16 // 9, h)
        for v in range(8):
            dx, dy = (w - cw) * (v % 4) // 3, (h - ch) * (v // 4)
            im = base.crop((dx, dy, dx + cw, dy + ch)).resize(SIZE, Image.Resampling.LANCZOS)
            if v % 2:
                im = ImageOps.mirror(im)
            path = folder / f"{name}-{v}.jpg"
            im.save(path, quality=90)
            paths.append(path)
    return paths


def transform(kind: str) -> v2.Transform:
    if kind == "resize":
        return v2.Compose([v2.Resize(256, antialias=True), v2.CenterCrop(224)])
    if kind == "rrc":
        return v2.RandomResizedCrop(224, antialias=True)
    if kind == "decode":
        return v2.CenterCrop(224)
    raise ValueError(f"unknown transform {kind!r}")


class Photos(Dataset):
    """`length` samples cycling over `paths`, decoded by `pipeline` and transformed by `kind`."""

    def __init__(self, paths: List[Path], length: int, pipeline: str, kind: str):
        self.data = [p.read_bytes() for p in paths]  # the page cache's role, without its noise
        self.length, self.pipeline, self.transform = length, pipeline, transform(kind)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> torch.Tensor:
        data = self.data[i % len(self.data)]
        if self.pipeline == "tensor":
            img = torchvision.io.decode_jpeg(torch.frombuffer(bytearray(data), dtype=torch.uint8))
            return self.transform(img)
        from PIL import Image

        img = Image.open(io.BytesIO(data)).convert("RGB")
        if self.pipeline == "pil-tensor":
            return self.transform(v2.functional.to_image(img)).as_subclass(torch.Tensor)
        return v2.functional.pil_to_tensor(self.transform(img))


def patch_worker(_: int) -> None:
    torchresample.patch_torch()


def loaders(paths: List[Path], args) -> Dict[str, DataLoader]:
    from PIL import Image

    pillow = "pillow-simd" if ".post" in Image.__version__ else "pillow"
    out = {}
    for pipeline in args.pipelines.split(","):
        for kind in args.transforms.split(","):
            kernels = ["torch", "ours"] if pipeline != "pil" and kind != "decode" else [None]
            for kernel in kernels:
                name = f"{pipeline} {kind}" + (f" {kernel}" if kernel else "")
                if pipeline == "pil" and kind != "decode":
                    name += f" ({pillow})"
                out[name] = DataLoader(
                    Photos(paths, args.images, pipeline, kind),
                    batch_size=args.batch,
                    num_workers=args.workers,
                    persistent_workers=True,
                    worker_init_fn=patch_worker if kernel == "ours" else None,
                    generator=torch.Generator().manual_seed(0),
                )
    return out


def images_per_second(loader: DataLoader) -> float:
    t0 = time.perf_counter()
    n = sum(batch.shape[0] for batch in loader)
    return n / (time.perf_counter() - t0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=448, help="images per pass")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pipelines", default="tensor,pil-tensor,pil")
    parser.add_argument("--transforms", default="resize,rrc,decode")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_jpegs(Path(tmp))
        configs = loaders(paths, args)
        for loader in configs.values():
            images_per_second(loader)
        samples: Dict[str, List[float]] = {k: [] for k in configs}
        for _ in range(args.rounds):
            for name, loader in configs.items():
                samples[name].append(images_per_second(loader))
    rate = {k: statistics.median(v) for k, v in samples.items()}
    for k, v in rate.items():
        print(f"{k}: {v:.1f} images/s", flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        from PIL import Image

        meta = {
            "machine": platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "pillow": Image.__version__,
            "date": time.strftime("%Y-%m-%d"),
            "argv": sys.argv[1:],
        }
        (args.out / "pipeline.json").write_text(json.dumps({"meta": meta, "images_per_s": rate}, indent=1))
        lines = [
            f"# DataLoader pipeline: {meta['machine']}, torch {meta['torch']}, torchvision {meta['torchvision']}, "
            f"Pillow {meta['pillow']}, {meta['date']}",
            "",
            "`python benchmarks/pipeline.py " + " ".join(sys.argv[1:]) + "`; images per second (median of "
            "interleaved passes; higher is better).",
            "",
            "| pipeline | images/s |",
            "|---|---:|",
        ]
        lines += [f"| {k} | {v:.1f} |" for k, v in rate.items()]
        (args.out / "pipeline.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
