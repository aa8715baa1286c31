// Autograd of the max_unpool ops: the scatter and the gather at the same indices are each other's transpose.
#include "record.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/autograd.h>
#include <torch/library.h>

#include <vector>

namespace torchresample {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Through the dispatcher, so that a gradient taken with create_graph=True is itself differentiable.
at::Tensor call_max_unpool(const at::Tensor& self, const at::Tensor& indices, c10::SymIntArrayRef output_size) {
  static const auto op = c10::Dispatcher::singleton()
                             .findSchemaOrThrow("torchresample::max_unpool", "")
                             .typed<at::Tensor(const at::Tensor&, const at::Tensor&, c10::SymIntArrayRef)>();
  return op.call(self, indices, output_size);
}

at::Tensor call_max_unpool_backward(const at::Tensor& grad_output, const at::Tensor& indices) {
  static const auto op = c10::Dispatcher::singleton()
                             .findSchemaOrThrow("torchresample::max_unpool_backward", "")
                             .typed<at::Tensor(const at::Tensor&, const at::Tensor&)>();
  return op.call(grad_output, indices);
}

class MaxUnpoolFunction : public torch::autograd::Function<MaxUnpoolFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& self, const at::Tensor& indices,
                            c10::SymIntArrayRef output_size) {
    ctx->save_for_backward({indices});
    at::AutoDispatchBelowADInplaceOrView guard;
    return call_max_unpool(self, indices, output_size);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor indices = ctx->get_saved_variables()[0];
    return {call_max_unpool_backward(grads[0], indices), at::Tensor(), at::Tensor()};
  }
};

// The gather is linear in grad_output, and its transpose is the scatter back onto grad_output's spatial extents.
class MaxUnpoolBackwardFunction : public torch::autograd::Function<MaxUnpoolBackwardFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& grad_output, const at::Tensor& indices) {
    ctx->save_for_backward({indices});
    ctx->saved_data["output_size"] = grad_output.sym_sizes().slice(2);
    at::AutoDispatchBelowADInplaceOrView guard;
    return call_max_unpool_backward(grad_output, indices);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor indices = ctx->get_saved_variables()[0];
    std::vector<c10::SymInt> output_size;
    for (const auto& s : ctx->saved_data["output_size"].toList()) {
      output_size.push_back(s.get().toSymInt());
    }
    return {call_max_unpool(grads[0], indices, output_size), at::Tensor()};
  }
};

at::Tensor max_unpool_autograd(const at::Tensor& self, const at::Tensor& indices, c10::SymIntArrayRef output_size) {
  return apply_if_recorded<MaxUnpoolFunction>(self, call_max_unpool, self, indices, output_size);
}

at::Tensor max_unpool_backward_autograd(const at::Tensor& grad_output, const at::Tensor& indices) {
  return apply_if_recorded<MaxUnpoolBackwardFunction>(grad_output, call_max_unpool_backward, grad_output, indices);
}

}  // namespace

TORCH_LIBRARY_IMPL(torchresample, Autograd, m) {
  m.impl("max_unpool", &max_unpool_autograd);
  m.impl("max_unpool_backward", &max_unpool_backward_autograd);
}

}  // namespace torchresample
