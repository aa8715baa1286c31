// Glue shared by the CPU and CUDA scale_and_translate ops (Note [scale and translate]): checks, layout, per-sample
// plans.
#pragma once

#include "../common/geometry.h"
#include "../common/sampled_plan.h"

#include <ATen/core/Tensor.h>

#include <array>
#include <optional>
#include <vector>

namespace torchresample {

// One scale_and_translate call, or one of its backward calls, made ready for a kernel. Output sample k resamples input
// sample sample_input[k] with its own scale and translation per spatial axis.
struct SampledCall {
  Filter filter;
  FilterParams params;
  bool antialias;
  int64_t spatial;                    // resampled axes: the last `spatial` of the input
  int64_t samples;                    // K, the output samples
  int64_t images;                     // N, the input samples
  at::MemoryFormat layout;            // the input's suggested format: source and result are dense in it
  at::Tensor source;                  // input (forward, parameter gradient) or grad_output (input gradient)
  at::Tensor result;                  // output or grad_input; undefined for the parameter gradient
  std::vector<double> scale;          // K * spatial, one row per output sample
  std::vector<double> translation;    // K * spatial
  std::vector<int64_t> sample_input;  // K: the input sample each output sample reads
  // K * spatial each, or empty: the part of its input each output sample sees as the whole input (Note [scale and
  // translate]: the definition applies to the region, whose outside is out of the input).
  std::vector<int64_t> region_first;
  std::vector<int64_t> region_size;
  ResampleGeometry image;  // one sample in the canonical layout, the forward's extents (in -> out)

  // The elements of one input sample and of one output sample.
  int64_t image_elements() const { return image.batch * image.channels * image.in[0] * image.in[1] * image.in[2]; }
  int64_t sample_elements() const { return image.batch * image.channels * image.out[0] * image.out[1] * image.out[2]; }
};

// The forward: result (K, C, *output_size) in the input's suggested format.
SampledCall prepare_scale_and_translate(const at::Tensor& input, at::IntArrayRef output_size, const at::Tensor& scale,
                                        const at::Tensor& translation, c10::string_view filter, bool antialias,
                                        std::optional<at::ArrayRef<double>> filter_params,
                                        const std::optional<at::Tensor>& indices,
                                        const std::optional<at::Tensor>& regions);

// The gradient with respect to the input: source grad_output (K, C, *output spatial), result (input_shape).
SampledCall prepare_scale_and_translate_backward(const at::Tensor& grad_output, at::IntArrayRef input_shape,
                                                 const at::Tensor& scale, const at::Tensor& translation,
                                                 c10::string_view filter, bool antialias,
                                                 std::optional<at::ArrayRef<double>> filter_params,
                                                 const std::optional<at::Tensor>& indices,
                                                 const std::optional<at::Tensor>& regions);

// The gradients with respect to scale and translation: source the input; grad_output checked against the forward's
// output shape and laid out like the forward's result (returned through `grad`).
SampledCall prepare_scale_and_translate_params(const at::Tensor& grad_output, const at::Tensor& input,
                                               const at::Tensor& scale, const at::Tensor& translation,
                                               c10::string_view filter, bool antialias,
                                               std::optional<at::ArrayRef<double>> filter_params,
                                               const std::optional<at::Tensor>& indices,
                                               const std::optional<at::Tensor>& regions, at::Tensor* grad);

// The three canonical axes of every output sample (Note [canonical layout]: padded axes are identities), with the
// derivative plans of the resampled axes when asked for.
template <typename T>
std::vector<std::array<SampledAxis<T>, 3>> sampled_plans(const SampledCall& c, bool derivatives) {
  std::vector<std::array<SampledAxis<T>, 3>> plans(c.samples);
  for (int64_t k = 0; k < c.samples; ++k) {
    for (int a = 0; a < 3; ++a) {
      const int64_t axis = a - (3 - c.spatial);  // the caller's axis; < 0 on padded axes
      if (axis < 0) {
        plans[k][a].plan = identity_plan<T>(c.image.in[a]);
      } else {
        const int64_t i = k * c.spatial + axis;
        if (c.region_first.empty()) {
          plans[k][a] = sampled_axis<T>(c.filter, c.params, c.antialias, c.image.in[a], c.image.out[a], c.scale[i],
                                        c.translation[i], derivatives);
        } else {
          plans[k][a] = sampled_axis<T>(c.filter, c.params, c.antialias, c.region_size[i], c.image.out[a], c.scale[i],
                                        c.translation[i], derivatives);
          place_in_input(plans[k][a], c.region_first[i], c.image.in[a]);
        }
      }
    }
  }
  return plans;
}

// The output samples that read each input sample, in increasing order (the input gradient sums them in that order).
std::vector<std::vector<int64_t>> samples_of_images(const SampledCall& c);

}  // namespace torchresample
