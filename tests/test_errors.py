"""Invalid calls raise torch's exception types; what we accept beyond torch matches the references."""

from __future__ import annotations

import fractions

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import (
    antialias_matrix,
    apply_matrices,
    assert_close,
    assert_uint8_within,
    lanczos_matrix,
    ours,
    rounding_bounds,
    torch_separable,
)


def x(*shape, dtype=torch.float32):
    return torch.randn(shape).to(dtype)


# (id, input, kwargs, words our message must contain). Each is refused by torch; we must raise the same type.
INVALID = [
    ("2d_input", lambda: x(3, 4), dict(size=2), ["2D"]),
    ("2d_input_bilinear", lambda: x(3, 4), dict(size=2, mode="bilinear"), ["2D"]),
    ("1d_input", lambda: x(5), dict(scale_factor=2.0), ["1D"]),
    ("6d_input", lambda: x(1, 1, 2, 2, 2, 2), dict(size=3), ["6D"]),
    ("6d_input_bicubic", lambda: x(1, 1, 2, 2, 2, 2), dict(size=3, mode="bicubic"), ["6D"]),
    ("both_size_and_scale", lambda: x(2, 3, 5, 6), dict(size=3, scale_factor=2.0), ["only one"]),
    ("neither_size_nor_scale", lambda: x(2, 3, 5, 6), dict(), ["either size or scale_factor"]),
    ("size_list_too_long", lambda: x(2, 3, 5, 6), dict(size=[3, 3, 3]), ["spatial dimensions"]),
    ("size_list_too_short", lambda: x(2, 3, 4, 5, 6), dict(size=[3, 3]), ["spatial dimensions"]),
    ("scale_list_wrong_length", lambda: x(2, 3, 5, 6), dict(scale_factor=[2.0]), ["scale_factor"]),
    ("non_integer_size_list", lambda: x(2, 3, 5, 6), dict(size=[2.5, 3]), ["size"]),
    ("non_integer_size_scalar", lambda: x(2, 3, 5, 6), dict(size=2.5), ["size"]),
    ("string_size", lambda: x(2, 3, 5, 6), dict(size="3"), ["size"]),
    ("none_in_size", lambda: x(2, 3, 5, 6), dict(size=[None, 3]), ["size"]),
    ("string_scale", lambda: x(2, 3, 5, 6), dict(scale_factor="2"), ["scale_factor"]),
    ("tensor_scale", lambda: x(2, 3, 5, 6), dict(scale_factor=torch.tensor(2.0)), ["scale_factor"]),
    ("zero_size", lambda: x(2, 3, 5, 6), dict(size=0), ["greater than 0"]),
    ("zero_size_one_axis", lambda: x(2, 3, 5), dict(size=[0], mode="linear"), ["greater than 0"]),
    ("negative_size", lambda: x(2, 3, 5, 6), dict(size=[-2, 3], mode="bilinear"), ["greater than 0"]),
    ("negative_size_area", lambda: x(2, 3, 5, 6), dict(size=-1, mode="area"), ["greater than or equal to 0"]),
    ("zero_scale", lambda: x(2, 3, 5, 6), dict(scale_factor=0.0, mode="bicubic"), ["greater than 0"]),
    ("negative_scale", lambda: x(2, 3, 4, 5, 6), dict(scale_factor=-2.0, mode="trilinear"), ["greater than 0"]),
    ("nan_scale", lambda: x(2, 3, 5, 6), dict(scale_factor=float("nan")), ["int64"]),
    ("inf_scale", lambda: x(2, 3, 5), dict(scale_factor=float("inf"), mode="linear"), ["int64"]),
    (
        "inf_scale_recompute",
        lambda: x(2, 3, 5, 6),
        dict(scale_factor=float("inf"), recompute_scale_factor=True),
        ["infinity"],
    ),
    ("nan_scale_area", lambda: x(2, 3, 5, 6), dict(scale_factor=float("nan"), mode="area"), ["NaN"]),
    ("huge_scale", lambda: x(2, 3, 5, 6), dict(scale_factor=1e30), ["int64"]),
    ("huge_scale_area", lambda: x(2, 3, 5, 6), dict(scale_factor=1e30, mode="area"), ["int64"]),
    ("huge_size", lambda: x(2, 3, 5, 6), dict(size=2**70), ["int64"]),
    ("align_corners_nearest", lambda: x(2, 3, 5, 6), dict(size=3, align_corners=True), ["align_corners"]),
    ("align_corners_false_nearest", lambda: x(2, 3, 5), dict(size=3, align_corners=False), ["align_corners"]),
    ("align_corners_area", lambda: x(2, 3, 5, 6), dict(size=3, mode="area", align_corners=False), ["align_corners"]),
    (
        "align_corners_nearest_exact",
        lambda: x(2, 3, 4, 5, 6),
        dict(size=3, mode="nearest-exact", align_corners=True),
        ["align_corners"],
    ),
    ("bad_mode", lambda: x(2, 3, 5, 6), dict(size=3, mode="bogus"), ["bogus"]),
    ("bad_mode_case", lambda: x(2, 3, 5, 6), dict(size=3, mode="Bilinear"), ["Bilinear"]),
    ("mode_none", lambda: x(2, 3, 5, 6), dict(size=3, mode=None), ["None"]),
    ("int32", lambda: x(2, 3, 5, 6, dtype=torch.int32), dict(size=3), ["Int"]),
    ("int32_bilinear", lambda: x(2, 3, 5, 6, dtype=torch.int32), dict(size=3, mode="bilinear"), ["Int"]),
    ("int64_area", lambda: x(2, 3, 5, 6, dtype=torch.int64), dict(size=3, mode="area"), ["Long"]),
    ("int8_nearest_1d", lambda: x(2, 3, 5, dtype=torch.int8), dict(size=3), ["Char"]),
    ("bool", lambda: x(2, 3, 5, 6) > 0, dict(size=3), ["Bool"]),
    ("complex", lambda: x(2, 3, 5, 6, dtype=torch.complex64), dict(size=3), ["ComplexFloat"]),
    ("empty_channels", lambda: x(2, 0, 4, 4), dict(size=3), ["Non-empty"]),
    ("empty_channels_1d", lambda: x(2, 0, 4), dict(size=3, mode="linear"), ["Non-empty"]),
    ("empty_spatial", lambda: x(2, 3, 0, 4), dict(size=3), ["greater than 0"]),
    ("empty_spatial_bilinear", lambda: x(2, 3, 0, 4), dict(size=3, mode="bilinear"), ["greater than 0"]),
    ("empty_spatial_3d", lambda: x(2, 3, 2, 0, 4), dict(size=3, mode="trilinear"), ["greater than"]),
    ("empty_spatial_area", lambda: x(2, 3, 0, 4), dict(size=3, mode="area"), ["(H: 0"]),
    ("recompute_with_size", lambda: x(2, 3, 5, 6), dict(size=3, recompute_scale_factor=True), ["recompute"]),
    ("antialias_nearest", lambda: x(2, 3, 5, 6), dict(size=3, antialias=True), ["Anti-alias"]),
    ("antialias_area", lambda: x(2, 3, 5, 6), dict(size=3, mode="area", antialias=True), ["Anti-alias"]),
    ("antialias_nearest_exact", lambda: x(2, 3, 5), dict(size=3, mode="nearest-exact", antialias=True), ["Anti-alias"]),
    ("antialias_linear_4d", lambda: x(2, 3, 5, 6), dict(size=3, mode="linear", antialias=True), ["Anti-alias"]),
    ("antialias_bilinear_3d", lambda: x(2, 3, 5), dict(size=3, mode="bilinear", antialias=True), ["Anti-alias"]),
    ("linear_4d", lambda: x(2, 3, 5, 6), dict(size=3, mode="linear"), ["4D", "linear"]),
    ("linear_5d", lambda: x(2, 3, 4, 5, 6), dict(size=3, mode="linear"), ["5D", "linear"]),
    ("bilinear_3d", lambda: x(2, 3, 5), dict(size=3, mode="bilinear"), ["3D", "bilinear"]),
    ("bilinear_5d", lambda: x(2, 3, 4, 5, 6), dict(size=3, mode="bilinear"), ["5D", "bilinear"]),
    ("trilinear_3d", lambda: x(2, 3, 5), dict(size=3, mode="trilinear"), ["3D", "trilinear"]),
    ("trilinear_4d", lambda: x(2, 3, 5, 6), dict(size=3, mode="trilinear"), ["4D", "trilinear"]),
    ("sparse", lambda: x(2, 3, 5, 6).to_sparse(), dict(size=3), ["Sparse"]),
    ("not_a_tensor", lambda: [[1.0, 2.0]], dict(size=3), ["dim"]),
    ("size_tensor_of_two", lambda: x(2, 3, 5, 6), dict(size=torch.tensor([3, 3])), ["size"]),
    ("size_ndarray", lambda: x(2, 3, 5, 6), dict(size=np.array([3, 3])), ["size"]),
    ("size_0d_ndarray_in_list", lambda: x(2, 3, 5, 6), dict(size=[np.array(3), 3]), ["size"]),
    ("size_bool", lambda: x(2, 3, 5, 6), dict(size=True), ["size"]),
    ("size_bool_in_list", lambda: x(2, 3, 5, 6), dict(size=[True, 2]), ["size"]),
    ("scale_fraction", lambda: x(2, 3, 5, 6), dict(scale_factor=fractions.Fraction(3, 2)), ["scale_factor"]),
    ("align_corners_int", lambda: x(2, 3, 5, 6), dict(size=3, mode="bilinear", align_corners=1), ["align_corners"]),
    ("align_corners_str", lambda: x(2, 3, 5), dict(size=3, mode="linear", align_corners="yes"), ["align_corners"]),
    (
        "align_corners_tensor",
        lambda: x(2, 3, 5, 6),
        dict(size=3, mode="bicubic", align_corners=torch.tensor(True)),
        ["align_corners"],
    ),
]


@pytest.mark.parametrize("make,kwargs,words", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_same_exception_type_as_torch(make, kwargs, words):
    with pytest.raises(Exception) as theirs:
        F.interpolate(make(), **kwargs)
    with pytest.raises(Exception) as mine:
        ours(make(), **kwargs)
    assert type(mine.value) is type(theirs.value), f"torch raised {theirs.value!r}, we raised {mine.value!r}"
    message = str(mine.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_argument_forms_torch_accepts():
    """The size and scale forms torch's parser takes (numpy scalars, torch.Size, 0-d integer tensors, ints as
    scales, recompute_scale_factor=False with a size) are accepted, with torch's result."""
    t = x(2, 3, 5, 6)
    for kwargs in [
        dict(size=np.int64(3)),
        dict(size=torch.Size([3, 4])),
        dict(size=(np.int32(3), 4)),
        dict(size=torch.tensor(3)),
        dict(size=[torch.tensor(3), 4]),
        dict(scale_factor=np.float32(2.0)),
        dict(scale_factor=2),
        dict(scale_factor=[np.float64(0.5), 2]),
        dict(size=[3, 4], recompute_scale_factor=False),
    ]:
        assert torch.equal(ours(t, **kwargs), F.interpolate(t, **kwargs)), kwargs


def test_area_zero_size_backward_raises_like_torch():
    """area accepts an output extent of 0 (torch's adaptive pooling does); the backward of it is refused, as
    torch's adaptive_avg_pool backward refuses it."""
    for make in (lambda: torch.randn(2, 3, 5, requires_grad=True), lambda: torch.randn(2, 3, 5, 6, requires_grad=True)):
        theirs, mine = make(), make()
        with pytest.raises(RuntimeError):
            F.interpolate(theirs, size=0, mode="area").sum().backward()
        with pytest.raises(RuntimeError, match="greater than 0"):
            ours(mine, size=0, mode="area").sum().backward()


# --------------------------------------------------------------------------------------------------------------
# The ops called directly: bad arguments are rejected with an exception, never a crash.

resample = torch.ops.torchresample.resample.default
resample_backward = torch.ops.torchresample.resample_backward.default

BAD_OP_CALLS = [
    ("unknown_filter", lambda: resample(x(1, 2, 4, 4), [3, 3], "bogus"), ValueError, "unknown filter"),
    ("rank_2", lambda: resample(x(4, 4), [3], "linear"), RuntimeError, "3, 4 or 5 dimensions"),
    ("rank_6", lambda: resample(x(1, 1, 2, 2, 2, 2), [3, 3, 3, 3], "linear"), RuntimeError, "3, 4 or 5 dimensions"),
    ("output_size_length", lambda: resample(x(1, 2, 4, 4), [3], "linear"), RuntimeError, "output_size"),
    ("scales_length", lambda: resample(x(1, 2, 4, 4), [3, 3], "linear", False, [0.5]), RuntimeError, "scales"),
    ("negative_size", lambda: resample(x(1, 2, 4, 4), [-3, 3], "cubic"), RuntimeError, "greater than 0"),
    ("zero_size", lambda: resample(x(1, 2, 4), [0], "lanczos"), RuntimeError, "greater than 0"),
    ("empty_spatial", lambda: resample(x(1, 2, 0, 4), [3, 3], "area"), RuntimeError, "greater than"),
    ("empty_channels", lambda: resample(x(2, 0, 4, 4), [3, 3], "nearest"), RuntimeError, "Non-empty"),
    (
        "antialias_nearest",
        lambda: resample(x(1, 2, 4, 4), [3, 3], "nearest", False, None, True),
        ValueError,
        "antialias",
    ),
    ("int32", lambda: resample(x(1, 2, 4, 4, dtype=torch.int32), [3, 3], "nearest"), NotImplementedError, "Int"),
    ("overflowing_size", lambda: resample(x(1, 2, 4, 4), [2**40, 2**40], "nearest"), RuntimeError, "overflow"),
    ("backward_rank", lambda: resample_backward(x(1, 2, 3, 3), [4], "linear"), RuntimeError, "spatial extents"),
    (
        "backward_full_shape",
        lambda: resample_backward(x(1, 2, 3, 3), [1, 2, 4, 4], "linear"),
        RuntimeError,
        "spatial extents",
    ),
    ("backward_zero_input", lambda: resample_backward(x(1, 2, 3, 3), [0, 4], "area"), RuntimeError, "greater than 0"),
    (
        "backward_uint8",
        lambda: resample_backward(x(1, 2, 3, 3, dtype=torch.uint8), [4, 4], "linear"),
        NotImplementedError,
        "Byte",
    ),
    ("backward_filter", lambda: resample_backward(x(1, 2, 3, 3), [4, 4], "sinc"), ValueError, "sinc"),
]


@pytest.mark.parametrize("call,exc,words", [c[1:] for c in BAD_OP_CALLS], ids=[c[0] for c in BAD_OP_CALLS])
def test_ops_reject_bad_arguments(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


# --------------------------------------------------------------------------------------------------------------
# Note [error messages] (csrc/glue/resample_glue.h): every invalid call through the public function and through the
# raw op. Each raises the type its torch counterpart raises: our function torch's function, our op ATen's op where
# torch has one (else the type of our function). The two layers differ only where torch's do: a negative unpool size
# is torch's Python ValueError from max_unpool2d and ATen's RuntimeError from the op.

aten = torch.ops.aten
ops = torch.ops.torchresample


def _pool2d(shape=(1, 2, 4, 4)):
    return F.max_pool2d(torch.randn(shape), 2, return_indices=True)


# (id, call(M) for the public function of M = torch.nn.functional or torchresample.functional (torch.nn.functional
#  only where torch has the argument), our raw op call, ATen's raw op call or None)
INVALID_CALLS = [
    (
        "negative_size",
        lambda M: M.interpolate(x(2, 3, 5, 6), size=[-2, 3], mode="bilinear"),
        lambda: ops.resample(x(2, 3, 5, 6), [-2, 3], "linear"),
        lambda: aten.upsample_bilinear2d(x(2, 3, 5, 6), [-2, 3], False),
    ),
    (
        "zero_size",
        lambda M: M.interpolate(x(2, 3, 5, 6), size=0),
        lambda: ops.resample(x(2, 3, 5, 6), [0, 0], "nearest"),
        lambda: aten.upsample_nearest2d(x(2, 3, 5, 6), [0, 0]),
    ),
    (
        "empty_spatial",
        lambda M: M.interpolate(x(2, 3, 0, 4), size=3, mode="bilinear"),
        lambda: ops.resample(x(2, 3, 0, 4), [3, 3], "linear"),
        lambda: aten.upsample_bilinear2d(x(2, 3, 0, 4), [3, 3], False),
    ),
    (
        "empty_channels",
        lambda M: M.interpolate(x(2, 0, 4, 4), size=3),
        lambda: ops.resample(x(2, 0, 4, 4), [3, 3], "nearest"),
        lambda: aten.upsample_nearest2d(x(2, 0, 4, 4), [3, 3]),
    ),
    (
        "area_negative_size",
        lambda M: M.interpolate(x(2, 3, 5, 6), size=-1, mode="area"),
        lambda: ops.resample(x(2, 3, 5, 6), [-1, -1], "area"),
        lambda: aten.adaptive_avg_pool2d(x(2, 3, 5, 6), [-1, -1]),
    ),
    (
        "int32",
        lambda M: M.interpolate(x(2, 3, 5, 6, dtype=torch.int32), size=3, mode="bilinear"),
        lambda: ops.resample(x(2, 3, 5, 6, dtype=torch.int32), [3, 3], "linear"),
        lambda: aten.upsample_bilinear2d(x(2, 3, 5, 6, dtype=torch.int32), [3, 3], False),
    ),
    (
        "bool",
        lambda M: M.interpolate(x(2, 3, 5, 6) > 0, size=3),
        lambda: ops.resample(x(2, 3, 5, 6) > 0, [3, 3], "nearest"),
        lambda: aten.upsample_nearest2d(x(2, 3, 5, 6) > 0, [3, 3]),
    ),
    (
        "complex",
        lambda M: M.interpolate(x(2, 3, 5, 6, dtype=torch.complex64), size=3),
        lambda: ops.resample(x(2, 3, 5, 6, dtype=torch.complex64), [3, 3], "nearest"),
        lambda: aten.upsample_nearest2d(x(2, 3, 5, 6, dtype=torch.complex64), [3, 3]),
    ),
    (
        "size_list_length",
        lambda M: M.interpolate(x(2, 3, 5, 6), size=[3]),
        lambda: ops.resample(x(2, 3, 5, 6), [3], "nearest"),
        lambda: aten.upsample_nearest2d(x(2, 3, 5, 6), [3]),
    ),
    (
        "rank_2",
        lambda M: M.interpolate(x(3, 4), size=2),
        lambda: ops.resample(x(3, 4), [2], "nearest"),
        lambda: aten.upsample_nearest1d(x(3, 4), [2]),
    ),
    (
        "antialias_area",
        lambda M: M.interpolate(x(2, 3, 5, 6), size=3, mode="area", antialias=True),
        lambda: ops.resample(x(2, 3, 5, 6), [3, 3], "area", False, None, True),
        None,
    ),
    (
        "filter_param_out_of_range",
        lambda M: M.interpolate(x(2, 3, 5, 6), size=3, mode="lanczos", filter_params={"a": 100.0}),
        lambda: ops.resample(x(2, 3, 5, 6), [3, 3], "lanczos", False, None, False, [100.0]),
        None,
    ),
    (
        "unpool_indices_shape",
        lambda M: M.max_unpool2d(_pool2d()[0], _pool2d()[1][..., :1], 2),
        lambda: ops.max_unpool(_pool2d()[0], _pool2d()[1][..., :1], [4, 4]),
        lambda: aten.max_unpool2d(_pool2d()[0], _pool2d()[1][..., :1], [4, 4]),
    ),
    (
        "unpool_indices_int32",
        lambda M: M.max_unpool2d(_pool2d()[0], _pool2d()[1].int(), 2),
        lambda: ops.max_unpool(_pool2d()[0], _pool2d()[1].int(), [4, 4]),
        lambda: aten.max_unpool2d(_pool2d()[0], _pool2d()[1].int(), [4, 4]),
    ),
    (
        "unpool_invalid_index",
        lambda M: M.max_unpool2d(_pool2d()[0], _pool2d()[1] + 100, 2),
        lambda: ops.max_unpool(_pool2d()[0], _pool2d()[1] + 100, [4, 4]),
        lambda: aten.max_unpool2d(_pool2d()[0], _pool2d()[1] + 100, [4, 4]),
    ),
    (
        "unpool_int32_values",
        lambda M: M.max_unpool2d(_pool2d()[0].int(), _pool2d()[1], 2),
        lambda: ops.max_unpool(_pool2d()[0].int(), _pool2d()[1], [4, 4]),
        lambda: aten.max_unpool2d(_pool2d()[0].int(), _pool2d()[1], [4, 4]),
    ),
    (
        "unpool_indices_on_meta",
        lambda M: M.max_unpool2d(_pool2d()[0], _pool2d()[1].to("meta"), 2),
        lambda: ops.max_unpool(_pool2d()[0], _pool2d()[1].to("meta"), [4, 4]),
        lambda: aten.max_unpool2d(_pool2d()[0], _pool2d()[1].to("meta"), [4, 4]),
    ),
    (
        "unpool_empty_channels",
        lambda M: M.max_unpool2d(torch.randn(1, 0, 2, 2), torch.zeros(1, 0, 2, 2, dtype=torch.long), 2),
        lambda: ops.max_unpool(torch.randn(1, 0, 2, 2), torch.zeros(1, 0, 2, 2, dtype=torch.long), [4, 4]),
        lambda: aten.max_unpool2d(torch.randn(1, 0, 2, 2), torch.zeros(1, 0, 2, 2, dtype=torch.long), [4, 4]),
    ),
    (
        "unpool_negative_size",  # torch's Python ValueError; ATen's RuntimeError
        lambda M: M.max_unpool2d(*_pool2d((1, 2, 2, 2)), kernel_size=1, padding=1),
        lambda: ops.max_unpool(*_pool2d(), [-1, 4]),
        lambda: aten.max_unpool2d(*_pool2d(), [-1, 4]),
    ),
    (
        "shuffle_channels_not_divisible",
        lambda M: M.pixel_shuffle(x(1, 3, 2, 2), 2),
        lambda: ops.pixel_shuffle(x(1, 3, 2, 2), 2),
        lambda: aten.pixel_shuffle(x(1, 3, 2, 2), 2),
    ),
    (
        "shuffle_zero_factor",
        lambda M: M.pixel_shuffle(x(1, 4, 2, 2), 0),
        lambda: ops.pixel_shuffle(x(1, 4, 2, 2), 0),
        lambda: aten.pixel_shuffle(x(1, 4, 2, 2), 0),
    ),
    (
        "shuffle_rank",
        lambda M: M.pixel_shuffle(x(4, 2), 2),
        lambda: ops.pixel_shuffle(x(4, 2), 2),
        lambda: aten.pixel_shuffle(x(4, 2), 2),
    ),
    (
        "unshuffle_height_not_divisible",
        lambda M: M.pixel_unshuffle(x(1, 1, 3, 4), 2),
        lambda: ops.pixel_unshuffle(x(1, 1, 3, 4), 2),
        lambda: aten.pixel_unshuffle(x(1, 1, 3, 4), 2),
    ),
]


# Public calls with arguments torch's function does not take.
BEYOND_TORCH = {c[1] for c in INVALID_CALLS if c[0] in ("filter_param_out_of_range",)}


def _raised(call) -> BaseException:
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("public,op,aten_op", [c[1:] for c in INVALID_CALLS], ids=[c[0] for c in INVALID_CALLS])
def test_every_invalid_call_through_the_function_and_the_op(public, op, aten_op):
    import torchresample.functional as RF

    mine = _raised(lambda: public(RF))
    if public not in BEYOND_TORCH:
        theirs = _raised(lambda: public(F))
        assert type(mine) is type(theirs), f"torch raised {theirs!r}, we raised {mine!r}"
    raw = _raised(op)
    expected = type(_raised(aten_op)) if aten_op is not None else type(mine)
    assert type(raw) is expected, f"the op raised {raw!r}, expected {expected.__name__}"
    # Ours name the entry point (Note [error messages]); torch's words are kept where torch makes the check.
    for error in (mine, raw):
        message = str(error)
        assert not message.startswith("torchresample: "), message


# --------------------------------------------------------------------------------------------------------------
# What we accept and torch refuses: the result matches an independent reference.


def _refused_by_torch(t, **kwargs):
    with pytest.raises((ValueError, NotImplementedError, RuntimeError)):
        F.interpolate(t, **kwargs)


def test_bicubic_3d_and_5d_accepted():
    for t, size in [(x(2, 3, 9), [4]), (x(2, 3, 5, 6, 4), [3, 8, 7])]:
        for ac in (False, True):
            _refused_by_torch(t, size=size, mode="bicubic", align_corners=ac)
            assert_close(
                ours(t, size=size, mode="bicubic", align_corners=ac),
                torch_separable(t, size, "bicubic", ac),
                dtype=t.dtype,
            )


def test_lanczos_without_antialias_or_with_align_corners_or_not_4d_accepted():
    t = x(2, 3, 9, 5)
    _refused_by_torch(t, size=(4, 11), mode="lanczos")
    assert_close(
        ours(t, size=(4, 11), mode="lanczos"),
        apply_matrices(t, [lanczos_matrix(9, 4), lanczos_matrix(5, 11)]),
        dtype=t.dtype,
    )
    _refused_by_torch(t, size=(4, 11), mode="lanczos", antialias=True, align_corners=True)
    assert_close(
        ours(t, size=(4, 11), mode="lanczos", antialias=True, align_corners=True),
        apply_matrices(t, [antialias_matrix(9, 4, "lanczos", True), antialias_matrix(5, 11, "lanczos", True)]),
        dtype=t.dtype,
    )
    for t, size in [(x(2, 3, 13), [5]), (x(1, 2, 7, 5, 9), [3, 6, 4])]:
        _refused_by_torch(t, size=size, mode="lanczos", antialias=True)
        assert_close(
            ours(t, size=size, mode="lanczos", antialias=True),
            torch_separable(t, size, "lanczos", antialias=True),
            dtype=t.dtype,
        )
        assert_close(
            ours(t, size=size, mode="lanczos"),
            apply_matrices(t, [lanczos_matrix(n, o) for n, o in zip(t.shape[2:], size)]),
            dtype=t.dtype,
        )


def test_antialias_beyond_4d_bilinear_bicubic_accepted():
    for t, mode, size in [
        (x(2, 3, 17), "linear", [5]),
        (x(2, 3, 9, 8, 7), "trilinear", [4, 3, 9]),
        (x(2, 3, 17), "bicubic", [5]),
        (x(2, 3, 9, 8, 7), "bicubic", [4, 3, 9]),
    ]:
        _refused_by_torch(t, size=size, mode=mode, antialias=True)
        reference = "bicubic" if mode == "bicubic" else "bilinear"
        assert_close(
            ours(t, size=size, mode=mode, antialias=True),
            torch_separable(t, size, reference, antialias=True),
            dtype=t.dtype,
        )


def test_half_antialias_accepted():
    t = x(2, 3, 13, 9)
    for dtype in (torch.float16, torch.bfloat16):
        for mode in ("bilinear", "bicubic", "lanczos"):
            _refused_by_torch(t.to(dtype), size=(5, 4), mode=mode, antialias=True)
            expected = F.interpolate(t.to(dtype).double(), size=(5, 4), mode=mode, antialias=True)
            assert_close(ours(t.to(dtype), size=(5, 4), mode=mode, antialias=True), expected, dtype=dtype)


def test_uint8_where_torch_has_no_uint8_kernel_accepted():
    """uint8 linear/trilinear/area (torch: not implemented for 'Byte'): within 1 of torch's float64 result
    rounded and saturated (one pass: these filters do not overshoot)."""
    for shape, mode, size in [
        ((2, 3, 11), "linear", [4]),
        ((2, 3, 11), "linear", [25]),
        ((2, 3, 5, 6, 4), "trilinear", [3, 9, 7]),
        ((2, 3, 12), "area", [5]),
        ((2, 3, 9, 8), "area", [4, 3]),
        ((2, 3, 6, 4, 8), "area", [3, 4, 3]),
    ]:
        t = torch.randint(0, 256, shape, dtype=torch.uint8)
        _refused_by_torch(t, size=size, mode=mode)
        lo, hi = rounding_bounds(F.interpolate(t.double(), size=size, mode=mode))
        assert_uint8_within(ours(t, size=size, mode=mode), lo, hi, 1, f"{mode} {shape}")


# --------------------------------------------------------------------------------------------------------------
# The layer ops' edge inputs, each against the same call on torch.


def _same_error(theirs_call, ours_call):
    with pytest.raises(Exception) as theirs:
        theirs_call()
    with pytest.raises(Exception) as mine:
        ours_call()
    assert type(mine.value) is type(theirs.value), f"torch raised {theirs.value!r}, we raised {mine.value!r}"
    return str(theirs.value), str(mine.value)


@pytest.mark.parametrize(
    "dtype", [torch.bool, torch.uint8, torch.int8, torch.int32, torch.int64, torch.complex64], ids=str
)
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_max_unpool_refuses_what_torch_refuses(dim, dtype):
    import torchresample.functional as RF

    pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[dim]
    values, indices = pool(torch.randn((1, 2) + (4,) * dim), 2, return_indices=True)
    theirs, mine = _same_error(
        lambda: getattr(F, f"max_unpool{dim}d")(values.to(dtype), indices, 2),
        lambda: getattr(RF, f"max_unpool{dim}d")(values.to(dtype), indices, 2),
    )
    assert mine == theirs  # '"max_unpool2d" not implemented for 'Int''


@pytest.mark.parametrize("factor", [2**32, 2**63, 2**64, -(2**63) - 1])
@pytest.mark.parametrize("name", ["pixel_shuffle", "pixel_unshuffle"])
def test_pixel_shuffle_huge_factors_raise_like_torch(name, factor):
    import torchresample.functional as RF

    x = torch.randn(1, 4, 2, 2)
    theirs, mine = _same_error(lambda: getattr(F, name)(x, factor), lambda: getattr(RF, name)(x, factor))
    if "overflow" in theirs.lower():
        assert mine == theirs


def test_area_with_zero_channels_returns_the_empty_result():
    """torch's area is adaptive average pooling: its 1-D and 2-D forms take empty channels, its 3-D form does not."""
    for shape, size in [((2, 0, 9), 4), ((2, 0, 6, 7), (3, 5)), ((0, 0, 4), 2), ((0, 3, 4, 5, 6), (2, 2, 2))]:
        expected = F.interpolate(torch.randn(shape), size=size, mode="area")
        got = ours(torch.randn(shape), size=size, mode="area")
        assert got.shape == expected.shape and got.numel() == 0
    _same_error(
        lambda: F.interpolate(torch.randn(1, 0, 2, 3, 4), size=2, mode="area"),
        lambda: ours(torch.randn(1, 0, 2, 3, 4), size=2, mode="area"),
    )


def test_quantized_input_gets_a_clear_error_from_every_entry_point():
    import torchresample
    import torchresample.functional as RF

    q = torch.quantize_per_tensor(torch.rand(1, 4, 4, 4), 0.1, 0, torch.quint8)
    F.interpolate(q, scale_factor=2)  # torch takes it (nearest, bilinear)
    _, indices = F.max_pool2d(torch.randn(1, 4, 8, 8), 2, return_indices=True)
    calls = [
        lambda: ours(q, scale_factor=2),
        lambda: ours(q, size=(6, 6), mode="bilinear"),
        lambda: RF.upsample_nearest(q, scale_factor=2),
        lambda: torchresample.Upsample(scale_factor=2)(q),
        lambda: torchresample.UpsamplingNearest2d(scale_factor=2)(q),
        lambda: torchresample.UpsamplingBilinear2d(scale_factor=2)(q),
        lambda: torchresample.MaxUnpool2d(2)(q, indices),
        lambda: torchresample.PixelShuffle(2)(q),
        lambda: torchresample.PixelUnshuffle(2)(q),
        lambda: torchresample.PixelShuffle3d(2)(
            torch.quantize_per_tensor(torch.rand(1, 8, 2, 2, 2), 0.1, 0, torch.quint8)
        ),
    ]
    for call in calls:
        with pytest.raises(NotImplementedError, match=r"quantized tensors .* dequantize first"):
            call()


def _pooled(dim):
    pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[dim - 1]
    return pool(torch.randn((1, 2) + (4,) * dim), 2, return_indices=True)


# (id, call with the functional module M: torch.nn.functional for torch, torchresample.functional for ours).
INVALID_LAYER_CALLS = [
    ("unpool_indices_other_device", lambda M: M.max_unpool2d(_pooled(2)[0], _pooled(2)[1].to("meta"), 2)),
    ("unpool_input_other_device", lambda M: M.max_unpool2d(_pooled(2)[0].to("meta"), _pooled(2)[1], 2)),
    ("unpool1d_indices_other_device", lambda M: M.max_unpool1d(_pooled(1)[0], _pooled(1)[1].to("meta"), 2)),
    ("unpool_indices_list", lambda M: M.max_unpool2d(_pooled(2)[0], [0], 2)),
    ("unpool_indices_none", lambda M: M.max_unpool3d(_pooled(3)[0], None, 2)),
    ("unpool_input_ndarray", lambda M: M.max_unpool2d(_pooled(2)[0].numpy(), _pooled(2)[1], 2)),
    ("unpool_float_kernel", lambda M: M.max_unpool2d(*_pooled(2), 2.0)),
    ("unpool_float_stride", lambda M: M.max_unpool2d(*_pooled(2), 2, stride=2.0)),
    ("unpool_float_padding", lambda M: M.max_unpool1d(*_pooled(1), 2, padding=1.0)),
    ("unpool_float_output_size", lambda M: M.max_unpool2d(*_pooled(2), 2, output_size=[4.0, 4.0])),
    ("unpool_bool_stride", lambda M: M.max_unpool3d(*_pooled(3), 2, True)),
    ("shuffle_list_input", lambda M: M.pixel_shuffle([[[[1.0]]]], 1)),
    ("unshuffle_ndarray_input", lambda M: M.pixel_unshuffle(np.zeros((1, 4, 2, 2)), 2)),
    ("shuffle_none_input", lambda M: M.pixel_shuffle(None, 2)),
    ("shuffle_tensor_factor", lambda M: M.pixel_shuffle(torch.randn(1, 4, 2, 2), torch.tensor([2]))),
    ("unshuffle_ndarray_factor", lambda M: M.pixel_unshuffle(torch.randn(1, 4, 2, 2), np.array(2))),
    ("shuffle_bool_tensor_factor", lambda M: M.pixel_shuffle(torch.randn(1, 4, 2, 2), torch.tensor(True))),
]


@pytest.mark.parametrize("call", [c[1] for c in INVALID_LAYER_CALLS], ids=[c[0] for c in INVALID_LAYER_CALLS])
def test_layer_functions_raise_torch_exception_types(call):
    import torchresample.functional as RF

    with pytest.raises(Exception) as theirs:
        call(F)
    with pytest.raises(Exception) as mine:
        call(RF)
    assert type(mine.value) is type(theirs.value), f"torch raised {theirs.value!r}, we raised {mine.value!r}"
