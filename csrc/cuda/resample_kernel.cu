// CUDA resample ops: plan-driven gather kernels (forward, and backward on transposed plans) and their launch glue.
#include "../glue/element_width.h"
#include "../glue/resample_glue.h"
#include "../common/store.h"
#include "device_plans.cuh"
#include "row_launch.cuh"
#include "pass_planner.h"

#include <ATen/Dispatch.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace torchresample {
namespace {

// out[b, od, oh, ow, c] = sum over the windows of the three axes of wd * wh * ww * in[b, id, ih, iw, c], in a
// fixed order per output element: no atomics, and the same bits on every run. The backward is this kernel on
// the transposed plans, where an input that no output reads has empty windows and gets 0.
template <typename in_t, typename out_t, typename acc_t>
__global__ void __launch_bounds__(kThreadsPerBlock)
    resample_kernel(const in_t* __restrict__ src, out_t* __restrict__ dst, const Extents e, const PlanView<acc_t> pd,
                    const PlanView<acc_t> ph, const PlanView<acc_t> pw) {
  const int64_t C = e.channels;
  const int64_t in_row = e.in[2] * C;
  const int64_t out_row = e.out[2] * C;
  for_each_row(e, [&](int64_t r, const Row& row) {
    const Window<acc_t> wd = window(pd, row.od);
    const Window<acc_t> wh = window(ph, row.oh);
    out_t* out = dst + r * out_row;
    for_each_in_row(e, [&](int64_t j) {
      const int64_t ow = C == 1 ? j : divide(j, e.by_c, e.narrow);
      const Window<acc_t> ww = window(pw, ow);
      const in_t* first = src + row.in_offset + ww.first * C + (j - ow * C);
      out[j] = store<out_t>(tap_sum(first, wd, wh, ww, C, e.in[1], in_row));
    });
  });
}

// Nearest forward: out[b, od, oh, ow, c] = in[b, sd[od], sh[oh], sw[ow], c], copied as raw bits (bit-exact for
// every dtype, NaN payloads and signed zeros included). A null index table is an untouched axis.
template <typename bits_t>
__global__ void __launch_bounds__(kThreadsPerBlock)
    gather_kernel(const bits_t* __restrict__ src, bits_t* __restrict__ dst, const Extents e,
                  const int64_t* __restrict__ sd, const int64_t* __restrict__ sh, const int64_t* __restrict__ sw) {
  const int64_t C = e.channels;
  const int64_t out_row = e.out[2] * C;
  for_each_row(e, [&](int64_t r, const Row& row) {
    const int64_t id = sd ? sd[row.od] : row.od;
    const int64_t ih = sh ? sh[row.oh] : row.oh;
    const bits_t* plane = src + row.in_offset + (id * e.in[1] + ih) * e.in[2] * C;
    bits_t* out = dst + r * out_row;
    for_each_in_row(e, [&](int64_t j) {
      const int64_t ow = C == 1 ? j : divide(j, e.by_c, e.narrow);
      const int64_t iw = sw ? sw[ow] : ow;
      out[j] = plane[iw * C + (j - ow * C)];
    });
  });
}

template <typename in_t, typename out_t, typename acc_t>
void launch_resample(const in_t* src, out_t* dst, const Extents& e, const std::array<PlanView<acc_t>, 3>& axes,
                     device::Stream stream) {
  const auto shape = launch_shape(e);
  device::launch(&resample_kernel<in_t, out_t, acc_t>, shape.first, shape.second, stream, src, dst, e, axes[0], axes[1],
                 axes[2]);
}

template <typename bits_t, typename acc_t>
void launch_gather(const void* src, void* dst, const Extents& e, const std::array<PlanView<acc_t>, 3>& axes,
                   device::Stream stream) {
  const auto shape = launch_shape(e);
  device::launch(&gather_kernel<bits_t>, shape.first, shape.second, stream, static_cast<const bits_t*>(src),
                 static_cast<bits_t*>(dst), e, axes[0].start, axes[1].start, axes[2].start);
}

// Applies the plans: `x` and `out` are contiguous in the canonical layout of `g`.
template <typename scalar_t, typename acc_t>
void apply_plans(const at::Tensor& x, at::Tensor& out, const ResampleGeometry& g, const DevicePlans<acc_t>& dev,
                 bool uint8_w_first) {
  std::array<int64_t, 3> extent = g.in;
  std::vector<AxisMask> passes;
  // Note [rounded w pass] (resample_glue.h): W first, rounded and saturated to uint8 before the other axes.
  const bool w_first = uint8_w_first;
  if (w_first) {
    passes.push_back(kAxisW);
    extent[2] = g.out[2];
  }
  const AxisMask rest = w_first ? dev.resampled & ~kAxisW : dev.resampled;
  std::vector<AxisMask> grouped = forced_passes(cuda_options().force_passes.load(), rest);
  TORCH_CHECK(grouped.empty() || covered_axes(grouped) == rest,
              "torchresample::resample: force_passes leaves resampled axes out");
  if (grouped.empty()) {
    grouped = plan_passes(extent, g.out, dev.taps, rest, g.batch * g.channels);
  }
  passes.insert(passes.end(), grouped.begin(), grouped.end());
  const device::Stream stream = device::current_stream();
  const auto acc_dtype = c10::CppTypeToScalarType<acc_t>::value;

  std::array<int64_t, 3> done = g.in;  // extents after the passes so far
  at::Tensor src = x;
  bool src_acc = false;
  for (size_t p = 0; p < passes.size(); ++p) {
    std::array<PlanView<acc_t>, 3> taps_p{};
    const std::array<int64_t, 3> before = done;
    for (int a = 0; a < 3; ++a) {
      if (passes[p] >> a & 1) {
        done[a] = g.out[a];
        taps_p[a] = dev.axes[a];
      }
    }
    const Extents e = make_extents(g.batch, g.channels, before, done);
    const bool last = p + 1 == passes.size();
    const bool dst_acc = !last && !(w_first && p == 0);
    at::Tensor dst = last ? out
                          : at::empty({e.batch * e.out[0] * e.out[1] * e.out[2] * e.channels},
                                      x.options().dtype(dst_acc ? acc_dtype : x.scalar_type()));
    if (src_acc && dst_acc) {
      launch_resample<acc_t, acc_t, acc_t>(src.const_data_ptr<acc_t>(), dst.mutable_data_ptr<acc_t>(), e, taps_p,
                                           stream);
    } else if (src_acc) {
      launch_resample<acc_t, scalar_t, acc_t>(src.const_data_ptr<acc_t>(), dst.mutable_data_ptr<scalar_t>(), e, taps_p,
                                              stream);
    } else if (dst_acc) {
      launch_resample<scalar_t, acc_t, acc_t>(src.const_data_ptr<scalar_t>(), dst.mutable_data_ptr<acc_t>(), e, taps_p,
                                              stream);
    } else {
      launch_resample<scalar_t, scalar_t, acc_t>(src.const_data_ptr<scalar_t>(), dst.mutable_data_ptr<scalar_t>(), e,
                                                 taps_p, stream);
    }
    src = dst;
    src_acc = dst_acc;
  }
}

// One resample or resample_backward call: the nearest forward is a gather of raw bits, everything else sums taps.
template <typename scalar_t>
void run_resample(const ResampleCall& call) {
  using acc_t = acc_type<scalar_t>;
  const auto dev = device_plans<acc_t>(call, call.source.device());
  at::Tensor out = call.result;
  const ResampleGeometry& g = call.geometry;
  if (dev->resampled == 0) {
    out.copy_(call.source);
  } else if (!call.backward && filter_kind(call.filter) == FilterKind::kPoint) {
    launch_gather<width_type<sizeof(scalar_t)>, acc_t>(call.source.const_data_ptr(), out.mutable_data_ptr(),
                                                       make_extents(g.batch, g.channels, g.in, g.out), dev->axes,
                                                       device::current_stream());
  } else {
    apply_plans<scalar_t, acc_t>(call.source, out, g, *dev, rounded_w_pass(call, dev->resampled));
  }
}

at::Tensor resample_cuda(const at::Tensor& input, at::IntArrayRef output_size, const ResampleArgs& args) {
  const device::DeviceGuard guard(input.device());
  const ResampleCall call = prepare_resample(input, output_size, args);
  if (call.result.numel() != 0) {
    AT_DISPATCH_FLOATING_TYPES_AND3(at::kHalf, at::kBFloat16, at::kByte, input.scalar_type(), "resample_cuda",
                                    [&] { run_resample<scalar_t>(call); });
  }
  return call.returned();
}

at::Tensor resample_backward_cuda(const at::Tensor& grad_output, at::IntArrayRef input_size, const ResampleArgs& args) {
  const device::DeviceGuard guard(grad_output.device());
  const ResampleCall call = prepare_resample_backward(grad_output, input_size, args);
  if (call.result.numel() != 0) {
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, grad_output.scalar_type(), "resample_backward_cuda",
                                    [&] { run_resample<scalar_t>(call); });
  }
  return call.returned();
}

}  // namespace

TORCHRESAMPLE_CUDA_LIBRARY_IMPL(m) {
  m.impl("resample", &resample_op_kernel<&resample_cuda>);
  m.impl("resample_backward", &resample_op_kernel<&resample_backward_cuda>);
}

}  // namespace torchresample
