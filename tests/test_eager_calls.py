"""The eager entry points (Note [eager calls]): where they take a call, the same bits, gradients and errors as the
general Python path on the same arguments; where they decline, the general path runs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import torchresample
from torchresample import functional

pytestmark = pytest.mark.skipif(functional._eager_interpolate is None, reason="torchresample._eager not built")

MODES = {
    "nearest": (1, 2, 3),
    "nearest-exact": (1, 2, 3),
    "linear": (1,),
    "bilinear": (2,),
    "trilinear": (3,),
    "bicubic": (1, 2, 3),
    "area": (1, 2, 3),
    "lanczos": (1, 2, 3),
    "box": (1, 2, 3),
    "gaussian": (1, 2, 3),
    "mitchell": (1, 2, 3),
    "catmull-rom": (1, 2, 3),
}
INTERPOLATING = ("linear", "bilinear", "trilinear", "bicubic", "lanczos", "box", "gaussian", "mitchell", "catmull-rom")


def general(*args, **kwargs):
    """interpolate by its Python path alone."""
    fast, functional._eager_interpolate = functional._eager_interpolate, None
    try:
        return torchresample.interpolate(*args, **kwargs)
    finally:
        functional._eager_interpolate = fast


def eager(
    x,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
    filter_params=None,
):
    return functional._eager_interpolate(
        x, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias, filter_params
    )


def sizing(dim: int):
    """Size and scale arguments of every accepted form."""
    yield dict(size=5)
    yield dict(size=tuple(range(3, 3 + dim)))
    yield dict(size=list(range(7, 7 - dim, -1)))
    yield dict(scale_factor=2)
    yield dict(scale_factor=0.6)
    yield dict(scale_factor=tuple([1.7, 0.5, 3][:dim]))
    yield dict(scale_factor=[0.75] * dim, recompute_scale_factor=True)
    yield dict(scale_factor=1.3, recompute_scale_factor=False)


def layouts(x: torch.Tensor):
    yield x
    if x.dim() in (4, 5):
        yield x.contiguous(memory_format=torch.channels_last if x.dim() == 4 else torch.channels_last_3d)
    yield x.transpose(-1, -2)  # neither format: the op copies it
    yield x.unsqueeze(0).expand(2, *x.shape)[1]  # a batch of one with a zero stride


def calls():
    for mode, dims in MODES.items():
        for dim in dims:
            for kwargs in sizing(dim):
                corners = (None, False, True) if mode in INTERPOLATING else (None,)
                for align_corners, antialias in itertools.product(corners, (False, True)):
                    if antialias and mode not in INTERPOLATING:
                        continue
                    yield mode, dim, dict(kwargs, align_corners=align_corners, antialias=antialias)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.uint8])
def test_eager_calls_give_the_general_paths_bits(dtype):
    """Every accepted argument form, every mode and rank, every layout: the call is taken (not None) and its result
    equals the general path's bit for bit, shape, dtype and memory format included."""
    taken = 0
    for mode, dim, kwargs in calls():
        shape = (2, 3, 6, 7, 5)[: dim + 2]
        x = (torch.rand(shape, dtype=torch.float64) * 255).to(dtype)
        for xl in layouts(x):
            y = eager(xl, mode=mode, **kwargs)
            assert y is not None, (mode, dim, kwargs)
            ref = general(xl, mode=mode, **kwargs)
            assert y.shape == ref.shape and y.dtype == ref.dtype and y.stride() == ref.stride()
            assert torch.equal(y, ref), (mode, dim, kwargs)
            taken += 1
    assert taken > 500


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area", "lanczos", "gaussian"])
def test_eager_gradients_match_the_general_path(mode):
    """With an input requiring grad, the eager call records the same node: same output, same gradient, and the
    double backward works; under no_grad the output records nothing."""
    x = torch.rand(2, 3, 5, 6, dtype=torch.float64, requires_grad=True)
    kwargs = dict(scale_factor=(1.5, 0.7), mode=mode)
    y = eager(x, **kwargs)
    ref = general(x, **kwargs)
    assert y.requires_grad and y.grad_fn is not None
    g = torch.rand_like(y)
    (gx,) = torch.autograd.grad(y, x, g, create_graph=True)
    (gref,) = torch.autograd.grad(ref, x, g, create_graph=True)
    assert torch.equal(gx, gref)
    if mode != "nearest":
        torch.autograd.gradcheck(lambda t: torchresample.interpolate(t, **kwargs), (x,))
        torch.autograd.gradgradcheck(lambda t: torchresample.interpolate(t, **kwargs), (x,))
    with torch.no_grad():
        assert not eager(x, **kwargs).requires_grad
    with torch.inference_mode():
        assert torch.equal(eager(x.detach(), **kwargs), ref.detach())


def test_eager_calls_keep_forward_ad_and_transforms():
    import torch.autograd.forward_ad as fwAD

    x = torch.rand(1, 2, 4, 4, dtype=torch.float64)
    t = torch.rand_like(x)
    with fwAD.dual_level():
        y = eager(fwAD.make_dual(x, t), scale_factor=2, mode="bilinear")
        tangent = fwAD.unpack_dual(y).tangent
    assert torch.equal(tangent, general(t, scale_factor=2, mode="bilinear"))
    batched = torch.func.vmap(lambda v: torchresample.interpolate(v, size=(3, 5), mode="bicubic"))(x.unsqueeze(0))
    assert torch.equal(batched[0], general(x, size=(3, 5), mode="bicubic"))
    grad = torch.func.grad(lambda v: torchresample.interpolate(v, size=(3, 5), mode="bilinear").sum())(x)
    ref = torch.autograd.grad(general(x.requires_grad_(), size=(3, 5), mode="bilinear").sum(), x)[0]
    assert torch.equal(grad, ref)


class _Subclass(torch.Tensor):
    pass


@pytest.mark.parametrize(
    "args",
    [
        dict(size=4.0),  # a float size: torch's TypeError
        dict(size=(4, True)),  # a bool is not a size
        dict(size=torch.Size([4, 4])),
        dict(size=(np.int64(4), 4)),
        dict(size=(torch.tensor(4), 4)),
        dict(size=(4,)),  # wrong rank: ValueError
        dict(size=(-1, 4)),
        dict(size=4, scale_factor=2.0),
        dict(),
        dict(scale_factor=np.float32(2.0)),
        dict(scale_factor=float("inf")),
        dict(scale_factor=2.0**60),
        dict(size=4, recompute_scale_factor=True),
        dict(size=4, mode="nearest", align_corners=False),
        dict(size=4, mode="area", antialias=True),
        dict(size=4, mode="linear"),  # tied to 1-D
        dict(size=4, mode="bogus"),
        dict(size=4, mode="bilinear", align_corners=1),
        dict(size=4, mode="bilinear", antialias=1),
        dict(size=4, mode="gaussian", filter_params={"sigma": 1.0}),  # parameters: the general path
        dict(size=4, mode="cubic"),  # the op's filter name, not a mode
    ],
)
def test_eager_calls_decline_what_the_general_path_decides(args):
    """Arguments outside the common case come back as None, and interpolate gives the general path's result or its
    exception."""
    x = torch.rand(1, 2, 5, 5)
    kwargs = dict(dict(mode="bilinear"), **args)
    assert eager(x, **kwargs) is None
    try:
        expected = general(x, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the same type and message either way
        with pytest.raises(type(exc), match=None) as info:
            torchresample.interpolate(x, **kwargs)
        assert str(info.value) == str(exc)
    else:
        assert torch.equal(torchresample.interpolate(x, **kwargs), expected)


def test_eager_calls_decline_subclasses_modes_and_tracing():
    x = torch.rand(1, 2, 5, 5)
    assert eager(x.as_subclass(_Subclass), size=3) is None
    with pytest.raises(NotImplementedError):  # a dtype the op refuses: its error, as from the general path
        eager(x.to(torch.int32), size=3)
    assert eager(torch.quantize_per_tensor(x, 0.1, 0, torch.quint8), size=3) is None

    from torch.overrides import TorchFunctionMode

    class Recorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))

    with Recorder():
        assert eager(x, size=3) is None
    traced = torch.jit.trace(lambda t: torchresample.interpolate(t, scale_factor=2, mode="bilinear"), x)
    assert eager(x, size=3) is not None
    big = torch.rand(1, 2, 7, 9)
    assert traced(big).shape == (1, 2, 14, 18)  # the scale stayed dynamic: traced by the general path


def test_eager_pixel_shuffle_matches_the_general_path():
    fast = functional._eager_pixel_shuffle
    x = torch.rand(2, 18, 6, 5)
    for k, factor in ((1, 3), (2, 3)):
        for shuffle in (True, False):
            source = x[..., 0] if k == 1 else x if shuffle else x[:, :, :3, :3]
            y = fast(source, factor, k, shuffle)
            functional._eager_pixel_shuffle = None
            try:
                ref = functional._shuffle(source, factor, k, shuffle, "pixel_shuffle")
            finally:
                functional._eager_pixel_shuffle = fast
            assert torch.equal(y, ref) and y.stride() == ref.stride()
    for bad in (2.0, True, np.int64(2), 0, -1, 2**40):
        assert fast(x, bad, 2, True) is None
    assert fast(x.as_subclass(_Subclass), 3, 2, True) is None
