// Argument checks and canonical geometry of the resample ops (one definition for CPU and CUDA).
#include "resample_glue.h"

#include "allocate.h"

#include <ATen/Version.h>
#include <c10/util/Exception.h>

#include <cmath>
#include <sstream>

namespace torchresample {

Filter parse_filter(c10::string_view name, const char* op) {
  Filter f = Filter::Nearest;
  if (find_filter(name.data(), name.size(), &f)) {
    return f;
  }
  std::ostringstream names;
  for (int i = 0; i < kFilterCount; ++i) {
    names << (i ? ", " : "") << filter_name(static_cast<Filter>(i));
  }
  TORCH_CHECK_VALUE(false, "torchresample::", op, ": unknown filter '", std::string(name), "'; expected one of ",
                    names.str());
}

FilterParams parse_filter_params(Filter filter, at::ArrayRef<double> given, const char* op) {
  FilterParams params{};
  const char* error = resolve_filter_params(filter, given.data(), given.size(), &params);
  TORCH_CHECK_VALUE(error == nullptr, "torchresample::", op, ": filter '", filter_name(filter), "' ",
                    error ? error : "", " (got ", given, ")");
  return params;
}

std::string filter_kind_name(c10::string_view filter) {
  Filter f = Filter::Nearest;
  if (!find_filter(filter.data(), filter.size(), &f)) {
    return "";
  }
  return kind_name(filter_kind(f));
}

std::vector<double> filter_param_values(c10::string_view filter,
                                        const std::optional<c10::Dict<std::string, double>>& params) {
  const Filter f = parse_filter(filter, "filter_param_values");
  if (!params.has_value()) {
    return {};
  }
  return with_filter(f, [&](auto F) {
    using Row = decltype(F);
    std::vector<double> values;
    size_t used = 0;
    for (const FilterParam& p : Row::params) {
      const auto it = params->find(p.name);
      used += it != params->end();
      values.push_back(it != params->end() ? it->value() : p.default_value);
    }
    TORCH_CHECK_VALUE(
        used == params->size(), "torchresample::filter_param_values: filter_params are not all parameters of the '",
        Row::name, "' filter (its parameters: ", Row::params.empty() ? "none" : "",
        [&] {
          std::string names;
          for (const FilterParam& p : Row::params) {
            names += (names.empty() ? "'" : ", '") + std::string(p.name) + "'";
          }
          return names;
        }(),
        ")");
    return values;
  });
}

ResampleGeometry make_geometry(at::IntArrayRef sizes, at::IntArrayRef out_spatial, at::MemoryFormat format) {
  ResampleGeometry g;
  const int64_t spatial = static_cast<int64_t>(sizes.size()) - 2;
  const BatchChannels bc = batch_channels(sizes, format);
  g.batch = bc.batch;
  g.channels = bc.channels;
  for (int64_t k = 0; k < spatial; ++k) {
    g.in[3 - spatial + k] = sizes[2 + k];
    g.out[3 - spatial + k] = out_spatial[k];
  }
  return g;
}

namespace {

// The op's `scales` as ScaleFactors, or the op's error: RuntimeError for their count, ValueError for a value.
ScaleFactors decode_scale_factors(std::optional<at::ArrayRef<double>> scales, int64_t spatial, const char* op) {
  if (!scales.has_value()) {
    return ScaleFactors(spatial, 0.0);
  }
  TORCH_CHECK(static_cast<int64_t>(scales->size()) == spatial, "torchresample::", op, ": expected None or ", spatial,
              " scales (one per spatial axis), but got ", scales->size());
  for (int64_t k = 0; k < spatial; ++k) {
    const double s = (*scales)[k];
    TORCH_CHECK_VALUE(std::isfinite(s) && s > 0, "torchresample::", op,
                      ": scales must be positive and finite, but got ", s, " for spatial axis ", k);
  }
  return ScaleFactors(scales->begin(), scales->end());
}

}  // namespace

namespace {

// "(D: 1, H: 2, W: 3)" for the trailing spatial extents, as torch's messages print them.
std::string spatial_string(at::IntArrayRef spatial) {
  static const char* names[] = {"D", "H", "W"};
  std::ostringstream s;
  s << "(";
  const size_t n = spatial.size();
  for (size_t k = 0; k < n; ++k) {
    s << (k ? ", " : "") << names[3 - n + k] << ": " << spatial[k];
  }
  s << ")";
  return s.str();
}

void check_common(at::IntArrayRef in_sizes, at::IntArrayRef out_spatial, Filter filter, bool antialias,
                  const char* what, bool forward) {
  const char* op = forward ? "resample" : "resample_backward";
  const int64_t dim = static_cast<int64_t>(in_sizes.size());
  TORCH_CHECK(dim >= 3 && dim <= 5, "torchresample::", op, ": expected ", what,
              " with 3, 4 or 5 dimensions (N, C, spatial...), but got a ", dim, "-D tensor");
  const int64_t spatial = dim - 2;
  TORCH_CHECK(static_cast<int64_t>(out_spatial.size()) == spatial, "It is expected output_size equals to ", spatial,
              ", but got size ", out_spatial.size());
  const auto in_spatial = in_sizes.slice(2);
  // torch's area mode is adaptive average pooling, whose forward accepts an output extent of 0 (an empty
  // result); its backward, like every other mode, requires positive extents.
  const bool empty_ok = forward && filter_kind(filter) == FilterKind::kArea;
  bool positive = true;
  for (int64_t k = 0; k < spatial; ++k) {
    positive = positive && in_spatial[k] > 0 && (out_spatial[k] > 0 || (empty_ok && out_spatial[k] == 0));
  }
  TORCH_CHECK(positive, "Input and output sizes should be greater than ", empty_ok ? "or equal to 0" : "0",
              ", but got input ", spatial_string(in_spatial), " output ", spatial_string(out_spatial));
  TORCH_CHECK_VALUE(!antialias || takes_antialias(filter), "torchresample::", op, ": antialias is not defined for the ",
                    filter_name(filter), " filter");
}

}  // namespace

void check_resample(const at::Tensor& input, at::IntArrayRef output_size, Filter filter, bool antialias) {
  check_common(input.sizes(), output_size, filter, antialias, "input", /*forward=*/true);
  const auto sizes = input.sizes();
  // Only the batch may be empty (torch's upsample_*_common_check); area, adaptive average pooling in torch, also
  // takes empty channels in 1-D and 2-D.
  TORCH_CHECK(input.numel() != 0 || (filter_kind(filter) == FilterKind::kArea && sizes.size() <= 4) ||
                  c10::multiply_integers(sizes.begin() + 1, sizes.end()) != 0,
              "Non-empty ", sizes.size(), "D data tensor expected but got a tensor with sizes ", sizes);
  const auto dtype = input.scalar_type();
  TORCH_CHECK_NOT_IMPLEMENTED(at::isFloatingType(dtype) || dtype == at::kByte,
                              "torchresample::resample: not implemented for '", toString(dtype),
                              "' (floating point and uint8 tensors are supported)");
  TORCH_CHECK(input.layout() == at::kStrided, "torchresample::resample: expected a strided tensor");
}

void check_resample_backward(const at::Tensor& grad_output, at::IntArrayRef input_size, Filter filter, bool antialias) {
  const int64_t dim = grad_output.dim();
  TORCH_CHECK(dim >= 3 && dim <= 5,
              "torchresample::resample_backward: expected grad_output with 3, 4 or 5 dimensions (N, C, spatial...), "
              "but got a ",
              dim, "-D tensor");
  TORCH_CHECK(static_cast<int64_t>(input_size.size()) == dim - 2, "torchresample::resample_backward: expected ",
              dim - 2, " input sizes (the spatial extents of the input), but got ", input_size.size());
  check_common(with_spatial(grad_output.sizes(), input_size), grad_output.sizes().slice(2), filter, antialias,
               "input_size", /*forward=*/false);
  const auto dtype = grad_output.scalar_type();
  TORCH_CHECK_NOT_IMPLEMENTED(at::isFloatingType(dtype), "torchresample::resample_backward: not implemented for '",
                              toString(dtype), "' (floating point tensors are supported)");
  TORCH_CHECK(grad_output.layout() == at::kStrided, "torchresample::resample_backward: expected a strided tensor");
}

namespace {

// Note [layout by strides]
// torch returns its result in the source's suggest_memory_format(), which reads the strides of size-1 dimensions
// too: a photo as numpy or PIL decode it, viewed as NCHW (torch.from_numpy(hwc).permute(2, 0, 1)[None], strides
// (3, 1, 3W, 3)), is channels-last in memory but suggests contiguous, because its batch stride is 3. Copying such
// a source into the suggested format cost a 1080p photo five times the resize itself. So the engine reads the
// source in the layout it is contiguous in (is_contiguous ignores size-1 dimensions: the strides of the dimensions
// larger than 1 decide), and only a source contiguous in neither layout (a crop, an expanded channel) is copied,
// into the layout its strides follow (a crop of a photo view into channels-last). The result keeps torch's
// format; when it differs from the engine's layout, the smaller side is converted: the result after the kernel (a
// downscale reads the photo in place), or the source before it, except where the kernel stores a planar result
// from the channels-last engine itself (`stores_planar`: the CPU's fixed-point uint8 engine, 2-D), which then reads a
// channels-last source in place whatever the sizes (a photo view upscaled). The bits are those of the engine's
// layout (layouts may round floats differently; uint8 and nearest are the same bits in every layout).
at::MemoryFormat engine_layout(const at::Tensor& source, at::MemoryFormat returned, int64_t result_numel,
                               bool stores_planar) {
  if (source.dim() < 4 || source.is_contiguous(returned)) {
    return returned;
  }
  const bool to_channels_last = returned == at::MemoryFormat::Contiguous;
  const auto other = to_channels_last ? channels_last_format(source.dim()) : at::MemoryFormat::Contiguous;
  if (stores_planar && to_channels_last && source.is_contiguous(other)) {
    return other;
  }
  // A source contiguous in neither layout is copied: a crop of an image view (channels interleaved, the channel
  // stride the smallest) into channels-last, a row copy, rather than transposed into the suggested format.
  const bool interleaved = to_channels_last && source.size(1) > 1 && source.size(-1) > 1 && source.stride(1) > 0 &&
                           source.stride(1) < source.stride(-1);
  return (source.is_contiguous(other) || interleaved) && result_numel < source.numel() ? other : returned;
}

// What both directions share: the call's options, the layouts (Note [layout by strides]), the source in the
// engine's layout and the result allocated in it.
ResampleCall laid_out(const at::Tensor& source, at::IntArrayRef result_shape, Filter filter, const ResampleArgs& args,
                      bool backward) {
  const char* op = backward ? "resample_backward" : "resample";
  ResampleCall c;
  c.filter = filter;
  c.params = parse_filter_params(filter, args.filter_params, op);
  c.align_corners = args.align_corners;
  c.antialias = args.antialias;
  c.backward = backward;
  c.scale_factors = decode_scale_factors(args.scales, source.dim() - 2, op);
  c.returned_layout = source.suggest_memory_format();
  // resample_cpu's uint8_rows: 2-D only (a resampled D runs the float engine, whose bits may differ by layout).
  const bool stores_planar = !backward && source.is_cpu() && source.scalar_type() == at::kByte && source.dim() == 4 &&
                             filter_kind(filter) != FilterKind::kPoint;
  c.layout = engine_layout(source, c.returned_layout, c10::multiply_integers(result_shape), stores_planar);
  c.source = source.contiguous(c.layout);
  c.result = empty_output(result_shape, source.options().memory_format(c.layout));
  // torch's CPU nearest takes its channels-last kernel for a source contiguous in that layout with 4+ channels
  // (_use_vectorized_kernel_cond_2d/3d), whatever the suggested format (Note [nearest index]).
  c.channels_last_kernel =
      source.dim() >= 4 && source.size(1) > 3 && source.is_contiguous(channels_last_format(source.dim()));
  return c;
}

}  // namespace

at::Tensor ResampleCall::returned() const {
  return layout == returned_layout ? result : result.contiguous(returned_layout);
}

namespace {

// Whether torch's CPU kernels fuse multiply-adds (Note [nearest index]): its x86 kernels are built once per
// capability, with FMA from AVX2 on, and ATEN_CPU_CAPABILITY can force DEFAULT; GCC and clang contract by
// default on aarch64; MSVC does not contract.
bool torch_cpu_fuses() {
#if defined(_MSC_VER)
  return false;
#elif defined(__x86_64__) || defined(__i386__)
  static const bool fused = at::get_cpu_capability() != "DEFAULT";
  return fused;
#else
  return true;
#endif
}

}  // namespace

NearestRule nearest_rule(const ResampleCall& c, PlanDevice device) {
  if (device == PlanDevice::kCuda) {
    return {NearestKernel::kCuda};
  }
  const int64_t spatial = static_cast<int64_t>(c.scale_factors.size());
  // torch's indexed kernels: channels-last input of 4+ channels, 2-D outputs of at most 128 rows plus columns,
  // and every backward.
  const bool small_2d = spatial == 2 && c.forward.out[1] + c.forward.out[2] <= 128;
  if (c.backward || (spatial > 1 && c.channels_last_kernel) || small_2d) {
    return {NearestKernel::kIndexed};
  }
  return {NearestKernel::kSeparable, torch_cpu_fuses()};
}

ResampleCall prepare_resample(const at::Tensor& input, at::IntArrayRef output_size, const ResampleArgs& args) {
  const Filter f = parse_filter(args.filter, "resample");
  check_resample(input, output_size, f, args.antialias);
  ResampleCall c = laid_out(input, with_spatial(input.sizes(), output_size), f, args, false);
  c.geometry = c.forward = make_geometry(input.sizes(), output_size, c.layout);
  return c;
}

ResampleCall prepare_resample_backward(const at::Tensor& grad_output, at::IntArrayRef input_size,
                                       const ResampleArgs& args) {
  const Filter f = parse_filter(args.filter, "resample_backward");
  check_resample_backward(grad_output, input_size, f, args.antialias);
  const auto input_shape = with_spatial(grad_output.sizes(), input_size);
  ResampleCall c = laid_out(grad_output, input_shape, f, args, true);
  c.forward = make_geometry(input_shape, grad_output.sizes().slice(2), c.layout);
  c.geometry = c.forward;
  std::swap(c.geometry.in, c.geometry.out);
  return c;
}

}  // namespace torchresample
