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
#include <vector>

namespace torchresample {
namespace {

template <typename T>
using Plans = std::array<AxisPlan<T>, 3>;

template <typename T>
Plans<T> plans_of(const std::array<SampledAxis<T>, 3>& axes) {
  return {axes[0].plan, axes[1].plan, axes[2].plan};
}

at::Tensor scale_and_translate_cpu(const at::Tensor& input, at::IntArrayRef output_size, const at::Tensor& scale,
                                   const at::Tensor& translation, c10::string_view filter, bool antialias,
                                   std::optional<at::ArrayRef<double>> filter_params,
                                   const std::optional<at::Tensor>& indices, const std::optional<at::Tensor>& regions) {
  const SampledCall c = prepare_scale_and_translate(input, output_size, scale, translation, filter, antialias,
                                                    filter_params, indices, regions);
  if (c.result.numel() == 0) {
    return c.result;
  }
  AT_DISPATCH_FLOATING_TYPES_AND3(at::kHalf, at::kBFloat16, at::kByte, input.scalar_type(), "scale_and_translate", [&] {
    using acc_t = acc_type<scalar_t>;
    const auto plans = sampled_plans<acc_t>(c, false);
    const scalar_t* src = c.source.const_data_ptr<scalar_t>();
    scalar_t* dst = c.result.mutable_data_ptr<scalar_t>();
    // Samples in parallel; inside one, the row engine runs on the calling thread (a single sample runs its rows in
    // parallel instead).
    parallel_for(0, c.samples, 1, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k) {
        resample_rows<scalar_t, acc_t>(src + c.sample_input[k] * c.image_elements(), dst + k * c.sample_elements(),
                                       c.image, plans_of(plans[k]));
      }
    });
  });
  return c.result;
}

at::Tensor scale_and_translate_backward_cpu(const at::Tensor& grad_output, at::IntArrayRef input_shape,
                                            const at::Tensor& scale, const at::Tensor& translation,
                                            c10::string_view filter, bool antialias,
                                            std::optional<at::ArrayRef<double>> filter_params,
                                            const std::optional<at::Tensor>& indices,
                                            const std::optional<at::Tensor>& regions) {
  const SampledCall c = prepare_scale_and_translate_backward(grad_output, input_shape, scale, translation, filter,
                                                             antialias, filter_params, indices, regions);
  if (c.result.numel() == 0) {
    return c.result;
  }
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, grad_output.scalar_type(), "scale_and_translate_backward", [&] {
        using acc_t = acc_type<scalar_t>;
        const auto plans = sampled_plans<acc_t>(c, false);
        const auto of = samples_of_images(c);
        ResampleGeometry back = c.image;
        std::swap(back.in, back.out);
        const scalar_t* g = c.source.const_data_ptr<scalar_t>();
        scalar_t* gi = c.result.mutable_data_ptr<scalar_t>();
        const int64_t n_in = c.image_elements();
        parallel_for(0, c.images, 1, [&](int64_t begin, int64_t end) {
          std::vector<scalar_t> part;
          std::vector<acc_t> sum;
          for (int64_t n = begin; n < end; ++n) {
            scalar_t* out = gi + n * n_in;
            // Each output sample's transposed resample, added in increasing order.
            for (size_t j = 0; j < of[n].size(); ++j) {
              const int64_t k = of[n][j];
              Plans<acc_t> t;
              for (int a = 0; a < 3; ++a) {
                t[a] = transpose_plan(plans[k][a].plan);
              }
              const scalar_t* gk = g + k * c.sample_elements();
              if (of[n].size() == 1) {
                resample_rows<scalar_t, acc_t>(gk, out, back, t);
                break;
              }
              part.resize(n_in);
              sum.resize(n_in);
              resample_rows<scalar_t, acc_t>(gk, part.data(), back, t);
              for (int64_t i = 0; i < n_in; ++i) {
                sum[i] = j == 0 ? static_cast<acc_t>(part[i]) : sum[i] + static_cast<acc_t>(part[i]);
              }
            }
            if (of[n].empty()) {
              std::fill(out, out + n_in, scalar_t(0));
            } else if (of[n].size() > 1) {
              for (int64_t i = 0; i < n_in; ++i) {
                out[i] = static_cast<scalar_t>(sum[i]);
              }
            }
          }
        });
      });
  return c.result;
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
