"""The compiled copies of the CPU row engine (Note [cpu isa]): the portable one and the AVX2 one, forced by
TORCHRESAMPLE_CPU_ISA=baseline / avx2 in a subprocess, match torch and the default copy (the widest the CPU runs:
AVX-512 for uint8 where available), and bit for bit on uint8 (Note [fixed-point uint8])."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

CASES = """
import torch, torch.nn.functional as F, torchresample
torch.manual_seed(0)
out = []
for shape, kw in [((2, 3, 9, 13), dict(size=(17, 5), mode="bilinear")),
                  ((2, 70, 9, 13), dict(size=(6, 20), mode="bicubic")),
                  ((1, 3, 40, 50), dict(size=(7, 9), mode="bicubic", antialias=True)),
                  # Upscales keep 7 fraction bits in the clipped intermediate (Note [fixed-point uint8]).
                  ((1, 3, 16, 20), dict(size=(50, 70), mode="bicubic")),
                  ((2, 1, 16, 20), dict(size=(48, 60), mode="bicubic", antialias=True)),
                  # H downscales of uint8 run H first (Note [uint8 pass order]): 1, 3 and 5 channels per pixel.
                  ((1, 3, 120, 90), dict(size=(20, 30), mode="bilinear", antialias=True)),
                  ((2, 5, 64, 48), dict(size=(9, 40), mode="bilinear", antialias=True)),
                  # One axis kept: a single pass (Note [uint8 identity axes]).
                  ((1, 3, 30, 41), dict(size=(30, 13), mode="bicubic", antialias=True)),
                  ((1, 3, 30, 41), dict(size=(9, 41), mode="bilinear", antialias=True)),
                  # RGBA windows of 2 to 40 taps, from uint8 (W first) and int16 rows (H first).
                  ((1, 4, 50, 70), dict(size=(6, 11), mode="bicubic", antialias=True)),
                  ((1, 4, 90, 70), dict(size=(12, 15), mode="bilinear", antialias=True)),
                  # AVX-512 W pass (Note [pixel groups]): four outputs per vector where their windows are close
                  # (upscales, downscales by up to ~3, from uint8 and int16 rows), four outputs' lanes added together
                  # elsewhere; widths not a multiple of four and windows at the row's end.
                  ((1, 3, 23, 37), dict(size=(70, 149), mode="bicubic")),
                  ((1, 4, 23, 37), dict(size=(61, 101), mode="bicubic", antialias=True)),
                  ((1, 3, 96, 131), dict(size=(41, 45), mode="bilinear", antialias=True)),
                  ((1, 4, 96, 131), dict(size=(37, 47), mode="bicubic", antialias=True)),
                  ((1, 3, 40, 301), dict(size=(13, 23), mode="bicubic", antialias=True)),
                  # Planar photos H first (Note [planar photos]): the planes' int16 rows interleaved, 32 at a time.
                  ((1, 3, 61, 203), dict(size=(20, 70), mode="bilinear", antialias=True)),
                  # A pass order decided near the tie: the same for planes (one element) and pixels of 4.
                  ((2, 4, 165, 49), dict(size=(185, 188), mode="bilinear", antialias=True)),
                  ((2, 3, 5, 6, 7), dict(size=(9, 4, 11), mode="trilinear")),
                  ((2, 4, 33), dict(size=8, mode="area"))]:
    for cl in (False, True):
        x = torch.randn(shape)
        if cl and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        ours = torchresample.interpolate(x, **kw)
        torch.testing.assert_close(ours, F.interpolate(x, **kw))
        x.requires_grad_(True)
        torchresample.interpolate(x, **kw).square().sum().backward()
        out += [ours, x.grad]
        u8 = (torch.rand(shape) * 255).to(torch.uint8)
        if cl and u8.dim() == 4:
            u8 = u8.contiguous(memory_format=torch.channels_last)
        if u8.dim() == 4 and kw["mode"] in ("bilinear", "bicubic"):
            got = torchresample.interpolate(u8, **kw)
            assert (got.int() - F.interpolate(u8, **kw).int()).abs().max() <= 1
            out.append(got)  # integer arithmetic: the two engines must agree bit for bit
# A decoded photo's view, resized into torch's contiguous result (Note [layout by strides]: stored planar).
hwc = (torch.rand(90, 140, 3) * 255).to(torch.uint8)
out.append(torchresample.interpolate(hwc.permute(2, 0, 1)[None], size=(30, 50), mode="bilinear", antialias=True))
# Upscaled: read in place, stored planar 64 pixels at a time with AVX-512, the rest after.
out.append(torchresample.interpolate(hwc.permute(2, 0, 1)[None], size=(130, 199), mode="bicubic"))
torch.save(out, __import__("sys").argv[1])
"""


def _run(tmp_path: Path, isa: str | None) -> list:
    env = dict(os.environ)
    env.pop("TORCHRESAMPLE_CPU_ISA", None)
    if isa:
        env["TORCHRESAMPLE_CPU_ISA"] = isa
    path = tmp_path / f"{isa or 'default'}.pt"
    r = subprocess.run([sys.executable, "-c", CASES, str(path)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return torch.load(path)


def test_baseline_engine_matches_torch_and_default(tmp_path: Path):
    baseline, avx2, default = _run(tmp_path, "baseline"), _run(tmp_path, "avx2"), _run(tmp_path, None)
    for a, b, c in zip(baseline, avx2, default):
        torch.testing.assert_close(a, c)
        torch.testing.assert_close(b, c)
