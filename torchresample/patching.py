"""Routing torch's upsampling functionals and layers through torchresample, for code that cannot be edited."""

from __future__ import annotations

import contextlib
import sys
import threading
import types
from typing import Any, Callable, Dict, Iterator, List, Tuple

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
# (owner, attribute, torch's value) for everything replaced on torch; None while torch is unpatched.
_originals: List[Tuple[Any, str, Any]] | None = None


def _routed_copy(fn: Callable) -> Callable:
    """``fn`` as a new function object: the same code, defaults and globals (so it costs nothing more per call,
    scripts and compiles the same), but an identity of its own, which tells every binding that patching made
    (Note [patching module bindings]) from one a user made to torchresample's function."""
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    copy.__qualname__, copy.__module__, copy.__doc__ = fn.__qualname__, fn.__module__, fn.__doc__
    copy.__annotations__ = fn.__annotations__
    copy.__dict__.update(fn.__dict__)
    return copy


# Note [patching module bindings]
# Libraries bind torch's functions by name at import (torchvision: `from torch.nn.functional import interpolate`),
# so replacing the attribute of torch.nn.functional alone does not reach them. Patching therefore also rebinds,
# in every imported module outside torch and torchresample, each module-level name that holds one of torch's
# replaced functions, to the routed copy of ours; a module imported while patched binds the routed copy through
# torch.nn.functional. Unpatching rebinds every routed copy it finds back to torch's function. The copies exist
# only for this: a name holding one was bound through torch, and one holding torchresample's own function (a
# user's `from torchresample import interpolate`) is never touched. References kept elsewhere (an attribute of
# an object, a default argument, a dict) are not module bindings and are left as they are.
_ROUTED: Dict[str, Callable] = {name: _routed_copy(getattr(functional, name)) for name in _FUNCTIONS}
_TORCH: Dict[str, Callable] = {name: getattr(torch_F, name) for name in _FUNCTIONS}


def _replacements() -> Dict[Tuple[Any, str], Any]:
    table: Dict[Tuple[Any, str], Any] = {(torch_F, name): _ROUTED[name] for name in _FUNCTIONS}
    for torch_cls, ours in _LAYERS:
        table[(torch_cls, "forward")] = ours.__dict__["forward"]
    return table


def _foreign_modules() -> Iterator[types.ModuleType]:
    """The imported modules outside torch and torchresample (whose own references patching handles itself)."""
    for name, module in list(sys.modules.items()):
        if not isinstance(module, types.ModuleType) or name.split(".", 1)[0] in ("torch", "torchresample"):
            continue
        yield module


def _rebind_modules(old_to_new: Dict[int, Callable]) -> None:
    """In every foreign module, rebinds each module-level name whose value is a key (by identity) of the map."""
    targets = old_to_new.keys()
    for module in _foreign_modules():
        namespace = getattr(module, "__dict__", None)
        # The identity test runs in C over the whole namespace; most modules hold none of the functions.
        if not isinstance(namespace, dict) or targets.isdisjoint(map(id, namespace.values())):
            continue
        for name, value in list(namespace.items()):
            new = old_to_new.get(id(value))
            if new is not None:
                namespace[name] = new


def patch_torch() -> None:
    """Route ``torch.nn.functional.interpolate``, ``upsample*``, ``max_unpool*d``, ``pixel_shuffle``,
    ``pixel_unshuffle`` and the forward of ``torch.nn.Upsample`` (with its subclasses), ``MaxUnpool1d/2d/3d``,
    ``PixelShuffle`` and ``PixelUnshuffle`` through torchresample until :func:`unpatch_torch`.

    Existing layer instances are routed too, and so are the module-level names that imported modules bound to
    torch's functions (``from torch.nn.functional import interpolate``, as torchvision's transforms do; Note
    [patching module bindings]). Patching an already patched torch does nothing.
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
            _rebind_modules({id(_TORCH[name]): _ROUTED[name] for name in _FUNCTIONS})
        except BaseException:
            _restore(saved)
            raise
        _originals = saved


def _restore(saved: List[Tuple[Any, str, Any]]) -> None:
    for owner, name, original in reversed(saved):
        setattr(owner, name, original)
    _rebind_modules({id(_ROUTED[name]): _TORCH[name] for name in _FUNCTIONS})


def unpatch_torch() -> None:
    """Put back torch's functions and layer forwards, and the module bindings patching made or that were made
    through patched torch; does nothing when torch is not patched."""
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
