"""max_unpool1d/2d/3d against torch: values, gradients, layouts, duplicate indices, invalid indices and errors."""

import pytest
import torch
import torch.nn.functional as TF

import torchresample.functional as RF
from layer_references import last_writer_reference

ops = torch.ops.torchresample

POOL = {1: TF.max_pool1d, 2: TF.max_pool2d, 3: TF.max_pool3d}
TORCH_UNPOOL = {1: TF.max_unpool1d, 2: TF.max_unpool2d, 3: TF.max_unpool3d}
OURS_UNPOOL = {1: RF.max_unpool1d, 2: RF.max_unpool2d, 3: RF.max_unpool3d}
CHANNELS_LAST = {2: torch.channels_last, 3: torch.channels_last_3d}


def pooled(dim, shape, kernel, stride=None, padding=0, dtype=torch.float32, seed=0):
    """Random input max-pooled by torch: (values, indices) as max_unpool receives them."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    values, indices = POOL[dim](x, kernel, stride, padding, return_indices=True)
    return values.to(dtype), indices


# (dim, input shape, kernel, stride, padding, output_size form). Overlapping windows (stride < kernel) give duplicate
# indices, which carry equal values.
CASES = [
    (1, (2, 3, 9), 2, None, 0, None),
    (1, (2, 3, 9), 2, None, 0, "spatial"),
    (1, (3, 10), (3,), (2,), (1,), "spatial"),
    (2, (2, 3, 6, 8), 2, None, 0, None),
    (2, (2, 3, 7, 7), (2, 3), (2, 1), (1, 0), "full"),
    (2, (3, 5, 6), 3, 2, 1, "spatial"),
    (3, (1, 2, 4, 4, 6), 2, None, 0, None),
    (3, (2, 4, 5, 6), (1, 2, 2), (1, 2, 2), (0, 1, 0), "spatial"),
    (3, (1, 2, 5, 4, 4), (2, 2, 2), 2, 0, "full"),
]


def case_args(case, dtype=torch.float32):
    dim, shape, kernel, stride, padding, size_form = case
    values, indices = pooled(dim, shape, kernel, stride, padding, dtype)
    output_size = {None: None, "spatial": list(shape[-dim:]), "full": tuple(shape)}[size_form]
    return dim, values, indices, dict(kernel_size=kernel, stride=stride, padding=padding, output_size=output_size)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_forward_matches_torch(case, dtype):
    dim, values, indices, kwargs = case_args(case, dtype)
    expected = TORCH_UNPOOL[dim](values, indices, **kwargs)
    actual = OURS_UNPOOL[dim](values, indices, **kwargs)
    assert actual.shape == expected.shape and actual.dtype == dtype
    assert torch.equal(actual, expected)


@pytest.mark.parametrize("case", [c for c in CASES if len(c[1]) == c[0] + 2 and c[0] > 1])
def test_channels_last_and_strided_inputs(case):
    dim, values, indices, kwargs = case_args(case)
    expected = TORCH_UNPOOL[dim](values, indices, **kwargs)
    cl = CHANNELS_LAST[dim]
    actual = OURS_UNPOOL[dim](values.contiguous(memory_format=cl), indices, **kwargs)
    assert torch.equal(actual, expected)
    assert actual.is_contiguous(memory_format=cl)
    actual = OURS_UNPOOL[dim](values, indices.contiguous(memory_format=cl), **kwargs)
    assert torch.equal(actual, expected) and actual.is_contiguous()
    flipped = values.transpose(-1, -2).contiguous().transpose(-1, -2)
    assert torch.equal(OURS_UNPOOL[dim](flipped, indices, **kwargs), expected)


@pytest.mark.parametrize("case", CASES)
def test_backward_matches_torch(case):
    dim, values, indices, kwargs = case_args(case, torch.float64)
    grads = []
    for unpool in (TORCH_UNPOOL[dim], OURS_UNPOOL[dim]):
        x = values.clone().requires_grad_()
        out = unpool(x, indices, **kwargs)
        weight = torch.randn(out.shape, generator=torch.Generator().manual_seed(1), dtype=out.dtype)
        (grad,) = torch.autograd.grad((out * weight).sum(), x)
        grads.append(grad)
    assert torch.equal(grads[1], grads[0])


@pytest.mark.parametrize("dim,shape", [(1, (2, 2, 6)), (2, (1, 2, 4, 6)), (2, (2, 4, 6)), (3, (1, 2, 2, 4, 4))])
def test_gradcheck_and_gradgradcheck(dim, shape):
    # kernel == stride: unique indices, so the scatter is a linear map with the gather as its transpose.
    values, indices = pooled(dim, shape, 2, dtype=torch.float64)
    values.requires_grad_()
    fn = lambda t: OURS_UNPOOL[dim](t, indices, 2)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (values,))
    assert torch.autograd.gradgradcheck(fn, (values,))


def opcheck_samples():
    v1, i1 = pooled(1, (2, 3, 8), 2, dtype=torch.float64)
    v2, i2 = pooled(2, (2, 3, 4, 6), 2, dtype=torch.float64)
    v3, i3 = pooled(3, (1, 2, 4, 4, 6), 2, dtype=torch.float64)
    return [
        (v1.requires_grad_(), i1, [8]),
        (v2.contiguous(memory_format=torch.channels_last).requires_grad_(), i2, [5, 7]),
        (v3.requires_grad_(), i3, [4, 4, 6]),
    ]


@pytest.mark.parametrize("sample", range(3))
def test_opcheck(sample):
    torch.library.opcheck(ops.max_unpool.default, opcheck_samples()[sample])


def test_opcheck_backward():
    _, indices = pooled(2, (2, 3, 4, 6), 2)
    grad_output = torch.randn(2, 3, 4, 6, dtype=torch.float64, requires_grad=True)
    torch.library.opcheck(ops.max_unpool_backward.default, (grad_output, indices))
    torch.library.opcheck(
        ops.max_unpool_backward.default, (grad_output.detach().contiguous(memory_format=torch.channels_last), indices)
    )


@pytest.mark.parametrize("channels_last", [False, True])
def test_duplicate_indices_last_writer_wins_for_any_thread_count(channels_last):
    gen = torch.Generator().manual_seed(3)
    values = torch.randn(2, 3, 8, 8, generator=gen)
    indices = torch.randint(0, 6, (2, 3, 8, 8), generator=gen)  # 64 elements onto 6 of 256 positions per plane
    expected = last_writer_reference(values, indices, 256).view(2, 3, 16, 16)
    if channels_last:
        values = values.contiguous(memory_format=torch.channels_last)
    threads = torch.get_num_threads()
    try:
        for n in (1, 2, 3):
            torch.set_num_threads(n)
            assert torch.equal(RF.max_unpool2d(values, indices, 2), expected)
        torch.set_num_threads(1)
        # torch's serial CPU loop writes in input order too; with several threads its result varies.
        assert torch.equal(TF.max_unpool2d(values.contiguous(), indices, 2), expected)
    finally:
        torch.set_num_threads(threads)


def test_duplicate_indices_gradient_gathers_every_index():
    values = torch.randn(1, 1, 2, 2, dtype=torch.float64, requires_grad=True)
    indices = torch.zeros(1, 1, 2, 2, dtype=torch.long)
    grad_output = torch.randn(1, 1, 4, 4, dtype=torch.float64)
    for unpool in (TF.max_unpool2d, RF.max_unpool2d):
        (grad,) = torch.autograd.grad(unpool(values, indices, 2), values, grad_output)
        assert torch.equal(grad, grad_output[0, 0, 0, 0].expand(1, 1, 2, 2))


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.int8, torch.bool, torch.complex64])
def test_non_floating_dtypes_are_refused_as_torch_refuses_them(dtype):
    values, indices = pooled(2, (2, 3, 4, 6), 2)
    with pytest.raises(NotImplementedError) as theirs:
        TF.max_unpool2d(values.to(dtype), indices, 2)
    with pytest.raises(NotImplementedError) as mine:
        RF.max_unpool2d(values.to(dtype), indices, 2)
    assert str(mine.value).splitlines()[0] == str(theirs.value).splitlines()[0]


@pytest.mark.parametrize(
    "dim,bad,message",
    [
        (2, 16, "Found an invalid max index: 16 (output volumes are of size 4x4)"),
        (2, -1, "Found an invalid max index: -1 (output volumes are of size 4x4)"),
        (2, 2**40, f"Found an invalid max index: {2**40} (output volumes are of size 4x4)"),
        (2, 2**63 - 1, f"Found an invalid max index: {2**63 - 1} (output volumes are of size 4x4)"),
        (3, 64, "Found an invalid max index: 64 (output volumes are of size 4x4x4)"),
        (1, -(2**62), f"Found an invalid max index: {-(2**62)} (output volumes are of size 4)"),
    ],
)
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
def test_bad_tensors_raise_runtime_error(mutate):
    values, indices = mutate(*pooled(2, (2, 3, 4, 4), 2))
    expect_same_error(
        lambda: TF.max_unpool2d(values, indices, 2),
        lambda: RF.max_unpool2d(values, indices, 2),
        RuntimeError,
        same_message=False,
    )


def test_3d_stride_must_be_positive():
    values, indices = pooled(3, (1, 1, 2, 2, 2), 1)
    expect_same_error(
        lambda: TF.max_unpool3d(values, indices, 2, 0), lambda: RF.max_unpool3d(values, indices, 2, 0), RuntimeError
    )


def test_empty_batch_and_empty_output():
    values, indices = pooled(2, (2, 3, 4, 4), 2)
    assert RF.max_unpool2d(values[:0], indices[:0], 2).shape == (0, 3, 4, 4)
    # kernel_size 0 unpools to an empty plane, and torch returns it without checking indices.
    assert RF.max_unpool2d(values, indices, 0).shape == TF.max_unpool2d(values, indices, 0).shape == (2, 3, 0, 0)
