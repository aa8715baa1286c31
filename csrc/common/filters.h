// Index and weight formulas of every resampling filter: the one place that decides parity. Plans are built on the
// host for both devices, so this header needs nothing but the standard library (tests/cpp builds it alone).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace torchresample {

// Note [filter table]
// A filter is one struct below (its name, kind, parameters with their defaults, radius and weight function) and
// one case of `with_filter`, whose switch has no default: the build uses -Werror=switch, so a filter added to the
// enum and not to the switch does not compile. Everything else (the op's filter names, interpolate's modes, the
// Python API's parameter names, argument checks, uint8 routing) reads the structs through `with_filter`.
enum class Filter : int8_t { Nearest, NearestExact, Linear, Cubic, Area, Lanczos, Box, Gaussian, Mitchell, CatmullRom };
constexpr int kFilterCount = static_cast<int>(Filter::CatmullRom) + 1;  // keep the last enumerator here

// How a filter makes its taps:
// - kPoint: one tap, the nearest source index (Note [nearest index]); no antialias.
// - kArea: adaptive average pooling (Note [area window]); no antialias.
// - kTorch: torch's interpolating taps (linear, Keys cubic a = -0.75, clamped at the edges); with antialias the
//   normalised window of the struct's weight function, as torch's and Pillow's antialias kernels.
// - kWindowed: always the normalised window of the weight function (Note [antialias window]), widened on a
//   downscale when antialias is asked for.
enum class FilterKind : int8_t { kPoint, kArea, kTorch, kWindowed };

// The kind's name in Python and TorchScript (torchresample.FILTERS, the filter_kind op).
constexpr const char* kind_name(FilterKind kind) {
  switch (kind) {
    case FilterKind::kPoint:
      return "point";
    case FilterKind::kArea:
      return "area";
    case FilterKind::kTorch:
      return "torch";
    case FilterKind::kWindowed:
      return "windowed";
  }
  return "";
}

constexpr int kMaxFilterParams = 2;

struct FilterParam {
  const char* name;
  double default_value;
};

// A filter's parameters, resolved: the caller's values or the filter's defaults (unused slots are 0).
using FilterParams = std::array<double, kMaxFilterParams>;

// Note [axis scale]
// Two numbers go by "scale" in torch: the caller's scale factor (output pixels per input pixel; here scale_factor,
// 0 when the caller gave none) and the kernels' scale, input pixels per output pixel (here in_per_out), which is
// torch's area_pixel_compute_scale: (in-1)/(out-1) with align_corners (0 when out == 1); otherwise 1/scale_factor
// when the caller gave one (computed in double, then rounded to T), else in/out.
template <typename T>
inline T in_per_out(int64_t in, int64_t out, bool align_corners, double scale_factor) {
  if (align_corners) {
    return out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  }
  return scale_factor > 0 ? static_cast<T>(1.0 / scale_factor) : static_cast<T>(in) / static_cast<T>(out);
}

// Note [source index]
// Continuous input coordinate of output o (pixel centres at integers): in_per_out*o with align_corners, else
// in_per_out*(o+0.5)-0.5, clamped at 0 for linear but not for cubic (torch's area_pixel_compute_source_index).
template <typename T>
inline T source_index(T in_per_out, int64_t o, bool align_corners, bool clamp_negative) {
  if (align_corners) {
    return in_per_out * static_cast<T>(o);
  }
  const T src = in_per_out * (static_cast<T>(o) + T(0.5)) - T(0.5);
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
//   contiguous or narrow 3-D). The scale and products in the opmath type (double for float64 tensors, else float);
//   nearest takes floorf(s * o), nearest-exact floorf(max(s * (o + 0.5) - 0.5, 0) + 0.5), where the multiply-add is
//   fused when torch's kernel was compiled with FMA (`fused`: its AVX2 and AVX-512 builds on x86 and its aarch64
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
inline int64_t nearest_source(bool exact, int64_t o, int64_t in, int64_t out, double scale_factor, NearestRule rule) {
  int64_t i = 0;
  switch (rule.kernel) {
    case NearestKernel::kIndexed: {
      if (!exact && out == in) {
        return o;
      }
      if (!exact && out == 2 * in) {
        return o >> 1;
      }
      const float s = in_per_out<float>(in, out, false, scale_factor);
      i = static_cast<int64_t>(exact ? floorf(static_cast<float>((static_cast<double>(o) + 0.5) * s))
                                     : floorf(static_cast<float>(o) * s));
      break;
    }
    case NearestKernel::kSeparable: {
      const T s = in_per_out<T>(in, out, false, scale_factor);
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
      const float s = in_per_out<float>(in, out, false, scale_factor);
      i = static_cast<int64_t>(floorf((static_cast<float>(o) + (exact ? 0.5f : 0.0f)) * s));
      break;
    }
  }
  return i < in - 1 ? i : in - 1;
}

// Everything one axis needs to produce the taps of any output index.
template <typename T>
struct AxisFilter {
  Filter filter;
  bool windowed;  // antialias, or a kWindowed filter: normalised taps from the filter's weight function
  bool antialias;
  bool align_corners;
  int64_t in;
  int64_t out;
  double scale_factor;  // the caller's scale factor (Note [axis scale]), 0 when none
  NearestRule nearest;  // Note [nearest index]
  T params[kMaxFilterParams];
  T in_per_out;       // input pixels per output pixel (Note [axis scale])
  T support;          // window half-width in input pixels (windowed)
  T to_filter_units;  // filter units per input pixel (windowed): 1, or 1 / in_per_out on an antialiased downscale
  int64_t max_taps;
};

// The weight functions take the signed distance x in filter units (input pixels, or output pixels on an antialiased
// downscale) and the parameters in the accumulation type T; radii are in filter units. `slope` is the weight's
// derivative in x (0 where the weight is flat or jumps: the box), for the gradients of scale_and_translate with respect
// to its scale and translation (Note [scale and translate]). Filters of the kPoint, kArea
// and kTorch kinds also make their own taps (`taps`): the first input index, the count and the weights w[0..count),
// distinct ascending in-range indices, clamped taps folded onto the edge.

template <typename T>
inline T box_weight(T x) {
  return (x > T(-0.5) && x <= T(0.5)) ? T(1) : T(0);  // half-open, as Pillow's: one pixel per centre
}

// Keys cubic convolution kernel: the |x| <= 1 and 1 < |x| < 2 pieces.
template <typename T>
inline T cubic_near(T x, T a) {
  return ((a + T(2)) * x - (a + T(3))) * x * x + T(1);
}

template <typename T>
inline T cubic_far(T x, T a) {
  return ((a * x - T(5) * a) * x + T(8) * a) * x - T(4) * a;
}

// The derivatives in |x| of the two pieces of Keys' kernel.
template <typename T>
inline T cubic_near_slope(T x, T a) {
  return (T(3) * (a + T(2)) * x - T(2) * (a + T(3))) * x;
}

template <typename T>
inline T cubic_far_slope(T x, T a) {
  return (T(3) * a * x - T(10) * a) * x + T(8) * a;
}

template <typename T>
inline T sign_of(T x) {
  return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
}

// Mitchell and Netravali's two-parameter cubic (B = 0, C = -a is Keys' a).
template <typename T>
inline T bc_cubic_weight(T x, T b, T c) {
  x = std::fabs(x);
  if (x < T(1)) {
    return ((T(12) - T(9) * b - T(6) * c) * x * x * x + (T(-18) + T(12) * b + T(6) * c) * x * x + (T(6) - T(2) * b)) /
           T(6);
  }
  if (x < T(2)) {
    return ((-b - T(6) * c) * x * x * x + (T(6) * b + T(30) * c) * x * x + (T(-12) * b - T(48) * c) * x +
            (T(8) * b + T(24) * c)) /
           T(6);
  }
  return T(0);
}

template <typename T>
inline T bc_cubic_slope(T x, T b, T c) {
  const T s = sign_of(x);
  x = std::fabs(x);
  if (x < T(1)) {
    return s * (T(3) * (T(12) - T(9) * b - T(6) * c) * x * x + T(2) * (T(-18) + T(12) * b + T(6) * c) * x) / T(6);
  }
  if (x < T(2)) {
    return s * (T(3) * (-b - T(6) * c) * x * x + T(2) * (T(6) * b + T(30) * c) * x + (T(-12) * b - T(48) * c)) / T(6);
  }
  return T(0);
}

// The rows of the table. `invalid` returns why parameters are refused, or nullptr. `negative_lobes`: a uint8 resize
// of two axes rounds and clips its intermediate, as torch and Pillow do (rounded_w_pass in resample_glue.h).

struct NearestFilter {
  static constexpr const char* name = "nearest";
  static constexpr FilterKind kind = FilterKind::kPoint;
  static constexpr bool negative_lobes = false;
  static constexpr std::array<FilterParam, 0> params{};
  static const char* invalid(const double*) { return nullptr; }
  static double radius(const double*) { return 0.5; }
  template <typename T>
  static T weight(T x, const T*) {
    return box_weight(x);
  }
  template <typename T>
  static T slope(T, const T*) {
    return T(0);
  }
  template <typename T>
  static int64_t taps(const AxisFilter<T>& f, int64_t o, T* w, int64_t& count) {
    count = 1;
    w[0] = T(1);
    return nearest_source<T>(f.filter == Filter::NearestExact, o, f.in, f.out, f.scale_factor, f.nearest);
  }
};

struct NearestExactFilter : NearestFilter {
  static constexpr const char* name = "nearest-exact";
};

struct LinearFilter {
  static constexpr const char* name = "linear";
  static constexpr FilterKind kind = FilterKind::kTorch;
  static constexpr bool negative_lobes = false;
  static constexpr std::array<FilterParam, 0> params{};
  static const char* invalid(const double*) { return nullptr; }
  static double radius(const double*) { return 1.0; }
  template <typename T>
  static T weight(T x, const T*) {
    x = std::fabs(x);
    return x < T(1) ? T(1) - x : T(0);
  }
  template <typename T>
  static T slope(T x, const T*) {
    return std::fabs(x) < T(1) ? -sign_of(x) : T(0);
  }
  template <typename T>
  static int64_t taps(const AxisFilter<T>& f, int64_t o, T* w, int64_t& count) {
    // Note [linear taps]: an axis with out == in copies, even when a scale was given (torch).
    const int64_t in = f.in;
    if (f.out == in) {
      count = 1;
      w[0] = T(1);
      return o;
    }
    const T real = source_index<T>(f.in_per_out, o, f.align_corners, true);
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
};

// torch's bicubic: Keys a = -0.75 taps; antialiased, a = -0.5 (torch, Pillow).
struct CubicFilter {
  static constexpr const char* name = "cubic";
  static constexpr FilterKind kind = FilterKind::kTorch;
  static constexpr bool negative_lobes = true;
  static constexpr std::array<FilterParam, 0> params{};
  static const char* invalid(const double*) { return nullptr; }
  static double radius(const double*) { return 2.0; }
  template <typename T>
  static T weight(T x, const T*) {
    x = std::fabs(x);
    return x < T(1) ? cubic_near<T>(x, T(-0.5)) : (x < T(2) ? cubic_far<T>(x, T(-0.5)) : T(0));
  }
  template <typename T>
  static T slope(T x, const T*) {
    const T s = sign_of(x);
    x = std::fabs(x);
    return s * (x < T(1) ? cubic_near_slope<T>(x, T(-0.5)) : (x < T(2) ? cubic_far_slope<T>(x, T(-0.5)) : T(0)));
  }
  template <typename T>
  static int64_t taps(const AxisFilter<T>& f, int64_t o, T* w, int64_t& count) {
    // Note [cubic taps]: taps i0-1 .. i0+2, Keys a = -0.75, indices clamped to the edge, not renormalised.
    const int64_t in = f.in;
    const T real = source_index<T>(f.in_per_out, o, f.align_corners, false);
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
};

struct AreaFilter : NearestFilter {
  static constexpr const char* name = "area";
  static constexpr FilterKind kind = FilterKind::kArea;
  template <typename T>
  static int64_t taps(const AxisFilter<T>& f, int64_t o, T* w, int64_t& count) {
    // Note [area window]: adaptive average pooling, [floor(o*in/out), ceil((o+1)*in/out)), in integers.
    const int64_t in = f.in, out = f.out;
    const int64_t first = (o * in) / out;
    const int64_t last = ((o + 1) * in + out - 1) / out;
    count = last - first;
    const T inv = T(1) / static_cast<T>(count);
    for (int64_t k = 0; k < count; ++k) {
      w[k] = inv;
    }
    return first;
  }
};

// Lanczos-a: sinc(x) sinc(x / a) on |x| < a; a = 3 by default.
struct LanczosFilter {
  static constexpr const char* name = "lanczos";
  static constexpr FilterKind kind = FilterKind::kWindowed;
  static constexpr bool negative_lobes = true;
  static constexpr std::array<FilterParam, 1> params{{{"a", 3.0}}};
  static const char* invalid(const double* p) {
    return p[0] >= 0.5 && p[0] <= 64.0 ? nullptr : "lanczos: a must be in [0.5, 64]";
  }
  static double radius(const double* p) { return p[0]; }
  template <typename T>
  static T weight(T x, const T* p) {
    const T a = p[0];
    x = std::fabs(x);
    if (x >= a) {
      return T(0);
    }
    if (x == T(0)) {
      return T(1);
    }
    const T px = T(3.14159265358979323846) * x;
    return (a * std::sin(px) * std::sin(px / a)) / (px * px);
  }
  template <typename T>
  static T slope(T x, const T* p) {
    const T a = p[0];
    const T s = sign_of(x);
    x = std::fabs(x);
    if (x >= a || x == T(0)) {
      return T(0);
    }
    const T pi = T(3.14159265358979323846);
    const T px = pi * x, sx = std::sin(px), sa = std::sin(px / a);
    // d/dx of a sin(px) sin(px / a) / px^2, with px = pi x
    return s * pi * (a * std::cos(px) * sa + sx * std::cos(px / a) - T(2) * a * sx * sa / px) / (px * px);
  }
};

// The box: every input pixel whose centre falls in the window weighs the same (Pillow's BOX); nearest with a window.
struct BoxFilter : NearestFilter {
  static constexpr const char* name = "box";
  static constexpr FilterKind kind = FilterKind::kWindowed;  // its taps: the window of the box, not nearest's
};

// exp(-x^2 / (2 sigma^2)), cut at 3 sigma; sigma = 0.5 by default.
struct GaussianFilter {
  static constexpr const char* name = "gaussian";
  static constexpr FilterKind kind = FilterKind::kWindowed;
  static constexpr bool negative_lobes = false;
  static constexpr std::array<FilterParam, 1> params{{{"sigma", 0.5}}};
  static const char* invalid(const double* p) {
    return p[0] >= 0.05 && p[0] <= 20.0 ? nullptr : "gaussian: sigma must be in [0.05, 20]";
  }
  static double radius(const double* p) { return 3.0 * p[0]; }
  template <typename T>
  static T weight(T x, const T* p) {
    return std::fabs(x) < T(3) * p[0] ? std::exp(-x * x / (T(2) * p[0] * p[0])) : T(0);
  }
  template <typename T>
  static T slope(T x, const T* p) {
    return -x / (p[0] * p[0]) * weight(x, p);
  }
};

// Mitchell-Netravali, B = C = 1/3 by default.
struct MitchellFilter {
  static constexpr const char* name = "mitchell";
  static constexpr FilterKind kind = FilterKind::kWindowed;
  static constexpr bool negative_lobes = true;
  static constexpr std::array<FilterParam, 2> params{{{"b", 1.0 / 3.0}, {"c", 1.0 / 3.0}}};
  static const char* invalid(const double* p) {
    return std::fabs(p[0]) <= 8.0 && std::fabs(p[1]) <= 8.0 ? nullptr : "b and c must be in [-8, 8]";
  }
  static double radius(const double*) { return 2.0; }
  template <typename T>
  static T weight(T x, const T* p) {
    return bc_cubic_weight<T>(x, p[0], p[1]);
  }
  template <typename T>
  static T slope(T x, const T* p) {
    return bc_cubic_slope<T>(x, p[0], p[1]);
  }
};

// Catmull-Rom: the interpolating member of the family, B = 0, C = 1/2 (Keys a = -1/2, as a normalised window).
struct CatmullRomFilter : MitchellFilter {
  static constexpr const char* name = "catmull-rom";
  static constexpr std::array<FilterParam, 2> params{{{"b", 0.0}, {"c", 0.5}}};
};

// fn(the filter's struct) for the filter f.
template <typename Fn>
inline decltype(auto) with_filter(Filter f, Fn&& fn) {
  switch (f) {
    case Filter::Nearest:
      return fn(NearestFilter{});
    case Filter::NearestExact:
      return fn(NearestExactFilter{});
    case Filter::Linear:
      return fn(LinearFilter{});
    case Filter::Cubic:
      return fn(CubicFilter{});
    case Filter::Area:
      return fn(AreaFilter{});
    case Filter::Lanczos:
      return fn(LanczosFilter{});
    case Filter::Box:
      return fn(BoxFilter{});
    case Filter::Gaussian:
      return fn(GaussianFilter{});
    case Filter::Mitchell:
      return fn(MitchellFilter{});
    case Filter::CatmullRom:
      return fn(CatmullRomFilter{});
  }
  return fn(NearestFilter{});  // not reached: the switch is exhaustive
}

inline const char* filter_name(Filter f) {
  return with_filter(f, [](auto F) { return decltype(F)::name; });
}

inline FilterKind filter_kind(Filter f) {
  return with_filter(f, [](auto F) { return decltype(F)::kind; });
}

inline bool negative_lobes(Filter f) {
  return with_filter(f, [](auto F) { return decltype(F)::negative_lobes; });
}

// Whether antialias is defined for the filter: every kind but the point and area ones.
inline bool takes_antialias(Filter f) {
  switch (filter_kind(f)) {
    case FilterKind::kPoint:
    case FilterKind::kArea:
      return false;
    case FilterKind::kTorch:
    case FilterKind::kWindowed:
      return true;
  }
  return false;
}

// The filter of an op name; false when there is none.
inline bool find_filter(const char* name, size_t length, Filter* out) {
  for (int i = 0; i < kFilterCount; ++i) {
    const char* n = filter_name(static_cast<Filter>(i));
    size_t k = 0;
    while (k < length && n[k] != '\0' && n[k] == name[k]) {
      ++k;
    }
    if (k == length && n[k] == '\0') {
      *out = static_cast<Filter>(i);
      return true;
    }
  }
  return false;
}

// The filter's parameters from the caller's `given` (none: the defaults; else exactly one per parameter), or why
// they are refused.
inline const char* resolve_filter_params(Filter f, const double* given, size_t n, FilterParams* out) {
  return with_filter(f, [&](auto F) -> const char* {
    using Row = decltype(F);
    constexpr size_t count = Row::params.size();
    out->fill(0.0);
    if (n != 0 && n != count) {
      return count == 0 ? "takes no parameters" : "takes one value per parameter, or none for the defaults";
    }
    for (size_t k = 0; k < count; ++k) {
      const double v = n == 0 ? Row::params[k].default_value : given[k];
      if (!std::isfinite(v)) {
        return "parameters must be finite";
      }
      (*out)[k] = v;
    }
    return Row::invalid(out->data());
  });
}

template <typename T>
inline AxisFilter<T> make_axis_filter(Filter filter, const FilterParams& params, bool antialias, bool align_corners,
                                      int64_t in, int64_t out, double scale_factor, NearestRule nearest = {}) {
  AxisFilter<T> f;
  f.nearest = nearest;
  f.filter = filter;
  f.antialias = antialias;
  f.windowed = antialias || filter_kind(filter) == FilterKind::kWindowed;
  f.align_corners = align_corners;
  f.in = in;
  f.out = out;
  f.scale_factor = scale_factor;
  for (int k = 0; k < kMaxFilterParams; ++k) {
    f.params[k] = static_cast<T>(params[k]);
  }
  f.in_per_out = in_per_out<T>(in, out, align_corners, scale_factor);
  f.support = T(0);
  f.to_filter_units = T(1);
  if (f.windowed) {
    // Note [antialias window]: the support widens with the downscale factor (torch, Pillow).
    const bool widen = antialias && f.in_per_out >= T(1);
    const double radius = with_filter(filter, [&](auto F) { return decltype(F)::radius(params.data()); });
    f.support = static_cast<T>(radius) * (widen ? f.in_per_out : T(1));
    f.to_filter_units = widen ? T(1) / f.in_per_out : T(1);
    f.max_taps = static_cast<int64_t>(std::ceil(static_cast<double>(f.support))) * 2 + 1;
    return f;
  }
  switch (filter_kind(filter)) {
    case FilterKind::kPoint:
      f.max_taps = 1;
      break;
    case FilterKind::kArea:
      f.max_taps = (in + out - 1) / out + 1;
      break;
    case FilterKind::kTorch:
      f.max_taps = 2 * static_cast<int64_t>(with_filter(filter, [](auto F) { return decltype(F)::radius(nullptr); }));
      break;
    case FilterKind::kWindowed:  // handled above
      break;
  }
  return f;
}

// Note [antialias window]: the normalised window of filter Row around output o's centre, in continuous coordinates
// (pixel i covers [i, i+1)). Taps outside the input are dropped and the rest renormalised. Antialias follows torch
// exactly (align_corners only changes in_per_out); without it the centre is the source index of Note [source index],
// so that align_corners means what it means for the other interpolators.
template <typename Row, typename T>
inline int64_t window_taps(const AxisFilter<T>& f, int64_t o, T* w, int64_t& count) {
  const int64_t in = f.in;
  const T center = f.antialias ? f.in_per_out * (static_cast<T>(o) + T(0.5))
                               : source_index<T>(f.in_per_out, o, f.align_corners, false) + T(0.5);
  int64_t xmin = static_cast<int64_t>(center - f.support + T(0.5));
  xmin = xmin > 0 ? xmin : 0;
  int64_t xmax = static_cast<int64_t>(center + f.support + T(0.5));
  xmax = xmax < in ? xmax : in;
  int64_t n = xmax - xmin;
  n = n < f.max_taps ? n : f.max_taps;  // rounding can add one tap beyond the bound (torch clamps too)
  n = n > 1 ? n : 1;
  T total = T(0);
  for (int64_t j = 0; j < n; ++j) {
    const T wj = Row::template weight<T>((static_cast<T>(j + xmin) - center + T(0.5)) * f.to_filter_units, f.params);
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

// The taps of output o: returns the first input index, writes the tap count and weights w[0..count).
template <typename T>
inline int64_t axis_taps(const AxisFilter<T>& f, int64_t o, T* w, int64_t& count) {
  if (f.windowed && f.out == f.in) {
    // torch's separable antialias kernels leave an axis whose extent does not change untouched, even when a
    // scale factor was given (as linear does: Note [linear taps]); so do the windowed filters (as Pillow does),
    // whose windows would otherwise blur it (box, Gaussian, Mitchell are not interpolating).
    count = 1;
    w[0] = T(1);
    return o;
  }
  return with_filter(f.filter, [&](auto F) -> int64_t {
    using Row = decltype(F);
    if constexpr (Row::kind == FilterKind::kWindowed) {
      return window_taps<Row>(f, o, w, count);
    } else {
      return f.windowed ? window_taps<Row>(f, o, w, count) : Row::template taps<T>(f, o, w, count);
    }
  });
}

}  // namespace torchresample
