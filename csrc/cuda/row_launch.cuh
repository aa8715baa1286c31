// The row-shaped launches of the plan-driven kernels (resample, scale_and_translate): extents in the canonical layout,
// output rows split by fast division, the grid over rows and row elements, and the windowed tap sum they share.
#pragma once

#include "../common/plan.h"
#include "launch.cuh"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

namespace torchresample {

template <typename acc_t>
struct Window {
  int64_t first;
  int64_t count;
  const acc_t* weight;  // nullptr: a single tap of weight 1

  __device__ __forceinline__ acc_t at(int64_t k) const { return weight ? weight[k] : acc_t(1); }
};

template <typename acc_t>
__device__ __forceinline__ Window<acc_t> window(const PlanView<acc_t>& a, int64_t o) {
  if (a.start == nullptr) {
    return {o, 1, nullptr};
  }
  return {a.start[o], a.count[o], a.weight + o * a.taps};
}

// Note [fast division]
// Splitting a flat index into coordinates divides by launch constants, and an integer division is a long
// instruction sequence on the GPU. Division by d as a multiply-high, an add and a shift (Granlund and
// Montgomery, "Division by invariant integers using multiplication", 1994): with l = ceil(log2 d) and
// m = floor(2^32 (2^l - d) / d) + 1, n / d = (mulhi(n, m) + n) >> l, exact for n < 2^31, where the add cannot
// overflow. Launches with an index past that use plain 64-bit division.
struct Divisor {
  int64_t d;
  uint32_t magic;
  uint32_t shift;
};

inline Divisor make_divisor(int64_t d) {
  uint32_t shift = 0;
  while ((int64_t{1} << shift) < d) {
    ++shift;
  }
  const uint64_t magic = d < (int64_t{1} << 31) ? ((uint64_t{1} << 32) * ((uint64_t{1} << shift) - d)) / d + 1 : 0;
  return {d, static_cast<uint32_t>(magic), shift};
}

// Extents of one launch in the canonical layout [batch, D, H, W, channels] (Note [canonical layout]), with the
// divisors that split its output indices. `narrow`: the rows and row elements of the launch are numbered in 32 bits
// (narrow_indices).
struct Extents {
  int64_t batch;
  int64_t channels;
  int64_t in[3];
  int64_t out[3];
  Divisor by_d, by_h, by_c;
  bool narrow;
};

inline Extents make_extents(int64_t batch, int64_t channels, const std::array<int64_t, 3>& in,
                            const std::array<int64_t, 3>& out) {
  const int64_t rows = batch * out[0] * out[1];
  const int64_t row = out[2] * channels;
  return {batch,
          channels,
          {in[0], in[1], in[2]},
          {out[0], out[1], out[2]},
          make_divisor(out[0]),
          make_divisor(out[1]),
          make_divisor(channels),
          narrow_indices(std::max(rows, row))};
}

__device__ __forceinline__ int64_t divide(int64_t n, const Divisor& v, bool narrow) {
  if (narrow) {
    const uint32_t n32 = static_cast<uint32_t>(n);
    return static_cast<int64_t>((__umulhi(n32, v.magic) + n32) >> v.shift);
  }
  return n / v.d;
}

// Output row r = (b, od, oh) of a launch, and the offset of its batch item's first input element.
struct Row {
  int64_t b;
  int64_t od;
  int64_t oh;
  int64_t in_offset;
};

__device__ __forceinline__ Row decode_row(const Extents& e, int64_t r) {
  const int64_t t = divide(r, e.by_h, e.narrow);
  const int64_t b = divide(t, e.by_d, e.narrow);
  return {b, t - b * e.out[0], r - t * e.out[1], b * e.in[0] * e.in[1] * e.in[2] * e.channels};
}

// Note [launch shape]
// Threads cover a launch's output as rows (b, od, oh) of row elements (ow, c): x runs along the contiguous row,
// so a warp reads and writes neighbouring addresses (W for contiguous input, channels for channels-last), and
// y runs across rows, so each thread looks up the D and H windows once per row. Both loops stride by the
// whole grid, so any size fits the grid limits, and every index is 64-bit.
template <typename F>
__device__ __forceinline__ void for_each_row(const Extents& e, F f) {
  const int64_t rows = e.batch * e.out[0] * e.out[1];
  for (int64_t r = blockIdx.y * int64_t(blockDim.y) + threadIdx.y; r < rows; r += int64_t(gridDim.y) * blockDim.y) {
    f(r, decode_row(e, r));
  }
}

template <typename F>
__device__ __forceinline__ void for_each_in_row(const Extents& e, F f) {
  const int64_t len = e.out[2] * e.channels;
  for (int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; j < len; j += int64_t(gridDim.x) * blockDim.x) {
    f(j);
  }
}

// The sum over the D, H and W windows of wd * wh * ww * the input, `first` pointing at the W window's first tap of
// plane (0, 0): one fixed order per output element, so no atomics and the same bits on every run.
template <typename in_t, typename acc_t>
__device__ __forceinline__ acc_t tap_sum(const in_t* first, const Window<acc_t>& wd, const Window<acc_t>& wh,
                                         const Window<acc_t>& ww, int64_t C, int64_t in_h, int64_t in_row) {
  acc_t acc = acc_t(0);
  for (int64_t kd = 0; kd < wd.count; ++kd) {
    for (int64_t kh = 0; kh < wh.count; ++kh) {
      const in_t* p = first + ((wd.first + kd) * in_h + wh.first + kh) * in_row;
      acc_t part = acc_t(0);
      // Unrolled so that the loads of several taps are in flight at once.
#pragma unroll 4
      for (int64_t kw = 0; kw < ww.count; ++kw, p += C) {
        part += ww.at(kw) * static_cast<acc_t>(*p);
      }
      acc += wd.at(kd) * wh.at(kh) * part;
    }
  }
  return acc;
}

// Note [launch shape]: blocks of kThreadsPerBlock, as wide along x as the row needs (a warp at least).
inline std::pair<dim3, dim3> launch_shape(const Extents& e) {
  const int64_t row = e.out[2] * e.channels;
  const int64_t rows = e.batch * e.out[0] * e.out[1];
  unsigned bx = 32;
  while (bx < static_cast<unsigned>(kThreadsPerBlock) && static_cast<int64_t>(bx) < row) {
    bx *= 2;
  }
  const unsigned by = kThreadsPerBlock / bx;
  const int64_t gx = std::min<int64_t>((row + bx - 1) / bx, std::numeric_limits<int32_t>::max());
  const int64_t gy = std::min<int64_t>((rows + by - 1) / by, 65535);
  return {dim3(static_cast<unsigned>(gx), static_cast<unsigned>(gy)), dim3(bx, by)};
}

}  // namespace torchresample
