// Per-axis plans of scale_and_translate and crop_and_resize (Note [scale and translate]), with the derivatives of their
// weights in the scale and the translation. Built on the host for both devices; standard C++ only.
#pragma once

#include "filters.h"
#include "plan.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace torchresample {

// Note [scale and translate]
// jax.image.scale_and_translate's definition, axis by axis: output o samples the input at
//   c = (o + 0.5 - translation) / scale - 0.5        (pixel centres at integers)
// through the filter, widened by ks = max(1 / scale, 1) when antialias is asked for (a downscale low-pass filters,
// an upscale only interpolates). The taps are the input pixels within the widened radius of c; their weights
// k((i - c) / ks) are normalised to sum 1 over the pixels the input has (taps outside it are dropped); an output whose
// weights sum to at most 1000 float32 epsilons, or whose sample lies more than half a pixel outside the input (c
// outside [-0.5, in - 0.5]), is 0. Every filter of the table goes through its weight function (nearest, nearest-exact,
// area and box are the box: nearest upsampling, area averaging when antialiased). Weights and their derivatives are
// computed in double and stored in T.
//
// Derivatives, with u_i = k(x_i), x_i = (i - c) / ks, U = sum u_i, w_i = u_i / U:
//   dw_i/dv = (du_i/dv - w_i sum_j du_j/dv) / U for v = c, ks;  du_i/dc = -k'(x_i) / ks;  du_i/dks = -k'(x_i) x_i / ks
//   dc/dt = -1 / scale;  dc/ds = -(c + 0.5) / scale;  dks/ds = -1 / scale^2 where ks = 1 / scale (antialiased
//   downscale), else 0.
// A plan's windows move monotonically with o (scale > 0), so its transpose is again a plan (Note [axis plan]).
//
// A region (the ops' `regions`) makes a part of the input the whole input of one sample: the definition applies to
// the region, whose outside is out of the input (taps there are dropped). That is a crop followed by a resample, as
// torchvision's RandomResizedCrop does it, in one pass.

// One axis of one sample: the plan and, when asked for, the derivatives of its weights (same windows).
template <typename T>
struct SampledAxis {
  AxisPlan<T> plan;
  AxisPlan<T> d_scale;
  AxisPlan<T> d_translation;
};

// The sum below which an output's weights are dropped (jax's threshold).
constexpr double kSampledMinWeightSum = 1000.0 * 1.1920928955078125e-07;

template <typename T>
SampledAxis<T> sampled_axis(Filter filter, const FilterParams& params, bool antialias, int64_t in, int64_t out,
                            double scale, double translation, bool derivatives) {
  const double inv_scale = 1.0 / scale;
  const double ks = antialias ? std::max(inv_scale, 1.0) : 1.0;
  const double radius = with_filter(filter, [&](auto F) { return decltype(F)::radius(params.data()); });
  const double support = radius * ks;
  const bool widened = antialias && scale < 1.0;
  double p[kMaxFilterParams];
  std::copy(params.begin(), params.end(), p);

  SampledAxis<T> a;
  AxisPlan<T>& plan = a.plan;
  plan.in_size = in;
  plan.out_size = out;
  plan.taps = std::max<int64_t>(1, std::min<int64_t>(in, 2 * static_cast<int64_t>(std::ceil(support)) + 1));
  plan.start.assign(out, 0);
  plan.count.assign(out, 0);
  plan.weight.assign(out * plan.taps, T(0));
  if (derivatives) {
    a.d_scale = plan;
    a.d_translation = plan;
  }
  std::vector<double> u(plan.taps), du_dc(plan.taps), du_dks(plan.taps);
  for (int64_t o = 0; o < out; ++o) {
    // jax's arithmetic, to the rounding: where a box filter's tap sits on its window's edge, the rounding decides.
    const double c = (static_cast<double>(o) + 0.5) * inv_scale - translation * inv_scale - 0.5;
    if (!(c >= -0.5 && c <= static_cast<double>(in) - 0.5)) {
      continue;  // no taps: the output is 0
    }
    const int64_t lo = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(c - support)));
    const int64_t hi = std::min<int64_t>(in - 1, static_cast<int64_t>(std::floor(c + support)));
    const int64_t n = std::min<int64_t>(hi - lo + 1, plan.taps);
    double total = 0.0, total_dc = 0.0, total_dks = 0.0;
    with_filter(filter, [&](auto F) {
      using Row = decltype(F);
      for (int64_t k = 0; k < n; ++k) {
        const double x = (static_cast<double>(lo + k) - c) / ks;
        u[k] = Row::template weight<double>(x, p);
        const double slope = derivatives ? Row::template slope<double>(x, p) : 0.0;
        du_dc[k] = -slope / ks;
        du_dks[k] = -slope * x / ks;
        total += u[k];
        total_dc += du_dc[k];
        total_dks += du_dks[k];
      }
    });
    if (!(std::fabs(total) > kSampledMinWeightSum)) {
      continue;
    }
    plan.start[o] = lo;
    plan.count[o] = n;
    for (int64_t k = 0; k < n; ++k) {
      const double w = u[k] / total;
      plan.weight[o * plan.taps + k] = static_cast<T>(w);
      if (derivatives) {
        const double dw_dc = (du_dc[k] - w * total_dc) / total;
        const double dw_dks = (du_dks[k] - w * total_dks) / total;
        const double dw_dt = -dw_dc / scale;
        const double dw_ds = -dw_dc * (c + 0.5) / scale - (widened ? dw_dks / (scale * scale) : 0.0);
        a.d_scale.weight[o * plan.taps + k] = static_cast<T>(dw_ds);
        a.d_translation.weight[o * plan.taps + k] = static_cast<T>(dw_dt);
      }
    }
    if (derivatives) {
      a.d_scale.start[o] = a.d_translation.start[o] = lo;
      a.d_scale.count[o] = a.d_translation.count[o] = n;
    }
  }
  return a;
}

// A plan built for a region [first, first + region) of an input of `in` pixels, moved to read the input itself.
template <typename T>
void place_in_input(SampledAxis<T>& a, int64_t first, int64_t in) {
  for (AxisPlan<T>* p : {&a.plan, &a.d_scale, &a.d_translation}) {
    p->in_size = in;
    for (int64_t o = 0; o < p->out_size; ++o) {
      p->start[o] += p->count[o] > 0 ? first : 0;
    }
  }
}

// The outputs of a plan that have taps, [first, end) (empty when none has): the part of an input gradient that one
// sample reaches through its transposed plan.
template <typename T>
std::pair<int64_t, int64_t> reached_outputs(const AxisPlan<T>& p) {
  int64_t first = 0;
  while (first < p.out_size && p.count[first] == 0) {
    ++first;
  }
  int64_t end = p.out_size;
  while (end > first && p.count[end - 1] == 0) {
    --end;
  }
  return {first, end};
}

// The outputs [first, end) of a plan, as a plan of their own.
template <typename T>
AxisPlan<T> output_range(const AxisPlan<T>& p, int64_t first, int64_t end) {
  AxisPlan<T> r;
  r.in_size = p.in_size;
  r.out_size = end - first;
  r.taps = p.taps;
  r.start.assign(p.start.begin() + first, p.start.begin() + end);
  r.count.assign(p.count.begin() + first, p.count.begin() + end);
  r.weight.assign(p.weight.begin() + first * p.taps, p.weight.begin() + end * p.taps);
  return r;
}

}  // namespace torchresample
