// Autograd of the resample ops: the operator is linear, so each op's gradient is the other op.
#include "record.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/autograd.h>
#include <torch/library.h>

#include <string>
#include <vector>

namespace torchresample {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

using ResampleSig = at::Tensor(const at::Tensor&, c10::SymIntArrayRef, c10::string_view, bool, c10::ArrayRef<double>,
                               bool);

// Through the dispatcher, so that a gradient taken with create_graph=True is itself differentiable. kForwardOp:
// resample, else resample_backward; the handle is looked up once (a lookup hashes the name on every call).
template <bool kForwardOp>
at::Tensor dispatch(const at::Tensor& x, c10::SymIntArrayRef size, c10::string_view filter, bool align_corners,
                    c10::ArrayRef<double> scales, bool antialias) {
  static const auto op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow(kForwardOp ? "torchresample::resample" : "torchresample::resample_backward", "")
          .typed<ResampleSig>();
  return op.call(x, size, filter, align_corners, scales, antialias);
}

std::vector<c10::SymInt> to_sizes(const c10::IValue& v) {
  std::vector<c10::SymInt> sizes;
  for (const auto& s : v.toList()) {
    sizes.push_back(s.get().toSymInt());
  }
  return sizes;
}

// kForward: resample (gradient: resample_backward); otherwise resample_backward (gradient: resample).
template <bool kForward>
class ResampleFunction : public torch::autograd::Function<ResampleFunction<kForward>> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& x, c10::SymIntArrayRef size,
                               c10::string_view filter, bool align_corners, c10::ArrayRef<double> scales,
                               bool antialias) {
    // The gradient maps back to x's shape: its full shape (resample) or its spatial extents (resample_backward).
    ctx->saved_data["size"] = kForward ? x.sym_sizes() : x.sym_sizes().slice(2);
    ctx->saved_data["filter"] = std::string(filter);
    ctx->saved_data["align_corners"] = align_corners;
    ctx->saved_data["scales"] = std::vector<double>(scales.begin(), scales.end());
    ctx->saved_data["antialias"] = antialias;
    at::AutoDispatchBelowADInplaceOrView guard;
    return {dispatch<kForward>(x, size, filter, align_corners, scales, antialias)};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto size = to_sizes(ctx->saved_data["size"]);
    const auto scales = ctx->saved_data["scales"].toDoubleVector();
    const at::Tensor grad = dispatch<!kForward>(grads[0], size, ctx->saved_data["filter"].toStringRef(),
                                     ctx->saved_data["align_corners"].toBool(), scales,
                                     ctx->saved_data["antialias"].toBool());
    return {grad, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

template <bool kForward>
at::Tensor resample_autograd(const at::Tensor& x, c10::SymIntArrayRef size, c10::string_view filter,
                             bool align_corners, c10::ArrayRef<double> scales, bool antialias) {
  return apply_if_recorded<ResampleFunction<kForward>>(x, dispatch<kForward>, x, size, filter, align_corners, scales,
                                                       antialias);
}

}  // namespace

TORCH_LIBRARY_IMPL(torchresample, Autograd, m) {
  m.impl("resample", &resample_autograd<true>);
  m.impl("resample_backward", &resample_autograd<false>);
}

}  // namespace torchresample
