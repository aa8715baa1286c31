"""torchresample: every ``torch.nn.functional.interpolate`` mode and the upsampling layers, as custom ops with
hand-written CPU and CUDA kernels, a deterministic backward, and the modes torch lacks."""

from __future__ import annotations

import torch

try:
    from . import _C  # noqa: F401  (loading the library registers the ops)
except ImportError as exc:  # pragma: no cover - depends on how the package was installed
    raise ImportError(
        "torchresample's compiled extension torchresample._C is missing or was built against another torch "
        f"({exc}). Build it with `pip install --no-build-isolation .` in the source tree, with the torch you "
        "will use already installed (FORCE_CUDA=1 and CUDA_HOME to include the CUDA kernels)."
    ) from exc

# _ops registers the fake kernels and vmap rules; cuda and emulation are public submodules.
from . import _distributed, _ops, cuda, emulation, functional, nn, onnx, transforms  # noqa: E402,F401
from .functional import FILTERS, FilterInfo, interpolate  # noqa: E402
from .modules import (  # noqa: E402
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
    PixelShuffle,
    PixelShuffle3d,
    PixelUnshuffle,
    PixelUnshuffle3d,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)
from .patching import is_patched, patch, patch_torch, unpatch_torch  # noqa: E402
from .sampling import crop_and_resize, scale_and_translate  # noqa: E402

_distributed.register_if_loaded()
onnx.install()

__version__ = "0.1.0"


def cuda_built() -> bool:
    """Whether this build of the extension includes the CUDA kernels."""
    return torch._C._dispatch_has_kernel_for_dispatch_key("torchresample::resample", "CUDA")


__all__ = [
    "FILTERS",
    "FilterInfo",
    "interpolate",
    "scale_and_translate",
    "crop_and_resize",
    "transforms",
    "functional",
    "nn",
    "Upsample",
    "UpsamplingNearest2d",
    "UpsamplingBilinear2d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "PixelShuffle",
    "PixelUnshuffle",
    "PixelShuffle3d",
    "PixelUnshuffle3d",
    "patch",
    "patch_torch",
    "unpatch_torch",
    "is_patched",
    "cuda_built",
    "__version__",
]
