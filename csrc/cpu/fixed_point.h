// Fixed-point (int16) weights for the uint8 engine (Note [fixed-point uint8]).
#pragma once

#include "../common/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace torchresample {

// Note [fixed-point uint8]
// uint8 resampling runs on integers, as Pillow-SIMD and torch's uint8 kernels do: each axis plan's weights
// become int16 w * 2^shift, and a pass sums int16 x int16 products in int32 (AVX2 madd: 16 per instruction,
// against 8 float FMAs after two conversions). The shift is the largest whose weights fit int16 and whose
// sums, with the rounding half, cannot overflow int32 for the pass's source values. Every pass rounds half up.
// Two passes through an int16 intermediate row, W then H (torch's order) or H then W for linear and area where
// that costs less (Note [uint8 pass order]):
//  * filters of negative lobes (cubic, Lanczos, Mitchell...) saturate the intermediate to 0..255, which clips their
//    overshoot as torch does (Note [rounded w pass]). Where their W weights stay under kIntegerMidMaxWeight it is
//    rounded to an integer, as torch's; sharper W passes (upscales) keep 7 fraction bits in it instead, so no weight
//    error can flip its rounding: the result stays within 1 of the two-pass float result (the vertical pass moves it by
//    at most half its absolute weight sum, under 0.7 for every filter);
//  * the others (linear, area, box, Gaussian) keep 7 fraction bits in it (at most 255 * 128 < 2^15): rounded once.
// Integer sums are exact and order-free: the AVX2 and portable copies give the same bits.
// Fewer fraction bits than this and the rounding of the weights could move a result by more than the contract allows.
// Only extreme filter parameters (Mitchell's b and c far out, whose windows cut at an edge renormalise to huge
// weights) come near it; the uint8 engine then declines the call and the float engine runs it.
constexpr int kMinFractionBits = 8;

struct FixedPlan {
  int64_t taps = 1;  // weight stride per output: the plan's taps rounded up to the kernel's step (zeros after)
  int shift = 0;     // weight = round(w * 2^shift)
  std::vector<int64_t> start;
  std::vector<int64_t> count;
  std::vector<int16_t> weight;

  bool fits() const { return shift >= kMinFractionBits; }
};

// `source_max`: the largest source value the pass reads; `step`: the kernel's tap step (the padding).
// A plan's taps rounded up to a kernel's step: FixedPlan::taps.
inline int64_t padded_taps(int64_t taps, int64_t step) { return (taps + step - 1) / step * step; }

inline FixedPlan fixed_point_plan(const AxisPlan<float>& p, int64_t step, int64_t source_max) {
  FixedPlan f;
  f.taps = padded_taps(p.taps, step);
  f.start.assign(p.start.begin(), p.start.end());
  f.count.assign(p.count.begin(), p.count.end());
  double max_weight = 0, max_sum = 0;
  for (int64_t o = 0; o < p.out_size; ++o) {
    double sum = 0;
    for (int64_t k = 0; k < p.count[o]; ++k) {
      const double w = std::abs(static_cast<double>(p.weight[o * p.taps + k]));
      max_weight = std::max(max_weight, w);
      sum += w;
    }
    max_sum = std::max(max_sum, sum);
  }
  const auto fits = [&](int shift) {
    const double one = std::ldexp(1.0, shift);
    return std::nearbyint(max_weight * one) <= 32767 &&
           (max_sum * static_cast<double>(source_max) + 1) * one < 2147483647.0;
  };
  while (f.shift < 30 && fits(f.shift + 1)) {
    ++f.shift;
  }
  f.weight.assign(p.out_size * f.taps, 0);
  const double one = std::ldexp(1.0, f.shift);
  for (int64_t o = 0; o < p.out_size; ++o) {
    for (int64_t k = 0; k < p.count[o]; ++k) {
      // Round half away from zero, as Pillow does.
      f.weight[o * f.taps + k] = static_cast<int16_t>(std::lround(static_cast<double>(p.weight[o * p.taps + k]) * one));
    }
  }
  return f;
}

// A cubic or Lanczos W pass rounds its intermediate to integers, as torch's, only where every |weight| stays under
// this: a weight near 1 (interpolating, not antialiasing) leaves int16 only 14 fraction bits, whose error flips that
// rounding often enough for the vertical pass to add flips up to 2 away from the float result; windows of weights
// under 1/4 (downscales by 4 and more: image thumbnails) keep 17 bits and more.
constexpr float kIntegerMidMaxWeight = 0.25f;

inline float max_abs_weight(const AxisPlan<float>& p) {
  float m = 0.0f;
  for (int64_t o = 0; o < p.out_size; ++o) {
    for (int64_t k = 0; k < p.count[o]; ++k) {
      m = std::max(m, std::abs(p.weight[o * p.taps + k]));
    }
  }
  return m;
}

// How a pass turns an int32 sum into its stored value: (sum + half) >> shift, clamped to [lo, hi].
struct Rounding {
  int shift;
  int32_t lo, hi;
};

inline int32_t finish(int32_t sum, const Rounding& r) {
  const int32_t v = (sum + (int32_t(1) << (r.shift - 1))) >> r.shift;
  return std::min(std::max(v, r.lo), r.hi);
}

}  // namespace torchresample
