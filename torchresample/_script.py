"""The TorchScript forms of the functional API: what ``torch.jit.script`` compiles where a scripted model calls
torchresample, and what ``torch.jit.trace`` records (as script functions, so that an output size computed from the
input's shape stays a function of it instead of a constant of the trace)."""

import warnings
from typing import Dict, List, Optional, Tuple, Union

import torch
from torch import Tensor

# TorchScript's own annotation for "an int or a sequence of ints" (torch.nn.functional uses it).
from torch._jit_internal import BroadcastingList1  # noqa: F401

__all__ = ["interpolate", "max_unpool1d", "max_unpool2d", "max_unpool3d", "traced"]


def _mode_list() -> str:
    return (
        "nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact, and the windowed modes of "
        "torchresample.FILTERS"
    )


def _filter(mode: str, dim: int) -> str:
    """The resample filter of ``mode`` (torch's mode/rank rules: NotImplementedError for a mismatch)."""
    if dim < 1 or dim > 3:
        raise NotImplementedError(
            "Input Error: Only 3D, 4D and 5D input Tensors supported (got "
            + str(dim + 2)
            + "D) for the modes: "
            + _mode_list()
            + " (got "
            + mode
            + ")"
        )
    tied = {"linear": 1, "bilinear": 2, "trilinear": 3}
    if mode in tied:
        if tied[mode] != dim:
            raise NotImplementedError(
                "Got " + str(dim + 2) + "D input, but " + mode + " mode needs " + str(tied[mode] + 2) + "D input"
            )
        return "linear"
    if mode == "bicubic":
        return "cubic"
    if mode in ["nearest", "nearest-exact", "area"] or torch.ops.torchresample.filter_kind(mode) == "windowed":
        return mode
    raise NotImplementedError("Input Error: unknown mode " + mode + " (the modes: " + _mode_list() + ")")


def interpolate(
    input: Tensor,
    size: Optional[List[int]] = None,
    scale_factor: Optional[List[float]] = None,
    mode: str = "nearest",
    align_corners: Optional[bool] = None,
    recompute_scale_factor: Optional[bool] = None,
    antialias: bool = False,
    filter_params: Optional[Dict[str, float]] = None,
) -> Tensor:
    """:func:`torchresample.functional.interpolate` for TorchScript: the same arguments, output sizes and scales (a
    one-element size or scale_factor stands for every axis: TorchScript passes a single value so)."""
    dim = input.dim() - 2
    filter = _filter(mode, dim)
    corners = False
    if mode in ["nearest", "area", "nearest-exact"]:
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is not None:
        corners = align_corners
    if antialias and filter in ["nearest", "nearest-exact", "area"]:
        raise ValueError(
            "Anti-alias option is restricted to the linear, bilinear, trilinear, bicubic and windowed "
            "modes (torchresample accepts it with 3-D, 4-D and 5-D input for each)"
        )
    params = torch.ops.torchresample.filter_param_values(filter, filter_params)
    output_size: List[int] = []
    scales: Optional[List[float]] = None
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor is not None and recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        output_size = size if len(size) != 1 else [size[0] for _ in range(dim)]
        if len(output_size) != dim:
            raise ValueError("Input and output must have the same number of spatial dimensions")
    elif scale_factor is not None:
        factors = scale_factor if len(scale_factor) != 1 else [scale_factor[0] for _ in range(dim)]
        if len(factors) != dim:
            raise ValueError("Input and scale_factor must have the same number of spatial dimensions")
        # int64(in * scale) in double, as torch computes it.
        output_size = [int(float(input.size(i + 2)) * factors[i]) for i in range(dim)]
        recompute = mode == "area" or (recompute_scale_factor is not None and recompute_scale_factor)
        if not recompute:
            scales = factors
    else:
        raise ValueError("either size or scale_factor should be defined")
    return torch.ops.torchresample.resample(input, output_size, filter, corners, scales, antialias, params)


def _max_unpool(
    input: Tensor,
    indices: Tensor,
    kernel: List[int],
    stride: List[int],
    padding: List[int],
    output_size: Optional[List[int]],
    n: int,
) -> Tensor:
    """torch's output-size rules (functional._unpool_output_size), then the op on batched planes."""
    if input.dim() != n + 1 and input.dim() != n + 2:
        raise RuntimeError(
            "Input to max_unpooling" + str(n) + "d should be a " + str(n + 1) + "d or " + str(n + 2) + "d Tensor"
        )
    steps = stride
    first = input.dim() - n
    default = [(input.size(first + d) - 1) * steps[d] + kernel[d] - 2 * padding[d] for d in range(n)]
    size = default
    if output_size is not None:
        given = output_size
        if len(given) == n + 2:
            given = given[2:]
        if len(given) != n:
            raise ValueError(
                "output_size should be a sequence containing " + str(n) + " or " + str(n + 2) + " elements"
            )
        for d in range(n):
            if given[d] <= default[d] - steps[d] or given[d] >= default[d] + steps[d]:
                raise ValueError(
                    "invalid output_size (dim "
                    + str(d)
                    + " must be between "
                    + str(default[d] - steps[d])
                    + " and "
                    + str(default[d] + steps[d])
                    + ")"
                )
        size = given
    if input.dim() == n + 1:
        return torch.ops.torchresample.max_unpool(input.unsqueeze(0), indices.unsqueeze(0), size).squeeze(0)
    return torch.ops.torchresample.max_unpool(input, indices, size)


def _ints1(v: Union[int, Tuple[int]]) -> List[int]:
    if isinstance(v, int):
        return [v]
    return [v[0]]


def _ints2(v: Union[int, Tuple[int, int]]) -> List[int]:
    if isinstance(v, int):
        return [v, v]
    return [v[0], v[1]]


def _ints3(v: Union[int, Tuple[int, int, int]]) -> List[int]:
    if isinstance(v, int):
        return [v, v, v]
    return [v[0], v[1], v[2]]


# The MaxUnpool layers' scripted forward, typed as torch's layers declare their geometry (the functional
# max_unpool*d, like torch's, does not script: TorchScript keeps the int default of a list argument an int).


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Union[int, Tuple[int]],
    stride: Union[int, Tuple[int]],
    padding: Union[int, Tuple[int]],
    output_size: Optional[List[int]],
) -> Tensor:
    """:meth:`torchresample.MaxUnpool1d.forward` for TorchScript."""
    return _max_unpool(input, indices, _ints1(kernel_size), _ints1(stride), _ints1(padding), output_size, 1)


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Union[int, Tuple[int, int]],
    stride: Union[int, Tuple[int, int]],
    padding: Union[int, Tuple[int, int]],
    output_size: Optional[List[int]],
) -> Tensor:
    """:meth:`torchresample.MaxUnpool2d.forward` for TorchScript."""
    return _max_unpool(input, indices, _ints2(kernel_size), _ints2(stride), _ints2(padding), output_size, 2)


def max_unpool3d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Union[int, Tuple[int, int, int]],
    stride: Union[int, Tuple[int, int, int]],
    padding: Union[int, Tuple[int, int, int]],
    output_size: Optional[List[int]],
) -> Tensor:
    """:meth:`torchresample.MaxUnpool3d.forward` for TorchScript."""
    return _max_unpool(input, indices, _ints3(kernel_size), _ints3(stride), _ints3(padding), output_size, 3)


# What torch.jit.trace records where an output size follows from the input's shape: one branch-free function per
# rank (the TorchScript ONNX exporter cannot read a size built by a loop or under a branch).


def resample_scaled_1d(
    input: Tensor,
    factors: List[float],
    filter: str,
    align_corners: bool,
    scales: Optional[List[float]],
    antialias: bool,
    filter_params: List[float],
) -> Tensor:
    size = [int(float(input.size(2)) * factors[0])]
    return torch.ops.torchresample.resample(input, size, filter, align_corners, scales, antialias, filter_params)


def resample_scaled_2d(
    input: Tensor,
    factors: List[float],
    filter: str,
    align_corners: bool,
    scales: Optional[List[float]],
    antialias: bool,
    filter_params: List[float],
) -> Tensor:
    size = [int(float(input.size(2)) * factors[0]), int(float(input.size(3)) * factors[1])]
    return torch.ops.torchresample.resample(input, size, filter, align_corners, scales, antialias, filter_params)


def resample_scaled_3d(
    input: Tensor,
    factors: List[float],
    filter: str,
    align_corners: bool,
    scales: Optional[List[float]],
    antialias: bool,
    filter_params: List[float],
) -> Tensor:
    size = [
        int(float(input.size(2)) * factors[0]),
        int(float(input.size(3)) * factors[1]),
        int(float(input.size(4)) * factors[2]),
    ]
    return torch.ops.torchresample.resample(input, size, filter, align_corners, scales, antialias, filter_params)


def max_unpool_default_1d(
    input: Tensor, indices: Tensor, kernel: List[int], stride: List[int], padding: List[int]
) -> Tensor:
    size = [(input.size(2) - 1) * stride[0] + kernel[0] - 2 * padding[0]]
    return torch.ops.torchresample.max_unpool(input, indices, size)


def max_unpool_default_2d(
    input: Tensor, indices: Tensor, kernel: List[int], stride: List[int], padding: List[int]
) -> Tensor:
    size = [
        (input.size(2) - 1) * stride[0] + kernel[0] - 2 * padding[0],
        (input.size(3) - 1) * stride[1] + kernel[1] - 2 * padding[1],
    ]
    return torch.ops.torchresample.max_unpool(input, indices, size)


def max_unpool_default_3d(
    input: Tensor, indices: Tensor, kernel: List[int], stride: List[int], padding: List[int]
) -> Tensor:
    size = [
        (input.size(2) - 1) * stride[0] + kernel[0] - 2 * padding[0],
        (input.size(3) - 1) * stride[1] + kernel[1] - 2 * padding[1],
        (input.size(4) - 1) * stride[2] + kernel[2] - 2 * padding[2],
    ]
    return torch.ops.torchresample.max_unpool(input, indices, size)


_compiled: Dict[str, torch.jit.ScriptFunction] = {}


def traced(name: str) -> torch.jit.ScriptFunction:
    """The script function ``name`` of this module, compiled once, for calls made while ``torch.jit.trace`` runs."""
    fn = _compiled.get(name)
    if fn is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit.script's deprecation notice
            fn = _compiled[name] = torch.jit.script(globals()[name])
    return fn
