// Which launches a CUDA resample takes: the grouping and order of its resampled axes into passes. Host code with
// the standard library only (tests/cpp/plan_test.cpp builds it without torch).
#pragma once

#include "../common/plan.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

namespace torchresample {

// Note [pass planning]
// One launch over several axes reads the product of their tap counts per output; one launch per axis reads
// their sum but writes and re-reads an intermediate (in the accumulation type). Estimate the time of every
// grouping and order of the resampled axes and take the cheapest: fixed-tap filters stay fused, wide windows
// (antialias and area at large ratios, Lanczos in 3-D) go axis by axis, shrinking axes first, so the cost stays
// O(taps) per element. The unit is one tap read by one thread, of which an A100 or H100 does about 7e12 a
// second: an intermediate element (8 bytes of DRAM traffic) costs about 20, a launch (~3 us) about 2e7, and a
// pass with fewer outputs than the GPU holds threads costs as if it had that many, since each thread walks its
// taps in turn. Only shapes decide, so a call always takes the same passes and returns the same bits.
constexpr double kIntermediateCost = 20;
constexpr double kLaunchCost = 2e7;
constexpr double kResidentThreads = 1 << 17;

// The cheapest passes over `axes`, from extents `extent` to `out` with `taps` per axis, for `lanes` (batch times
// channels) outputs per spatial position.
inline std::vector<AxisMask> plan_passes(const std::array<int64_t, 3>& extent, const std::array<int64_t, 3>& out,
                                         const std::array<int64_t, 3>& taps, AxisMask axes, int64_t lanes) {
  std::vector<int> order;
  for (int a = 0; a < 3; ++a) {
    if (axes >> a & 1) {
      order.push_back(a);
    }
  }
  const int n = static_cast<int>(order.size());
  std::vector<AxisMask> best;
  double best_cost = std::numeric_limits<double>::infinity();
  do {
    // Bit i of `cuts`: a new pass starts at order[i + 1].
    for (unsigned cuts = 0; cuts < (1u << std::max(n - 1, 0)); ++cuts) {
      std::vector<AxisMask> passes{0};
      for (int i = 0; i < n; ++i) {
        if (i > 0 && (cuts >> (i - 1) & 1)) {
          passes.push_back(0);
        }
        passes.back() |= 1u << order[i];
      }
      std::array<int64_t, 3> e = extent;
      double cost = 0;
      for (size_t p = 0; p < passes.size(); ++p) {
        double reads = 1;
        for (int a = 0; a < 3; ++a) {
          if (passes[p] >> a & 1) {
            e[a] = out[a];
            reads *= static_cast<double>(taps[a]);
          }
        }
        const double numel = static_cast<double>(lanes) * e[0] * e[1] * e[2];
        cost += kLaunchCost + std::max(numel, kResidentThreads) * reads +
                (p + 1 < passes.size() ? numel * kIntermediateCost : 0);
      }
      if (cost < best_cost) {
        best_cost = cost;
        best = passes;
      }
    }
  } while (std::next_permutation(order.begin(), order.end()));
  return best;
}

// The passes the force_passes test switch asks for (Note [cuda options]): one axis mask per octal digit of `code`,
// the first pass in the lowest digit, each restricted to the `axes` not yet covered; empty when `code` is 0.
inline std::vector<AxisMask> forced_passes(int64_t code, AxisMask axes) {
  std::vector<AxisMask> passes;
  AxisMask covered = 0;
  for (; code > 0; code >>= 3) {
    const AxisMask m = static_cast<AxisMask>(code & 7) & axes & ~covered;
    if (m != 0) {
      passes.push_back(m);
      covered |= m;
    }
  }
  return passes;
}

inline AxisMask covered_axes(const std::vector<AxisMask>& passes) {
  AxisMask m = 0;
  for (const AxisMask p : passes) {
    m |= p;
  }
  return m;
}

}  // namespace torchresample
