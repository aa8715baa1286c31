"""What only the CUDA kernels have, on every device of the CUDA matrix (a GPU, the emulated device): agreement with
our CPU kernels for every filter (what torch lacks included: Lanczos, 1-D/3-D cubic, antialias in 1-D/3-D, uint8
beyond bilinear/bicubic), launch shapes, pass groupings, the 64-bit index path, the plan cache, streams and graphs.
What every device does the same way, parity with torch included, is the device matrix of tests/test_devices.py."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from conftest import cuda_only
from test_devices import (
    DIM_LAYOUTS,
    DTYPES,
    FILTERS,
    FLOAT_DTYPES,
    OP,
    SIZINGS,
    assert_matches_cpu,
    make_input,
    op_args,
    variants,
)
from torchresample import interpolate

# ---------------------------------------------------------------------------------------------------------------
# Parity with our CPU kernels (assert_matches_cpu): every filter, forward and backward.


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


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_wide_windows_3d_all_dtypes(dev, layout):
    x64 = make_input(dev, 3, torch.float64, layout, batch=1, channels=2, spatial=(40, 50, 60))
    for dtype in DTYPES:
        x = (x64 * 40 + 128).clamp(0, 255).to(dtype) if dtype == torch.uint8 else x64.to(dtype)
        args = ([3, 4, 5], "lanczos", False, None, True)
        assert_matches_cpu(OP.resample(x, *args), dev.host(OP.resample, x, *args), "lanczos", dtype)


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
        args = (out, filter_name, False, None, False)
        assert_matches_cpu(OP.resample(x, *args), dev.host(OP.resample, x, *args), filter_name, torch.float32)
    grad = make_input(dev, 2, torch.float32, layout, batch=rows // 2, channels=channels, spatial=(2, 1), seed=1)
    ours = OP.resample_backward(grad, list(x.shape[2:]), filter_name, False, None, False)
    ref = dev.host(OP.resample_backward, grad, list(x.shape[2:]), filter_name, False, None, False)
    assert_matches_cpu(ours, ref, filter_name, torch.float32, backward=True)


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_long_rows_wrap_the_row_loop(dev, layout):
    """Rows of one element per output and many channels, and rows longer than a block (x loops stride by the grid)."""
    for spatial, out in (((1, 1, 4000), [1, 1, 7001]), ((2, 1, 1), [3, 1, 1])):
        x = make_input(dev, 3, torch.float32, layout, batch=2, channels=300 if spatial[-1] == 1 else 3, spatial=spatial)
        for filter_name in ("nearest", "linear", "lanczos"):
            args = (out, filter_name, False, None, filter_name == "lanczos")
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
    args = ([4, 17, 6], filter_name, False, None, antialias)
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
        args = ({1: [37], 2: [37, 6], 3: [15, 4, 20]}[dim], filter_name, False, None, False)
        narrow = OP.resample(x, *args)
        grad = torch.randn_like(narrow)
        narrow_grad = OP.resample_backward(grad, list(x.shape[2:]), *args[1:])
        with dev.options(force_wide_indices=1):
            assert torch.equal(OP.resample(x, *args), narrow)
            assert torch.equal(OP.resample_backward(grad, list(x.shape[2:]), *args[1:]), narrow_grad)


def test_cached_and_fresh_plans_give_the_same_bits(dev):
    calls = [
        ((2, 3, 17, 23), [34, 46], "cubic", False, [2.0, 2.0], False),
        ((2, 3, 17, 23), [5, 7], "linear", False, None, True),
        ((2, 3, 17, 23), [5, 7], "linear", True, None, True),  # the same extents, other flags: another entry
        ((1, 2, 9, 11, 13), [4, 17, 6], "lanczos", False, None, True),
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
    seen_args, unseen_args = ([30, 11], "linear", True, None, False), ([31, 12], "cubic", False, None, False)
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
        a = OP.resample(t, [40, 24], "cubic", False, None, False)
        b = OP.resample(t, [5, 6], "lanczos", False, None, True)
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
        return OP.resample(t, [30, 11], "linear", True, None, False).square().sum()

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
