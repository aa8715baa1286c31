// Index math of max_unpool, shared by the CPU and CUDA kernels: canonical layout, bounds, duplicate rule.
#pragma once

#include "attributes.h"

#include <cstdint>

namespace torchresample {

// "No invalid index": the lowest invalid input position a kernel reports when every index was valid.
constexpr int64_t kNoInvalidPosition = INT64_MAX;

// Note [unpool layout]
// A kernel sees input, indices and output as dense [batch, plane, channels]: contiguous (N, C, *spatial) has
// batch = N*C and channels = 1; channels_last(_3d) has batch = N and channels = C. An index is flat over the
// output's spatial extents (its plane), so input element (b, i, c) goes to output element (b, indices[b,i,c], c).
struct UnpoolGeometry {
  int64_t batch = 1;
  int64_t channels = 1;
  int64_t in_plane = 1;
  int64_t out_plane = 1;
};

// Note [unpool bounds]
// An index is valid iff 0 <= index < out_plane, compared in int64: narrowing first would let a huge index wrap
// into range. Kernels never write or read through an invalid index. The CPU op raises torch's "Found an invalid max
// index" error for the one at the lowest input position; the CUDA op raises a device-side assert, as torch's CUDA
// kernels do, so that it never waits for the GPU, or with the sync_index_check option (Note [cuda options]) waits
// and raises the CPU's error.
TORCHRESAMPLE_HOST_DEVICE inline bool unpool_index_valid(int64_t index, int64_t out_plane) {
  return index >= 0 && index < out_plane;
}

TORCHRESAMPLE_HOST_DEVICE inline int64_t unpool_input_offset(const UnpoolGeometry& g, int64_t b, int64_t i, int64_t c) {
  return (b * g.in_plane + i) * g.channels + c;
}

TORCHRESAMPLE_HOST_DEVICE inline int64_t unpool_output_offset(const UnpoolGeometry& g, int64_t b, int64_t index,
                                                              int64_t c) {
  return (b * g.out_plane + index) * g.channels + c;
}

// The inverse of unpool_input_offset (plane = in_plane) and unpool_output_offset (plane = out_plane): (b, i, c) of
// a dense offset. `index_t` is int32_t when every offset fits, which makes the divisions cheap on a GPU.
template <typename index_t>
TORCHRESAMPLE_HOST_DEVICE inline void unpool_split(index_t offset, index_t plane, index_t channels, index_t& b,
                                                   index_t& i, index_t& c) {
  index_t row = offset;
  c = 0;
  if (channels != 1) {
    c = offset % channels;
    row = offset / channels;
  }
  i = row % plane;
  b = row / plane;
}

// Note [unpool duplicates]
// Several elements of one (batch, channel) plane may carry the same index. The element with the highest input
// position wins (the last writer in input order), which is torch's CPU result with one thread; torch's own
// result changes with the thread count, ours does not. The CPU kernel gives each thread whole planes and writes
// them in input order; the CUDA kernel takes, per output element, an integer atomic max of the input positions that
// land there (order-independent, hence deterministic), then fills the output by gathering the winners.
// The gradient gathers grad_output at every index, duplicates included (as torch).

}  // namespace torchresample
