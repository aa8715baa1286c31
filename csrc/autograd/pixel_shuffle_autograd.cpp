// Autograd of the pixel_shuffle ops: each is a permutation, whose gradient is the inverse permutation, the other op.
#include "record.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/autograd.h>
#include <torch/library.h>

namespace torchresample {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Through the dispatcher, so that a gradient taken with create_graph=True is itself differentiable.
template <bool kShuffle>
at::Tensor call_shuffle(const at::Tensor& self, int64_t factor, int64_t spatial_dims) {
  static const auto op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow(kShuffle ? "torchresample::pixel_shuffle" : "torchresample::pixel_unshuffle", "")
          .typed<at::Tensor(const at::Tensor&, int64_t, int64_t)>();
  return op.call(self, factor, spatial_dims);
}

// kShuffle: pixel_shuffle (gradient: pixel_unshuffle); otherwise pixel_unshuffle (gradient: pixel_shuffle).
template <bool kShuffle>
class ShuffleFunction : public torch::autograd::Function<ShuffleFunction<kShuffle>> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& self, int64_t factor, int64_t spatial_dims) {
    ctx->saved_data["factor"] = factor;
    ctx->saved_data["spatial_dims"] = spatial_dims;
    at::AutoDispatchBelowADInplaceOrView guard;
    return call_shuffle<kShuffle>(self, factor, spatial_dims);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const int64_t factor = ctx->saved_data["factor"].toInt();
    const int64_t spatial_dims = ctx->saved_data["spatial_dims"].toInt();
    return {call_shuffle<!kShuffle>(grads[0], factor, spatial_dims), at::Tensor(), at::Tensor()};
  }
};

template <bool kShuffle>
at::Tensor shuffle_autograd(const at::Tensor& self, int64_t factor, int64_t spatial_dims) {
  return apply_if_recorded<ShuffleFunction<kShuffle>>(self, call_shuffle<kShuffle>, self, factor, spatial_dims);
}

}  // namespace

TORCH_LIBRARY_IMPL(torchresample, Autograd, m) {
  m.impl("pixel_shuffle", &shuffle_autograd<true>);
  m.impl("pixel_unshuffle", &shuffle_autograd<false>);
}

}  // namespace torchresample
