"""The strides of a resample's source decide its path, never its values (Note [layout by strides]).

Each layout family a user hands us (an image buffer viewed as NCHW, CHW unsqueezed, a crop, size-1 dimensions with
odd strides, an expanded channel) gives the same bits as the same values in the family's canonical layout, in every
mode, forward and backward, and the result has torch's memory format.
"""

from __future__ import annotations

import math
from typing import Callable, List, Tuple

import pytest
import torch
import torch.nn.functional as F

from conftest import channels_last_format

# (filter, antialias) of every mode.
MODES = [
    ("nearest", False),
    ("nearest-exact", False),
    ("linear", False),
    ("linear", True),
    ("cubic", False),
    ("cubic", True),
    ("area", False),
    ("lanczos", False),
    ("lanczos", True),
]
SPATIAL = {2: (12, 10), 3: (6, 7, 5)}
# A downscale (the result is smaller than the source) and an upscale of each rank.
TARGETS = {2: [(5, 4), (17, 23)], 3: [(3, 4, 2), (9, 8, 7)]}
CHANNELS = 3  # a photo's; with 4+ channels torch's nearest kernel choice reads the layout (tests/test_nearest_scan.py)


def rand(shape, dtype, device) -> torch.Tensor:
    if dtype == torch.uint8:
        return torch.randint(0, 256, shape, dtype=torch.uint8, device=device)
    return torch.randn(shape, dtype=dtype, device=device)


def canonical(view: torch.Tensor, family: str, result_numel: int) -> torch.Tensor:
    """The family's canonical tensor: the same values, freshly allocated in the layout the engine reads it in."""
    channels_last = channels_last_format(view.dim())
    if family in ("hwc_view", "cropped_hwc_view"):
        # Read in place (a crop: copied as it is interleaved) when the result is the smaller side, or when the
        # kernel stores the planar result itself (2-D uint8 on the CPU); otherwise copied into torch's (contiguous)
        # format.
        stores_planar = view.dtype == torch.uint8 and view.dim() == 4 and view.device.type == "cpu"
        layout = channels_last if result_numel < view.numel() or stores_planar else torch.contiguous_format
    elif family == "cropped_channels_last":
        layout = channels_last
    else:
        layout = torch.contiguous_format
    return torch.empty_like(view, memory_format=layout).copy_(view)


def family_view(family: str, spatial: Tuple[int, ...], dtype, device) -> torch.Tensor:
    """A (1 or 2, C, *spatial) tensor laid out as `family`."""
    c = CHANNELS
    if family == "hwc_view":  # torch.from_numpy(hwc).permute(2, 0, 1)[None]: batch stride C
        return rand((*spatial, c), dtype, device).movedim(-1, 0).unsqueeze(0)
    if family == "cropped_hwc_view":  # a crop of a decoded photo's view: interleaved, row pitch wider than the row
        wider = rand((*[s + 3 for s in spatial], c), dtype, device).movedim(-1, 0).unsqueeze(0)
        return wider[(slice(None), slice(None)) + tuple(slice(1, 1 + s) for s in spatial)]
    if family == "unsqueezed_chw":
        return rand((c, *spatial), dtype, device).unsqueeze(0)
    if family == "cropped_channels_last":  # a crop: row pitch wider than the row
        wider = rand((2, c, *[s + 3 for s in spatial]), dtype, device).contiguous(
            memory_format=channels_last_format(2 + len(spatial))
        )
        return wider[(slice(None), slice(None)) + tuple(slice(1, 1 + s) for s in spatial)]
    if family == "cropped_contiguous":
        wider = rand((2, c, *[s + 3 for s in spatial]), dtype, device)
        return wider[(slice(None), slice(None)) + tuple(slice(2, 2 + s) for s in spatial)]
    if family == "size1_odd_strides":  # batch 1 and a spatial extent of 1, their strides arbitrary
        shape = (1, c, 1, *spatial[1:])
        dense = rand(shape, dtype, device)
        strides = [7 if n == 1 else s for n, s in zip(shape, dense.stride())]
        return dense.as_strided(shape, strides)
    if family == "expanded_channels":  # a gray image broadcast to three channels: channel stride 0
        return rand((2, 1, *spatial), dtype, device).expand(2, c, *spatial)
    raise ValueError(family)


FAMILIES = [
    "hwc_view",
    "cropped_hwc_view",
    "unsqueezed_chw",
    "cropped_channels_last",
    "cropped_contiguous",
    "size1_odd_strides",
    "expanded_channels",
]


def torch_format_strides(view: torch.Tensor, size) -> Tuple[int, ...]:
    """The strides of torch's result for this source (every upsample mode allocates it in the same format)."""
    return F.interpolate(view, size=list(size), mode="nearest").stride()


def check_family(
    family: str, rank: int, put: Callable[[torch.Tensor], torch.Tensor], device: str, torch_strides: bool
) -> List[str]:
    """Every mode and dtype of `family` at rank `rank`: the failures (none when the family behaves)."""
    ops = torch.ops.torchresample
    failures = []
    for dtype in (torch.float32, torch.uint8):
        view = family_view(family, SPATIAL[rank], dtype, device)
        in_spatial = list(view.shape[2:])
        for size in TARGETS[rank]:
            size = list(size) if family != "size1_odd_strides" else [1, *size[1:]]
            result_numel = view.shape[0] * view.shape[1] * math.prod(size)
            base = canonical(view, family, result_numel)
            strides = torch_format_strides(view, size) if torch_strides else None
            for filt, aa in MODES:
                what = f"{family} {rank}-D {dtype} {filt} aa={aa} -> {size}"
                ours = ops.resample(put(view), size, filt, False, None, aa)
                if not torch.equal(ours, ops.resample(put(base), size, filt, False, None, aa)):
                    failures.append(f"forward {what}: bits differ from the canonical layout")
                if strides is not None and ours.stride() != strides:
                    failures.append(f"forward {what}: strides {ours.stride()}, torch's {strides}")
                if dtype != torch.uint8:
                    # The backward's source is the gradient: the same family, with the output's extents.
                    grad = family_view(family, tuple(size), dtype, device)
                    grad_base = canonical(grad, family, view.numel())
                    g = ops.resample_backward(put(grad), in_spatial, filt, False, None, aa)
                    if not torch.equal(g, ops.resample_backward(put(grad_base), in_spatial, filt, False, None, aa)):
                        failures.append(f"backward {what}: bits differ from the canonical layout")
                    if strides is not None and g.stride() != torch_format_strides(grad, in_spatial):
                        failures.append(f"backward {what}: strides differ from torch's")
    return failures


@pytest.mark.parametrize("rank", [2, 3])
@pytest.mark.parametrize("family", FAMILIES)
def test_layout_family_gives_the_canonical_bits(device, family, rank):
    failures = check_family(family, rank, device.put, device.type, torch_strides=not device.emulated)
    assert not failures, "\n".join(failures[:10])


def test_an_image_buffer_view_is_read_in_place():
    """A photo as numpy decodes it, downscaled: the result is in torch's format (contiguous), within 1 of torch's
    uint8 result, and the bits of a freshly allocated channels-last copy (the layout the engine reads it in)."""
    hwc = torch.randint(0, 256, (120, 160, 3), dtype=torch.uint8)
    view = hwc.permute(2, 0, 1).unsqueeze(0)
    assert view.is_contiguous(memory_format=torch.channels_last) and view.stride(0) == 3
    ours = torch.ops.torchresample.resample(view, [24, 24], "linear", False, None, True)
    theirs = F.interpolate(view, size=(24, 24), mode="bilinear", antialias=True)
    assert ours.is_contiguous() and ours.stride() == theirs.stride()
    assert (ours.int() - theirs.int()).abs().max() <= 1
    fresh = torch.empty_like(view, memory_format=torch.channels_last).copy_(view)
    assert fresh.stride(0) == 120 * 160 * 3
    assert torch.equal(ours, torch.ops.torchresample.resample(fresh, [24, 24], "linear", False, None, True))


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize(
    "size, filt",
    [
        ((37, 51), "cubic"),
        ((41, 45), "lanczos"),
        ((300, 410), "cubic"),
        ((300, 410), "linear"),  # W first
        ((60, 80), "linear"),  # H first, the planes' H pass interleaved
        ((12, 9), "linear"),  # H first with wide W windows: the planes kept
    ],
)
def test_a_planar_photo_gives_the_channels_last_bits(channels, size, filt):
    """Note [planar photos]: a planar RGB/RGBA photo (as torchvision's decode_jpeg returns it) is read interleaved by
    the channels-last engine (W first, or H first where the W pass takes pixel groups) or resampled plane by plane:
    the bits of the channels-last source and of every ISA copy
    (tests/test_cpu_isa.py), the result planar like torch's, within 1 of torch's float result."""
    planar = torch.randint(0, 256, (2, channels, 150, 203), dtype=torch.uint8)
    ours = torch.ops.torchresample.resample(planar, list(size), filt, False, None, True)
    last = planar.contiguous(memory_format=torch.channels_last)
    assert ours.is_contiguous()
    assert torch.equal(ours, torch.ops.torchresample.resample(last, list(size), filt, False, None, True))
    if filt != "lanczos":
        mode = {"cubic": "bicubic", "linear": "bilinear"}[filt]
        ref = F.interpolate(planar.double(), size=size, mode=mode, antialias=True)
        if filt == "cubic":  # torch's uint8 order: W first, rounded and clipped (Note [rounded w pass])
            mid = F.interpolate(planar.double(), size=(150, size[1]), mode=mode, antialias=True).round().clamp(0, 255)
            ref = F.interpolate(mid, size=size, mode=mode, antialias=True)
        assert (ours.double() - ref.round().clamp(0, 255)).abs().max() <= 1
