"""The custom ops as torch sees them: opcheck (on every device of the matrix), torch.compile with dynamic shapes,
torch.export."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import torchresample
from conftest import assert_close, channels_last_format, make_input, ours

resample = torch.ops.torchresample.resample.default
resample_backward = torch.ops.torchresample.resample_backward.default


def resample_samples():
    """(args, kwargs) for resample: each filter, float32 and float64, channels_last, scales, an empty batch."""
    samples = []
    for filt, aa in [
        ("nearest", False),
        ("nearest-exact", False),
        ("linear", False),
        ("cubic", False),
        ("area", False),
        ("lanczos", False),
        ("linear", True),
        ("cubic", True),
        ("lanczos", True),
    ]:
        samples.append(((make_input([2, 3, 6, 5], torch.float32).requires_grad_(), [4, 9], filt), {"antialias": aa}))
    samples += [
        (
            (make_input([2, 3, 4, 6, 5], torch.float64, "channels_last").requires_grad_(), [3, 8, 2], "linear"),
            {"align_corners": True},
        ),
        ((make_input([2, 4, 7], torch.float64).requires_grad_(), [3], "cubic"), {"scales": [0.5]}),
        ((make_input([2, 3, 6, 5], torch.float32, "channels_last"), [12, 10], "nearest"), {"scales": [2.0, 2.0]}),
        ((make_input([0, 3, 6, 5], torch.float32).requires_grad_(), [3, 2], "lanczos"), {"antialias": True}),
        ((make_input([2, 3, 6, 5], torch.uint8), [4, 9], "cubic"), {}),
    ]
    return samples


def backward_samples():
    """(args, kwargs) for resample_backward: a grad_output in the layout of each floating forward sample's input."""
    samples = []
    for (x, out_size, filt), kwargs in resample_samples():
        if not x.is_floating_point():
            continue
        channels_last = (
            x.dim() > 3 and not x.is_contiguous() and x.is_contiguous(memory_format=channels_last_format(x.dim()))
        )
        grad_out = make_input([*x.shape[:2], *out_size], x.dtype, "channels_last" if channels_last else "contiguous")
        samples.append(((grad_out.requires_grad_(), list(x.shape[2:]), filt), kwargs))
    return samples


def on(device, args):
    """The sample's tensors on `device`, leaves as they were (requires_grad kept)."""
    return tuple(
        device.put(a.detach()).requires_grad_(a.requires_grad) if isinstance(a, torch.Tensor) else a for a in args
    )


@pytest.mark.parametrize("index", range(len(resample_samples())))
def test_opcheck_resample(device, index):
    args, kwargs = resample_samples()[index]
    device.opcheck(resample, on(device, args), kwargs)


@pytest.mark.parametrize("index", range(len(backward_samples())))
def test_opcheck_resample_backward(device, index):
    args, kwargs = backward_samples()[index]
    device.opcheck(resample_backward, on(device, args), kwargs)


def test_fake_kernel_matches_real_layout():
    """The fake kernel's output layout is the real one (channels_last in, channels_last out)."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    for layout, shape in [
        ("channels_last", [2, 3, 6, 5]),
        ("channels_last", [2, 3, 4, 6, 5]),
        ("transposed", [2, 3, 6, 5]),
    ]:
        x = make_input(shape, torch.float32, layout)
        size = [s + 1 for s in shape[2:]]
        real = resample(x, size, "linear")
        with FakeTensorMode() as mode:
            fake = resample(mode.from_tensor(x), size, "linear")
        assert fake.shape == real.shape and fake.stride() == real.stride()


def test_compile_fullgraph_dynamic_forward_and_backward():
    """interpolate under torch.compile(fullgraph=True, dynamic=True): sizes that depend on the input shape, two
    shapes through one compiled graph, forward and backward equal to torch's."""

    def fn(x):
        return torchresample.interpolate(x, size=(x.shape[-2] * 2, x.shape[-1] + 3), mode="bilinear", antialias=True)

    compiled = torch.compile(fn, fullgraph=True, dynamic=True)
    for shape in [(2, 3, 5, 7), (1, 2, 9, 4)]:
        x = torch.randn(shape, requires_grad=True)
        xt = x.detach().clone().requires_grad_()
        got = compiled(x)
        expected = F.interpolate(xt, size=(shape[-2] * 2, shape[-1] + 3), mode="bilinear", antialias=True)
        assert_close(got, expected)
        grad_out = torch.randn_like(expected)
        got.backward(grad_out)
        expected.backward(grad_out)
        assert_close(x.grad, xt.grad)


def test_compile_fullgraph_dynamic_scale_factor():
    """A scale factor on a dynamic shape: the output size is a symbolic floor(in * scale), as torch's."""

    def fn(x):
        return torchresample.interpolate(x, scale_factor=(1.5, 0.5), mode="bicubic", align_corners=True) * 2

    compiled = torch.compile(fn, fullgraph=True, dynamic=True)
    for shape in [(1, 2, 6, 8), (2, 1, 7, 11)]:
        x = torch.randn(shape)
        assert_close(compiled(x), F.interpolate(x, scale_factor=(1.5, 0.5), mode="bicubic", align_corners=True) * 2)


class _Resize(torch.nn.Module):
    def forward(self, x):
        return torchresample.interpolate(x, scale_factor=2, mode="lanczos", antialias=True)


def test_export():
    x = torch.randn(2, 3, 6, 5)
    batch = torch.export.Dim("batch", min=1, max=64)
    ep = torch.export.export(_Resize(), (x,), dynamic_shapes={"x": {0: batch}})
    targets = {node.target for node in ep.graph.nodes if node.op == "call_function"}
    assert resample in targets
    for n in (2, 5):
        x = torch.randn(n, 3, 6, 5)
        assert_close(ep.module()(x), F.interpolate(x, scale_factor=2, mode="lanczos", antialias=True))
    # ours(...) on the same input gives the same bits as the exported program.
    assert torch.equal(ep.module()(x), ours(x, scale_factor=2, mode="lanczos", antialias=True))


def test_cpu_plan_cache_keys_everything_that_decides_the_plans():
    """Note [cpu plan cache]: calls that differ only in scales, align_corners, filter, antialias, direction,
    accumulation type or nearest index rule (layout) never share plans, across more calls than the cache holds;
    each call, made again in another order, gives its first bits, and torch's result."""
    aten = torch.ops.aten
    x = torch.rand(2, 4, 10, 10, dtype=torch.float64)
    xf = x.float()
    xn = torch.rand(1, 4, 9, 9)  # to 70 x 70: torch's separable nearest kernel, channels_last its indexed one
    xcl = xn.contiguous(memory_format=torch.channels_last)
    grad = torch.rand(2, 4, 5, 5, dtype=torch.float64)
    calls = {
        "scale": (
            lambda: resample(xf, [5, 5], "linear", False, [0.5, 0.5], False),
            lambda: aten.upsample_bilinear2d(xf, [5, 5], False, 0.5, 0.5),
        ),
        "other scale": (
            lambda: resample(xf, [5, 5], "linear", False, [0.4, 0.45], False),
            lambda: aten.upsample_bilinear2d(xf, [5, 5], False, 0.4, 0.45),
        ),
        "no scale": (
            lambda: resample(xf, [5, 5], "linear", False, None, False),
            lambda: F.interpolate(xf, size=[5, 5], mode="bilinear"),
        ),
        "align_corners": (
            lambda: resample(xf, [5, 5], "linear", True, None, False),
            lambda: F.interpolate(xf, size=[5, 5], mode="bilinear", align_corners=True),
        ),
        "antialias": (
            lambda: resample(xf, [5, 5], "linear", False, None, True),
            lambda: F.interpolate(xf, size=[5, 5], mode="bilinear", antialias=True),
        ),
        "cubic": (
            lambda: resample(xf, [5, 5], "cubic", False, None, False),
            lambda: F.interpolate(xf, size=[5, 5], mode="bicubic"),
        ),
        "double": (
            lambda: resample(x, [5, 5], "linear", False, None, False),
            lambda: F.interpolate(x, size=[5, 5], mode="bilinear"),
        ),
        "backward": (
            lambda: torch.ops.torchresample.resample_backward(grad, [10, 10], "linear", False, None, False),
            lambda: aten.upsample_bilinear2d_backward(grad, [5, 5], [2, 4, 10, 10], False),
        ),
        "nearest": (
            lambda: resample(xn, [70, 70], "nearest-exact", False, [7.7, 7.7], False),
            lambda: aten._upsample_nearest_exact2d(xn, [70, 70], 7.7, 7.7),
        ),
        "nearest channels_last": (
            lambda: resample(xcl, [70, 70], "nearest-exact", False, [7.7, 7.7], False),
            lambda: aten._upsample_nearest_exact2d(xcl, [70, 70], 7.7, 7.7),
        ),
    }
    first = {name: ours_call() for name, (ours_call, _) in calls.items()}
    for name, (_, torch_call) in calls.items():
        expected = torch_call()
        if name.startswith("nearest"):
            assert torch.equal(first[name], expected), name
        else:
            torch.testing.assert_close(first[name], expected, msg=name)
    for name in reversed(list(calls)):
        assert torch.equal(calls[name][0](), first[name]), name
