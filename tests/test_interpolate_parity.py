"""Parity with F.interpolate over every torch mode x rank x dtype x layout x size spec, forward and backward."""

from __future__ import annotations

import math
import random

import pytest
import torch
import torch.nn.functional as F
from torch._prims_common import suggest_memory_format

from conftest import (
    antialias_matrix,
    apply_matrices,
    assert_close,
    assert_same_layout,
    assert_uint8_within,
    channels_last_format,
    layouts_for,
    make_input,
    ours,
    split_spec,
    uint8_reference,
)

# Torch's modes per spatial rank. lanczos is 4-D only and needs antialias=True in torch.
MODES = {
    1: ("nearest", "nearest-exact", "linear", "area"),
    2: ("nearest", "nearest-exact", "bilinear", "bicubic", "area", "lanczos"),
    3: ("nearest", "nearest-exact", "trilinear", "area"),
}
NO_CORNERS = ("nearest", "nearest-exact", "area")


# (name, input extent, output extent, scale factor, primary axis, batch): the primary axis (0: first spatial,
# -1: W) resamples in -> out; scale is the scale_factor giving out (floor(in * scale) == out), which the kernels
# use as 1 / scale unless recomputed: the *_not_ratio cases make that differ from in / out.
CASES = [
    ("in1_up", 1, 4, 4.0, -1, 2),
    ("in1_out1", 1, 1, 1.0, 0, 2),
    ("out1_down", 4, 1, 0.25, -1, 2),
    ("out_eq_in", 5, 5, 1.0, 0, 2),
    ("scale1.05_out_eq_in", 5, 5, 1.05, -1, 2),
    ("double", 4, 8, 2.0, -1, 2),
    ("up_3_7", 3, 7, 7 / 3, 0, 2),
    ("down_16_9", 16, 9, 9 / 16, -1, 2),
    ("down_not_ratio", 10, 3, 0.37, 0, 2),
    ("up_not_ratio", 4, 6, 1.7, -1, 2),
    ("noninteger_88_120", 88, 120, 120 / 88, 0, 2),
    ("down_1000_3", 1000, 3, 3 / 1000, -1, 2),
    ("empty_batch", 6, 4, 4 / 6, -1, 0),
]
# The other spatial axes: (in, out, scale), one downscale and one upscale.
OTHER_AXES = [(5, 4, 0.8), (4, 6, 1.5)]


def geometry(dim, case):
    """Input spatial shape, output sizes and per-axis scale factors for a case."""
    _, n_in, n_out, scale, axis, _ = case
    others = OTHER_AXES[: dim - 1]
    axes = others + [(n_in, n_out, scale)] if axis == -1 else [(n_in, n_out, scale)] + others
    return [a[0] for a in axes], [a[1] for a in axes], [a[2] for a in axes]


def specs(out_sizes, scales):
    yield {"size": out_sizes}
    yield {"scale_factor": scales}
    yield {"scale_factor": scales, "recompute_scale_factor": True}


def dtypes_for(dim, mode, antialias):
    """The dtypes torch accepts for (mode, rank, antialias): half/bfloat16 have no antialias kernel; uint8 is
    nearest/nearest-exact in any rank and 4-D bilinear/bicubic/lanczos."""
    out = [torch.float32, torch.float64]
    if not antialias:
        out += [torch.float16, torch.bfloat16]
    if mode in ("nearest", "nearest-exact") or (dim == 2 and mode in ("bilinear", "bicubic", "lanczos")):
        out.append(torch.uint8)
    return out


def corner_options(mode):
    return (None,) if mode in NO_CORNERS or mode == "lanczos" else (False, True)


def antialias_options(dim, mode):
    if mode == "lanczos":
        return (True,)
    return (False, True) if dim == 2 and mode in ("bilinear", "bicubic") else (False,)


AA_FILTERS = {"bilinear": "linear", "bicubic": "cubic", "lanczos": "lanczos"}


def torch_aa_is_wrong(x, kwargs, out_sizes):
    """torch 2.14's antialias kernels give wrong values (every output row equal to the first one) for an output
    width of 1 when the height is resampled, on input that is not channels_last: there the expected values come
    from the float64 definition (antialias_matrix), which matches torch everywhere else."""
    return (
        kwargs["antialias"]
        and out_sizes[-1] == 1
        and x.shape[-2] != out_sizes[-2]
        and suggest_memory_format(x) != torch.channels_last
    )


def aa_matrices(x, spec, kwargs, out_sizes):
    """Per-axis float64 weights of torch's antialias forward: the definition, and a copy where out == in."""
    scales = spec.get("scale_factor") if not spec.get("recompute_scale_factor") else None
    filt, ac = AA_FILTERS[kwargs["mode"]], kwargs["align_corners"]
    return [
        torch.eye(n, dtype=torch.float64) if n == o else antialias_matrix(n, o, filt, ac, scales and scales[k])
        for k, (n, o) in enumerate(zip(x.shape[2:], out_sizes))
    ]


def torch_float64(x, spec, kwargs):
    """torch's float64 result for x, or the float64 definition where torch's antialias kernel is wrong."""
    y = F.interpolate(x.double(), **spec, **kwargs)
    if torch_aa_is_wrong(x, kwargs, y.shape[2:]):
        return apply_matrices(x, aa_matrices(x, spec, kwargs, y.shape[2:]))
    return y


def check_uint8(x, got, mode, kwargs, spec, label):
    """uint8 against torch's float path rounded (two passes for the overshooting filters, as torch's uint8 kernels
    take them), and against torch's own uint8 kernel where it is sound.

    Torch's uint8 kernels use int16 fixed-point weights; for bilinear torch's own tests bound them within 1 of the
    float result rounded, and so do we. For bicubic and lanczos the fixed-point weights can flip the rounding of
    the W-pass intermediate, which the vertical pass amplifies: torch's uint8 result is up to 2 away from its own
    float path. We match the float path within 1 and so stay within 2 of torch's uint8 bicubic. Torch's uint8
    kernels (2.14, AVX2) return garbage or fail an internal assert for an output width of 1, and misread an input
    with a spatial extent of 1 whose stride is not the contiguous one; and torch's uint8 bicubic copies an axis
    whose extent does not change even when given a scale (1.05), where its float bicubic applies the scale.
    There we compare with the float path only.
    """
    if mode in ("nearest", "nearest-exact"):
        expected = F.interpolate(x, **spec, **kwargs)
        assert_same_layout(got, expected, label)
        assert torch.equal(got, expected), label
        return
    full = lambda t: torch_float64(t, spec, kwargs)  # noqa: E731
    if mode == "bilinear":
        lo, hi = uint8_reference(x, full)
    else:
        w_spec, rest_spec = split_spec(spec, x.shape[2:])
        lo, hi = uint8_reference(
            x, full, lambda t: torch_float64(t, w_spec, kwargs), lambda t: torch_float64(t, rest_spec, kwargs)
        )
    assert_same_layout(got, F.interpolate(x.float(), **spec, **kwargs).to(torch.uint8), label)
    assert_uint8_within(got, lo, hi, 1, label + " vs torch's float path")
    given_scale_on_copy = (
        "scale_factor" in spec
        and not spec.get("recompute_scale_factor")
        and any(n == o and s != 1 for n, o, s in zip(x.shape[2:], got.shape[2:], spec["scale_factor"]))
    )
    if got.shape[-1] > 1 and 1 not in x.shape[2:] and not given_scale_on_copy and mode != "lanczos" and got.numel():
        theirs = F.interpolate(x, **spec, **kwargs)
        assert_uint8_within(
            got, theirs.double(), theirs.double(), 1 if mode == "bilinear" else 2, label + " vs torch's uint8 kernel"
        )


def torch_backward_is_not_adjoint(x, mode, antialias, spec, in_spatial, out_sizes, scales):
    """Where torch's backward is not the adjoint of its own forward and ours is: torch's antialias forward copies an
    axis whose extent does not change even when given a scale (1.05 on 5 pixels), but its backward applies the
    1/1.05 filter there. (Its nearest backward does not match its 1-D and 3-D forwards either; there ours gives
    torch's backward, Note [nearest index].)"""
    if "scale_factor" not in spec or spec.get("recompute_scale_factor"):
        return False
    return antialias and any(o == i and s != 1 for i, o, s in zip(in_spatial, out_sizes, scales))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dim,mode,layout", [(d, m, l) for d in (1, 2, 3) for m in MODES[d] for l in layouts_for(d)])
def test_parity(dim, mode, layout, case):
    in_spatial, out_sizes, scales = geometry(dim, case)
    batch = case[5]
    extent = max(in_spatial + out_sizes)
    # torch's adaptive_avg_pool3d returns a contiguous result for channels_last_3d input; ours keeps
    # channels_last_3d (the input's suggested format, as every other mode): compare values only there.
    check_strides = not (mode == "area" and dim == 3 and layout == "channels_last")
    for antialias in antialias_options(dim, mode):
        for align_corners in corner_options(mode):
            for dtype in dtypes_for(dim, mode, antialias):
                x = make_input([batch, 3, *in_spatial], dtype, layout)
                for spec in specs(out_sizes, scales):
                    kwargs = dict(mode=mode, align_corners=align_corners, antialias=antialias)
                    label = f"{mode} {dim}-D {layout} {dtype} ac={align_corners} aa={antialias} {spec}"
                    got = ours(x, **spec, **kwargs)
                    if dtype == torch.uint8:
                        check_uint8(x, got, mode, kwargs, spec, label)
                        continue
                    xt = x.detach().clone().requires_grad_()
                    expected = F.interpolate(xt, **spec, **kwargs)
                    if check_strides:
                        assert_same_layout(got, expected, label)
                    else:
                        assert got.shape == expected.shape, label
                    aa_wrong = torch_aa_is_wrong(x, kwargs, expected.shape[2:])
                    if mode in ("nearest", "nearest-exact"):
                        assert torch.equal(got, expected.detach()), label
                    elif aa_wrong:
                        mats = aa_matrices(x, spec, kwargs, expected.shape[2:])
                        assert_close(got, apply_matrices(x, mats), dtype=dtype, msg=label)
                    else:
                        assert_close(got, expected, coordinates=extent, msg=label)

                    # Backward: the same random grad_output, laid out as the output, through both. autograd.grad
                    # returns the gradients as the ops make them (x.grad would be restrided to x's layout).
                    # torch's kernels disagree on that layout (2-D bicubic, lanczos, 3-D nearest: always
                    # contiguous; 2-D area: the input's; the others: grad_output's); ours follows grad_output's.
                    xo = x.detach().clone().requires_grad_()
                    grad_out = torch.empty_like(expected).copy_(make_input(expected.shape, dtype))
                    (grad_ours,) = torch.autograd.grad(ours(xo, **spec, **kwargs), xo, grad_out)
                    (grad_torch,) = torch.autograd.grad(expected, xt, grad_out)
                    assert grad_ours.shape == x.shape and grad_ours.dtype == dtype, label
                    assert grad_ours.is_contiguous(memory_format=suggest_memory_format(grad_out)), label
                    if torch_backward_is_not_adjoint(x, mode, antialias, spec, in_spatial, out_sizes, scales):
                        mats = aa_matrices(x, spec, kwargs, expected.shape[2:])
                        expected_grad = apply_matrices(grad_out, [m.t() for m in mats])
                        assert_close(grad_ours, expected_grad, dtype=dtype, msg=label + " grad (adjoint)")
                    elif aa_wrong:
                        transposed = [m.t() for m in mats]
                        assert_close(grad_ours, apply_matrices(grad_out, transposed), dtype=dtype, msg=label + " grad")
                    elif dtype in (torch.float16, torch.bfloat16):
                        # torch's half backward kernels accumulate some gradients (area) in the half type and
                        # drift a few ulp from the exact sum; ours round once: compare with torch in float64.
                        x64 = x.detach().double().requires_grad_()
                        (grad64,) = torch.autograd.grad(F.interpolate(x64, **spec, **kwargs), x64, grad_out.double())
                        assert_close(grad_ours, grad64, dtype=dtype, coordinates=extent, msg=label + " grad")
                    else:
                        assert_close(grad_ours, grad_torch, coordinates=extent, msg=label + " grad")


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_nearest_shortcuts_with_a_scale_follow_torch(dim):
    """out == in or out == 2 * in with a scale factor that is not out / in: torch's indexed kernels (2-D, channels-last
    3-D of 4+ channels, every backward) copy / halve the index, its separable ones (1-D, the other 3-D forwards)
    apply the scale (Note [nearest index]). Forward and gradient bit-exact with torch's, in every layout."""
    for channels in (3, 4):
        for layout in layouts_for(dim):
            for axis in range(dim):
                for n, scale in [(5, 1.05), (4, 2.1)]:
                    spatial, scales = [3] * dim, [1.0] * dim
                    spatial[axis], scales[axis] = n, scale
                    x = make_input([2, channels, *spatial], torch.float64, layout).requires_grad_()
                    label = f"{dim}-D {layout} C={channels} axis {axis} scale {scale}"
                    got = ours(x, scale_factor=scales)
                    expected = F.interpolate(x, scale_factor=scales)
                    assert torch.equal(got, expected), label
                    grad_out = torch.randn(got.shape, dtype=torch.float64)
                    (grad,) = torch.autograd.grad(got, x, grad_out)
                    assert torch.equal(grad, torch.autograd.grad(expected, x, grad_out)[0]), label


def test_output_size_from_scale_truncates_like_torch():
    """Output extents from scale factors: floor of the double product, including products just below an
    integer (88 * (120 / 88) and 0.29 * 100 are not exact)."""
    for n, s in [(88, 120 / 88), (100, 0.29), (7, 1 / 7), (3, 1.9999999), (10, 0.3), (1, 0.99)]:
        x = torch.randn(1, 2, n)
        for mode in ("nearest", "linear", "area"):
            try:
                expected = F.interpolate(x, scale_factor=s, mode=mode)
            except RuntimeError:
                with pytest.raises(RuntimeError):
                    ours(x, scale_factor=s, mode=mode)
                continue
            got = ours(x, scale_factor=s, mode=mode)
            assert got.shape == expected.shape == (1, 2, math.floor(n * s))
            assert_close(got, expected)


def test_area_channels_last_3d_keeps_format():
    """The documented difference: area on channels_last_3d input keeps that format (torch's
    adaptive_avg_pool3d returns a contiguous tensor); values are equal."""
    x = make_input([2, 3, 4, 6, 5], layout="channels_last")
    got = ours(x, size=(2, 3, 4), mode="area")
    assert got.is_contiguous(memory_format=channels_last_format(5))
    assert_close(got, F.interpolate(x, size=(2, 3, 4), mode="area"))


def test_area_zero_output_extent():
    """torch's area mode (adaptive average pooling) returns an empty tensor for an output extent of 0."""
    for dim in (1, 2, 3):
        x = torch.randn(2, 3, *[5] * dim)
        for kwargs in ({"size": 0}, {"scale_factor": 0.1}):
            expected = F.interpolate(x, mode="area", **kwargs)
            got = ours(x, mode="area", **kwargs)
            assert got.shape == expected.shape and got.numel() == 0


WIDE_CASES = [
    ("nearest", False),
    ("bilinear", False),
    ("bicubic", False),
    ("bicubic", True),
    ("area", False),
    ("lanczos", True),
    ("trilinear", False),
    ("nearest-exact", False),
]


@pytest.mark.parametrize("mode,antialias", WIDE_CASES, ids=[f"{m}-aa{a}" for m, a in WIDE_CASES])
def test_channels_last_with_many_channels(mode, antialias):
    """channels_last with more channels than the kernels blend at once (70), forward and backward."""
    spatial, size = ([5, 4, 6], [3, 7, 4]) if mode == "trilinear" else ([7, 9], [10, 4])
    for dtype in (torch.float32, torch.uint8) if mode in ("nearest", "bilinear", "bicubic") else (torch.float32,):
        x = make_input([2, 70, *spatial], dtype, "channels_last")
        if mode == "area" or mode.startswith("nearest"):
            kwargs = dict(mode=mode)
        else:
            kwargs = dict(mode=mode, antialias=antialias, align_corners=False)
        got = ours(x, size=size, **kwargs)
        expected = F.interpolate(x, size=size, **kwargs)
        assert_same_layout(got, expected, mode)
        if dtype == torch.uint8:
            # torch's uint8 bounds, as in check_uint8: exact for nearest, 1 for bilinear, 2 for bicubic.
            bound = {"nearest": 0, "bilinear": 1, "bicubic": 2}[mode]
            assert_uint8_within(got, expected.double(), expected.double(), bound, f"{mode} uint8")
            continue
        if mode.startswith("nearest"):
            assert torch.equal(got, expected), mode
        else:
            assert_close(got, expected, msg=mode)
        xo, xt = x.clone().requires_grad_(), x.clone().requires_grad_()
        grad_out = make_input(got.shape, dtype, "channels_last")
        (grad_ours,) = torch.autograd.grad(ours(xo, size=size, **kwargs), xo, grad_out)
        (grad_torch,) = torch.autograd.grad(F.interpolate(xt, size=size, **kwargs), xt, grad_out)
        assert grad_ours.is_contiguous(memory_format=channels_last_format(x.dim())), mode
        assert_close(grad_ours, grad_torch, msg=mode + " grad")


@pytest.mark.parametrize("channels", [1, 2, 3, 4, 5, 16, 17])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_uint8_channel_counts(channels, layout):
    """uint8 (Note [fixed-point uint8]) for every channel count the engine treats apart (1, 3 and 4 have vector
    paths, the rest a generic one), windows from 2 taps to wide antialias ones, and widths small enough that the
    vector loads fall back at the row's edge."""
    torch.manual_seed(channels)
    geometries = [((37, 61), (7, 9)), ((5, 6), (11, 13)), ((23, 3), (4, 2)), ((9, 130), (9, 17)), ((16, 16), (16, 48))]
    for (h, w), size in geometries:
        x = make_input([2, channels, h, w], torch.uint8, layout)
        for mode, antialias in [
            ("bilinear", False),
            ("bilinear", True),
            ("bicubic", False),
            ("bicubic", True),
            ("lanczos", True),
        ]:
            for align_corners in (None,) if mode == "lanczos" else (False, True):
                kwargs = dict(mode=mode, align_corners=align_corners, antialias=antialias)
                label = f"{mode} aa={antialias} ac={align_corners} {layout} C={channels} {(h, w)}->{size}"
                check_uint8(x, ours(x, size=size, **kwargs), mode, kwargs, dict(size=size), label)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_uint8_sharp_upscales_of_hard_edges(channels):
    """uint8 cubic and Lanczos upscales keep 7 fraction bits in their clipped intermediate (Note [fixed-point
    uint8]): on black-and-white edges, where every window overshoots and the clip decides, still within 1 of the
    two-pass float result and within torch's bound of its uint8 kernel."""
    torch.manual_seed(channels)
    for (h, w), size in [((12, 17), (40, 51)), ((20, 20), (60, 60)), ((31, 9), (47, 30)), ((16, 24), (17, 25))]:
        for layout in ("contiguous", "channels_last"):
            x = make_input([1, channels, h, w], torch.uint8, layout)
            x = torch.where(x > 127, 255, 0).to(torch.uint8)
            for mode, antialias in [("bicubic", False), ("bicubic", True), ("lanczos", True)]:
                kwargs = dict(mode=mode, antialias=antialias)
                label = f"{mode} aa={antialias} {layout} C={channels} {(h, w)}->{size} (edges)"
                check_uint8(x, ours(x, size=size, **kwargs), mode, kwargs, dict(size=size), label)


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_uint8_one_axis_kept(layout):
    """uint8 where H or W keeps its extent (Note [uint8 identity axes]: one pass, rounded once) for every filter
    and the channel counts with vector paths."""
    torch.manual_seed(3)
    for channels in (1, 3, 4, 5):
        for (h, w), size in [((30, 41), (30, 13)), ((30, 41), (9, 41)), ((12, 20), (12, 57)), ((12, 20), (35, 20))]:
            x = make_input([2, channels, h, w], torch.uint8, layout)
            for mode, antialias in [("bilinear", True), ("bilinear", False), ("bicubic", True), ("lanczos", True)]:
                kwargs = dict(mode=mode, antialias=antialias)
                label = f"{mode} aa={antialias} {layout} C={channels} {(h, w)}->{size}"
                check_uint8(x, ours(x, size=size, **kwargs), mode, kwargs, dict(size=size), label)


def test_uint8_random_geometries():
    """uint8 on seeded random geometries (sizes 1-70, extreme downscales, 1-D and 2-D, every layout the engine
    sees, channel counts with and without a vector path) against the float64 references; 1-D must equal the 2-D
    engine on a unit axis."""
    rng = random.Random(1)
    torch.manual_seed(1)
    for _ in range(200):
        dim, channels = rng.choice([1, 2, 2, 2]), rng.choice([1, 2, 3, 4, 5, 8, 33])
        in_spatial = [rng.randint(1, 70) for _ in range(dim)]
        size = [rng.randint(1, 70) for _ in range(dim)]
        if rng.random() < 0.2:
            size = [max(1, n // rng.randint(5, 30)) for n in in_spatial]
        layout = rng.choice(["contiguous", "channels_last", "transposed"]) if dim == 2 else "contiguous"
        x = make_input([rng.randint(1, 2), channels, *in_spatial], torch.uint8, layout)
        mode = rng.choice(["linear", "area"] if dim == 1 else ["bilinear", "bicubic", "area", "lanczos"])
        antialias = mode == "lanczos" or (mode in ("bilinear", "bicubic") and rng.random() < 0.5)
        corners = None if mode in ("area", "lanczos") else rng.choice([False, True])
        kwargs = dict(mode=mode, align_corners=corners, antialias=antialias)
        label = f"{tuple(x.shape)} {layout} -> {size} {kwargs}"
        got = ours(x, size=size, **kwargs)
        if dim == 1:
            planar = dict(kwargs, mode="bilinear" if mode == "linear" else mode)
            assert torch.equal(got, ours(x.unsqueeze(2), size=[1, *size], **planar).squeeze(2)), label
        elif mode == "area":
            assert_uint8_within(got, *uint8_reference(x, lambda t: F.interpolate(t, size=size, mode="area")), 1, label)
        else:
            check_uint8(x, got, mode, kwargs, dict(size=size), label)


@pytest.mark.parametrize("mode", ["trilinear", "area"])
def test_volumes_with_more_row_pairs_than_the_table_takes(mode):
    """resample_rows tables each output row's input rows per call up to kRowTableEntries pairs and builds them row by
    row beyond (128 x 128 output rows x 4 pairs; 48 x 48 x 9): the same results as torch, forward and backward."""
    torch.manual_seed(7)
    x = make_input([1, 2, 64, 64, 5], torch.float64)
    size = [128, 128, 5] if mode == "trilinear" else [48, 48, 5]
    kwargs = dict(mode=mode) if mode == "area" else dict(mode=mode, align_corners=False)
    xo, xt = x.clone().requires_grad_(), x.clone().requires_grad_()
    got, expected = ours(xo, size=size, **kwargs), F.interpolate(xt, size=size, **kwargs)
    assert_close(got, expected, torch.float64, msg=mode)
    grad = make_input(got.shape, torch.float64)
    (g_ours,), (g_torch,) = torch.autograd.grad(got, xo, grad), torch.autograd.grad(expected, xt, grad)
    assert_close(g_ours, g_torch, torch.float64, msg=mode + " grad")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "area"])
def test_short_rows_give_the_long_rows_bits(dtype, mode):
    """A row too short for a periodic run (Note [periodic W plans]) is gathered, with the per-output counts skipped
    when every window is whole: the outputs it shares with a long row, which takes the vectorised run (same scale,
    same left edge, windows clear of the short row's right edge), have the same bits, forward and backward."""
    torch.manual_seed(5)
    bits = {2: torch.int16, 4: torch.int32, 8: torch.int64}[dtype.itemsize]
    for scale, short in [(2.0, 3), (4.0, 3), (0.5, 8)]:
        if mode == "area" and scale > 1:
            continue
        kwargs = dict(mode=mode) if mode == "area" else dict(mode=mode, align_corners=False)
        x = make_input([3, 2, 6, 64], dtype)
        rows = {}
        for width in (short, 64):
            xw = x[..., :width].clone().requires_grad_()
            y = ours(xw, scale_factor=(0.5, scale), **kwargs)
            grad = (
                make_input(y.shape, dtype)
                if width == short
                else torch.cat(
                    [rows[short][2], make_input([*y.shape[:-1], y.shape[-1] - rows[short][2].shape[-1]], dtype)], -1
                )
            )
            (g,) = torch.autograd.grad(y, xw, grad)
            rows[width] = (y, g, grad)
        kept, kept_in = int(short * scale) // 2, max(short // 4, 1)
        label = f"{mode} x{scale} {dtype}"
        assert torch.equal(rows[short][0][..., :kept].view(bits), rows[64][0][..., :kept].view(bits)), label
        assert torch.equal(rows[short][1][..., :kept_in].view(bits), rows[64][1][..., :kept_in].view(bits)), label


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_periodic_w_plans(dtype):
    """Integer scale factors along W take the vectorised stencils of Note [periodic W plans]: outputs across
    the periodic run, its edges and the 256-output chunks of narrow dtypes, forward and backward, against torch
    (in float32 on the same values for bfloat16, which torch's antialias kernels do not take)."""
    torch.manual_seed(3)
    ref_dtype = torch.float32 if dtype == torch.bfloat16 else dtype
    for w in (9, 131, 300, 517):
        for scale in (2.0, 4.0, 0.5):
            for mode, antialias in [
                ("bilinear", False),
                ("bicubic", False),
                ("area", False),
                ("bilinear", True),
                ("bicubic", True),
            ]:
                x = make_input([2, 3, 3, w], dtype)
                kwargs = (
                    dict(mode=mode) if mode == "area" else dict(mode=mode, antialias=antialias, align_corners=False)
                )
                size = [3, int(w * scale)]
                label = f"{mode} aa={antialias} {w}x{scale} {dtype}"
                xo, xt = x.clone().requires_grad_(), x.to(ref_dtype).requires_grad_()
                got = ours(xo, size=size, **kwargs)
                expected = F.interpolate(xt, size=size, **kwargs)
                assert_close(got, expected, dtype, coordinates=w, msg=label)
                grad_out = make_input(got.shape, dtype)
                (grad_ours,) = torch.autograd.grad(got, xo, grad_out)
                (grad_torch,) = torch.autograd.grad(expected, xt, grad_out.to(ref_dtype))
                assert_close(grad_ours, grad_torch, dtype, coordinates=w, msg=label + " grad")
