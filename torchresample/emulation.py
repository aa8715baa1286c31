"""The emulated CUDA device, for testing the CUDA kernels without a GPU.

``torchresample._C_emulated`` is built from the same ``csrc/cuda/*.cu`` sources as the CUDA kernels, compiled as host
code with every block and thread of a launch run in a shuffled order and the launch limits checked (Note [emulated
device] in ``csrc/emulation/cuda_emulation.h``). Its ops (namespace ``torchresample_emulated``) take CPU tensors.
Build it with ``TORCHRESAMPLE_CUDA_EMULATION=1 pip install --no-build-isolation -e .`` (``python3 dev.py test`` does).

    with torchresample.emulation.EmulatedCuda():
        y = torchresample.interpolate(x, scale_factor=2, mode="bicubic")   # the CUDA kernels, run on the host
"""

from __future__ import annotations

import importlib
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from . import _ops

__all__ = ["available", "EmulatedCuda", "option", "ops"]

_OPS = (
    "resample",
    "resample_backward",
    "max_unpool",
    "max_unpool_backward",
    "pixel_shuffle",
    "pixel_unshuffle",
    "scale_and_translate",
    "scale_and_translate_backward",
    "scale_and_translate_param_backward",
)
_loaded: bool | None = None


def available() -> bool:
    """Whether this build includes the emulated device (and loads it)."""
    global _loaded
    if _loaded is None:
        try:
            importlib.import_module("torchresample._C_emulated")
        except ImportError:
            _loaded = False
        else:
            for name in _OPS:
                torch.library.register_fake(f"torchresample_emulated::{name}")(getattr(_ops, f"_{name}_fake"))
            _loaded = True
    return _loaded


def ops() -> Any:
    """``torch.ops.torchresample_emulated``: the ops of the emulated device."""
    if not available():
        raise RuntimeError("torchresample was built without the emulated CUDA device (TORCHRESAMPLE_CUDA_EMULATION=1)")
    return torch.ops.torchresample_emulated


def option(name: str, value: int = -1) -> int:
    """Reads (``value < 0``) or sets an option of the emulated device's CUDA code; returns the value it had.

    The options are those of :mod:`torchresample.cuda` (Note [cuda options]), plus ``emulate_capture``."""
    return ops()._cuda_option(name, value)


class EmulatedCuda(TorchDispatchMode):
    """Runs every torchresample op called inside it on the emulated CUDA device, on CPU tensors.

    Everything else (torch's own ops, autograd, torchresample's argument handling) runs as usual, so a test that
    passes tensors to ``torchresample`` inside this mode exercises the CUDA kernels and their host glue. Set
    ``enabled = False`` to run the CPU kernels again for a while (a reference inside a test)."""

    def __init__(self) -> None:
        super().__init__()
        self.emulated = ops()
        self.enabled = True

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if self.enabled and func.namespace == "torchresample":
            func = getattr(getattr(self.emulated, func._opname), func._overloadname)
        return func(*args, **(kwargs or {}))
