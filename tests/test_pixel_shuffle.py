"""pixel_shuffle / pixel_unshuffle against torch, and the 3-D (and op-level 1-D) variants against reshape/permute."""

import pytest
import torch
import torch.nn.functional as TF

import torchresample.functional as RF
from layer_references import ALL_DTYPES as DTYPES
from layer_references import shuffle_reference, unshuffle_reference

ops = torch.ops.torchresample


def random(shape, dtype=torch.float32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    if dtype == torch.bool:
        return torch.randint(0, 2, shape, generator=gen).bool()
    if not dtype.is_floating_point and not dtype.is_complex:
        low = 0 if dtype == torch.uint8 else -100
        return torch.randint(low, 100, shape, generator=gen).to(dtype)
    return torch.randn(shape, generator=gen, dtype=dtype if dtype.is_complex else torch.float64).to(dtype)


SHAPES_2D = [((8, 3, 5), 2), ((2, 8, 3, 5), 2), ((2, 3, 18, 2, 4), 3), ((1, 4, 1, 1), 2), ((2, 5, 3, 4), 1)]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape,r", SHAPES_2D)
def test_shuffle_and_unshuffle_match_torch(dtype, shape, r):
    x = random(shape, dtype)
    expected = TF.pixel_shuffle(x, r)
    actual = RF.pixel_shuffle(x, r)
    assert torch.equal(actual, expected) and actual.stride() == expected.stride()
    back = RF.pixel_unshuffle(actual, r)
    assert torch.equal(back, TF.pixel_unshuffle(expected, r)) and torch.equal(back, x)


def layouts(x):
    yield "contiguous", x
    yield "channels_last", x.contiguous(memory_format=torch.channels_last)
    yield "transposed", x.transpose(-1, -2).contiguous().transpose(-1, -2)
    yield "sliced", torch.cat([x, x], dim=1)[:, ::2]
    yield "expanded", x[:1].expand(x.shape)


@pytest.mark.parametrize("unshuffle", [False, True])
def test_layouts_match_torch_values_and_strides(unshuffle):
    x = random((2, 8, 4, 6), seed=1)
    ours, theirs = (RF.pixel_unshuffle, TF.pixel_unshuffle) if unshuffle else (RF.pixel_shuffle, TF.pixel_shuffle)
    for name, view in layouts(x):
        expected = theirs(view, 2)
        actual = ours(view, 2)
        assert torch.equal(actual, expected), name
        assert actual.stride() == expected.stride(), name


@pytest.mark.parametrize("shape,r", [((2, 16, 3, 2, 5), 2), ((3, 27, 1, 2, 2), 3), ((2, 2, 8, 2, 1, 3), 2)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.int16, torch.bool], ids=str)
def test_shuffle3d_matches_reshape_permute(shape, r, dtype):
    x = random(shape, dtype)
    y = RF.pixel_shuffle3d(x, r)
    assert torch.equal(y, shuffle_reference(x, r, 3))
    assert torch.equal(RF.pixel_unshuffle3d(y, r), x)
    assert torch.equal(RF.pixel_unshuffle3d(y, r), unshuffle_reference(y, r, 3))


def test_shuffle3d_keeps_channels_last_3d():
    x = random((2, 16, 3, 2, 5)).contiguous(memory_format=torch.channels_last_3d)
    y = RF.pixel_shuffle3d(x, 2)
    assert y.is_contiguous(memory_format=torch.channels_last_3d)
    assert torch.equal(y, shuffle_reference(x, 2, 3))
    z = RF.pixel_unshuffle3d(y, 2)
    assert z.is_contiguous(memory_format=torch.channels_last_3d) and torch.equal(z, x)


def test_channels_last_3d_input_to_2d_shuffle():
    # torch refuses this layout ("Unsupported memory format"); it is just a 5-D input with one batch axis here.
    x = random((2, 3, 8, 4, 5)).contiguous(memory_format=torch.channels_last_3d)
    assert torch.equal(RF.pixel_shuffle(x, 2), TF.pixel_shuffle(x.contiguous(), 2))


def test_op_1d_matches_reshape_permute():
    x = random((2, 6, 5))
    y = ops.pixel_shuffle(x, 3, 1)
    assert torch.equal(y, shuffle_reference(x, 3, 1))
    assert torch.equal(ops.pixel_unshuffle(y, 3, 1), x)


@pytest.mark.parametrize(
    "fn,shape,r",
    [
        (RF.pixel_shuffle, (2, 8, 2, 3), 2),
        (RF.pixel_unshuffle, (2, 2, 4, 6), 2),
        (RF.pixel_shuffle3d, (1, 8, 2, 1, 2), 2),
        (RF.pixel_unshuffle3d, (2, 1, 2, 4, 2), 2),
    ],
)
def test_gradcheck_and_gradgradcheck(fn, shape, r):
    x = random(shape, torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: fn(t, r), (x,))
    assert torch.autograd.gradgradcheck(lambda t: fn(t, r), (x,))


def test_backward_matches_torch():
    x = random((2, 8, 3, 5), torch.float64).contiguous(memory_format=torch.channels_last)
    weight = random((2, 2, 6, 10), torch.float64, seed=2)
    grads = []
    for fn in (TF.pixel_shuffle, RF.pixel_shuffle):
        leaf = x.clone().requires_grad_()
        (grad,) = torch.autograd.grad((fn(leaf, 2) * weight).sum(), leaf)
        grads.append(grad)
    assert torch.equal(grads[0], grads[1])


OPCHECK_SAMPLES = [
    (ops.pixel_shuffle.default, (2, 8, 3, 5), 2, 2, None),
    (ops.pixel_shuffle.default, (2, 8, 3, 5), 2, 2, torch.channels_last),
    (ops.pixel_unshuffle.default, (3, 2, 2, 4, 6), 2, 2, None),
    (ops.pixel_shuffle.default, (2, 16, 1, 2, 3), 2, 3, torch.channels_last_3d),
    (ops.pixel_unshuffle.default, (2, 2, 4, 2, 2), 2, 3, None),
    (ops.pixel_shuffle.default, (2, 6, 5), 3, 1, None),
]


@pytest.mark.parametrize("sample", range(len(OPCHECK_SAMPLES)))
def test_opcheck(sample):
    op, shape, r, k, layout = OPCHECK_SAMPLES[sample]
    x = random(shape, torch.float64)
    if layout is not None:
        x = x.contiguous(memory_format=layout)
    torch.library.opcheck(op, (x.requires_grad_(), r, k))


def test_opcheck_integer_dtype():
    torch.library.opcheck(ops.pixel_shuffle.default, (random((2, 8, 3, 5), torch.int32), 2, 2))


def expect_same_error(call_torch, call_ours, exc_type):
    with pytest.raises(exc_type) as theirs:
        call_torch()
    with pytest.raises(exc_type) as ours:
        call_ours()
    assert str(ours.value).splitlines()[0] == str(theirs.value).splitlines()[0]


@pytest.mark.parametrize(
    "name,shape,r",
    [
        ("pixel_shuffle", (8, 3), 2),
        ("pixel_shuffle", (2, 8, 3, 5), 0),
        ("pixel_shuffle", (2, 8, 3, 5), -1),
        ("pixel_shuffle", (2, 6, 3, 5), 2),
        ("pixel_unshuffle", (6, 4), 2),
        ("pixel_unshuffle", (2, 2, 5, 6), 2),
        ("pixel_unshuffle", (2, 2, 6, 5), 2),
        ("pixel_unshuffle", (2, 2, 6, 6), 0),
    ],
)
def test_errors_match_torch(name, shape, r):
    x = random(shape)
    expect_same_error(lambda: getattr(TF, name)(x, r), lambda: getattr(RF, name)(x, r), RuntimeError)


@pytest.mark.parametrize("factor", [1.5, True, "2"])
def test_non_integer_factor_raises_type_error(factor):
    x = random((1, 4, 2, 2))
    expect_same_error(lambda: TF.pixel_shuffle(x, factor), lambda: RF.pixel_shuffle(x, factor), TypeError)


@pytest.mark.parametrize(
    "fn,shape,r,message",
    [
        (RF.pixel_shuffle3d, (8, 2, 2), 2, "pixel_shuffle3d expects input to have at least 4 dimensions"),
        (RF.pixel_shuffle3d, (1, 4, 2, 2, 2), 2, "divisible by the cube of upscale_factor, but input.size(-4)=4"),
        (RF.pixel_unshuffle3d, (1, 1, 3, 2, 2), 2, "pixel_unshuffle3d expects depth to be divisible"),
        (RF.pixel_shuffle3d, (1, 8, 2, 2, 2), 0, "pixel_shuffle3d expects a positive upscale_factor"),
        (RF.pixel_shuffle, (1, 1, 1, 1), 2**31, "is not divisible by 4611686018427387904"),
        # At the op: functional.pixel_shuffle raises torch's ValueError first (test_errors.py).
        (
            lambda x, r: torch.ops.torchresample.pixel_shuffle(x, r, 2),
            (1, 1, 1, 1),
            2**40,
            "is not divisible by 1099511627776^2",
        ),
    ],
)
def test_3d_and_overflow_errors(fn, shape, r, message):
    with pytest.raises(RuntimeError) as info:
        fn(random(shape), r)
    assert message in str(info.value)


@pytest.mark.parametrize("shape", [(0, 8, 3, 5), (2, 0, 3, 5), (2, 8, 0, 5), (0, 2, 8, 3, 5)])
def test_empty_tensors(shape):
    x = random(shape)
    assert RF.pixel_shuffle(x, 2).shape == TF.pixel_shuffle(x, 2).shape
    y = torch.empty(shape[:-3] + (shape[-3], shape[-2] * 2, shape[-1] * 2))
    # torch returns empty inputs of pixel_unshuffle unchanged, in the wrong shape (torch 2.14); we do not.
    assert RF.pixel_unshuffle(y, 2).shape == shape[:-3] + (shape[-3] * 4, shape[-2], shape[-1])
