// torchresample._eager: the eager entry points of interpolate and pixel_(un)shuffle (Note [eager calls]).
#include <ATen/PythonTorchFunctionTLS.h>
#include <ATen/core/LegacyTypeDispatch.h>  // AutoDispatchBelowADInplaceOrView
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/csrc/Exceptions.h>
#include <torch/csrc/autograd/python_variable.h>

#include <Python.h>

#include "../common/filters.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>

// Note [eager calls]
// A small resize costs more in the call than in the kernel: torch.ops parses its arguments against the schema into
// a stack of IValues (about 1.5 us here), and interpolate's own Python checks cost as much again. The functions of
// this module take interpolate's arguments as Python objects, and when they are the common case, checked in a few
// comparisons, call the op through the dispatcher with typed arguments; otherwise they return None and the Python
// code takes its general path (which raises torch's errors). They decline:
// - anything but a plain tensor (a subclass or a torch function mode may override the call: DTensor, FakeTensor,
//   torch.fx proxies), and calls under torch.jit.trace (the tracer records the op from torch.ops' stack);
// - arguments whose Python type is not exactly int, float, bool, str, tuple or list (a 0-d tensor as a size, numpy
//   scalars), and values the general path rejects or computes with Python's arbitrary-precision integers.
// What they compute is what the Python code computes from the same arguments (tests/test_eager_calls.py compares
// the two on every mode); dynamo never sees this module (interpolate calls it only outside torch.compile).
//
// The call itself goes through the dispatcher, so modes, functorch, the profiler and autograd see the op as they see
// it from torch.ops. When no derivative can be asked for (no input requiring grad under grad mode, no tangent, no
// functorch transform), it starts below autograd, as our Autograd kernel would redispatch (Note [autograd of linear
// ops]): that skips boxing the arguments for the boxed kernel.

namespace torchresample {
namespace {

using ResampleSignature = at::Tensor(const at::Tensor&, c10::SymIntArrayRef, c10::string_view, bool,
                                     std::optional<c10::ArrayRef<double>>, bool, std::optional<c10::ArrayRef<double>>);
using ShuffleSignature = at::Tensor(const at::Tensor&, int64_t, int64_t);

// The GIL is released around the op, as torch.ops releases it.
class GilReleased {
 public:
  GilReleased() : state_(PyEval_SaveThread()) {}
  ~GilReleased() { PyEval_RestoreThread(state_); }
  GilReleased(const GilReleased&) = delete;
  GilReleased& operator=(const GilReleased&) = delete;

 private:
  PyThreadState* state_;
};

// Whether the op may be called on `input` here rather than through torch.ops.
bool plain_eager_input(PyObject* input) {
  if (!THPVariable_CheckExact(input) || at::impl::torch_function_mode_enabled() ||
      c10::impl::tls_is_dispatch_key_included(c10::DispatchKey::Tracer)) {
    return false;
  }
  const at::Tensor& t = THPVariable_Unpack(input);
  return t.layout() == at::kStrided && !t.is_quantized();
}

// Whether no derivative of this call can be asked for: then the call starts below autograd.
bool no_derivative(const at::Tensor& input) {
  return !(at::GradMode::is_enabled() && input.requires_grad()) && !input._fw_grad(/*level=*/0).defined() &&
         !c10::impl::tls_is_dispatch_key_included(c10::DispatchKey::FuncTorchDynamicLayerFrontMode);
}

template <typename Signature, typename... Args>
PyObject* call_op(const c10::TypedOperatorHandle<Signature>& op, const at::Tensor& input, Args&&... args) {
  at::Tensor out;
  {
    GilReleased released;
    std::optional<at::AutoDispatchBelowADInplaceOrView> below_autograd;
    if (no_derivative(input)) {
      below_autograd.emplace();
    }
    out = op.call(input, std::forward<Args>(args)...);
  }
  return THPVariable_Wrap(std::move(out));
}

// An exact Python int that fits in int64.
bool exact_int(PyObject* o, int64_t* value) {
  if (!PyLong_CheckExact(o)) {
    return false;
  }
  int overflow = 0;
  *value = PyLong_AsLongLongAndOverflow(o, &overflow);
  return overflow == 0 && !(*value == -1 && PyErr_Occurred());
}

// An exact Python float, or an exact int small enough that its product with a size is exact in double.
bool exact_real(PyObject* o, double* value) {
  if (PyFloat_CheckExact(o)) {
    *value = PyFloat_AS_DOUBLE(o);
    return true;
  }
  int64_t i = 0;
  if (exact_int(o, &i) && i > -(int64_t(1) << 31) && i < (int64_t(1) << 31)) {
    *value = static_cast<double>(i);
    return true;
  }
  return false;
}

// `value`: one item for every axis, or an exact tuple/list of `n` items, each read by `read`.
template <typename T, typename Read>
bool per_axis(PyObject* value, int64_t n, T* out, Read read) {
  if (PyTuple_CheckExact(value) || PyList_CheckExact(value)) {
    const bool tuple = PyTuple_CheckExact(value);
    if ((tuple ? PyTuple_GET_SIZE(value) : PyList_GET_SIZE(value)) != n) {
      return false;
    }
    for (int64_t k = 0; k < n; ++k) {
      if (!read(tuple ? PyTuple_GET_ITEM(value, k) : PyList_GET_ITEM(value, k), &out[k])) {
        return false;
      }
    }
    return true;
  }
  T one{};
  if (!read(value, &one)) {
    return false;
  }
  for (int64_t k = 0; k < n; ++k) {
    out[k] = one;
  }
  return true;
}

// interpolate's modes: the op's filter, the spatial rank the mode is tied to (0: any), and whether it interpolates
// (takes align_corners and antialias). torch's linear and cubic modes go by their names; every other filter of the
// table is a mode of its own name (Note [filter table]).
struct Mode {
  Filter filter;
  int64_t tied_rank;
  bool interpolating;
};

bool find_mode(PyObject* name, Mode* mode) {
  if (!PyUnicode_CheckExact(name)) {
    return false;
  }
  Py_ssize_t length = 0;
  const char* text = PyUnicode_AsUTF8AndSize(name, &length);
  if (text == nullptr) {
    PyErr_Clear();
    return false;
  }
  static constexpr struct {
    const char* name;
    Filter filter;
    int64_t tied_rank;
  } kTorchModes[] = {{"linear", Filter::Linear, 1},
                     {"bilinear", Filter::Linear, 2},
                     {"trilinear", Filter::Linear, 3},
                     {"bicubic", Filter::Cubic, 0}};
  for (const auto& m : kTorchModes) {
    if (std::strcmp(text, m.name) == 0) {
      *mode = {m.filter, m.tied_rank, true};
      return true;
    }
  }
  Filter f = Filter::Nearest;
  if (!find_filter(text, static_cast<size_t>(length), &f) || filter_kind(f) == FilterKind::kTorch) {
    return false;
  }
  *mode = {f, 0, takes_antialias(f)};
  return true;
}

// Py_None, or Py_True / Py_False.
bool optional_bool(PyObject* o, bool* is_none, bool* value) {
  *is_none = o == Py_None;
  *value = o == Py_True;
  return *is_none || o == Py_True || o == Py_False;
}

// int(float(n) * float(s)) when the general path computes the same: a finite product below 2^53, which is exact for
// an int scale as the general path's Python integers are.
bool truncated_size(int64_t n, double scale, int64_t* out) {
  const double v = static_cast<double>(n) * scale;
  if (!std::isfinite(v) || std::fabs(v) >= 9007199254740992.0) {
    return false;
  }
  *out = static_cast<int64_t>(v);
  return true;
}

// interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias, filter_params)
// -> Tensor | None; only calls with filter_params=None (the filter's defaults) are taken here.
PyObject* interpolate(PyObject* /*module*/, PyObject* const* args, Py_ssize_t nargs) {
  HANDLE_TH_ERRORS
  if (nargs != 8 || args[7] != Py_None || !plain_eager_input(args[0])) {
    Py_RETURN_NONE;
  }
  PyObject *size = args[1], *scale_factor = args[2];
  const at::Tensor& input = THPVariable_Unpack(args[0]);
  Mode found{};
  const Mode* mode = find_mode(args[3], &found) ? &found : nullptr;
  const int64_t dim = input.dim() - 2;
  bool corners_none = true, align_corners = false, recompute_none = true, recompute = false, antialias = false;
  if (mode == nullptr || dim < 1 || dim > 3 || (mode->tied_rank != 0 && mode->tied_rank != dim) ||
      !optional_bool(args[4], &corners_none, &align_corners) || (!mode->interpolating && !corners_none) ||
      !optional_bool(args[5], &recompute_none, &recompute) || (args[6] != Py_True && args[6] != Py_False) ||
      (size == Py_None) == (scale_factor == Py_None)) {
    Py_RETURN_NONE;
  }
  antialias = args[6] == Py_True;
  if (antialias && !mode->interpolating) {
    Py_RETURN_NONE;
  }
  int64_t output_size[3];
  double scales[3];
  bool given_scales = false;
  if (size != Py_None) {
    if (recompute || !per_axis(size, dim, output_size, exact_int)) {
      Py_RETURN_NONE;
    }
    for (int64_t k = 0; k < dim; ++k) {
      if (output_size[k] < 0) {
        Py_RETURN_NONE;  // an error, raised by the op from the general path
      }
    }
  } else {
    if (!per_axis(scale_factor, dim, scales, exact_real)) {
      Py_RETURN_NONE;
    }
    // area always recomputes (torch's adaptive pooling works from a size); the kernels then use in / out.
    recompute = recompute || filter_kind(mode->filter) == FilterKind::kArea;
    for (int64_t k = 0; k < dim; ++k) {
      if (!truncated_size(input.size(k + 2), scales[k], &output_size[k]) || output_size[k] < 0) {
        Py_RETURN_NONE;
      }
    }
    given_scales = !recompute;
  }
  static const auto op =
      c10::Dispatcher::singleton().findSchemaOrThrow("torchresample::resample", "").typed<ResampleSignature>();
  return call_op(op, input, c10::fromIntArrayRefKnownNonNegative(at::IntArrayRef(output_size, dim)),
                 c10::string_view(filter_name(mode->filter)), align_corners,
                 given_scales ? std::make_optional(c10::ArrayRef<double>(scales, dim)) : std::nullopt, antialias,
                 std::optional<c10::ArrayRef<double>>());
  END_HANDLE_TH_ERRORS
}

// pixel_shuffle(input, factor, spatial_dims, shuffle: bool) -> Tensor | None
PyObject* pixel_shuffle(PyObject* /*module*/, PyObject* const* args, Py_ssize_t nargs) {
  HANDLE_TH_ERRORS
  int64_t factor = 0, spatial_dims = 0;
  if (nargs != 4 || !plain_eager_input(args[0]) || !exact_int(args[1], &factor) || !exact_int(args[2], &spatial_dims) ||
      factor <= 0 || factor >= (int64_t(1) << 20) || spatial_dims < 1 || spatial_dims > 3) {
    Py_RETURN_NONE;
  }
  static const auto shuffle =
      c10::Dispatcher::singleton().findSchemaOrThrow("torchresample::pixel_shuffle", "").typed<ShuffleSignature>();
  static const auto unshuffle =
      c10::Dispatcher::singleton().findSchemaOrThrow("torchresample::pixel_unshuffle", "").typed<ShuffleSignature>();
  return call_op(args[3] == Py_True ? shuffle : unshuffle, THPVariable_Unpack(args[0]), factor, spatial_dims);
  END_HANDLE_TH_ERRORS
}

PyMethodDef kMethods[] = {
    {"interpolate", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&interpolate)), METH_FASTCALL,
     "interpolate's arguments -> the resampled tensor, or None where the Python code must decide"},
    {"pixel_shuffle", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&pixel_shuffle)), METH_FASTCALL,
     "(input, factor, spatial_dims, shuffle) -> pixel_shuffle or pixel_unshuffle of input, or None"},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef kModule = {PyModuleDef_HEAD_INIT, "_eager", "torchresample's eager entry points (Note [eager calls])", -1,
                       kMethods};

}  // namespace
}  // namespace torchresample

PyMODINIT_FUNC PyInit__eager(void) { return PyModule_Create(&torchresample::kModule); }
