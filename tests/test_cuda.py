"""CUDA resample kernels on every device of the CUDA matrix (a GPU, the emulated device): parity with torch and with
our CPU kernels, gradients, opcheck, determinism, launch shapes, pass groupings, the plan cache, streams and graphs."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from conftest import cuda_only
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


def make_input(dev, dim, dtype, layout, batch=2, channels=3, spatial=None, seed=0):
    """A tensor on `dev` of the given layout: contiguous, channels-last (2-D/3-D), or a strided view with gaps."""
    shape = (batch, channels, *(spatial or IN_SPATIAL[dim]))
    gen = torch.Generator().manual_seed(seed)
    if dtype == torch.uint8:
        base = torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8)
    else:
        base = torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)
    if layout == "channels_last":
        return dev.put(base).contiguous(memory_format=CHANNELS_LAST[dim])
    if layout == "strided":
        wide = dev.put(torch.zeros(*shape[:-1], 2 * shape[-1], dtype=dtype))
        wide[..., ::2] = dev.put(base)
        return wide[..., ::2]
    return dev.put(base)


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
# Parity with torch (its CUDA op on a GPU, its CPU op on the emulated device), for every mode torch has.


@pytest.mark.parametrize("sizing", list(SIZINGS))
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("dim,layout,mode", [(d, lo, m) for d, lo in DIM_LAYOUTS for m in TORCH_MODES[d]])
def test_forward_matches_torch(dev, dim, layout, mode, dtype, sizing):
    x = make_input(dev, dim, dtype, layout)
    kwargs = SIZINGS[sizing][dim]
    corners = [None] if mode in ("nearest", "nearest-exact", "area") else [False, True]
    antialias = [False, True] if mode in ("bilinear", "bicubic") else [False]
    for align_corners, aa in itertools.product(corners, antialias):
        args = dict(kwargs, mode=mode, align_corners=align_corners, antialias=aa)
        ours = interpolate(x, **args)
        check_same_format(ours, dev.host(interpolate, x, **args))
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
def test_backward_matches_torch(dev, dim, layout, mode):
    corners = [None] if mode in ("nearest", "area") else [False, True]
    antialias = [False, True] if mode in ("bilinear", "bicubic") else [False]
    for sizing, align_corners, aa in itertools.product(SIZINGS, corners, antialias):
        args = dict(SIZINGS[sizing][dim], mode=mode, align_corners=align_corners, antialias=aa)
        x = make_input(dev, dim, torch.float64, layout).requires_grad_()
        ours = interpolate(x, **args)
        grad = torch.randn_like(ours)
        (g_ours,) = torch.autograd.grad(ours, x, grad)
        (g_torch,) = torch.autograd.grad(F.interpolate(x, **args), x, grad)
        torch.testing.assert_close(g_ours, g_torch)


# ---------------------------------------------------------------------------------------------------------------
# Parity with our CPU kernels: every filter, including what torch lacks (Lanczos, 1-D/3-D cubic, antialias in
# 1-D/3-D, uint8 beyond bilinear/bicubic), forward and backward. Nearest is a copy of bits: identical. The other
# filters sum their taps in another order on the two devices (the CPU blends rows first, then W; a CUDA thread
# sums W taps first; nvcc fuses multiply-adds), so float results agree within the rounding of their dtype.


def op_args(dim, sizing, filter_name, align_corners, antialias):
    """Arguments of the resample op for an interpolate-style sizing."""
    spatial = IN_SPATIAL[dim]
    kwargs = SIZINGS[sizing][dim]
    if "size" in kwargs:
        return list(kwargs["size"]), filter_name, bool(align_corners), [], antialias
    scale = kwargs["scale_factor"]
    scale = list(scale) if isinstance(scale, tuple) else [scale] * dim
    out = [int(n * s) for n, s in zip(spatial, scale)]
    if kwargs.get("recompute_scale_factor") or filter_name == "area":
        scale = []
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


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("dim,layout", DIM_LAYOUTS)
@pytest.mark.parametrize("filter_name", FILTERS)
def test_forward_matches_cpu(dev, filter_name, dim, dtype, layout):
    x = make_input(dev, dim, dtype, layout)
    for sizing, (align_corners, aa) in itertools.product(SIZINGS, variants(filter_name)):
        args = op_args(dim, sizing, filter_name, align_corners, aa)
        assert_matches_cpu(OP.resample(x, *args), dev.host(OP.resample, x, *args), filter_name, dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@pytest.mark.parametrize("dim,layout", DIM_LAYOUTS)
@pytest.mark.parametrize("filter_name", FILTERS)
def test_backward_matches_cpu(dev, filter_name, dim, dtype, layout):
    x = make_input(dev, dim, dtype, "contiguous")
    for sizing, (align_corners, aa) in itertools.product(SIZINGS, variants(filter_name)):
        args = op_args(dim, sizing, filter_name, align_corners, aa)
        grad = make_input(dev, dim, dtype, layout, spatial=args[0], seed=1)
        ours = OP.resample_backward(grad, list(x.shape[2:]), *args[1:])
        ref = dev.host(OP.resample_backward, grad, list(x.shape[2:]), *args[1:])
        assert_matches_cpu(ours, ref, filter_name, dtype, backward=True)


@pytest.mark.parametrize("filter_name", ["linear", "cubic", "lanczos", "area"])
def test_wide_windows_split_into_passes(dev, filter_name):
    """Windows of hundreds of taps per axis (941 -> 10): torch's CUDA antialias refuses these; ours must not."""
    antialias = filter_name != "area"
    x = make_input(dev, 2, torch.float32, "contiguous", batch=1, spatial=(941, 941))
    ours = OP.resample(x, [10, 10], filter_name, False, [], antialias)
    torch.testing.assert_close(ours.cpu(), dev.host(OP.resample, x, [10, 10], filter_name, False, [], antialias))
    if filter_name in ("linear", "cubic"):
        mode = mode_name(filter_name, 2)
        torch.testing.assert_close(ours.cpu(), F.interpolate(x.cpu(), size=(10, 10), mode=mode, antialias=True))
    grad = torch.randn_like(ours)
    g_ours = OP.resample_backward(grad, list(x.shape[2:]), filter_name, False, [], antialias)
    g_ref = dev.host(OP.resample_backward, grad, list(x.shape[2:]), filter_name, False, [], antialias)
    torch.testing.assert_close(g_ours.cpu(), g_ref, **cpu_tolerance(torch.float32, backward=True))


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_wide_windows_3d_all_dtypes(dev, layout):
    x64 = make_input(dev, 3, torch.float64, layout, batch=1, channels=2, spatial=(40, 50, 60))
    for dtype in DTYPES:
        x = (x64 * 40 + 128).clamp(0, 255).to(dtype) if dtype == torch.uint8 else x64.to(dtype)
        args = ([3, 4, 5], "lanczos", False, [], True)
        assert_matches_cpu(OP.resample(x, *args), dev.host(OP.resample, x, *args), "lanczos", dtype)


def test_edge_sizes(dev):
    x = make_input(dev, 2, torch.float32, "contiguous", spatial=(1, 5))
    for filter_name, (align_corners, aa) in [(f, v) for f in FILTERS for v in variants(f)]:
        for out in ([1, 1], [1, 9], [3, 1], [1, 5]):
            args = (out, filter_name, bool(align_corners), [], aa)
            torch.testing.assert_close(OP.resample(x, *args).cpu(), dev.host(OP.resample, x, *args))
    empty = dev.put(torch.empty(0, 3, 4, 5))
    assert OP.resample(empty, [7, 2], "linear", False, [], False).shape == (0, 3, 7, 2)
    empty_grad = dev.put(torch.empty(0, 3, 7, 2))
    assert OP.resample_backward(empty_grad, [4, 5], "cubic").shape == (0, 3, 4, 5)


def test_identity_is_a_copy(dev):
    """Filters whose plans are the identity at equal sizes copy the input bit for bit (signed zeros too)."""
    x = make_input(dev, 2, torch.float32, "channels_last")
    x[0, 0, 0, 0] = -0.0
    for filter_name in ("nearest", "nearest-exact", "linear", "area"):
        y = OP.resample(x, list(x.shape[2:]), filter_name, False, [], False)
        assert torch.equal(y.view(torch.int32), x.view(torch.int32))


@pytest.mark.multi_gpu
@cuda_only
def test_other_device_index():
    if torch.cuda.device_count() < 2:
        pytest.skip("needs two GPUs")
    x = torch.randn(2, 3, 23, 17, device="cuda:1")
    y = interpolate(x, scale_factor=2, mode="bicubic")
    assert y.device == x.device
    torch.testing.assert_close(y, F.interpolate(x, scale_factor=2, mode="bicubic"))


# ---------------------------------------------------------------------------------------------------------------
# Launch shapes (Note [launch shape]), pass groupings (Note [pass planning]), the 64-bit index path, the plan cache.


@pytest.mark.parametrize("channels", [1, 5])
@pytest.mark.parametrize("filter_name", ["nearest", "linear", "cubic"])
def test_grid_stride_loops_wrap_past_65535_rows(dev, filter_name, channels):
    """More rows than the grid holds (gridDim.y stops at 65535, 8 rows a block), rows of one to three elements."""
    rows = 65535 * 8 + 4099
    layout = "channels_last" if channels > 1 else "contiguous"
    x = make_input(dev, 2, torch.float32, layout, batch=rows // 2, channels=channels, spatial=(1, 3))
    for out in ([2, 1], [2, 3]):
        args = (out, filter_name, False, [], False)
        assert_matches_cpu(OP.resample(x, *args), dev.host(OP.resample, x, *args), filter_name, torch.float32)
    grad = make_input(dev, 2, torch.float32, layout, batch=rows // 2, channels=channels, spatial=(2, 1), seed=1)
    ours = OP.resample_backward(grad, list(x.shape[2:]), filter_name, False, [], False)
    ref = dev.host(OP.resample_backward, grad, list(x.shape[2:]), filter_name, False, [], False)
    assert_matches_cpu(ours, ref, filter_name, torch.float32, backward=True)


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_long_rows_wrap_the_row_loop(dev, layout):
    """Rows of one element per output and many channels, and rows longer than a block (x loops stride by the grid)."""
    for spatial, out in (((1, 1, 4000), [1, 1, 7001]), ((2, 1, 1), [3, 1, 1])):
        x = make_input(dev, 3, torch.float32, layout, batch=2, channels=300 if spatial[-1] == 1 else 3, spatial=spatial)
        for filter_name in ("nearest", "linear", "lanczos"):
            args = (out, filter_name, False, [], filter_name == "lanczos")
            assert_matches_cpu(OP.resample(x, *args), dev.host(OP.resample, x, *args), filter_name, torch.float32)


def ordered_partitions(axes):
    """Every way to split `axes` into passes run one after another (13 for three axes)."""
    if not axes:
        yield []
        return
    for r in range(1, len(axes) + 1):
        for first in itertools.combinations(axes, r):
            rest = [a for a in axes if a not in first]
            for tail in ordered_partitions(rest):
                yield [first] + tail


def passes_code(partition):
    """The force_passes value of a partition: one axis mask (bit 0 = D, 1 = H, 2 = W) per octal digit."""
    return sum(sum(1 << a for a in group) << (3 * k) for k, group in enumerate(partition))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.uint8], ids=str)
@pytest.mark.parametrize("filter_name,antialias", [("linear", False), ("cubic", True), ("area", False)])
def test_every_pass_grouping_matches_cpu(dev, filter_name, antialias, dtype):
    partitions = list(ordered_partitions([0, 1, 2]))
    assert len(partitions) == 13
    x = make_input(dev, 3, dtype, "channels_last", batch=1, channels=2, spatial=(9, 11, 13))
    args = ([4, 17, 6], filter_name, False, [], antialias)
    ref = dev.host(OP.resample, x, *args)
    for partition in partitions:
        with dev.options(force_passes=passes_code(partition)):
            assert_matches_cpu(OP.resample(x, *args), ref, filter_name, dtype)
            if dtype.is_floating_point:
                grad = make_input(dev, 3, dtype, "contiguous", batch=1, channels=2, spatial=args[0], seed=1)
                ours = OP.resample_backward(grad, list(x.shape[2:]), *args[1:])
                g_ref = dev.host(OP.resample_backward, grad, list(x.shape[2:]), *args[1:])
                assert_matches_cpu(ours, g_ref, filter_name, dtype, backward=True)


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("filter_name", FILTERS)
def test_64_bit_index_path_gives_the_same_bits(dev, filter_name, dim):
    """The division path of launches past 2^31 elements (forced here; 2^31 elements do not fit in emulation)."""
    for layout, dtype in (("contiguous", torch.float32), ("channels_last", torch.float16)):
        if layout == "channels_last" and dim == 1:
            continue
        x = make_input(dev, dim, dtype, layout, channels=5)
        args = ({1: [37], 2: [37, 6], 3: [15, 4, 20]}[dim], filter_name, False, [], False)
        narrow = OP.resample(x, *args)
        grad = torch.randn_like(narrow)
        narrow_grad = OP.resample_backward(grad, list(x.shape[2:]), *args[1:])
        with dev.options(force_wide_indices=1):
            assert torch.equal(OP.resample(x, *args), narrow)
            assert torch.equal(OP.resample_backward(grad, list(x.shape[2:]), *args[1:]), narrow_grad)


def test_cached_and_fresh_plans_give_the_same_bits(dev):
    calls = [
        ((2, 3, 17, 23), [34, 46], "cubic", False, [2.0, 2.0], False),
        ((2, 3, 17, 23), [5, 7], "linear", False, [], True),
        ((2, 3, 17, 23), [5, 7], "linear", True, [], True),  # the same extents, other flags: another entry
        ((1, 2, 9, 11, 13), [4, 17, 6], "lanczos", False, [], True),
        ((2, 3, 9), [20], "nearest", False, [2.3], False),
        ((2, 3, 9), [20], "nearest", False, [2.2], False),  # another scale, the same size
    ]
    inputs = [
        make_input(dev, len(c[0]) - 2, torch.float32, "contiguous", batch=c[0][0], channels=c[0][1], spatial=c[0][2:])
        for c in calls
    ]
    with dev.options(plan_cache_entries=0):
        fresh = [OP.resample(x, *c[1:]) for x, c in zip(inputs, calls)]
        fresh_grads = [OP.resample_backward(y, list(x.shape[2:]), *c[2:]) for x, y, c in zip(inputs, fresh, calls)]
    for capacity in (256, 2):  # room for all, and evictions on every call
        with dev.options(plan_cache_entries=capacity):
            for _ in range(3):
                for x, c, y, g in zip(inputs, calls, fresh, fresh_grads):
                    assert torch.equal(OP.resample(x, *c[1:]), y)
                    assert torch.equal(OP.resample_backward(y, list(x.shape[2:]), *c[2:]), g)
    assert not torch.equal(fresh[4], fresh[5])


def test_plan_cache_under_graph_capture(dev):
    """During capture a cached entry is used; an uncached call uploads inside the capture and caches nothing: the
    replays give the eager results, and so do later eager calls."""
    x = make_input(dev, 2, torch.float32, "contiguous")
    seen_args, unseen_args = ([30, 11], "linear", True, [], False), ([31, 12], "cubic", False, [], False)
    if dev.emulated:
        seen = OP.resample(x, *seen_args)
        with dev.options(emulate_capture=1):
            assert torch.equal(OP.resample(x, *seen_args), seen)
            unseen = OP.resample(x, *unseen_args)
            assert torch.equal(OP.resample(x, *unseen_args), unseen)
    else:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            OP.resample(x, *seen_args)  # cached on the capture stream
            torch.cuda.synchronize()
            OP.resample(x, *seen_args)  # its upload now seen complete
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, stream=side):
            seen_out, unseen_out = OP.resample(x, *seen_args), OP.resample(x, *unseen_args)
        x.copy_(torch.randn_like(x))
        graph.replay()
        torch.cuda.synchronize()
        seen, unseen = seen_out.clone(), unseen_out.clone()
        assert torch.equal(seen, OP.resample(x, *seen_args))
    assert torch.equal(OP.resample(x, *unseen_args), unseen)
    torch.testing.assert_close(unseen.cpu(), dev.host(OP.resample, x, *unseen_args))
    torch.testing.assert_close(seen.cpu(), dev.host(OP.resample, x, *seen_args))


# ---------------------------------------------------------------------------------------------------------------
# Gradients, opcheck, determinism.


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("filter_name", FILTERS)
def test_gradcheck(dev, filter_name, dim):
    spatial = {1: (5,), 2: (4, 5), 3: (3, 4, 5)}[dim]
    outs = {1: [[8], [3]], 2: [[7, 3], [2, 9]], 3: [[5, 2, 7], [2, 6, 3]]}[dim]
    for out, (align_corners, aa) in itertools.product(outs, variants(filter_name)):
        x = make_input(dev, dim, torch.float64, "contiguous", batch=1, channels=2, spatial=spatial).requires_grad_()
        args = (out, filter_name, bool(align_corners), [], aa)
        assert torch.autograd.gradcheck(lambda t: OP.resample(t, *args), (x,))
        assert torch.autograd.gradgradcheck(lambda t: OP.resample(t, *args), (x,))


OPCHECK_SAMPLES = [
    ((2, 3, 6, 7), [9, 4], "linear", False, [], False, "contiguous"),
    ((2, 3, 6, 7), [12, 14], "cubic", True, [2.0, 2.0], False, "channels_last"),
    ((2, 3, 16, 17), [5, 4], "lanczos", False, [], True, "contiguous"),
    ((1, 2, 5, 6, 7), [2, 9, 3], "area", False, [], False, "channels_last"),
    ((2, 3, 9), [20], "nearest", False, [2.3], False, "contiguous"),
    ((2, 3, 4, 5, 6), [7, 3, 4], "nearest-exact", False, [], False, "contiguous"),
]


@pytest.mark.parametrize("sample", OPCHECK_SAMPLES, ids=lambda s: f"{s[2]}-{len(s[0]) - 2}d")
def test_opcheck(dev, sample):
    shape, out, filter_name, align_corners, scales, aa, layout = sample
    dim = len(shape) - 2
    x = make_input(dev, dim, torch.float32, layout, batch=shape[0], channels=shape[1], spatial=shape[2:])
    dev.opcheck(OP.resample.default, (x.requires_grad_(), out, filter_name, align_corners, scales, aa))
    grad = make_input(dev, dim, torch.float32, layout, batch=shape[0], channels=shape[1], spatial=out, seed=1)
    dev.opcheck(
        OP.resample_backward.default, (grad.requires_grad_(), list(shape[2:]), filter_name, align_corners, scales, aa)
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@pytest.mark.parametrize("filter_name", FILTERS)
def test_backward_is_deterministic(dev, filter_name, dtype):
    """Each gradient element is a gather in a fixed order: the same bits on every run (and, emulated, in every
    order of blocks and threads), and no error in deterministic mode."""
    x = make_input(dev, 2, dtype, "channels_last", batch=4, channels=8, spatial=(61, 47))
    for out, (align_corners, aa) in itertools.product([[150, 200], [13, 9]], variants(filter_name)):
        args = (filter_name, bool(align_corners), [], aa)
        grad = make_input(dev, 2, dtype, "channels_last", batch=4, channels=8, spatial=out, seed=1)
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


# ---------------------------------------------------------------------------------------------------------------
# Streams, graphs, sizes: a real GPU only.


@cuda_only
def test_runs_on_the_current_stream():
    """Work on a side stream sees that stream's earlier writes: a kernel on another stream would read stale data."""
    x = torch.randn(4, 16, 256, 256, device="cuda")
    fresh = torch.randn_like(x)
    expected = F.interpolate(fresh, scale_factor=2, mode="bilinear")
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        torch.cuda._sleep(50_000_000)  # keep the side stream busy, so the copy below lands late
        x.copy_(fresh)
        y = interpolate(x, scale_factor=2, mode="bilinear")
        grad = OP.resample_backward(y, list(x.shape[2:]), "linear", False, [2.0, 2.0], False)
    torch.cuda.current_stream().wait_stream(side)
    torch.testing.assert_close(y, expected)
    torch.testing.assert_close(grad, OP.resample_backward(expected, list(x.shape[2:]), "linear", False, [2.0, 2.0]))


@cuda_only
def test_compile_reduce_overhead():
    """CUDA graphs replay exactly what was captured on the capture stream, plans included (cached or not)."""

    def f(t):
        a = OP.resample(t, [40, 24], "cubic", False, [], False)
        b = OP.resample(t, [5, 6], "lanczos", False, [], True)
        return a.sum(dim=(2, 3)) + b.mean(dim=(2, 3))

    for entries in (256, 0):
        torch.ops.torchresample._cuda_option("plan_cache_entries", entries)
        torch._dynamo.reset()
        compiled = torch.compile(f, mode="reduce-overhead", fullgraph=True)
        for seed in range(4):
            x = torch.randn(2, 3, 23, 17, generator=torch.Generator().manual_seed(seed)).cuda()
            # Loose enough for another summation order in the compiled reductions, far below a stale replay.
            torch.testing.assert_close(compiled(x).clone(), f(x), atol=1e-4, rtol=1e-4)
    torch.ops.torchresample._cuda_option("plan_cache_entries", 256)


@cuda_only
def test_compile_reduce_overhead_backward():
    def f(t):
        return OP.resample(t, [30, 11], "linear", True, [], False).square().sum()

    compiled = torch.compile(f, mode="reduce-overhead")
    for seed in range(3):
        x = torch.randn(2, 3, 23, 17, generator=torch.Generator().manual_seed(seed)).cuda().requires_grad_()
        (g_compiled,) = torch.autograd.grad(compiled(x), x)
        (g_eager,) = torch.autograd.grad(f(x), x)
        torch.testing.assert_close(g_compiled, g_eager)


@cuda_only
def test_more_than_2_pow_31_elements():
    free, _ = torch.cuda.mem_get_info()
    if free < 40 * 2**30:
        pytest.skip("needs more than 40 GiB of free GPU memory")
    x = torch.randn(1, 4, 24000, 24000, dtype=torch.float16, device="cuda")
    y = interpolate(x, scale_factor=2, mode="nearest")
    assert y.numel() > 2**33
    assert torch.equal(y[:, :, ::2, ::2], x)
    assert torch.equal(y[:, :, 1::2, 1::2], x)
    assert torch.equal(y[0, 3, -1], x[0, 3, -1].repeat_interleave(2))
