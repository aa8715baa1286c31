"""torch.func transforms, forward-mode AD and vmap through every op, against the same transform of torch's op (or of
a float64 dense-matrix / torch-composition reference where torch lacks the mode); Note [autograd of linear ops]."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn.functional as F

import torchresample as tr
from conftest import antialias_matrix, apply_matrices, lanczos_matrix, torch_separable
from layer_references import shuffle_reference

TOL = dict(rtol=1e-10, atol=1e-10)
func = torch.func


def interp(mode, **kw):
    """(ours, torch's) for an interpolate call."""
    return (lambda x: tr.interpolate(x, mode=mode, **kw)), (lambda x: F.interpolate(x, mode=mode, **kw))


def matrix_reference(make, sizes, **kw):
    """Our interpolate against the dense float64 matrices of its definition (modes torch lacks)."""

    def ref(x):
        return apply_matrices(x, [make(n, o, **kw) for n, o in zip(x.shape[2:], sizes)])

    return ref


def unpool_reference(x, indices, size):
    """Scatter into zero planes: max_unpool's definition, from torch ops that every transform supports."""
    planes = x.new_zeros(*x.shape[:2], torch.Size(size).numel())
    return planes.scatter(2, indices.flatten(2), x.flatten(2)).view(*x.shape[:2], *size)


def unpool_case(spatial):
    shape = (2, 2) + (6, 4, 4)[:spatial]
    pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[spatial - 1]
    _, indices = pool(torch.randn(shape, dtype=torch.float64), 2, return_indices=True)
    unpool = getattr(tr.functional, f"max_unpool{spatial}d")
    return (lambda x: unpool(x, indices, 2), lambda x: unpool_reference(x, indices, shape[2:]), tuple(indices.shape))


# name -> (ours, reference, per-sample input shape). Torch's own op where it has the mode.
CASES = {
    "nearest-2d-scale": (*interp("nearest", scale_factor=1.7), (2, 3, 5, 4)),
    "nearest-exact-1d": (*interp("nearest-exact", size=7), (2, 3, 5)),
    "linear-1d-corners": (*interp("linear", size=9, align_corners=True), (2, 3, 5)),
    "bilinear-size": (*interp("bilinear", size=(7, 3)), (2, 3, 5, 4)),
    "bilinear-antialias": (*interp("bilinear", size=(3, 2), antialias=True), (2, 3, 7, 5)),
    "bicubic-corners-scale": (*interp("bicubic", scale_factor=(1.5, 0.8), align_corners=True), (2, 3, 5, 4)),
    "bicubic-antialias": (*interp("bicubic", size=(2, 3), antialias=True), (2, 3, 6, 7)),
    "trilinear": (*interp("trilinear", size=(3, 4, 5)), (1, 2, 4, 3, 3)),
    "area-2d": (*interp("area", size=(3, 2)), (2, 3, 7, 5)),
    "nearest-3d": (*interp("nearest", size=(2, 5, 3)), (1, 2, 4, 3, 3)),
    # Modes torch lacks: the definition as dense matrices, or torch's 2-D kernels per axis.
    "lanczos-2d": (
        lambda x: tr.interpolate(x, size=(4, 7), mode="lanczos"),
        matrix_reference(lanczos_matrix, (4, 7)),
        (2, 3, 9, 5),
    ),
    "linear-antialias-1d": (
        lambda x: tr.interpolate(x, size=4, mode="linear", antialias=True),
        matrix_reference(antialias_matrix, (4,), filt="linear"),
        (2, 3, 11),
    ),
    "trilinear-antialias": (
        lambda x: tr.interpolate(x, size=(2, 3, 2), mode="trilinear", antialias=True),
        matrix_reference(antialias_matrix, (2, 3, 2), filt="linear"),
        (1, 2, 5, 6, 3),
    ),
    "bicubic-1d": (
        lambda x: tr.interpolate(x, size=7, mode="bicubic"),
        lambda x: torch_separable(x, (7,), "bicubic"),
        (2, 3, 5),
    ),
    "bicubic-3d-antialias": (
        lambda x: tr.interpolate(x, size=(2, 4, 2), mode="bicubic", antialias=True),
        lambda x: torch_separable(x, (2, 4, 2), "bicubic", antialias=True),
        (1, 2, 5, 3, 4),
    ),
    "pixel_shuffle": (lambda x: tr.functional.pixel_shuffle(x, 2), lambda x: F.pixel_shuffle(x, 2), (2, 8, 3, 2)),
    "pixel_unshuffle": (lambda x: tr.functional.pixel_unshuffle(x, 2), lambda x: F.pixel_unshuffle(x, 2), (2, 2, 4, 6)),
    "pixel_shuffle3d": (
        lambda x: tr.functional.pixel_shuffle3d(x, 2),
        lambda x: shuffle_reference(x, 2, 3),
        (1, 16, 2, 1, 2),
    ),
    "max_unpool1d": unpool_case(1),
    "max_unpool2d": unpool_case(2),
    "max_unpool3d": unpool_case(3),
}


def backward_ops():
    """The gradient ops themselves, called directly, against torch's backward ops."""
    size, in_shape = [7, 3], (2, 3, 5, 4)
    _, indices = F.max_pool2d(torch.randn(2, 3, 6, 4), 2, return_indices=True)
    return {
        "resample_backward": (
            lambda g: torch.ops.torchresample.resample_backward(g, list(in_shape[2:]), "linear"),
            lambda g: torch.ops.aten.upsample_bilinear2d_backward.default(g, size, in_shape, False),
            (2, 3, *size),
        ),
        "max_unpool_backward": (
            lambda g: torch.ops.torchresample.max_unpool_backward(g, indices),
            lambda g: g.flatten(2).gather(2, indices.flatten(2)).view(indices.shape),
            (2, 3, 6, 4),
        ),
    }


CASES.update(backward_ops())


def sample(shape, batch=()):
    return torch.randn(*batch, *shape, dtype=torch.float64)


def scalar(f):
    """A scalar function of f's output with a non-zero Hessian (f is linear)."""
    return lambda x: f(x).sin().sum()


def assert_same(a, b):
    torch.testing.assert_close(a, b, **TOL)


@pytest.mark.parametrize("name", list(CASES))
def test_reverse_mode_transforms_match_the_reference(name):
    ours, ref, shape = CASES[name]
    x = sample(shape)
    assert_same(func.grad(scalar(ours))(x), func.grad(scalar(ref))(x))
    out, pullback = func.vjp(ours, x)
    cotangent = torch.randn_like(out)
    assert_same(pullback(cotangent)[0], func.vjp(ref, x)[1](cotangent)[0])
    assert_same(func.jacrev(ours)(x), func.jacrev(ref)(x))


@pytest.mark.parametrize("name", list(CASES))
def test_forward_mode_transforms_match_the_reference(name):
    ours, ref, shape = CASES[name]
    x, t = sample(shape), sample(shape)
    out, tangent = func.jvp(ours, (x,), (t,))
    ref_out, ref_tangent = func.jvp(ref, (x,), (t,))
    assert_same(out, ref_out)
    assert_same(tangent, ref_tangent)
    assert_same(func.jacfwd(ours)(x), func.jacfwd(ref)(x))
    # The Hessian (forward over reverse): every derivative of ours is itself differentiable.
    assert_same(func.hessian(scalar(ours))(x), func.hessian(scalar(ref))(x))


@pytest.mark.parametrize("name", list(CASES))
def test_dual_tensors_carry_the_tangent(name):
    ours, ref, shape = CASES[name]
    x, t = sample(shape), sample(shape)
    with fwAD.dual_level():
        ours_out = fwAD.unpack_dual(ours(fwAD.make_dual(x, t)))
        ref_out = fwAD.unpack_dual(ref(fwAD.make_dual(x, t)))
    assert ours_out.tangent is not None
    assert_same(ours_out.primal, ref_out.primal)
    assert_same(ours_out.tangent, ref_out.tangent)


def test_dual_input_that_requires_grad_gives_both_derivatives():
    x, t = sample((1, 2, 5, 4)), sample((1, 2, 5, 4))
    x.requires_grad_(True)
    with fwAD.dual_level():
        y = tr.interpolate(fwAD.make_dual(x, t), size=(3, 7), mode="bicubic")
        tangent = fwAD.unpack_dual(y).tangent
        (grad,) = torch.autograd.grad(y.sum(), x)
    xr = x.detach().requires_grad_(True)
    ref = F.interpolate(xr, size=(3, 7), mode="bicubic")
    assert_same(tangent, F.interpolate(t, size=(3, 7), mode="bicubic"))
    assert_same(grad, torch.autograd.grad(ref.sum(), xr)[0])


# vmap: (in_dims, how the batch of 3 per-sample inputs is laid out).
VMAP_LAYOUTS = {
    "in_dims=0": (0, lambda b: b),
    "in_dims=1": (1, lambda b: b.movedim(0, 1)),
    "in_dims=-1": (-1, lambda b: b.movedim(0, -1)),
}


@pytest.mark.parametrize("layout", list(VMAP_LAYOUTS))
@pytest.mark.parametrize("name", list(CASES))
def test_vmap_uses_a_batching_rule_and_matches_the_reference(name, layout):
    ours, ref, shape = CASES[name]
    in_dims, arrange = VMAP_LAYOUTS[layout]
    batch = sample(shape, (3,))
    with warnings.catch_warnings():
        # The per-sample fallback warns "There is a performance drop"; a batching rule does not.
        warnings.simplefilter("error", UserWarning)
        out = func.vmap(ours, in_dims=in_dims)(arrange(batch))
        nested = func.vmap(func.vmap(ours))(sample(shape, (2, 3)))
    assert_same(out, torch.stack([ref(b) for b in batch]))
    assert nested.shape[:2] == (2, 3)


@pytest.mark.parametrize("name", ["bilinear-size", "lanczos-2d", "pixel_shuffle", "max_unpool2d", "resample_backward"])
def test_transforms_compose(name):
    ours, ref, shape = CASES[name]
    batch = sample(shape, (3,))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        per_sample_grads = func.vmap(func.grad(scalar(ours)))(batch)
        grad_of_vmap = func.grad(lambda b: func.vmap(ours)(b).sin().sum())(batch)
        jvp_in_vmap = func.vmap(lambda x: func.jvp(ours, (x,), (x,))[1])(batch)
    assert_same(per_sample_grads, func.vmap(func.grad(scalar(ref)))(batch))
    assert_same(grad_of_vmap, func.grad(lambda b: func.vmap(ref)(b).sin().sum())(batch))
    assert_same(jvp_in_vmap, torch.stack([ref(b) for b in batch]))


def test_vmap_of_max_unpool_with_batched_indices():
    x = sample((2, 2, 6, 4), (3,))
    pooled, indices = func.vmap(lambda v: F.max_pool2d(v, 2, return_indices=True))(x)
    out = func.vmap(lambda p, i: tr.functional.max_unpool2d(p, i, 2))(pooled, indices)
    assert_same(out, torch.stack([F.max_unpool2d(p, i, 2) for p, i in zip(pooled, indices)]))
    shared = func.vmap(lambda p: tr.functional.max_unpool2d(p, indices[0], 2))(pooled)
    assert_same(shared, torch.stack([F.max_unpool2d(p, indices[0], 2) for p in pooled]))


def test_inplace_change_of_saved_indices_is_caught():
    # As torch's own max_unpool: the indices are saved, and changing them before backward is an error.
    pooled, indices = F.max_pool2d(torch.randn(1, 1, 4, 4), 2, return_indices=True)
    x = pooled.detach().requires_grad_(True)
    y = tr.functional.max_unpool2d(x, indices, 2)
    indices.add_(0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("name", ["bicubic-antialias", "lanczos-2d", "nearest-3d", "pixel_shuffle"])
def test_transforms_on_the_cuda_devices(dev, name):
    """The CUDA kernels under the transforms (a GPU, or the emulated device): as the CPU kernels give them."""
    ours, _, shape = CASES[name]

    def derivatives(x, t, batch):
        return func.grad(scalar(ours))(x), func.jvp(ours, (x,), (t,))[1], func.vmap(ours)(batch)

    args = (sample(shape), sample(shape), sample(shape, (3,)))
    got = derivatives(*(dev.put(a) for a in args))
    for g, e in zip(got, dev.host(derivatives, *args)):
        torch.testing.assert_close(g.cpu(), e, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["linear-1d-corners", "nearest-3d", "pixel_shuffle", "max_unpool2d"])
def test_second_derivatives_in_every_order(name):
    ours, ref, shape = CASES[name]
    x = sample(shape)
    for outer, inner in [(func.jacfwd, func.jacfwd), (func.jacrev, func.jacrev), (func.jacrev, func.jacfwd)]:
        assert_same(outer(inner(scalar(ours)))(x), outer(inner(scalar(ref)))(x))
