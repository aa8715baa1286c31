"""The upsampling layers: subclasses of torch's (``isinstance`` holds, same arguments, repr and pickling) whose
forward runs torchresample's ops, plus the volumetric pixel-shuffle layers torch lacks."""

from typing import Dict, List, Optional, Sequence, Union

import torch
from torch import Tensor, nn

from . import _script
from . import functional as F

__all__ = [
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
]

_Size = Union[int, Sequence[int], None]
_Scale = Union[float, Sequence[float], None]


class Upsample(nn.Upsample):
    """:class:`torch.nn.Upsample` computed by :func:`torchresample.functional.interpolate`.

    Same arguments and defaults as torch's, plus ``antialias`` and ``filter_params`` (shown in the repr only when
    set). Every mode of :func:`torchresample.functional.interpolate` is accepted, the windowed ones (``'lanczos'``,
    ``'gaussian'``, ...) included.
    """

    __constants__ = nn.Upsample.__constants__ + ["antialias"]
    antialias: bool
    filter_params: Optional[Dict[str, float]]

    def __init__(
        self,
        size: _Size = None,
        scale_factor: _Scale = None,
        mode: str = "nearest",
        align_corners: Optional[bool] = None,
        recompute_scale_factor: Optional[bool] = None,
        antialias: bool = False,
        filter_params: Optional[Dict[str, float]] = None,
    ) -> None:
        # Named, not super(): in the UpsamplingNearest2d/UpsamplingBilinear2d MROs the next __init__ is torch's
        # two-argument one.
        nn.Upsample.__init__(self, size, scale_factor, mode, align_corners, recompute_scale_factor)
        self.antialias = antialias
        self.filter_params = None if filter_params is None else {k: float(v) for k, v in filter_params.items()}

    def forward(self, input: Tensor) -> Tensor:
        """Resample ``input``; also the forward of torch's Upsample under :func:`torchresample.patch`."""
        # torch's own instances, routed here by torchresample.patch(), have no antialias attribute.
        antialias = False
        if hasattr(self, "antialias"):
            antialias = self.antialias
        filter_params: Optional[Dict[str, float]] = None
        if hasattr(self, "filter_params"):
            filter_params = self.filter_params
        return F.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
            antialias=antialias,
            filter_params=filter_params,
        )

    def __setstate__(self, state: dict) -> None:
        state.setdefault("antialias", False)
        state.setdefault("filter_params", None)
        super().__setstate__(state)

    def extra_repr(self) -> str:
        info = super().extra_repr()
        if self.antialias:
            info += ", antialias=True"
        if self.filter_params is not None:
            info += f", filter_params={self.filter_params}"
        return info


class UpsamplingNearest2d(Upsample, nn.UpsamplingNearest2d):
    """:class:`torch.nn.UpsamplingNearest2d` (nearest ``Upsample``) computed by torchresample."""

    def __init__(self, size: _Size = None, scale_factor: _Scale = None) -> None:
        Upsample.__init__(self, size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample, nn.UpsamplingBilinear2d):
    """:class:`torch.nn.UpsamplingBilinear2d` (bilinear, ``align_corners=True``) computed by torchresample."""

    def __init__(self, size: _Size = None, scale_factor: _Scale = None) -> None:
        Upsample.__init__(self, size, scale_factor, mode="bilinear", align_corners=True)


class MaxUnpool1d(nn.MaxUnpool1d):
    """:class:`torch.nn.MaxUnpool1d` computed by :func:`torchresample.functional.max_unpool1d` (deterministic on
    duplicate indices: the element at the highest input position wins)."""

    def forward(self, input: Tensor, indices: Tensor, output_size: Optional[List[int]] = None) -> Tensor:
        """Scatter ``input`` at ``indices`` into zeros of the unpooled size (or ``output_size``)."""
        if torch.jit.is_scripting():
            return _script.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding, output_size)
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool2d(nn.MaxUnpool2d):
    """:class:`torch.nn.MaxUnpool2d` computed by :func:`torchresample.functional.max_unpool2d`."""

    def forward(self, input: Tensor, indices: Tensor, output_size: Optional[List[int]] = None) -> Tensor:
        """Scatter ``input`` at ``indices`` into zeros of the unpooled size (or ``output_size``)."""
        if torch.jit.is_scripting():
            return _script.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool3d(nn.MaxUnpool3d):
    """:class:`torch.nn.MaxUnpool3d` computed by :func:`torchresample.functional.max_unpool3d`."""

    def forward(self, input: Tensor, indices: Tensor, output_size: Optional[List[int]] = None) -> Tensor:
        """Scatter ``input`` at ``indices`` into zeros of the unpooled size (or ``output_size``)."""
        if torch.jit.is_scripting():
            return _script.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding, output_size)
        return F.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class PixelShuffle(nn.PixelShuffle):
    """:class:`torch.nn.PixelShuffle` computed by :func:`torchresample.functional.pixel_shuffle` (every dtype)."""

    def forward(self, input: Tensor) -> Tensor:
        """(*, C*r*r, H, W) to (*, C, H*r, W*r)."""
        return F.pixel_shuffle(input, self.upscale_factor)


class PixelUnshuffle(nn.PixelUnshuffle):
    """:class:`torch.nn.PixelUnshuffle` computed by :func:`torchresample.functional.pixel_unshuffle`."""

    def forward(self, input: Tensor) -> Tensor:
        """(*, C, H*r, W*r) to (*, C*r*r, H, W)."""
        return F.pixel_unshuffle(input, self.downscale_factor)


class PixelShuffle3d(nn.Module):
    """Volumetric pixel shuffle (torch has none): (*, C*r**3, D, H, W) to (*, C, D*r, H*r, W*r).

    Not a subclass of :class:`torch.nn.PixelShuffle`, whose users may rely on its 2-D shapes.
    """

    __constants__ = ["upscale_factor"]
    upscale_factor: int

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        """(*, C*r**3, D, H, W) to (*, C, D*r, H*r, W*r)."""
        return F.pixel_shuffle3d(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle3d(nn.Module):
    """The inverse of :class:`PixelShuffle3d`: (*, C, D*r, H*r, W*r) to (*, C*r**3, D, H, W)."""

    __constants__ = ["downscale_factor"]
    downscale_factor: int

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        """(*, C, D*r, H*r, W*r) to (*, C*r**3, D, H, W)."""
        return F.pixel_unshuffle3d(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
