// CPU resample ops: glue to the row engine (forward, and backward on transposed plans).
#include "../glue/allocate.h"
#include "../glue/resample_glue.h"
#include "row_engine_dispatch.h"

#include <ATen/Dispatch.h>
#include <ATen/core/Tensor.h>
#include <c10/util/strides.h>
#include <torch/library.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace torchresample {

CpuIsa cpu_isa() {
#ifdef TORCHRESAMPLE_HAS_AVX2_ENGINE
  static const CpuIsa isa = [] {
    const char* cap = std::getenv("TORCHRESAMPLE_CPU_ISA");
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi") &&
                        __builtin_cpu_supports("avx512vnni");
    if ((cap != nullptr && std::strcmp(cap, "baseline") == 0) || !avx2) {
      return CpuIsa::kBaseline;
    }
    return (cap != nullptr && std::strcmp(cap, "avx2") == 0) || !avx512 ? CpuIsa::kAvx2 : CpuIsa::kAvx512;
  }();
  return isa;
#else
  return CpuIsa::kBaseline;
#endif
}

namespace {

template <typename T>
using Plans = std::array<AxisPlan<T>, 3>;

// Note [cpu plan cache]
// Building a call's plans costs about 6k instructions, a third of the backward of a small feature map, and a model
// makes the same few resizes again and again. Each thread keeps the plans of its last kCachedCalls calls (most
// recently used first), keyed by everything that decides them (PlanKey); plans of more than kCachedBytes are built
// per call, their kernel outweighing the build. A cached plan is the same bytes as a fresh one, so results do not
// depend on the cache; a caller holds its entry, so an eviction during its kernel frees nothing it reads.
constexpr size_t kCachedCalls = 8;
constexpr size_t kCachedBytes = 64 << 10;

template <typename T>
size_t plan_bytes(const Plans<T>& plans) {
  size_t bytes = 0;
  for (const auto& p : plans) {
    bytes += (p.start.size() + p.count.size()) * sizeof(int64_t) + p.weight.size() * sizeof(T);
  }
  return bytes;
}

template <typename T>
std::shared_ptr<const Plans<T>> cpu_plans(const ResampleCall& call) {
  using Entry = std::pair<PlanKey, std::shared_ptr<const Plans<T>>>;
  thread_local c10::SmallVector<Entry, kCachedCalls> cache;
  const NearestRule rule = nearest_rule(call, PlanDevice::kCpu);
  const PlanKey key = plan_key(call, sizeof(T), rule);
  for (size_t i = 0; i < cache.size(); ++i) {
    if (cache[i].first == key) {
      std::rotate(cache.begin(), cache.begin() + i, cache.begin() + i + 1);
      return cache.front().second;
    }
  }
  auto plans = std::make_shared<const Plans<T>>(call_plans<T>(call, PlanDevice::kCpu));
  if (plan_bytes(*plans) <= kCachedBytes) {
    if (cache.size() == kCachedCalls) {
      cache.pop_back();
    }
    cache.insert(cache.begin(), Entry{key, plans});
  }
  return plans;
}

// uint8 on the float row engine: where the fixed-point engine does not go (a resampled D axis, beyond torch, which
// has no 3-D uint8 kernel; weights that do not fit fixed point). For filters of negative lobes (Note [rounded w
// pass]), W into a uint8 intermediate first, then D and H.
void resample_uint8_on_float_engine(const ResampleCall& call, const std::array<AxisPlan<float>, 3>& plans) {
  const ResampleGeometry& g = call.geometry;
  const uint8_t* src = call.source.const_data_ptr<uint8_t>();
  uint8_t* dst = call.result.mutable_data_ptr<uint8_t>();
  if (!rounded_w_pass(call, resampled_axes(plans))) {
    resample_rows<uint8_t, float>(src, dst, g, plans);
    return;
  }
  ResampleGeometry across = g;
  across.out = {g.in[0], g.in[1], g.out[2]};
  at::Tensor mid = empty_output({across.batch * g.in[0] * g.in[1] * g.out[2] * g.channels}, call.source.options());
  uint8_t* mid_ptr = mid.mutable_data_ptr<uint8_t>();
  resample_rows<uint8_t, float>(src, mid_ptr, across,
                                {identity_plan<float>(g.in[0]), identity_plan<float>(g.in[1]), plans[2]});
  ResampleGeometry down = g;
  down.in = across.out;
  resample_rows<uint8_t, float>(mid_ptr, dst, down, {plans[0], plans[1], identity_plan<float>(g.out[2])});
}

at::Tensor resample_cpu(const at::Tensor& input, at::IntArrayRef output_size, const ResampleArgs& args) {
  const ResampleCall call = prepare_resample(input, output_size, args);
  if (call.result.numel() == 0) {
    return call.returned();
  }
  const ResampleGeometry& g = call.geometry;
  const bool nearest = filter_kind(call.filter) == FilterKind::kPoint;
  if (input.scalar_type() == at::kByte && !nearest) {
    const auto cached = cpu_plans<float>(call);
    const Plans<float>& plans = *cached;
    const bool clipped_mid = rounded_w_pass(call, resampled_axes(plans));  // Note [rounded w pass]
    if (plans[0].is_identity() && g.channels == 1 && call.layout == at::MemoryFormat::Contiguous && input.dim() == 4 &&
        (input.size(1) == 3 || input.size(1) == 4) && uint8_reads_planar_pixels()) {
      // Note [planar photos]: the channels-last engine reads the planes and stores the planar result.
      ResampleGeometry pixels = g;
      pixels.batch = g.batch / input.size(1);
      pixels.channels = input.size(1);
      if (uint8_rows(call.source.const_data_ptr<uint8_t>(), call.result.mutable_data_ptr<uint8_t>(), pixels, plans,
                     clipped_mid, /*planar_out=*/true, /*planar_in=*/true)) {
        return call.returned();
      }
    }
    if (plans[0].is_identity()) {
      // A channels-last engine under a contiguous result (Note [layout by strides]) stores torch's result
      // directly, into call.result's storage (the same bytes) viewed contiguous.
      const bool planar = call.layout != call.returned_layout && call.returned_layout == at::MemoryFormat::Contiguous;
      const at::IntArrayRef sizes = call.result.sizes();
      at::Tensor out = planar ? call.result.as_strided(sizes, c10::contiguous_strides(sizes)) : call.result;
      if (uint8_rows(call.source.const_data_ptr<uint8_t>(), out.mutable_data_ptr<uint8_t>(), g, plans, clipped_mid,
                     planar)) {
        return planar ? out : call.returned();
      }
    }
    resample_uint8_on_float_engine(call, plans);
    return call.returned();
  }
  AT_DISPATCH_FLOATING_TYPES_AND3(at::kHalf, at::kBFloat16, at::kByte, input.scalar_type(), "resample_cpu", [&] {
    using acc_t = acc_type<scalar_t>;
    const auto cached = cpu_plans<acc_t>(call);
    const Plans<acc_t>& plans = *cached;
    const scalar_t* src = call.source.const_data_ptr<scalar_t>();
    scalar_t* dst = call.result.mutable_data_ptr<scalar_t>();
    if (nearest) {
      nearest_rows<scalar_t, acc_t>(src, dst, g, plans);
    } else {
      resample_rows<scalar_t, acc_t>(src, dst, g, plans);
    }
  });
  return call.returned();
}

at::Tensor resample_backward_cpu(const at::Tensor& grad_output, at::IntArrayRef input_size, const ResampleArgs& args) {
  const ResampleCall call = prepare_resample_backward(grad_output, input_size, args);
  if (call.result.numel() == 0) {
    return call.returned();
  }
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, grad_output.scalar_type(), "resample_backward_cpu", [&] {
    using acc_t = acc_type<scalar_t>;
    resample_rows<scalar_t, acc_t>(call.source.const_data_ptr<scalar_t>(), call.result.mutable_data_ptr<scalar_t>(),
                                   call.geometry, *cpu_plans<acc_t>(call));
  });
  return call.returned();
}

}  // namespace

TORCH_LIBRARY_IMPL(torchresample, CPU, m) {
  m.impl("resample", &resample_op_kernel<&resample_cpu>);
  m.impl("resample_backward", &resample_op_kernel<&resample_backward_cpu>);
}

}  // namespace torchresample
