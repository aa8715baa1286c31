#!/usr/bin/env python3
"""An encoder-decoder with MaxPool2d(return_indices=True) -> torchresample.MaxUnpool2d, trained briefly to
reconstruct patches; checks that torchresample's layers give torch's outputs and gradients."""

from __future__ import annotations

import argparse
import copy

import torch
from torch import nn

import torchresample
from torchresample.demo import synthetic_scene, zone_plate


class UnpoolAutoencoder(nn.Module):
    def __init__(self, unpool: type = torchresample.MaxUnpool2d, width: int = 16):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.ReLU())
        self.pool = nn.MaxPool2d(2, return_indices=True)
        self.mid = nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.ReLU())
        self.unpool = unpool(2)
        self.dec = nn.Conv2d(width, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.enc(x)
        pooled, indices = self.pool(features)
        return self.dec(self.unpool(self.mid(pooled), indices, output_size=features.shape))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    images = torch.cat([zone_plate(64, 64), synthetic_scene(64, 64)])
    ours = UnpoolAutoencoder(torchresample.MaxUnpool2d)
    theirs = copy.deepcopy(ours)
    theirs.unpool = nn.MaxUnpool2d(2)
    # Same weights, torch's layer vs ours: outputs and gradients agree.
    out_ours, out_theirs = ours(images), theirs(images)
    out_ours.square().mean().backward()
    out_theirs.square().mean().backward()
    grad_diff = max((a.grad - b.grad).abs().max().item() for a, b in zip(ours.parameters(), theirs.parameters()))
    print(f"max |output difference| vs torch.nn.MaxUnpool2d: {(out_ours - out_theirs).abs().max().item():.2e}")
    print(f"max |gradient difference| vs torch.nn.MaxUnpool2d: {grad_diff:.2e}")
    opt = torch.optim.Adam(ours.parameters(), lr=3e-3)
    first = None
    for _ in range(args.steps):
        loss = (ours(images) - images).square().mean()
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"reconstruction loss: {first:.4f} -> {loss.item():.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
