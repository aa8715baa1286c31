"""gradcheck/gradgradcheck in float64 for every filter, rank and layout on every device of the matrix; thread-count
determinism."""

from __future__ import annotations

import pytest
import torch

import torchresample
from conftest import LINEAR, make_input, ours

# (filter id, mode per rank or None for the same name everywhere, antialias)
FILTERS = [
    ("nearest", None, False),
    ("nearest-exact", None, False),
    ("linear", LINEAR, False),
    ("cubic", "bicubic", False),
    ("area", None, False),
    ("lanczos", None, False),
    ("linear-aa", LINEAR, True),
    ("cubic-aa", "bicubic", True),
    ("lanczos-aa", "lanczos", True),
]
# Small spatial extents: (in, out) per axis, one axis up and one down (both directions in 1-D).
SIZES = {1: [([5], [8]), ([7], [3])], 2: [([4, 5], [7, 3])], 3: [([3, 4, 5], [5, 2, 3])]}


def mode_of(spec, filt, dim):
    if spec is None:
        return filt
    return spec[dim] if isinstance(spec, dict) else spec


CASES = [(f, d, l) for f in FILTERS for d in (1, 2, 3) for l in ("contiguous", "channels_last")[: 1 if d == 1 else 2]]


@pytest.mark.parametrize("filt,dim,layout", CASES, ids=[f"{f[0]}-{d}d-{l}" for f, d, l in CASES])
def test_gradcheck_and_gradgradcheck(device, filt, dim, layout):
    name, spec, antialias = filt
    mode = mode_of(spec, name, dim)
    corners = (None,) if mode in ("nearest", "nearest-exact", "area") else (False, True)
    for in_spatial, out_sizes in SIZES[dim]:
        for align_corners in corners:
            x = device.put(make_input([1, 2, *in_spatial], torch.float64, layout)).requires_grad_()

            def fn(t):
                return ours(t, size=out_sizes, mode=mode, align_corners=align_corners, antialias=antialias)

            assert torch.autograd.gradcheck(fn, (x,))
            assert torch.autograd.gradgradcheck(fn, (x,))


def test_gradcheck_with_scale_factor_and_align_corners():
    """The scale argument reaches the backward: a scale that is not out/in changes the weights."""
    x = torch.randn(1, 2, 6, 5, dtype=torch.float64, requires_grad=True)
    for mode, aa, ac in [
        ("bilinear", False, False),
        ("bicubic", False, True),
        ("bicubic", True, False),
        ("lanczos", False, False),
        ("nearest", False, None),
    ]:

        def fn(t):
            return ours(t, scale_factor=(1.7, 0.55), mode=mode, antialias=aa, align_corners=ac)

        assert torch.autograd.gradcheck(fn, (x,))


@pytest.mark.parametrize(
    "mode,antialias", [("nearest", False), ("bilinear", False), ("bicubic", True), ("area", False), ("lanczos", False)]
)
def test_deterministic_across_thread_counts(mode, antialias):
    """The backward gathers in a fixed order: the same bits with 1 and 2 threads and on repeated runs (and so
    does the forward)."""
    threads = torch.get_num_threads()
    runs = {}
    try:
        for layout in ("contiguous", "channels_last"):
            x = make_input([2, 16, 37, 45], torch.float32, layout)
            grad_out = torch.randn(2, 16, 96, 20)
            for n in (1, 2, 2):
                torch.set_num_threads(n)
                xg = x.detach().clone().requires_grad_()
                y = ours(xg, size=(96, 20), mode=mode, antialias=antialias)
                y.backward(grad_out)
                runs.setdefault(layout, []).append((y.detach(), xg.grad))
    finally:
        torch.set_num_threads(threads)
    assert torch.get_num_threads() == threads
    for results in runs.values():
        (y0, g0), rest = results[0], results[1:]
        assert all(torch.equal(y0, y) and torch.equal(g0, g) for y, g in rest)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16])
@pytest.mark.parametrize(
    "filt,align_corners",
    [("nearest", False), ("nearest-exact", False), ("linear", False), ("linear", True), ("area", False)],
)
@pytest.mark.parametrize(
    "size,out",
    [([16], [8]), ([8, 8], [4, 4]), ([9, 14], [4, 7]), ([6, 8, 10], [3, 4, 5]), ([8, 64], [4, 32]), ([13, 11], [5, 4])],
)
def test_single_tap_planes_give_the_row_path_bits(dtype, filt, align_corners, size, out):
    """Note [single-tap planes]: the backward of a downscale of many small contiguous planes gathers a plane at a
    time; each plane has the bits the row path gives it alone (one plane never takes the plane gather), signed
    zeros and non-finite gradients included."""
    grad = torch.randn(6, 2, *out, dtype=torch.float64)
    grad.view(-1)[::7] = -0.0
    grad.view(-1)[3::11] = float("inf")
    grad.view(-1)[5::13] = float("nan")
    grad = grad.to(dtype)
    ac = align_corners if filt == "linear" else False

    def backward(g):
        return torch.ops.torchresample.resample_backward(g, size, filt, ac, None, False)

    planes = backward(grad)
    alone = torch.cat([backward(grad.flatten(0, 1)[i : i + 1].unflatten(0, (1, 1))) for i in range(12)]).view_as(planes)
    bits = {2: torch.int16, 4: torch.int32, 8: torch.int64}[dtype.itemsize]
    assert torch.equal(planes.view(bits), alone.view(bits))


@pytest.mark.parametrize(
    "op",
    [
        lambda x: torchresample.interpolate(x, scale_factor=2.0, mode="bilinear"),
        lambda x: torchresample.functional.pixel_shuffle(x, 2),
        lambda x: torchresample.functional.pixel_unshuffle(x, 2),
        lambda x: torchresample.functional.max_unpool2d(x, torch.arange(16).view(1, 1, 4, 4).repeat(1, 4, 1, 1), 1),
    ],
    ids=["resample", "pixel_shuffle", "pixel_unshuffle", "max_unpool"],
)
def test_graph_recorded_only_when_a_gradient_can_flow(op):
    # The autograd kernels skip the graph node when nothing requires grad: the result must say so exactly as
    # torch's own ops do, and a recorded node must still give the gradient.
    x = torch.randn(1, 4, 4, 4, dtype=torch.float64)
    plain = op(x)
    assert not plain.requires_grad and plain.grad_fn is None
    x.requires_grad_(True)
    with torch.no_grad():
        assert op(x).grad_fn is None
    with torch.inference_mode():
        assert not op(x).requires_grad
    recorded = op(x)
    assert recorded.requires_grad and recorded.grad_fn is not None
    assert torch.equal(recorded.detach(), plain)
    torch.autograd.gradcheck(op, (x,))


def _linear_ops():
    pooled, indices = torch.nn.functional.max_pool2d(
        torch.randn(2, 3, 8, 8, dtype=torch.float64), 2, return_indices=True
    )
    return {
        "resample": (
            torch.randn(2, 3, 8, 8, dtype=torch.float64),
            lambda t: torchresample.interpolate(t, scale_factor=2, mode="bicubic"),
            lambda t: torch.nn.functional.interpolate(t, scale_factor=2, mode="bicubic"),
        ),
        "max_unpool": (
            pooled,
            lambda t: torchresample.functional.max_unpool2d(t, indices, 2),
            lambda t: torch.nn.functional.max_unpool2d(t, indices, 2),
        ),
        "pixel_shuffle": (
            torch.randn(2, 12, 4, 4, dtype=torch.float64),
            lambda t: torchresample.functional.pixel_shuffle(t, 2),
            lambda t: torch.nn.functional.pixel_shuffle(t, 2),
        ),
    }


@pytest.mark.parametrize("name", ["resample", "max_unpool", "pixel_shuffle"])
def test_compiled_autograd_traces_the_backward(name):
    # Compiled autograd captures our node's vector-Jacobian product into its graph (Note [autograd of linear ops]),
    # through AOT autograd: the gradient equals torch's, on a capture and on a cached run with new values.
    from torch._dynamo import compiled_autograd

    x, op, reference = _linear_ops()[name]
    torch._dynamo.reset()
    captures = []

    def compiler(gm):
        captures.append(gm)
        return torch.compile(gm, backend="aot_eager", fullgraph=True)

    for _ in range(2):
        x = torch.randn_like(x).requires_grad_(True)
        w = torch.randn_like(op(x))
        (reference(x) * w).sum().backward()
        expected, x.grad = x.grad, None
        with compiled_autograd._enable(compiler):
            (op(x) * w).sum().backward()
        torch.testing.assert_close(x.grad, expected, rtol=0, atol=1e-12)
    assert len(captures) == 1 and f"torchresample_{name}_vjp" in captures[0].code


def test_saved_tensor_hooks_see_the_saved_indices():
    # max_unpool saves its indices as torch's nodes save tensors: the default hooks pack and unpack them.
    pooled, indices = torch.nn.functional.max_pool2d(torch.randn(1, 2, 4, 4), 2, return_indices=True)
    x = pooled.detach().requires_grad_(True)
    packed = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t) or len(packed) - 1, lambda i: packed[i]):
        y = torchresample.functional.max_unpool2d(x, indices, 2)
    assert len(packed) == 1 and packed[0] is indices
    g = torch.randn_like(y)
    y.backward(g)
    torch.testing.assert_close(x.grad, g.flatten(2).gather(2, indices.flatten(2)).view_as(x))
