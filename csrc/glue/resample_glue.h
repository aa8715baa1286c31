// Glue shared by the CPU and CUDA resample ops: argument checks, canonical geometry and per-call plans.
#pragma once

#include "../common/geometry.h"
#include "../common/plan.h"
#include "layout.h"

#include <ATen/core/Dict.h>
#include <ATen/core/Tensor.h>
#include <c10/util/string_view.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <type_traits>

namespace torchresample {

// Note [error messages]
// Each check has one owner. The Python functions make the checks torch's Python makes (torch/nn/functional.py:
// argument forms, modes, unpool output sizes), the C++ ops those of ATen's kernels (sizes, dtypes, indices), fake
// kernels only what their output shape needs, each with the exception type of its torch counterpart (so a negative
// unpool size is a ValueError from max_unpool2d, as from torch's, and a RuntimeError from the op, as from ATen's).
// A check torch makes too keeps torch's words; a message of ours names the entry point that refused the call:
// "torchresample::<op>: " from an op (C++ or its fake), "torchresample.<function>: " from a Python function, and
// "torchresample: " where no call is at fault (the build). tests/test_errors.py sends every invalid call through the
// public function and the raw op.

// The filter of a name, or a ValueError of `op` listing the names (Note [filter table]).
Filter parse_filter(c10::string_view name, const char* op);

// A filter's parameters from the op's `filter_params` (none: the defaults), or a ValueError of `op`.
FilterParams parse_filter_params(Filter filter, at::ArrayRef<double> given, const char* op);

// The table for TorchScript, which cannot read Python's copy (torchresample.FILTERS): the kind of a filter name
// ("point", "area", "torch", "windowed"; "" for none), and the op's filter_params from parameters given by name (the
// defaults for those left out; empty for none).
std::string filter_kind_name(c10::string_view filter);
std::vector<double> filter_param_values(c10::string_view filter,
                                        const std::optional<c10::Dict<std::string, double>>& params);

// `sizes` is the full input shape, `out_spatial` the output's spatial extents.
ResampleGeometry make_geometry(at::IntArrayRef sizes, at::IntArrayRef out_spatial, at::MemoryFormat format);

// The checks torch's upsample ops make (same exception types and messages), plus ours on filter and dtype.
void check_resample(const at::Tensor& input, at::IntArrayRef output_size, Filter filter, bool antialias);
void check_resample_backward(const at::Tensor& grad_output, at::IntArrayRef input_size, Filter filter, bool antialias);

// The caller's scale factors, one per spatial axis (Note [axis scale]), or 0 on every axis when none were given: the
// op's `scales` (None, or one positive finite factor per spatial axis), decoded once per call.
using ScaleFactors = c10::SmallVector<double, 3>;

// Forward plans of the three canonical axes (identity on padded axes), from the geometry's in/out extents.
template <typename T>
std::array<AxisPlan<T>, 3> forward_plans(const ResampleGeometry& g, Filter filter, const FilterParams& params,
                                         bool antialias, bool align_corners, at::ArrayRef<double> scale_factors,
                                         NearestRule nearest) {
  std::array<AxisPlan<T>, 3> plans;
  const int64_t spatial = static_cast<int64_t>(scale_factors.size());
  for (int64_t a = 0; a < 3; ++a) {
    const int64_t k = a - (3 - spatial);  // the caller's axis; < 0 on padded axes
    if (k < 0) {
      plans[a] = identity_plan<T>(g.in[a]);
    } else {
      plans[a] = build_plan<T>(
          make_axis_filter<T>(filter, params, antialias, align_corners, g.in[a], g.out[a], scale_factors[k], nearest));
    }
  }
  return plans;
}

// One resample or resample_backward call, checked and laid out for a kernel of either device: the source and
// the result contiguous in the engine's layout (Note [layout by strides]), and what the plans need.
struct ResampleCall {
  Filter filter;
  FilterParams params;
  bool align_corners;
  bool antialias;
  bool backward;
  bool channels_last_kernel;         // torch's CPU nearest takes its channels-last kernel (Note [nearest index])
  ScaleFactors scale_factors;        // one per spatial axis, 0 where none
  at::MemoryFormat layout;           // the engine's: source, result and geometry are in it
  at::MemoryFormat returned_layout;  // torch's: the source's suggested memory format
  at::Tensor source;                 // input, or grad_output
  at::Tensor result;                 // output, or grad_input (may be empty: then there is nothing to do)
  ResampleGeometry geometry;         // what the kernel maps, source -> result
  ResampleGeometry forward;          // the forward op's extents, which the plans describe

  // The result in torch's memory format: `result` itself, or converted to it.
  at::Tensor returned() const;
};

// The op's arguments after its first two, as every kernel of either direction takes them.
struct ResampleArgs {
  c10::string_view filter;
  bool align_corners;
  std::optional<at::ArrayRef<double>> scales;
  bool antialias;
  at::ArrayRef<double> filter_params;
};

ResampleCall prepare_resample(const at::Tensor& input, at::IntArrayRef output_size, const ResampleArgs& args);
ResampleCall prepare_resample_backward(const at::Tensor& grad_output, at::IntArrayRef input_size,
                                       const ResampleArgs& args);

// The op signature of every resample kernel (CPU and CUDA, both directions), and its registration from a function of
// (tensor, sizes, ResampleArgs).
using ResampleKernel = at::Tensor (*)(const at::Tensor&, at::IntArrayRef, const ResampleArgs&);
template <ResampleKernel kernel>
at::Tensor resample_op_kernel(const at::Tensor& source, at::IntArrayRef sizes, c10::string_view filter,
                              bool align_corners, std::optional<at::ArrayRef<double>> scales, bool antialias,
                              std::optional<at::ArrayRef<double>> filter_params) {
  return kernel(source, sizes,
                ResampleArgs{filter, align_corners, scales, antialias, filter_params.value_or(at::ArrayRef<double>())});
}

// Which device's kernels the plans are for: the nearest index follows torch's kernels of that device.
enum class PlanDevice : int8_t { kCpu, kCuda };

// The nearest index rule of torch's kernel for this call (Note [nearest index]).
NearestRule nearest_rule(const ResampleCall& c, PlanDevice device);

// The plans a kernel applies to the call's source: the forward plans, transposed for the backward.
template <typename T>
std::array<AxisPlan<T>, 3> call_plans(const ResampleCall& c, PlanDevice device) {
  std::array<AxisPlan<T>, 3> plans = forward_plans<T>(c.forward, c.filter, c.params, c.antialias, c.align_corners,
                                                      c.scale_factors, nearest_rule(c, device));
  if (c.backward) {
    for (auto& p : plans) {
      p = transpose_plan(p);
    }
  }
  return plans;
}

// Everything that decides a call's plans (filter, flags, scale factors, the forward's extents, direction, accumulation
// type, nearest rule), and the stream for device plans (Note [device plan cache]): the key of the plan caches.
struct PlanKey {
  Filter filter;
  FilterParams params;
  bool align_corners;
  bool antialias;
  bool backward;
  int64_t spatial;
  int64_t acc_size;
  std::array<int64_t, 3> in;
  std::array<int64_t, 3> out;
  std::array<double, 3> scale_factors;
  NearestRule nearest;
  std::pair<int64_t, int64_t> stream;

  bool operator==(const PlanKey& o) const {
    return filter == o.filter && std::memcmp(params.data(), o.params.data(), sizeof(params)) == 0 &&
           align_corners == o.align_corners && antialias == o.antialias && backward == o.backward &&
           spatial == o.spatial && acc_size == o.acc_size && in == o.in && out == o.out &&
           std::memcmp(scale_factors.data(), o.scale_factors.data(), sizeof(scale_factors)) == 0 &&
           nearest.kernel == o.nearest.kernel && nearest.fused == o.nearest.fused && stream == o.stream;
  }
};

struct PlanKeyHash {
  size_t operator()(const PlanKey& k) const {
    uint64_t h = static_cast<uint64_t>(k.filter) * 0x9E3779B97F4A7C15ull;
    auto mix = [&h](uint64_t v) { h = (h ^ v) * 0x100000001B3ull + (h >> 29); };
    mix(k.align_corners | k.antialias << 1 | k.backward << 2 | k.spatial << 3 | k.acc_size << 6 |
        static_cast<uint64_t>(k.nearest.kernel) << 10 | static_cast<uint64_t>(k.nearest.fused) << 12);
    for (int a = 0; a < 3; ++a) {
      uint64_t bits;
      std::memcpy(&bits, &k.scale_factors[a], sizeof(bits));
      mix(static_cast<uint64_t>(k.in[a]));
      mix(static_cast<uint64_t>(k.out[a]));
      mix(bits);
    }
    for (const double p : k.params) {
      uint64_t bits;
      std::memcpy(&bits, &p, sizeof(bits));
      mix(bits);
    }
    mix(static_cast<uint64_t>(k.stream.first));
    mix(static_cast<uint64_t>(k.stream.second));
    return static_cast<size_t>(h);
  }
};

inline PlanKey plan_key(const ResampleCall& c, int64_t acc_size, NearestRule nearest,
                        std::pair<int64_t, int64_t> stream = {0, 0}) {
  PlanKey k{c.filter,        c.params,     c.align_corners,
            c.antialias,     c.backward,   static_cast<int64_t>(c.scale_factors.size()),
            acc_size,        c.forward.in, c.forward.out,
            {0.0, 0.0, 0.0}, nearest,      stream};
  std::copy(c.scale_factors.begin(), c.scale_factors.end(), k.scale_factors.begin());
  return k;
}

// Note [rounded w pass]
// The uint8 routing, for both devices: a uint8 resize of W and another axis with a filter of negative lobes runs W
// first and rounds (and clips) its intermediate to uint8, as torch's and Pillow's uint8 kernels do; every other
// uint8 resize keeps its intermediate in float.
inline bool rounded_w_pass(const ResampleCall& c, AxisMask resampled) {
  return c.source.scalar_type() == at::kByte && negative_lobes(c.filter) && (resampled & kAxisW) &&
         (resampled & ~kAxisW);
}

}  // namespace torchresample
