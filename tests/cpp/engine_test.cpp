// The CPU engine built alone, with the standard library only (no torch: Note [parallel seam]): a copy of the row
// engine (resample_rows, nearest_rows) and of the uint8 engine (uint8_rows) run on plans built from the
// filter table, against a direct float64 evaluation of the same plans; the backward (the engine on transposed plans)
// against the forward by the adjoint identity <A x, y> = <x, A^T y>. Built and run by tests/test_cpp_headers.py, once
// per instruction-set copy (TORCHRESAMPLE_ISA and its flags on the command line; the portable copy by default).
#ifndef TORCHRESAMPLE_ISA
#define TORCHRESAMPLE_ISA baseline
#endif
#if defined(TORCHRESAMPLE_ISA_AVX512) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's AVX-512 headers, as in row_engine_avx512.cpp
#endif
#include "cpu/row_engine.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace torchresample {

// The seam's serial form: one chunk, on the calling thread.
void parallel_range(int64_t begin, int64_t end, int64_t /*grain*/, RangeTrampoline call, const void* body) {
  if (begin < end) {
    call(body, begin, end);
  }
}

}  // namespace torchresample

using namespace torchresample;

namespace {

int failures = 0;
int cases = 0;

struct Case {
  Filter filter;
  bool antialias;
  int64_t batch, channels;
  std::array<int64_t, 3> in, out;
};

using Plans = std::array<AxisPlan<float>, 3>;

Plans forward_plans(const Case& c) {
  FilterParams params{};
  resolve_filter_params(c.filter, nullptr, 0, &params);
  Plans plans;
  for (int a = 0; a < 3; ++a) {
    plans[a] = build_plan<float>(
        make_axis_filter<float>(c.filter, params, c.antialias, false, c.in[a], c.out[a], /*scale_factor=*/0.0));
  }
  return plans;
}

ResampleGeometry geometry(const Case& c) {
  ResampleGeometry g;
  g.batch = c.batch;
  g.channels = c.channels;
  g.in = c.in;
  g.out = c.out;
  return g;
}

// out[b, od, oh, ow, ch] = sum of wd * wh * ww * in[b, id, ih, iw, ch] over the three windows, in float64.
std::vector<double> reference(const std::vector<double>& in, const ResampleGeometry& g, const Plans& p) {
  const int64_t C = g.channels;
  std::vector<double> out(g.batch * g.out[0] * g.out[1] * g.out[2] * C, 0.0);
  for (int64_t b = 0; b < g.batch; ++b) {
    for (int64_t od = 0; od < g.out[0]; ++od) {
      for (int64_t oh = 0; oh < g.out[1]; ++oh) {
        for (int64_t ow = 0; ow < g.out[2]; ++ow) {
          for (int64_t ch = 0; ch < C; ++ch) {
            double sum = 0.0;
            for (int64_t kd = 0; kd < p[0].count[od]; ++kd) {
              for (int64_t kh = 0; kh < p[1].count[oh]; ++kh) {
                for (int64_t kw = 0; kw < p[2].count[ow]; ++kw) {
                  const int64_t id = p[0].start[od] + kd, ih = p[1].start[oh] + kh, iw = p[2].start[ow] + kw;
                  const double w = double(p[0].weight[od * p[0].taps + kd]) * p[1].weight[oh * p[1].taps + kh] *
                                   p[2].weight[ow * p[2].taps + kw];
                  sum += w * in[(((b * g.in[0] + id) * g.in[1] + ih) * g.in[2] + iw) * C + ch];
                }
              }
            }
            out[(((b * g.out[0] + od) * g.out[1] + oh) * g.out[2] + ow) * C + ch] = sum;
          }
        }
      }
    }
  }
  return out;
}

void fail(const char* what, const Case& c, double detail) {
  std::printf("FAIL %s: %s aa=%d batch=%lld channels=%lld %lldx%lldx%lld -> %lldx%lldx%lld (%g)\n", what,
              filter_name(c.filter), c.antialias, static_cast<long long>(c.batch), static_cast<long long>(c.channels),
              static_cast<long long>(c.in[0]), static_cast<long long>(c.in[1]), static_cast<long long>(c.in[2]),
              static_cast<long long>(c.out[0]), static_cast<long long>(c.out[1]), static_cast<long long>(c.out[2]),
              detail);
  ++failures;
}

std::vector<float> random_values(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) {
    x = u(rng);
  }
  return v;
}

// The float engine forward against the reference, and its backward by the adjoint identity.
void check_float(const Case& c, std::mt19937& rng) {
  ++cases;
  const ResampleGeometry g = geometry(c);
  const Plans plans = forward_plans(c);
  const size_t n_in = g.batch * g.in[0] * g.in[1] * g.in[2] * g.channels;
  const size_t n_out = g.batch * g.out[0] * g.out[1] * g.out[2] * g.channels;
  const std::vector<float> x = random_values(n_in, rng);
  std::vector<float> y(n_out);
  if (filter_kind(c.filter) == FilterKind::kPoint) {
    TORCHRESAMPLE_ISA::nearest_rows<float, float>(x.data(), y.data(), g, plans);
  } else {
    TORCHRESAMPLE_ISA::resample_rows<float, float>(x.data(), y.data(), g, plans);
  }
  const std::vector<double> want = reference(std::vector<double>(x.begin(), x.end()), g, plans);
  double worst = 0.0;
  for (size_t i = 0; i < n_out; ++i) {
    worst = std::max(worst, std::fabs(y[i] - want[i]) / (1.0 + std::fabs(want[i])));
  }
  if (worst > 1e-5 || (filter_kind(c.filter) == FilterKind::kPoint && worst != 0.0)) {
    fail("forward", c, worst);
  }

  Plans adjoint;
  for (int a = 0; a < 3; ++a) {
    adjoint[a] = transpose_plan(plans[a]);
  }
  ResampleGeometry back = g;
  std::swap(back.in, back.out);
  const std::vector<float> gy = random_values(n_out, rng);
  std::vector<float> gx(n_in);
  TORCHRESAMPLE_ISA::resample_rows<float, float>(gy.data(), gx.data(), back, adjoint);
  double lhs = 0.0, rhs = 0.0, scale = 0.0;
  for (size_t i = 0; i < n_out; ++i) {
    lhs += double(y[i]) * gy[i];
    scale += std::fabs(double(y[i]) * gy[i]);
  }
  for (size_t i = 0; i < n_in; ++i) {
    rhs += double(x[i]) * gx[i];
  }
  if (std::fabs(lhs - rhs) > 1e-5 * (1.0 + scale)) {
    fail("backward (adjoint identity)", c, lhs - rhs);
  }
}

// The fixed-point engine (2-D, no clipped intermediate) within 1 of the rounded float64 result.
void check_uint8(const Case& c, std::mt19937& rng) {
  ++cases;
  const ResampleGeometry g = geometry(c);
  const Plans plans = forward_plans(c);
  const size_t n_in = g.batch * g.in[1] * g.in[2] * g.channels;
  const size_t n_out = g.batch * g.out[1] * g.out[2] * g.channels;
  std::uniform_int_distribution<int> u(0, 255);
  std::vector<uint8_t> x(n_in);
  for (uint8_t& v : x) {
    v = static_cast<uint8_t>(u(rng));
  }
  std::vector<uint8_t> y(n_out);
  if (!TORCHRESAMPLE_ISA::uint8_rows(x.data(), y.data(), g, plans, /*clip_intermediate=*/false, /*planar_out=*/false,
                                     /*planar_in=*/false)) {
    fail("uint8 declined", c, 0.0);
    return;
  }
  const std::vector<double> want = reference(std::vector<double>(x.begin(), x.end()), g, plans);
  double worst = 0.0;
  for (size_t i = 0; i < n_out; ++i) {
    worst = std::max(worst, std::fabs(y[i] - std::min(255.0, std::max(0.0, want[i]))));
  }
  if (worst > 1.0) {
    fail("uint8 forward", c, worst);
  }
}

}  // namespace

int main() {
  std::mt19937 rng(7);
  const Filter filters[] = {Filter::Nearest, Filter::NearestExact, Filter::Linear, Filter::Cubic,
                            Filter::Area,    Filter::Lanczos,      Filter::Box,    Filter::Gaussian};
  // Contiguous planes (channels 1), channels_last images (3, 4) and feature maps (16): the W pass's gathers and
  // periodic runs, the pixel path, the single-tap planes of a x0.5 backward, volumes.
  const Case shapes[] = {
      {Filter::Linear, false, 3, 1, {1, 8, 8}, {1, 16, 16}}, {Filter::Linear, false, 2, 1, {1, 16, 40}, {1, 8, 20}},
      {Filter::Linear, false, 1, 3, {1, 9, 13}, {1, 20, 7}}, {Filter::Linear, false, 2, 4, {1, 12, 12}, {1, 6, 6}},
      {Filter::Linear, false, 1, 16, {1, 7, 5}, {1, 3, 11}}, {Filter::Linear, false, 2, 1, {5, 6, 7}, {3, 9, 4}},
      {Filter::Linear, false, 1, 3, {4, 5, 6}, {8, 3, 12}},  {Filter::Linear, false, 1, 1, {1, 1, 300}, {1, 1, 77}},
      {Filter::Linear, false, 2, 1, {1, 40, 1}, {1, 13, 1}}, {Filter::Linear, false, 1, 1, {1, 33, 64}, {1, 33, 64}},
  };
  for (const Filter f : filters) {
    for (const bool antialias : {false, true}) {
      if (antialias && !takes_antialias(f)) {
        continue;
      }
      for (Case c : shapes) {
        c.filter = f;
        c.antialias = antialias;
        check_float(c, rng);
        const bool rounds_w_first = negative_lobes(f);  // Note [rounded w pass]: not the one-rounding contract
        if (c.in[0] == 1 && c.out[0] == 1 && !rounds_w_first && filter_kind(f) != FilterKind::kPoint) {
          check_uint8(c, rng);
        }
      }
    }
  }
  std::printf("%s (%d cases)\n", failures ? "FAILED" : "ok", cases);
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
