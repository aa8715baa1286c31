"""The layers against torch's (repr, isinstance, pickling, state_dict, forward, backward) and an encoder-decoder."""

import io
import pickle
import warnings

import pytest
import torch
import torch.nn.functional as TF
from torch import nn

import torchresample
import torchresample.functional as RF
import torchresample.nn as rnn


def random(shape, seed=0, dtype=torch.float64):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def pooled(dim, shape, kernel, stride=None, padding=0):
    pool = {1: TF.max_pool1d, 2: TF.max_pool2d, 3: TF.max_pool3d}[dim]
    return pool(random(shape), kernel, stride, padding, return_indices=True)


# (layer name, constructor args, constructor kwargs, inputs). Inputs are built lazily per test.
UPSAMPLE_CASES = [
    ("Upsample", (), dict(scale_factor=2), (2, 3, 4, 5)),
    ("Upsample", (), dict(scale_factor=(2, 1.5)), (1, 2, 4, 6)),
    ("Upsample", (5,), dict(mode="bilinear"), (1, 2, 3, 4)),
    ("Upsample", (), dict(size=(5, 7), mode="bicubic", align_corners=True), (1, 2, 3, 4)),
    ("Upsample", (), dict(scale_factor=1.7, mode="linear", recompute_scale_factor=True), (2, 3, 5)),
    ("Upsample", (), dict(scale_factor=0.5, mode="area"), (1, 2, 6, 8)),
    ("Upsample", (), dict(scale_factor=2, mode="trilinear"), (1, 2, 2, 3, 3)),
    ("Upsample", (), dict(scale_factor=2, mode="nearest-exact"), (1, 2, 3, 3)),
    ("UpsamplingNearest2d", (), dict(size=(5, 6)), (2, 2, 3, 4)),
    ("UpsamplingNearest2d", (), dict(scale_factor=3), (1, 2, 3, 4)),
    ("UpsamplingBilinear2d", (), dict(scale_factor=2), (1, 2, 3, 4)),
    ("UpsamplingBilinear2d", ((5, 7),), dict(), (1, 2, 3, 4)),
    ("PixelShuffle", (2,), dict(), (2, 8, 3, 4)),
    ("PixelShuffle", (3,), dict(), (18, 2, 2)),
    ("PixelUnshuffle", (2,), dict(), (2, 2, 4, 6)),
]

UNPOOL_CASES = [
    ("MaxUnpool1d", (2,), dict(), (1, (2, 3, 8), 2, None, 0), None),
    ("MaxUnpool1d", (3, 2, 1), dict(), (1, (2, 3, 9), 3, 2, 1), [9]),
    ("MaxUnpool2d", ((2, 3),), dict(), (2, (2, 3, 4, 6), (2, 3), None, 0), None),
    ("MaxUnpool2d", (2,), dict(stride=(2, 1), padding=(1, 0)), (2, (3, 5, 6), 2, (2, 1), (1, 0)), (5, 6)),
    ("MaxUnpool3d", (2,), dict(), (3, (1, 2, 4, 4, 6), 2, None, 0), None),
    ("MaxUnpool3d", ((1, 2, 2),), dict(padding=(0, 1, 0)), (3, (1, 2, 3, 5, 4), (1, 2, 2), None, (0, 1, 0)), "full"),
]


def build(name, args, kwargs):
    return getattr(rnn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs)


def check_module_contract(ours, theirs):
    assert isinstance(ours, type(theirs))
    assert repr(ours) == repr(theirs)
    assert ours.state_dict() == theirs.state_dict()
    ours.load_state_dict(theirs.state_dict())
    buffer = io.BytesIO()
    torch.save(ours, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    assert type(loaded) is type(ours) and repr(loaded) == repr(ours)
    clone = pickle.loads(pickle.dumps(ours))
    assert type(clone) is type(ours) and clone.__dict__.keys() == ours.__dict__.keys()
    return clone


@pytest.mark.parametrize("case", UPSAMPLE_CASES, ids=lambda c: f"{c[0]}-{c[2] or c[1]}")
def test_upsampling_and_shuffle_layers_match_torch(case):
    name, args, kwargs, shape = case
    ours, theirs = build(name, args, kwargs)
    clone = check_module_contract(ours, theirs)
    x = random(shape)
    results = []
    for module in (theirs, ours, clone):
        leaf = x.clone().requires_grad_()
        out = module(leaf)
        (grad,) = torch.autograd.grad((out * random(out.shape, seed=1)).sum(), leaf)
        results.append((out, grad))
    for out, grad in results[1:]:
        torch.testing.assert_close(out, results[0][0])
        torch.testing.assert_close(grad, results[0][1])


@pytest.mark.parametrize("case", UNPOOL_CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[4]}")
def test_unpool_layers_match_torch(case):
    name, args, kwargs, (dim, shape, kernel, stride, padding), size = case
    ours, theirs = build(name, args, kwargs)
    clone = check_module_contract(ours, theirs)
    values, indices = pooled(dim, shape, kernel, stride, padding)
    output_size = shape if size == "full" else size
    results = []
    for module in (theirs, ours, clone):
        leaf = values.clone().requires_grad_()
        out = module(leaf, indices, output_size) if output_size is not None else module(leaf, indices)
        (grad,) = torch.autograd.grad((out * random(out.shape, seed=1)).sum(), leaf)
        results.append((out, grad))
    for out, grad in results[1:]:
        assert torch.equal(out, results[0][0]) and torch.equal(grad, results[0][1])


@pytest.mark.parametrize(
    "module,inputs",
    [
        (rnn.Upsample(scale_factor=2, mode="bilinear"), lambda: (random((1, 1, 2, 3)),)),
        (rnn.Upsample(scale_factor=0.5, mode="bicubic", antialias=True), lambda: (random((1, 1, 4, 4)),)),
        (rnn.UpsamplingBilinear2d(size=(3, 4)), lambda: (random((1, 2, 2, 2)),)),
        (rnn.MaxUnpool2d(2), lambda: pooled(2, (1, 2, 4, 4), 2)),
        (rnn.PixelShuffle(2), lambda: (random((1, 4, 2, 3)),)),
        (rnn.PixelUnshuffle3d(2), lambda: (random((1, 1, 2, 2, 4)),)),
    ],
    ids=repr,
)
def test_layer_gradcheck_and_gradgradcheck(module, inputs):
    x, *rest = inputs()
    x.requires_grad_()
    fn = lambda t: module(t, *rest)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x,))
    assert torch.autograd.gradgradcheck(fn, (x,))


def test_upsample_antialias():
    ours = rnn.Upsample(scale_factor=0.4, mode="bilinear", antialias=True)
    assert repr(ours) == "Upsample(scale_factor=0.4, mode='bilinear', antialias=True)"
    assert repr(rnn.Upsample(scale_factor=2, antialias=False)) == repr(nn.Upsample(scale_factor=2))
    x = random((1, 2, 10, 12), dtype=torch.float32)
    torch.testing.assert_close(ours(x), TF.interpolate(x, scale_factor=0.4, mode="bilinear", antialias=True))
    clone = pickle.loads(pickle.dumps(ours))
    assert clone.antialias and torch.equal(clone(x), ours(x))


def test_upsample_unpickles_state_without_antialias():
    # A pickle of an Upsample made before antialias existed restores with the default.
    state = rnn.Upsample(scale_factor=2).__dict__.copy()
    del state["antialias"], state["recompute_scale_factor"]
    restored = rnn.Upsample.__new__(rnn.Upsample)
    restored.__setstate__(state)
    assert restored.antialias is False and restored.recompute_scale_factor is True


def test_pixel_shuffle_3d_layers():
    shuffle, unshuffle = rnn.PixelShuffle3d(2), rnn.PixelUnshuffle3d(2)
    assert repr(shuffle) == "PixelShuffle3d(upscale_factor=2)"
    assert repr(unshuffle) == "PixelUnshuffle3d(downscale_factor=2)"
    assert not isinstance(shuffle, nn.PixelShuffle)
    x = random((2, 16, 2, 3, 1))
    clone = pickle.loads(pickle.dumps(shuffle))
    assert torch.equal(clone(x), RF.pixel_shuffle3d(x, 2))
    assert torch.equal(unshuffle(shuffle(x)), x)


def test_namespaces():
    assert rnn.Upsample is torchresample.Upsample is torchresample.modules.Upsample
    assert isinstance(rnn.UpsamplingBilinear2d(scale_factor=2), (nn.UpsamplingBilinear2d, rnn.Upsample))
    assert set(rnn.__all__) <= set(dir(torchresample))


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("upsample", dict(scale_factor=2, mode="bilinear")),
        ("upsample", dict(size=(3, 5))),
        ("upsample_nearest", dict(scale_factor=2)),
        ("upsample_nearest", dict(size=5)),
        ("upsample_bilinear", dict(scale_factor=2)),
        ("upsample_bilinear", dict(size=(4, 5))),
    ],
)
def test_deprecated_functionals_warn_and_match_torch(name, kwargs):
    x = random((1, 2, 2, 3))
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = getattr(TF, name)(x, **kwargs)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        actual = getattr(RF, name)(x, **kwargs)
    torch.testing.assert_close(actual, expected)
    assert [(w.category, str(w.message)) for w in ours] == [(w.category, str(w.message)) for w in theirs]
    assert ours[0].filename == __file__


class EncoderDecoder(nn.Module):
    """Conv encoder, MaxPool2d with indices, MaxUnpool2d, Upsample + conv, and a PixelShuffle super-resolution head."""

    def __init__(self, layers):
        super().__init__()
        self.enc = nn.Conv2d(3, 6, 3, padding=1)
        self.pool = nn.MaxPool2d(2, return_indices=True)
        self.mid = nn.Conv2d(6, 6, 3, padding=1)
        self.unpool = layers.MaxUnpool2d(2)
        self.up = layers.Upsample(scale_factor=2, mode="bilinear")
        self.fuse = nn.Conv2d(6, 4 * 3, 3, padding=1)
        self.shuffle = layers.PixelShuffle(2)
        self.down = layers.PixelUnshuffle(2)

    def forward(self, x):
        features = torch.relu(self.enc(x))
        pooled, indices = self.pool(features)
        restored = self.unpool(torch.relu(self.mid(pooled)), indices, output_size=features.shape)
        sr = self.shuffle(self.fuse(self.up(restored + features)))
        return sr, self.down(sr)


def test_encoder_decoder_matches_torch():
    torch.manual_seed(0)
    reference = EncoderDecoder(nn).double()
    ours = EncoderDecoder(rnn).double()
    ours.load_state_dict(reference.state_dict())
    x = random((2, 3, 7, 9))
    results = []
    for model in (reference, ours):
        model.zero_grad()
        leaf = x.clone().requires_grad_()
        sr, down = model(leaf)
        loss = (sr * random(sr.shape, seed=1)).sum() + (down**2).mean()
        loss.backward()
        results.append((sr, down, leaf.grad, [p.grad for p in model.parameters()]))
    (sr0, down0, gx0, gp0), (sr1, down1, gx1, gp1) = results
    assert sr1.shape == (2, 3, 28, 36)
    torch.testing.assert_close(sr1, sr0)
    torch.testing.assert_close(down1, down0)
    torch.testing.assert_close(gx1, gx0)
    for a, b in zip(gp1, gp0):
        torch.testing.assert_close(a, b)


def test_compile_and_export():
    def forward(x, values, indices):
        sr = RF.pixel_shuffle(x, 2)
        return sr.sum() + RF.max_unpool2d(values, indices, 2).sum() + RF.pixel_unshuffle3d(sr.unsqueeze(2), 1).sum()

    x = random((2, 8, 4, 6)).requires_grad_()
    values, indices = pooled(2, (2, 3, 4, 6), 2)
    values.requires_grad_()
    compiled = torch.compile(forward, fullgraph=True, dynamic=True)
    torch.testing.assert_close(compiled(x, values, indices), forward(x, values, indices))
    grads = torch.autograd.grad(compiled(x, values, indices), (x, values))
    torch.testing.assert_close(grads, torch.autograd.grad(forward(x, values, indices), (x, values)))

    layer = rnn.MaxUnpool2d(2)
    program = torch.export.export(layer, (values.detach(), indices))
    assert torch.equal(program.module()(values.detach(), indices), layer(values.detach(), indices))
