// CPU pixel_shuffle / pixel_unshuffle ops: one permuted copy, any dtype, any source strides.
#include "../glue/element_width.h"
#include "../glue/pixel_shuffle_glue.h"
#include "parallel.h"

#include <ATen/core/Tensor.h>
#include <torch/library.h>

#include <algorithm>

namespace torchresample {
namespace {

// Walks the destination densely in tiles of its two innermost axes, carrying the source offset of the outer axes
// like an odometer (no division per tile). Note [pixel shuffle mapping].
template <typename T>
void permuted_copy(const T* src, T* dst, const PermutedCopy& p) {
  const int n = p.ndim;
  const int64_t inner = p.size[n - 1];
  const int64_t inner_stride = p.src_stride[n - 1];
  const int64_t mid = n >= 2 ? p.size[n - 2] : 1;
  const int64_t mid_stride = n >= 2 ? p.src_stride[n - 2] : 0;
  const int outer = std::max(n - 2, 0);
  int64_t tiles = 1;
  for (int d = 0; d < outer; ++d) {
    tiles *= p.size[d];
  }
  const int64_t tile = inner * mid;
  const int64_t grain = parallel_grain(tile);
  parallel_for(0, tiles, grain, [&](int64_t begin, int64_t end) {
    int64_t digit[kMaxCopyDims] = {};
    int64_t offset = 0;
    for (int64_t d = outer - 1, rest = begin; d >= 0; --d) {
      digit[d] = rest % p.size[d];
      rest /= p.size[d];
      offset += digit[d] * p.src_stride[d];
    }
    T* out = dst + begin * tile;
    for (int64_t t = begin; t < end; ++t) {
      for (int64_t m = 0; m < mid; ++m) {
        const T* row = src + offset + m * mid_stride;
        if (inner_stride == 1) {
          std::copy(row, row + inner, out);
        } else {
          for (int64_t i = 0; i < inner; ++i) {
            out[i] = row[i * inner_stride];
          }
        }
        out += inner;
      }
      for (int d = outer - 1; d >= 0; --d) {
        offset += p.src_stride[d];
        if (++digit[d] < p.size[d]) {
          break;
        }
        offset -= digit[d] * p.src_stride[d];
        digit[d] = 0;
      }
    }
  });
}

at::Tensor shuffle_cpu(const at::Tensor& self, int64_t factor, int64_t spatial_dims, bool unshuffle) {
  ShuffleCall call = prepare_pixel_shuffle(self, factor, spatial_dims, unshuffle);
  if (call.output.numel() == 0) {
    return call.output;
  }
  dispatch_by_width(self.element_size(), unshuffle ? "pixel_unshuffle" : "pixel_shuffle", [&](auto zero) {
    using T = decltype(zero);
    permuted_copy<T>(raw<T>(call.source), raw_mut<T>(call.output), call.copy);
  });
  return call.output;
}

at::Tensor pixel_shuffle_cpu(const at::Tensor& self, int64_t upscale_factor, int64_t spatial_dims) {
  return shuffle_cpu(self, upscale_factor, spatial_dims, /*unshuffle=*/false);
}

at::Tensor pixel_unshuffle_cpu(const at::Tensor& self, int64_t downscale_factor, int64_t spatial_dims) {
  return shuffle_cpu(self, downscale_factor, spatial_dims, /*unshuffle=*/true);
}

}  // namespace

TORCH_LIBRARY_IMPL(torchresample, CPU, m) {
  m.impl("pixel_shuffle", &pixel_shuffle_cpu);
  m.impl("pixel_unshuffle", &pixel_unshuffle_cpu);
}

}  // namespace torchresample
