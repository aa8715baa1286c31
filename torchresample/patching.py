"""Routing torch's upsampling functionals and layers through torchresample, for code that cannot be edited."""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Dict, Iterator, List, Tuple

import torch.nn.functional as torch_F
from torch import nn

from . import functional, modules

__all__ = ["patch", "patch_torch", "unpatch_torch", "is_patched"]

# torch.nn.functional attributes replaced by the torchresample functions of the same name.
_FUNCTIONS = (
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "pixel_shuffle",
    "pixel_unshuffle",
)

# torch layers whose forward is swapped on the class, so that instances created before patching are routed too.
# UpsamplingNearest2d and UpsamplingBilinear2d inherit Upsample's forward.
_LAYERS = (
    (nn.Upsample, modules.Upsample),
    (nn.MaxUnpool1d, modules.MaxUnpool1d),
    (nn.MaxUnpool2d, modules.MaxUnpool2d),
    (nn.MaxUnpool3d, modules.MaxUnpool3d),
    (nn.PixelShuffle, modules.PixelShuffle),
    (nn.PixelUnshuffle, modules.PixelUnshuffle),
)

_lock = threading.RLock()
# (owner, attribute, torch's value) for everything replaced; None while torch is unpatched.
_originals: List[Tuple[Any, str, Any]] | None = None


def _replacements() -> Dict[Tuple[Any, str], Any]:
    table: Dict[Tuple[Any, str], Any] = {(torch_F, name): getattr(functional, name) for name in _FUNCTIONS}
    for torch_cls, ours in _LAYERS:
        table[(torch_cls, "forward")] = ours.__dict__["forward"]
    return table


def patch_torch() -> None:
    """Route ``torch.nn.functional.interpolate``, ``upsample*``, ``max_unpool*d``, ``pixel_shuffle``,
    ``pixel_unshuffle`` and the forward of ``torch.nn.Upsample`` (with its subclasses), ``MaxUnpool1d/2d/3d``,
    ``PixelShuffle`` and ``PixelUnshuffle`` through torchresample until :func:`unpatch_torch`.

    Existing layer instances are routed too. Names bound before patching (``from torch.nn.functional import
    interpolate``) are not. Patching an already patched torch does nothing.
    """
    global _originals
    with _lock:
        if _originals is not None:
            return
        saved: List[Tuple[Any, str, Any]] = []
        try:
            for (owner, name), replacement in _replacements().items():
                saved.append((owner, name, owner.__dict__[name]))
                setattr(owner, name, replacement)
        except BaseException:
            _restore(saved)
            raise
        _originals = saved


def _restore(saved: List[Tuple[Any, str, Any]]) -> None:
    for owner, name, original in reversed(saved):
        setattr(owner, name, original)


def unpatch_torch() -> None:
    """Put back torch's functions and layer forwards; does nothing when torch is not patched."""
    global _originals
    with _lock:
        if _originals is None:
            return
        _restore(_originals)
        _originals = None


def is_patched() -> bool:
    """Whether torch is currently routed through torchresample."""
    return _originals is not None


@contextlib.contextmanager
def patch() -> Iterator[None]:
    """Context manager: torch routed through torchresample inside (see :func:`patch_torch`), restored on exit,
    also when the body raises. Nests: only the outermost ``patch()`` (or an explicit :func:`unpatch_torch`)
    restores torch."""
    with _lock:
        already = is_patched()
        patch_torch()
    try:
        yield
    finally:
        if not already:
            unpatch_torch()
