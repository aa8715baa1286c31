"""pixel_shuffle / pixel_unshuffle on every device of the matrix (the CPU, a GPU, the emulated device): against torch's
ops, reshape/permute references and our CPU kernels (bit for bit: these ops only move elements), for every dtype,
layout and output format, the 3-D and op-level 1-D variants, any batch dims, empty tensors, gradients, opcheck and
the op's shape errors; the Python layer's argument errors on the CPU."""

import pytest
import torch
import torch.nn.functional as TF

import torchresample.functional as RF
from layer_references import ALL_DTYPES, random, same, shuffle_reference, unshuffle_reference

ops = torch.ops.torchresample


SHAPES_2D = [
    ((8, 3, 5), 2),
    ((2, 8, 3, 5), 2),
    ((2, 3, 18, 2, 4), 3),
    ((1, 4, 1, 1), 2),
    ((2, 5, 3, 4), 1),
    ((3, 64, 33, 17), 4),
]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
@pytest.mark.parametrize("shape,r", SHAPES_2D)
def test_shuffle_and_unshuffle_match_torch(device, dtype, shape, r):
    x = random(shape, dtype)
    on_device = device.put(x)
    actual = RF.pixel_shuffle(on_device, r)
    assert actual.device.type == device.type
    same(actual, TF.pixel_shuffle(x, r))
    same(actual, device.host(RF.pixel_shuffle, x, r))
    assert torch.equal(actual, TF.pixel_shuffle(on_device, r))
    back = RF.pixel_unshuffle(actual, r)
    same(back, TF.pixel_unshuffle(TF.pixel_shuffle(x, r), r))
    same(back, device.host(RF.pixel_unshuffle, actual, r))
    assert torch.equal(back.cpu(), x)


def layouts(x):
    yield "contiguous", x
    yield "channels_last", x.contiguous(memory_format=torch.channels_last)
    yield "transposed", x.transpose(-1, -2).contiguous().transpose(-1, -2)
    yield "sliced", torch.cat([x, x], dim=1)[:, ::2]
    yield "expanded", x[:1].expand(x.shape)
    yield "offset", torch.cat([x.flatten(), x.flatten()])[7 : 7 + x.numel()].view(x.shape)


@pytest.mark.parametrize("unshuffle", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bool, torch.int64, torch.float16], ids=str)
def test_layouts_match_torch_values_and_strides(device, unshuffle, dtype):
    x = random((2, 16, 8, 12), dtype, seed=1)
    ours, theirs = (RF.pixel_unshuffle, TF.pixel_unshuffle) if unshuffle else (RF.pixel_shuffle, TF.pixel_shuffle)
    # Each layout built on the device itself (moving a view there would copy it into a dense tensor).
    for (name, view), (_, on_device) in zip(layouts(x), layouts(device.put(x))):
        actual = ours(on_device, 2)
        # torch's CPU format on every device (torch's CUDA op gives a contiguous shuffle of a channels-last input).
        same(actual, theirs(view, 2), name)
        same(actual, device.host(ours, view, 2), name)
        assert torch.equal(actual, theirs(on_device, 2)), name


@pytest.mark.parametrize(
    "shape,r", [((2, 16, 3, 2, 5), 2), ((3, 27, 1, 2, 2), 3), ((2, 2, 8, 2, 1, 3), 2), ((16, 3, 3, 3), 2)]
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.int16, torch.bool, torch.complex128], ids=str)
def test_shuffle3d_matches_reshape_permute(device, shape, r, dtype):
    x = random(shape, dtype)
    y = RF.pixel_shuffle3d(device.put(x), r)
    same(y, device.host(RF.pixel_shuffle3d, x, r))
    assert torch.equal(y.cpu(), shuffle_reference(x, r, 3))
    z = RF.pixel_unshuffle3d(y, r)
    same(z, device.host(RF.pixel_unshuffle3d, y, r))
    assert torch.equal(z.cpu(), unshuffle_reference(y.cpu(), r, 3)) and torch.equal(z.cpu(), x)


@pytest.mark.parametrize("unshuffle", [False, True])
def test_shuffle3d_keeps_channels_last_3d(device, unshuffle):
    x = random((2, 16, 4, 2, 6)).contiguous(memory_format=torch.channels_last_3d)
    fn, inverse, reference = (
        (RF.pixel_unshuffle3d, RF.pixel_shuffle3d, unshuffle_reference)
        if unshuffle
        else (RF.pixel_shuffle3d, RF.pixel_unshuffle3d, shuffle_reference)
    )
    y = fn(device.put(x), 2)
    assert y.is_contiguous(memory_format=torch.channels_last_3d)
    same(y, device.host(fn, x, 2))
    assert torch.equal(y.cpu(), reference(x, 2, 3))
    z = inverse(y, 2)
    assert z.is_contiguous(memory_format=torch.channels_last_3d) and torch.equal(z.cpu(), x)


def test_channels_last_3d_input_to_2d_shuffle(device):
    # torch refuses this layout ("Unsupported memory format"); it is just a 5-D input with one batch axis here.
    x = random((2, 3, 8, 4, 5)).contiguous(memory_format=torch.channels_last_3d)
    y = RF.pixel_shuffle(device.put(x), 2)
    same(y, device.host(RF.pixel_shuffle, x, 2))
    assert torch.equal(y.cpu(), TF.pixel_shuffle(x.contiguous(), 2))


def test_op_1d_matches_reshape_permute(device):
    x = random((2, 6, 5))
    y = ops.pixel_shuffle(device.put(x), 3, 1)
    same(y, device.host(ops.pixel_shuffle, x, 3, 1))
    assert torch.equal(y.cpu(), shuffle_reference(x, 3, 1))
    assert torch.equal(ops.pixel_unshuffle(y, 3, 1).cpu(), x)


@pytest.mark.parametrize("batch", [(), (3,), (2, 3), (2, 1, 2)])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_any_batch_dims(device, batch, k):
    x = random(batch + (2 * 2**k,) + (3, 4, 5)[3 - k :], seed=7)
    y = ops.pixel_shuffle(device.put(x), 2, k)
    same(y, device.host(ops.pixel_shuffle, x, 2, k))
    assert torch.equal(y.cpu(), shuffle_reference(x, 2, k))
    z = ops.pixel_unshuffle(y, 2, k)
    same(z, device.host(ops.pixel_unshuffle, y, 2, k))
    assert torch.equal(z.cpu(), x)
    # A non-mergeable batch view goes through reshape's copy.
    if len(batch) >= 2:
        xt = x.transpose(0, 1)
        yt = ops.pixel_shuffle(device.put(x).transpose(0, 1), 2, k)
        same(yt, device.host(ops.pixel_shuffle, xt, 2, k))
        assert torch.equal(yt.cpu(), shuffle_reference(xt, 2, k))


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
def test_gradcheck_and_gradgradcheck(device, fn, shape, r, layout):
    x = device.put(random(shape, torch.float64))
    if layout is not None:
        x = x.contiguous(memory_format=layout)
    x.requires_grad_()
    assert torch.autograd.gradcheck(lambda t: fn(t, r), (x,))
    assert torch.autograd.gradgradcheck(lambda t: fn(t, r), (x,))


def test_backward_matches_torch(device):
    x = device.put(random((2, 8, 3, 5), torch.float64)).contiguous(memory_format=torch.channels_last)
    weight = device.put(random((2, 2, 6, 10), torch.float64, seed=2))
    grads = []
    for fn in (TF.pixel_shuffle, RF.pixel_shuffle):
        leaf = x.clone().requires_grad_()
        (grad,) = torch.autograd.grad((fn(leaf, 2) * weight).sum(), leaf)
        grads.append(grad)
    assert torch.equal(grads[0], grads[1])


OPCHECK_SAMPLES = [
    (ops.pixel_shuffle.default, (2, 8, 3, 5), 2, 2, None, torch.float64),
    (ops.pixel_shuffle.default, (2, 8, 3, 5), 2, 2, torch.channels_last, torch.float64),
    (ops.pixel_unshuffle.default, (3, 2, 2, 4, 6), 2, 2, None, torch.float64),
    (ops.pixel_shuffle.default, (2, 16, 1, 2, 3), 2, 3, torch.channels_last_3d, torch.float64),
    (ops.pixel_unshuffle.default, (2, 2, 4, 2, 2), 2, 3, None, torch.float64),
    (ops.pixel_shuffle.default, (2, 6, 5), 3, 1, None, torch.float64),
    (ops.pixel_shuffle.default, (2, 8, 3, 5), 2, 2, None, torch.int32),
]


@pytest.mark.parametrize("sample", range(len(OPCHECK_SAMPLES)))
def test_opcheck(device, sample):
    op, shape, r, k, layout, dtype = OPCHECK_SAMPLES[sample]
    x = device.put(random(shape, dtype))
    if layout is not None:
        x = x.contiguous(memory_format=layout)
    if dtype.is_floating_point:
        x.requires_grad_()
    device.opcheck(op, (x, r, k))


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
def test_errors_match_torch(device, name, shape, r):
    # The op's checks (pixel_shuffle_glue.cpp, in each device's build); torch's messages are the same on every device.
    x = random(shape)
    expect_same_error(lambda: getattr(TF, name)(x, r), lambda: getattr(RF, name)(device.put(x), r), RuntimeError)


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
def test_3d_and_overflow_errors(device, fn, shape, r, message):
    with pytest.raises(RuntimeError) as info:
        fn(device.put(random(shape)), r)
    assert message in str(info.value)


@pytest.mark.parametrize("shape", [(0, 8, 3, 5), (2, 0, 3, 5), (2, 8, 0, 5), (0, 2, 8, 3, 5)])
def test_empty_tensors(device, shape):
    x = random(shape)
    y = RF.pixel_shuffle(device.put(x), 2)
    assert y.device.type == device.type
    assert y.shape == TF.pixel_shuffle(x, 2).shape == device.host(RF.pixel_shuffle, x, 2).shape
    shuffled = shape[:-3] + (shape[-3], shape[-2] * 2, shape[-1] * 2)
    # torch returns empty inputs of pixel_unshuffle unchanged, in the wrong shape (torch 2.14); we do not.
    z = RF.pixel_unshuffle(device.put(torch.empty(shuffled)), 2)
    assert z.shape == shape[:-3] + (shape[-3] * 4, shape[-2], shape[-1])
    assert z.shape == device.host(RF.pixel_unshuffle, torch.empty(shuffled), 2).shape
