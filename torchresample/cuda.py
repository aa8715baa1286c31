"""Run-time options of torchresample's CUDA kernels (Note [cuda options] in ``csrc/cuda/device_runtime.cuh``)."""

from __future__ import annotations

import torch

__all__ = ["set_sync_index_checks", "set_plan_cache_entries"]


def _option(name: str, value: int) -> int:
    if not hasattr(torch.ops.torchresample, "_cuda_option"):
        raise RuntimeError("torchresample was built without its CUDA kernels (see torchresample.cuda_built())")
    return torch.ops.torchresample._cuda_option(name, value)


def set_sync_index_checks(enabled: bool) -> bool:
    """Check max_unpool's indices on CUDA synchronously; returns the previous setting.

    By default (off) an index outside its output plane is never followed and raises a device-side assert, as torch's
    CUDA kernels do: no host synchronisation, but the error surfaces at the next synchronising call as ``CUDA error:
    device-side assert triggered`` and leaves the CUDA context unusable. On, every max_unpool and max_unpool_backward
    call waits for its kernels and raises torch's ``RuntimeError("Found an invalid max index: ...")`` naming the
    index, and the context stays usable (inside CUDA graph capture, which cannot wait, the assert stays)."""
    return bool(_option("sync_index_check", int(bool(enabled))))


def set_plan_cache_entries(entries: int) -> int:
    """Bound the cache of device plans (per device and stream, least recently used out; default 256 entries);
    0 turns it off. Returns the previous bound. Results do not depend on it (Note [device plan cache])."""
    if entries < 0:
        raise ValueError(f"entries must be >= 0, got {entries}")
    return _option("plan_cache_entries", int(entries))
