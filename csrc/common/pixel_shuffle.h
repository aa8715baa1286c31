// Index mapping of pixel_shuffle and pixel_unshuffle, shared by the CPU and CUDA kernels.
#pragma once

#include "attributes.h"

#include <cstdint>

namespace torchresample {

// Note [pixel shuffle mapping]
// Shuffling by r over the last k axes moves packed[b, c*r^k + q, s_1, ..., s_k] to
// spread[b, c, s_1*r + q_1, ..., s_k*r + q_k], where q_1..q_k are the base-r digits of q (q_1 most significant);
// unshuffling is the inverse. Either way the destination is a permutation of the axes (b, c, q_1..q_k, s_1..s_k)
// of the source, so both ops are one copy that walks the destination densely and reads the source through
// permuted strides. Any source strides work, and channels-last destinations are just another axis order.
constexpr int kMaxCopyDims = 8;

struct PermutedCopy {
  int ndim = 0;
  int64_t size[kMaxCopyDims] = {};        // destination axes, outermost first; the destination is dense in this order
  int64_t src_stride[kMaxCopyDims] = {};  // the source stride (elements) of each destination axis
};

// Source offset of the element at dense destination position `dest`. `index_t` is int32_t when every offset fits
// (see max_source_offset), which makes the divisions cheap on a GPU. The loop runs over the fixed bound so that a
// device compiler unrolls it and keeps the axes in registers.
template <typename index_t>
TORCHRESAMPLE_HOST_DEVICE inline index_t source_offset(const PermutedCopy& p, index_t dest) {
  index_t offset = 0;
#if defined(__CUDACC__)
#pragma unroll
#endif
  for (int d = kMaxCopyDims - 1; d >= 0; --d) {
    if (d < p.ndim) {
      const index_t size = static_cast<index_t>(p.size[d]);
      offset += (dest % size) * static_cast<index_t>(p.src_stride[d]);
      dest /= size;
    }
  }
  return offset;
}

// The largest source offset the copy reads (strides are non-negative).
TORCHRESAMPLE_HOST_DEVICE inline int64_t max_source_offset(const PermutedCopy& p) {
  int64_t offset = 0;
  for (int d = 0; d < p.ndim; ++d) {
    offset += (p.size[d] - 1) * p.src_stride[d];
  }
  return offset;
}

// Appends a destination axis; drops it when of size 1 and merges it into the previous one when the source is
// dense across both, so the copy runs over few, long axes.
TORCHRESAMPLE_HOST_DEVICE inline void push_axis(PermutedCopy& p, int64_t size, int64_t src_stride) {
  if (size == 1) {
    return;
  }
  if (p.ndim > 0 && p.src_stride[p.ndim - 1] == src_stride * size) {
    p.size[p.ndim - 1] *= size;
    p.src_stride[p.ndim - 1] = src_stride;
    return;
  }
  p.size[p.ndim] = size;
  p.src_stride[p.ndim] = src_stride;
  ++p.ndim;
}

// The copy that shuffles (or unshuffles) a source of shape (B, C, S_1..S_k) with `strides` by factor r. The
// destination is contiguous (B, C', S'_1..S'_k), or channels-last (channel axis innermost) when `channels_last`.
TORCHRESAMPLE_HOST_DEVICE inline PermutedCopy shuffle_copy(bool unshuffle, int k, int64_t r, const int64_t* sizes,
                                                           const int64_t* strides, bool channels_last) {
  int64_t c_size = sizes[1];
  int64_t c_stride = strides[1];
  int64_t q_stride[3] = {};
  int64_t s_size[3] = {};
  int64_t s_stride[3] = {};
  if (unshuffle) {
    // Source axis j has index s_j*r + q_j.
    for (int j = 0; j < k; ++j) {
      s_size[j] = sizes[2 + j] / r;
      s_stride[j] = strides[2 + j] * r;
      q_stride[j] = strides[2 + j];
    }
  } else {
    // Source channel c*r^k + q, q's digits from most to least significant.
    int64_t place = 1;
    for (int j = k - 1; j >= 0; --j) {
      q_stride[j] = strides[1] * place;
      place *= r;
      s_size[j] = sizes[2 + j];
      s_stride[j] = strides[2 + j];
    }
    c_size = sizes[1] / place;
    c_stride = strides[1] * place;
  }
  PermutedCopy p;
  push_axis(p, sizes[0], strides[0]);
  if (unshuffle) {
    // Packed destination: (b, c, q.., s..), or (b, s.., c, q..) channels-last.
    if (!channels_last) {
      push_axis(p, c_size, c_stride);
      for (int j = 0; j < k; ++j) push_axis(p, r, q_stride[j]);
    }
    for (int j = 0; j < k; ++j) push_axis(p, s_size[j], s_stride[j]);
    if (channels_last) {
      push_axis(p, c_size, c_stride);
      for (int j = 0; j < k; ++j) push_axis(p, r, q_stride[j]);
    }
  } else {
    // Spread destination: (b, c, s_1, q_1, .., s_k, q_k), or (b, s_1, q_1, .., s_k, q_k, c) channels-last.
    if (!channels_last) push_axis(p, c_size, c_stride);
    for (int j = 0; j < k; ++j) {
      push_axis(p, s_size[j], s_stride[j]);
      push_axis(p, r, q_stride[j]);
    }
    if (channels_last) push_axis(p, c_size, c_stride);
  }
  if (p.ndim == 0) {
    p.ndim = 1;
    p.size[0] = 1;
    p.src_stride[0] = 0;
  }
  return p;
}

}  // namespace torchresample
