"""Data-augmentation transforms on torchresample's kernels: drop-ins for torchvision's, on tensors, that run a whole
batch in one call on the tensor's device."""

from __future__ import annotations

import math
import numbers
import warnings
from typing import List, Sequence, Tuple, Union

import torch
from torch import Tensor

from .functional import interpolate

__all__ = ["RandomResizedCrop"]

# torchvision's InterpolationMode values and Pillow's integer constants, as the modes of interpolate.
_PIL_MODES = {0: "nearest", 2: "bilinear", 3: "bicubic", 1: "lanczos", 4: "box", 5: "hamming"}
# Modes where a crop and interpolate(..., antialias) equal scale_and_translate on the crop's region (the same taps,
# weights and edge rule), so that a batch of crops is one call; the others are one interpolate per crop.
_IN_ONE_CALL = {("bilinear", False): "linear", ("bilinear", True): "linear", ("bicubic", True): "cubic"}


def _mode_name(interpolation) -> str:
    if isinstance(interpolation, int) and not isinstance(interpolation, bool):
        if interpolation not in _PIL_MODES:
            raise ValueError(f"torchresample.transforms: unknown interpolation {interpolation}")
        return _PIL_MODES[interpolation]
    return str(getattr(interpolation, "value", interpolation))


def _size_pair(size) -> Tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return int(size[0]), int(size[1])


class RandomResizedCrop(torch.nn.Module):
    """torchvision's ``RandomResizedCrop`` on tensors: crop a random part of the image (a random area between
    ``scale`` of the image's and a random aspect ratio within ``ratio``, drawn exactly as torchvision draws them, from
    torch's global generator) and resize it to ``size``.

    With the same seed it draws the same crops as ``torchvision.transforms.RandomResizedCrop`` (v1 and v2) and gives
    their result (float within rounding, uint8 within 1). With ``per_sample=True`` a batch (N, ..., H, W) gets a crop
    of its own per image, drawn in order, as torchvision applied to each image in a loop would, and all N are
    resampled in one call of the ``scale_and_translate`` kernels (bilinear, and antialiased bicubic; other modes
    resample each crop with :func:`torchresample.interpolate`).

    Args:
        size: output (h, w), or one int for a square.
        scale: bounds of the crop's area, relative to the image's.
        ratio: bounds of the crop's aspect ratio (w / h), drawn log-uniformly.
        interpolation: a ``torchvision.transforms.InterpolationMode``, its value (``"bilinear"``, ``"bicubic"``,
            ``"nearest"``, ``"nearest-exact"``), Pillow's integer constant, or any mode of
            :func:`torchresample.interpolate` (``"lanczos"``, ``"area"``, ...).
        antialias: low-pass filter on a downscale (bilinear and bicubic; torchvision's default, True).
        per_sample: draw a crop per image of the leading dimension instead of one for the whole tensor.
    """

    def __init__(
        self,
        size: Union[int, Sequence[int]],
        scale: Tuple[float, float] = (0.08, 1.0),
        ratio: Tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation="bilinear",
        antialias: bool = True,
        per_sample: bool = False,
    ) -> None:
        super().__init__()
        self.size = _size_pair(size)
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.scale = scale
        self.ratio = ratio
        self.interpolation = interpolation
        self.mode = _mode_name(interpolation)
        self.antialias = bool(antialias)
        self.per_sample = per_sample

    @staticmethod
    def get_params(img: Tensor, scale: Sequence[float], ratio: Sequence[float]) -> Tuple[int, int, int, int]:
        """A random crop (top, left, height, width) of ``img`` (..., H, W), drawn as torchvision draws it."""
        height, width = img.shape[-2], img.shape[-1]
        area = height * width
        log_ratio = torch.log(torch.tensor(ratio))
        for _ in range(10):
            target_area = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
            aspect_ratio = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = torch.randint(0, height - h + 1, size=(1,)).item()
                j = torch.randint(0, width - w + 1, size=(1,)).item()
                return i, j, h, w
        # The central crop with the closest allowed ratio.
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            w, h = int(round(height * max(ratio))), height
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img: Tensor) -> Tensor:
        """Crops of ``img`` (..., H, W; N, ..., H, W with ``per_sample``), resized to ``size``: (..., h, w)."""
        if not isinstance(img, Tensor):
            raise TypeError(f"torchresample.transforms.RandomResizedCrop: expected a tensor, got {type(img).__name__}")
        if img.dim() < (3 if self.per_sample else 2):
            raise ValueError(
                "torchresample.transforms.RandomResizedCrop: expected an image (..., H, W)"
                + (" with a batch dimension (per_sample)" if self.per_sample else "")
                + f", got shape {tuple(img.shape)}"
            )
        samples = img.shape[0] if self.per_sample else 1
        crops = [self.get_params(img, self.scale, self.ratio) for _ in range(samples)]
        lead = img.shape[:-2]
        # (samples, channels, H, W): every leading dimension but the samples' is a channel.
        x = img.reshape(samples, -1, *img.shape[-2:])
        out = self._resized_crops(x, crops)
        return out.reshape(*lead, *self.size)

    def _resized_crops(self, x: Tensor, crops: List[Tuple[int, int, int, int]]) -> Tensor:
        filter = _IN_ONE_CALL.get((self.mode, self.antialias))
        if filter is None:
            antialias = self.antialias and self.mode in ("bilinear", "bicubic")
            # As torchvision: a uint8 bicubic without antialias is computed in float and rounded (torch's uint8
            # kernel clamps between its passes).
            in_float = x.dtype == torch.uint8 and self.mode == "bicubic"
            out = torch.cat(
                [
                    interpolate(
                        x[n : n + 1, :, i : i + h, j : j + w].float()
                        if in_float
                        else x[n : n + 1, :, i : i + h, j : j + w],
                        self.size,
                        mode=self.mode,
                        antialias=antialias,
                    )
                    for n, (i, j, h, w) in enumerate(crops)
                ]
            )
            return out.clamp_(0, 255).round_().to(torch.uint8) if in_float else out
        regions = torch.tensor([[i, j, i + h, j + w] for i, j, h, w in crops], dtype=torch.int64)
        extents = torch.tensor([[h, w] for _, _, h, w in crops], dtype=torch.float64)
        scale = torch.tensor(self.size, dtype=torch.float64) / extents
        return torch.ops.torchresample.scale_and_translate(
            x, list(self.size), scale, torch.zeros_like(scale), filter, self.antialias, None, None, regions
        )

    def extra_repr(self) -> str:
        return (
            f"size={self.size}, scale={tuple(self.scale)}, ratio={tuple(self.ratio)}, interpolation={self.mode}, "
            f"antialias={self.antialias}, per_sample={self.per_sample}"
        )
