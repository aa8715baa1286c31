"""Typed wrappers of the torchresample custom ops, their fake kernels and their vmap rules (autograd lives in
csrc/autograd/linear_autograd.cpp)."""

from __future__ import annotations

from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import torch
from torch import Tensor
from torch._prims_common import suggest_memory_format

from . import _C

__all__ = [
    "FILTERS",
    "FilterInfo",
    "filter_param_values",
    "max_unpool",
    "pixel_shuffle",
    "pixel_unshuffle",
]


class FilterInfo(NamedTuple):
    """A row of the filter table (Note [filter table] in csrc/common/filters.h)."""

    name: str
    kind: str  # "point" (nearest), "area", "torch" (torch's linear and cubic taps), "windowed"
    negative_lobes: bool  # uint8 two-axis resizes round their W pass (Note [rounded w pass])
    params: Tuple[Tuple[str, float], ...]  # (name, default) of each parameter, in the op's order


# The filters of the resample op, read from the C++ table: the one list of names, kinds and parameters.
FILTERS: Dict[str, FilterInfo] = {row[0]: FilterInfo(*row) for row in _C.filter_table()}


def filter_param_values(filter: str, params: Optional[Mapping[str, float]]) -> List[float]:
    """The op's ``filter_params`` for ``params`` given by name (the filter's defaults for the ones left out): empty
    when none are given. Raises ``ValueError`` for a name the filter does not have."""
    if params is None:
        return []
    info = FILTERS.get(filter)
    names = [name for name, _ in info.params] if info is not None else []
    unknown = [k for k in params if k not in names]
    if info is None or unknown:
        accepted = ", ".join(repr(n) for n in names) if names else "none"
        raise ValueError(
            f"torchresample.interpolate: filter_params {sorted(unknown) or dict(params)} are not parameters of the "
            f"{filter!r} filter (its parameters: {accepted})"
        )
    return [float(params.get(name, default)) for name, default in info.params]


# The op itself, for callers that already hold its argument lists (interpolate: a small resize spends more time
# in Python than in the kernel).
resample_op = torch.ops.torchresample.resample.default


def _empty_like_format(like: Tensor, shape: Sequence[int]) -> Tensor:
    # The kernels allocate in like.suggest_memory_format(); so must the fake kernels.
    return torch.empty(shape, dtype=like.dtype, device=like.device, memory_format=suggest_memory_format(like))


# The fake kernels compute the output's shape and memory format, checking only what that needs; every other check is
# the real kernels' (Note [error messages] in csrc/glue/resample_glue.h), so under torch.compile an invalid call
# fails when the compiled code runs it, with the eager exception.


@torch.library.register_fake("torchresample::resample")
def _resample_fake(input, output_size, filter, align_corners=False, scales=None, antialias=False, filter_params=None):
    _check_spatial(input, output_size, "resample", "output_size")
    return _empty_like_format(input, [*input.shape[:2], *output_size])


@torch.library.register_fake("torchresample::resample_backward")
def _resample_backward_fake(
    grad_output, input_size, filter, align_corners=False, scales=None, antialias=False, filter_params=None
):
    _check_spatial(grad_output, input_size, "resample_backward", "input_size")
    return _empty_like_format(grad_output, [*grad_output.shape[:2], *input_size])


def _check_spatial(x: Tensor, sizes: Sequence[int], op: str, name: str) -> None:
    torch._check(
        3 <= x.dim() <= 5 and len(sizes) == x.dim() - 2,
        lambda: (
            f"torchresample::{op}: expected (N, C, *spatial) with one {name} per spatial axis, got {x.dim()}-D "
            f"and {len(sizes)}"
        ),
    )


def max_unpool(input: Tensor, indices: Tensor, output_size: Sequence[int]) -> Tensor:
    """Scatter ``input`` (N, C, *spatial) into zeros of shape (N, C, *output_size) at ``indices``.

    ``indices`` (int64, the shape of ``input``) are flat over each (n, c) plane of the output, as
    :func:`torch.nn.functional.max_pool2d` returns them. Among equal indices of one plane the element at the highest
    input position wins, whatever the thread count. An index outside the plane raises ``RuntimeError``.
    """
    return torch.ops.torchresample.max_unpool.default(input, indices, list(output_size))


def pixel_shuffle(input: Tensor, upscale_factor: int, spatial_dims: int = 2) -> Tensor:
    """Move channel blocks of ``r**k`` into ``r``-fold larger last ``k = spatial_dims`` axes (k in 1..3).

    ``out[..., c, s_1*r + q_1, ..., s_k*r + q_k] = input[..., c*r**k + q, s_1, ..., s_k]`` with ``q_1..q_k`` the
    base-``r`` digits of ``q``. Any number of leading batch axes; every dtype.
    """
    return torch.ops.torchresample.pixel_shuffle.default(input, upscale_factor, spatial_dims)


def pixel_unshuffle(input: Tensor, downscale_factor: int, spatial_dims: int = 2) -> Tensor:
    """The inverse of :func:`pixel_shuffle`."""
    return torch.ops.torchresample.pixel_unshuffle.default(input, downscale_factor, spatial_dims)


@torch.library.register_fake("torchresample::max_unpool")
def _max_unpool_fake(input, indices, output_size):
    _check_spatial(input, output_size, "max_unpool", "output size")
    _check_same_device(input, indices, "max_unpool")
    return _empty_like_format(input, [*input.shape[:2], *output_size])


@torch.library.register_fake("torchresample::max_unpool_backward")
def _max_unpool_backward_fake(grad_output, indices):
    _check_same_device(grad_output, indices, "max_unpool_backward")
    return _empty_like_format(grad_output, list(indices.shape))


def _check_same_device(x: Tensor, indices: Tensor, op: str) -> None:
    # A call mixing a meta tensor with another device's dispatches to this kernel, not to the real ones.
    torch._check(
        indices.device == x.device,
        lambda: f"torchresample::{op}: expected indices on the device of the values ({x.device}), got {indices.device}",
    )


def _shuffle_fake(input: Tensor, factor: int, spatial_dims: int, unshuffle: bool) -> Tensor:
    k = spatial_dims
    op = "pixel_unshuffle" if unshuffle else "pixel_shuffle"
    shape = list(input.shape)

    def expected() -> str:
        return f"torchresample::{op}: expected a positive factor and an input of more than {k} dimensions"

    torch._check(1 <= k <= 3, expected)
    torch._check(input.dim() >= k + 1, expected)
    torch._check(factor > 0, expected)
    power = factor**k
    # The extents the shape divides must divide (the real kernels say which one does not, and how).
    divisor = factor if unshuffle else power
    for n in shape[-k:] if unshuffle else [shape[-k - 1]]:
        torch._check(
            n % divisor == 0,
            lambda: f"torchresample::{op}: the input's extents {shape} are not divisible by the factor {factor}",
        )
    if unshuffle:
        shape[-k - 1] *= power
        shape[-k:] = [n // factor for n in shape[-k:]]
    else:
        shape[-k - 1] //= power
        shape[-k:] = [n * factor for n in shape[-k:]]
    format = suggest_memory_format(input)
    channels_last = input.dim() == k + 2 and format == {2: torch.channels_last, 3: torch.channels_last_3d}.get(k)
    return torch.empty(
        shape,
        dtype=input.dtype,
        device=input.device,
        memory_format=format if channels_last else torch.contiguous_format,
    )


@torch.library.register_fake("torchresample::pixel_shuffle")
def _pixel_shuffle_fake(input, upscale_factor, spatial_dims=2):
    return _shuffle_fake(input, upscale_factor, spatial_dims, unshuffle=False)


@torch.library.register_fake("torchresample::pixel_unshuffle")
def _pixel_unshuffle_fake(input, downscale_factor, spatial_dims=2):
    return _shuffle_fake(input, downscale_factor, spatial_dims, unshuffle=True)


# vmap: every op works plane by plane over its leading dimensions, so the vmapped dimension folds into the batch
# (resample, max_unpool: N; pixel_(un)shuffle: any leading dimension) and unfolds from the result.


def _fold(x: Tensor, bdim: Optional[int], batch_size: int) -> Tensor:
    """``x`` with the vmapped dimension moved first and merged into the next one (expanded when not vmapped)."""
    x = x.unsqueeze(0).expand(batch_size, *x.shape) if bdim is None else x.movedim(bdim, 0)
    return x.flatten(0, 1)


def _unfold(y: Tensor, batch_size: int) -> Tuple[Tensor, int]:
    return y.unflatten(0, (batch_size, -1)), 0


@torch.library.register_vmap("torchresample::resample")
def _resample_vmap(
    info, in_dims, input, output_size, filter, align_corners=False, scales=None, antialias=False, filter_params=None
):
    y = resample_op(
        _fold(input, in_dims[0], info.batch_size), output_size, filter, align_corners, scales, antialias, filter_params
    )
    return _unfold(y, info.batch_size)


@torch.library.register_vmap("torchresample::resample_backward")
def _resample_backward_vmap(
    info,
    in_dims,
    grad_output,
    input_size,
    filter,
    align_corners=False,
    scales=None,
    antialias=False,
    filter_params=None,
):
    y = torch.ops.torchresample.resample_backward.default(
        _fold(grad_output, in_dims[0], info.batch_size),
        input_size,
        filter,
        align_corners,
        scales,
        antialias,
        filter_params,
    )
    return _unfold(y, info.batch_size)


@torch.library.register_vmap("torchresample::max_unpool")
def _max_unpool_vmap(info, in_dims, input, indices, output_size):
    y = torch.ops.torchresample.max_unpool.default(
        _fold(input, in_dims[0], info.batch_size), _fold(indices, in_dims[1], info.batch_size), output_size
    )
    return _unfold(y, info.batch_size)


@torch.library.register_vmap("torchresample::max_unpool_backward")
def _max_unpool_backward_vmap(info, in_dims, grad_output, indices):
    y = torch.ops.torchresample.max_unpool_backward.default(
        _fold(grad_output, in_dims[0], info.batch_size), _fold(indices, in_dims[1], info.batch_size)
    )
    return _unfold(y, info.batch_size)


def _shuffle_vmap(op):
    def rule(info, in_dims, input, factor, spatial_dims=2):
        x = input.movedim(in_dims[0], 0)
        # pixel_(un)shuffle takes any number of leading dimensions: the vmapped one is just one more.
        return op(x, factor, spatial_dims), 0

    return rule


torch.library.register_vmap(
    "torchresample::pixel_shuffle", _shuffle_vmap(torch.ops.torchresample.pixel_shuffle.default)
)
torch.library.register_vmap(
    "torchresample::pixel_unshuffle", _shuffle_vmap(torch.ops.torchresample.pixel_unshuffle.default)
)


# scale_and_translate (Note [scale and translate] in csrc/common/sampled_plan.h): fake kernels. Its autograd is the
# linear ops' (csrc/autograd/linear_autograd.cpp): linear in its input, whose gradient is scale_and_translate_backward
# (whose own gradient is the op again), and smooth in scale and translation, whose gradients are
# scale_and_translate_param_backward.


@torch.library.register_fake("torchresample::scale_and_translate")
def _scale_and_translate_fake(
    input, output_size, scale, translation, filter, antialias=True, filter_params=None, indices=None, regions=None
):
    _check_spatial(input, output_size, "scale_and_translate", "output size")
    samples = indices.shape[0] if indices is not None else input.shape[0]
    return _empty_like_format(input, [samples, input.shape[1], *output_size])


@torch.library.register_fake("torchresample::scale_and_translate_backward")
def _scale_and_translate_backward_fake(
    grad_output, input_shape, scale, translation, filter, antialias=True, filter_params=None, indices=None, regions=None
):
    return _empty_like_format(grad_output, list(input_shape))


@torch.library.register_fake("torchresample::scale_and_translate_param_backward")
def _scale_and_translate_param_backward_fake(
    grad_output, input, scale, translation, filter, antialias=True, filter_params=None, indices=None, regions=None
):
    return (
        torch.empty(scale.shape, dtype=torch.float64, device=scale.device),
        torch.empty(translation.shape, dtype=torch.float64, device=translation.device),
    )


# vmap of the scale_and_translate ops: the vmapped dimension folds into the samples. Output sample k of batch element
# b becomes sample b * K + k, reading input sample b * N + indices[k] of a folded input (indices[k] of an input that
# is not vmapped, which is then not copied); scale, translation and regions fold alike.


def _sampled_fold(info, in_dims, input, scale, translation, indices, regions, input_batched: bool):
    """(input, scale, translation, indices, regions) folded, ``input_batched`` telling whether the input is."""
    b = info.batch_size
    scale = _fold(scale, in_dims[2], b)
    translation = _fold(translation, in_dims[3], b)
    samples = scale.shape[0] // b
    base = (
        _fold(indices, in_dims[7], b).view(b, samples)
        if indices is not None
        else torch.arange(samples, device=scale.device).expand(b, samples)
    )
    if input_batched:
        images = input.shape[0] // b
        base = base + torch.arange(b, device=base.device)[:, None] * images
    regions = _fold(regions, in_dims[8], b) if regions is not None else None
    return scale, translation, base.reshape(-1).to(torch.int64), regions


@torch.library.register_vmap("torchresample::scale_and_translate")
def _scale_and_translate_vmap(
    info,
    in_dims,
    input,
    output_size,
    scale,
    translation,
    filter,
    antialias=True,
    filter_params=None,
    indices=None,
    regions=None,
):
    batched = in_dims[0] is not None
    x = _fold(input, in_dims[0], info.batch_size) if batched else input
    s, t, idx, r = _sampled_fold(info, in_dims, x, scale, translation, indices, regions, batched)
    y = torch.ops.torchresample.scale_and_translate.default(
        x, output_size, s, t, filter, antialias, filter_params, idx.to(x.device), r
    )
    return _unfold(y, info.batch_size)


@torch.library.register_vmap("torchresample::scale_and_translate_backward")
def _scale_and_translate_backward_vmap(
    info,
    in_dims,
    grad_output,
    input_shape,
    scale,
    translation,
    filter,
    antialias=True,
    filter_params=None,
    indices=None,
    regions=None,
):
    g = _fold(grad_output, in_dims[0], info.batch_size)
    shape = [info.batch_size * input_shape[0], *input_shape[1:]]
    s, t, idx, r = _sampled_fold(info, in_dims, torch.empty(shape[0], 0), scale, translation, indices, regions, True)
    y = torch.ops.torchresample.scale_and_translate_backward.default(
        g, shape, s, t, filter, antialias, filter_params, idx.to(g.device), r
    )
    return _unfold(y, info.batch_size)


@torch.library.register_vmap("torchresample::scale_and_translate_param_backward")
def _scale_and_translate_param_backward_vmap(
    info,
    in_dims,
    grad_output,
    input,
    scale,
    translation,
    filter,
    antialias=True,
    filter_params=None,
    indices=None,
    regions=None,
):
    g = _fold(grad_output, in_dims[0], info.batch_size)
    batched = in_dims[1] is not None
    x = _fold(input, in_dims[1], info.batch_size) if batched else input
    s, t, idx, r = _sampled_fold(info, in_dims, x, scale, translation, indices, regions, batched)
    ds, dt = torch.ops.torchresample.scale_and_translate_param_backward.default(
        g, x, s, t, filter, antialias, filter_params, idx.to(x.device), r
    )
    return (ds.unflatten(0, (info.batch_size, -1)), dt.unflatten(0, (info.batch_size, -1))), (0, 0)
