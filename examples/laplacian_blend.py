#!/usr/bin/env python3
"""Laplacian-pyramid image blend built on torchresample.interpolate (antialiased area/bilinear down, bicubic up).

Blends the zone plate and the synthetic scene of the demo along a soft vertical seam, and reports how much
less visible the seam is than with a hard cut (gradient energy across the seam). Runs in a few seconds.
"""

from __future__ import annotations

import argparse
from typing import List

import torch

import torchresample
from torchresample.demo import synthetic_scene, zone_plate


def down(x: torch.Tensor) -> torch.Tensor:
    return torchresample.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True)


def up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return torchresample.interpolate(x, size=like.shape[-2:], mode="bicubic", align_corners=False)


def laplacian_pyramid(x: torch.Tensor, levels: int) -> List[torch.Tensor]:
    """Band-pass levels, finest first, and the low-pass residual last."""
    bands = []
    for _ in range(levels):
        low = down(x)
        bands.append(x - up(low, x))
        x = low
    return bands + [x]


def collapse(bands: List[torch.Tensor]) -> torch.Tensor:
    x = bands[-1]
    for band in reversed(bands[:-1]):
        x = band + up(x, band)
    return x


def blend(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor, levels: int = 5) -> torch.Tensor:
    """Blend each band with the mask resampled to that band's size (area averaging, as a Gaussian pyramid)."""
    pa, pb = laplacian_pyramid(a, levels), laplacian_pyramid(b, levels)
    out = []
    for la, lb in zip(pa, pb):
        m = torchresample.interpolate(mask, size=la.shape[-2:], mode="area")
        out.append(m * la + (1 - m) * lb)
    return collapse(out)


def seam_energy(x: torch.Tensor, column: int) -> float:
    return (x[..., column] - x[..., column - 1]).abs().mean().item()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--levels", type=int, default=5)
    parser.add_argument("--out", default="", help="write the blend to this PNG")
    args = parser.parse_args(argv)
    a, b = zone_plate(args.size, args.size), synthetic_scene(args.size, args.size)
    mask = torch.zeros(1, 1, args.size, args.size)
    mask[..., : args.size // 2] = 1.0
    hard = mask * a + (1 - mask) * b
    soft = blend(a, b, mask, args.levels)
    reconstruction = collapse(laplacian_pyramid(a, args.levels))
    col = args.size // 2
    print(f"pyramid round trip max error: {(reconstruction - a).abs().max().item():.2e}")
    print(f"seam gradient: hard cut {seam_energy(hard, col):.4f}, Laplacian blend {seam_energy(soft, col):.4f}")
    if args.out:
        from PIL import Image

        Image.fromarray((soft[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype("uint8")).save(args.out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
