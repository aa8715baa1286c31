// The headers of common/ (and the CUDA pass planner) built alone, with the standard library only (no torch): every
// filter of the table gives plans whose windows are ascending and in range, whose weights sum to 1 (windowed filters)
// and whose transpose of the transpose is the plan; the CUDA pass planner fuses fixed-tap axes and splits wide windows,
// shrinking axes first. Built and run by tests/test_cpp_headers.py.
#include "common/geometry.h"
#include "common/max_unpool.h"
#include "common/pixel_shuffle.h"
#include "common/plan.h"
#include "common/sampled_plan.h"
#include "common/store.h"
#include "cuda/pass_planner.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace torchresample;

namespace {

int failures = 0;

void check(bool ok, const char* what, Filter f, int64_t in, int64_t out, bool antialias) {
  if (!ok) {
    std::printf("FAIL %s: %s %lld -> %lld antialias=%d\n", what, filter_name(f), static_cast<long long>(in),
                static_cast<long long>(out), antialias);
    ++failures;
  }
}

template <typename T>
void check_plans(Filter f, int64_t in, int64_t out, bool antialias) {
  FilterParams params{};
  if (resolve_filter_params(f, nullptr, 0, &params) != nullptr) {
    check(false, "defaults resolve", f, in, out, antialias);
    return;
  }
  const AxisPlan<T> p = build_plan<T>(make_axis_filter<T>(f, params, antialias, false, in, out, 0.0));
  bool in_range = true, normalised = true;
  for (int64_t o = 0; o < out; ++o) {
    in_range = in_range && p.start[o] >= 0 && p.count[o] >= 1 && p.start[o] + p.count[o] <= in;
    T total = T(0);
    for (int64_t k = 0; k < p.count[o]; ++k) {
      total += p.weight[o * p.taps + k];
    }
    normalised = normalised && std::fabs(static_cast<double>(total) - 1.0) < 1e-5;
  }
  check(in_range, "windows in range", f, in, out, antialias);
  if (filter_kind(f) != FilterKind::kPoint && filter_kind(f) != FilterKind::kArea) {
    check(normalised, "weights sum to 1", f, in, out, antialias);
  }
  const AxisPlan<T> back = transpose_plan(transpose_plan(p));
  bool same = back.out_size == p.out_size;
  for (int64_t o = 0; same && o < out; ++o) {
    for (int64_t k = 0; k < p.count[o]; ++k) {
      const int64_t i = p.start[o] + k - back.start[o];
      same = same && i >= 0 && i < back.count[o] && back.weight[o * back.taps + i] == p.weight[o * p.taps + k];
    }
  }
  check(same, "transpose of the transpose", f, in, out, antialias);
}

void check_passes(const char* what, const std::vector<AxisMask>& got, const std::vector<AxisMask>& want) {
  if (got != want) {
    std::printf("FAIL pass planner: %s\n", what);
    ++failures;
  }
}

// Note [pass planning] on shapes whose answer is clear either way.
void check_pass_planner() {
  constexpr AxisMask kD = 1, kH = 2;
  // Bilinear x2 of a 64-channel 32x32 map: 2 taps a side, one launch.
  check_passes("two-tap axes fuse", plan_passes({1, 32, 32}, {1, 64, 64}, {1, 2, 2}, kH | kAxisW, 64), {kH | kAxisW});
  // An antialiased cubic 8x reduction of D and H (33 taps) with W doubled: one pass an axis, the shrinking axes
  // first.
  check_passes("wide windows split, shrinking first",
               plan_passes({512, 512, 64}, {64, 64, 128}, {33, 33, 2}, kD | kH | kAxisW, 4), {kD, kH, kAxisW});
  check_passes("growing axis last", plan_passes({64, 512, 512}, {128, 64, 64}, {2, 33, 33}, kD | kH | kAxisW, 4),
               {kH, kAxisW, kD});
  check_passes("no axes", plan_passes({4, 4, 4}, {4, 4, 4}, {1, 1, 1}, 0, 1), {0});
  // force_passes: digits from the lowest, restricted to the axes not yet covered.
  check_passes("forced", forced_passes(04 | 03 << 3, kD | kH | kAxisW), {kAxisW, kD | kH});
  check_passes("forced, other axes dropped", forced_passes(07, kH), {kH});
  check_passes("not forced", forced_passes(0, kH), {});
  if (covered_axes(forced_passes(01, kD | kH)) != kD) {
    std::printf("FAIL covered_axes\n");
    ++failures;
  }
}

// Note [scale and translate]: the derivative plans of sampled_axis against central differences of its weights, for the
// filters continuous at their radius (the box and the cut Gaussian jump there), antialiased downscales and upscales.
void check_sampled_derivatives() {
  const Filter filters[] = {Filter::Linear, Filter::Cubic, Filter::Lanczos, Filter::Mitchell, Filter::CatmullRom};
  const double cases[][4] = {{17, 6, 0.37, 1.3}, {9, 23, 2.6, -3.7}, {30, 30, 1.05, 0.4}, {12, 5, 0.41, 2.2}};
  for (const Filter f : filters) {
    FilterParams params{};
    resolve_filter_params(f, nullptr, 0, &params);
    for (const auto& c : cases) {
      const auto in = static_cast<int64_t>(c[0]), out = static_cast<int64_t>(c[1]);
      const double s = c[2], tr = c[3], h = 1e-6;
      for (const bool antialias : {false, true}) {
        const SampledAxis<double> a = sampled_axis<double>(f, params, antialias, in, out, s, tr, true);
        const auto at = [&](double scale, double translation, int64_t o, int64_t i) {
          const AxisPlan<double> p =
              sampled_axis<double>(f, params, antialias, in, out, scale, translation, false).plan;
          const int64_t k = i - p.start[o];
          return k >= 0 && k < p.count[o] ? p.weight[o * p.taps + k] : 0.0;
        };
        double worst = 0.0;
        for (int64_t o = 0; o < out; ++o) {
          for (int64_t k = 0; k < a.plan.count[o]; ++k) {
            const int64_t i = a.plan.start[o] + k;
            const double ds = (at(s + h, tr, o, i) - at(s - h, tr, o, i)) / (2 * h);
            const double dt = (at(s, tr + h, o, i) - at(s, tr - h, o, i)) / (2 * h);
            worst = std::max(worst, std::fabs(ds - a.d_scale.weight[o * a.plan.taps + k]));
            worst = std::max(worst, std::fabs(dt - a.d_translation.weight[o * a.plan.taps + k]));
          }
        }
        if (worst > 1e-6) {
          std::printf("FAIL sampled derivatives: %s %lld -> %lld scale %g translation %g antialias %d (%g)\n",
                      filter_name(f), static_cast<long long>(in), static_cast<long long>(out), s, tr, antialias, worst);
          ++failures;
        }
      }
    }
  }
}

}  // namespace

int main() {
  const int64_t sizes[][2] = {{1, 5}, {5, 1}, {7, 7}, {13, 29}, {29, 13}, {300, 7}, {4, 1000}};
  for (int i = 0; i < kFilterCount; ++i) {
    const Filter f = static_cast<Filter>(i);
    for (const auto& s : sizes) {
      for (const bool antialias : {false, true}) {
        if (antialias && !takes_antialias(f)) {
          continue;
        }
        check_plans<float>(f, s[0], s[1], antialias);
        check_plans<double>(f, s[0], s[1], antialias);
      }
    }
  }
  InlineVector<int64_t, 4> v(3, 7);
  v.resize(100);  // past the inline capacity: the values move to the heap, the new ones are zero
  InlineVector<int64_t, 4> moved(std::move(v));
  if (moved.size() != 100 || moved[2] != 7 || moved[99] != 0 || v.size() != 0) {
    std::printf("FAIL InlineVector\n");
    ++failures;
  }
  check_pass_planner();
  check_sampled_derivatives();
  std::printf("%s (%d filters)\n", failures ? "FAILED" : "ok", kFilterCount);
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
