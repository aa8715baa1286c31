"""``torchresample.nn``: the layers, importable as ``from torchresample import nn`` next to ``torch.nn``."""

from .modules import (  # noqa: F401
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
    __all__,  # noqa: F401
)
