"""max_unpool1d/2d/3d on every device of the matrix (the CPU, a GPU, the emulated device): against torch's ops and
our CPU kernels (bit for bit: the op only moves elements) for values, gradients, layouts and output formats,
duplicate indices, the backward gather of every dtype, dtype refusals, empty tensors and opcheck; invalid indices and
the Python layer's argument errors on the CPU (the CUDA kernels' index checks are in test_cuda_layers.py)."""

import pytest
import torch
import torch.nn.functional as TF

import torchresample.functional as RF
from layer_references import (
    ALL_DTYPES,
    CHANNELS_LAST,
    INVALID_INDICES,
    OURS_UNPOOL,
    TORCH_UNPOOL,
    last_writer_reference,
    pooled,
    random,
    same,
)

ops = torch.ops.torchresample


FLOAT_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


# (dim, input shape, kernel, stride, padding, output_size form). Overlapping windows (stride < kernel) give duplicate
# indices, which carry equal values, so every correct kernel (torch's included) gives one result.
CASES = [
    (1, (2, 3, 9), 2, None, 0, None),
    (1, (2, 3, 9), 2, None, 0, "spatial"),
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
CASE_IDS = [f"{c[0]}d-{'x'.join(map(str, c[1]))}-k{c[2]}-s{c[3]}-{c[5] or 'default'}" for c in CASES]


def case_args(case, dtype=torch.float32):
    dim, shape, kernel, stride, padding, size_form = case
    values, indices = pooled(dim, shape, kernel, stride, padding, dtype)
    output_size = {None: None, "spatial": list(shape[-dim:]), "full": tuple(shape)}[size_form]
    return dim, values, indices, dict(kernel_size=kernel, stride=stride, padding=padding, output_size=output_size)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
def test_forward_matches_torch(device, case, dtype):
    dim, values, indices, kwargs = case_args(case, dtype)
    v, i = device.put(values), device.put(indices)
    actual = OURS_UNPOOL[dim](v, i, **kwargs)
    assert actual.device.type == device.type and actual.dtype == dtype
    same(actual, device.host(OURS_UNPOOL[dim], values, indices, **kwargs))
    assert torch.equal(actual, TORCH_UNPOOL[dim](v, i, **kwargs))


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


BATCHED = [(c, i) for c, i in zip(CASES, CASE_IDS) if len(c[1]) == c[0] + 2]


@pytest.mark.parametrize("case", [c for c, _ in BATCHED], ids=[i for _, i in BATCHED])
def test_layouts_match_torch(device, case):
    dim, values, indices, kwargs = case_args(case)
    # Each layout built on the device itself (moving a view there would copy it into a dense tensor).
    pairs = zip(unpool_layouts(values, indices, dim), unpool_layouts(device.put(values), device.put(indices), dim))
    for (name, v, i), (_, vd, id_) in pairs:
        actual = OURS_UNPOOL[dim](vd, id_, **kwargs)
        same(actual, device.host(OURS_UNPOOL[dim], v, i, **kwargs), name)
        assert torch.equal(actual.cpu(), TORCH_UNPOOL[dim](v, i, **kwargs)), name
        assert torch.equal(actual, TORCH_UNPOOL[dim](vd, id_, **kwargs)), name
        # The output takes the values' format.
        values_cl = name in ("channels_last", "channels_last_values")
        assert actual.is_contiguous(memory_format=CHANNELS_LAST[dim] if values_cl else torch.contiguous_format), name


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_backward_matches_torch(device, case):
    dim, values, indices, kwargs = case_args(case, torch.float64)

    def grad_of(unpool, v, i):
        x = v.clone().requires_grad_()
        out = unpool(x, i, **kwargs)
        weight = random(out.shape, torch.float64, seed=1).to(out.device)
        return torch.autograd.grad((out * weight).sum(), x)[0]

    v, i = device.put(values), device.put(indices)
    actual = grad_of(OURS_UNPOOL[dim], v, i)
    same(actual, device.host(grad_of, OURS_UNPOOL[dim], values, indices))
    assert torch.equal(actual, grad_of(TORCH_UNPOOL[dim], v, i))


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_backward_op_every_dtype_and_layout(device, dtype):
    _, indices = pooled(2, (2, 3, 6, 8), 2)
    grad_output = random((2, 3, 6, 8), dtype, seed=2)
    # A gather of each plane at its indices (independent of the kernels), in grad_output's format.
    expected = grad_output.flatten(2).gather(2, indices.flatten(2)).view(indices.shape)
    for g, format in (
        (grad_output, torch.contiguous_format),
        (grad_output.contiguous(memory_format=torch.channels_last), torch.channels_last),
    ):
        for i in (indices, indices.contiguous(memory_format=torch.channels_last)):
            actual = ops.max_unpool_backward(device.put(g), device.put(i))
            same(actual, device.host(ops.max_unpool_backward, g, i))
            assert torch.equal(actual.cpu(), expected) and actual.is_contiguous(memory_format=format)


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
def test_gradcheck_and_gradgradcheck(device, dim, shape, channels_last):
    # kernel == stride: unique indices, so the scatter is a linear map with the gather as its transpose.
    values, indices = pooled(dim, shape, 2, dtype=torch.float64)
    values = device.put(values)
    if channels_last:
        values = values.contiguous(memory_format=CHANNELS_LAST[dim])
    values.requires_grad_()
    indices = device.put(indices)
    fn = lambda t: OURS_UNPOOL[dim](t, indices, 2)
    assert torch.autograd.gradcheck(fn, (values,))
    assert torch.autograd.gradgradcheck(fn, (values,))


def opcheck_samples(device):
    v1, i1 = pooled(1, (2, 3, 8), 2, dtype=torch.float64)
    v2, i2 = pooled(2, (2, 3, 4, 6), 2, dtype=torch.float64)
    v3, i3 = pooled(3, (1, 2, 4, 4, 6), 2, dtype=torch.float64)
    v4, i4 = pooled(2, (2, 3, 5, 5), 3, 1, 1, dtype=torch.float32)
    put = device.put
    return [
        (put(v1).requires_grad_(), put(i1), [8]),
        (put(v2).contiguous(memory_format=torch.channels_last).requires_grad_(), put(i2), [5, 7]),
        (put(v3).requires_grad_(), put(i3), [4, 4, 6]),
        (put(v4), put(i4), [5, 5]),
    ]


@pytest.mark.parametrize("sample", range(4))
def test_opcheck(device, sample):
    device.opcheck(ops.max_unpool.default, opcheck_samples(device)[sample])


def test_opcheck_backward(device):
    _, indices = pooled(2, (2, 3, 4, 6), 2)
    grad_output = device.put(random((2, 3, 4, 6), torch.float64)).requires_grad_()
    device.opcheck(ops.max_unpool_backward.default, (grad_output, device.put(indices)))
    cl = grad_output.detach().contiguous(memory_format=torch.channels_last)
    device.opcheck(ops.max_unpool_backward.default, (cl, device.put(indices)))


@pytest.mark.parametrize("channels_last", [False, True])
def test_duplicate_indices_last_writer_wins_for_any_thread_count(device, channels_last):
    gen = torch.Generator().manual_seed(3)
    values = torch.randn(2, 3, 8, 8, generator=gen)  # distinct values: which duplicate wins shows
    indices = torch.randint(0, 6, (2, 3, 8, 8), generator=gen)  # 64 elements onto 6 of 256 positions per plane
    expected = last_writer_reference(values, indices, 256).view(2, 3, 16, 16)
    if channels_last:
        values = values.contiguous(memory_format=torch.channels_last)
    assert torch.equal(device.host(RF.max_unpool2d, values, indices, 2), expected)
    threads = torch.get_num_threads()
    try:
        for n in (1, 2, 3):
            torch.set_num_threads(n)
            for _ in range(2):
                assert torch.equal(RF.max_unpool2d(device.put(values), device.put(indices), 2).cpu(), expected)
        torch.set_num_threads(1)
        # torch's serial CPU loop writes in input order too; with several threads its result varies.
        assert torch.equal(TF.max_unpool2d(values.contiguous(), indices, 2), expected)
    finally:
        torch.set_num_threads(threads)


def test_duplicate_indices_gradient_gathers_every_index(device):
    values = device.put(torch.randn(1, 1, 2, 2, dtype=torch.float64)).requires_grad_()
    indices = device.put(torch.zeros(1, 1, 2, 2, dtype=torch.long))
    grad_output = device.put(torch.randn(1, 1, 4, 4, dtype=torch.float64))
    for unpool in (TF.max_unpool2d, RF.max_unpool2d):
        (grad,) = torch.autograd.grad(unpool(values, indices, 2), values, grad_output)
        assert torch.equal(grad, grad_output[0, 0, 0, 0].expand(1, 1, 2, 2))


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.int8, torch.bool, torch.complex64], ids=str)
def test_non_floating_dtypes_are_refused_as_torch_refuses_them(device, dtype):
    # The op's check (max_unpool_glue.cpp, in each device's build) gives torch's CPU message on every device.
    values, indices = pooled(2, (2, 3, 4, 6), 2)
    with pytest.raises(NotImplementedError) as theirs:
        TF.max_unpool2d(values.to(dtype), indices, 2)
    with pytest.raises(NotImplementedError) as mine:
        RF.max_unpool2d(device.put(values.to(dtype)), device.put(indices), 2)
    assert str(mine.value).splitlines()[0] == str(theirs.value).splitlines()[0]


# (dim, invalid index, torch's message). 2^32 + 3 and 2^40 are valid positions once truncated to 32 bits.
@pytest.mark.parametrize("dim,bad,message", INVALID_INDICES)
def test_invalid_index_raises_and_leaves_the_process_sound(dim, bad, message):
    shape = (2, 3) + (4,) * dim
    values, indices = pooled(dim, shape, 2)
    broken = indices.clone()
    broken.view(-1)[7] = bad
    broken.view(-1)[9] = bad  # a second one: the lowest position is reported
    with pytest.raises(RuntimeError) as ours:
        OURS_UNPOOL[dim](values, broken, 2)
    assert str(ours.value).startswith(message)
    if dim > 1:
        # torch's 1-D op goes through its 2-D one and prints a trailing x1.
        with pytest.raises(RuntimeError) as theirs:
            TORCH_UNPOOL[dim](values, broken, 2)
        assert str(ours.value).splitlines()[0] == str(theirs.value).splitlines()[0]
    with pytest.raises(RuntimeError, match="Found an invalid max index"):
        ops.max_unpool_backward(torch.randn((2, 3) + (4,) * dim), broken)
    assert torch.equal(OURS_UNPOOL[dim](values, indices, 2), TORCH_UNPOOL[dim](values, indices, 2))


def expect_same_error(call_torch, call_ours, exc_type, same_message=True):
    with pytest.raises(exc_type) as theirs:
        call_torch()
    with pytest.raises(exc_type) as ours:
        call_ours()
    if same_message:
        assert str(ours.value).splitlines()[0] == str(theirs.value).splitlines()[0]


@pytest.mark.parametrize(
    "output_size",
    [(6, 5), (2, 3, 4, 2), [1, 2, 3], torch.Size([2, 3, 4, 8]), (-1, 4)],
    ids=["too-big", "too-small-full", "wrong-length", "size-too-big", "negative"],
)
def test_wrong_output_size_raises_value_error(output_size):
    values, indices = pooled(2, (2, 3, 4, 5), 2)
    expect_same_error(
        lambda: TF.max_unpool2d(values, indices, 2, output_size=output_size),
        lambda: RF.max_unpool2d(values, indices, 2, output_size=output_size),
        ValueError,
    )


def test_negative_default_size_raises_value_error():
    values, indices = pooled(1, (1, 1, 1), 1)
    expect_same_error(
        lambda: TF.max_unpool1d(values, indices, 1, padding=1),
        lambda: RF.max_unpool1d(values, indices, 1, padding=1),
        ValueError,
    )


@pytest.mark.parametrize("dim,rank", [(1, 1), (1, 4), (2, 2), (2, 5), (3, 3), (3, 6)])
def test_wrong_rank_raises_runtime_error(dim, rank):
    shape = (2,) * rank
    values, indices = torch.randn(shape), torch.zeros(shape, dtype=torch.long)
    expect_same_error(
        lambda: TORCH_UNPOOL[dim](values, indices, 2),
        lambda: OURS_UNPOOL[dim](values, indices, 2),
        RuntimeError,
        same_message=dim > 1,
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda v, i: (v, i.int()),
        lambda v, i: (v, i[:, :, :1]),
        lambda v, i: (v[:, :0], i[:, :0]),
        lambda v, i: (v[:, :, :0], i[:, :, :0]),
    ],
    ids=["int32-indices", "shape-mismatch", "empty-channels", "empty-height"],
)
def test_bad_tensors_raise_runtime_error(device, mutate):
    # Checked by the op (max_unpool_glue.cpp, in each device's build) but for the shape mismatch.
    values, indices = mutate(*pooled(2, (2, 3, 4, 4), 2))
    expect_same_error(
        lambda: TF.max_unpool2d(values, indices, 2),
        lambda: RF.max_unpool2d(device.put(values), device.put(indices), 2),
        RuntimeError,
        same_message=False,
    )


def test_3d_stride_must_be_positive():
    values, indices = pooled(3, (1, 1, 2, 2, 2), 1)
    expect_same_error(
        lambda: TF.max_unpool3d(values, indices, 2, 0), lambda: RF.max_unpool3d(values, indices, 2, 0), RuntimeError
    )


def test_empty_batch_and_empty_output(device):
    values, indices = pooled(2, (2, 3, 4, 4), 2)
    v, i = device.put(values), device.put(indices)
    assert RF.max_unpool2d(v[:0], i[:0], 2).shape == (0, 3, 4, 4)
    # kernel_size 0 unpools to an empty plane, and torch returns it without checking indices.
    empty = RF.max_unpool2d(v, i, 0)
    assert empty.device.type == device.type
    assert empty.shape == TF.max_unpool2d(values, indices, 0).shape == (2, 3, 0, 0)
    # The gradient of an empty plane is zero; an empty batch has an empty one.
    grad = ops.max_unpool_backward(device.put(torch.empty(2, 3, 0, 0)), i)
    assert grad.shape == indices.shape and not grad.any()
    assert ops.max_unpool_backward(device.put(torch.empty(0, 3, 4, 4)), i[:0]).shape == (0, 3, 2, 2)
