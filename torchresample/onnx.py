"""ONNX export of the torchresample ops through both of torch's exporters: each op is written out as standard ONNX
(Resize, Gather, AveragePool, MatMul, ScatterElements, Reshape/Transpose) that onnxruntime runs with our results."""

import importlib.abc
import math
import sys
import threading
from typing import Any, List, Optional, Sequence

import numpy as np
import torch

from ._ops import FILTERS

__all__ = ["OPSET", "ExportError", "register"]

# The opset of the nodes written: Resize's antialias attribute is opset 18's.
OPSET = 18

# Note [ONNX export]
# Each op has one lowering, written against a small graph builder that each exporter implements (_Builder): the
# dynamo exporter reads onnxscript's torchlib registry when an export starts (we register into it when onnxscript
# is imported, see register()), the TorchScript exporter calls the symbolic functions registered with
# torch.onnx.register_custom_op_symbolic. How the resample modes are written, each checked against onnxruntime by
# tests/test_onnx.py:
# - Resize where onnxruntime's Resize gives our numbers: linear in 1-D/2-D/3-D and cubic on 4-D input (A = -0.75),
#   with or without align_corners; antialias (cubic A = -0.5, exclude_outside = 1, which renormalises as we do)
#   without align_corners. A scale factor the kernels use (not recomputed, 1/scale != in/out) goes in as Resize's
#   scales, so that the coordinates follow it (1 on an axis linear copies); onnxruntime then computes the output
#   size itself, from the float32 scale: static sizes where that could round otherwise than torch's float64
#   product, and bicubic whose output shape is its input's (onnxruntime copies it), take the MatMul form.
# - nearest and nearest-exact: Gather. With static sizes at the indices our kernel reads, found by running it on
#   index probes (torch's index rule differs between its kernels, Note [nearest index]); with dynamic sizes at
#   indices computed in the graph with our contiguous kernel's arithmetic (_nearest_dynamic). onnxruntime's Resize
#   (asymmetric + floor, half_pixel + round_prefer_ceil) reads another index for 3-4% of (in, out) pairs.
# - area: AveragePool where every axis divides evenly. Everything else (area at other ratios, lanczos, cubic on 3-D
#   and 5-D input, which onnxruntime's Resize refuses, antialias with align_corners, which it computes otherwise):
#   the separable linear map itself, one constant (in, out) matrix per axis, our op applied to the identity, by
#   MatMul. That needs static spatial sizes (the batch and channels may be dynamic); dynamic ones raise.
# - float16, bfloat16 and uint8 compute in float32 (uint8 rounded half to even and clipped, within 1 of our
#   fixed-point kernel); float64 stays float64.
# max_unpool is a ScatterElements into zeros (onnxruntime writes duplicates in order: the last, as ours), and
# pixel_(un)shuffle a Reshape, Transpose, Reshape, with shapes computed in the graph.

_ONNX_TYPES = {
    torch.float32: 1,
    torch.uint8: 2,
    torch.int64: 7,
    torch.float16: 10,
    torch.float64: 11,
    torch.bfloat16: 16,
}


class ExportError(RuntimeError):
    """A torchresample op that ONNX cannot express for this export (raised while exporting)."""


class _Builder:
    """What a lowering needs from an exporter's graph: nodes (``None`` for an omitted optional input; attributes
    as Python values, numpy arrays for tensors), the static sizes and dtype of a value, and 1-D int64 values built
    from Python ints and graph scalars."""

    def op(self, name: str, *inputs: Any, **attrs: Any) -> Any:
        raise NotImplementedError

    def sizes(self, value: Any, rank: int) -> List[Optional[int]]:
        """The sizes of a value of rank ``rank``, None where dynamic or unknown."""
        raise NotImplementedError

    def dtype(self, value: Any) -> torch.dtype:
        raise NotImplementedError

    def ints(self, items: Sequence[Any]) -> Any:
        """A 1-D int64 value of ``items`` (Python ints, or graph scalars for dynamic sizes)."""
        if all(isinstance(n, int) for n in items):
            return self.const(np.array(items, dtype=np.int64))
        one = self.const(np.array([1], dtype=np.int64))
        parts = [
            self.const(np.array([n], dtype=np.int64))
            if isinstance(n, int)
            else self.op("Reshape", self.op("Cast", n, to=_ONNX_TYPES[torch.int64]), one)
            for n in items
        ]
        return self.op("Concat", *parts, axis=0)

    def const(self, array: np.ndarray) -> Any:
        return self.op("Constant", value=np.ascontiguousarray(array))

    def dims(self, value: Any, start: int, end: Optional[int] = None) -> Any:
        """``value``'s sizes ``start:end`` as a 1-D int64 value. A Slice of Shape rather than Shape's start/end
        attributes, which the TorchScript exporter's shape inference reads as the whole shape (and then corrupts
        memory on the Transpose that follows)."""
        stop = np.iinfo(np.int64).max if end is None else end
        return self.op("Slice", self.op("Shape", value), self.ints([start]), self.ints([stop]))


class _TorchScriptBuilder(_Builder):
    """The TorchScript exporter's graph (a symbolic function's ``g``)."""

    def __init__(self, g: Any) -> None:
        self._g = g

    def op(self, name: str, *inputs: Any, **attrs: Any) -> Any:
        kwargs = {}
        for key, v in attrs.items():
            if isinstance(v, np.ndarray):
                kwargs[key + "_t"] = torch.from_numpy(v)
            elif isinstance(v, str):
                kwargs[key + "_s"] = v
            elif isinstance(v, float) or (isinstance(v, list) and v and isinstance(v[0], float)):
                kwargs[key + "_f"] = v
            else:
                kwargs[key + "_i"] = v
        placeholder = None
        args = []
        for v in inputs:
            if v is None:
                if placeholder is None:
                    placeholder = self._g.op("prim::Constant")
                    placeholder.setType(torch._C.OptionalType.ofTensor())
                v = placeholder
            args.append(v)
        return self._g.op(name, *args, **kwargs)

    def sizes(self, value: Any, rank: int) -> List[Optional[int]]:
        sizes = value.type().varyingSizes() if isinstance(value.type(), torch._C.TensorType) else None
        return list(sizes) if sizes is not None and len(sizes) == rank else [None] * rank

    def dtype(self, value: Any) -> torch.dtype:
        return value.type().dtype()


# ---------------------------------------------------------------------------------------------------------------
# resample


def _reference(
    input: torch.Tensor,
    output_size: List[int],
    filter: str,
    align_corners: bool,
    scales: Optional[Sequence[float]],
    antialias: bool,
    filter_params: Sequence[float] = (),
) -> torch.Tensor:
    """Our op on a real tensor, while an exporter translates the graph."""
    with torch.no_grad():
        return torch.ops.torchresample.resample.default(
            input, output_size, filter, align_corners, scales, antialias, list(filter_params) or None
        )


def _axis_matrix(
    n_in: int,
    n_out: int,
    filter: str,
    align_corners: bool,
    scale: Optional[float],
    antialias: bool,
    filter_params: Sequence[float],
) -> np.ndarray:
    """The (in, out) matrix of one axis: row i is our op's response to a unit impulse at input i."""
    impulses = torch.eye(n_in, dtype=torch.float64).unsqueeze(1)
    rows = _reference(
        impulses, [n_out], filter, align_corners, None if scale is None else [scale], antialias, filter_params
    )
    return rows[:, 0, :].numpy()


def _nearest_indices(
    in_sizes: List[int], out_sizes: List[int], dtype: torch.dtype, filter: str, scales: Optional[Sequence[float]]
) -> List[np.ndarray]:
    """Per axis, the source index of every output position, read off our kernel on an index probe of the input's
    spatial shape (the index rule depends on the whole call, Note [nearest index])."""
    probe_type = torch.float64 if dtype == torch.float64 else torch.float32
    k = len(in_sizes)
    indices = []
    for d in range(k):
        shape = [1] * k
        shape[d] = in_sizes[d]
        probe = torch.arange(in_sizes[d], dtype=probe_type).view(1, 1, *shape).expand(1, 1, *in_sizes).contiguous()
        picked = _reference(probe, out_sizes, filter, False, scales, False)[0, 0]
        indices.append(picked.movedim(d, 0).reshape(out_sizes[d], -1)[:, 0].to(torch.int64).numpy())
    return indices


def _nearest_dynamic(
    b: _Builder, x: Any, out_sizes: List[Any], dtype: torch.dtype, exact: bool, axis_scales: List[Optional[float]]
) -> Any:
    """Nearest with dynamic sizes: per axis, a Gather at indices computed in the graph with the arithmetic of our
    contiguous CPU kernel (Note [nearest index]): the separable rule, and for 2-D outputs of at most 128 rows plus
    columns the indexed one with its shortcuts, chosen in the graph. Rounding is IEEE in both, so the indices are
    ours (a fused multiply-add is a float64 product and difference rounded once more to float32, which can differ in
    the last bit of a tie: never seen in a scan of every 1-D (in, out) pair up to 96 x 192)."""
    k = len(out_sizes)
    f32, f64 = np.float32, np.float64
    opmath = f64 if dtype == torch.float64 else f32
    fused = torch.backends.cpu.get_cpu_capability() != "DEFAULT"  # as torch's CPU kernel was built (resample_glue)

    def scalar(value, kind):
        return b.const(np.array(value, dtype=kind))

    def cast(v, kind):
        return b.op("Cast", v, to=_ONNX_TYPES[torch.float64 if kind is f64 else torch.float32])

    outs = [b.ints([n]) for n in out_sizes]
    small = None
    if k == 2:
        small = b.op("LessOrEqual", b.op("Add", outs[0], outs[1]), b.ints([128]))
    y = x
    for d in range(k):
        n_in = b.dims(x, 2 + d, 3 + d)
        o = b.op(
            "Range",
            b.const(np.array(0, dtype=np.int64)),
            b.op("Reshape", outs[d], b.const(np.zeros(0, dtype=np.int64))),
            b.const(np.array(1, dtype=np.int64)),
        )

        def scale(kind):
            if axis_scales[d] is not None:
                return scalar(1.0 / axis_scales[d], kind)
            return b.op("Div", cast(n_in, kind), cast(outs[d], kind))

        if not exact:
            # floorf(s * o) in the opmath type (float: the indexed kernel's formula too)
            product = b.op("Mul", scale(opmath), cast(o, opmath))
            index = b.op("Floor", cast(product, f32))
        else:
            centre = b.op("Add", cast(o, opmath), scalar(0.5, opmath))
            s = scale(opmath)
            if fused and opmath is f32:
                real = cast(b.op("Sub", b.op("Mul", cast(s, f64), cast(centre, f64)), scalar(0.5, f64)), f32)
            else:
                real = b.op("Sub", b.op("Mul", s, centre), scalar(0.5, opmath))
            real = b.op("Max", real, scalar(0.0, opmath))
            index = b.op("Floor", cast(b.op("Add", cast(real, f64), scalar(0.5, f64)), f32))
            if small is not None:
                # the indexed kernel: floorf((o + 0.5) * s) with a float scale, the product in double
                indexed = b.op("Mul", b.op("Add", cast(o, f64), scalar(0.5, f64)), cast(scale(f32), f64))
                index = b.op("Where", small, b.op("Floor", cast(indexed, f32)), index)
        if not exact and small is not None:
            # the indexed kernel: floorf(o * s) with a float scale, and its shortcuts (a given scale factor too)
            position = cast(o, f32)
            indexed = b.op("Floor", b.op("Mul", scale(f32), position))
            halved = b.op("Floor", b.op("Mul", position, scalar(0.5, f32)))
            doubled = b.op("Equal", outs[d], b.op("Mul", n_in, b.ints([2])))
            indexed = b.op("Where", b.op("Equal", outs[d], n_in), position, b.op("Where", doubled, halved, indexed))
            index = b.op("Where", small, indexed, index)
        last = b.op("Sub", n_in, b.ints([1]))
        index = b.op("Min", b.op("Cast", index, to=_ONNX_TYPES[torch.int64]), last)
        y = b.op("Gather", y, index, axis=2 + d)
    return y


def _resize_form(filter: str, k: int, align_corners: bool, antialias: bool) -> Optional[dict]:
    """The Resize attributes that give our numbers for a non-nearest filter, or None where there are none."""
    if antialias and align_corners:
        return None
    if filter == "linear":
        form = dict(mode="linear")
    elif filter == "cubic" and k == 2:
        form = dict(mode="cubic", cubic_coeff_a=-0.5 if antialias else -0.75)
    else:
        return None
    form["coordinate_transformation_mode"] = "align_corners" if align_corners else "half_pixel"
    if antialias:
        form.update(antialias=1, exclude_outside=1)
    return form


def lower_resample(
    b: _Builder,
    x: Any,
    output_size: Sequence[Any],
    filter: str,
    align_corners: bool,
    scales: Optional[Sequence[float]],
    antialias: bool,
    filter_params: Optional[Sequence[float]] = None,
) -> Any:
    """``torchresample::resample`` in ONNX (Note [ONNX export])."""
    filter_params = list(filter_params or ())
    out_sizes = list(output_size)
    k = len(out_sizes)
    in_sizes = b.sizes(x, k + 2)[2:]
    dtype = b.dtype(x)
    axis_scales: List[Optional[float]] = [float(s) for s in scales] if scales is not None else [None] * k
    static = all(isinstance(n, int) for n in in_sizes) and all(isinstance(n, int) for n in out_sizes)

    if filter in ("nearest", "nearest-exact"):
        if not static:
            return _nearest_dynamic(b, x, out_sizes, dtype, filter == "nearest-exact", axis_scales)
        y = x
        for d, idx in enumerate(_nearest_indices(in_sizes, out_sizes, dtype, filter, scales)):
            if not (in_sizes[d] == out_sizes[d] and np.array_equal(idx, np.arange(out_sizes[d]))):
                y = b.op("Gather", y, b.const(idx), axis=2 + d)
        return y

    form = _resize_form(filter, k, align_corners, antialias)
    # uint8 with a filter of negative lobes rounds and saturates after the W pass (Note [rounded w pass]): with
    # static sizes, so does the export (the MatMul form, one axis at a time).
    w_pass_first = (
        dtype == torch.uint8
        and FILTERS[filter].negative_lobes
        and static
        and k >= 2
        and in_sizes[-1] != out_sizes[-1]
        and in_sizes[:-1] != out_sizes[:-1]
    )
    if w_pass_first:
        form = None
    # float64 stays float64 in MatMul; onnxruntime's Resize has no float64 kernel.
    compute = torch.float64 if dtype == torch.float64 and form is None else torch.float32
    y = x if dtype == compute else b.op("Cast", x, to=_ONNX_TYPES[compute])
    divides = static and all(o <= i and i % o == 0 for i, o in zip(in_sizes, out_sizes))
    if filter == "area" and divides:
        ratios = [i // o for i, o in zip(in_sizes, out_sizes)]
        y = b.op("AveragePool", y, kernel_shape=ratios, strides=ratios)
    elif form is not None and _resize_by_sizes(static, in_sizes, out_sizes, axis_scales, align_corners):
        sizes = b.op("Concat", b.dims(x, 0, 2), b.ints(out_sizes), axis=0)
        y = b.op("Resize", y, None, None, sizes, **form)
    elif form is not None and not (
        static and (_near_integer(in_sizes, axis_scales) or (filter == "cubic" and in_sizes == out_sizes))
    ):
        y = b.op("Resize", y, None, _resize_scales(b, x, out_sizes, axis_scales, filter), None, **form)
    else:
        if not static:
            name = filter + (" with antialias" if antialias else "") + (" and align_corners" if align_corners else "")
            raise ExportError(
                f"torchresample: {name} on {k + 2}-D input has no ONNX Resize form; it is exported as one constant "
                "matrix per axis, which needs static spatial sizes (export without dynamic spatial dimensions; the "
                f"batch may stay dynamic). Input sizes {in_sizes}, output sizes {out_sizes}."
            )
        if w_pass_first:
            y = _matmul_axes(
                b,
                y,
                in_sizes,
                out_sizes,
                compute,
                filter,
                align_corners,
                axis_scales,
                antialias,
                filter_params,
                [k - 1],
            )
            y = _round_uint8(b, y)
        axes = list(range(k - 1)) if w_pass_first else list(range(k))
        y = _matmul_axes(
            b,
            y,
            in_sizes[:-1] + out_sizes[-1:] if w_pass_first else in_sizes,
            out_sizes,
            compute,
            filter,
            align_corners,
            axis_scales,
            antialias,
            filter_params,
            axes,
        )
    if dtype == compute:
        return y
    if dtype == torch.uint8:
        y = _round_uint8(b, y)
    return b.op("Cast", y, to=_ONNX_TYPES[dtype])


def _resize_by_sizes(
    static: bool,
    in_sizes: List[Optional[int]],
    out_sizes: List[Any],
    axis_scales: List[Optional[float]],
    align_corners: bool,
) -> bool:
    """Whether Resize given the output sizes maps coordinates as our kernel does: when the kernel uses in/out
    (align_corners, no scale factor), or the scale factor is out/in exactly."""
    if align_corners or all(s is None for s in axis_scales):
        return True
    return static and all(s is None or o == i * s for i, o, s in zip(in_sizes, out_sizes, axis_scales))


def _near_integer(in_sizes: List[int], axis_scales: List[Optional[float]]) -> bool:
    """Whether some in * scale lies so close to an integer that onnxruntime, which computes the output size from
    the float32 scale, may round it to another size than torch's float64 product (static sizes then take the
    MatMul form)."""
    return any(
        s is not None and abs(i * s - round(i * s)) < 1e-3 and math.floor(i * s) != round(i * s)
        for i, s in zip(in_sizes, axis_scales)
    )


def _resize_scales(b: _Builder, x: Any, out_sizes: List[Any], axis_scales: List[Optional[float]], filter: str) -> Any:
    """Resize's scales input: the scale factors the kernel uses, except where linear copies an axis whose output
    size is its input's (computed in the graph). Cubic copies nothing, but onnxruntime copies a Resize whose output
    shape is its input's: static sizes take the MatMul form there (_resize_copies), dynamic ones cannot."""
    if any(s is None for s in axis_scales):
        raise ExportError(
            f"torchresample: mode {filter!r} with a scale factor on only some axes cannot be exported "
            "with dynamic sizes"
        )
    if filter != "linear":
        return b.const(np.array([1.0, 1.0, *axis_scales], dtype=np.float32))
    one = b.const(np.array([1.0], dtype=np.float32))
    factors = [
        b.op(
            "Where",
            b.op("Equal", b.dims(x, 2 + d, 3 + d), b.ints([out_sizes[d]])),
            one,
            b.const(np.array([s], dtype=np.float32)),
        )
        for d, s in enumerate(axis_scales)
    ]
    return b.op("Concat", b.const(np.array([1.0, 1.0], dtype=np.float32)), *factors, axis=0)


def _round_uint8(b: _Builder, y: Any) -> Any:
    """float32 values rounded (half to even: within 1 of our half-up) and saturated to uint8's range."""
    low, high = (b.const(np.array(v, dtype=np.float32)) for v in (0.0, 255.0))
    return b.op("Clip", b.op("Round", y), low, high)


def _matmul_axes(
    b: _Builder,
    y: Any,
    in_sizes: List[int],
    out_sizes: List[int],
    compute: torch.dtype,
    filter: str,
    align_corners: bool,
    axis_scales: List[Optional[float]],
    antialias: bool,
    filter_params: Sequence[float],
    axes: List[int],
) -> Any:
    """Apply the (in, out) matrix of each of ``axes``, the axes that shrink the data first."""
    k = len(in_sizes)
    current = list(in_sizes)
    numpy_type = np.float64 if compute == torch.float64 else np.float32
    for d in sorted(axes, key=lambda d: out_sizes[d] / in_sizes[d]):
        w = _axis_matrix(in_sizes[d], out_sizes[d], filter, align_corners, axis_scales[d], antialias, filter_params)
        if in_sizes[d] == out_sizes[d] and np.array_equal(w, np.eye(in_sizes[d])):
            continue
        w = w.astype(numpy_type)
        if d == k - 1:
            y = b.op("MatMul", y, b.const(w))
        elif d == k - 2:
            y = b.op("MatMul", b.const(np.ascontiguousarray(w.T)), y)
        else:  # the depth axis of 5-D input: the rows of (D, H*W) matrices
            planes = b.dims(y, 0, 2)
            y = b.op("Reshape", y, b.op("Concat", planes, b.ints([current[0], -1]), axis=0))
            y = b.op("MatMul", b.const(np.ascontiguousarray(w.T)), y)
            y = b.op("Reshape", y, b.op("Concat", planes, b.ints([out_sizes[0], *current[1:]]), axis=0))
        current[d] = out_sizes[d]
    return y


# ---------------------------------------------------------------------------------------------------------------
# max_unpool, pixel_shuffle, pixel_unshuffle


def lower_max_unpool(b: _Builder, x: Any, indices: Any, output_size: Sequence[Any]) -> Any:
    """``torchresample::max_unpool``: each (n, c) plane scattered into zeros at its flat indices."""
    planes = b.dims(x, 0, 2)
    flat_shape = b.op("Concat", planes, b.ints([-1]), axis=0)
    count = b.op("ReduceProd", b.ints(list(output_size)), keepdims=1)
    zeros = b.op(
        "ConstantOfShape", b.op("Concat", planes, count, axis=0), value=np.zeros(1, dtype=_numpy_type(b.dtype(x)))
    )
    y = b.op("ScatterElements", zeros, b.op("Reshape", indices, flat_shape), b.op("Reshape", x, flat_shape), axis=2)
    return b.op("Reshape", y, b.op("Concat", planes, b.ints(list(output_size)), axis=0))


def _numpy_type(dtype: torch.dtype) -> Any:
    if dtype == torch.bfloat16:
        raise ExportError("torchresample: max_unpool of bfloat16 cannot be exported to ONNX (no numpy bfloat16)")
    return torch.empty(0, dtype=dtype).numpy().dtype


def lower_shuffle(b: _Builder, x: Any, factor: int, k: int, unshuffle: bool) -> Any:
    """``torchresample::pixel_(un)shuffle``: (B, C, r.., S..) <-> (B, C, S1, r, S2, r, ..) by Reshape, Transpose,
    Reshape, with the shapes computed in the graph (any leading dimensions, dynamic sizes)."""
    lead = b.dims(x, 0, -k - 1)
    channels = b.dims(x, -k - 1, -k)
    spatial = [b.dims(x, d - k, d - k + 1 if d < k - 1 else None) for d in range(k)]
    r = b.ints([factor])
    block = b.ints([factor**k])
    if unshuffle:
        small = [b.op("Div", s, r) for s in spatial]
        interleaved = [v for s in small for v in (s, r)]
        y = b.op("Reshape", x, b.op("Concat", b.ints([-1]), channels, *interleaved, axis=0))
        perm = [0, 1] + [3 + 2 * d for d in range(k)] + [2 + 2 * d for d in range(k)]
        y = b.op("Transpose", y, perm=perm)
        return b.op("Reshape", y, b.op("Concat", lead, b.op("Mul", channels, block), *small, axis=0))
    c = b.op("Div", channels, block)
    y = b.op("Reshape", x, b.op("Concat", b.ints([-1]), c, b.ints([factor] * k), *spatial, axis=0))
    perm = [0, 1] + [i for d in range(k) for i in (2 + k + d, 2 + d)]
    y = b.op("Transpose", y, perm=perm)
    return b.op("Reshape", y, b.op("Concat", lead, c, *[b.op("Mul", s, r) for s in spatial], axis=0))


# ---------------------------------------------------------------------------------------------------------------
# registration


def _register_dynamo() -> None:
    """Our ops in onnxscript's torchlib registry, which the dynamo exporter reads at the start of every export."""
    from onnxscript.function_libs.torch_lib.registration import default_registry

    if "torchresample::resample" not in default_registry:
        from . import _onnx_dynamo  # noqa: F401  (its functions register as they are defined)


def _list(value: Any) -> List[Any]:
    """A TorchScript int list argument as Python ints and graph scalars."""
    from torch.onnx import symbolic_helper

    node = value.node()
    if node.kind() == "prim::ListConstruct":
        items: List[Any] = []
        for item in node.inputs():
            constant = item.node()
            if constant.kind() in ("prim::Constant", "onnx::Constant") and constant.hasAttribute("value"):
                kind = constant.kindOf("value")
                if kind in ("i", "t"):
                    # int64(x) truncates, as the traced aten::Int did (a folded size can arrive as a double tensor).
                    items.append(constant.i("value") if kind == "i" else int(constant.t("value").item()))
                    continue
            items.append(item)
        return items
    return list(symbolic_helper._parse_arg(value, "is"))


def _output_size(g: Any, input: Any, output_size: Any) -> List[Any]:
    """The output size of a traced resample call: its graph scalars (a size computed from the input's shape) are
    the traced output's sizes where the input's spatial sizes are static."""
    items = _list(output_size)
    sizes = input.type().varyingSizes() if isinstance(input.type(), torch._C.TensorType) else None
    if sizes is not None and all(n is not None for n in sizes[2:]) and not all(isinstance(n, int) for n in items):
        traced = g.original_node.output().type().varyingSizes()
        if traced is not None and all(n is not None for n in traced):
            return list(traced[2:])
    return items


def _register_torchscript() -> None:
    """Symbolic functions for the TorchScript exporter (torch.onnx.export(..., dynamo=False)), opset 18 and on."""
    from torch.onnx import register_custom_op_symbolic, symbolic_helper

    def resample(g, input, output_size, filter, align_corners, scales, antialias, filter_params):
        return lower_resample(
            _TorchScriptBuilder(g),
            input,
            _output_size(g, input, output_size),
            symbolic_helper._parse_arg(filter, "s"),
            symbolic_helper._parse_arg(align_corners, "b"),
            None if symbolic_helper._is_none(scales) else symbolic_helper._parse_arg(scales, "fs"),
            symbolic_helper._parse_arg(antialias, "b"),
            [] if symbolic_helper._is_none(filter_params) else symbolic_helper._parse_arg(filter_params, "fs"),
        )

    def max_unpool(g, input, indices, output_size):
        return lower_max_unpool(_TorchScriptBuilder(g), input, indices, _list(output_size))

    def shuffle(unshuffle: bool):
        def symbolic(g, input, factor, spatial_dims):
            return lower_shuffle(
                _TorchScriptBuilder(g),
                input,
                symbolic_helper._parse_arg(factor, "i"),
                symbolic_helper._parse_arg(spatial_dims, "i"),
                unshuffle,
            )

        return symbolic

    def too_old(g, *args):
        raise ExportError(
            f"torchresample's ops export at ONNX opset {OPSET} or later (Resize's antialias); pass "
            f"opset_version={OPSET} or leave it at its default"
        )

    for name, fn in (
        ("resample", resample),
        ("max_unpool", max_unpool),
        ("pixel_shuffle", shuffle(False)),
        ("pixel_unshuffle", shuffle(True)),
    ):
        register_custom_op_symbolic(f"torchresample::{name}", fn, OPSET)
        register_custom_op_symbolic(f"torchresample::{name}", too_old, 9)


_lock = threading.Lock()
_registered = {"dynamo": False, "torchscript": False}
_ONNXSCRIPT_REGISTRY = "onnxscript.function_libs.torch_lib.registration"


def register() -> None:
    """Make both ONNX exporters know torchresample's ops. ``import torchresample`` arranges it (for the dynamo
    exporter when onnxscript is imported, for the TorchScript exporter when torch.onnx is); calling it again does
    nothing. Only needed by code that removed or replaced those registries."""
    with _lock:
        if not _registered["torchscript"] and "torch.onnx" in sys.modules:
            _register_torchscript()
            _registered["torchscript"] = True
        if not _registered["dynamo"] and _ONNXSCRIPT_REGISTRY in sys.modules:
            _register_dynamo()
            _registered["dynamo"] = True


class _AfterImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Runs register() once torch.onnx or onnxscript's torchlib registry has been imported, so that neither costs
    ``import torchresample`` anything (importing onnxscript takes seconds)."""

    _WATCHED = ("torch.onnx", _ONNXSCRIPT_REGISTRY)

    def __init__(self) -> None:
        self._loaders: dict = {}

    def find_spec(self, name, path, target=None):
        if name not in self._WATCHED:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None:
                if spec.loader is None or not hasattr(spec.loader, "exec_module"):
                    return None
                self._loaders[name] = spec.loader
                spec.loader = self
                return spec
        return None

    def create_module(self, spec):
        return self._loaders[spec.name].create_module(spec)

    def exec_module(self, module):
        loader = self._loaders.pop(module.__name__)
        module.__loader__ = module.__spec__.loader = loader  # the module keeps its own loader
        loader.exec_module(module)
        register()
        if all(_registered.values()) and self in sys.meta_path:
            sys.meta_path.remove(self)


def install() -> None:
    """Called by ``import torchresample``: register now what is already imported, the rest once it is."""
    register()
    if not all(_registered.values()) and not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())
