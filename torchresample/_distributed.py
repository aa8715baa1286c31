"""DTensor sharding rules of every op: which placements run locally, with no communication.

Importing torch.distributed.tensor costs about half a second, so the rules are registered when torchresample is
imported after it, or on the first DTensor that reaches a torchresample function (functional.py calls
:func:`register_if_dtensor`), never at a plain import.

Every op works plane by plane over its leading dimensions and is linear in its first argument, so:

- ``Shard`` of a batch dimension (and of the channels, for resample and max_unpool) runs locally;
- ``Partial`` (a pending sum) passes through resample and max_unpool (floating dtypes), and through
  pixel_(un)shuffle of any dtype, since a linear map commutes with the pending sum;
- ``Replicate`` runs locally;
- a shard of a spatial dimension of resample or max_unpool is not listed: a window crosses the shard edges, so
  DTensor redistributes such an input to a listed placement first (the result is the same, at the cost of the
  communication);
- pixel_shuffle regroups each block of ``r**k`` channels into space: a ``Shard`` of the channels (or of a spatial
  dimension) stays local when every rank holds whole blocks, that is when the dimension's size divides evenly
  into ``r**k`` channels (``r`` rows) per rank over the whole mesh; otherwise DTensor redistributes first.
"""

from __future__ import annotations

import sys

import torch

_registered = False


def register_if_dtensor(input) -> None:
    """Register the rules the first time a DTensor reaches a torchresample function."""
    if not _registered and type(input).__name__ == "DTensor" and "torch.distributed.tensor" in sys.modules:
        register()


def register_if_loaded() -> None:
    """Register the rules at import when torch.distributed.tensor is already loaded."""
    if not _registered and "torch.distributed.tensor" in sys.modules:
        register()


def register() -> None:
    """Register every op's sharding rules with DTensor (idempotent)."""
    global _registered
    if _registered:
        return
    from torch.distributed.tensor import Partial, Replicate, Shard
    from torch.distributed.tensor.experimental import register_sharding

    ops = torch.ops.torchresample

    def linear_in(spec) -> bool:
        meta = getattr(spec, "tensor_meta", None)
        return meta is None or meta.dtype.is_floating_point

    def per_plane(spec, extra_tensor: bool, num_args: int):
        """Placements for an op computed per (n, c) plane: outputs and inputs alike, one per tensor argument."""
        tensors = 2 if extra_tensor else 1
        rules = [([Replicate()], [Replicate()] * tensors + [None] * (num_args - tensors))]
        for dim in (0, 1):
            rules.append(([Shard(dim)], [Shard(dim)] * tensors + [None] * (num_args - tensors)))
        if linear_in(spec):
            second = [Replicate()] if extra_tensor else []
            rules.append(([Partial()], [Partial()] + second + [None] * (num_args - tensors)))
        return rules

    @register_sharding(ops.resample.default)
    def _resample(input, *args):
        # The placements cover the arguments given (filter_params may be left to its default).
        return per_plane(input, False, 1 + len(args))

    @register_sharding(ops.resample_backward.default)
    def _resample_backward(grad_output, *args):
        return per_plane(grad_output, False, 1 + len(args))

    @register_sharding(ops.max_unpool.default)
    def _max_unpool(input, indices, output_size):
        return per_plane(input, True, 3)

    @register_sharding(ops.max_unpool_backward.default)
    def _max_unpool_backward(grad_output, indices):
        return per_plane(grad_output, True, 2)

    def shuffle(input, factor: int, spatial_dims: int, unshuffle: bool):
        ndim = input.ndim
        channel = ndim - spatial_dims - 1
        ranks = input.mesh.size()
        rules = [([Replicate()], [Replicate(), None, None]), ([Partial()], [Partial(), None, None])]
        for dim in range(ndim):
            size = input.shape[dim]
            if dim < channel:
                local = True
            elif dim == channel:
                # Shuffle: input channels in whole blocks of r**k per rank; unshuffle: any even split.
                local = size % (ranks * (1 if unshuffle else factor**spatial_dims)) == 0
            else:
                # Unshuffle: rows in whole blocks of r per rank; shuffle: any even split.
                local = size % (ranks * (factor if unshuffle else 1)) == 0
            if local:
                rules.append(([Shard(dim)], [Shard(dim), None, None]))
        return rules

    @register_sharding(ops.pixel_shuffle.default)
    def _pixel_shuffle(input, upscale_factor, spatial_dims=2):
        return shuffle(input, upscale_factor, spatial_dims, unshuffle=False)

    @register_sharding(ops.pixel_unshuffle.default)
    def _pixel_unshuffle(input, downscale_factor, spatial_dims=2):
        return shuffle(input, downscale_factor, spatial_dims, unshuffle=True)

    _registered = True
