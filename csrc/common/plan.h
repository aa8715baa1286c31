// Per-axis resampling plans (window start, tap count, weights per output) and their transposes for backward.
#pragma once

#include "filters.h"
#include "inline_vector.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace torchresample {

// A plan's arrays, inline up to 64 outputs of two taps each: a small resize builds its plans without the heap
// (a dozen allocations per call cost about as much as the kernel of a 2x2 -> 4x4 resize).
constexpr unsigned kInlineOutputs = 64;
using PlanIndices = InlineVector<int64_t, kInlineOutputs>;
template <typename T>
using PlanWeights = InlineVector<T, 2 * kInlineOutputs>;

// Note [axis plan]
// Output o of an axis reads inputs start[o] .. start[o]+count[o]-1 with weights weight[o*taps + k]. Every
// window is a run of distinct, ascending, in-range indices, and windows move monotonically with o, so the
// outputs that read one input form a contiguous range: the transpose is again a plan, and the backward is the
// forward engine run on transposed plans (a gather in a fixed order: no atomics, no zero-fill, same bits for
// any thread count or device).
template <typename T>
struct AxisPlan {
  int64_t in_size = 1;
  int64_t out_size = 1;
  int64_t taps = 1;
  PlanIndices start;
  PlanIndices count;
  PlanWeights<T> weight;

  // Every output copies the input at its own index.
  bool is_identity() const {
    if (in_size != out_size) {
      return false;
    }
    for (int64_t o = 0; o < out_size; ++o) {
      if (start[o] != o || count[o] != 1 || weight[o * taps] != T(1)) {
        return false;
      }
    }
    return true;
  }
};

template <typename T>
AxisPlan<T> identity_plan(int64_t size) {
  AxisPlan<T> p;
  p.in_size = p.out_size = size;
  p.taps = 1;
  p.start.resize(size);
  p.count.assign(size, 1);
  p.weight.assign(size, T(1));
  for (int64_t i = 0; i < size; ++i) {
    p.start[i] = i;
  }
  return p;
}

template <typename T>
AxisPlan<T> build_plan(const AxisFilter<T>& f) {
  AxisPlan<T> p;
  p.in_size = f.in;
  p.out_size = f.out;
  p.taps = f.max_taps;
  p.start.resize(f.out);
  p.count.resize(f.out);
  p.weight.assign(f.out * f.max_taps, T(0));
  int64_t widest = 1;
  for (int64_t o = 0; o < f.out; ++o) {
    p.start[o] = axis_taps<T>(f, o, p.weight.data() + o * p.taps, p.count[o]);
    widest = std::max(widest, p.count[o]);
  }
  if (widest < p.taps) {
    // The filter's bound can exceed every window (antialias upsampling: a triangle of radius 1 bounds 3 taps,
    // windows hold 2). Kernels pick their unrolled loops by `taps`, so the plan keeps only what is used.
    PlanWeights<T> packed(f.out * widest);
    for (int64_t o = 0; o < f.out; ++o) {
      std::copy_n(p.weight.begin() + o * p.taps, widest, packed.begin() + o * widest);
    }
    p.weight = std::move(packed);
    p.taps = widest;
  }
  return p;
}

// A plan's arrays as kernels read them, on the host (the CPU engine) or on the device (a CUDA launch's copy of the
// plan). start == nullptr: an axis the launch leaves alone (output o is input o).
template <typename T>
struct PlanView {
  const int64_t* start = nullptr;
  const int64_t* count = nullptr;
  const T* weight = nullptr;
  int64_t taps = 0;
  bool full = false;  // every output uses all `taps` (no border windows): gathers skip the per-output count
};

template <typename T>
PlanView<T> view(const AxisPlan<T>& p) {
  const bool full = std::all_of(p.count.begin(), p.count.end(), [&](int64_t n) { return n == p.taps; });
  return {p.start.data(), p.count.data(), p.weight.data(), p.taps, full};
}

// The adjoint plan: input i of `p` becomes output i, reading the outputs of `p` whose windows contain it.
template <typename T>
AxisPlan<T> transpose_plan(const AxisPlan<T>& p) {
  AxisPlan<T> t;
  t.in_size = p.out_size;
  t.out_size = p.in_size;
  PlanIndices first(p.in_size, p.out_size), last(p.in_size, -1);
  for (int64_t o = 0; o < p.out_size; ++o) {
    for (int64_t k = 0; k < p.count[o]; ++k) {
      const int64_t i = p.start[o] + k;
      first[i] = std::min(first[i], o);
      last[i] = std::max(last[i], o);
    }
  }
  t.taps = 1;
  for (int64_t i = 0; i < p.in_size; ++i) {
    t.taps = std::max(t.taps, last[i] - first[i] + 1);
  }
  t.start.resize(p.in_size);
  t.count.resize(p.in_size);
  t.weight.assign(p.in_size * t.taps, T(0));
  for (int64_t i = 0; i < p.in_size; ++i) {
    // An input that no output reads gets an empty window: its gradient is written as zero.
    const bool read = last[i] >= 0;
    t.start[i] = read ? first[i] : 0;
    t.count[i] = read ? last[i] - first[i] + 1 : 0;
  }
  for (int64_t o = 0; o < p.out_size; ++o) {
    for (int64_t k = 0; k < p.count[o]; ++k) {
      const int64_t i = p.start[o] + k;
      t.weight[i * t.taps + (o - t.start[i])] = p.weight[o * p.taps + k];
    }
  }
  return t;
}

// Bit a set: canonical axis a (0 = D, 1 = H, 2 = W) is resampled, i.e. its plan is not the identity.
using AxisMask = unsigned;
constexpr AxisMask kAxisW = 1u << 2;

template <typename T>
AxisMask resampled_axes(const std::array<AxisPlan<T>, 3>& plans) {
  AxisMask m = 0;
  for (int a = 0; a < 3; ++a) {
    m |= plans[a].is_identity() ? 0u : 1u << a;
  }
  return m;
}

}  // namespace torchresample
