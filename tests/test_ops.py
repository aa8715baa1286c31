"""The custom ops as torch sees them: opcheck, torch.compile with dynamic shapes, torch.export."""

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
    for filt, aa in [("nearest", False), ("nearest-exact", False), ("linear", False), ("cubic", False),
                     ("area", False), ("lanczos", False), ("linear", True), ("cubic", True), ("lanczos", True)]:
        samples.append(((make_input([2, 3, 6, 5], torch.float32).requires_grad_(), [4, 9], filt),
                        {"antialias": aa}))
    samples += [
        ((make_input([2, 3, 4, 6, 5], torch.float64, "channels_last").requires_grad_(), [3, 8, 2], "linear"),
         {"align_corners": True}),
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
        channels_last = x.dim() > 3 and not x.is_contiguous() and x.is_contiguous(
            memory_format=channels_last_format(x.dim()))
        grad_out = make_input([*x.shape[:2], *out_size], x.dtype, "channels_last" if channels_last else "contiguous")
        samples.append(((grad_out.requires_grad_(), list(x.shape[2:]), filt), kwargs))
    return samples


@pytest.mark.parametrize("index", range(len(resample_samples())))
def test_opcheck_resample(index):
    args, kwargs = resample_samples()[index]
    torch.library.opcheck(resample, args, kwargs)


@pytest.mark.parametrize("index", range(len(backward_samples())))
def test_opcheck_resample_backward(index):
    args, kwargs = backward_samples()[index]
    torch.library.opcheck(resample_backward, args, kwargs)


def test_fake_kernel_matches_real_layout():
    """The fake kernel's output layout is the real one (channels_last in, channels_last out)."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    for layout, shape in [("channels_last", [2, 3, 6, 5]), ("channels_last", [2, 3, 4, 6, 5]),
                          ("transposed", [2, 3, 6, 5])]:
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
        return torchresample.interpolate(x, size=(x.shape[-2] * 2, x.shape[-1] + 3), mode="bilinear",
                                         antialias=True)

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
