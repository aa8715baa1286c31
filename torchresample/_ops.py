"""Typed wrappers of the torchresample custom ops and their fake kernels (autograd lives in csrc/autograd/)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor
from torch._prims_common import suggest_memory_format

__all__ = ["resample", "resample_backward"]


def resample(
    input: Tensor,
    output_size: Sequence[int],
    filter: str,
    align_corners: bool = False,
    scales: Sequence[float] = (),
    antialias: bool = False,
) -> Tensor:
    """Resample the spatial axes of ``input`` (N, C, *spatial) to ``output_size`` with a separable filter.

    ``filter`` is one of ``nearest``, ``nearest-exact``, ``linear``, ``cubic``, ``area``, ``lanczos``.
    ``scales`` is empty or holds, per spatial axis, the scale factor the kernels use as torch's upsample
    ops use theirs (a value <= 0 means "none": the kernel uses ``in / out``).
    """
    return torch.ops.torchresample.resample.default(
        input, list(output_size), filter, align_corners, [float(s) for s in scales], antialias
    )


def resample_backward(
    grad_output: Tensor,
    input_size: Sequence[int],
    filter: str,
    align_corners: bool = False,
    scales: Sequence[float] = (),
    antialias: bool = False,
) -> Tensor:
    """Gradient of :func:`resample` with respect to its input, whose full shape is ``input_size``."""
    return torch.ops.torchresample.resample_backward.default(
        grad_output, list(input_size), filter, align_corners, [float(s) for s in scales], antialias
    )


def _empty_like_format(like: Tensor, shape: Sequence[int]) -> Tensor:
    # The kernels allocate in like.suggest_memory_format(); so must the fake kernels.
    return torch.empty(shape, dtype=like.dtype, device=like.device, memory_format=suggest_memory_format(like))


@torch.library.register_fake("torchresample::resample")
def _resample_fake(input, output_size, filter, align_corners=False, scales=(), antialias=False):
    torch._check(3 <= input.dim() <= 5, lambda: f"expected a 3-D, 4-D or 5-D input, got {input.dim()}-D")
    torch._check(len(output_size) == input.dim() - 2, lambda: "output_size must have one entry per spatial axis")
    return _empty_like_format(input, [*input.shape[:2], *output_size])


@torch.library.register_fake("torchresample::resample_backward")
def _resample_backward_fake(grad_output, input_size, filter, align_corners=False, scales=(), antialias=False):
    torch._check(grad_output.dim() == len(input_size), lambda: "grad_output and input_size ranks differ")
    return _empty_like_format(grad_output, list(input_size))

# Autograd is registered in C++ (csrc/autograd/): each op's gradient is the other op.
