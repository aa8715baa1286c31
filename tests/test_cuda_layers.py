"""What only the CUDA kernels of max_unpool and pixel_shuffle have, on every device of the CUDA matrix (a GPU, the
emulated device): determinism of max_unpool under heavy contention, the sync index check and the default device-side
assert on invalid indices, the forced 64-bit index path; and on a real GPU only: devices must match, the current
stream, CUDA graphs, torch.compile's reduce-overhead, a second device and tensors past 2^31 elements.

Parity with torch's ops and with our CPU kernels (bit for bit, every dtype, layouts, gradients, opcheck, duplicate
indices, empty tensors, dtype refusals) lives in the device matrix (cpu, cuda, cuda-emulated) of test_max_unpool.py
and test_pixel_shuffle.py."""

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as TF

import torchresample.functional as RF
from conftest import cuda_only
from layer_references import CHANNELS_LAST, INVALID_INDICES, OURS_UNPOOL, pooled, random, same

ops = torch.ops.torchresample

# --------------------------------------------------------------------------------------------------------------
# max_unpool: contention, invalid indices, the 64-bit path (every device of the CUDA matrix)

# (dim, channels_last) pairs that exist: 3-D tensors have no channels-last format.
DIM_FORMATS = [(1, False), (2, False), (2, True), (3, False), (3, True)]


@pytest.mark.parametrize("dim,channels_last", DIM_FORMATS)
def test_max_unpool_heavy_contention_is_deterministic(dev, dim, channels_last):
    # Many planes, thousands of elements per output position: the highest input position of each plane wins.
    shape = (3, 70) + {1: (4096,), 2: (64, 64), 3: (16, 16, 16)}[dim]
    gen = torch.Generator().manual_seed(5)
    values = torch.randn(shape, generator=gen)
    indices = torch.randint(0, 3, shape, generator=gen)
    if channels_last:
        values = values.contiguous(memory_format=CHANNELS_LAST[dim])
        indices = indices.contiguous(memory_format=CHANNELS_LAST[dim])
    expected = dev.host(OURS_UNPOOL[dim], values, indices, 2)
    # The CPU result is the last writer per plane (checked here independently of the kernels).
    flat_v, flat_i = values.reshape(3 * 70, -1), indices.reshape(3 * 70, -1)
    flat_out = expected.reshape(3 * 70, -1)
    for position in range(3):
        last = torch.where(flat_i == position, torch.arange(flat_i.shape[1]), -1).amax(dim=1)
        assert bool((last >= 0).all())
        assert torch.equal(flat_out[:, position], flat_v.gather(1, last.unsqueeze(1)).squeeze(1))
    assert not flat_out[:, 3:].any()
    for _ in range(3):
        same(OURS_UNPOOL[dim](values.to(dev.type), indices.to(dev.type), 2), expected)


@pytest.mark.parametrize(
    "dim,bad,message,channels_last",
    [(*case, cl) for case in INVALID_INDICES for cl in (False, True) if case[0] > 1 or not cl],
)
def test_sync_index_check_raises_torch_error_and_stays_usable(dev, dim, bad, message, channels_last):
    shape = (2, 3) + (4,) * dim
    values, indices = pooled(dim, shape, 2)
    broken = indices.clone()
    broken.view(-1)[7] = bad
    broken.view(-1)[-1] = -5  # a second invalid index, at the last position in either layout
    if channels_last:
        values = values.contiguous(memory_format=CHANNELS_LAST[dim])
        broken = broken.contiguous(memory_format=CHANNELS_LAST[dim])
    with pytest.raises(RuntimeError) as cpu:
        dev.host(OURS_UNPOOL[dim], values, broken, 2)
    grad_output = random((2, 3) + (4,) * dim, seed=3)
    with dev.options(sync_index_check=1):
        with pytest.raises(RuntimeError) as cuda:
            OURS_UNPOOL[dim](dev.put(values), dev.put(broken), 2)
        assert str(cuda.value).startswith(message)
        assert str(cuda.value).splitlines()[0] == str(cpu.value).splitlines()[0]
        with pytest.raises(RuntimeError) as cuda:
            ops.max_unpool_backward(dev.put(grad_output), dev.put(broken))
        assert str(cuda.value).startswith(message)
        # No device-side assert: the context is sound, and the next calls compute.
        dev.synchronize()
        same(OURS_UNPOOL[dim](dev.put(values), dev.put(indices), 2), dev.host(OURS_UNPOOL[dim], values, indices, 2))
        same(
            ops.max_unpool_backward(dev.put(grad_output), dev.put(indices)),
            dev.host(ops.max_unpool_backward, grad_output, indices),
        )


ASSERT_SCRIPT = """
import torch, torchresample.functional as RF
values, indices = torch.nn.functional.max_pool2d(torch.randn(1, 2, 4, 4), 2, return_indices=True)
indices.view(-1)[3] = 99
out = RF.max_unpool2d(values.cuda(), indices.cuda(), 2)
torch.cuda.synchronize()
"""


def test_invalid_index_is_a_device_side_assert_by_default(dev):
    """Without the sync check an invalid index is a device-side assert (as torch's CUDA kernels), with no host
    synchronisation on the valid path. On a GPU the assert poisons the context, so it runs in a child process."""
    values, indices = pooled(2, (2, 3, 4, 4), 2)
    broken = indices.clone()
    broken.view(-1)[5] = 16
    if dev.emulated:
        with pytest.raises(RuntimeError, match="device-side assert triggered.*Found an invalid max index"):
            OURS_UNPOOL[2](values, broken, 2)
        with pytest.raises(RuntimeError, match="device-side assert triggered.*Found an invalid max index"):
            ops.max_unpool_backward(random((2, 3, 4, 4)), broken)
        return
    child = subprocess.run([sys.executable, "-c", ASSERT_SCRIPT], capture_output=True, text=True, timeout=300)
    assert child.returncode != 0
    assert "device-side assert triggered" in child.stderr, child.stderr[-2000:]


def test_64_bit_index_path_gives_the_same_bits(dev):
    """The 64-bit offset paths of launches past 2^31 elements (forced: 2^31 elements do not fit in emulation)."""
    values, indices = pooled(2, (2, 5, 9, 8), 3, 1, 1)
    x = random((2, 8, 6, 4), seed=5).contiguous(memory_format=torch.channels_last)
    narrow = (
        OURS_UNPOOL[2](dev.put(values), dev.put(indices), 3, 1, 1),
        ops.max_unpool_backward(dev.put(random((2, 5, 9, 8), seed=1)), dev.put(indices)),
        RF.pixel_shuffle(dev.put(x), 2),
        RF.pixel_unshuffle(dev.put(x), 2),
    )
    with dev.options(force_wide_indices=1):
        wide = (
            OURS_UNPOOL[2](dev.put(values), dev.put(indices), 3, 1, 1),
            ops.max_unpool_backward(dev.put(random((2, 5, 9, 8), seed=1)), dev.put(indices)),
            RF.pixel_shuffle(dev.put(x), 2),
            RF.pixel_unshuffle(dev.put(x), 2),
        )
    for a, b in zip(narrow, wide):
        same(a, b)


@cuda_only
def test_max_unpool_devices_must_match():
    values, indices = pooled(2, (1, 1, 4, 4), 2)
    with pytest.raises(RuntimeError, match="on the same device"):
        ops.max_unpool(values.cuda(), indices, [4, 4])
    with pytest.raises(RuntimeError, match="on the same device"):
        ops.max_unpool(values, indices.cuda(), [4, 4])


# --------------------------------------------------------------------------------------------------------------
# Streams, CUDA graphs, devices, sizes past 2^31


@cuda_only
def test_kernels_run_on_the_current_stream():
    # The inputs are written on a side stream after a long sleep: a kernel launched on any other stream reads them
    # before they are ready.
    values, indices = pooled(2, (4, 16, 64, 64), 2)
    x = random((4, 64, 64, 64), seed=8)
    sources = [t.cuda() for t in (values, indices, x)]
    torch.cuda.synchronize()
    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        v, i, xd = (torch.zeros_like(t) for t in sources)
        torch.cuda._sleep(50_000_000)
        for buffer, source in zip((v, i, xd), sources):
            buffer.copy_(source)
        unpooled = OURS_UNPOOL[2](v, i, 2)
        results = (unpooled, ops.max_unpool_backward(unpooled * 2, i), RF.pixel_shuffle(xd, 2))
    side.synchronize()
    expected_unpooled = OURS_UNPOOL[2](values, indices, 2)
    expected = (expected_unpooled, ops.max_unpool_backward(expected_unpooled * 2, indices), RF.pixel_shuffle(x, 2))
    for actual, reference in zip(results, expected):
        same(actual, reference)


@cuda_only
def test_cuda_graph_capture_and_replay():
    values, indices = pooled(2, (2, 3, 8, 8), 2)
    x = random((2, 8, 6, 4), seed=9)
    static = [values.cuda(), indices.cuda(), x.cuda()]

    def step(v, i, xd):
        out = OURS_UNPOOL[2](v, i, 2)
        return out, ops.max_unpool_backward(out, i), RF.pixel_shuffle(xd, 2)

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        step(*static)  # warm-up outside the capture
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        outputs = step(*static)
    for seed in (10, 11):
        values, indices = pooled(2, (2, 3, 8, 8), 2, seed=seed)
        x = random((2, 8, 6, 4), seed=seed)
        for buffer, new in zip(static, (values, indices, x)):
            buffer.copy_(new)
        graph.replay()
        torch.cuda.synchronize()
        for actual, expected in zip(outputs, step(values, indices, x)):
            assert torch.equal(actual.cpu(), expected)


@cuda_only
def test_compile_reduce_overhead():
    def forward(x, values, indices):
        sr = RF.pixel_shuffle(x, 2)
        return sr.sum() + RF.max_unpool2d(values, indices, 2).sum() + RF.pixel_unshuffle3d(sr.unsqueeze(2), 1).sum()

    x = random((2, 8, 4, 6), torch.float64).cuda()
    values, indices = pooled(2, (2, 3, 4, 6), 2, dtype=torch.float64)
    values, indices = values.cuda(), indices.cuda()
    compiled = torch.compile(forward, mode="reduce-overhead", fullgraph=True)
    for _ in range(3):  # warm-up, recording, replay
        torch.testing.assert_close(compiled(x, values, indices), forward(x, values, indices))


@pytest.mark.multi_gpu
@cuda_only
@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA devices")
def test_second_device():
    values, indices = pooled(2, (2, 3, 8, 8), 2)
    x = random((2, 8, 6, 4))
    with torch.cuda.device(0):
        out = OURS_UNPOOL[2](values.to("cuda:1"), indices.to("cuda:1"), 2)
        shuffled = RF.pixel_shuffle(x.to("cuda:1"), 2)
    assert out.device == torch.device("cuda:1") and shuffled.device == torch.device("cuda:1")
    same(out, OURS_UNPOOL[2](values, indices, 2))
    same(shuffled, RF.pixel_shuffle(x, 2))


def free_gib():
    return torch.cuda.mem_get_info()[0] / 2**30


@cuda_only
@pytest.mark.skipif(not torch.cuda.is_available() or free_gib() < 12, reason="needs 12 GiB of free GPU memory")
def test_pixel_shuffle_past_2_31_elements():
    # 64-bit offsets: 2^31 + 2^24 one-byte elements.
    x = torch.randint(0, 256, (1, 4, 2**15 + 2**8, 2**14), dtype=torch.uint8, device="cuda")
    y = RF.pixel_shuffle(x, 2)
    assert y.numel() > 2**31
    assert torch.equal(y, TF.pixel_shuffle(x, 2))
    del y
    assert torch.equal(RF.pixel_unshuffle(x, 2), TF.pixel_unshuffle(x, 2))


@cuda_only
@pytest.mark.skipif(not torch.cuda.is_available() or free_gib() < 24, reason="needs 24 GiB of free GPU memory")
def test_max_unpool_past_2_31_elements():
    # An output plane of more than 2^31 elements: indices and offsets beyond int32 (64-bit winner scratch).
    plane = 2**31 + 5
    indices = torch.tensor([[[0, 2**31 - 1, 2**31, 2**31 + 4, 2**31, 17]]], device="cuda")
    values = torch.tensor([[[1, 2, 3, 4, 5, 6]]], dtype=torch.uint8, device="cuda")
    out = ops.max_unpool(values, indices, [plane])
    assert out.shape == (1, 1, plane)
    positions = torch.tensor([0, 17, 2**31 - 1, 2**31, 2**31 + 4], device="cuda")
    assert out[0, 0, positions].tolist() == [1, 6, 2, 5, 4]
    assert int(out.count_nonzero()) == 5
    grad = ops.max_unpool_backward(out, indices)
    assert grad.tolist() == [[[1, 2, 5, 4, 5, 6]]]
    del out, grad
    bad = indices.clone()
    bad[0, 0, 3] = plane
    with pytest.raises(RuntimeError, match=f"Found an invalid max index: {plane} "):
        ops.max_unpool(values, bad, [plane])
