// Index and weight formulas of every resampling filter: the one place (CPU and CUDA) that decides parity.
#pragma once

#include <c10/macros/Macros.h>

#include <cmath>
#include <cstdint>

namespace torchresample {

// The filters of the `resample` op. Plain cubic uses Keys a = -0.75 (torch); antialiased cubic a = -0.5
// (torch, Pillow). Lanczos is Lanczos-3.
enum class Filter : int8_t { Nearest, NearestExact, Linear, Cubic, Area, Lanczos };

// Note [axis scale]
// Input pixels per output pixel, as torch's area_pixel_compute_scale: (in-1)/(out-1) with align_corners
// (0 when out == 1); otherwise 1/scale_factor when the caller passed a positive scale (computed in double,
// then rounded to T), else in/out.
template <typename T>
C10_HOST_DEVICE inline T axis_scale(int64_t in, int64_t out, bool align_corners, double scale_arg) {
  if (align_corners) {
    return out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  }
  return scale_arg > 0 ? static_cast<T>(1.0 / scale_arg) : static_cast<T>(in) / static_cast<T>(out);
}

// Note [source index]
// Continuous input coordinate of output o (pixel centres at integers): scale*o with align_corners, else
// scale*(o+0.5)-0.5, clamped at 0 for linear but not for cubic (torch's area_pixel_compute_source_index).
template <typename T>
C10_HOST_DEVICE inline T source_index(T scale, int64_t o, bool align_corners, bool clamp_negative) {
  if (align_corners) {
    return scale * static_cast<T>(o);
  }
  const T src = scale * (static_cast<T>(o) + T(0.5)) - T(0.5);
  return (clamp_negative && src < T(0)) ? T(0) : src;
}

// Note [nearest index]
// torch computes the nearest source index differently in different kernels (read off torch 2.14 and checked
// by tests/test_nearest_scan.py, every (in, out) pair up to 128 and random scale factors):
// - kIndexed, torch's CPU nearest_idx / nearest_exact_idx (UpSample.h): its channels-last kernels of 2-D and 3-D
//   input with 4 or more channels, its 2-D kernel for outputs of at most 128 rows plus columns (torch's
//   _use_vectorized_kernel_cond_2d), and every CPU backward. A float32 scale whatever the dtype; nearest takes
//   floorf(o * s) with exact shortcuts for out == in and out == 2*in (even when a scale factor was given);
//   nearest-exact takes floorf((o + 0.5) * s) with the product in double, rounded to float before the floor.
// - kSeparable, torch's separable CPU kernel (HelperInterpNearest[Exact]): every other forward (1-D, larger 2-D,
//   contiguous or narrow 3-D). The scale and products in the opmath type (double for float64 tensors, else float); nearest takes
//   floorf(s * o), nearest-exact floorf(max(s * (o + 0.5) - 0.5, 0) + 0.5), where the multiply-add is fused
//   when torch's kernel was compiled with FMA (`fused`: its AVX2 and AVX-512 builds on x86 and its aarch64
//   builds, not its DEFAULT x86 one).
// - kCuda, torch's CUDA kernels (UpSample.cuh): a float32 scale, floorf(o * s) and floorf((o + 0.5f) * s) in
//   float, no shortcuts. The CUDA backward is the transpose of this forward; torch's CUDA backward inverts the
//   map with its own formula, which has not been compared on a GPU.
// The index is clamped to in - 1. The glue picks the rule (nearest_rule in resample_glue.cpp).
enum class NearestKernel : int8_t { kIndexed, kSeparable, kCuda };

struct NearestRule {
  NearestKernel kernel = NearestKernel::kIndexed;
  bool fused = false;  // kSeparable: the nearest-exact multiply-add is one fused operation
};

// `T` is the opmath type of kSeparable. Plans are built on the host, where the unfused path must not be
// contracted into a fused multiply-add by our own compiler: the baseline x86-64 flags of the glue have no FMA.
template <typename T>
C10_HOST_DEVICE inline int64_t nearest_source(bool exact, int64_t o, int64_t in, int64_t out, double scale_arg, NearestRule rule) {
  int64_t i = 0;
  switch (rule.kernel) {
    case NearestKernel::kIndexed: {
      if (!exact && out == in) {
        return o;
      }
      if (!exact && out == 2 * in) {
        return o >> 1;
      }
      const float s = axis_scale<float>(in, out, false, scale_arg);
      i = static_cast<int64_t>(exact ? floorf(static_cast<float>((static_cast<double>(o) + 0.5) * s))
                                     : floorf(static_cast<float>(o) * s));
      break;
    }
    case NearestKernel::kSeparable: {
      const T s = axis_scale<T>(in, out, false, scale_arg);
      if (!exact) {
        i = static_cast<int64_t>(floorf(static_cast<float>(s * static_cast<T>(o))));
        break;
      }
      const T centre = static_cast<T>(o) + T(0.5);
      T real = rule.fused ? std::fma(s, centre, T(-0.5)) : s * centre - T(0.5);
      real = real < T(0) ? T(0) : real;
      i = static_cast<int64_t>(floorf(static_cast<float>(static_cast<double>(real) + 0.5)));
      break;
    }
    case NearestKernel::kCuda: {
      const float s = axis_scale<float>(in, out, false, scale_arg);
      i = static_cast<int64_t>(floorf((static_cast<float>(o) + (exact ? 0.5f : 0.0f)) * s));
      break;
    }
  }
  return i < in - 1 ? i : in - 1;
}

// Keys cubic convolution kernel: the |x| <= 1 and 1 < |x| < 2 pieces.
template <typename T>
C10_HOST_DEVICE inline T cubic_near(T x, T a) {
  return ((a + T(2)) * x - (a + T(3))) * x * x + T(1);
}

template <typename T>
C10_HOST_DEVICE inline T cubic_far(T x, T a) {
  return ((a * x - T(5) * a) * x + T(8) * a) * x - T(4) * a;
}

// Filters of the windowed (antialias / Lanczos) path, as functions of distance in filter units.
template <typename T>
C10_HOST_DEVICE inline T window_filter(Filter f, T x) {
  x = x < T(0) ? -x : x;
  switch (f) {
    case Filter::Linear:
      return x < T(1) ? T(1) - x : T(0);
    case Filter::Cubic:
      return x < T(1) ? cubic_near<T>(x, T(-0.5)) : (x < T(2) ? cubic_far<T>(x, T(-0.5)) : T(0));
    case Filter::Lanczos: {
      if (x >= T(3)) {
        return T(0);
      }
      if (x == T(0)) {
        return T(1);
      }
      const T pi = T(3.14159265358979323846);
      const T px = pi * x;
      return (T(3) * std::sin(px) * std::sin(px / T(3))) / (px * px);
    }
    default:
      return T(0);
  }
}

// Half-width of the windowed filters, in filter units.
C10_HOST_DEVICE inline int window_radius(Filter f) {
  return f == Filter::Linear ? 1 : (f == Filter::Cubic ? 2 : 3);
}

// Everything one axis needs to produce the taps of any output index.
template <typename T>
struct AxisFilter {
  Filter filter;
  bool windowed;  // antialias, or Lanczos: normalised taps from window_filter
  bool antialias;
  bool align_corners;
  int64_t in;
  int64_t out;
  double scale_arg;  // the caller's scale factor, <= 0 when none
  NearestRule nearest;  // Note [nearest index]
  T scale;
  T support;   // window half-width in input pixels (windowed)
  T invscale;  // filter units per input pixel (windowed)
  int64_t max_taps;
};

template <typename T>
C10_HOST_DEVICE inline AxisFilter<T> make_axis_filter(
    Filter filter, bool antialias, bool align_corners, int64_t in, int64_t out, double scale_arg,
    NearestRule nearest = {}) {
  AxisFilter<T> f;
  f.nearest = nearest;
  f.filter = filter;
  f.antialias = antialias;
  f.windowed = antialias || filter == Filter::Lanczos;
  f.align_corners = align_corners;
  f.in = in;
  f.out = out;
  f.scale_arg = scale_arg;
  f.scale = axis_scale<T>(in, out, align_corners, scale_arg);
  f.support = T(0);
  f.invscale = T(1);
  if (f.windowed) {
    // Note [antialias window]: the support widens with the downscale factor (torch, Pillow).
    const bool widen = antialias && f.scale >= T(1);
    f.support = static_cast<T>(window_radius(filter)) * (widen ? f.scale : T(1));
    f.invscale = widen ? T(1) / f.scale : T(1);
    f.max_taps = static_cast<int64_t>(std::ceil(static_cast<double>(f.support))) * 2 + 1;
  } else if (filter == Filter::Linear) {
    f.max_taps = 2;
  } else if (filter == Filter::Cubic) {
    f.max_taps = 4;
  } else if (filter == Filter::Area) {
    f.max_taps = (in + out - 1) / out + 1;
  } else {
    f.max_taps = 1;
  }
  return f;
}

// The taps of output o: returns the first input index, writes the tap count and weights w[0..count).
// Taps are distinct ascending in-range indices: clamped taps are folded onto the edge (linear, cubic), taps
// outside the input are dropped and the rest renormalised (windowed filters).
template <typename T>
C10_HOST_DEVICE inline int64_t axis_taps(const AxisFilter<T>& f, int64_t o, T* w, int64_t& count) {
  const int64_t in = f.in;
  if (f.antialias && f.out == in) {
    // torch's separable antialias kernels leave an axis whose extent does not change untouched, even when a
    // scale factor was given (as linear does: Note [linear taps]).
    count = 1;
    w[0] = T(1);
    return o;
  }
  if (f.windowed) {
    // Note [antialias window]: centre in continuous coordinates (pixel i covers [i, i+1)). Antialias follows
    // torch exactly (align_corners only changes the scale); plain Lanczos uses the source index of Note
    // [source index], so it honours align_corners like the other interpolators.
    const T center = f.antialias ? f.scale * (static_cast<T>(o) + T(0.5))
                                 : source_index<T>(f.scale, o, f.align_corners, false) + T(0.5);
    int64_t xmin = static_cast<int64_t>(center - f.support + T(0.5));
    xmin = xmin > 0 ? xmin : 0;
    int64_t xmax = static_cast<int64_t>(center + f.support + T(0.5));
    xmax = xmax < in ? xmax : in;
    int64_t n = xmax - xmin;
    n = n < f.max_taps ? n : f.max_taps;  // rounding can add one tap beyond the bound (torch clamps too)
    n = n > 1 ? n : 1;
    T total = T(0);
    for (int64_t j = 0; j < n; ++j) {
      const T wj = window_filter<T>(f.filter, (static_cast<T>(j + xmin) - center + T(0.5)) * f.invscale);
      w[j] = wj;
      total += wj;
    }
    if (total != T(0)) {
      for (int64_t j = 0; j < n; ++j) {
        w[j] /= total;
      }
    }
    count = n;
    return xmin < in - 1 ? xmin : in - 1;
  }
  switch (f.filter) {
    case Filter::Nearest:
    case Filter::NearestExact: {
      count = 1;
      w[0] = T(1);
      return nearest_source<T>(f.filter == Filter::NearestExact, o, in, f.out, f.scale_arg, f.nearest);
    }
    case Filter::Linear: {
      // Note [linear taps]: an axis with out == in copies, even when a scale was given (torch).
      if (f.out == in) {
        count = 1;
        w[0] = T(1);
        return o;
      }
      const T real = source_index<T>(f.scale, o, f.align_corners, true);
      int64_t i0 = static_cast<int64_t>(std::floor(real));
      i0 = i0 < in - 1 ? i0 : in - 1;
      T lambda = real - static_cast<T>(i0);
      lambda = lambda < T(0) ? T(0) : (lambda > T(1) ? T(1) : lambda);
      if (i0 < in - 1) {
        count = 2;
        w[0] = T(1) - lambda;
        w[1] = lambda;
      } else {
        count = 1;
        w[0] = (T(1) - lambda) + lambda;
      }
      return i0;
    }
    case Filter::Cubic: {
      // Note [cubic taps]: taps i0-1 .. i0+2, Keys a = -0.75, indices clamped to the edge, not renormalised.
      const T real = source_index<T>(f.scale, o, f.align_corners, false);
      const T fl = std::floor(real);
      const int64_t i0 = static_cast<int64_t>(fl);
      const T t = real - fl;
      const T a = T(-0.75);
      const T c[4] = {cubic_far<T>(t + T(1), a), cubic_near<T>(t, a), cubic_near<T>(T(1) - t, a),
                      cubic_far<T>(T(2) - t, a)};
      auto clampi = [in](int64_t i) { return i < 0 ? int64_t(0) : (i > in - 1 ? in - 1 : i); };
      const int64_t first = clampi(i0 - 1);
      count = clampi(i0 + 2) - first + 1;
      for (int64_t k = 0; k < count; ++k) {
        w[k] = T(0);
      }
      for (int64_t k = 0; k < 4; ++k) {
        w[clampi(i0 - 1 + k) - first] += c[k];
      }
      return first;
    }
    case Filter::Area: {
      // Note [area window]: adaptive average pooling, [floor(o*in/out), ceil((o+1)*in/out)), in integers.
      const int64_t out = f.out;
      const int64_t first = (o * in) / out;
      const int64_t last = ((o + 1) * in + out - 1) / out;
      count = last - first;
      const T inv = T(1) / static_cast<T>(count);
      for (int64_t k = 0; k < count; ++k) {
        w[k] = inv;
      }
      return first;
    }
    default:
      count = 0;
      return 0;
  }
}

}  // namespace torchresample
