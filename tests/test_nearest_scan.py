"""Nearest and nearest-exact pick torch's source index in every CPU kernel of torch (Note [nearest index]).

An exhaustive scan: inputs whose values are their own positions, so any difference is another source index, over
(in, out) size pairs from 1 to 128 and random scale factors (with and without recompute_scale_factor), for each
group of rank, layout, channels, dtype and mode, forward and backward. CI scans a fixed sixteenth of the size
pairs and a few hundred scale factors; TORCHRESAMPLE_FULL_SCAN=1 scans every pair and 3,000 scale factors.
"""

from __future__ import annotations

import math
import os
import random

import pytest
import torch
import torch.nn.functional as F

import torchresample

FULL = os.environ.get("TORCHRESAMPLE_FULL_SCAN") == "1"
MAX = 128
# (rank, memory format, channels): torch takes another kernel for channels-last 3-D of 4+ channels.
GROUPS = [
    (1, "contiguous", 1),
    (2, "contiguous", 1),
    (2, "channels_last", 4),
    (3, "contiguous", 1),
    (3, "channels_last", 2),
    (3, "channels_last", 4),
]
# Layouts where the suggested memory format and torch's kernel choice part (Note [layout by strides]): an image
# buffer viewed as NCHW (channels-last in memory, suggests contiguous, takes the channels-last kernel) and a crop of
# a channels-last tensor (suggests channels-last, takes the generic kernel). The backward takes one rule.
FORWARD_GROUPS = GROUPS + [
    (2, "hwc_view", 4),
    (3, "hwc_view", 4),
    (2, "cropped_channels_last", 4),
    (3, "cropped_channels_last", 4),
]
DTYPES = [torch.float32, torch.float64, torch.bfloat16, torch.uint8]
MODES = ["nearest", "nearest-exact"]


def size_specs(seed: int) -> list:
    """(in, interpolate kwargs for the scanned axis): size pairs, then scale factors (just above 1 and 2 among
    them, where torch's shortcuts for out == in and out == 2 * in decide)."""
    pairs = [(i, o) for i in range(1, MAX + 1) for o in range(1, MAX + 1) if FULL or (i + 3 * o) % 16 == 0]
    specs = [(i, {"size": o}) for i, o in pairs]
    rng = random.Random(seed)
    factors = [rng.uniform(0.1, 6.0) for _ in range(3000 if FULL else 150)]
    factors += [1.0000001, 1.00001, 2.0000001, 2.00001, 0.4999999, 3.0000001]
    for k, s in enumerate(factors):
        i = rng.randint(1, 64)
        if math.floor(i * s) >= 1:
            specs.append((i, {"scale_factor": s, "recompute_scale_factor": k % 4 == 3}))
    return specs


def laid_out(x: torch.Tensor, layout: str) -> torch.Tensor:
    """`x` (batch 1) in `layout`: contiguous, channels_last, hwc_view (channels-last in memory with batch stride C,
    as torch.from_numpy(hwc).permute(2, 0, 1)[None]) or cropped_channels_last (a crop of a wider channels-last
    tensor)."""
    channels_last = torch.channels_last if x.dim() == 4 else torch.channels_last_3d
    if layout == "channels_last":
        return x.contiguous(memory_format=channels_last)
    if layout == "hwc_view":
        return x[0].movedim(0, -1).contiguous().movedim(-1, 0).unsqueeze(0)
    if layout == "cropped_channels_last":
        wider = x.new_zeros([s + 1 for s in x.shape]).contiguous(memory_format=channels_last)
        crop = wider[tuple(slice(0, s) for s in x.shape)]
        return crop.copy_(x)
    return x


def axis_input(rank: int, axis: int, n: int, channels: int, dtype: torch.dtype, other: int) -> torch.Tensor:
    """(1, channels, other.., n, ..other) with value k at position k of the scanned axis."""
    shape = [1, channels] + [other] * rank
    shape[2 + axis] = n
    view = [1, 1] + [1] * rank
    view[2 + axis] = n
    return torch.arange(n, dtype=torch.float64).view(view).expand(shape).to(dtype)


def axis_kwargs(rank: int, axis: int, spec: dict, mode: str, other: int) -> dict:
    """interpolate kwargs resampling only `axis` (the other axes keep their extent `other`)."""
    kwargs = {"mode": mode}
    if "size" in spec:
        size = [other] * rank
        size[axis] = spec["size"]
        kwargs["size"] = size
    else:
        factors = [1.0] * rank
        factors[axis] = spec["scale_factor"]
        kwargs["scale_factor"] = factors
        kwargs["recompute_scale_factor"] = spec["recompute_scale_factor"]
    return kwargs


def scan(rank, layout, channels, dtype, mode, backward):
    misses = []
    for k, (n, spec) in enumerate(size_specs(seed=rank * 10 + channels)):
        axis = k % rank  # each spatial axis in turn
        # torch's 2-D kernels switch at 128 output rows plus columns: every other 2-D call crosses it.
        other = 97 if rank == 2 and k % 4 >= 2 else 1
        kwargs = axis_kwargs(rank, axis, spec, mode, other)
        x = laid_out(axis_input(rank, axis, n, channels, dtype, other), layout)
        if not backward:
            ours, theirs = torchresample.interpolate(x, **kwargs), F.interpolate(x, **kwargs)
        else:
            x.requires_grad_()
            grads = []
            for f in (torchresample.interpolate, F.interpolate):
                y = f(x, **kwargs)
                # Small distinct integers: every sum is exact in float32, so any difference is another index.
                pattern = (torch.arange(y.numel(), dtype=torch.float64) % 61).square().add(1).view(y.shape).to(dtype)
                grads.append(torch.autograd.grad(y, x, pattern)[0])
            ours, theirs = grads
        if ours.shape != theirs.shape or not torch.equal(ours, theirs):
            misses.append((n, spec, axis))
    return misses


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("rank,layout,channels", FORWARD_GROUPS)
def test_forward_picks_torchs_source_index(rank, layout, channels, dtype, mode):
    misses = scan(rank, layout, channels, dtype, mode, backward=False)
    assert not misses, f"{len(misses)} calls pick another source index than torch, e.g. {misses[:5]}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("rank,layout,channels", GROUPS)
def test_backward_gathers_torchs_source_index(rank, layout, channels, dtype, mode):
    misses = scan(rank, layout, channels, dtype, mode, backward=True)
    assert not misses, f"{len(misses)} calls scatter to another index than torch, e.g. {misses[:5]}"
