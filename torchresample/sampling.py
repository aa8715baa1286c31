"""Resampling of regions and sub-pixel shifts: ``scale_and_translate`` (``jax.image.scale_and_translate``'s definition)
and ``crop_and_resize`` (boxes resampled to a fixed size), with every filter, antialias, and gradients with respect to
the input, the scale, the translation and the boxes (Note [scale and translate] in csrc/common/sampled_plan.h)."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Union

import torch
from torch import Tensor

from . import _ops
from .functional import _check_input

__all__ = ["scale_and_translate", "crop_and_resize"]

# Names of other libraries for the table's filters: torch's modes of any rank, and jax.image's methods.
_ALIASES = {
    "bilinear": ("linear", None),
    "trilinear": ("linear", None),
    "bicubic": ("cubic", None),
    "lanczos3": ("lanczos", {"a": 3.0}),
    "lanczos5": ("lanczos", {"a": 5.0}),
}

PerAxis = Union[float, Sequence[float], Tensor]


def _filter_of(mode: str, filter_params: Optional[Dict[str, float]], function: str) -> tuple:
    name, preset = _ALIASES.get(mode, (mode, None))
    if name not in _ops.FILTERS:
        modes = ", ".join([*_ops.FILTERS, *_ALIASES])
        raise ValueError(f"torchresample.{function}: unknown mode {mode!r}; expected one of {modes}")
    params = {**(preset or {}), **(filter_params or {})} if preset or filter_params else None
    return name, _ops.filter_param_values(name, params) or None


def _output_size(size, k: int, function: str) -> List[int]:
    sizes = list(size) if isinstance(size, (list, tuple, torch.Size)) else [size] * k
    if len(sizes) != k:
        raise ValueError(
            f"torchresample.{function}: expected an output size for each of the {k} spatial axes, got {size}"
        )
    return sizes


def _per_sample(value: PerAxis, samples: int, k: int, name: str, function: str) -> Tensor:
    """``value`` (a number, k numbers, or a tensor of shape (), (k,) or (samples, k)) as a float64 (samples, k) tensor,
    differentiable where ``value`` is a tensor."""
    t = value if isinstance(value, Tensor) else torch.tensor(value, dtype=torch.float64)
    if t.dim() == 0:
        t = t.expand(k)
    if t.dim() == 1:
        t = t.unsqueeze(0).expand(samples, -1) if t.shape[0] == k else t
    if t.shape != (samples, k):
        raise ValueError(
            f"torchresample.{function}: expected {name} as a number, {k} numbers, or a tensor of shape "
            f"({samples}, {k}), got shape {tuple(t.shape)}"
        )
    return t.to(torch.float64)


def scale_and_translate(
    input: Tensor,
    size: Union[int, Sequence[int]],
    scale: PerAxis,
    translation: PerAxis,
    mode: str = "linear",
    antialias: bool = True,
    filter_params: Optional[Dict[str, float]] = None,
) -> Tensor:
    r"""Resample the spatial axes of ``input`` (N, C, \*spatial) to ``size`` with a scale and a translation per axis,
    as :func:`jax.image.scale_and_translate` defines them.

    Along each spatial axis, output pixel ``o`` samples the input at ``(o + 0.5 - translation) / scale - 0.5``
    (pixel centres at integers) through the filter of ``mode``, which is widened by ``1 / scale`` on a downscale when
    ``antialias`` is True. The taps that fall outside the input are dropped and the others renormalised; an output
    pixel whose sample lies more than half a pixel outside the input is 0.

    Args:
        input: (N, C, W), (N, C, H, W) or (N, C, D, H, W); floating point or uint8.
        size: the output's spatial extents (an int for every axis, or one per axis).
        scale: output pixels per input pixel, per axis: a number, one per axis, or a tensor of shape (N, axes) for a
            scale per sample. Positive.
        translation: output pixels, per axis, in the same forms as ``scale``.
        mode: a filter of :data:`torchresample.FILTERS` (``linear``, ``cubic`` (Keys, a = -0.5), ``lanczos``,
            ``box``, ``gaussian``, ``mitchell``, ``catmull-rom``; ``nearest``, ``nearest-exact`` and ``area`` are the
            box), torch's ``bilinear``, ``trilinear``, ``bicubic``, or jax's ``lanczos3``, ``lanczos5``.
        antialias: widen the filter on a downscale (jax's default, True).
        filter_params: the filter's parameters by name (``torchresample.FILTERS``).

    Returns:
        (N, C, \*size), in ``input``'s memory format. Differentiable with respect to ``input``, ``scale`` and
        ``translation`` (a tensor requiring grad); the input gradient is deterministic (a gather, no atomics).
    """
    _check_input(input, "scale_and_translate")
    k = input.dim() - 2
    filter, params = _filter_of(mode, filter_params, "scale_and_translate")
    sizes = _output_size(size, k, "scale_and_translate")
    n = input.shape[0]
    s = _per_sample(scale, n, k, "scale", "scale_and_translate")
    t = _per_sample(translation, n, k, "translation", "scale_and_translate")
    return torch.ops.torchresample.scale_and_translate(input, sizes, s, t, filter, bool(antialias), params, None)


def crop_and_resize(
    input: Tensor,
    boxes: Union[Tensor, Sequence[Tensor]],
    size: Union[int, Sequence[int]],
    mode: str = "linear",
    antialias: bool = True,
    box_indices: Optional[Tensor] = None,
    filter_params: Optional[Dict[str, float]] = None,
) -> Tensor:
    r"""Resample each box of ``input`` (N, C, \*spatial) to ``size``: the result is (K, C, \*size) for K boxes.

    Boxes are in input pixel coordinates, pixel ``i`` covering ``[i, i + 1)``, as torchvision's boxes: (x1, y1, x2,
    y2) for 2-D input (x along W), (x1, x2) for 1-D, (x1, y1, z1, x2, y2, z2) for 3-D (z along D), with x1 < x2 and
    so on. Output pixels split the box evenly: the box ``[0, W] x [0, H]`` is the whole image, and gives
    ``interpolate(input, size, mode, antialias=True)`` for the antialiased filters. Each box is
    :func:`scale_and_translate` with ``scale = size / (x2 - x1)`` and ``translation = -x1 * scale``: parts of a box
    outside the input give 0 beyond half a pixel from its edge.

    Args:
        boxes: a (K, 2 * axes) tensor with ``box_indices`` (K,) naming each box's input sample (may be left out when
            N == 1), or a list of N tensors, the boxes of each input sample, as torchvision's ``roi_align`` takes them.
        mode, antialias, filter_params: as :func:`scale_and_translate`.

    Returns:
        (K, C, \*size), differentiable with respect to ``input`` (a deterministic gather) and ``boxes``.
    """
    _check_input(input, "crop_and_resize")
    k = input.dim() - 2
    filter, params = _filter_of(mode, filter_params, "crop_and_resize")
    sizes = _output_size(size, k, "crop_and_resize")
    if not isinstance(boxes, Tensor):
        per_image = list(boxes)
        if len(per_image) != input.shape[0]:
            raise ValueError(
                f"torchresample.crop_and_resize: expected a list of boxes for each of the {input.shape[0]} input "
                f"samples, got {len(per_image)}"
            )
        box_indices = torch.cat([torch.full((len(b),), n, dtype=torch.int64) for n, b in enumerate(per_image)]).to(
            input.device
        )
        boxes = torch.cat(list(per_image)) if per_image else torch.zeros(0, 2 * k)
    if boxes.dim() != 2 or boxes.shape[1] != 2 * k:
        raise ValueError(
            f"torchresample.crop_and_resize: expected boxes of shape (K, {2 * k}) for {k} spatial axes, got "
            f"{tuple(boxes.shape)}"
        )
    if box_indices is None:
        if input.shape[0] != 1:
            raise ValueError(
                "torchresample.crop_and_resize: box_indices is needed when the input holds more than one sample"
            )
        box_indices = torch.zeros(boxes.shape[0], dtype=torch.int64, device=input.device)
    low = boxes[:, :k].flip(1).to(torch.float64)  # (x, y, z) to the spatial order (D, H, W)
    high = boxes[:, k:].flip(1).to(torch.float64)
    scale = torch.tensor(sizes, dtype=torch.float64, device=boxes.device) / (high - low)
    translation = -low * scale
    return torch.ops.torchresample.scale_and_translate(
        input, sizes, scale, translation, filter, bool(antialias), params, box_indices
    )
