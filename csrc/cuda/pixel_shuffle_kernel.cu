// CUDA pixel_shuffle / pixel_unshuffle ops: one permuted copy, any dtype, any source strides.
#include "../glue/element_width.h"
#include "../glue/pixel_shuffle_glue.h"
#include "launch.cuh"

#include <ATen/core/Tensor.h>
#include <torch/library.h>

#include <algorithm>

namespace torchresample {
namespace {

// One thread per destination element, walking the destination densely (coalesced writes); the source is read
// through the permuted strides. Note [pixel shuffle mapping].
template <typename T, typename index_t>
__global__ void permuted_copy(const T* __restrict__ src, T* __restrict__ dst, PermutedCopy p, int64_t total) {
  for (int64_t n = grid_first(); n < total; n += grid_step()) {
    dst[n] = src[source_offset<index_t>(p, static_cast<index_t>(n))];
  }
}

at::Tensor shuffle_cuda(const at::Tensor& self, int64_t factor, int64_t spatial_dims, bool unshuffle) {
  const device::DeviceGuard guard(self.device());
  ShuffleCall call = prepare_pixel_shuffle(self, factor, spatial_dims, unshuffle);
  const int64_t total = call.output.numel();
  if (total == 0) {
    return call.output;
  }
  const device::Stream stream = device::current_stream();
  const bool narrow = narrow_indices(std::max(total, max_source_offset(call.copy)));
  dispatch_by_width(self.element_size(), unshuffle ? "pixel_unshuffle" : "pixel_shuffle", [&](auto zero) {
    using T = decltype(zero);
    device::launch(narrow ? &permuted_copy<T, int32_t> : &permuted_copy<T, int64_t>, blocks_for(total),
                   kThreadsPerBlock, stream, raw<T>(call.source), raw_mut<T>(call.output), call.copy, total);
  });
  return call.output;
}

at::Tensor pixel_shuffle_cuda(const at::Tensor& self, int64_t upscale_factor, int64_t spatial_dims) {
  return shuffle_cuda(self, upscale_factor, spatial_dims, /*unshuffle=*/false);
}

at::Tensor pixel_unshuffle_cuda(const at::Tensor& self, int64_t downscale_factor, int64_t spatial_dims) {
  return shuffle_cuda(self, downscale_factor, spatial_dims, /*unshuffle=*/true);
}

}  // namespace

TORCHRESAMPLE_CUDA_LIBRARY_IMPL(m) {
  m.impl("pixel_shuffle", &pixel_shuffle_cuda);
  m.impl("pixel_unshuffle", &pixel_unshuffle_cuda);
}

}  // namespace torchresample
