"""scale_and_translate and crop_and_resize (Note [scale and translate]): against a float64 reference written from the
definition (dense weight matrices per axis and sample, differentiated by torch's autograd), against
jax.image.scale_and_translate and tf.image.crop_and_resize, and against interpolate where the two agree; gradients
with respect to the input, scale, translation and boxes; the ops under opcheck and torch.compile."""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torchresample
from torchresample import crop_and_resize, scale_and_translate

torch.manual_seed(0)

# ---------------------------------------------------------------------------------------------------------------
# The reference: jax's definition, in float64 torch ops (so that autograd gives the reference gradients).

F32_EPS = float(np.finfo(np.float32).eps)


def _keys(x, a=-0.5):
    x = x.abs()
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return torch.where(x < 1, near, torch.where(x < 2, far, torch.zeros_like(x)))


def _lanczos(x, a):
    x = x.abs()
    px = math.pi * x
    safe = torch.where(x == 0, torch.ones_like(px), px)
    value = torch.where(x == 0, torch.ones_like(x), a * torch.sin(safe) * torch.sin(safe / a) / (safe * safe))
    return torch.where(x < a, value, torch.zeros_like(x))


def _bc(x, b, c):
    x = x.abs()
    near = ((12 - 9 * b - 6 * c) * x**3 + (-18 + 12 * b + 6 * c) * x**2 + (6 - 2 * b)) / 6
    far = ((-b - 6 * c) * x**3 + (6 * b + 30 * c) * x**2 + (-12 * b - 48 * c) * x + (8 * b + 24 * c)) / 6
    return torch.where(x < 1, near, torch.where(x < 2, far, torch.zeros_like(x)))


# mode -> (radius, kernel of the signed distance in filter units)
KERNELS = {
    "linear": (1.0, lambda x: (1 - x.abs()).clamp(min=0)),
    "cubic": (2.0, _keys),
    "lanczos": (3.0, lambda x: _lanczos(x, 3.0)),
    "box": (0.5, lambda x: ((x > -0.5) & (x <= 0.5)).to(x.dtype)),
    "gaussian": (1.5, lambda x: torch.exp(-x * x / 0.5) * (x.abs() < 1.5)),
    "mitchell": (2.0, lambda x: _bc(x, 1 / 3, 1 / 3)),
    "catmull-rom": (2.0, lambda x: _bc(x, 0.0, 0.5)),
}
SMOOTH = ["linear", "cubic", "lanczos", "mitchell", "catmull-rom"]  # continuous at their radius: differentiable


def weight_matrix(n_in, n_out, scale, translation, mode, antialias):
    """(n_out, n_in): row o holds the weights output o gives the inputs; scale, translation are 0-d float64 tensors."""
    _, kernel = KERNELS[mode]
    inv = 1 / scale
    ks = torch.clamp(inv, min=1.0) if antialias else torch.ones((), dtype=torch.float64)
    sample = (torch.arange(n_out, dtype=torch.float64) + 0.5) * inv - translation * inv - 0.5  # jax's arithmetic
    x = (torch.arange(n_in, dtype=torch.float64)[None, :] - sample[:, None]) / ks
    w = kernel(x)
    total = w.sum(1, keepdim=True)
    w = torch.where(total.abs() > 1000 * F32_EPS, w / torch.where(total == 0, torch.ones_like(total), total), 0)
    inside = (sample >= -0.5) & (sample <= n_in - 0.5)
    return torch.where(inside[:, None], w, torch.zeros_like(w))


def reference(x, size, scale, translation, mode, antialias, indices=None):
    """Float64 result of the definition: scale, translation (K, k) tensors; x (N, C, *spatial)."""
    k = len(size)
    indices = range(scale.shape[0]) if indices is None else indices.tolist()
    outs = []
    for row, n in enumerate(indices):
        y = x[n].double()
        for a in range(k):
            m = weight_matrix(y.shape[1 + a], size[a], scale[row, a], translation[row, a], mode, antialias)
            y = torch.movedim(torch.tensordot(y, m, dims=([1 + a], [1])), -1, 1 + a)
        outs.append(y)
    return torch.stack(outs)


def per_sample(value, n, k):
    return torch.as_tensor(value, dtype=torch.float64).expand(n, k).clone()


def close(ours, expected, dtype=torch.float64):
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == torch.float64 else dict(rtol=2e-5, atol=2e-5)
    torch.testing.assert_close(ours.double(), expected.double(), **tol)


# ---------------------------------------------------------------------------------------------------------------
# Forward against the reference

CASES = [
    # (input spatial, output size, scale, translation)
    ((13,), (5,), 0.37, 0.8),
    ((9,), (23,), 2.6, -3.7),
    ((24,), (3,), 1 / 8, 0.0),
    ((3,), (24,), 8.0, 0.0),
    ((11, 7), (6, 9), (0.5, 1.3), (1.2, -0.4)),
    ((10, 12), (10, 12), (1.0, 1.0), (0.0, 0.0)),
    ((16, 9), (5, 5), (0.3, 0.55), (-2.5, 3.0)),  # samples outside the input on one side
    ((6, 5, 7), (4, 8, 3), (0.7, 1.6, 0.45), (0.3, -1.1, 0.9)),
]


@pytest.mark.parametrize("mode", list(KERNELS))
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}->{c[1]}" for c in CASES])
def test_forward_matches_the_definition(mode, antialias, case):
    spatial, size, scale, translation = case
    x = torch.randn(2, 3, *spatial, dtype=torch.float64)
    k = len(size)
    s, t = per_sample(scale, 2, k), per_sample(translation, 2, k)
    ours = scale_and_translate(x, size, s, t, mode=mode, antialias=antialias)
    close(ours, reference(x, size, s, t, mode, antialias))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_dtypes_and_layouts(dtype, layout):
    x = torch.randn(3, 4, 17, 11, dtype=torch.float64)
    s = torch.tensor([[0.5, 1.7], [1.0, 0.4], [2.2, 0.9]], dtype=torch.float64)
    t = torch.tensor([[0.3, -1.0], [0.0, 2.0], [-4.0, 0.5]], dtype=torch.float64)
    xin = x.to(dtype)
    if layout == "channels_last":
        xin = xin.contiguous(memory_format=torch.channels_last)
    ours = scale_and_translate(xin, (9, 13), s, t, mode="cubic")
    fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    assert ours.dtype == dtype and ours.is_contiguous(memory_format=fmt)
    expected = reference(xin.double(), (9, 13), s, t, "cubic", True)
    tol = {torch.float32: 2e-5, torch.float16: 2e-2, torch.bfloat16: 6e-2}[dtype]
    torch.testing.assert_close(ours.double(), expected, rtol=tol, atol=tol)


def test_uint8_within_one_of_the_rounded_definition():
    x = torch.randint(0, 256, (2, 3, 40, 30), dtype=torch.uint8)
    s, t = per_sample((0.45, 2.1), 2, 2), per_sample((1.5, -3.0), 2, 2)
    for mode in ("linear", "lanczos", "box"):
        ours = scale_and_translate(x, (18, 61), s, t, mode=mode)
        expected = reference(x, (18, 61), s, t, mode, True).round().clamp(0, 255)
        assert (ours.double() - expected).abs().max() <= 1, mode


def test_per_sample_parameters_and_forms():
    x = torch.randn(3, 2, 12, 10, dtype=torch.float64)
    s = torch.tensor([[0.5, 2.0], [1.0, 1.0], [0.7, 1.3]], dtype=torch.float64)
    t = torch.tensor([[0.0, -1.0], [2.0, 0.0], [-0.5, 0.25]], dtype=torch.float64)
    ours = scale_and_translate(x, (6, 20), s, t)
    for n in range(3):
        one = scale_and_translate(x[n : n + 1], (6, 20), s[n].tolist(), t[n].tolist())
        assert torch.equal(ours[n : n + 1], one)
    # one number, k numbers, a (k,) tensor, a 0-d tensor: the same call
    a = scale_and_translate(x, 7, 0.6, 0.0)
    assert torch.equal(a, scale_and_translate(x, (7, 7), (0.6, 0.6), (0, 0)))
    same = scale_and_translate(x, [7, 7], torch.tensor([0.6, 0.6], dtype=torch.float64), torch.tensor(0.0))
    assert torch.equal(a, same)


def test_identity_and_interpolate():
    """scale 1 and translation 0 copy the input (interpolating filters; Mitchell's blurs, by definition); the whole
    input as a box is interpolate with antialias (both follow the antialias windows: torch's for interpolate, jax's
    here)."""
    x = torch.randn(2, 3, 14, 9, dtype=torch.float64)
    for mode in ("linear", "cubic", "lanczos", "box", "catmull-rom"):
        close(scale_and_translate(x, (14, 9), 1.0, 0.0, mode=mode), x)
    for mode, torch_mode in (("linear", "bilinear"), ("cubic", "bicubic"), ("lanczos", "lanczos")):
        for size in ((5, 4), (31, 20), (7, 17)):
            box = torch.tensor([[0.0, 0.0, 9.0, 14.0]] * 2, dtype=torch.float64)
            ours = crop_and_resize(x, box, size, mode=mode, box_indices=torch.tensor([0, 1]))
            close(ours, torchresample.interpolate(x, size=size, mode=torch_mode, antialias=True))
            if mode == "linear" and size[0] > 14 and size[1] > 9:
                close(ours, F.interpolate(x, size=size, mode="bilinear", align_corners=False))
    x3 = torch.randn(1, 2, 6, 7, 5, dtype=torch.float64)
    box = torch.tensor([[0.0, 0.0, 0.0, 5.0, 7.0, 6.0]], dtype=torch.float64)
    close(
        crop_and_resize(x3, box, (3, 9, 4), mode="linear"),
        torchresample.interpolate(x3, size=(3, 9, 4), mode="trilinear", antialias=True),
    )


def test_modes_by_other_libraries_names():
    x = torch.randn(1, 2, 12, 12, dtype=torch.float64)
    assert torch.equal(scale_and_translate(x, 5, 0.4, 0.0, mode="bilinear"), scale_and_translate(x, 5, 0.4, 0.0))
    assert torch.equal(
        scale_and_translate(x, 5, 0.4, 0.0, mode="lanczos5"),
        scale_and_translate(x, 5, 0.4, 0.0, mode="lanczos", filter_params={"a": 5.0}),
    )
    # nearest, nearest-exact and area are the box
    for mode in ("nearest", "nearest-exact", "area"):
        assert torch.equal(
            scale_and_translate(x, 7, 0.6, 0.3, mode=mode), scale_and_translate(x, 7, 0.6, 0.3, mode="box")
        )


# ---------------------------------------------------------------------------------------------------------------
# Gradients


@pytest.mark.parametrize("mode", SMOOTH)
@pytest.mark.parametrize("antialias", [True, False])
def test_gradcheck_input_scale_translation(mode, antialias):
    x = torch.randn(2, 2, 7, 6, dtype=torch.float64, requires_grad=True)
    s = torch.tensor([[0.55, 1.4], [1.3, 0.62]], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([[0.37, -0.81], [-1.23, 0.58]], dtype=torch.float64, requires_grad=True)

    def f(x, s, t):
        return torch.ops.torchresample.scale_and_translate(x, [5, 8], s, t, mode, antialias, None, None)

    assert torch.autograd.gradcheck(f, (x, s, t), eps=1e-6, atol=1e-5)
    assert torch.autograd.gradgradcheck(lambda x: f(x, s.detach(), t.detach()), (x,))


def test_torch_func_transforms_and_forward_ad():
    """The op's autograd is the linear ops' (Note [autograd of linear ops]): torch.func's grad, jacrev, jvp and vmap,
    forward AD in the input, against the float64 definition; what is not implemented raises."""
    x = torch.randn(2, 1, 6, 5, dtype=torch.float64)
    s = torch.tensor([[0.7, 1.3], [1.6, 0.45]], dtype=torch.float64)
    t = torch.tensor([[0.3, -0.2], [-0.9, 0.35]], dtype=torch.float64)
    v = torch.randn_like(x)

    def f(x, s, t):
        return torch.ops.torchresample.scale_and_translate(x, [4, 7], s, t, "cubic", True, None, None)

    def ref(x, s, t):
        return reference(x, (4, 7), s, t, "cubic", True)

    for argnums in (0, 1, 2, (0, 1, 2)):
        ours = torch.func.grad(lambda *a: f(*a).square().sum(), argnums=argnums)(x, s, t)
        expected = torch.func.grad(lambda *a: ref(*a).square().sum(), argnums=argnums)(x, s, t)
        torch.testing.assert_close(ours, expected, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(
        torch.func.jacrev(f, argnums=1)(x, s, t), torch.func.jacrev(ref, argnums=1)(x, s, t), rtol=1e-9, atol=1e-9
    )
    _, tangent = torch.func.jvp(lambda x: f(x, s, t), (x,), (v,))
    torch.testing.assert_close(tangent, f(v, s, t), rtol=1e-12, atol=1e-12)
    xs = torch.randn(3, 2, 1, 6, 5, dtype=torch.float64)
    torch.testing.assert_close(torch.vmap(lambda xi: f(xi, s, t))(xs), torch.stack([f(xi, s, t) for xi in xs]))
    import torch.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        y = f(fwAD.make_dual(x, v), s, t)
        torch.testing.assert_close(fwAD.unpack_dual(y).tangent, f(v, s, t), rtol=1e-12, atol=1e-12)
        with pytest.raises(NotImplementedError, match="forward-mode derivatives with respect to scale"):
            f(x, fwAD.make_dual(s, torch.ones_like(s)), t)
    # Mixed second derivatives: the input gradient's derivative in scale.
    sg = s.clone().requires_grad_()
    xg = x.clone().requires_grad_()
    (gx,) = torch.autograd.grad(f(xg, sg, t).square().sum(), xg, create_graph=True)
    with pytest.raises(NotImplementedError, match="mixed second derivatives"):
        torch.autograd.grad(gx.sum(), sg)


@pytest.mark.parametrize("batched", ["input", "scale", "both"])
def test_vmap_folds_into_the_samples(batched):
    """The batching rules (no per-sample fallback) against a loop, with indices and regions, forward and every
    gradient (the backward ops under vmap through jacrev)."""
    xs = torch.randn(3, 2, 2, 9, 8, dtype=torch.float64)
    ss = torch.rand(3, 3, 2, dtype=torch.float64) + 0.5
    ts = torch.randn(3, 3, 2, dtype=torch.float64)
    idx = torch.tensor([1, 0, 1])
    regions = torch.tensor([[0, 0, 9, 8], [1, 2, 7, 8], [2, 0, 9, 5]])
    x, s, t = xs[0], ss[0], ts[0]

    def f(x, s, t):
        return torch.ops.torchresample.scale_and_translate(x, [4, 5], s, t, "cubic", True, None, idx, regions)

    dims = {"input": (0, None, None), "scale": (None, 0, 0), "both": (0, 0, 0)}[batched]
    args = [many if d == 0 else one for many, one, d in zip((xs, ss, ts), (x, s, t), dims)]
    loop = [f(*[a[b] if d == 0 else a for a, d in zip(args, dims)]) for b in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the fallback warns of its "performance drop"
        torch.testing.assert_close(torch.vmap(f, in_dims=dims)(*args), torch.stack(loop))
        jac = torch.func.jacrev(f, argnums=(0, 1, 2))(x, s, t)
    expected = torch.autograd.functional.jacobian(f, (x, s, t))
    for a, e in zip(jac, expected):
        torch.testing.assert_close(a, e, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("params", [False, True], ids=["input", "input_scale_translation"])
def test_compiled_autograd_traces_the_backward(params):
    """Compiled autograd captures the node's vector-Jacobian products (with the parameters' when they require grad):
    the gradients equal eager autograd's."""
    from torch._dynamo import compiled_autograd

    torch._dynamo.reset()
    captures = []

    def compiler(gm):
        captures.append(gm)
        return torch.compile(gm, backend="aot_eager", fullgraph=True)

    x = torch.randn(2, 3, 9, 8, dtype=torch.float64, requires_grad=True)
    s = torch.tensor([[0.6, 1.3], [1.1, 0.7]], dtype=torch.float64, requires_grad=params)
    t = torch.tensor([[0.2, -0.4], [0.5, 0.1]], dtype=torch.float64, requires_grad=params)
    w = torch.randn(2, 3, 5, 6, dtype=torch.float64)

    def loss():
        return (torch.ops.torchresample.scale_and_translate(x, [5, 6], s, t, "cubic", True, None, None) * w).sum()

    leaves = (x, s, t) if params else (x,)
    expected = torch.autograd.grad(loss(), leaves)
    with compiled_autograd._enable(compiler):
        loss().backward()
    for leaf, e in zip(leaves, expected):
        torch.testing.assert_close(leaf.grad, e, rtol=0, atol=1e-12)
    name = "_vjp_with_parameters" if params else "_vjp"
    assert len(captures) == 1 and f"torchresample_scale_and_translate{name}" in captures[0].code


@pytest.mark.parametrize("mode", SMOOTH)
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_gradients_match_the_definitions(mode, dims):
    spatial = {1: (19,), 2: (11, 13), 3: (6, 7, 5)}[dims]
    size = {1: (8,), 2: (15, 6), 3: (9, 4, 8)}[dims]
    x = torch.randn(2, 3, *spatial, dtype=torch.float64, requires_grad=True)
    s = (torch.rand(2, dims, dtype=torch.float64) * 1.5 + 0.3).requires_grad_()
    t = (torch.randn(2, dims, dtype=torch.float64) * 2).requires_grad_()
    g = torch.randn(2, 3, *size, dtype=torch.float64)
    ours = torch.autograd.grad(scale_and_translate(x, size, s, t, mode=mode), (x, s, t), g)
    expected = torch.autograd.grad(reference(x, size, s, t, mode, True), (x, s, t), g)
    for a, b in zip(ours, expected):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


def test_input_gradient_is_deterministic_and_gathers_every_box():
    """Boxes overlapping on one image: the input gradient sums them in a fixed order, the same bits for any thread
    count."""
    x = torch.randn(2, 8, 40, 40, requires_grad=True)
    boxes = torch.rand(64, 4) * 20
    boxes[:, 2:] += boxes[:, :2] + 5
    idx = torch.randint(0, 2, (64,))
    g = torch.randn(64, 8, 7, 7)
    results = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        results.append(torch.autograd.grad(crop_and_resize(x, boxes, 7, box_indices=idx), x, g)[0])
    torch.set_num_threads(2)
    assert torch.equal(results[0], results[1])
    expected = torch.autograd.grad(
        reference(x.double(), (7, 7), *box_params(boxes.double(), (7, 7)), "linear", True, idx), x, g.double()
    )[0]
    torch.testing.assert_close(results[0].double(), expected.double(), rtol=1e-4, atol=1e-5)


def test_many_channels_small_boxes_read_channels_last():
    """Note [sampled layout]: small outputs of a planar tensor with many channels run on a channels-last copy; the
    result is planar and equals the definition, forward and input gradient."""
    x = torch.randn(2, 32, 30, 26, dtype=torch.float64, requires_grad=True)
    boxes = torch.tensor([[1.5, 2.0, 14.0, 11.5], [-3.0, 4.0, 9.0, 29.0], [0.0, 0.0, 26.0, 30.0]], dtype=torch.float64)
    idx = torch.tensor([1, 0, 1])
    g = torch.randn(3, 32, 7, 5, dtype=torch.float64)
    ours = crop_and_resize(x, boxes, (7, 5), mode="cubic", box_indices=idx)
    expected = reference(x, (7, 5), *box_params(boxes, (7, 5)), "cubic", True, idx)
    assert ours.is_contiguous()
    torch.testing.assert_close(ours, expected, rtol=1e-10, atol=1e-10)
    (grad,) = torch.autograd.grad(ours, x, g)
    assert grad.is_contiguous()
    torch.testing.assert_close(grad, torch.autograd.grad(expected, x, g)[0], rtol=1e-10, atol=1e-10)


def box_params(boxes, size):
    k = len(size)
    low, high = boxes[:, :k].flip(1), boxes[:, k:].flip(1)
    scale = torch.tensor(size, dtype=boxes.dtype) / (high - low)
    return scale, -low * scale


def test_box_gradients_match_the_definition():
    x = torch.randn(3, 2, 16, 20, dtype=torch.float64, requires_grad=True)
    boxes = torch.tensor(
        [[1.5, 2.0, 14.0, 11.5], [-3.0, 4.0, 9.0, 19.0], [0.0, 0.0, 20.0, 16.0], [5.2, 6.1, 6.9, 7.3]],
        dtype=torch.float64,
        requires_grad=True,
    )
    idx = torch.tensor([0, 2, 1, 2])
    g = torch.randn(4, 2, 6, 5, dtype=torch.float64)
    ours = torch.autograd.grad(crop_and_resize(x, boxes, (6, 5), mode="cubic", box_indices=idx), (x, boxes), g)
    expected = torch.autograd.grad(reference(x, (6, 5), *box_params(boxes, (6, 5)), "cubic", True, idx), (x, boxes), g)
    for a, b in zip(ours, expected):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)
    assert torch.autograd.gradcheck(
        lambda b: crop_and_resize(x.detach(), b, (4, 3), mode="catmull-rom", box_indices=idx), (boxes,)
    )


# ---------------------------------------------------------------------------------------------------------------
# crop_and_resize's forms


def test_boxes_as_a_list_per_image():
    x = torch.randn(2, 3, 20, 24)
    per_image = [torch.tensor([[1.0, 2.0, 10.0, 12.0]]), torch.tensor([[0.0, 0.0, 24.0, 20.0], [5.0, 5.0, 9.0, 7.0]])]
    ours = crop_and_resize(x, per_image, (4, 6))
    flat = crop_and_resize(x, torch.cat(per_image), (4, 6), box_indices=torch.tensor([0, 1, 1]))
    assert ours.shape == (3, 3, 4, 6) and torch.equal(ours, flat)
    one = crop_and_resize(x[1:], torch.tensor([[5.0, 5.0, 9.0, 7.0]]), (4, 6))
    assert torch.equal(one[0], ours[2])


# ---------------------------------------------------------------------------------------------------------------
# Errors

INVALID = [
    ("unknown_mode", lambda x: scale_and_translate(x, 4, 0.5, 0.0, mode="bogus"), ValueError),
    ("negative_scale", lambda x: scale_and_translate(x, 4, -0.5, 0.0), ValueError),
    ("zero_scale", lambda x: scale_and_translate(x, 4, 0.0, 0.0), ValueError),
    ("nan_translation", lambda x: scale_and_translate(x, 4, 0.5, float("nan")), ValueError),
    ("size_count", lambda x: scale_and_translate(x, (4, 4, 4), 0.5, 0.0), ValueError),
    ("scale_shape", lambda x: scale_and_translate(x, 4, torch.ones(3, 2), 0.0), ValueError),
    ("zero_size", lambda x: scale_and_translate(x, 0, 0.5, 0.0), RuntimeError),
    ("int32", lambda x: scale_and_translate(x.int(), 4, 0.5, 0.0), NotImplementedError),
    ("box_shape", lambda x: crop_and_resize(x, torch.ones(2, 3), 4, box_indices=torch.tensor([0, 1])), ValueError),
    ("box_indices_missing", lambda x: crop_and_resize(x, torch.tensor([[0.0, 0.0, 4.0, 4.0]]), 4), ValueError),
    (
        "box_index_out_of_range",
        lambda x: crop_and_resize(x, torch.tensor([[0.0, 0.0, 4.0, 4.0]]), 4, box_indices=torch.tensor([2])),
        IndexError,
    ),
    (
        "empty_box",
        lambda x: crop_and_resize(x, torch.tensor([[2.0, 0.0, 2.0, 4.0]]), 4, box_indices=torch.tensor([0])),
        ValueError,
    ),
]


@pytest.mark.parametrize("call,exc", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_calls(call, exc):
    with pytest.raises(exc):
        call(torch.randn(2, 3, 8, 8))


# ---------------------------------------------------------------------------------------------------------------
# The ops under torch's op checks and torch.compile


def _op_samples():
    x = torch.randn(2, 3, 9, 7, dtype=torch.float64, requires_grad=True)
    s = torch.tensor([[0.5, 1.2], [1.4, 0.8]], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([[0.3, -0.2], [1.0, 0.1]], dtype=torch.float64, requires_grad=True)
    idx = torch.tensor([1, 0, 1])
    s3 = torch.tensor([[0.5, 1.2], [1.4, 0.8], [2.0, 2.0]], dtype=torch.float64)
    return [
        (x, [5, 8], s, t, "cubic", True, None, None),
        (x.detach(), [4, 4], s3, s3 * 0.1, "lanczos", False, [2.0], idx),
        (x.detach().float().contiguous(memory_format=torch.channels_last), [6, 3], s.detach(), t.detach(), "box"),
    ]


@pytest.mark.parametrize("index", range(3))
def test_opcheck(index):
    args = _op_samples()[index]
    torch.library.opcheck(torch.ops.torchresample.scale_and_translate.default, args)


def test_compile_fullgraph():
    x = torch.randn(2, 3, 16, 16)
    boxes = torch.tensor([[1.0, 2.0, 12.0, 14.0], [0.0, 0.0, 16.0, 16.0]])
    idx = torch.tensor([0, 1])

    def f(x, boxes):
        return crop_and_resize(x, boxes, (7, 7), box_indices=idx).sum()

    compiled = torch.compile(f, fullgraph=True, backend="aot_eager")
    torch.testing.assert_close(compiled(x, boxes), f(x, boxes))


# ---------------------------------------------------------------------------------------------------------------
# Against the real thing: jax.image.scale_and_translate, tf.image.crop_and_resize

jax = pytest.importorskip("jax", reason="jax (a test dependency: requirements-dev.txt) is not installed")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

JAX_METHODS = {"linear": "linear", "cubic": "cubic", "lanczos": "lanczos3"}


@pytest.mark.parametrize("mode", list(JAX_METHODS) + ["lanczos5"])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}->{c[1]}" for c in CASES])
def test_against_jax(mode, antialias, case):
    spatial, size, scale, translation = case
    k = len(size)
    x = torch.randn(1, 2, *spatial, dtype=torch.float64)
    # Off the kinks (a sample on an input pixel, scale 1 under antialias), where the derivatives are one-sided and
    # jax's autodiff takes another side than ours.
    s = torch.as_tensor(scale, dtype=torch.float64).expand(k) * 1.0007
    t = torch.as_tensor(translation, dtype=torch.float64).expand(k) + 0.0123
    method = JAX_METHODS.get(mode, mode)
    dims = list(range(2, 2 + k))

    def theirs(image, s, t):
        return jax.image.scale_and_translate(image, (1, 2, *size), dims, s, t, method=method, antialias=antialias)

    jx, js, jt = jnp.asarray(x.numpy()), jnp.asarray(s.numpy()), jnp.asarray(t.numpy())
    expected = torch.from_numpy(np.array(theirs(jx, js, jt)))
    xs = x.clone().requires_grad_()
    ss = s.clone()[None].requires_grad_()
    ts = t.clone()[None].requires_grad_()
    ours = scale_and_translate(xs, size, ss, ts, mode=mode, antialias=antialias)
    torch.testing.assert_close(ours, expected, rtol=1e-7, atol=1e-7)
    g = torch.randn(ours.shape, dtype=torch.float64)
    mine = torch.autograd.grad(ours, (xs, ss, ts), g)
    _, vjp = jax.vjp(theirs, jx, js, jt)
    for a, b in zip(mine, vjp(jnp.asarray(g.numpy()))):
        torch.testing.assert_close(a.reshape(np.shape(b)), torch.from_numpy(np.array(b)), rtol=1e-6, atol=1e-6)


def _tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import tensorflow as tf
    except ImportError:
        pytest.skip("tensorflow-cpu is not installed (an optional test dependency: pip install tensorflow-cpu)")
    return tf


@pytest.mark.parametrize("method,mode", [("bilinear", "linear"), ("nearest", "nearest")])
def test_against_tf_crop_and_resize(method, mode):
    """tf.image.crop_and_resize (normalised boxes, samples at y1 (H - 1) + o (y2 - y1) (H - 1) / (crop - 1), no
    antialias), converted to our pixel boxes; compared where both define the sample the same way (tf extrapolates 0
    outside [0, H - 1], we renormalise within half a pixel of the edge)."""
    tf = _tensorflow()
    H, W, crop = 17, 23, (9, 6)
    image = np.random.default_rng(1).standard_normal((2, H, W, 3)).astype(np.float32)
    boxes = np.array([[0.1, 0.2, 0.8, 0.9], [0.0, 0.0, 1.0, 1.0], [-0.3, 0.35, 0.6, 1.4], [0.5, 0.1, 0.52, 0.2]])
    idx = np.array([0, 1, 1, 0])
    expected = tf.image.crop_and_resize(image, boxes.astype(np.float32), idx, crop, method=method).numpy()
    ours_boxes, valid = [], []
    for y1, x1, y2, x2 in boxes:
        lows, highs, masks = [], [], []
        for lo, hi, n, o in ((x1, x2, W, crop[1]), (y1, y2, H, crop[0])):
            step = (hi - lo) * (n - 1) / (o - 1)
            start = lo * (n - 1) + 0.5 - 0.5 * step
            lows.append(start)
            highs.append(start + o * step)
            c = lo * (n - 1) + np.arange(o) * step
            masks.append(((c >= 0) & (c <= n - 1)) | (c < -0.5) | (c > n - 0.5))
        ours_boxes.append(lows + highs)
        valid.append(masks[1][:, None] & masks[0][None, :])
    x = torch.from_numpy(image).permute(0, 3, 1, 2)
    ours = crop_and_resize(
        x,
        torch.tensor(ours_boxes, dtype=torch.float64),
        crop,
        mode=mode,
        antialias=False,
        box_indices=torch.from_numpy(idx),
    )
    ours = ours.permute(0, 2, 3, 1).numpy()
    mask = np.stack(valid)[..., None].repeat(3, -1)
    assert mask.mean() > 0.5
    np.testing.assert_allclose(ours[mask], expected[mask], rtol=2e-5, atol=2e-5)


# ---------------------------------------------------------------------------------------------------------------
# The CUDA kernels (a GPU when present, always the emulated device) against the CPU kernels

DEVICE_CASES = [
    # (input shape, output size, box count per image)
    ((2, 3, 13), (5,), 2),
    ((2, 4, 11, 9), (6, 13), 3),
    ((1, 2, 6, 5, 7), (4, 8, 3), 2),
]


def _device_args(shape, size, per_image, dtype):
    n, k = shape[0], len(size)
    x = torch.randn(shape, dtype=torch.float64)
    x = (x * 60 + 120).clamp(0, 255).round().to(dtype) if dtype == torch.uint8 else x.to(dtype)
    samples = n * per_image
    scale = torch.exp(torch.empty(samples, k, dtype=torch.float64).uniform_(math.log(1 / 8), math.log(8)))
    translation = torch.empty(samples, k, dtype=torch.float64).uniform_(-3, 3)
    indices = torch.arange(n).repeat_interleave(per_image).flip(0)
    return x, list(size), scale, translation, indices


@pytest.mark.parametrize("mode", ["linear", "cubic", "lanczos", "nearest", "area"])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("case", DEVICE_CASES, ids=[f"{len(c[1])}d" for c in DEVICE_CASES])
def test_device_forward_matches_cpu(dev, mode, antialias, case):
    x, size, s, t, idx = _device_args(*case, torch.float64)
    ours = dev.ops.scale_and_translate(dev.put(x), size, dev.put(s), dev.put(t), mode, antialias, None, dev.put(idx))
    with dev.on_cpu_kernels():
        expected = torch.ops.torchresample.scale_and_translate(x, size, s, t, mode, antialias, None, idx)
    torch.testing.assert_close(ours.cpu(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.uint8])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_device_dtypes_and_layouts(dev, dtype, layout):
    x, size, s, t, idx = _device_args((2, 3, 12, 10), (7, 9), 2, dtype)
    fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    x = x[idx].contiguous(memory_format=fmt)
    ours = scale_and_translate(dev.put(x), size, dev.put(s), dev.put(t), mode="cubic")
    expected = dev.host(scale_and_translate, x, size, s, t, mode="cubic")
    assert ours.dtype == dtype and ours.is_contiguous(memory_format=fmt)
    tol = {torch.uint8: (0, 1), torch.float32: (1e-5, 1e-5)}.get(dtype, (1e-2, 1e-2))
    torch.testing.assert_close(ours.cpu().double(), expected.double(), rtol=tol[0], atol=tol[1])


@pytest.mark.parametrize("case", DEVICE_CASES, ids=[f"{len(c[1])}d" for c in DEVICE_CASES])
def test_device_gradients_match_cpu_and_repeat_bitwise(dev, case):
    """The input gradient gathers every sample of an input in a fixed order, the parameter gradients sum in a fixed
    order: the same bits on every run, and the CPU kernels' values."""
    x, size, s, t, idx = _device_args(*case, torch.float64)
    g = torch.randn(idx.numel(), x.shape[1], *size, dtype=torch.float64)

    def grads(x, s, t, g, idx):
        x, s, t = (v.clone().requires_grad_() for v in (x, s, t))
        y = torch.ops.torchresample.scale_and_translate(x, size, s, t, "cubic", True, None, idx)
        return torch.autograd.grad(y, (x, s, t), g)

    ours = [grads(*(dev.put(v) for v in (x, s, t, g, idx))) for _ in range(2)]
    expected = dev.host(grads, x, s, t, g, idx)
    for a, b, e in zip(*ours, expected):
        assert torch.equal(a, b)
        torch.testing.assert_close(a.cpu(), e, rtol=1e-9, atol=1e-9)


def test_device_crop_and_resize_box_gradients(dev):
    x = torch.randn(2, 4, 30, 26, dtype=torch.float64)
    boxes = torch.rand(40, 4, dtype=torch.float64) * 18 - 2
    boxes[:, 2:] += boxes[:, :2] + 4
    idx = torch.randint(0, 2, (40,))

    def grads(x, boxes, idx):
        x, boxes = x.clone().requires_grad_(), boxes.clone().requires_grad_()
        y = crop_and_resize(x, boxes, (7, 7), box_indices=idx)
        return (y, *torch.autograd.grad(y, (x, boxes), torch.ones_like(y)))

    ours = grads(dev.put(x), dev.put(boxes), dev.put(idx))
    for a, e in zip(ours, dev.host(grads, x, boxes, idx)):
        torch.testing.assert_close(a.cpu(), e, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("index", range(3))
def test_device_opcheck(dev, index):
    args = [dev.put(a) if isinstance(a, torch.Tensor) else a for a in _op_samples()[index]]
    dev.opcheck(torch.ops.torchresample.scale_and_translate.default, args)


# ---------------------------------------------------------------------------------------------------------------
# Regions: a part of the input as a sample's whole input (a crop and a resample in one pass)


def test_regions_equal_the_op_on_the_cropped_input():
    x = torch.randn(2, 3, 20, 17, dtype=torch.float64)
    regions = torch.tensor([[2, 3, 15, 11], [0, 0, 20, 17], [5, 9, 6, 17]])
    idx = torch.tensor([1, 0, 1])
    s = torch.tensor([[0.6, 1.7], [0.35, 0.4], [3.0, 0.5]], dtype=torch.float64)
    t = torch.tensor([[0.5, -1.0], [0.0, 0.0], [-0.2, 0.3]], dtype=torch.float64)
    for mode in ("linear", "cubic", "lanczos", "box"):
        ours = torch.ops.torchresample.scale_and_translate(x, [6, 7], s, t, mode, True, None, idx, regions)
        for k, (i, j, i2, j2) in enumerate(regions.tolist()):
            crop = x[idx[k] : idx[k] + 1, :, i:i2, j:j2]
            expected = torch.ops.torchresample.scale_and_translate(crop, [6, 7], s[k : k + 1], t[k : k + 1], mode)
            torch.testing.assert_close(ours[k : k + 1], expected, rtol=1e-12, atol=1e-12)


def test_regions_gradients():
    x = torch.randn(2, 2, 9, 8, dtype=torch.float64, requires_grad=True)
    s = torch.tensor([[0.6, 1.7], [1.2, 0.4]], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([[0.45, -1.0], [0.2, 0.3]], dtype=torch.float64, requires_grad=True)  # off the edges' kinks
    regions = torch.tensor([[1, 2, 8, 8], [0, 3, 9, 5]])
    assert torch.autograd.gradcheck(
        lambda x, s, t: torch.ops.torchresample.scale_and_translate(
            x, [4, 5], s, t, "cubic", True, None, None, regions
        ),
        (x, s, t),
    )


@pytest.mark.parametrize(
    "regions,exc",
    [
        (torch.tensor([[0, 0, 9, 9]]), IndexError),  # past the input
        (torch.tensor([[3, 0, 3, 5]]), IndexError),  # empty
        (torch.tensor([[0, 0, 5]]), RuntimeError),  # shape
        (torch.tensor([[0.0, 0.0, 5.0, 5.0]]), RuntimeError),  # dtype
    ],
)
def test_invalid_regions(regions, exc):
    x = torch.randn(1, 1, 8, 8)
    one = torch.ones(1, 2, dtype=torch.float64)
    with pytest.raises(exc, match="torchresample::scale_and_translate"):
        torch.ops.torchresample.scale_and_translate(x, [4, 4], one, one * 0, "linear", True, None, None, regions)


# ---------------------------------------------------------------------------------------------------------------
# torchresample.transforms.RandomResizedCrop against torchvision's


def _torchvision():
    return pytest.importorskip("torchvision", reason="torchvision is a test dependency (dev.py installs it)")


RRC_MODES = [("bilinear", True), ("bilinear", False), ("bicubic", True), ("nearest", True), ("bicubic", False)]


@pytest.mark.parametrize("mode,antialias", RRC_MODES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8])
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_random_resized_crop_matches_torchvision(mode, antialias, dtype, version):
    tv = _torchvision()
    from torchvision.transforms import InterpolationMode, v2

    cls = tv.transforms.RandomResizedCrop if version == "v1" else v2.RandomResizedCrop
    theirs = cls((24, 20), interpolation=InterpolationMode(mode), antialias=antialias)
    ours = torchresample.transforms.RandomResizedCrop(
        (24, 20), interpolation=InterpolationMode(mode), antialias=antialias
    )
    img = (torch.rand(3, 70, 90) * 255).round()
    for seed in range(6):
        # The reference is torchvision on the float image: its uint8 paths clamp between passes where a cubic
        # overshoots (up to 10 away from the float result); ours keeps the uint8 contract, within 1 of it.
        torch.manual_seed(seed)
        expected = theirs(img)
        torch.manual_seed(seed)
        got = ours(img.to(dtype))
        assert got.shape == expected.shape and got.dtype == dtype
        if dtype == torch.uint8:
            expected = expected.clamp(0, 255).round()
        torch.testing.assert_close(got.double(), expected.double(), rtol=1e-4, atol=1 if dtype == torch.uint8 else 1e-3)


def test_random_resized_crop_per_sample_is_torchvision_per_image():
    tv = _torchvision()
    batch = torch.randint(0, 256, (5, 3, 60, 80), dtype=torch.uint8).contiguous(memory_format=torch.channels_last)
    theirs = tv.transforms.v2.RandomResizedCrop(32, antialias=True)
    ours = torchresample.transforms.RandomResizedCrop(32, per_sample=True)
    torch.manual_seed(3)
    expected = torch.stack([theirs(img) for img in batch])
    torch.manual_seed(3)
    got = ours(batch)
    assert got.shape == (5, 3, 32, 32)
    torch.testing.assert_close(got.int(), expected.int(), rtol=0, atol=1)
    torch.manual_seed(3)
    assert torch.equal(torchresample.transforms.RandomResizedCrop(32, interpolation=2, per_sample=True)(batch), got)


def test_random_resized_crop_arguments():
    t = torchresample.transforms.RandomResizedCrop([16])
    assert t.size == (16, 16) and "per_sample=False" in repr(t)
    with pytest.raises(TypeError, match="Scale should be a sequence"):
        torchresample.transforms.RandomResizedCrop(16, scale=0.5)
    with pytest.raises(ValueError, match="only two dimensions"):
        torchresample.transforms.RandomResizedCrop((1, 2, 3))
    with pytest.raises(ValueError, match="batch dimension"):
        torchresample.transforms.RandomResizedCrop(16, per_sample=True)(torch.rand(8, 8))
    with pytest.raises(TypeError, match="expected a tensor"):
        torchresample.transforms.RandomResizedCrop(16)([[0.0]])


def test_device_random_resized_crop(dev):
    batch = torch.rand(4, 3, 50, 64)
    rrc = torchresample.transforms.RandomResizedCrop((20, 24), per_sample=True)
    torch.manual_seed(5)
    ours = rrc(dev.put(batch))
    torch.manual_seed(5)
    expected = dev.host(rrc, batch)
    torch.testing.assert_close(ours.cpu(), expected, rtol=1e-5, atol=1e-5)
