// Periodic W plans (Note [periodic W plans]): detection, shared by the float and the fixed-point uint8 passes.
// Compiled once per instruction set, like the rest of the row engine (Note [cpu isa]).
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#ifndef TORCHRESAMPLE_ISA
#error "define TORCHRESAMPLE_ISA (the instruction-set namespace) before including periodic.h"
#endif

namespace torchresample {
namespace TORCHRESAMPLE_ISA {

// Note [periodic W plans]
// Integer scale factors repeat their windows: outputs [first, end) read, period after period, the windows of
// the first `period` outputs (same weights) moved `stride` inputs on. Each of those outputs is then a fixed
// stencil over a run of inputs with a constant step, which the compiler vectorises along the row; a gather
// through the plan's indices stays one output at a time (x2 bilinear along W: 12x faster). The periods
// taken: x2 and x4 upsampling (period 2, 4; stride 1; 1, 2 or 4 taps), x0.5 and the backward of x2 (period 1,
// stride 2; 2, 4 or 8 taps).
// A run this short is gathered: the split into border gathers and a vectorised run costs more than it saves
// (about 190 instructions a row: x0.5 bilinear rows of 4 outputs spent 440 a row, 250 with the gather), while a
// x2 row of 16 outputs (a run of 14) still gains from the run (2.25M against 2.52M instructions for 256x8x8).
constexpr int64_t kPeriodicMinOutputs = 8;

struct PeriodicW {
  int64_t period = 0;  // 0: the plan has no usable period
  int64_t stride = 0;
  int64_t first = 0, end = 0;  // end - first is a whole number of periods
};

constexpr bool periodic_kernel(int64_t period, int64_t stride, int64_t taps) {
  return (stride == 1 && (period == 2 || period == 4) && (taps == 1 || taps == 2 || taps == 4)) ||
         (stride == 2 && period == 1 && (taps == 2 || taps == 4 || taps == 8));
}

// The periodic run of a plan's outputs (start, count, weight with `taps` per output), if one is long enough.
template <typename T>
PeriodicW find_periodic(const int64_t* start, const int64_t* count, const T* weight, int64_t taps, int64_t out_w) {
  for (const int64_t period : {1, 2, 4}) {
    const int64_t mid = out_w / 2;
    if (mid + period >= out_w) {
      break;
    }
    const int64_t stride = start[mid + period] - start[mid];
    if (!periodic_kernel(period, stride, taps)) {
      continue;
    }
    // Output o repeats the window of o + period, moved by stride, with every tap used.
    const auto repeats = [&](int64_t o) {
      if (count[o] != taps || count[o + period] != taps || start[o + period] != start[o] + stride) {
        return false;
      }
      return std::equal(weight + o * taps, weight + (o + 1) * taps, weight + (o + period) * taps);
    };
    if (!repeats(mid)) {
      continue;
    }
    int64_t lo = mid, hi = mid;  // repeats(o) for o in [lo, hi]: outputs [lo, hi + period] are periodic
    while (lo > 0 && repeats(lo - 1)) {
      --lo;
    }
    while (hi + 1 + period < out_w && repeats(hi + 1)) {
      ++hi;
    }
    const int64_t periods = (hi + period + 1 - lo) / period;
    if (periods >= 4 && periods * period >= kPeriodicMinOutputs) {
      return {period, stride, lo, lo + periods * period};
    }
  }
  return {};
}

// Outputs [begin, end): gather(b, e) for the outputs outside whole periods of `per` (all of them when it has
// none), periods(i_begin, i_end) for the whole periods inside, output first + period * i for period i.
template <typename Gather, typename Periods>
void split_periodic(const PeriodicW& per, int64_t begin, int64_t end, Gather&& gather, Periods&& periods) {
  const int64_t P = per.period;
  if (P > 0) {
    const int64_t i_begin = begin <= per.first ? 0 : (begin - per.first + P - 1) / P;
    const int64_t i_end = end >= per.end ? (per.end - per.first) / P : (end > per.first ? (end - per.first) / P : 0);
    if (i_begin < i_end) {
      const int64_t from = per.first + i_begin * P, to = per.first + i_end * P;
      gather(begin, from);
      periods(i_begin, i_end);
      gather(to, end);
      return;
    }
  }
  gather(begin, end);
}

// kernel(period, stride, taps), each a std::integral_constant<int, ...>, for a run of find_periodic: the one
// instantiation per combination periodic_kernel admits.
template <typename Kernel>
void with_periodic_kernel(const PeriodicW& per, int64_t taps, Kernel&& kernel) {
  using std::integral_constant;
  if (per.stride == 2) {
    switch (taps) {
      case 2:
        return kernel(integral_constant<int, 1>{}, integral_constant<int, 2>{}, integral_constant<int, 2>{});
      case 4:
        return kernel(integral_constant<int, 1>{}, integral_constant<int, 2>{}, integral_constant<int, 4>{});
      default:
        return kernel(integral_constant<int, 1>{}, integral_constant<int, 2>{}, integral_constant<int, 8>{});
    }
  }
  const auto upsample = [&](auto period) {
    switch (taps) {
      case 1:
        return kernel(period, integral_constant<int, 1>{}, integral_constant<int, 1>{});
      case 2:
        return kernel(period, integral_constant<int, 1>{}, integral_constant<int, 2>{});
      default:
        return kernel(period, integral_constant<int, 1>{}, integral_constant<int, 4>{});
    }
  };
  if (per.period == 2) {
    return upsample(integral_constant<int, 2>{});
  }
  upsample(integral_constant<int, 4>{});
}

}  // namespace TORCHRESAMPLE_ISA
}  // namespace torchresample
