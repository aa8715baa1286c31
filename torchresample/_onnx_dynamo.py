"""The torchresample ops in onnxscript's torchlib registry, for the dynamo ONNX exporter (Note [ONNX export]).

Imported by torchresample.onnx once onnxscript is; onnxscript reads these functions' source, so their names are this
module's globals."""

from typing import Any, List, Optional, Sequence

import torch
from onnxscript import ir, opset18
from onnxscript.function_libs.torch_lib.registration import torch_op
from onnxscript.function_libs.torch_lib.tensor_typing import TTensor
from onnxscript.onnx_types import INT64

from .onnx import _ONNX_TYPES, _Builder, lower_max_unpool, lower_resample, lower_shuffle


class _OnnxscriptBuilder(_Builder):
    """The dynamo exporter's graph, through onnxscript's opset 18 (inside a trace-only torchlib function)."""

    def op(self, name: str, *inputs: Any, **attrs: Any) -> Any:
        attrs = {k: ir.tensor(v) if hasattr(v, "__array__") else v for k, v in attrs.items()}
        return getattr(opset18, name)(*inputs, **attrs)

    def sizes(self, value: Any, rank: int) -> List[Optional[int]]:
        shape = value.shape
        if shape is None or len(shape) != rank:
            return [None] * rank
        return [d if isinstance(d, int) else None for d in shape]

    def dtype(self, value: Any) -> torch.dtype:
        code = int(value.dtype)
        return next(t for t, c in _ONNX_TYPES.items() if c == code)


@torch_op("torchresample::resample", trace_only=True)
def resample(
    input: TTensor,
    output_size: Sequence[INT64],
    filter: str,
    align_corners: bool = False,
    scales: Optional[Sequence[float]] = None,
    antialias: bool = False,
    filter_params: Optional[Sequence[float]] = None,
) -> TTensor:
    return lower_resample(
        _OnnxscriptBuilder(), input, output_size, filter, align_corners, scales, antialias, filter_params
    )


@torch_op("torchresample::max_unpool", trace_only=True)
def max_unpool(input: TTensor, indices: INT64, output_size: Sequence[INT64]) -> TTensor:
    return lower_max_unpool(_OnnxscriptBuilder(), input, indices, output_size)


@torch_op("torchresample::pixel_shuffle", trace_only=True)
def pixel_shuffle(input: TTensor, upscale_factor: int, spatial_dims: int = 2) -> TTensor:
    return lower_shuffle(_OnnxscriptBuilder(), input, upscale_factor, spatial_dims, unshuffle=False)


@torch_op("torchresample::pixel_unshuffle", trace_only=True)
def pixel_unshuffle(input: TTensor, downscale_factor: int, spatial_dims: int = 2) -> TTensor:
    return lower_shuffle(_OnnxscriptBuilder(), input, downscale_factor, spatial_dims, unshuffle=True)
