// Checks, layout and per-sample parameters of the scale_and_translate ops (one definition for CPU and CUDA).
#include "sampled_glue.h"

#include "allocate.h"
#include "layout.h"
#include "resample_glue.h"

#include <ATen/ops/empty.h>
#include <c10/util/Exception.h>

#include <cmath>

namespace torchresample {
namespace {

// `values` (K, spatial) of any floating dtype and device, as doubles on the host, row by row.
std::vector<double> per_sample(const at::Tensor& values, int64_t samples, int64_t spatial, const char* name,
                               const char* op) {
  TORCH_CHECK(values.dim() == 2 && values.size(0) == samples && values.size(1) == spatial, "torchresample::", op,
              ": expected ", name, " of shape (", samples, ", ", spatial, ") (one row per output sample), but got ",
              values.sizes());
  TORCH_CHECK(at::isFloatingType(values.scalar_type()), "torchresample::", op, ": expected a floating ", name,
              ", but got ", values.scalar_type());
  const at::Tensor host = values.to(at::kCPU, at::kDouble).contiguous();
  const double* p = host.const_data_ptr<double>();
  return std::vector<double>(p, p + samples * spatial);
}

// The batch, filter and parameters of a call whose output samples are (K, C, *output spatial) and whose input has
// `images` samples of the spatial extents `in_spatial`.
SampledCall common(int64_t images, int64_t channels, at::IntArrayRef in_spatial, at::IntArrayRef out_spatial,
                   const at::Tensor& scale, const at::Tensor& translation, c10::string_view filter, bool antialias,
                   std::optional<at::ArrayRef<double>> filter_params, const std::optional<at::Tensor>& indices,
                   const std::optional<at::Tensor>& regions, at::MemoryFormat layout, const char* op) {
  SampledCall c;
  c.filter = parse_filter(filter, op);
  c.params = parse_filter_params(c.filter, filter_params.value_or(at::ArrayRef<double>()), op);
  c.antialias = antialias;
  c.spatial = static_cast<int64_t>(out_spatial.size());
  c.images = images;
  c.layout = layout;
  bool positive = true;
  for (int64_t a = 0; a < c.spatial; ++a) {
    positive = positive && in_spatial[a] > 0 && out_spatial[a] > 0;
  }
  TORCH_CHECK(positive, "torchresample::", op, ": input and output sizes should be greater than 0, but got input ",
              in_spatial, " and output ", out_spatial);
  if (indices.has_value()) {
    const at::Tensor& idx = *indices;
    TORCH_CHECK(idx.dim() == 1 && idx.scalar_type() == at::kLong, "torchresample::", op,
                ": expected indices to be a 1-D int64 tensor, but got ", idx.sizes(), " ", idx.scalar_type());
    const at::Tensor host = idx.to(at::kCPU).contiguous();
    const int64_t* p = host.const_data_ptr<int64_t>();
    c.sample_input.assign(p, p + host.numel());
    for (size_t k = 0; k < c.sample_input.size(); ++k) {
      TORCH_CHECK_INDEX(c.sample_input[k] >= 0 && c.sample_input[k] < images, "torchresample::", op, ": indices[", k,
                        "] = ", c.sample_input[k], " is out of range for an input of ", images, " samples");
    }
  } else {
    c.sample_input.resize(images);
    for (int64_t n = 0; n < images; ++n) {
      c.sample_input[n] = n;
    }
  }
  c.samples = static_cast<int64_t>(c.sample_input.size());
  c.scale = per_sample(scale, c.samples, c.spatial, "scale", op);
  c.translation = per_sample(translation, c.samples, c.spatial, "translation", op);
  for (size_t i = 0; i < c.scale.size(); ++i) {
    TORCH_CHECK_VALUE(std::isfinite(c.scale[i]) && c.scale[i] > 0 && std::isfinite(c.translation[i]),
                      "torchresample::", op, ": scales must be positive and finite and translations finite, but got ",
                      "scale ", c.scale[i], " and translation ", c.translation[i]);
  }
  if (regions.has_value()) {
    const at::Tensor& r = *regions;
    TORCH_CHECK(r.dim() == 2 && r.size(0) == c.samples && r.size(1) == 2 * c.spatial && r.scalar_type() == at::kLong,
                "torchresample::", op, ": expected regions as an int64 tensor of shape (", c.samples, ", ",
                2 * c.spatial, ") (each sample's first and end indices per axis), but got ", r.sizes(), " ",
                r.scalar_type());
    const at::Tensor host = r.to(at::kCPU).contiguous();
    const int64_t* p = host.const_data_ptr<int64_t>();
    c.region_first.resize(c.samples * c.spatial);
    c.region_size.resize(c.samples * c.spatial);
    for (int64_t k = 0; k < c.samples; ++k) {
      for (int64_t a = 0; a < c.spatial; ++a) {
        const int64_t first = p[k * 2 * c.spatial + a];
        const int64_t end = p[k * 2 * c.spatial + c.spatial + a];
        TORCH_CHECK_INDEX(0 <= first && first < end && end <= in_spatial[a], "torchresample::", op, ": region ", k,
                          " spans [", first, ", ", end, ") on spatial axis ", a, ", outside an input of ",
                          in_spatial[a]);
        c.region_first[k * c.spatial + a] = first;
        c.region_size[k * c.spatial + a] = end - first;
      }
    }
  }
  const BatchChannels bc = batch_channels(std::array<int64_t, 2>{1, channels}, layout);
  c.image.batch = bc.batch;
  c.image.channels = bc.channels;
  for (int64_t a = 0; a < c.spatial; ++a) {
    c.image.in[3 - c.spatial + a] = in_spatial[a];
    c.image.out[3 - c.spatial + a] = out_spatial[a];
  }
  return c;
}

void check_rank(int64_t dim, int64_t spatial, const char* what, const char* op) {
  TORCH_CHECK(spatial >= 1 && spatial <= 3 && dim == spatial + 2, "torchresample::", op, ": expected ", what,
              " of shape (N, C, *spatial) with 1, 2 or 3 spatial axes, one per output size, but got a ", dim,
              "-D tensor and ", spatial, " output sizes");
}

at::MemoryFormat format_of(const at::Tensor& t) {
  return t.dim() >= 4 ? t.suggest_memory_format() : at::MemoryFormat::Contiguous;
}

}  // namespace

SampledCall prepare_scale_and_translate(const at::Tensor& input, at::IntArrayRef output_size, const at::Tensor& scale,
                                        const at::Tensor& translation, c10::string_view filter, bool antialias,
                                        std::optional<at::ArrayRef<double>> filter_params,
                                        const std::optional<at::Tensor>& indices,
                                        const std::optional<at::Tensor>& regions) {
  const char* op = "scale_and_translate";
  check_rank(input.dim(), static_cast<int64_t>(output_size.size()), "input", op);
  const auto dtype = input.scalar_type();
  TORCH_CHECK_NOT_IMPLEMENTED(at::isFloatingType(dtype) || dtype == at::kByte, "torchresample::", op,
                              ": not implemented for '", toString(dtype), "' (floating point and uint8 tensors are ",
                              "supported)");
  TORCH_CHECK(input.layout() == at::kStrided, "torchresample::", op, ": expected a strided tensor");
  TORCH_CHECK(input.size(1) > 0, "torchresample::", op, ": expected input with channels, but got ", input.sizes());
  const at::MemoryFormat layout = format_of(input);
  SampledCall c = common(input.size(0), input.size(1), input.sizes().slice(2), output_size, scale, translation, filter,
                         antialias, filter_params, indices, regions, layout, op);
  c.source = input.contiguous(layout);
  std::vector<int64_t> shape{c.samples, input.size(1)};
  shape.insert(shape.end(), output_size.begin(), output_size.end());
  c.result = empty_output(shape, input.options().memory_format(layout));
  return c;
}

SampledCall prepare_scale_and_translate_backward(const at::Tensor& grad_output, at::IntArrayRef input_shape,
                                                 const at::Tensor& scale, const at::Tensor& translation,
                                                 c10::string_view filter, bool antialias,
                                                 std::optional<at::ArrayRef<double>> filter_params,
                                                 const std::optional<at::Tensor>& indices,
                                                 const std::optional<at::Tensor>& regions) {
  const char* op = "scale_and_translate_backward";
  check_rank(grad_output.dim(), grad_output.dim() - 2, "grad_output", op);
  TORCH_CHECK(static_cast<int64_t>(input_shape.size()) == grad_output.dim() && input_shape[1] == grad_output.size(1),
              "torchresample::", op, ": expected the input's shape (N, C, *spatial) with grad_output's channels, but ",
              "got ", input_shape, " for grad_output ", grad_output.sizes());
  TORCH_CHECK_NOT_IMPLEMENTED(at::isFloatingType(grad_output.scalar_type()), "torchresample::", op,
                              ": not implemented for '", toString(grad_output.scalar_type()), "'");
  TORCH_CHECK(grad_output.layout() == at::kStrided, "torchresample::", op, ": expected a strided tensor");
  const at::MemoryFormat layout = format_of(grad_output);
  SampledCall c = common(input_shape[0], input_shape[1], input_shape.slice(2), grad_output.sizes().slice(2), scale,
                         translation, filter, antialias, filter_params, indices, regions, layout, op);
  TORCH_CHECK(grad_output.size(0) == c.samples, "torchresample::", op, ": expected grad_output of ", c.samples,
              " samples, but got ", grad_output.size(0));
  c.source = grad_output.contiguous(layout);
  c.result = empty_output(input_shape, grad_output.options().memory_format(layout));
  return c;
}

SampledCall prepare_scale_and_translate_params(const at::Tensor& grad_output, const at::Tensor& input,
                                               const at::Tensor& scale, const at::Tensor& translation,
                                               c10::string_view filter, bool antialias,
                                               std::optional<at::ArrayRef<double>> filter_params,
                                               const std::optional<at::Tensor>& indices,
                                               const std::optional<at::Tensor>& regions, at::Tensor* grad) {
  const char* op = "scale_and_translate_param_backward";
  check_rank(input.dim(), grad_output.dim() - 2, "input", op);
  TORCH_CHECK(grad_output.dim() == input.dim() && grad_output.size(1) == input.size(1), "torchresample::", op,
              ": expected grad_output with the input's channels, but got ", grad_output.sizes(), " for input ",
              input.sizes());
  TORCH_CHECK_NOT_IMPLEMENTED(at::isFloatingType(input.scalar_type()), "torchresample::", op, ": not implemented for '",
                              toString(input.scalar_type()), "'");
  TORCH_CHECK(grad_output.device() == input.device() && grad_output.scalar_type() == input.scalar_type(),
              "torchresample::", op, ": expected grad_output on the input's device and of its dtype");
  const at::MemoryFormat layout = format_of(input);
  SampledCall c = common(input.size(0), input.size(1), input.sizes().slice(2), grad_output.sizes().slice(2), scale,
                         translation, filter, antialias, filter_params, indices, regions, layout, op);
  TORCH_CHECK(grad_output.size(0) == c.samples, "torchresample::", op, ": expected grad_output of ", c.samples,
              " samples, but got ", grad_output.size(0));
  c.source = input.contiguous(layout);
  *grad = grad_output.contiguous(layout);
  return c;
}

std::vector<std::vector<int64_t>> samples_of_images(const SampledCall& c) {
  std::vector<std::vector<int64_t>> of(c.images);
  for (int64_t k = 0; k < c.samples; ++k) {
    of[c.sample_input[k]].push_back(k);
  }
  return of;
}

}  // namespace torchresample
