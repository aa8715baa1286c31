"""What torch lacks, against independent references: torch compositions, float64 definitions, Pillow."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import torchresample
from conftest import (
    LINEAR,
    antialias_matrix,
    apply_matrices,
    assert_close,
    assert_uint8_within,
    lanczos_matrix,
    layouts_for,
    make_input,
    ours,
    torch_separable,
    uint8_reference,
)

# The torch 4-D mode that serves as the per-axis reference of each of our filters.
TORCH_4D = {
    "linear": "bilinear",
    "bilinear": "bilinear",
    "trilinear": "bilinear",
    "bicubic": "bicubic",
    "lanczos": "lanczos",
}
# Spatial (in, out) per rank: a downscale, an upscale and, in 3-D, an axis of 1 -> 3.
GEOMETRY = {1: ([11], [4]), 2: ([9, 4], [4, 7]), 3: ([9, 4, 1], [4, 7, 3])}


def spec_variants(in_spatial, out_sizes):
    yield {"size": out_sizes}
    yield {"scale_factor": [o / i * 1.01 for i, o in zip(in_spatial, out_sizes)]}


def resolved(in_spatial, spec):
    """(output sizes, scale factors or None) that a spec means per axis, as interpolate resolves it."""
    if "size" in spec:
        return list(spec["size"]), None
    scales = list(spec["scale_factor"])
    return [int(i * s) for i, s in zip(in_spatial, scales)], scales


# --------------------------------------------------------------------------------------------------------------
# The references themselves, checked against torch where torch has the feature.


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
def test_references_match_torch_in_2d(mode):
    """The per-axis composition of torch's 2-D op (a 1 -> 1 dummy axis) and the float64 definition of the
    antialias window both reproduce torch's own 2-D results, so they can stand in for torch in 1-D and 3-D."""
    filt = {"bilinear": "linear", "bicubic": "cubic", "lanczos": "lanczos"}[mode]
    x = torch.randn(2, 3, 13, 6, dtype=torch.float64)
    for size, scales in [((5, 11), None), ((4, 3), (0.35, 0.6)), ((1, 1), None), ((26, 4), (2.0, 0.7))]:
        for align_corners in (False, True) if mode != "lanczos" else (False,):
            kw = dict(mode=mode, align_corners=align_corners)
            spec = {"size": size} if scales is None else {"scale_factor": scales}
            expected = F.interpolate(x, antialias=True, **kw, **spec)
            mats = [
                antialias_matrix(n, o, filt, align_corners, scales and scales[k])
                for k, (n, o) in enumerate(zip(x.shape[2:], expected.shape[2:]))
            ]
            assert_close(apply_matrices(x, mats), expected)
            assert_close(torch_separable(x, expected.shape[2:], mode, align_corners, True, scales), expected)
            if mode != "lanczos":
                plain = F.interpolate(x, **kw, **spec)
                assert_close(torch_separable(x, plain.shape[2:], mode, align_corners, False, scales), plain)


def test_lanczos_reference_is_the_antialias_window_when_upscaling():
    """Plain Lanczos and torch's antialiased Lanczos coincide when every axis upscales (no widening, same
    centres): an independent check of lanczos_matrix against torch."""
    x = torch.randn(2, 3, 5, 4, dtype=torch.float64)
    expected = F.interpolate(x, size=(12, 9), mode="lanczos", antialias=True)
    assert_close(apply_matrices(x, [lanczos_matrix(5, 12), lanczos_matrix(4, 9)]), expected)


# --------------------------------------------------------------------------------------------------------------
# Cubic and antialias in 1-D and 3-D: the composition of torch's 2-D kernels, forward and backward.

SEPARABLE_CASES = [("bicubic", False), ("bicubic", True), ("linear", True), ("lanczos", True)]


@pytest.mark.parametrize("dim,layout", [(d, l) for d in (1, 3) for l in layouts_for(d)])
@pytest.mark.parametrize("mode,antialias", SEPARABLE_CASES, ids=[f"{m}-aa{a}" for m, a in SEPARABLE_CASES])
def test_separable_modes_in_1d_and_3d(dim, layout, mode, antialias):
    our_mode = LINEAR[dim] if mode == "linear" else mode
    in_spatial, out_sizes = GEOMETRY[dim]
    for dtype in (torch.float32, torch.float64):
        for align_corners in (False, True):
            for spec in spec_variants(in_spatial, out_sizes):
                label = f"{our_mode} {dim}-D {layout} {dtype} aa={antialias} ac={align_corners} {spec}"
                x = make_input([2, 3, *in_spatial], dtype, layout).requires_grad_()
                got = ours(x, mode=our_mode, align_corners=align_corners, antialias=antialias, **spec)
                sizes, scales = resolved(in_spatial, spec)
                assert list(got.shape[2:]) == sizes, label
                ref_x = x.detach().double().requires_grad_()
                if mode == "lanczos" and align_corners:
                    # torch refuses Lanczos with align_corners: the float64 definition of the window.
                    mats = [antialias_matrix(n, o, "lanczos", True, None) for n, o in zip(in_spatial, sizes)]
                    expected = apply_matrices(ref_x, mats)
                else:
                    expected = torch_separable(ref_x, sizes, TORCH_4D[mode], align_corners, antialias, scales)
                assert_close(got, expected, dtype=dtype, msg=label)
                grad_out = torch.randn(got.shape, dtype=torch.float64)
                got.backward(grad_out.to(dtype))
                expected.backward(grad_out)
                assert_close(x.grad, ref_x.grad, dtype=dtype, msg=label + " grad")


def test_cubic_dummy_axis_is_an_identity_in_torch():
    """The 1 -> 1 dummy axis the references rely on: torch's bicubic (with and without align_corners) and its
    antialias kernels leave a size-1 axis with output 1 unchanged."""
    x = torch.randn(3, 2, 1, 7, dtype=torch.float64)
    for mode, aa in [("bicubic", False), ("bicubic", True), ("bilinear", True), ("lanczos", True)]:
        for align_corners in (False, True) if mode != "lanczos" else (False,):
            y = F.interpolate(x, size=(1, 7), mode=mode, antialias=aa, align_corners=align_corners)
            assert torch.allclose(y, x, atol=1e-12, rtol=0)


# --------------------------------------------------------------------------------------------------------------
# Lanczos: plain interpolation (any rank, align_corners) from the definition; antialias with align_corners.


@pytest.mark.parametrize("dim,layout", [(d, l) for d in (1, 2, 3) for l in layouts_for(d)])
def test_lanczos_without_antialias(dim, layout):
    in_spatial, out_sizes = GEOMETRY[dim]
    for dtype in (torch.float32, torch.float64):
        for align_corners in (False, True):
            for spec in spec_variants(in_spatial, out_sizes):
                label = f"lanczos {dim}-D {layout} {dtype} ac={align_corners} {spec}"
                x = make_input([2, 3, *in_spatial], dtype, layout).requires_grad_()
                got = ours(x, mode="lanczos", align_corners=align_corners, **spec)
                sizes, scales = resolved(in_spatial, spec)
                mats = [
                    lanczos_matrix(n, o, align_corners, None if align_corners else scales and scales[k])
                    for k, (n, o) in enumerate(zip(in_spatial, sizes))
                ]
                assert_close(got, apply_matrices(x.detach(), mats), dtype=dtype, msg=label)
                grad_out = torch.randn(got.shape, dtype=torch.float64)
                got.backward(grad_out.to(dtype))
                assert_close(x.grad, apply_matrices(grad_out, [m.t() for m in mats]), dtype=dtype, msg=label + " grad")


def test_lanczos_antialias_with_align_corners_in_2d():
    x = make_input([2, 3, 17, 6], torch.float64, "channels_last")
    for size in [(5, 4), (30, 11), (1, 6)]:
        mats = [antialias_matrix(17, size[0], "lanczos", True), antialias_matrix(6, size[1], "lanczos", True)]
        if size[1] == 6:
            mats[1] = torch.eye(6, dtype=torch.float64)
        got = ours(x, size=size, mode="lanczos", antialias=True, align_corners=True)
        assert_close(got, apply_matrices(x, mats))


# --------------------------------------------------------------------------------------------------------------
# Pillow on float ("F") images.

PIL_FILTERS = [("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC), ("lanczos", Image.LANCZOS)]


@pytest.mark.parametrize("mode,pil_filter", PIL_FILTERS, ids=[m for m, _ in PIL_FILTERS])
def test_antialias_matches_pillow(mode, pil_filter):
    image = np.random.default_rng(0).random((37, 52), dtype=np.float32)
    x = torch.from_numpy(image).view(1, 1, 37, 52)
    for height, width in [(9, 13), (5, 40), (20, 7), (50, 61)]:
        expected = np.asarray(Image.fromarray(image, mode="F").resize((width, height), resample=pil_filter))
        got = ours(x, size=(height, width), mode=mode, antialias=True)
        assert_close(got[0, 0], torch.from_numpy(expected.copy()), msg=f"{mode} {height}x{width}")


def test_area_matches_pillow_box_on_integer_ratios():
    image = np.random.default_rng(1).random((36, 24), dtype=np.float32)
    x = torch.from_numpy(image).view(1, 1, 36, 24)
    for height, width in [(12, 8), (6, 24), (36, 3), (1, 1)]:
        expected = np.asarray(Image.fromarray(image, mode="F").resize((width, height), resample=Image.BOX))
        assert_close(ours(x, size=(height, width), mode="area")[0, 0], torch.from_numpy(expected.copy()))


# --------------------------------------------------------------------------------------------------------------
# float16 / bfloat16 antialias, uint8 in every mode.

HALF_CASES = [
    (1, "linear"),
    (1, "bicubic"),
    (1, "lanczos"),
    (2, "bilinear"),
    (2, "bicubic"),
    (2, "lanczos"),
    (3, "trilinear"),
    (3, "bicubic"),
    (3, "lanczos"),
]


@pytest.mark.parametrize("dim,mode", HALF_CASES)
def test_half_antialias_matches_float32(dim, mode):
    in_spatial, out_sizes = GEOMETRY[dim]
    for dtype in (torch.float16, torch.bfloat16):
        for layout in layouts_for(dim):
            x = make_input([2, 3, *in_spatial], dtype, layout).requires_grad_()
            x32 = x.detach().float().requires_grad_()
            got = ours(x, size=out_sizes, mode=mode, antialias=True)
            expected = ours(x32, size=out_sizes, mode=mode, antialias=True)
            assert got.dtype == dtype
            assert_close(got, expected, dtype=dtype, msg=f"{mode} {dim}-D {layout} {dtype}")
            grad_out = make_input(got.shape, dtype)
            got.backward(grad_out)
            expected.backward(grad_out.float())
            assert_close(x.grad, x32.grad, dtype=dtype, msg=f"{mode} {dim}-D {layout} {dtype} grad")


UINT8_CASES = [
    (1, "linear", False),
    (1, "linear", True),
    (1, "area", False),
    (1, "bicubic", False),
    (1, "bicubic", True),
    (1, "lanczos", False),
    (1, "lanczos", True),
    (2, "bilinear", False),
    (2, "bilinear", True),
    (2, "area", False),
    (2, "bicubic", False),
    (2, "bicubic", True),
    (2, "lanczos", False),
    (2, "lanczos", True),
    (3, "trilinear", False),
    (3, "trilinear", True),
    (3, "area", False),
    (3, "bicubic", False),
    (3, "bicubic", True),
    (3, "lanczos", False),
    (3, "lanczos", True),
]


@pytest.mark.parametrize("dim,mode,antialias", UINT8_CASES)
def test_uint8_every_mode_matches_float_path_rounded(dim, mode, antialias):
    """uint8 results are our float64 path rounded half up and saturated: exactly (up to ties, which a float32
    accumulator may round either way) for the one-pass filters, within 1 for the overshooting filters (cubic,
    Lanczos), whose path takes two rounded passes, W first, as the uint8 kernels do (and torch's for 2-D)."""
    in_spatial, out_sizes = GEOMETRY[dim]
    two_pass = mode in ("bicubic", "lanczos")
    for layout in layouts_for(dim):
        for align_corners in (None,) if mode == "area" else (False, True):
            kw = dict(mode=mode, align_corners=align_corners, antialias=antialias)
            x = make_input([2, 3, *in_spatial], torch.uint8, layout)
            got = ours(x, size=out_sizes, **kw)
            full = lambda t: ours(t, size=out_sizes, **kw)  # noqa: E731
            along_w = lambda t: ours(t, size=list(in_spatial[:-1]) + out_sizes[-1:], **kw)  # noqa: E731
            lo, hi = uint8_reference(x, full, along_w if two_pass else None, full if two_pass else None)
            assert got.dtype == torch.uint8
            assert got.stride() == ours(x.float(), size=out_sizes, **kw).stride()
            bound = 1 if two_pass else 0
            assert_uint8_within(got, lo, hi, bound, f"{mode} {dim}-D aa={antialias} {layout} ac={align_corners}")


# --------------------------------------------------------------------------------------------------------------
# 4000 -> 3 on every axis.

FILTER_MODES = [
    "nearest",
    "nearest-exact",
    "linear",
    "bicubic",
    "area",
    "lanczos",
    "linear-aa",
    "bicubic-aa",
    "lanczos-aa",
]


def big_downscale_reference(x, axis, mode, antialias):
    """float64 expected result of resampling `axis` of x (4000 long) to 3 with every other axis unchanged."""
    dim = x.dim() - 2
    k = axis - 2
    n = x.shape[axis]
    if mode in ("nearest", "nearest-exact", "area") or (mode == "linear" and not antialias):
        # torch has these in every rank.
        size = list(x.shape[2:])
        size[k] = 3
        return F.interpolate(x.double(), size=size, mode=LINEAR[dim] if mode == "linear" else mode)
    if mode == "lanczos" and not antialias:
        m = lanczos_matrix(n, 3)
    elif antialias:
        m = antialias_matrix(n, 3, {"linear": "linear", "bicubic": "cubic", "lanczos": "lanczos"}[mode])
    else:
        sizes = [3 if a == k else s for a, s in enumerate(x.shape[2:])]
        return torch_separable(x, sizes, "bicubic")
    mats = [m if a == k else torch.eye(s, dtype=torch.float64) for a, s in enumerate(x.shape[2:])]
    return apply_matrices(x, mats)


@pytest.mark.parametrize("filter_mode", FILTER_MODES)
def test_4000_to_3_on_every_axis(filter_mode):
    mode, _, aa = filter_mode.partition("-")
    antialias = aa == "aa"
    for dim in (1, 2, 3):
        for k in range(dim):
            spatial = [2] * dim
            spatial[k] = 4000
            x = torch.randn(1, 2, *spatial)
            size = list(spatial)
            size[k] = 3
            our_mode = LINEAR[dim] if mode == "linear" else mode
            got = ours(x, size=size, mode=our_mode, antialias=antialias)
            expected = big_downscale_reference(x, 2 + k, mode, antialias)
            if mode.startswith("nearest"):
                assert torch.equal(got, expected.float()), f"{filter_mode} {dim}-D axis {k}"
            else:
                # Plain interpolation reads float32 source coordinates (as torch does), up to 4000 pixels: their
                # rounding, not the sum, bounds the error against the float64 reference. Antialias windows do not.
                coordinates = 0 if antialias else 4000
                assert_close(got, expected, coordinates=coordinates, msg=f"{filter_mode} {dim}-D axis {k}")


# --------------------------------------------------------------------------------------------------------------
# By hand.


def test_hand_computed_values():
    x = torch.arange(1, 5, dtype=torch.float32).view(1, 1, 2, 2)
    nearest = torch.tensor([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]], dtype=torch.float32)
    assert torch.equal(ours(x, scale_factor=2, mode="nearest")[0, 0], nearest)
    assert torch.equal(ours(x.to(torch.uint8), scale_factor=2)[0, 0], nearest.to(torch.uint8))
    corners = ours(x, scale_factor=2, mode="bilinear", align_corners=True)[0, 0]
    torch.testing.assert_close(corners[0], torch.tensor([1, 4 / 3, 5 / 3, 2]))
    torch.testing.assert_close(corners[:, 0], torch.tensor([1, 5 / 3, 7 / 3, 3]))
    # area of a 2x2 block is its mean; linear between two pixels at half-pixel offsets: 1/4, 3/4 blends.
    assert ours(x, size=1, mode="area").item() == 2.5
    line = torch.tensor([[[0.0, 4.0]]])
    torch.testing.assert_close(ours(line, size=4, mode="linear")[0, 0], torch.tensor([0.0, 1.0, 3.0, 4.0]))
    # Lanczos at integer source positions reproduces the samples (sinc zeros at the other taps).
    ramp = torch.randn(1, 1, 9, dtype=torch.float64)
    torch.testing.assert_close(ours(ramp, size=9, mode="lanczos", align_corners=True), ramp)


def test_readme_differences():
    """The README's list of intended differences: torch's behaviour as listed, ours the definition."""
    x = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    kw = dict(size=(4, 1), mode="bilinear", antialias=True)
    reference = apply_matrices(x, [antialias_matrix(8, 4, "linear"), antialias_matrix(8, 1, "linear")])
    theirs = F.interpolate(x, **kw)
    assert torch.equal(theirs, theirs[:, :, :1].expand_as(theirs))  # every row the same
    assert_close(ours(x, **kw), reference, torch.float64)

    x = torch.randn(1, 1, 5, 8, dtype=torch.float64, requires_grad=True)
    v = torch.randn(1, 1, 5, 4, dtype=torch.float64)
    kw = dict(scale_factor=(1.05, 0.5), mode="bilinear", antialias=True)
    gaps = {}
    for name, fn in (("torch", F.interpolate), ("ours", ours)):
        y = fn(x, **kw)
        (g,) = torch.autograd.grad(y, x, v)
        gaps[name] = abs((y * v).sum().item() - (x * g).sum().item())
    assert gaps["torch"] > 1e-3 and gaps["ours"] < 1e-12

    img = torch.randint(0, 256, (1, 3, 5, 8), dtype=torch.uint8)
    kw = dict(scale_factor=(1.05, 0.5), mode="bicubic")
    # torch's float path, in torch's uint8 order (along W, rounded and saturated, then along H), as bounds.
    lo, hi = uint8_reference(
        img,
        None,
        lambda t: F.interpolate(t, scale_factor=(1.0, 0.5), mode="bicubic"),
        lambda t: F.interpolate(t, scale_factor=(1.05, 1.0), mode="bicubic"),
    )
    assert torch.equal(F.interpolate(img, **kw), F.interpolate(img, size=(5, 4), mode="bicubic"))  # axis copied
    assert ((F.interpolate(img, **kw).double() - lo).abs().max()) > 5
    assert_uint8_within(ours(img, **kw), lo, hi, 1, "uint8 bicubic, scale on an unchanged axis")

    cl = torch.randn(1, 3, 4, 4, 4).to(memory_format=torch.channels_last_3d)
    assert F.interpolate(cl, size=2, mode="area").is_contiguous()
    assert ours(cl, size=2, mode="area").is_contiguous(memory_format=torch.channels_last_3d)
    pooled, indices = F.max_pool3d(cl, 2, return_indices=True)
    assert F.max_unpool3d(pooled, indices, 2).is_contiguous()
    assert torchresample.functional.max_unpool3d(pooled, indices, 2).is_contiguous(memory_format=torch.channels_last_3d)
    with pytest.raises(Exception):  # noqa: B017 - torch's type for this refusal has changed between releases
        F.interpolate(torch.rand(1, 1, 8), size=4, mode="linear", antialias=True)
    assert ours(torch.rand(1, 1, 8), size=4, mode="linear", antialias=True).shape == (1, 1, 4)


def test_readme_differences_of_the_layer_ops():
    import torchresample.functional as RF

    assert F.pixel_unshuffle(torch.randn(0, 4, 2, 2), 2).shape == (0, 4, 2, 2)
    assert RF.pixel_unshuffle(torch.randn(0, 4, 2, 2), 2).shape == (0, 16, 1, 1)
    t = torch.randn(0, 4, 4, 4, requires_grad=True)
    with pytest.raises(RuntimeError):
        F.pixel_shuffle(t, 2).sum().backward()
    RF.pixel_shuffle(t, 2).sum().backward()
    assert t.grad.shape == t.shape
    volume = torch.randn(2, 8, 4, 4, 4).to(memory_format=torch.channels_last_3d)
    with pytest.raises(RuntimeError):
        F.pixel_shuffle(volume, 2)
    assert torch.equal(RF.pixel_shuffle(volume, 2), F.pixel_shuffle(volume.contiguous(), 2))
