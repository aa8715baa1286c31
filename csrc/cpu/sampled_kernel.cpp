// CPU scale_and_translate ops (Note [scale and translate]): each output sample is the row engine run on its own
// plans; the input gradient gathers, per input sample, the transposed resamples of the output samples that read it,
// in a fixed order; the parameter gradients resample with one axis's derivative plan and sum against grad_output.
#include "../glue/sampled_glue.h"
#include "parallel.h"
#include "row_engine_dispatch.h"

#include <ATen/Dispatch.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <algorithm>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace torchresample {
namespace {

template <typename T>
using Plans = std::array<AxisPlan<T>, 3>;

template <typename T>
Plans<T> plans_of(std::array<SampledAxis<T>, 3> axes) {
  return {std::move(axes[0].plan), std::move(axes[1].plan), std::move(axes[2].plan)};
}

// Samples in parallel; inside one, the row engine runs on the calling thread (a single sample runs its rows in
// parallel instead). uint8 takes the fixed-point engine where it goes (no resampled D axis, weights that fit, no
// negative lobes) and keeps the definition's contract there: within 1 of the rounded float result.
template <typename scalar_t>
void forward_samples(const SampledCall& c) {
  using acc_t = acc_type<scalar_t>;
  auto plans = sampled_plans<acc_t>(c, false);  // each sample's plans are moved out once
  const scalar_t* src = c.source.const_data_ptr<scalar_t>();
  scalar_t* dst = c.result.mutable_data_ptr<scalar_t>();
  parallel_for(0, c.samples, 1, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const scalar_t* in = src + c.sample_input[k] * c.image_elements();
      scalar_t* out = dst + k * c.sample_elements();
      const Plans<acc_t> p = plans_of(std::move(plans[k]));
      if constexpr (std::is_same_v<scalar_t, uint8_t>) {
        // The fixed-point engine's intermediate holds [0, 256): filters of negative lobes overshoot it.
        const bool fixed_point = !negative_lobes(c.filter) && p[0].is_identity();
        if (fixed_point && uint8_rows(in, out, c.image, p, /*clip_intermediate=*/false, /*planar_out=*/false,
                                      /*planar_in=*/false)) {
          continue;
        }
      }
      resample_rows<scalar_t, acc_t>(in, out, c.image, p);
    }
  });
}

at::Tensor forward(const at::Tensor& input, at::IntArrayRef output_size, const at::Tensor& scale,
                   const at::Tensor& translation, c10::string_view filter, bool antialias,
                   std::optional<at::ArrayRef<double>> filter_params, const std::optional<at::Tensor>& indices,
                   const std::optional<at::Tensor>& regions) {
  const SampledCall c = prepare_scale_and_translate(input, output_size, scale, translation, filter, antialias,
                                                    filter_params, indices, regions);
  if (c.result.numel() != 0) {
    AT_DISPATCH_FLOATING_TYPES_AND3(at::kHalf, at::kBFloat16, at::kByte, input.scalar_type(), "scale_and_translate",
                                    [&] { forward_samples<scalar_t>(c); });
  }
  return c.result;
}

// What one output sample gives the input gradient: its transposed plans cut to the input pixels they reach, where that
// block starts, and the geometry of its resample (grad_output's extents to the block's).
template <typename acc_t>
struct Reach {
  Plans<acc_t> plans;
  std::array<int64_t, 3> first{};
  ResampleGeometry geometry;
  bool empty = false;
};

template <typename acc_t>
std::vector<Reach<acc_t>> reaches(const SampledCall& c, const std::vector<std::array<SampledAxis<acc_t>, 3>>& plans) {
  std::vector<Reach<acc_t>> r(c.samples);
  for (int64_t k = 0; k < c.samples; ++k) {
    r[k].geometry = c.image;
    r[k].geometry.in = c.image.out;
    for (int a = 0; a < 3; ++a) {
      const AxisPlan<acc_t> t = transpose_plan(plans[k][a].plan);
      const auto [first, end] = reached_outputs(t);
      r[k].empty = r[k].empty || first == end;
      r[k].plans[a] = output_range(t, first, end);
      r[k].first[a] = first;
      r[k].geometry.out[a] = end - first;
    }
  }
  return r;
}

// The input gradient: each input sample sums, in increasing order, the transposed resamples of the output samples that
// read it, each computed on the block of the input it reaches. Threads split the input samples and their canonical
// batch items (channel planes of a contiguous tensor), so one image with many boxes runs on every thread, and every
// element is summed in the same order for any thread count.
template <typename scalar_t>
void input_gradient(const SampledCall& c) {
  using acc_t = acc_type<scalar_t>;
  const auto reach = reaches<acc_t>(c, sampled_plans<acc_t>(c, false));
  const auto of = samples_of_images(c);
  const int64_t items = c.image.batch;
  const int64_t C = c.image.channels;
  const std::array<int64_t, 3>& in = c.image.in;
  const int64_t item_in = in[0] * in[1] * in[2] * C;
  const int64_t item_out = c.image.out[0] * c.image.out[1] * c.image.out[2] * C;
  const scalar_t* g = c.source.const_data_ptr<scalar_t>();
  scalar_t* gi = c.result.mutable_data_ptr<scalar_t>();
  parallel_for(0, c.images * items, 1, [&](int64_t begin, int64_t end) {
    std::vector<acc_t> sum;
    std::vector<scalar_t> part;
    for (int64_t task = begin; task < end;) {
      const int64_t n = task / items;
      const int64_t i0 = task - n * items;
      const int64_t i1 = std::min(items, i0 + (end - task));  // this chunk's items of sample n
      task += i1 - i0;
      sum.assign((i1 - i0) * item_in, acc_t(0));
      for (const int64_t k : of[n]) {
        const Reach<acc_t>& r = reach[k];
        if (r.empty) {
          continue;
        }
        ResampleGeometry block = r.geometry;
        block.batch = i1 - i0;
        const std::array<int64_t, 3>& b = block.out;
        part.resize(block.batch * b[0] * b[1] * b[2] * C);
        resample_rows<scalar_t, acc_t>(g + k * c.sample_elements() + i0 * item_out, part.data(), block, r.plans);
        // Add the block's rows (b[2] * C contiguous elements) at their place in the input.
        const scalar_t* p = part.data();
        for (int64_t item = 0; item < block.batch; ++item) {
          for (int64_t d = 0; d < b[0]; ++d) {
            for (int64_t h = 0; h < b[1]; ++h, p += b[2] * C) {
              acc_t* row =
                  sum.data() + item * item_in + (((r.first[0] + d) * in[1] + r.first[1] + h) * in[2] + r.first[2]) * C;
              for (int64_t j = 0; j < b[2] * C; ++j) {
                row[j] += static_cast<acc_t>(p[j]);
              }
            }
          }
        }
      }
      scalar_t* out = gi + n * c.image_elements() + i0 * item_in;
      for (size_t j = 0; j < sum.size(); ++j) {
        out[j] = static_cast<scalar_t>(sum[j]);
      }
    }
  });
}

at::Tensor backward(const at::Tensor& grad_output, at::IntArrayRef input_shape, const at::Tensor& scale,
                    const at::Tensor& translation, c10::string_view filter, bool antialias,
                    std::optional<at::ArrayRef<double>> filter_params, const std::optional<at::Tensor>& indices,
                    const std::optional<at::Tensor>& regions) {
  const SampledCall c = prepare_scale_and_translate_backward(grad_output, input_shape, scale, translation, filter,
                                                             antialias, filter_params, indices, regions);
  if (c.result.numel() != 0) {
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, grad_output.scalar_type(), "scale_and_translate_backward",
                                    [&] { input_gradient<scalar_t>(c); });
  }
  return c.result;
}

// Note [sampled layout]
// Many small samples of a planar tensor with many channels (detection heads: 7x7 boxes of 256 channels) give the row
// engine rows of a few pixels in the planar layout, and of pixels x channels in channels-last. There the ops read a
// channels-last copy and convert their result back to the planar layout: the two copies cost less than the short
// rows (256 boxes of a 1x256x64x64 map to 7x7: see benchmarks/sampling.py).
bool reads_channels_last(const at::Tensor& t, int64_t out_w) {
  return t.dim() >= 4 && t.size(1) >= 16 && out_w < 16 && t.suggest_memory_format() == at::MemoryFormat::Contiguous;
}

at::MemoryFormat channels_last_of(const at::Tensor& t) {
  return t.dim() == 4 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::ChannelsLast3d;
}

at::Tensor scale_and_translate_cpu(const at::Tensor& input, at::IntArrayRef output_size, const at::Tensor& scale,
                                   const at::Tensor& translation, c10::string_view filter, bool antialias,
                                   std::optional<at::ArrayRef<double>> filter_params,
                                   const std::optional<at::Tensor>& indices, const std::optional<at::Tensor>& regions) {
  if (!output_size.empty() && reads_channels_last(input, output_size.back())) {
    return forward(input.contiguous(channels_last_of(input)), output_size, scale, translation, filter, antialias,
                   filter_params, indices, regions)
        .contiguous();
  }
  return forward(input, output_size, scale, translation, filter, antialias, filter_params, indices, regions);
}

at::Tensor scale_and_translate_backward_cpu(const at::Tensor& grad_output, at::IntArrayRef input_shape,
                                            const at::Tensor& scale, const at::Tensor& translation,
                                            c10::string_view filter, bool antialias,
                                            std::optional<at::ArrayRef<double>> filter_params,
                                            const std::optional<at::Tensor>& indices,
                                            const std::optional<at::Tensor>& regions) {
  if (reads_channels_last(grad_output, grad_output.size(-1))) {
    return backward(grad_output.contiguous(channels_last_of(grad_output)), input_shape, scale, translation, filter,
                    antialias, filter_params, indices, regions)
        .contiguous();
  }
  return backward(grad_output, input_shape, scale, translation, filter, antialias, filter_params, indices, regions);
}

// d out / d v for a parameter v of axis a is the resample with axis a's derivative plan (Note [scale and
// translate]); v's gradient is that resample summed against grad_output.
template <typename scalar_t>
void param_gradients(const SampledCall& c, const at::Tensor& grad, double* ds, double* dt) {
  using acc_t = acc_type<scalar_t>;
  const auto plans = sampled_plans<acc_t>(c, true);
  const scalar_t* x = c.source.const_data_ptr<scalar_t>();
  const scalar_t* g = grad.const_data_ptr<scalar_t>();
  const int64_t n_out = c.sample_elements();
  parallel_for(0, c.samples, 1, [&](int64_t begin, int64_t end) {
    std::vector<scalar_t> y(n_out);
    for (int64_t k = begin; k < end; ++k) {
      const scalar_t* xk = x + c.sample_input[k] * c.image_elements();
      const scalar_t* gk = g + k * n_out;
      const auto against = [&](int a, const AxisPlan<acc_t>& derivative) {
        Plans<acc_t> p = plans_of(plans[k]);
        p[a] = derivative;
        resample_rows<scalar_t, acc_t>(xk, y.data(), c.image, p);
        double sum = 0.0;
        for (int64_t i = 0; i < n_out; ++i) {
          sum += static_cast<double>(gk[i]) * static_cast<double>(y[i]);
        }
        return sum;
      };
      for (int64_t axis = 0; axis < c.spatial; ++axis) {
        const int a = static_cast<int>(3 - c.spatial + axis);
        ds[k * c.spatial + axis] = against(a, plans[k][a].d_scale);
        dt[k * c.spatial + axis] = against(a, plans[k][a].d_translation);
      }
    }
  });
}

std::tuple<at::Tensor, at::Tensor> scale_and_translate_param_backward_cpu(
    const at::Tensor& grad_output, const at::Tensor& input, const at::Tensor& scale, const at::Tensor& translation,
    c10::string_view filter, bool antialias, std::optional<at::ArrayRef<double>> filter_params,
    const std::optional<at::Tensor>& indices, const std::optional<at::Tensor>& regions) {
  at::Tensor grad;
  const SampledCall c = prepare_scale_and_translate_params(grad_output, input, scale, translation, filter, antialias,
                                                           filter_params, indices, regions, &grad);
  const auto options = at::TensorOptions().dtype(at::kDouble);
  at::Tensor d_scale = at::empty({c.samples, c.spatial}, options);
  at::Tensor d_translation = at::empty({c.samples, c.spatial}, options);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, input.scalar_type(), "scale_and_translate_param_backward",
                                  [&] {
                                    param_gradients<scalar_t>(c, grad, d_scale.mutable_data_ptr<double>(),
                                                              d_translation.mutable_data_ptr<double>());
                                  });
  return {d_scale.to(scale.device()), d_translation.to(translation.device())};
}

}  // namespace

TORCH_LIBRARY_IMPL(torchresample, CPU, m) {
  m.impl("scale_and_translate", &scale_and_translate_cpu);
  m.impl("scale_and_translate_backward", &scale_and_translate_backward_cpu);
  m.impl("scale_and_translate_param_backward", &scale_and_translate_param_backward_cpu);
}

}  // namespace torchresample
