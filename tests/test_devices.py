"""The device matrix: what every device (cpu; cuda when present; cuda-emulated, Note [emulated device]) must do the
same way: parity with torch, forward and backward, for every mode torch has; wide windows; edge sizes; identity
copies; a deterministic backward. The other device-parametrized tests (the `device` fixture, tests/conftest.py):
layouts, gradcheck, opcheck, max_unpool, pixel_shuffle, the filter table. What only the CUDA kernels have (agreement
with our CPU kernels for every filter, launch shapes, pass groupings, the plan cache, streams, graphs) is
tests/test_cuda.py; the CPU's geometry matrix against torch's CPU quirks is tests/test_interpolate_parity.py."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from torchresample import interpolate

OP = torch.ops.torchresample

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.uint8]
FLOAT_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
LAYOUTS = ["contiguous", "channels_last", "strided"]
FILTERS = ["nearest", "nearest-exact", "linear", "cubic", "area", "lanczos"]
INTERPOLATING = ("linear", "cubic", "lanczos")  # the filters that take align_corners and antialias

IN_SPATIAL = {1: (23,), 2: (23, 17), 3: (9, 11, 13)}
# How the output size is given. The scales keep clear of where torch's CPU and CUDA kernels disagree (ours follow
# CPU): CPU copies an axis with out == in (nearest, linear) and halves the nearest index when out == 2 * in, whatever
# the scale, while CUDA always uses the scale. No axis here lands there with a scale other than exactly 1 or 2.
SIZINGS = {
    "size": {1: dict(size=(37,)), 2: dict(size=(37, 6)), 3: dict(size=(15, 4, 20))},
    "down": {1: dict(size=(8,)), 2: dict(size=(8, 5)), 3: dict(size=(4, 5, 6))},
    "scale": {1: dict(scale_factor=1.5), 2: dict(scale_factor=(2.0, 0.5)), 3: dict(scale_factor=(1.5, 2.0, 0.5))},
    "recompute": {
        1: dict(scale_factor=0.6, recompute_scale_factor=True),
        2: dict(scale_factor=(1.7, 0.6), recompute_scale_factor=True),
        3: dict(scale_factor=(0.6, 1.7, 2.5), recompute_scale_factor=True),
    },
}
TORCH_MODES = {
    1: ["nearest", "nearest-exact", "linear", "area"],
    2: ["nearest", "nearest-exact", "bilinear", "bicubic", "area"],
    3: ["nearest", "nearest-exact", "trilinear", "area"],
}
MODE_OF_FILTER = {1: "linear", 2: "bilinear", 3: "trilinear"}
CHANNELS_LAST = {2: torch.channels_last, 3: torch.channels_last_3d}


def make_input(device, dim, dtype, layout, batch=2, channels=3, spatial=None, seed=0):
    """A tensor on `device` of the given layout: contiguous, channels-last (2-D/3-D), or a strided view with gaps."""
    shape = (batch, channels, *(spatial or IN_SPATIAL[dim]))
    gen = torch.Generator().manual_seed(seed)
    if dtype == torch.uint8:
        base = torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8)
    else:
        base = torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)
    if layout == "channels_last":
        return device.put(base).contiguous(memory_format=CHANNELS_LAST[dim])
    if layout == "strided":
        wide = device.put(torch.zeros(*shape[:-1], 2 * shape[-1], dtype=dtype))
        wide[..., ::2] = device.put(base)
        return wide[..., ::2]
    return device.put(base)


# (dim, layout) pairs that exist: 3-D tensors (1-D resampling) have no channels-last format.
DIM_LAYOUTS = [(d, layout) for d in (1, 2, 3) for layout in LAYOUTS if d > 1 or layout != "channels_last"]


def variants(filter_name):
    """(align_corners, antialias) pairs the filter accepts."""
    if filter_name in INTERPOLATING:
        return list(itertools.product([False, True], [False, True]))
    return [(None, False)]


def mode_name(filter_name, dim):
    return {"linear": MODE_OF_FILTER[dim], "cubic": "bicubic"}.get(filter_name, filter_name)


def check_same_format(ours, like):
    """Our CUDA result has the shape and strides of our CPU result (input.suggest_memory_format())."""
    assert ours.shape == like.shape
    assert ours.stride() == like.stride()


def assert_uint8_close(actual, expected, max_diff=1):
    diff = (actual.cpu().int() - expected.cpu().int()).abs().max().item()
    assert diff <= max_diff, f"uint8 results differ by {diff}"


def round_to_uint8(t):
    return t.round().clamp(0, 255).to(torch.uint8)


# ---------------------------------------------------------------------------------------------------------------
# Our CPU kernels as a reference. Nearest is a copy of bits: identical. The other filters sum their taps in another
# order on the two devices (the CPU blends rows first, then W; a CUDA thread sums W taps first; nvcc fuses
# multiply-adds), so float results agree within the rounding of their dtype.


def op_args(dim, sizing, filter_name, align_corners, antialias):
    """Arguments of the resample op for an interpolate-style sizing."""
    spatial = IN_SPATIAL[dim]
    kwargs = SIZINGS[sizing][dim]
    if "size" in kwargs:
        return list(kwargs["size"]), filter_name, bool(align_corners), None, antialias
    scale = kwargs["scale_factor"]
    scale = list(scale) if isinstance(scale, tuple) else [scale] * dim
    out = [int(n * s) for n, s in zip(spatial, scale)]
    if kwargs.get("recompute_scale_factor") or filter_name == "area":
        scale = None
    return out, filter_name, bool(align_corners), scale, antialias


def cpu_tolerance(dtype, backward=False):
    if dtype in (torch.float16, torch.bfloat16):
        return dict(atol=1e-2, rtol=1e-2)
    if dtype == torch.float32 and backward:
        # A gradient element sums up to hundreds of terms; CPU and GPU add them in different orders.
        return dict(atol=1e-4, rtol=1e-4)
    return {}


def assert_matches_cpu(ours, ref, filter_name, dtype, backward=False):
    check_same_format(ours, ref)
    if filter_name.startswith("nearest") and not backward:
        assert torch.equal(ours.cpu(), ref)
    elif dtype == torch.uint8:
        assert_uint8_close(ours, ref)
    else:
        torch.testing.assert_close(ours.cpu(), ref, **cpu_tolerance(dtype, backward))


# ---------------------------------------------------------------------------------------------------------------
# Parity with torch (its CUDA op on a GPU, its CPU op on the emulated device), for every mode torch has.


@pytest.mark.parametrize("sizing", list(SIZINGS))
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("dim,layout,mode", [(d, lo, m) for d, lo in DIM_LAYOUTS for m in TORCH_MODES[d]])
def test_forward_matches_torch(device, dim, layout, mode, dtype, sizing):
    x = make_input(device, dim, dtype, layout)
    kwargs = SIZINGS[sizing][dim]
    corners = [None] if mode in ("nearest", "nearest-exact", "area") else [False, True]
    antialias = [False, True] if mode in ("bilinear", "bicubic") else [False]
    for align_corners, aa in itertools.product(corners, antialias):
        args = dict(kwargs, mode=mode, align_corners=align_corners, antialias=aa)
        ours = interpolate(x, **args)
        check_same_format(ours, device.host(interpolate, x, **args))
        if mode.startswith("nearest"):
            # A gather: bit-exact, in every dtype.
            assert torch.equal(ours, F.interpolate(x, **args))
        elif dtype == torch.uint8:
            if mode in ("bilinear", "bicubic"):
                # torch's uint8 kernels (CPU) round after the horizontal pass; so do ours (Note [rounded w pass]).
                assert_uint8_close(ours, F.interpolate(x.cpu(), **args))
            else:
                assert_uint8_close(ours, round_to_uint8(F.interpolate(x.float(), **args)))
        elif dtype in (torch.float16, torch.bfloat16):
            ref = F.interpolate(x.float(), **args)
            torch.testing.assert_close(ours.float(), ref, atol=1e-2, rtol=1e-2)
        else:
            torch.testing.assert_close(ours, F.interpolate(x, **args))


@pytest.mark.parametrize(
    "dim,layout,mode", [(d, lo, m) for d, lo in DIM_LAYOUTS for m in TORCH_MODES[d] if m != "nearest-exact"]
)
def test_backward_matches_torch(device, dim, layout, mode):
    corners = [None] if mode in ("nearest", "area") else [False, True]
    antialias = [False, True] if mode in ("bilinear", "bicubic") else [False]
    for sizing, align_corners, aa in itertools.product(SIZINGS, corners, antialias):
        args = dict(SIZINGS[sizing][dim], mode=mode, align_corners=align_corners, antialias=aa)
        x = make_input(device, dim, torch.float64, layout).requires_grad_()
        ours = interpolate(x, **args)
        grad = torch.randn_like(ours)
        (g_ours,) = torch.autograd.grad(ours, x, grad)
        (g_torch,) = torch.autograd.grad(F.interpolate(x, **args), x, grad)
        torch.testing.assert_close(g_ours, g_torch)


@pytest.mark.parametrize("filter_name", ["linear", "cubic", "lanczos", "area"])
def test_wide_windows_split_into_passes(device, filter_name):
    """Windows of hundreds of taps per axis (941 -> 10): torch's CUDA antialias refuses these; ours must not."""
    antialias = filter_name != "area"
    x = make_input(device, 2, torch.float32, "contiguous", batch=1, spatial=(941, 941))
    ours = OP.resample(x, [10, 10], filter_name, False, None, antialias)
    torch.testing.assert_close(ours.cpu(), device.host(OP.resample, x, [10, 10], filter_name, False, None, antialias))
    if filter_name in ("linear", "cubic"):
        mode = mode_name(filter_name, 2)
        torch.testing.assert_close(ours.cpu(), F.interpolate(x.cpu(), size=(10, 10), mode=mode, antialias=True))
    grad = torch.randn_like(ours)
    g_ours = OP.resample_backward(grad, list(x.shape[2:]), filter_name, False, None, antialias)
    g_ref = device.host(OP.resample_backward, grad, list(x.shape[2:]), filter_name, False, None, antialias)
    torch.testing.assert_close(g_ours.cpu(), g_ref, **cpu_tolerance(torch.float32, backward=True))


def test_edge_sizes(device):
    x = make_input(device, 2, torch.float32, "contiguous", spatial=(1, 5))
    for filter_name, (align_corners, aa) in [(f, v) for f in FILTERS for v in variants(f)]:
        for out in ([1, 1], [1, 9], [3, 1], [1, 5]):
            args = (out, filter_name, bool(align_corners), None, aa)
            torch.testing.assert_close(OP.resample(x, *args).cpu(), device.host(OP.resample, x, *args))
    empty = device.put(torch.empty(0, 3, 4, 5))
    assert OP.resample(empty, [7, 2], "linear", False, None, False).shape == (0, 3, 7, 2)
    empty_grad = device.put(torch.empty(0, 3, 7, 2))
    assert OP.resample_backward(empty_grad, [4, 5], "cubic").shape == (0, 3, 4, 5)


def test_identity_is_a_copy(device):
    """Filters whose plans are the identity at equal sizes copy the input bit for bit (signed zeros too)."""
    x = make_input(device, 2, torch.float32, "channels_last")
    x[0, 0, 0, 0] = -0.0
    for filter_name in ("nearest", "nearest-exact", "linear", "area"):
        y = OP.resample(x, list(x.shape[2:]), filter_name, False, None, False)
        assert torch.equal(y.view(torch.int32), x.view(torch.int32))


# ---------------------------------------------------------------------------------------------------------------
# A deterministic backward (gradcheck and opcheck on every device: tests/test_gradients.py, tests/test_ops.py).


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@pytest.mark.parametrize("filter_name", FILTERS)
def test_backward_is_deterministic(device, filter_name, dtype):
    """Each gradient element is a gather in a fixed order: the same bits on every run (and, emulated, in every
    order of blocks and threads), and no error in deterministic mode."""
    x = make_input(device, 2, dtype, "channels_last", batch=4, channels=8, spatial=(61, 47))
    for out, (align_corners, aa) in itertools.product([[150, 200], [13, 9]], variants(filter_name)):
        args = (filter_name, bool(align_corners), None, aa)
        grad = make_input(device, 2, dtype, "channels_last", batch=4, channels=8, spatial=out, seed=1)
        first = OP.resample_backward(grad, list(x.shape[2:]), *args)
        assert torch.equal(first, OP.resample_backward(grad, list(x.shape[2:]), *args))
        previous = torch.are_deterministic_algorithms_enabled()
        torch.use_deterministic_algorithms(True)
        try:
            leaf = x.detach().requires_grad_()
            (again,) = torch.autograd.grad(OP.resample(leaf, out, *args), leaf, grad)
        finally:
            torch.use_deterministic_algorithms(previous)
        assert torch.equal(first, again)
