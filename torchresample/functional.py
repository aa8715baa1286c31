"""Functional API: ``interpolate`` and the other upsampling functions with torch's argument rules, routed to the
torchresample ops."""

from __future__ import annotations

import math
import operator
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from . import _distributed, _ops, _script
from ._ops import FILTERS, FilterInfo
from ._script import BroadcastingList1

try:
    # The eager entry points (Note [eager calls] in csrc/python/eager_calls.cpp), built for one Python version.
    from ._eager import interpolate as _eager_interpolate
    from ._eager import pixel_shuffle as _eager_pixel_shuffle
except ImportError:  # pragma: no cover - a build for another Python: the general path does everything
    _eager_interpolate = _eager_pixel_shuffle = None

__all__ = [
    "FILTERS",
    "FilterInfo",
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "pixel_shuffle",
    "pixel_unshuffle",
    "pixel_shuffle3d",
    "pixel_unshuffle3d",
]


# mode -> (filter of the resample op, number of spatial axes the mode is tied to in torch, or None for any). torch's
# linear and cubic modes go by their names; every other filter of the table is a mode of its own name.
_TORCH_MODES = {
    "linear": ("linear", 1),
    "bilinear": ("linear", 2),
    "trilinear": ("linear", 3),
    "bicubic": ("cubic", None),
}
_MODES = {
    **{name: (name, None) for name, f in _ops.FILTERS.items() if f.kind != "torch"},
    **_TORCH_MODES,
}
# The modes without align_corners and antialias: nearest, nearest-exact, area.
_NO_CORNERS = tuple(name for name, f in _ops.FILTERS.items() if f.kind in ("point", "area"))
_NO_ANTIALIAS = _NO_CORNERS
_WINDOWED_MODES = [name for name, f in _ops.FILTERS.items() if f.kind == "windowed"]
# torch's list, with ours where lanczos always stood.
_MODE_LIST = " | ".join(
    ["nearest", "linear", "bilinear", "bicubic", "trilinear", *_WINDOWED_MODES, "area", "nearest-exact"]
)
_ANTIALIAS_MODES = ", ".join(["linear", "bilinear", "trilinear", "bicubic", *_WINDOWED_MODES])
_RANK_NAMES = {1: ("3D", "linear"), 2: ("4D", "bilinear"), 3: ("5D", "trilinear")}


def _check_input(input, op: str) -> None:
    """Refuse quantized tensors (torch's deprecated ones reach its nearest and bilinear kernels; ours take float and
    uint8 data), and register the DTensor rules on the first DTensor (torchresample/_distributed.py)."""
    if type(input) is not Tensor:
        _distributed.register_if_dtensor(input)
    if isinstance(input, Tensor) and input.is_quantized:
        raise NotImplementedError(
            f"torchresample.{op}: quantized tensors ({input.dtype}) are not supported; dequantize first "
            "(x.dequantize()), resample, and quantize the result again if needed"
        )


def _is_numpy_scalar(x, kinds: str) -> bool:
    """A numpy scalar (not an array, not even a 0-d one: torch's parser refuses those) of one of the dtype kinds."""
    return type(x).__module__ == "numpy" and type(x).__name__ != "ndarray" and x.dtype.kind in kinds


def _is_integer(x) -> bool:
    """What torch's argument parser takes as an int: an int (not a bool), a numpy integer scalar, a 0-d integer
    tensor."""
    if type(x) is int or isinstance(x, torch.SymInt):
        return True
    if isinstance(x, bool):
        return False
    if isinstance(x, int) or _is_numpy_scalar(x, "iu"):
        return True
    return isinstance(x, Tensor) and x.dim() == 0 and not x.is_floating_point() and x.dtype != torch.bool


def _is_real(x) -> bool:
    """What torch's argument parser takes as a scale factor: a float, an int, a numpy number (not a Fraction, not a
    tensor)."""
    return isinstance(x, (float, int, torch.SymFloat, torch.SymInt)) or _is_numpy_scalar(x, "iufb")


def _truncate_to_int(n, scale: float, compiling: bool):
    """``int64(n * scale)`` as torch's C++ computes an output size from a scale factor (double, truncated)."""
    # Dynamo sees a symbolic size as an int; the float checks below would break the graph, so traced code takes
    # the symbolic path, as torch's interpolate does.
    if isinstance(n, int) and not compiling:
        value = float(n) * float(scale)
        if not math.isfinite(value) or abs(value) >= 2.0**63:
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        return int(value)
    return torch.sym_int(n * scale)


def interpolate(
    input: Tensor,
    # "An int (a float) or a sequence of them" as TorchScript spells it (it passes a single value as a 1-list).
    size: Optional[BroadcastingList1[int]] = None,
    scale_factor: Optional[BroadcastingList1[float]] = None,
    mode: str = "nearest",
    align_corners: Optional[bool] = None,
    recompute_scale_factor: Optional[bool] = None,
    antialias: bool = False,
    filter_params: Optional[Dict[str, float]] = None,
) -> Tensor:
    r"""Resample ``input`` to ``size`` or by ``scale_factor``: a drop-in for :func:`torch.nn.functional.interpolate`.

    Same arguments, output sizes, scale semantics and exceptions as torch. Where torch has a mode, results
    match it (nearest modes bit-exact, floating modes within rounding). Beyond torch:

    * ``antialias=True`` with ``linear`` (3-D input), ``bilinear``, ``trilinear``, ``bicubic`` and the
      windowed modes in every dimension, for float16 and bfloat16 too;
    * ``bicubic`` on 3-D and 5-D input (cubic along every axis);
    * the windowed modes, in 1-D/2-D/3-D, with or without antialias, and with ``align_corners``: ``lanczos``
      (``a``, default 3), ``box``, ``gaussian`` (``sigma`` in filter units, default 0.5, cut at 3 sigma),
      ``mitchell`` (Mitchell-Netravali ``b``, ``c``, default 1/3, 1/3) and ``catmull-rom`` (``b`` = 0, ``c`` = 1/2).
      Their taps are normalised windows of the filter (README, Filters);
    * every mode for float32/float64/float16/bfloat16 and uint8 (uint8: rounded and saturated);
    * a deterministic backward (each gradient element is a gather in a fixed order, on CPU and CUDA).

    Args:
        input: tensor of shape (N, C, W), (N, C, H, W) or (N, C, D, H, W).
        size: output spatial size (an int for every axis, or one per axis).
        scale_factor: multiplier for the spatial size (a float for every axis, or one per axis).
        mode: ``'nearest'`` | ``'nearest-exact'`` | ``'linear'`` | ``'bilinear'`` | ``'trilinear'`` |
            ``'bicubic'`` | ``'area'`` | ``'lanczos'`` | ``'box'`` | ``'gaussian'`` | ``'mitchell'`` |
            ``'catmull-rom'``. Default: ``'nearest'``.
        align_corners: for the interpolating modes, map corner pixel centres onto each other.
        recompute_scale_factor: compute the output size from ``scale_factor`` and let the kernels use
            ``in / out`` instead of ``1 / scale_factor``.
        antialias: widen the filter by the downscale factor (as torch and Pillow do).
        filter_params: the filter's parameters by name, e.g. ``{"a": 2}`` for Lanczos-2 or ``{"sigma": 0.8}``
            (those left out keep their defaults; ``torchresample.FILTERS`` lists each filter's).

    Returns:
        The resampled tensor, in ``input.suggest_memory_format()`` as torch's result is (torch's ``area`` on
        channels_last_3d input returns a contiguous tensor, ours keeps the format: README, Parity with torch).
    """
    if torch.jit.is_scripting():
        return _script.interpolate(
            input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias, filter_params
        )
    if _eager_interpolate is not None and not torch.compiler.is_compiling():
        # The common eager call, checked and made in C++; None where the general path below must decide.
        out = _eager_interpolate(
            input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias, filter_params
        )
        if out is not None:
            return out
    # torch's checks, in torch's order (the first one a call fails decides its exception).
    _check_input(input, "interpolate")
    align_corners = _align_corners_for(mode, align_corners)
    dim = input.dim() - 2
    output_size, scale_factors = _size_or_scale_factors(input, size, scale_factor, dim)
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    # "area" always works from an explicit size, as torch's adaptive pooling does.
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    size_factors = scale_factors  # what the output size follows from, when no size is given
    tracing = torch._C._get_tracing_state() is not None
    if recompute_scale_factor:
        assert scale_factors is not None
        if not tracing:
            output_size = [torch.sym_int(input.size(i + 2) * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    filter_name = _filter_for(mode, dim, antialias, input.dim())
    params = _ops.filter_param_values(filter_name, filter_params)
    _check_argument_types(align_corners, size, scale_factors)

    if output_size is None and tracing:
        # torch.jit.trace: a script function computes the size from the input's, so that the trace keeps it dynamic.
        return _script.traced(f"resample_scaled_{dim}d")(
            input,
            [float(s) for s in size_factors],
            filter_name,
            bool(align_corners),
            _scales_of(scale_factors),
            bool(antialias),
            params,
        )
    output_size = _output_size(input, output_size, scale_factors, tracing)
    scales = _scales_of(scale_factors)
    if params:
        return _ops.resample_op(input, output_size, filter_name, bool(align_corners), scales, bool(antialias), params)
    return _ops.resample_op(input, output_size, filter_name, bool(align_corners), scales, bool(antialias))


def _align_corners_for(mode: str, align_corners: Optional[bool]) -> Optional[bool]:
    """torch's rule: None for the modes that take no align_corners (given one: ValueError), else False by default."""
    if mode in _NO_CORNERS:
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the "
                "interpolating modes: linear | bilinear | bicubic | trilinear"
            )
        return None
    return False if align_corners is None else align_corners


def _size_or_scale_factors(input: Tensor, size, scale_factor, dim: int) -> Tuple[Optional[List], Optional[List]]:
    """(output size, None) or (None, scale factors), one per spatial axis, with torch's errors for both or neither,
    a list of the wrong length, and a size list holding what torch's parser does not take as an int."""
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if not isinstance(size, (list, tuple)):
            return [size for _ in range(dim)], None
        if len(size) != dim:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                "output size in (o1, o2, ...,oK) format."
            )
        if not all(_is_integer(x) for x in size):
            raise TypeError(
                "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                f"Tuple[int, int, int], but got size with types {[type(x) for x in size]}"
            )
        return list(size), None
    if scale_factor is not None:
        if not isinstance(scale_factor, (list, tuple)):
            return None, [scale_factor for _ in range(dim)]
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {list(input.shape[2:])} and "
                f"scale_factor of shape {scale_factor}. "
                "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                "scale_factor in (s1, s2, ...,sK) format."
            )
        return None, list(scale_factor)
    raise ValueError("either size or scale_factor should be defined")


def _filter_for(mode: str, dim: int, antialias: bool, ndim: int) -> str:
    """The op's filter for a mode, with torch's errors: ValueError for antialias where the mode takes none (ours takes
    it in every rank), NotImplementedError for an unknown mode or a rank the mode is not for."""
    filter_name, tied_rank = _MODES.get(mode, (None, None))
    rank_ok = filter_name is not None and 1 <= dim <= 3 and tied_rank in (None, dim)
    if antialias and (mode in _NO_ANTIALIAS or not rank_ok):
        raise ValueError(
            f"Anti-alias option is restricted to the {_ANTIALIAS_MODES} modes "
            "(torchresample accepts it with 3-D, 4-D and 5-D input for each)"
        )
    if not rank_ok:
        _raise_rank_error(ndim, mode, tied_rank)
    return filter_name


def _check_argument_types(align_corners, size, scale_factors: Optional[List]) -> None:
    """The argument types torch's parser rejects (TypeError) when it calls the op, after torch's Python checks."""
    if align_corners is not None and type(align_corners) is not bool:
        raise TypeError(f"interpolate(): align_corners must be a bool, not {type(align_corners).__name__}")
    if size is not None and not isinstance(size, (list, tuple)) and not _is_integer(size):
        raise TypeError(
            "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
            f"Tuple[int, int, int], but got size of type {type(size)}"
        )
    if scale_factors is not None and not all(_is_real(x) for x in scale_factors):
        # float() would accept "2".
        raise TypeError(
            "expected scale_factor to be a float or a tuple of floats, but got scale_factor with types "
            f"{[type(x) for x in scale_factors]}"
        )


def _output_size(input: Tensor, output_size: Optional[List], scale_factors: Optional[List], tracing: bool) -> List:
    """The op's output size: the given one, or int64(in * scale) per axis as torch's C++ computes it."""
    if output_size is None:
        assert scale_factors is not None
        compiling = torch.compiler.is_compiling()
        shape = input.shape
        output_size = [_truncate_to_int(shape[i + 2], s, compiling) for i, s in enumerate(scale_factors)]
    if tracing:
        # A size given as traced tensors becomes a constant of the trace, with the tracer's warning (int()).
        output_size = [int(n) for n in output_size]
    for n in output_size:
        if isinstance(n, int) and not -(2**63) <= n < 2**63:
            # As torch's argument parser, which cannot unpack it into an int64 (a recomputed size from a huge scale).
            raise TypeError(
                f"torchresample.interpolate: output size {n} does not fit in int64 (scale_factor too large?)"
            )
    return output_size


def _scales_of(scale_factors: Optional[Sequence]) -> Optional[List[float]]:
    """The op's scales argument: the scale factors the kernels use (one per spatial axis), or None."""
    return [float(s) for s in scale_factors] if scale_factors is not None else None


def _raise_rank_error(ndim: int, mode: str, tied_rank: Optional[int]) -> None:
    """The NotImplementedError torch raises for a mode/rank mismatch, with torch's message."""
    if tied_rank is not None and 1 <= ndim - 2 <= 3:
        got, _ = _RANK_NAMES[ndim - 2]
        needs, _ = _RANK_NAMES[tied_rank]
        raise NotImplementedError(f"Got {got} input, but {mode} mode needs {needs} input")
    raise NotImplementedError(
        "Input Error: Only 3D, 4D and 5D input Tensors supported"
        f" (got {ndim}D) for the modes: {_MODE_LIST}"
        f" (got {mode})"
    )


def _deprecated(name: str) -> None:
    # torch's text, so that filters written against torch's warning keep matching under torchresample.patch().
    warnings.warn(
        f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.", UserWarning, stacklevel=3
    )


def upsample(
    input: Tensor,
    size: Union[int, Sequence[int], None] = None,
    scale_factor: Union[float, Sequence[float], None] = None,
    mode: str = "nearest",
    align_corners: Optional[bool] = None,
) -> Tensor:
    """Deprecated alias of :func:`interpolate` (warns, as :func:`torch.nn.functional.upsample` does)."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(
    input: Tensor,
    size: Union[int, Sequence[int], None] = None,
    scale_factor: Union[float, Sequence[float], None] = None,
) -> Tensor:
    """Deprecated: :func:`interpolate` with ``mode='nearest'`` (warns, as torch's does)."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(
    input: Tensor,
    size: Union[int, Sequence[int], None] = None,
    scale_factor: Union[float, Sequence[float], None] = None,
) -> Tensor:
    """Deprecated: :func:`interpolate` with ``mode='bilinear', align_corners=True`` (warns, as torch's does)."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _int_elements(values: Sequence, name: str, op: str) -> None:
    """torch's parser takes ints (not floats, bools or strings) for the pooling geometry and output size."""
    for v in values:
        if not _is_integer(v):
            raise TypeError(
                f"{op}(): argument '{name}' must be tuple of ints, but found element of type {type(v).__name__}"
            )


def _spatial_tuple(value, n: int, name: str, op: str) -> Tuple[int, ...]:
    """An int repeated ``n`` times, or a sequence of ``n`` ints, as torch's _single/_pair/_triple accept."""
    if isinstance(value, (list, tuple, torch.Size)):
        if len(value) != n:
            raise RuntimeError(f"torchresample.{op}: expected {name} to be an int or {n} ints, but got {value}")
        _int_elements(value, name, op)
        return tuple(value)
    _int_elements([value], name, op)
    return (value,) * n


def _unpool_output_size(
    input: Tensor,
    kernel_size: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
    output_size: Optional[Sequence[int]],
) -> List[int]:
    """The spatial output size of max_unpool, with torch's rules and ValueErrors: by default
    ``(in - 1) * stride + kernel - 2 * padding``; a given size (spatial, or full with N and C) must lie strictly
    within one stride of that."""
    n = len(kernel_size)
    in_spatial = input.shape[-n:]
    default = [(in_spatial[d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        size = default
    else:
        if len(output_size) == n + 2:
            output_size = output_size[2:]
        if len(output_size) != n:
            raise ValueError(
                f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a length of "
                f"'{len(output_size)}'"
            )
        _int_elements(output_size, "output_size", f"max_unpool{n}d")
        for d in range(n):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < output_size[d] < high:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {low} and {high})')
        size = list(output_size)
    for d in range(n):
        if size[d] < 0:
            raise ValueError(
                "max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                f"output_size[{d}]={size[d]}"
            )
    return size


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, dim: int) -> Tensor:
    op = f"max_unpool{dim}d"
    for position, (name, value) in enumerate((("input", input), ("indices", indices)), 1):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{op}(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}"
            )
    _check_input(input, op)
    # The op takes batched input: the unbatched form is this function's, so is the rank check (ATen's message). The
    # checks of indices (dtype, shape, device, values) are the op's (Note [error messages]).
    if input.dim() not in (dim + 1, dim + 2):
        raise RuntimeError(
            f"Input to max_unpooling{dim}d should be a {dim + 1}d or {dim + 2}d Tensor, but got a tensor with "
            f"{input.dim()} dimensions."
        )
    kernel = _spatial_tuple(kernel_size, dim, "kernel_size", op)
    strides = kernel if stride is None else _spatial_tuple(stride, dim, "stride", op)
    pads = _spatial_tuple(padding, dim, "padding", op)
    size = _unpool_output_size(input, kernel, strides, pads, output_size)
    # torch's 3-D op checks its strides (the 1-D and 2-D ones take none); ours takes the output size instead.
    if dim == 3 and any(s <= 0 for s in strides):
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(strides)}")
    unbatched = input.dim() == dim + 1
    if unbatched:
        input, indices = input.unsqueeze(0), indices.unsqueeze(0)
    if torch._C._get_tracing_state() is None:
        y = _ops.max_unpool(input, indices, size)
    elif output_size is None:
        # torch.jit.trace: the default size computed from the input's in a script function stays dynamic.
        y = _script.traced(f"max_unpool_default_{dim}d")(input, indices, list(kernel), list(strides), list(pads))
    else:
        y = _ops.max_unpool(input, indices, [int(n) for n in size])  # a constant of the trace (see interpolate)
    return y.squeeze(0) if unbatched else y


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Union[int, Sequence[int]],
    stride: Optional[Union[int, Sequence[int]]] = None,
    padding: Union[int, Sequence[int]] = 0,
    output_size: Optional[Sequence[int]] = None,
) -> Tensor:
    """Partial inverse of max_pool1d: a drop-in for :func:`torch.nn.functional.max_unpool1d`.

    ``input`` and ``indices`` (int64, from ``max_pool1d(..., return_indices=True)``) are (N, C, L) or (C, L).
    Positions no index points at are zero; among duplicate indices the element at the highest input position wins.
    An index outside the output raises ``RuntimeError``; an ``output_size`` not strictly within one stride of the
    default size raises ``ValueError``.
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Union[int, Sequence[int]],
    stride: Optional[Union[int, Sequence[int]]] = None,
    padding: Union[int, Sequence[int]] = 0,
    output_size: Optional[Sequence[int]] = None,
) -> Tensor:
    """Partial inverse of max_pool2d on (N, C, H, W) or (C, H, W): see :func:`max_unpool1d`. The result keeps a
    channels_last input's layout."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Union[int, Sequence[int]],
    stride: Optional[Union[int, Sequence[int]]] = None,
    padding: Union[int, Sequence[int]] = 0,
    output_size: Optional[Sequence[int]] = None,
) -> Tensor:
    """Partial inverse of max_pool3d on (N, C, D, H, W) or (C, D, H, W): see :func:`max_unpool1d`. The result keeps
    a channels_last_3d input's layout (torch's is contiguous)."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)


def _factor(input, value, op: str, name: str, k: int, shuffle: bool) -> int:
    """The integer factor torch's argument parser accepts (ints and integer-likes, not bools or floats), with its
    ValueErrors for a factor past int64 and for a shuffle whose factor**k overflows."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    _check_input(input, op)
    if isinstance(value, torch.SymInt):
        return value
    if not _is_integer(value):
        raise TypeError(f"{op}(): argument '{name}' (position 2) must be int, not {type(value).__name__}")
    factor = operator.index(value)
    if not -(2**63) <= factor < 2**63:
        raise ValueError("Overflow when unpacking long long")
    if shuffle and factor > 0 and factor**k >= 2**63:
        power = {2: "^2", 3: "^3"}.get(k, f"^{k}")
        raise ValueError(f"upscale factor is too large, (upscale_factor){power} overflowed: upscale_factor={factor}")
    return factor


def _shuffle(input, factor, k: int, shuffle: bool, op: str) -> Tensor:
    """pixel_shuffle (``shuffle``) or pixel_unshuffle over the last ``k`` axes, as the function ``op`` of torch."""
    if _eager_pixel_shuffle is not None and not torch.compiler.is_compiling():
        out = _eager_pixel_shuffle(input, factor, k, shuffle)  # None where the checks below must decide
        if out is not None:
            return out
    factor = _factor(input, factor, op, "upscale_factor" if shuffle else "downscale_factor", k, shuffle)
    return (_ops.pixel_shuffle if shuffle else _ops.pixel_unshuffle)(input, factor, k)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange (*, C*r*r, H, W) into (*, C, H*r, W*r): a drop-in for :func:`torch.nn.functional.pixel_shuffle`.

    ``out[..., c, h*r + i, w*r + j] = input[..., c*r*r + i*r + j, h, w]``. Any number of batch axes, every dtype;
    a 4-D channels_last input gives a channels_last result, as torch's does.
    """
    if torch.jit.is_scripting():
        return torch.ops.torchresample.pixel_shuffle(input, upscale_factor, 2)
    return _shuffle(input, upscale_factor, 2, True, "pixel_shuffle")


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """The inverse of :func:`pixel_shuffle`: (*, C, H*r, W*r) into (*, C*r*r, H, W)."""
    if torch.jit.is_scripting():
        return torch.ops.torchresample.pixel_unshuffle(input, downscale_factor, 2)
    return _shuffle(input, downscale_factor, 2, False, "pixel_unshuffle")


def pixel_shuffle3d(input: Tensor, upscale_factor: int) -> Tensor:
    """Volumetric :func:`pixel_shuffle` (torch has none): (*, C*r**3, D, H, W) into (*, C, D*r, H*r, W*r).

    ``out[..., c, d*r + i, h*r + j, w*r + k] = input[..., c*r**3 + i*r*r + j*r + k, d, h, w]``; a 5-D
    channels_last_3d input gives a channels_last_3d result.
    """
    if torch.jit.is_scripting():
        return torch.ops.torchresample.pixel_shuffle(input, upscale_factor, 3)
    return _shuffle(input, upscale_factor, 3, True, "pixel_shuffle3d")


def pixel_unshuffle3d(input: Tensor, downscale_factor: int) -> Tensor:
    """The inverse of :func:`pixel_shuffle3d`: (*, C, D*r, H*r, W*r) into (*, C*r**3, D, H, W)."""
    if torch.jit.is_scripting():
        return torch.ops.torchresample.pixel_unshuffle(input, downscale_factor, 3)
    return _shuffle(input, downscale_factor, 3, False, "pixel_unshuffle3d")
