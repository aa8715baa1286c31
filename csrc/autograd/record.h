// The autograd kernels' entry: record a graph node only when a gradient can flow.
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/autograd.h>
#include <torch/csrc/autograd/forward_grad.h>

#include <type_traits>
#include <utility>

namespace torchresample {

// Function::apply(args...) when `differentiable` requires grad under grad mode, or forward AD is active (apply
// then refuses dual inputs, as it always did: a tangent must not be dropped in silence); otherwise `op(args...)`
// below the autograd key, without a node or its saved state (most of a small resize's C++ time).
template <typename Function, typename Op, typename... Args>
at::Tensor apply_if_recorded(const at::Tensor& differentiable, Op&& op, Args&&... args) {
  if ((at::GradMode::is_enabled() && differentiable.requires_grad()) ||
      torch::autograd::ForwardADLevel::has_any_level()) {
    auto out = Function::apply(std::forward<Args>(args)...);
    if constexpr (std::is_same_v<decltype(out), at::Tensor>) {
      return out;
    } else {
      return out[0];
    }
  }
  at::AutoDispatchBelowADInplaceOrView guard;
  return op(std::forward<Args>(args)...);
}

}  // namespace torchresample
