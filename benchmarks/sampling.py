#!/usr/bin/env python3
"""Regions resampled (issue 21): crop_and_resize beside torchvision's roi_align, and RandomResizedCrop on a batch
beside torchvision's applied per image. One process, every callable timed by bench.py's Timer (a warm-up, one loop
length per case, interleaved rounds, the median), at each thread count.

- roi: 256 boxes from a 1x256x64x64 float32 feature map to 7x7 (detection heads), forward and forward + backward
  (the input gradient). torchvision's ``roi_align(aligned=True, sampling_ratio=2)`` averages 2x2 bilinear samples per
  bin; ours with ``antialias=False`` takes one bilinear sample per bin (tf.image.crop_and_resize's), with
  ``antialias=True`` the triangle filter widened to the bin (an average over it, as roi_align's sampling
  approximates): not the same numbers, the same job.
- rrc: 64 random resized crops of 1080p uint8 RGB images to 224x224, bilinear, antialias: torchvision's
  ``v2.RandomResizedCrop`` called per image (what a batch costs it) against ours with ``per_sample=True`` (one call;
  the same crops for the same seed), on planar images (as ``decode_jpeg`` gives them) and on channels-last ones.

    python benchmarks/sampling.py --threads 1,2 --out benchmarks/results/<date>-sampling
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Dict, List

import torch
from bench import Timer, machine

import torchresample as tr


def roi_callables(threads: int) -> Dict[str, Dict[str, Callable[[], object]]]:
    from torchvision.ops import roi_align

    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 256, 64, 64, generator=g)
    low = torch.rand(256, 2, generator=g) * 48
    boxes = torch.cat([low, low + 4 + torch.rand(256, 2, generator=g) * 36], 1).clamp(max=64)
    rois = torch.cat([torch.zeros(256, 1), boxes], 1)
    xg = x.clone().requires_grad_()

    def theirs(inp):
        return roi_align(inp, rois, 7, spatial_scale=1.0, sampling_ratio=2, aligned=True)

    def ours(inp, antialias):
        return tr.crop_and_resize(inp, boxes, 7, mode="linear", antialias=antialias)

    def grad(fn):
        def step():
            y = fn(xg)
            return torch.autograd.grad(y, xg, torch.ones_like(y))

        return step

    return {
        "roi 256x 1x256x64x64 -> 7x7 forward": {
            "roi_align": lambda: theirs(x),
            "ours": lambda: ours(x, False),
            "ours antialias": lambda: ours(x, True),
        },
        "roi 256x 1x256x64x64 -> 7x7 forward+backward": {
            "roi_align": grad(theirs),
            "ours": grad(lambda i: ours(i, False)),
            "ours antialias": grad(lambda i: ours(i, True)),
        },
    }


def rrc_callables(threads: int) -> Dict[str, Dict[str, Callable[[], object]]]:
    from torchvision.transforms import v2

    g = torch.Generator().manual_seed(0)
    planar = torch.randint(0, 256, (64, 3, 1080, 1920), dtype=torch.uint8, generator=g)
    layouts = {"planar": planar, "channels_last": planar.contiguous(memory_format=torch.channels_last)}
    theirs = v2.RandomResizedCrop(224, antialias=True)
    ours = tr.transforms.RandomResizedCrop(224, antialias=True, per_sample=True)
    cases = {}
    for name, batch in layouts.items():

        def per_image(batch=batch):
            torch.manual_seed(0)
            return torch.stack([theirs(img) for img in batch])

        def one_call(batch=batch):
            torch.manual_seed(0)
            return ours(batch)

        cases[f"rrc 64x 1080p uint8 -> 224 {name}"] = {"torchvision per image": per_image, "ours batch": one_call}
    return cases


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--sample-ms", type=float, default=200.0)
    parser.add_argument("--out", type=Path, help="folder for results.md and results.json")
    args = parser.parse_args(argv)
    timer = Timer("cpu", args.repeats, args.sample_ms)
    rows: List[dict] = []
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        for make in (roi_callables, rrc_callables):
            for case, fns in make(threads).items():
                ms = timer.case(fns)
                peer = next(iter(ms))
                row = {"case": case, "threads": threads, "ms": ms, "peer": peer}
                rows.append(row)
                cells = ", ".join(f"{k} {v:.3f} ms ({ms[peer] / v:.2f}x)" for k, v in ms.items())
                print(f"[{threads} thread(s)] {case}: {cells}", flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        info = machine("cpu")
        info["command"] = " ".join(["python", "benchmarks/sampling.py", *(argv or sys.argv[1:])])
        (args.out / "results.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=1))
        lines = [
            "# Regions resampled: crop_and_resize and RandomResizedCrop",
            "",
            ", ".join(f"{k}: {v}" for k, v in info.items()),
            "",
            "Median ms per call; the ratio is the first column's time over each column's (> 1: faster than it).",
            "",
        ]
        for threads in sorted({r["threads"] for r in rows}):
            lines += [f"## {threads} thread(s)", "", "| case | times (ratio) |", "|---|---|"]
            for r in rows:
                if r["threads"] == threads:
                    peer = r["ms"][r["peer"]]
                    cells = "; ".join(f"{k} {v:.3f} ({peer / v:.2f}x)" for k, v in r["ms"].items())
                    lines.append(f"| {r['case']} | {cells} |")
            lines.append("")
        (args.out / "results.md").write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
