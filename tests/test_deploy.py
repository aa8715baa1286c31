"""Leaving Python: TorchScript (script, save, load in a fresh process; trace at one size, run at another, against
torch's traced layers), torch.export save/load in a fresh process, AOTInductor packages with dynamic sizes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import torchresample as tr


def scripted(module: torch.nn.Module) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.script's deprecation notice
        return torch.jit.script(module)


def traced(module: torch.nn.Module, *inputs: torch.Tensor) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return torch.jit.trace(module, inputs)


def run_fresh(script: str, timeout: float = 600) -> str:
    """``script`` in a new interpreter that imports torchresample, as a deployment would."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=timeout
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    return out.stdout


class Interpolating(torch.nn.Module):
    """A user's model that calls torchresample.interpolate in its forward."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = tr.interpolate(x, scale_factor=2.0, mode="bilinear", antialias=False)
        down = tr.functional.interpolate(up, size=[5, 7], mode="lanczos", antialias=True)
        return down + tr.interpolate(x, size=(5, 7), mode="bicubic", align_corners=True)


def pooled(dim: int, shape):
    x = torch.randn(*shape)
    return getattr(F, f"max_pool{dim}d")(x, 2, return_indices=True)


# (name, layer, inputs): every layer, scripted.
def script_cases():
    values1, indices1 = pooled(1, (2, 3, 8))
    values2, indices2 = pooled(2, (2, 3, 8, 6))
    values3, indices3 = pooled(3, (1, 2, 4, 6, 4))
    image = torch.randn(2, 4, 6, 8)
    volume = torch.randn(1, 8, 2, 3, 4)
    return [
        ("upsample-nearest", tr.Upsample(scale_factor=2), (image,)),
        ("upsample-bilinear-size", tr.Upsample(size=(5, 7), mode="bilinear", antialias=True), (image,)),
        ("upsample-bicubic-tuple", tr.Upsample(scale_factor=(2.0, 1.5), mode="bicubic", align_corners=True), (image,)),
        ("upsample-lanczos", tr.Upsample(scale_factor=0.7, mode="lanczos"), (image,)),
        ("upsample-trilinear", tr.Upsample(scale_factor=1.5, mode="trilinear", recompute_scale_factor=True), (volume,)),
        ("nearest2d", tr.UpsamplingNearest2d(scale_factor=2), (image,)),
        ("bilinear2d", tr.UpsamplingBilinear2d(size=9), (image,)),
        ("maxunpool1d", tr.MaxUnpool1d(2), (values1, indices1)),
        ("maxunpool2d", tr.MaxUnpool2d(2, stride=2), (values2, indices2)),
        ("maxunpool3d", tr.MaxUnpool3d(2), (values3, indices3)),
        ("pixelshuffle", tr.PixelShuffle(2), (image,)),
        ("pixelunshuffle", tr.PixelUnshuffle(2), (image,)),
        ("pixelshuffle3d", tr.PixelShuffle3d(2), (volume,)),
        ("pixelunshuffle3d", tr.PixelUnshuffle3d(1), (volume,)),
        ("model", Interpolating(), (image,)),
    ]


def test_script_save_load_every_layer(tmp_path):
    """Every layer scripts, gives the eager result, and after torch.jit.save loads and runs in a fresh process."""
    cases = script_cases()
    expected = {}
    for name, layer, inputs in cases:
        module = scripted(layer)
        assert torch.equal(module(*inputs), layer(*inputs)), name
        torch.jit.save(module, str(tmp_path / f"{name}.pt"))
        expected[name] = (inputs, layer(*inputs))
    torch.save(expected, tmp_path / "expected.pt")
    out = run_fresh(f"""
        import torch, torchresample
        expected = torch.load({str(tmp_path / "expected.pt")!r})
        for name, (inputs, result) in expected.items():
            module = torch.jit.load({str(tmp_path)!r} + "/" + name + ".pt")
            assert torch.equal(module(*inputs), result), name
        print(len(expected))
    """)
    assert out.strip() == str(len(cases))


def test_scripted_unpool_output_size_and_errors():
    values, indices = pooled(2, (1, 2, 8, 6))
    module = scripted(tr.MaxUnpool2d(2))
    torch.testing.assert_close(module(values, indices, [9, 7]), torch.nn.MaxUnpool2d(2)(values, indices, [9, 7]))
    with pytest.raises(Exception, match="invalid output_size"):
        module(values, indices, [12, 7])
    with pytest.raises(Exception, match="only one of size or scale_factor"):
        scripted(Bad())(torch.randn(1, 1, 4, 4))


class Bad(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return tr.interpolate(x, size=[3, 3], scale_factor=2.0)


@pytest.mark.parametrize(
    "ours,theirs,shape,second",
    [
        (tr.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2), (1, 2, 8, 8), (2, 2, 6, 10)),
        (
            tr.Upsample(scale_factor=1.5, mode="bilinear"),
            torch.nn.Upsample(scale_factor=1.5, mode="bilinear"),
            (1, 2, 8, 8),
            (1, 2, 7, 11),
        ),
        (
            tr.Upsample(scale_factor=(0.5, 2.0), mode="bicubic", align_corners=True),
            torch.nn.Upsample(scale_factor=(0.5, 2.0), mode="bicubic", align_corners=True),
            (1, 2, 8, 8),
            (1, 2, 6, 5),
        ),
        (
            tr.Upsample(scale_factor=2, mode="nearest-exact"),
            torch.nn.Upsample(scale_factor=2, mode="nearest-exact"),
            (1, 2, 5),
            (3, 2, 9),
        ),
        (
            tr.Upsample(scale_factor=0.5, mode="area"),
            torch.nn.Upsample(scale_factor=0.5, mode="area"),
            (1, 2, 8, 8, 8),
            (1, 2, 6, 4, 10),
        ),
        (
            tr.Upsample(size=(5, 7), mode="bilinear"),
            torch.nn.Upsample(size=(5, 7), mode="bilinear"),
            (1, 2, 8, 8),
            (1, 2, 9, 3),
        ),
    ],
    ids=["nearest", "bilinear", "bicubic-corners", "nearest-exact-1d", "area-3d", "fixed-size"],
)
def test_trace_keeps_scale_factor_sizes_dynamic(ours, theirs, shape, second):
    """Traced at one size and run at another, the output size is what torch's traced layer gives (and the values
    ours)."""
    x, y = torch.randn(*shape), torch.randn(*second)
    ours_traced, theirs_traced = traced(ours, x), traced(theirs, x)
    got = ours_traced(y)
    assert got.shape == theirs_traced(y).shape
    torch.testing.assert_close(got, ours(y))


def test_trace_max_unpool_and_shuffle_at_another_size():
    class Decoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.unpool, self.shuffle = tr.MaxUnpool2d(2), tr.PixelShuffle(2)

        def forward(self, x):
            values, indices = F.max_pool2d(x, 2, return_indices=True)
            return self.shuffle(self.unpool(values, indices))

    model = Decoder()
    module = traced(model, torch.randn(1, 8, 8, 8))
    y = torch.randn(2, 8, 6, 10)
    assert torch.equal(module(y), model(y))


def test_trace_with_a_fixed_size_from_a_tensor_warns():
    """A size passed as another tensor's shape is a constant of the trace, with the tracer's warning."""

    def fn(x, like):
        return tr.interpolate(x, size=like.shape[2:], mode="bilinear")

    with pytest.warns(torch.jit.TracerWarning):
        module = torch.jit.trace(fn, (torch.randn(1, 1, 4, 4), torch.randn(1, 1, 6, 6)))
    assert module(torch.randn(1, 1, 4, 4), torch.randn(1, 1, 9, 9)).shape == (1, 1, 6, 6)


class Decoder(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.up = tr.Upsample(scale_factor=2, mode="bicubic", antialias=True)
        self.shuffle = tr.PixelShuffle(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.shuffle(self.up(self.conv(x)))
        return tr.interpolate(y, scale_factor=0.5, mode="lanczos") + tr.interpolate(y, scale_factor=0.5, mode="area")


def dynamic_shapes():
    return (
        {
            0: torch.export.Dim("batch", min=1, max=8),
            2: torch.export.Dim("h", min=4, max=64),
            3: torch.export.Dim("w", min=4, max=64),
        },
    )


def test_export_save_load_in_a_fresh_process(tmp_path):
    model = Decoder().eval()
    x, y = torch.randn(2, 3, 8, 10), torch.randn(1, 3, 12, 6)
    program = torch.export.export(model, (x,), dynamic_shapes=dynamic_shapes())
    torch.export.save(program, tmp_path / "decoder.pt2")
    with torch.no_grad():
        torch.save({"inputs": [x, y], "outputs": [model(x), model(y)]}, tmp_path / "expected.pt")
    run_fresh(f"""
        import torch, torchresample
        program = torch.export.load({str(tmp_path / "decoder.pt2")!r})
        expected = torch.load({str(tmp_path / "expected.pt")!r})
        for x, result in zip(expected["inputs"], expected["outputs"]):
            torch.testing.assert_close(program.module()(x), result, rtol=1e-5, atol=1e-5)
    """)


def test_aot_inductor_package_in_a_fresh_process(tmp_path):
    """aoti_compile_and_package builds the program (our ops are called through the dispatcher) and
    aoti_load_package runs it in a fresh process at two sizes, with the eager result."""
    model = Decoder().eval()
    x, y = torch.randn(2, 3, 8, 10), torch.randn(1, 3, 12, 6)
    with torch.no_grad():
        program = torch.export.export(model, (x,), dynamic_shapes=dynamic_shapes())
        path = torch._inductor.aoti_compile_and_package(program, package_path=str(tmp_path / "decoder.pt2"))
        torch.save({"inputs": [x, y], "outputs": [model(x), model(y)]}, tmp_path / "expected.pt")
    run_fresh(f"""
        import torch, torchresample
        runner = torch._inductor.aoti_load_package({path!r})
        expected = torch.load({str(tmp_path / "expected.pt")!r})
        for x, result in zip(expected["inputs"], expected["outputs"]):
            torch.testing.assert_close(runner(x), result, rtol=1e-5, atol=1e-5)
    """)


def test_readme_deploying_examples(tmp_path):
    """The README's "Deploying" examples, run as written."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Deploying", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0] for b in section.split("```python\n")[1:]]
    assert len(blocks) >= 3
    prelude = textwrap.dedent(f"""
        import os, warnings, logging
        warnings.simplefilter("ignore"); logging.disable(logging.WARNING)
        os.chdir({str(tmp_path)!r})
        import torch, torchresample as tr
        model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), tr.Upsample(scale_factor=2,
                                    mode="bilinear"), tr.PixelShuffle(2)).eval()
        x = torch.randn(2, 3, 32, 32)
    """)
    for block in blocks:
        run_fresh(prelude + block)
