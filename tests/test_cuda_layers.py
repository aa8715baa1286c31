"""CUDA max_unpool and pixel_shuffle kernels on every device of the CUDA matrix (a GPU, the emulated device): parity
with our CPU kernels (bit for bit: these ops only move elements) and torch's ops, duplicate and invalid indices,
dtypes, layouts, the 64-bit index path, gradients, opcheck, streams and CUDA graphs."""

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as TF

import torchresample.functional as RF
from conftest import cuda_only
from layer_references import ALL_DTYPES, last_writer_reference, shuffle_reference

ops = torch.ops.torchresample

POOL = {1: TF.max_pool1d, 2: TF.max_pool2d, 3: TF.max_pool3d}
TORCH_UNPOOL = {1: TF.max_unpool1d, 2: TF.max_unpool2d, 3: TF.max_unpool3d}
OURS_UNPOOL = {1: RF.max_unpool1d, 2: RF.max_unpool2d, 3: RF.max_unpool3d}
CHANNELS_LAST = {2: torch.channels_last, 3: torch.channels_last_3d}

FLOAT_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


def random(shape, dtype=torch.float32, seed=0):
    """A CPU tensor of distinct-ish values of any dtype (move it with dev.put)."""
    gen = torch.Generator().manual_seed(seed)
    if dtype == torch.bool:
        return torch.randint(0, 2, shape, generator=gen).bool()
    if dtype.is_complex:
        return torch.randn(shape, generator=gen, dtype=dtype)
    if not dtype.is_floating_point:
        low = 0 if dtype == torch.uint8 else -100
        return torch.randint(low, 100, shape, generator=gen).to(dtype)
    return torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)


def pooled(dim, shape, kernel, stride=None, padding=0, dtype=torch.float32, seed=0):
    """Random input max-pooled by torch on the CPU: (values, indices) as max_unpool receives them, on the CPU."""
    x = random(shape, torch.float64, seed)
    values, indices = POOL[dim](x, kernel, stride, padding, return_indices=True)
    return values.to(dtype), indices


def same(actual, expected):
    """Equal values (NaN-free inputs), dtype, shape and strides."""
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    assert actual.stride() == expected.stride(), (actual.stride(), expected.stride())
    assert torch.equal(actual.cpu(), expected.cpu())


# --------------------------------------------------------------------------------------------------------------
# max_unpool

# (dim, input shape, kernel, stride, padding, output_size form). Overlapping windows (stride < kernel) give duplicate
# indices, which carry equal values, so every correct kernel (torch's included) gives one result.
UNPOOL_CASES = [
    (1, (2, 3, 9), 2, None, 0, None),
    (1, (3, 10), (3,), (2,), (1,), "spatial"),
    (1, (4, 5, 33), 3, 1, 1, None),
    (2, (2, 3, 6, 8), 2, None, 0, None),
    (2, (2, 3, 7, 7), (2, 3), (2, 1), (1, 0), "full"),
    (2, (3, 5, 6), 3, 2, 1, "spatial"),
    (2, (2, 17, 19, 23), 3, 2, 1, None),
    (3, (1, 2, 4, 4, 6), 2, None, 0, None),
    (3, (2, 4, 5, 6), (1, 2, 2), (1, 2, 2), (0, 1, 0), "spatial"),
    (3, (1, 2, 5, 4, 4), (2, 2, 2), 2, 0, "full"),
    (3, (2, 3, 7, 6, 9), 3, 2, 1, "spatial"),
]
UNPOOL_IDS = [f"{c[0]}d-{'x'.join(map(str, c[1]))}-k{c[2]}" for c in UNPOOL_CASES]


def unpool_args(case, dtype=torch.float32):
    dim, shape, kernel, stride, padding, size_form = case
    values, indices = pooled(dim, shape, kernel, stride, padding, dtype)
    output_size = {None: None, "spatial": list(shape[-dim:]), "full": tuple(shape)}[size_form]
    return dim, values, indices, dict(kernel_size=kernel, stride=stride, padding=padding, output_size=output_size)


@pytest.mark.parametrize("case", UNPOOL_CASES, ids=UNPOOL_IDS)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
def test_max_unpool_matches_cpu_and_torch(dev, case, dtype):
    dim, values, indices, kwargs = unpool_args(case, dtype)
    ours = OURS_UNPOOL[dim](values.to(dev.type), indices.to(dev.type), **kwargs)
    assert ours.device.type == dev.type
    same(ours, dev.host(OURS_UNPOOL[dim], values, indices, **kwargs))
    assert torch.equal(ours, TORCH_UNPOOL[dim](values.to(dev.type), indices.to(dev.type), **kwargs))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_max_unpool_every_dtype_matches_cpu(dev, dtype, dim):
    shape = (2, 3) + (6,) * dim
    _, indices = pooled(dim, shape, 2)
    values = random(indices.shape, dtype, seed=4)
    same(OURS_UNPOOL[dim](values.to(dev.type), indices.to(dev.type), 2), dev.host(OURS_UNPOOL[dim], values, indices, 2))


def unpool_layouts(values, indices, dim):
    """(name, values, indices) in the layouts a caller may pass."""
    yield "contiguous", values, indices
    if dim > 1:
        cl = CHANNELS_LAST[dim]
        yield "channels_last", values.contiguous(memory_format=cl), indices.contiguous(memory_format=cl)
        yield "channels_last_values", values.contiguous(memory_format=cl), indices
        yield "channels_last_indices", values, indices.contiguous(memory_format=cl)
    yield "transposed", values.transpose(-1, -2).contiguous().transpose(-1, -2), indices
    yield "sliced", torch.cat([values, values], dim=1)[:, ::2], torch.cat([indices, indices], dim=1)[:, 1::2]


BATCHED = [(c, i) for c, i in zip(UNPOOL_CASES, UNPOOL_IDS) if len(c[1]) == c[0] + 2]


@pytest.mark.parametrize("case", [c for c, _ in BATCHED], ids=[i for _, i in BATCHED])
def test_max_unpool_layouts_match_cpu(dev, case):
    dim, values, indices, kwargs = unpool_args(case)
    for name, v, i in unpool_layouts(values, indices, dim):
        expected = dev.host(OURS_UNPOOL[dim], v, i, **kwargs)
        actual = OURS_UNPOOL[dim](v.to(dev.type), i.to(dev.type), **kwargs)
        same(actual, expected)
        assert torch.equal(actual, TORCH_UNPOOL[dim](v.to(dev.type), i.to(dev.type), **kwargs)), name
        if name.startswith("channels_last_values") or name == "channels_last":
            assert actual.is_contiguous(memory_format=CHANNELS_LAST[dim]), name


@pytest.mark.parametrize("channels_last", [False, True])
def test_max_unpool_duplicates_are_deterministic_and_match_cpu(dev, channels_last):
    gen = torch.Generator().manual_seed(3)
    values = torch.randn(2, 3, 8, 8, generator=gen)  # distinct values: which duplicate wins shows
    indices = torch.randint(0, 6, (2, 3, 8, 8), generator=gen)  # 64 elements onto 6 of 256 positions per plane
    expected = last_writer_reference(values, indices, 256).view(2, 3, 16, 16)
    if channels_last:
        values = values.contiguous(memory_format=torch.channels_last)
    assert torch.equal(dev.host(RF.max_unpool2d, values, indices, 2), expected)
    for _ in range(5):
        assert torch.equal(RF.max_unpool2d(values.to(dev.type), indices.to(dev.type), 2).cpu(), expected)


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


@pytest.mark.parametrize("case", UNPOOL_CASES, ids=UNPOOL_IDS)
def test_max_unpool_backward_matches_cpu_and_torch(dev, case):
    dim, values, indices, kwargs = unpool_args(case, torch.float64)

    def grad_of(unpool, v, i):
        x = v.requires_grad_()
        out = unpool(x, i, **kwargs)
        weight = random(out.shape, torch.float64, seed=1).to(out.device)
        return torch.autograd.grad((out * weight).sum(), x)[0]

    grads = [
        grad_of(OURS_UNPOOL[dim], dev.put(values), dev.put(indices)),
        dev.host(grad_of, OURS_UNPOOL[dim], values, indices),
        grad_of(TORCH_UNPOOL[dim], dev.put(values), dev.put(indices)),
    ]
    same(grads[0], grads[1])
    assert torch.equal(grads[0], grads[2])


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_max_unpool_backward_op_every_dtype_and_layout(dev, dtype):
    _, indices = pooled(2, (2, 3, 6, 8), 2)
    grad_output = random((2, 3, 6, 8), dtype, seed=2)
    for g in (grad_output, grad_output.contiguous(memory_format=torch.channels_last)):
        for i in (indices, indices.contiguous(memory_format=torch.channels_last)):
            same(ops.max_unpool_backward(g.to(dev.type), i.to(dev.type)), dev.host(ops.max_unpool_backward, g, i))


INVALID_INDICES = [
    (2, 16, "Found an invalid max index: 16 (output volumes are of size 4x4)"),
    (2, -1, "Found an invalid max index: -1 (output volumes are of size 4x4)"),
    (2, 2**32 + 3, f"Found an invalid max index: {2**32 + 3} (output volumes are of size 4x4)"),
    (2, 2**63 - 1, f"Found an invalid max index: {2**63 - 1} (output volumes are of size 4x4)"),
    (3, 64, "Found an invalid max index: 64 (output volumes are of size 4x4x4)"),
    (1, -(2**62), f"Found an invalid max index: {-(2**62)} (output volumes are of size 4)"),
]


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


def test_max_unpool_empty_tensors(dev):
    values, indices = pooled(2, (2, 3, 4, 4), 2)
    values, indices = values.to(dev.type), indices.to(dev.type)
    assert RF.max_unpool2d(values[:0], indices[:0], 2).shape == (0, 3, 4, 4)
    assert RF.max_unpool2d(values, indices, 0).shape == (2, 3, 0, 0)
    grad = ops.max_unpool_backward(torch.empty(2, 3, 0, 0, device=dev.type), indices)
    assert grad.shape == indices.shape and not grad.any()
    assert ops.max_unpool_backward(torch.empty(0, 3, 4, 4, device=dev.type), indices[:0]).shape == (0, 3, 2, 2)


@cuda_only
def test_max_unpool_devices_must_match():
    values, indices = pooled(2, (1, 1, 4, 4), 2)
    with pytest.raises(RuntimeError, match="on the same device"):
        ops.max_unpool(values.cuda(), indices, [4, 4])
    with pytest.raises(RuntimeError, match="on the same device"):
        ops.max_unpool(values, indices.cuda(), [4, 4])


@pytest.mark.parametrize(
    "dim,shape,channels_last",
    [
        (1, (2, 2, 6), False),
        (2, (1, 2, 4, 6), False),
        (2, (1, 2, 4, 6), True),
        (2, (2, 4, 6), False),
        (3, (1, 2, 2, 4, 4), False),
        (3, (1, 2, 2, 4, 4), True),
    ],
)
def test_max_unpool_gradcheck_and_gradgradcheck(dev, dim, shape, channels_last):
    # kernel == stride: unique indices, so the scatter is a linear map with the gather as its transpose.
    values, indices = pooled(dim, shape, 2, dtype=torch.float64)
    values = values.to(dev.type)
    if channels_last:
        values = values.contiguous(memory_format=CHANNELS_LAST[dim])
    values.requires_grad_()
    indices = indices.to(dev.type)
    fn = lambda t: OURS_UNPOOL[dim](t, indices, 2)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (values,))
    assert torch.autograd.gradgradcheck(fn, (values,))


def unpool_opcheck_samples(dev):
    v1, i1 = pooled(1, (2, 3, 8), 2, dtype=torch.float64)
    v2, i2 = pooled(2, (2, 3, 4, 6), 2, dtype=torch.float64)
    v3, i3 = pooled(3, (1, 2, 4, 4, 6), 2, dtype=torch.float64)
    v4, i4 = pooled(2, (2, 3, 5, 5), 3, 1, 1, dtype=torch.float32)
    return [
        (v1.to(dev.type).requires_grad_(), i1.to(dev.type), [8]),
        (v2.to(dev.type).contiguous(memory_format=torch.channels_last).requires_grad_(), i2.to(dev.type), [5, 7]),
        (v3.to(dev.type).requires_grad_(), i3.to(dev.type), [4, 4, 6]),
        (v4.to(dev.type), i4.to(dev.type), [5, 5]),
    ]


@pytest.mark.parametrize("sample", range(4))
def test_max_unpool_opcheck(dev, sample):
    dev.opcheck(ops.max_unpool.default, unpool_opcheck_samples(dev)[sample])


def test_max_unpool_backward_opcheck(dev):
    _, indices = pooled(2, (2, 3, 4, 6), 2)
    grad_output = random((2, 3, 4, 6), torch.float64).to(dev.type).requires_grad_()
    dev.opcheck(ops.max_unpool_backward.default, (grad_output, indices.to(dev.type)))
    cl = grad_output.detach().contiguous(memory_format=torch.channels_last)
    dev.opcheck(ops.max_unpool_backward.default, (cl, indices.to(dev.type)))


# --------------------------------------------------------------------------------------------------------------
# pixel_shuffle / pixel_unshuffle

SHUFFLE_SHAPES = [
    ((8, 3, 5), 2),
    ((2, 8, 3, 5), 2),
    ((2, 3, 18, 2, 4), 3),
    ((1, 4, 1, 1), 2),
    ((2, 5, 3, 4), 1),
    ((3, 64, 33, 17), 4),
]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
@pytest.mark.parametrize("shape,r", SHUFFLE_SHAPES)
def test_pixel_shuffle_every_dtype_matches_cpu_and_torch(dev, dtype, shape, r):
    x = random(shape, dtype)
    ours = RF.pixel_shuffle(x.to(dev.type), r)
    same(ours, dev.host(RF.pixel_shuffle, x, r))
    assert torch.equal(ours, TF.pixel_shuffle(x.to(dev.type), r))
    back = RF.pixel_unshuffle(ours, r)
    same(back, dev.host(lambda t: RF.pixel_unshuffle(RF.pixel_shuffle(t, r), r), x))
    assert torch.equal(back, TF.pixel_unshuffle(ours, r)) and torch.equal(back.cpu(), x)


def shuffle_layouts(x):
    yield "contiguous", x
    yield "channels_last", x.contiguous(memory_format=torch.channels_last)
    yield "transposed", x.transpose(-1, -2).contiguous().transpose(-1, -2)
    yield "sliced", torch.cat([x, x], dim=1)[:, ::2]
    yield "expanded", x[:1].expand(x.shape)
    yield "offset", torch.cat([x.flatten(), x.flatten()])[7 : 7 + x.numel()].view(x.shape)


@pytest.mark.parametrize("unshuffle", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bool, torch.int64, torch.float16], ids=str)
def test_pixel_shuffle_layouts_match_cpu_and_torch(dev, unshuffle, dtype):
    x = random((2, 16, 8, 12), dtype, seed=1)
    ours, theirs = (RF.pixel_unshuffle, TF.pixel_unshuffle) if unshuffle else (RF.pixel_shuffle, TF.pixel_shuffle)
    for name, view in shuffle_layouts(x):
        actual = ours(view.to(dev.type), 2)
        # The CPU format (torch's CPU one); torch's CUDA op differs (contiguous shuffle of channels-last input).
        same(actual, dev.host(ours, view, 2))
        assert torch.equal(actual, theirs(view.to(dev.type), 2)), name


@pytest.mark.parametrize(
    "shape,r", [((2, 16, 3, 2, 5), 2), ((3, 27, 1, 2, 2), 3), ((2, 2, 8, 2, 1, 3), 2), ((16, 3, 3, 3), 2)]
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.int16, torch.bool, torch.complex128], ids=str)
def test_pixel_shuffle3d_matches_cpu_and_reference(dev, shape, r, dtype):
    x = random(shape, dtype)
    y = RF.pixel_shuffle3d(x.to(dev.type), r)
    same(y, dev.host(RF.pixel_shuffle3d, x, r))
    assert torch.equal(y, shuffle_reference(x.to(dev.type), r, 3))
    z = RF.pixel_unshuffle3d(y, r)
    same(z, dev.host(lambda t: RF.pixel_unshuffle3d(RF.pixel_shuffle3d(t, r), r), x))
    assert torch.equal(z.cpu(), x)


@pytest.mark.parametrize("unshuffle", [False, True])
def test_pixel_shuffle3d_keeps_channels_last_3d(dev, unshuffle):
    x = random((2, 16, 4, 2, 6)).contiguous(memory_format=torch.channels_last_3d)
    fn = RF.pixel_unshuffle3d if unshuffle else RF.pixel_shuffle3d
    y = fn(x.to(dev.type), 2)
    assert y.is_contiguous(memory_format=torch.channels_last_3d)
    same(y, dev.host(fn, x, 2))


@pytest.mark.parametrize("batch", [(), (3,), (2, 3), (2, 1, 2)])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_pixel_shuffle_any_batch_dims(dev, batch, k):
    x = random(batch + (2 * 2**k,) + (3, 4, 5)[3 - k :], seed=7)
    y = ops.pixel_shuffle(x.to(dev.type), 2, k)
    same(y, dev.host(ops.pixel_shuffle, x, 2, k))
    assert torch.equal(y, shuffle_reference(x.to(dev.type), 2, k))
    same(ops.pixel_unshuffle(y, 2, k), dev.host(ops.pixel_unshuffle, y, 2, k))
    # A non-mergeable batch view goes through reshape's copy.
    if len(batch) >= 2:
        xt = x.transpose(0, 1)
        same(ops.pixel_shuffle(xt.to(dev.type), 2, k), dev.host(ops.pixel_shuffle, xt, 2, k))


@pytest.mark.parametrize("shape", [(0, 8, 3, 5), (2, 0, 3, 5), (2, 8, 0, 5), (0, 2, 8, 3, 5)])
def test_pixel_shuffle_empty_tensors(dev, shape):
    x = random(shape).to(dev.type)
    assert RF.pixel_shuffle(x, 2).shape == dev.host(RF.pixel_shuffle, x, 2).shape
    y = torch.empty(shape[:-3] + (shape[-3], shape[-2] * 2, shape[-1] * 2), device=dev.type)
    assert RF.pixel_unshuffle(y, 2).shape == dev.host(RF.pixel_unshuffle, y, 2).shape


@pytest.mark.parametrize(
    "fn,shape,r,layout",
    [
        (RF.pixel_shuffle, (2, 8, 2, 3), 2, None),
        (RF.pixel_shuffle, (2, 8, 2, 3), 2, torch.channels_last),
        (RF.pixel_unshuffle, (2, 2, 4, 6), 2, None),
        (RF.pixel_shuffle3d, (1, 8, 2, 1, 2), 2, torch.channels_last_3d),
        (RF.pixel_unshuffle3d, (2, 1, 2, 4, 2), 2, None),
    ],
)
def test_pixel_shuffle_gradcheck_and_gradgradcheck(dev, fn, shape, r, layout):
    x = random(shape, torch.float64).to(dev.type)
    if layout is not None:
        x = x.contiguous(memory_format=layout)
    x.requires_grad_()
    assert torch.autograd.gradcheck(lambda t: fn(t, r), (x,))
    assert torch.autograd.gradgradcheck(lambda t: fn(t, r), (x,))


def test_pixel_shuffle_backward_matches_torch(dev):
    x = random((2, 8, 3, 5), torch.float64).to(dev.type).contiguous(memory_format=torch.channels_last)
    weight = random((2, 2, 6, 10), torch.float64, seed=2).to(dev.type)
    grads = []
    for fn in (TF.pixel_shuffle, RF.pixel_shuffle):
        leaf = x.clone().requires_grad_()
        (grad,) = torch.autograd.grad((fn(leaf, 2) * weight).sum(), leaf)
        grads.append(grad)
    assert torch.equal(grads[0], grads[1])


SHUFFLE_OPCHECK_SAMPLES = [
    (ops.pixel_shuffle.default, (2, 8, 3, 5), 2, 2, None, torch.float64),
    (ops.pixel_shuffle.default, (2, 8, 3, 5), 2, 2, torch.channels_last, torch.float64),
    (ops.pixel_unshuffle.default, (3, 2, 2, 4, 6), 2, 2, None, torch.float64),
    (ops.pixel_shuffle.default, (2, 16, 1, 2, 3), 2, 3, torch.channels_last_3d, torch.float64),
    (ops.pixel_unshuffle.default, (2, 2, 4, 2, 2), 2, 3, None, torch.float64),
    (ops.pixel_shuffle.default, (2, 6, 5), 3, 1, None, torch.float64),
    (ops.pixel_shuffle.default, (2, 8, 3, 5), 2, 2, None, torch.int32),
]


@pytest.mark.parametrize("sample", range(len(SHUFFLE_OPCHECK_SAMPLES)))
def test_pixel_shuffle_opcheck(dev, sample):
    op, shape, r, k, layout, dtype = SHUFFLE_OPCHECK_SAMPLES[sample]
    x = random(shape, dtype).to(dev.type)
    if layout is not None:
        x = x.contiguous(memory_format=layout)
    if dtype.is_floating_point:
        x.requires_grad_()
    dev.opcheck(op, (x, r, k))


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


@pytest.mark.parametrize("dtype", [torch.int32, torch.bool, torch.complex64], ids=str)
def test_max_unpool_refuses_non_floating_dtypes(dev, dtype):
    values, indices = pooled(2, (2, 3, 4, 4), 2)
    with pytest.raises(NotImplementedError, match="not implemented for"):
        OURS_UNPOOL[2](dev.put(values.to(dtype)), dev.put(indices), 2)
