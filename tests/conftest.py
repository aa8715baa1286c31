"""Shared test helpers: seeding, random inputs in every layout, the tolerance table and independent references."""

from __future__ import annotations

import contextlib
import math
import os
from typing import Any, Callable, Optional, Sequence

import pytest
import torch
import torch.nn.functional as F

import torchresample
from torchresample import emulation

LAYOUTS = ("contiguous", "channels_last", "sliced", "transposed")
# The linear mode of each spatial rank.
LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield


# --------------------------------------------------------------------------------------------------------------
# The device matrix of the CUDA tests: a real GPU when one is present, and always the emulated device (the same
# CUDA sources run on the host, Note [emulated device]). TORCHRESAMPLE_REQUIRE_CUDA=1 (set by CI and gpu-check when
# a GPU is visible) and TORCHRESAMPLE_REQUIRE_EMULATION=1 (set by dev.py test) turn a skip of that device into a
# failure; only tests marked multi_gpu may skip on a machine with one GPU.

CUDA_DEVICES = ("cuda", "cuda-emulated")


class Device:
    """A device of the test matrix: ``put`` moves a tensor there, ``host`` runs a reference on the CPU kernels.

    On ``cuda-emulated`` tensors stay on the CPU and torchresample's ops run the emulated CUDA kernels, so every CPU
    reference must go through ``host`` (which pauses the emulation)."""

    def __init__(self, name: str, mode: Optional[emulation.EmulatedCuda] = None):
        self.name = name
        self.emulated = mode is not None
        self.mode = mode
        self.type = "cuda" if name == "cuda" else "cpu"

    def __repr__(self) -> str:
        return self.name

    def put(self, t: torch.Tensor) -> torch.Tensor:
        return t.to(self.type)

    @contextlib.contextmanager
    def on_cpu_kernels(self):
        """torchresample's ops run their CPU kernels inside (on cuda-emulated; a no-op on a GPU)."""
        if self.mode is None:
            yield
            return
        self.mode.enabled = False
        try:
            yield
        finally:
            self.mode.enabled = True

    def host(self, fn: Callable, *args, **kwargs) -> Any:
        """``fn`` on CPU copies of its tensor arguments, with the CPU kernels: the reference for this device."""

        def cpu(a):
            if isinstance(a, torch.Tensor):
                return a.detach().cpu().requires_grad_(a.requires_grad)
            if isinstance(a, (list, tuple)):
                return type(a)(cpu(v) for v in a)
            return a

        with self.on_cpu_kernels():
            return fn(*cpu(args), **{k: cpu(v) for k, v in kwargs.items()})

    @property
    def ops(self):
        """The op namespace that runs this device's kernels directly (for opcheck)."""
        return emulation.ops() if self.emulated else torch.ops.torchresample

    def option(self, name: str, value: int = -1) -> int:
        """Reads or sets one of the CUDA code's options (Note [cuda options]) on this device; returns the old value."""
        return self.ops._cuda_option(name, value)

    @contextlib.contextmanager
    def options(self, **values: int):
        old = {k: self.option(k, v) for k, v in values.items()}
        try:
            yield
        finally:
            for k, v in old.items():
                self.option(k, v)

    def opcheck(self, op, args, kwargs: Optional[dict] = None) -> None:
        """torch.library.opcheck of `op` as this device runs it: the registered op on the CPU and a GPU; on the emulated
        device its emulated twin (kernel against fake kernel, schema), torchresample's own autograd being checked on
        the CPU."""
        if not self.emulated:
            torch.library.opcheck(op, args, kwargs)
            return
        twin = getattr(getattr(self.ops, op._opname), op._overloadname)
        plain = [a.detach() if isinstance(a, torch.Tensor) else a for a in args]
        with self.on_cpu_kernels():
            torch.library.opcheck(twin, plain, kwargs, test_utils=("test_schema", "test_faketensor"))

    def synchronize(self) -> None:
        if not self.emulated:
            torch.cuda.synchronize()


def cuda_only(test):
    """A test of what only a real GPU has (streams, graphs, its memory); it may not skip where CUDA is required."""
    return pytest.mark.cuda_only(pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")(test))


def _required(name: str) -> bool:
    env = {"cuda": "TORCHRESAMPLE_REQUIRE_CUDA", "cuda-emulated": "TORCHRESAMPLE_REQUIRE_EMULATION"}[name]
    return os.environ.get(env) == "1"


def _device(name: str):
    if name == "cpu":
        yield Device(name)
        return
    if name == "cuda":
        if not (torch.cuda.is_available() and torchresample.cuda_built()):
            (pytest.fail if _required(name) else pytest.skip)("needs a CUDA device and a CUDA build")
        yield Device(name)
        return
    if not emulation.available():
        (pytest.fail if _required(name) else pytest.skip)("built without the emulated device")
    with emulation.EmulatedCuda() as mode:
        yield Device(name, mode)


@pytest.fixture(params=CUDA_DEVICES)
def dev(request):
    """Each CUDA test runs once per device of the matrix."""
    yield from _device(request.param)


@pytest.fixture(params=("cpu",) + CUDA_DEVICES)
def device(request):
    """The device matrix of the device-parametrized tests: the CPU and each device of the CUDA matrix."""
    yield from _device(request.param)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A CUDA test that skips where its device is required fails, unless it needs more GPUs than there are."""
    outcome = yield
    report = outcome.get_result()
    spec = getattr(item, "callspec", None)
    name = (spec.params.get("dev") or spec.params.get("device")) if spec is not None else None
    if item.get_closest_marker("cuda_only") is not None:
        name = "cuda"
    if report.skipped and name in CUDA_DEVICES and _required(name) and item.get_closest_marker("multi_gpu") is None:
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid}: a {name} test skipped where {name} is required: {report.longrepr}"


def pytest_configure(config):
    config.addinivalue_line("markers", "multi_gpu: needs more than one GPU (may skip where CUDA is required)")
    config.addinivalue_line("markers", "cuda_only: needs a real GPU (may not skip where CUDA is required)")


def layouts_for(dim: int) -> tuple:
    """The layouts a (dim)-D resample input can take; channels_last needs 4-D or 5-D tensors."""
    return tuple(l for l in LAYOUTS if l != "channels_last" or dim >= 2)


def channels_last_format(ndim: int) -> torch.memory_format:
    return torch.channels_last if ndim == 4 else torch.channels_last_3d


def make_input(shape: Sequence[int], dtype=torch.float32, layout: str = "contiguous") -> torch.Tensor:
    """A random tensor of `shape` laid out as `layout`:

    * contiguous; channels_last (channels_last_3d for 5-D);
    * sliced: every other element of a tensor twice as wide (non-contiguous, suggests contiguous output);
    * transposed: a contiguous tensor with the last two axes (batch and channels for 3-D) swapped, viewed back.
    Floating inputs are standard normal, uint8 inputs uniform over 0..255.
    """
    shape = list(shape)

    def rand(s):
        if dtype == torch.uint8:
            return torch.randint(0, 256, s, dtype=torch.uint8)
        return torch.randn(s, dtype=torch.float64).to(dtype)

    if layout == "contiguous":
        return rand(shape)
    if layout == "channels_last":
        return rand(shape).contiguous(memory_format=channels_last_format(len(shape)))
    if layout == "sliced":
        return rand(shape[:-1] + [2 * shape[-1]])[..., ::2]
    if layout == "transposed":
        a, b = (0, 1) if len(shape) == 3 else (-2, -1)
        swapped = list(shape)
        swapped[a], swapped[b] = swapped[b], swapped[a]
        return rand(swapped).transpose(a, b)
    raise ValueError(layout)


def tolerance(dtype: torch.dtype, coordinates: int = 0) -> tuple:
    """(rtol, atol) for a floating result of `dtype`, from the rounding of the dtype and of its accumulation type.

    A result is a sum of taps accumulated in the opmath type (float64 for float64, else float32) and rounded once to
    `dtype`: a few units of each type's rounding, relative and absolute (weights of both signs cancel). Compared with
    torch's kernels, which compute the source coordinates with other roundings (torch's build contracts them into
    fused multiply-adds; ours need not), the coordinates of an axis reaching `coordinates` input pixels differ by a
    few ulp of that coordinate, which the data's slope (standard normal: below 4 per pixel) turns into an absolute
    error. The same holds against an exact (float64) reference for float32 source coordinates of plain interpolation.
    Pass `coordinates` only where coordinates are rounded otherwise than the reference's.
    """
    result = torch.finfo(dtype).eps
    acc = torch.finfo(torch.float64 if dtype == torch.float64 else torch.float32).eps
    return 4 * result + 32 * acc, 8 * result + 64 * acc + 4 * coordinates * acc


def assert_close(
    actual: torch.Tensor,
    expected: torch.Tensor,
    dtype: Optional[torch.dtype] = None,
    coordinates: int = 0,
    msg: str = "",
) -> None:
    """`actual` within the tolerance of `dtype` (default: actual's dtype) of `expected`, compared in float64;
    `coordinates`: see tolerance()."""
    dtype = dtype or actual.dtype
    rtol, atol = tolerance(dtype, coordinates)
    assert actual.shape == expected.shape, f"{msg}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    torch.testing.assert_close(actual.double(), expected.double(), rtol=rtol, atol=atol, msg=lambda m: f"{msg}\n{m}")


def assert_same_layout(actual: torch.Tensor, expected: torch.Tensor, msg: str = "") -> None:
    """Same shape, dtype and strides (strides only matter for tensors with elements)."""
    assert actual.shape == expected.shape, f"{msg}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    assert actual.dtype == expected.dtype, f"{msg}: dtype {actual.dtype} != {expected.dtype}"
    if actual.numel() > 0:
        assert actual.stride() == expected.stride(), f"{msg}: strides {actual.stride()} != {expected.stride()}"


def rounding_bounds(v: torch.Tensor, band: float = 1e-2) -> tuple:
    """uint8 results a correct kernel may give for the exact value `v`: round half up or down near ties
    (a float32 accumulator may land on either side of an exact x.5), saturated to 0..255."""
    v = v.clamp(0, 255)
    return (v - 0.5 - band).ceil().clamp(0, 255), (v + 0.5 + band).floor().clamp(0, 255)


def assert_uint8_within(actual: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor, bound: int = 1, msg: str = ""):
    """Every element of the uint8 `actual` within `bound` of the interval [lo, hi]."""
    assert actual.dtype == torch.uint8 and actual.shape == lo.shape, msg
    a = actual.double()
    excess = torch.maximum(lo - a, a - hi).max().item() if a.numel() else 0
    assert excess <= bound, f"{msg}: uint8 result {excess:g} away from the reference (allowed {bound})"


def uint8_reference(
    x: torch.Tensor, full: Callable, along_w: Optional[Callable] = None, rest: Optional[Callable] = None
) -> tuple:
    """Bounds (lo, hi) for a uint8 resample of `x`, from float64 resamplers: `full` resamples every axis.

    With `along_w` (resample W only) and `rest` (resample the other axes of that result), the reference takes two
    passes as torch's and our uint8 kernels do for overshooting filters (cubic, Lanczos): W first, the
    intermediate rounded and saturated, then the rest, rounded again. An intermediate at a tie may round either
    way in float32; carrying all ties down and all up through brackets the result, except where ties rounded
    both ways meet a negative filter lobe: a bound of 1 on two-pass results absorbs that.
    """
    xd = x.double()
    if along_w is None:
        return rounding_bounds(full(xd))
    mid_lo, mid_hi = rounding_bounds(along_w(xd))
    a, b = rest(mid_lo), rest(mid_hi)
    lo, _ = rounding_bounds(torch.minimum(a, b))
    _, hi = rounding_bounds(torch.maximum(a, b))
    return lo, hi


def split_spec(spec: dict, in_spatial: Sequence[int]) -> tuple:
    """Split an interpolate size/scale spec into (W only, all but W) specs, for a W-first two-pass reference.
    Returns the second with W already at its output size (a size spec), or with scale 1.0 on W."""
    if "size" in spec:
        size = list(spec["size"])
        return {"size": list(in_spatial[:-1]) + size[-1:]}, {"size": size}
    scales = list(spec["scale_factor"])
    extra = {k: v for k, v in spec.items() if k != "scale_factor"}
    return (
        {"scale_factor": [1.0] * (len(scales) - 1) + scales[-1:], **extra},
        {"scale_factor": scales[:-1] + [1.0], **extra},
    )


# --------------------------------------------------------------------------------------------------------------
# Independent references (float64).


def per_axis(x: torch.Tensor, sizes: Sequence[int], resample_axis: Callable) -> torch.Tensor:
    """Apply `resample_axis(x4d, axis, out)` one spatial axis at a time: the axis is moved last and the tensor
    folded to (B, 1, 1, L), so a torch 2-D op with a 1 -> 1 dummy axis (an identity there) resamples it alone."""
    for k, out in enumerate(sizes):
        axis = 2 + k
        moved = x.movedim(axis, -1)
        lead = moved.shape[:-1]
        y = resample_axis(moved.reshape(-1, 1, 1, moved.shape[-1]), k, out)
        x = y.reshape(*lead, out).movedim(-1, axis)
    return x


def torch_separable(
    x: torch.Tensor,
    sizes: Sequence[int],
    mode: str,
    align_corners: bool = False,
    antialias: bool = False,
    scales: Optional[Sequence[float]] = None,
) -> torch.Tensor:
    """Resample every spatial axis of `x` with torch's 4-D `mode` ('bicubic', 'bilinear', 'lanczos'), one axis at a
    time in float64: tricubic, 1-D cubic, and 1-D/3-D antialias from torch's own 2-D kernels."""

    def along(x4, k, out):
        if scales is None:
            return F.interpolate(x4, size=(1, out), mode=mode, align_corners=align_corners, antialias=antialias)
        return F.interpolate(
            x4, scale_factor=(1.0, scales[k]), mode=mode, align_corners=align_corners, antialias=antialias
        )

    return per_axis(x.double(), sizes, along)


def lanczos3(x: float) -> float:
    """sinc(x) * sinc(x / 3) for |x| < 3, else 0 (the Lanczos-3 window of filters.h)."""
    x = abs(x)
    if x >= 3:
        return 0.0
    if x == 0:
        return 1.0
    px = math.pi * x
    return 3 * math.sin(px) * math.sin(px / 3) / (px * px)


def triangle(x: float) -> float:
    return max(0.0, 1 - abs(x))


def cubic_aa(x: float, a: float = -0.5) -> float:
    x = abs(x)
    if x < 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return 0.0


WINDOW_FILTERS = {"linear": (triangle, 1), "cubic": (cubic_aa, 2), "lanczos": (lanczos3, 3)}


def axis_scale(n_in: int, n_out: int, align_corners: bool, scale_factor: Optional[float]) -> float:
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale_factor if scale_factor else n_in / n_out


def lanczos_matrix(
    n_in: int, n_out: int, align_corners: bool = False, scale_factor: Optional[float] = None
) -> torch.Tensor:
    """(n_out, n_in) float64 weights of plain Lanczos-3 interpolation: output o reads the inputs j with
    |j - src(o)| < 3, weights lanczos3(j - src) normalised over the taps inside the input (edge taps dropped)."""
    s = axis_scale(n_in, n_out, align_corners, scale_factor)
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    for o in range(n_out):
        src = s * o if align_corners else s * (o + 0.5) - 0.5
        for j in range(n_in):
            if abs(j - src) < 3:
                m[o, j] = lanczos3(j - src)
        m[o] /= m[o].sum()
    return m


def antialias_matrix(
    n_in: int, n_out: int, filt: str, align_corners: bool = False, scale_factor: Optional[float] = None
) -> torch.Tensor:
    """(n_out, n_in) float64 weights of an antialiased filter, from the definition (torch, Pillow): support
    widened by the downscale, centre scale * (o + 0.5), window [xmin, xmax), normalised."""
    fn, radius = WINDOW_FILTERS[filt]
    s = axis_scale(n_in, n_out, align_corners, scale_factor)
    support = radius * max(s, 1.0)
    invscale = 1.0 / s if s >= 1 else 1.0
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    for o in range(n_out):
        center = s * (o + 0.5)
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), n_in)
        for j in range(xmin, xmax):
            m[o, j] = fn((j - center + 0.5) * invscale)
        total = m[o].sum()
        if total != 0:
            m[o] /= total
    return m


def apply_matrices(x: torch.Tensor, mats: Sequence[torch.Tensor]) -> torch.Tensor:
    """out[..., o1, o2, ...] = sum over the inputs of prod_k mats[k][o_k, i_k] * x[..., i1, i2, ...] (float64)."""
    y = x.double()
    for k, m in enumerate(mats):
        y = torch.tensordot(y.movedim(2 + k, -1), m, dims=([-1], [1])).movedim(-1, 2 + k)
    return y


def ours(x, *args, **kwargs):
    return torchresample.interpolate(x, *args, **kwargs)
