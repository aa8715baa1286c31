"""The filter table (Note [filter table]): every windowed filter (Lanczos-a, box, Gaussian(sigma), Mitchell-Netravali
(B, C), Catmull-Rom) against a float64 dense-matrix reference written here from each filter's formula, in 1-D/2-D/3-D,
with and without antialias, every dtype, forward and backward, on the CPU and on every device of the CUDA matrix; the
filter parameters through the Python API, the op, compile, export and scripting."""

from __future__ import annotations

import math
from typing import Callable, Dict, Optional, Sequence

import numpy as np
import pytest
import torch

import torchresample
from conftest import apply_matrices, assert_uint8_within, uint8_reference
from conftest import tolerance as dtype_tolerance

# --------------------------------------------------------------------------------------------------------------
# The filters from their definitions (independent of csrc/common/filters.h).


def lanczos(a: float) -> Callable[[float], float]:
    def k(x: float) -> float:
        x = abs(x)
        if x >= a:
            return 0.0
        if x == 0:
            return 1.0
        return a * math.sin(math.pi * x) * math.sin(math.pi * x / a) / (math.pi * x) ** 2

    return k


def box(x: float) -> float:
    return 1.0 if -0.5 < x <= 0.5 else 0.0


def gaussian(sigma: float) -> Callable[[float], float]:
    return lambda x: math.exp(-x * x / (2 * sigma * sigma)) if abs(x) < 3 * sigma else 0.0


def bc_cubic(b: float, c: float) -> Callable[[float], float]:
    """Mitchell and Netravali's cubic family, from their paper's piecewise polynomial."""

    def k(x: float) -> float:
        x = abs(x)
        if x < 1:
            return ((12 - 9 * b - 6 * c) * x**3 + (-18 + 12 * b + 6 * c) * x**2 + (6 - 2 * b)) / 6
        if x < 2:
            return ((-b - 6 * c) * x**3 + (6 * b + 30 * c) * x**2 + (-12 * b - 48 * c) * x + (8 * b + 24 * c)) / 6
        return 0.0

    return k


# mode -> (filter_params as the API takes them, kernel, radius in filter units)
FILTERS = {
    "lanczos": (None, lanczos(3), 3.0),
    "lanczos-2": ({"a": 2}, lanczos(2), 2.0),
    "lanczos-5": ({"a": 5}, lanczos(5), 5.0),
    "box": (None, box, 0.5),
    "gaussian": (None, gaussian(0.5), 1.5),
    "gaussian-0.8": ({"sigma": 0.8}, gaussian(0.8), 2.4),
    "mitchell": (None, bc_cubic(1 / 3, 1 / 3), 2.0),
    "catmull-rom": (None, bc_cubic(0.0, 0.5), 2.0),
}


def mode_of(name: str) -> str:
    return name.split("-")[0] if name.startswith(("lanczos-", "gaussian-")) else name


def window_matrix(
    n_in: int,
    n_out: int,
    name: str,
    antialias: bool,
    align_corners: bool = False,
    scale_factor: Optional[float] = None,
    coord=np.float64,
) -> torch.Tensor:
    """(n_out, n_in) float64 weights of a windowed filter: a window of `radius` filter units around each output's
    centre (widened by the downscale with antialias), the taps inside the input normalised to sum 1. The window's
    coordinates are computed in `coord`, the kernels' accumulation type (float32 for every dtype but float64), so
    that a discontinuous filter (the box) makes the same tap decisions at ties. An axis whose size does not change
    is copied (as Pillow and torch's antialias kernels do)."""
    _, fn, radius = FILTERS[name]
    c = coord
    if align_corners:
        s = c((n_in - 1) / (n_out - 1)) if n_out > 1 else c(0)
    else:
        s = c(1.0 / scale_factor) if scale_factor else c(n_in) / c(n_out)
    if n_in == n_out:
        return torch.eye(n_in, dtype=torch.float64)
    widen = antialias and s >= 1
    support = c(radius) * (s if widen else c(1))
    invscale = c(1) / s if widen else c(1)
    bound = int(math.ceil(float(support))) * 2 + 1
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    for o in range(n_out):
        if antialias:
            center = s * (c(o) + c(0.5))
        else:
            src = s * c(o) if align_corners else s * (c(o) + c(0.5)) - c(0.5)
            center = src + c(0.5)
        xmin = max(int(center - support + c(0.5)), 0)
        xmax = min(int(center + support + c(0.5)), n_in)
        n = max(min(xmax - xmin, bound), 1)
        for j in range(n):
            i = min(xmin + j, n_in - 1)
            m[o, i] += fn(float((c(xmin + j) - center + c(0.5)) * invscale))
        total = m[o].sum()
        if total != 0:
            m[o] /= total
    return m


def coord_type(dtype: torch.dtype):
    return np.float64 if dtype == torch.float64 else np.float32


def reference(
    x: torch.Tensor,
    sizes: Sequence[int],
    name: str,
    antialias: bool,
    align_corners: bool = False,
    scales: Optional[Sequence[float]] = None,
) -> torch.Tensor:
    mats = [
        window_matrix(
            x.shape[2 + k], n, name, antialias, align_corners, scales[k] if scales else None, coord_type(x.dtype)
        )
        for k, n in enumerate(sizes)
    ]
    return apply_matrices(x.double(), mats)


def ours(x: torch.Tensor, name: str, antialias: bool, **kw) -> torch.Tensor:
    return torchresample.interpolate(x, mode=mode_of(name), antialias=antialias, filter_params=FILTERS[name][0], **kw)


def tolerance(dtype: torch.dtype) -> Dict[str, float]:
    rtol, atol = dtype_tolerance(dtype)  # from the dtype's rounding (conftest.tolerance)
    return {"rtol": rtol, "atol": atol}


SHAPES = {
    1: ((2, 3, 13), [(29,), (5,)]),
    2: ((1, 3, 11, 14), [(23, 9), (4, 30)]),
    3: ((1, 2, 7, 9, 6), [(13, 4, 11), (3, 17, 5)]),
}


@pytest.mark.parametrize("name", list(FILTERS))
@pytest.mark.parametrize("dim", (1, 2, 3))
@pytest.mark.parametrize("antialias", (False, True))
@pytest.mark.parametrize("dtype", (torch.float64, torch.float32))
def test_forward_matches_the_dense_reference(name, dim, antialias, dtype):
    shape, sizes = SHAPES[dim]
    x = torch.randn(shape, dtype=torch.float64).to(dtype)
    for size in sizes:
        got = ours(x, name, antialias, size=size)
        torch.testing.assert_close(
            got.double(),
            reference(x, size, name, antialias),
            **tolerance(dtype),
            msg=lambda m: f"{name} {dim}-D {size} antialias={antialias}\n{m}",
        )


@pytest.mark.parametrize("name", list(FILTERS))
@pytest.mark.parametrize("align_corners", (False, True))
def test_scale_factors_and_align_corners(name, align_corners):
    x = torch.randn(2, 2, 10, 17, dtype=torch.float64)
    for factor in ((1.7, 0.45), (2.0, 3.0), (0.3, 0.5)):
        got = ours(x, name, False, scale_factor=factor, align_corners=align_corners)
        sizes = [int(x.shape[2 + k] * f) for k, f in enumerate(factor)]
        want = reference(x, sizes, name, False, align_corners, None if align_corners else factor)
        torch.testing.assert_close(got, want, **tolerance(torch.float64))


@pytest.mark.parametrize("name", list(FILTERS))
@pytest.mark.parametrize("dtype", (torch.float16, torch.bfloat16))
def test_half_types(name, dtype):
    x = torch.randn(1, 4, 12, 15).to(dtype)
    for antialias in (False, True):
        for size in ((25, 7), (5, 31)):
            got = ours(x, name, antialias, size=size)
            assert got.dtype == dtype
            # The result is rounded once to the type from a float accumulator.
            torch.testing.assert_close(got.double(), reference(x, size, name, antialias), **tolerance(dtype))


@pytest.mark.parametrize("name", list(FILTERS))
@pytest.mark.parametrize("dim", (1, 2, 3))
def test_uint8(name, dim):
    shape, sizes = SHAPES[dim]
    x = torch.randint(0, 256, shape, dtype=torch.uint8)
    negative_lobes = torchresample.FILTERS[mode_of(name)].negative_lobes
    for antialias in (False, True):
        for size in sizes:
            full = lambda t, s=size: reference(t, s, name, antialias)  # noqa: E731
            if negative_lobes and dim > 1:
                # W first, rounded and clipped to uint8, then the other axes (Note [rounded w pass]).
                along_w = lambda t, s=size: reference(t, list(t.shape[2:-1]) + [s[-1]], name, antialias)  # noqa: E731
                rest = lambda t, s=size: reference(t, s, name, antialias)  # noqa: E731
                lo, hi = uint8_reference(x, full, along_w, rest)
            else:
                lo, hi = uint8_reference(x, full)
            assert_uint8_within(ours(x, name, antialias, size=size), lo, hi, msg=f"{name} {size} aa={antialias}")


@pytest.mark.parametrize("name", list(FILTERS))
@pytest.mark.parametrize("dim", (1, 2, 3))
@pytest.mark.parametrize("antialias", (False, True))
def test_backward_is_the_transposed_reference(name, dim, antialias):
    shape, sizes = SHAPES[dim]
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    for size in sizes:
        g = torch.randn(*shape[:2], *size, dtype=torch.float64)
        (grad,) = torch.autograd.grad(ours(x, name, antialias, size=size), x, g)
        mats = [window_matrix(shape[2 + k], n, name, antialias).T for k, n in enumerate(size)]
        torch.testing.assert_close(grad, apply_matrices(g, mats), **tolerance(torch.float64))


@pytest.mark.parametrize("name", list(FILTERS))
def test_gradcheck(name):
    x = torch.randn(1, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    for antialias in (False, True):
        for size in ((9, 3), (2, 11)):
            fn = lambda t, a=antialias, s=size: ours(t, name, a, size=s)  # noqa: E731
            assert torch.autograd.gradcheck(fn, (x,))
            assert torch.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("name", list(FILTERS))
def test_opcheck(name):
    params = torchresample.functional._ops.filter_param_values(mode_of(name), FILTERS[name][0])
    x = torch.randn(1, 2, 6, 7, requires_grad=True)
    for antialias in (False, True):
        torch.library.opcheck(
            torch.ops.torchresample.resample.default, (x, [11, 3], mode_of(name), False, None, antialias, params)
        )
        g = torch.randn(1, 2, 11, 3)
        torch.library.opcheck(
            torch.ops.torchresample.resample_backward.default,
            (g, [6, 7], mode_of(name), False, None, antialias, params),
        )


@pytest.mark.parametrize("name", list(FILTERS))
@pytest.mark.parametrize("dtype", (torch.float32, torch.float64, torch.uint8))
def test_devices_match_the_cpu(device, name, dtype):
    x = (
        torch.randint(0, 256, (2, 3, 9, 12, 8), dtype=torch.uint8)
        if dtype == torch.uint8
        else torch.randn(2, 3, 9, 12, 8, dtype=dtype)
    )
    for antialias in (False, True):
        for size in ((17, 5, 8), (4, 13, 3)):
            want = device.host(ours, x, name, antialias, size=size)
            got = ours(device.put(x), name, antialias, size=size).cpu()
            if dtype == torch.uint8:
                assert (got.int() - want.int()).abs().max() <= 1
            else:
                torch.testing.assert_close(got, want, **tolerance(dtype))
            if dtype == torch.float64:
                xg = device.put(x).requires_grad_(True)
                g = torch.randn(2, 3, *size, dtype=dtype)
                (grad,) = torch.autograd.grad(ours(xg, name, antialias, size=size), xg, device.put(g))
                mats = [window_matrix(x.shape[2 + k], n, name, antialias).T for k, n in enumerate(size)]
                torch.testing.assert_close(grad.cpu(), apply_matrices(g, mats), **tolerance(dtype))


def test_box_antialias_is_area_on_whole_ratios():
    """A box window over a whole downscale factor averages each block: torch's avg_pool."""
    x = torch.randn(2, 3, 12, 18, dtype=torch.float64)
    got = torchresample.interpolate(x, size=(4, 6), mode="box", antialias=True)
    torch.testing.assert_close(got, torch.nn.functional.avg_pool2d(x, 3), rtol=1e-12, atol=1e-12)


def test_box_upsampling_is_a_nearest_copy():
    x = torch.randn(1, 2, 5, 7, dtype=torch.float64)
    got = torchresample.interpolate(x, scale_factor=3, mode="box")
    torch.testing.assert_close(got, x.repeat_interleave(3, 2).repeat_interleave(3, 3), rtol=0, atol=0)


def test_presets_and_defaults_give_the_same_bits():
    x = torch.randn(2, 3, 16, 21)
    for mode, params, other_mode, other_params in (
        ("lanczos", None, "lanczos", {"a": 3}),
        ("catmull-rom", None, "mitchell", {"b": 0.0, "c": 0.5}),
        ("mitchell", None, "catmull-rom", {"b": 1 / 3, "c": 1 / 3}),
        ("gaussian", None, "gaussian", {"sigma": 0.5}),
        ("mitchell", {"b": 0.2}, "mitchell", {"b": 0.2, "c": 1 / 3}),
    ):
        for antialias in (False, True):
            a = torchresample.interpolate(x, size=(7, 33), mode=mode, antialias=antialias, filter_params=params)
            b = torchresample.interpolate(
                x, size=(7, 33), mode=other_mode, antialias=antialias, filter_params=other_params
            )
            assert torch.equal(a, b), (mode, params, other_mode, other_params)


def test_catmull_rom_antialias_is_torchs_bicubic_antialias():
    """Catmull-Rom is Keys a = -1/2, the kernel of torch's antialiased bicubic."""
    x = torch.randn(2, 3, 40, 37, dtype=torch.float64)
    got = torchresample.interpolate(x, size=(13, 11), mode="catmull-rom", antialias=True)
    want = torch.nn.functional.interpolate(x, size=(13, 11), mode="bicubic", antialias=True)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_the_table_lists_every_filter_once():
    table = torchresample.FILTERS
    assert list(table) == [
        "nearest",
        "nearest-exact",
        "linear",
        "cubic",
        "area",
        "lanczos",
        "box",
        "gaussian",
        "mitchell",
        "catmull-rom",
    ]
    assert table["gaussian"].params == (("sigma", 0.5),)
    assert table["mitchell"].params == (("b", 1 / 3), ("c", 1 / 3))
    assert table["lanczos"].params == (("a", 3.0),)
    assert {n for n, f in table.items() if f.kind == "windowed"} == {
        "lanczos",
        "box",
        "gaussian",
        "mitchell",
        "catmull-rom",
    }


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(mode="gaussian", filter_params={"radius": 2}), ValueError, "not parameters of the 'gaussian'"),
        (dict(mode="box", filter_params={"a": 2}), ValueError, "its parameters: none"),
        (dict(mode="bilinear", filter_params={"a": 2}), ValueError, "not parameters of the 'linear'"),
        (dict(mode="gaussian", filter_params={"sigma": 0.0}), ValueError, "sigma must be in"),
        (dict(mode="gaussian", filter_params={"sigma": float("nan")}), ValueError, "finite"),
        (dict(mode="lanczos", filter_params={"a": 100}), ValueError, "a must be in"),
        (dict(mode="nearest", antialias=True), ValueError, "Anti-alias option is restricted"),
    ],
)
def test_bad_parameters_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        torchresample.interpolate(torch.randn(1, 1, 6, 6), size=(3, 3), **kwargs)


def test_the_op_checks_its_parameter_list():
    x = torch.randn(1, 1, 6, 6)
    op = torch.ops.torchresample.resample.default
    with pytest.raises(ValueError, match="one value per parameter"):
        op(x, [3, 3], "mitchell", False, None, False, [0.5])
    with pytest.raises(ValueError, match="takes no parameters"):
        op(x, [3, 3], "box", False, None, False, [1.0])
    with pytest.raises(ValueError, match="unknown filter 'sinc'; expected one of nearest, nearest-exact"):
        op(x, [3, 3], "sinc", False, None, False)
    with pytest.raises(ValueError, match="antialias is not defined for the area filter"):
        op(x, [3, 3], "area", False, None, True)


def test_compile_takes_the_parameters():
    x = torch.randn(2, 3, 15, 16)

    def f(t, sigma: float):
        return torchresample.interpolate(
            t, size=(7, 30), mode="gaussian", antialias=True, filter_params={"sigma": sigma}
        )

    torch._dynamo.reset()
    compiled = torch.compile(f, fullgraph=True)
    for sigma in (0.5, 1.25):
        torch.testing.assert_close(compiled(x, sigma), f(x, sigma), rtol=0, atol=0)


def test_vmap_and_the_layer_take_the_parameters():
    x = torch.randn(4, 1, 2, 9, 10)
    fn = lambda t: torchresample.interpolate(t, size=(5, 21), mode="lanczos", filter_params={"a": 2})  # noqa: E731
    torch.testing.assert_close(torch.vmap(fn)(x), torch.stack([fn(t) for t in x]), rtol=0, atol=0)
    layer = torchresample.Upsample(size=(5, 21), mode="lanczos", filter_params={"a": 2})
    assert "filter_params={'a': 2.0}" in repr(layer)
    torch.testing.assert_close(layer(x[0]), fn(x[0]), rtol=0, atol=0)


def test_script_and_trace_take_the_parameters():
    class Net(torch.nn.Module):
        def forward(self, t):
            return torchresample.interpolate(
                t, scale_factor=[0.5, 1.5], mode="mitchell", antialias=True, filter_params={"c": 0.25}
            )

    x = torch.randn(1, 2, 12, 10)
    want = Net()(x)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted = torch.jit.script(Net())
        traced = torch.jit.trace(Net(), x)
    torch.testing.assert_close(scripted(x), want, rtol=0, atol=0)
    torch.testing.assert_close(traced(x), want, rtol=0, atol=0)
    layer = torch.jit.script(torchresample.Upsample(scale_factor=2.0, mode="gaussian", filter_params={"sigma": 0.7}))
    torch.testing.assert_close(
        layer(x),
        torchresample.interpolate(x, scale_factor=2.0, mode="gaussian", filter_params={"sigma": 0.7}),
        rtol=0,
        atol=0,
    )


def test_onnx_export_takes_the_parameters(tmp_path):
    ort = pytest.importorskip("onnxruntime")

    class Net(torch.nn.Module):
        def forward(self, t):
            return torchresample.interpolate(
                t, size=(9, 20), mode="gaussian", antialias=True, filter_params={"sigma": 0.9}
            )

    x = torch.randn(1, 3, 17, 13)
    path = str(tmp_path / "gaussian.onnx")
    torch.onnx.export(Net(), (x,), path, dynamo=False, opset_version=torchresample.onnx.OPSET)
    (got,) = ort.InferenceSession(path).run(None, {ort.InferenceSession(path).get_inputs()[0].name: x.numpy()})
    torch.testing.assert_close(torch.from_numpy(got), Net()(x), rtol=1e-5, atol=1e-5)
