"""ONNX export through both of torch's exporters, run in onnxruntime and compared with eager torchresample (and with
torch's own exported op where torch has the mode): every resample mode, max_unpool, pixel_(un)shuffle, a torchvision
segmentation model under torchresample.patch()."""

from __future__ import annotations

import io
import logging
import warnings
from typing import Any, NamedTuple, Optional, Sequence

import pytest
import torch

import torchresample as tr

onnx = pytest.importorskip("onnx", reason="onnx is not installed (a test dependency: dev.py installs it)")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (a test dependency)")
pytest.importorskip("onnxscript", reason="onnxscript is not installed (the dynamo exporter's; a test dependency)")

EXPORTERS = ("dynamo", "torchscript")


class Call(torch.nn.Module):
    """A model that is one call of ``fn`` on its input, with fixed keyword arguments."""

    def __init__(self, fn, **kwargs: Any) -> None:
        super().__init__()
        self.fn, self.kwargs = fn, kwargs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x, **self.kwargs)


class Exported(NamedTuple):
    session: Any  # onnxruntime.InferenceSession
    ops: set  # the graph's node types


def export(
    model: torch.nn.Module,
    inputs: Sequence[torch.Tensor],
    exporter: str,
    dynamic: Optional[Sequence[Sequence[int]]] = None,
) -> Exported:
    """``model`` exported with no extra arguments (but the dynamic axes of each input), loaded by onnxruntime."""
    names = [f"x{i}" for i in range(len(inputs))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            if exporter == "dynamo":
                shapes = (
                    None if dynamic is None else tuple({d: torch.export.Dim.DYNAMIC for d in axes} for axes in dynamic)
                )
                program = torch.onnx.export(
                    model, tuple(inputs), dynamo=True, dynamic_shapes=shapes, input_names=names, verbose=False
                )
                data = program.model_proto.SerializeToString()
            else:
                axes = None if dynamic is None else {n: list(a) for n, a in zip(names, dynamic)}
                f = io.BytesIO()
                torch.onnx.export(
                    model,
                    tuple(inputs),
                    f,
                    dynamo=False,
                    input_names=names,
                    dynamic_axes=axes,
                    opset_version=tr.onnx.OPSET,
                )
                data = f.getvalue()
        finally:
            logging.disable(logging.NOTSET)
    model_proto = onnx.load_from_string(data)
    onnx.checker.check_model(model_proto, full_check=True)  # strict shape inference agrees with the graph
    ops = {n.op_type for n in model_proto.graph.node}
    return Exported(ort.InferenceSession(data, providers=["CPUExecutionProvider"]), ops)


def run(exported: Exported, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
    session = exported.session
    feed = {i.name: x.numpy() for i, x in zip(session.get_inputs(), inputs)}
    return torch.from_numpy(session.run(None, feed)[0])


def assert_matches(got: torch.Tensor, expected: torch.Tensor) -> None:
    """The issue's bounds: float within 1e-5 relative (of the largest value), uint8 within 1, nearest and
    rearrangements bit-exact (callers pass exact tensors and check with equal)."""
    assert got.shape == expected.shape and got.dtype == expected.dtype
    if expected.dtype == torch.uint8:
        assert (got.int() - expected.int()).abs().max().item() <= 1
    else:
        scale = expected.double().abs().max().item()
        tol = {torch.float16: 2e-3, torch.bfloat16: 1e-2}.get(expected.dtype, 1e-5)
        torch.testing.assert_close(got.double(), expected.double(), rtol=0, atol=tol * scale)


def spatial(dim: int, base: Sequence[int] = (9, 8, 7)) -> list:
    return list(base[:dim])


# (dim, interpolate keyword arguments, what it becomes: "resize" | "gather" | "pool" | "matmul")
MODES = [
    (1, dict(scale_factor=2, mode="nearest"), "gather"),
    (2, dict(size=(5, 13), mode="nearest"), "gather"),
    (3, dict(scale_factor=(1.5, 0.5, 2.0), mode="nearest"), "gather"),
    (2, dict(scale_factor=0.7, mode="nearest-exact"), "gather"),
    (3, dict(size=(4, 11, 7), mode="nearest-exact"), "gather"),
    (1, dict(scale_factor=1.5, mode="linear"), "resize"),
    (1, dict(size=5, mode="linear", align_corners=True), "resize"),
    (2, dict(scale_factor=2, mode="bilinear"), "resize"),
    (2, dict(size=(5, 13), mode="bilinear", align_corners=True), "resize"),
    (2, dict(scale_factor=(0.6, 1.7), mode="bilinear"), "resize"),
    (3, dict(scale_factor=2, mode="trilinear"), "resize"),
    (3, dict(size=(5, 3, 11), mode="trilinear", align_corners=True), "resize"),
    (2, dict(scale_factor=1.5, mode="bicubic"), "resize"),
    # a scale factor whose output size equals the input's on one axis: linear copies that axis, cubic does not
    (2, dict(scale_factor=(1.1, 1.5), mode="bilinear"), "resize"),
    (2, dict(scale_factor=(1.1, 1.5), mode="bicubic"), "resize"),
    # ... on every axis: onnxruntime's Resize would copy
    (2, dict(scale_factor=1.1, mode="bicubic"), "matmul"),
    (2, dict(size=(4, 12), mode="bicubic", align_corners=True), "resize"),
    (2, dict(size=(4, 5), mode="bilinear", antialias=True), "resize"),
    (2, dict(scale_factor=0.4, mode="bicubic", antialias=True), "resize"),
    (1, dict(size=4, mode="linear", antialias=True), "resize"),
    (3, dict(size=(4, 3, 5), mode="trilinear", antialias=True), "resize"),
    (2, dict(size=(4, 5), mode="bilinear", antialias=True, align_corners=True), "matmul"),
    (1, dict(scale_factor=2, mode="bicubic"), "matmul"),
    (3, dict(size=(5, 3, 11), mode="bicubic", align_corners=True), "matmul"),
    (3, dict(size=(4, 3, 5), mode="bicubic", antialias=True), "matmul"),
    (2, dict(size=(3, 4), mode="area"), "pool"),
    (1, dict(size=3, mode="area"), "pool"),
    (2, dict(size=(5, 11), mode="area"), "matmul"),
    (3, dict(scale_factor=0.6, mode="area"), "matmul"),
    (1, dict(size=13, mode="lanczos"), "matmul"),
    (2, dict(scale_factor=0.45, mode="lanczos", antialias=True), "matmul"),
    (3, dict(size=(5, 3, 11), mode="lanczos", align_corners=True), "matmul"),
]
MODE_IDS = [f"{d}d-" + "-".join(f"{k}={v}" for k, v in kw.items()) for d, kw, _ in MODES]


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("dim,kwargs,form", MODES, ids=MODE_IDS)
def test_resample_modes(exporter, dim, kwargs, form):
    x = torch.randn(2, 3, *spatial(dim))
    model = Call(tr.interpolate, **kwargs)
    exported = export(model, [x], exporter)
    expected = model(x)
    got = run(exported, [x])
    if form == "gather":
        assert torch.equal(got, expected)
    else:
        assert_matches(got, expected)
    wanted = {"resize": "Resize", "gather": "Gather", "pool": "AveragePool", "matmul": "MatMul"}[form]
    assert wanted in exported.ops, exported.ops


# The modes Resize expresses, exported with dynamic batch and spatial sizes and run at a second size.
DYNAMIC = [(d, kw) for d, kw, form in MODES if form == "resize"] + [
    (2, dict(scale_factor=2, mode="nearest")),
    (1, dict(scale_factor=0.5, mode="nearest-exact")),
    (3, dict(size=(4, 5, 6), mode="nearest")),
]


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize(
    "dim,kwargs", DYNAMIC, ids=[f"{d}d-" + "-".join(f"{k}={v}" for k, v in kw.items()) for d, kw in DYNAMIC]
)
def test_resample_dynamic_sizes(exporter, dim, kwargs):
    x = torch.randn(2, 3, *spatial(dim))
    second = torch.randn(3, 3, *spatial(dim, (6, 10, 5)))
    model = Call(tr.interpolate, **kwargs)
    session = export(model, [x], exporter, dynamic=[[0, *range(2, dim + 2)]])
    for inputs in (x, second):
        expected = model(inputs)
        got = run(session, [inputs])
        if kwargs["mode"].startswith("nearest"):
            assert torch.equal(got, expected)
        else:
            assert_matches(got, expected)


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_dynamic_batch_with_matrix_modes(exporter):
    """The MatMul form needs static spatial sizes only: a dynamic batch runs at another batch size."""
    x = torch.randn(2, 3, 9, 8)
    model = Call(tr.interpolate, size=(5, 11), mode="lanczos", antialias=True)
    session = export(model, [x], exporter, dynamic=[[0]])
    for inputs in (x, torch.randn(5, 3, 9, 8)):
        assert_matches(run(session, [inputs]), model(inputs))


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_matrix_modes_refuse_dynamic_sizes(exporter):
    model = Call(tr.interpolate, size=(5, 11), mode="lanczos")
    with pytest.raises(Exception, match="lanczos.*static spatial sizes"):
        export(model, [torch.randn(2, 3, 9, 8)], exporter, dynamic=[[0, 2, 3]])


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float64, torch.float16])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(scale_factor=1.5, mode="bilinear"),
        dict(size=(5, 4), mode="bicubic", antialias=True),
        dict(size=(7, 5), mode="lanczos"),
        dict(scale_factor=2, mode="nearest"),
    ],
    ids=["bilinear", "bicubic-aa", "lanczos", "nearest"],
)
def test_resample_dtypes(exporter, dtype, kwargs):
    x = torch.randn(1, 3, 9, 8) * 60 + 128
    x = x.clamp(0, 255).to(dtype)
    model = Call(tr.interpolate, **kwargs)
    got = run(export(model, [x], exporter), [x])
    if kwargs["mode"] == "nearest":
        assert torch.equal(got, model(x))
    else:
        assert_matches(got, model(x))


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_modes_torch_exports_match_torch(exporter):
    """Where torch has the mode, our export runs in onnxruntime with torch's eager numbers too."""
    x = torch.randn(2, 3, 9, 8)
    for kwargs in (
        dict(scale_factor=2, mode="bilinear"),
        dict(size=(5, 4), mode="bicubic", antialias=True),
        dict(scale_factor=(0.6, 1.7), mode="bilinear"),
        dict(size=(5, 13), mode="nearest"),
    ):
        got = run(export(Call(tr.interpolate, **kwargs), [x], exporter), [x])
        assert_matches(got, torch.nn.functional.interpolate(x, **kwargs))


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_max_unpool(exporter, dim):
    pool = getattr(torch.nn.functional, f"max_pool{dim}d")
    x = torch.randn(2, 3, *spatial(dim, (8, 6, 4)))
    values, indices = pool(x, 2, return_indices=True)
    layer = getattr(tr, f"MaxUnpool{dim}d")(2)
    assert torch.equal(run(export(layer, [values, indices], exporter), [values, indices]), layer(values, indices))
    session = export(layer, [values, indices], exporter, dynamic=[[0, *range(2, dim + 2)]] * 2)
    assert torch.equal(run(session, [values, indices]), layer(values, indices))
    values2, indices2 = pool(torch.randn(1, 3, *spatial(dim, (10, 4, 6))), 2, return_indices=True)
    assert torch.equal(run(session, [values2, indices2]), layer(values2, indices2))
    assert torch.equal(layer(values2, indices2), getattr(torch.nn, f"MaxUnpool{dim}d")(2)(values2, indices2))


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize(
    "layer,shape,second",
    [
        (tr.PixelShuffle(2), (2, 8, 3, 5), (1, 8, 4, 2)),
        (tr.PixelUnshuffle(2), (2, 3, 6, 4), (3, 3, 2, 8)),
        (tr.PixelShuffle(3), (9, 5, 2), (18, 1, 3)),
        (tr.PixelShuffle3d(2), (1, 16, 2, 3, 2), (2, 8, 1, 2, 3)),
        (tr.PixelUnshuffle3d(2), (1, 2, 4, 2, 6), (2, 2, 2, 4, 2)),
    ],
    ids=["shuffle", "unshuffle", "shuffle-unbatched", "shuffle3d", "unshuffle3d"],
)
def test_pixel_shuffle(exporter, layer, shape, second):
    x = torch.randn(*shape)
    assert torch.equal(run(export(layer, [x], exporter), [x]), layer(x))  # static sizes
    session = export(layer, [x], exporter, dynamic=[list(range(len(shape)))])
    for inputs in (x, torch.randn(*second)):
        assert torch.equal(run(session, [inputs]), layer(inputs))


def test_exported_program_exports():
    """A program exported before (torch.export), then given to the dynamo exporter (the TorchScript exporter takes
    modules only)."""
    x = torch.randn(2, 3, 9, 8)
    model = Call(tr.interpolate, scale_factor=2, mode="bicubic", antialias=True)
    program = torch.export.export(model, (x,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        onnx_program = torch.onnx.export(program, dynamo=True, verbose=False)
    session = ort.InferenceSession(onnx_program.model_proto.SerializeToString(), providers=["CPUExecutionProvider"])
    assert_matches(run(Exported(session, set()), [x]), model(x))


class SmallDecoder(torch.nn.Module):
    """conv -> torchresample layers -> conv, as a user's model."""

    def __init__(self) -> None:
        super().__init__()
        self.head = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.up = tr.Upsample(scale_factor=2, mode="bilinear")
        self.shuffle = tr.PixelShuffle(2)
        self.tail = torch.nn.Conv2d(4, 2, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.shuffle(self.up(self.head(x)))
        return self.tail(tr.interpolate(y, size=(x.shape[2] * 3, x.shape[3] * 3), mode="nearest-exact"))


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_small_model(exporter):
    model = SmallDecoder().eval()
    x = torch.randn(1, 3, 8, 6)
    with torch.no_grad():
        assert_matches(run(export(model, [x], exporter), [x]), model(x))


class OutOf(torch.nn.Module):
    """A torchvision segmentation model's "out" tensor (the exporters take tensor outputs)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)["out"]


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_torchvision_segmentation_model_under_patch(exporter):
    tv = pytest.importorskip("torchvision", reason="torchvision is not installed (optional test dependency)")
    model = tv.models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=5).eval()
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        expected = model(x)["out"]
        with tr.patch():
            wrapped = OutOf(model).eval()
            session = export(wrapped, [x], exporter)
            ours = wrapped(x)
    got = run(session, [x])
    torch.testing.assert_close(got, ours, rtol=0, atol=1e-4 * ours.abs().max().item())
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-4 * expected.abs().max().item())


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_export_registers_without_arguments_in_a_fresh_process(exporter, tmp_path):
    """``import torchresample`` is all a user does: the registration happens as the exporters load."""
    import subprocess
    import sys

    script = f"""
import io, warnings, logging, torch, torchresample as tr, onnxruntime as ort
warnings.simplefilter("ignore"); logging.disable(logging.WARNING)
class M(torch.nn.Module):
    def forward(self, x):
        return tr.interpolate(x, scale_factor=2, mode="lanczos")
x = torch.randn(1, 2, 5, 6)
if "{exporter}" == "dynamo":
    data = torch.onnx.export(M(), (x,), dynamo=True, verbose=False).model_proto.SerializeToString()
else:
    f = io.BytesIO(); torch.onnx.export(M(), (x,), f, dynamo=False, opset_version=18); data = f.getvalue()
s = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
got = torch.from_numpy(s.run(None, {{s.get_inputs()[0].name: x.numpy()}})[0])
assert (got - M()(x)).abs().max() < 1e-5
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-3000:]


def test_torchscript_exporter_opsets():
    """The default opset exports; one before 18 (no antialias in Resize) is refused with a clear error."""
    model = Call(tr.interpolate, scale_factor=2, mode="bilinear")
    x = torch.randn(1, 2, 5, 6)
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), f, dynamo=False)
        session = ort.InferenceSession(f.getvalue(), providers=["CPUExecutionProvider"])
        assert_matches(run(Exported(session, set()), [x]), model(x))
        with pytest.raises(Exception, match="opset 18 or later"):
            torch.onnx.export(model, (x,), io.BytesIO(), dynamo=False, opset_version=17)


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize(
    "kwargs",
    [dict(size=(7, 61)), dict(size=(64, 65)), dict(scale_factor=(0.7, 1.3)), dict(scale_factor=3)],
    ids=["small", "large", "scales", "scale3"],
)
def test_nearest_dynamic_sizes_pick_our_indices(exporter, mode, kwargs):
    """With dynamic sizes the indices are computed in the graph: bit-exact at many input sizes (onnxruntime's own
    Resize nearest reads another index for 3-4% of (in, out) pairs)."""
    model = Call(tr.interpolate, mode=mode, **kwargs)
    exported = export(model, [torch.randn(1, 2, 9, 9)], exporter, dynamic=[[2, 3]])
    for h in range(2, 60, 7):
        for w in range(2, 70, 9):
            x = torch.arange(2 * h * w, dtype=torch.float32).view(1, 2, h, w)
            assert torch.equal(run(exported, [x]), model(x)), (h, w)


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_scale_factor_near_an_integer_size(exporter):
    """100 * 0.29 is just below 29 in float64 (torch's size: 28), where onnxruntime's float32 scale would give 29:
    static sizes take the matrix form, with our size."""
    x = torch.randn(1, 2, 100, 7)
    model = Call(tr.interpolate, scale_factor=0.29, mode="bilinear")
    exported = export(model, [x], exporter)
    assert "MatMul" in exported.ops
    assert_matches(run(exported, [x]), model(x))
