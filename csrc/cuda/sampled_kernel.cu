// CUDA scale_and_translate ops (Note [scale and translate]): one gather kernel over per-sample plans, built on the
// host in one pass for every sample (the code the CPU kernels use) and sent in one upload. The forward reads each
// output sample's input sample through its plans; the input gradient of an input sample sums the output samples that
// read it, through their transposed plans, in increasing order (a gather: no atomics, the same bits on every run); the
// parameter gradients resample with one axis's derivative plan and sum against grad_output.
#include "../common/store.h"
#include "../glue/sampled_glue.h"
#include "row_launch.cuh"

#include <ATen/Dispatch.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>
#include <torch/library.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <tuple>
#include <vector>

namespace torchresample {
namespace {

// Which source samples each output sample sums, and through whose plans. Forward: output sample s reads source sample
// source[s] through the plans of s. Input gradient: input sample n sums source[j] for j in [first[n], first[n + 1]),
// each through its own plans.
struct SampleSources {
  Divisor by_items;       // canonical batch items per sample
  const int64_t* first;   // nullptr: one source per output sample
  const int64_t* source;  // the source sample of each entry
  bool plans_of_source;   // an entry's plans are its source's (input gradient), else the output sample's
};

// The window of output o of sample p's plan; a plan view without start table is the identity of an axis that is not
// resampled.
template <typename acc_t>
__device__ __forceinline__ Window<acc_t> sample_window(const PlanView<acc_t>& a, int64_t p, int64_t out, int64_t o) {
  return window(a, a.start == nullptr ? o : p * out + o);
}

// out[s, item, od, oh, ow, c] = sum over the sources of s of the windowed tap sum of their plans.
template <typename in_t, typename out_t, typename acc_t>
__global__ void __launch_bounds__(kThreadsPerBlock)
    sampled_kernel(const in_t* __restrict__ src, out_t* __restrict__ dst, const Extents e, const SampleSources s,
                   const PlanView<acc_t> pd, const PlanView<acc_t> ph, const PlanView<acc_t> pw) {
  const int64_t C = e.channels;
  const int64_t in_row = e.in[2] * C;
  const int64_t in_item = e.in[0] * e.in[1] * in_row;
  const int64_t out_row = e.out[2] * C;
  for_each_row(e, [&](int64_t r, const Row& row) {
    const int64_t sample = divide(row.b, s.by_items, e.narrow);
    const int64_t item = row.b - sample * s.by_items.d;
    const int64_t begin = s.first ? s.first[sample] : sample;
    const int64_t end = s.first ? s.first[sample + 1] : sample + 1;
    out_t* out = dst + r * out_row;
    for_each_in_row(e, [&](int64_t j) {
      const int64_t ow = C == 1 ? j : divide(j, e.by_c, e.narrow);
      acc_t acc = acc_t(0);
      for (int64_t n = begin; n < end; ++n) {
        const int64_t from = s.source[n];
        const int64_t p = s.plans_of_source ? from : sample;
        const Window<acc_t> wd = sample_window(pd, p, e.out[0], row.od);
        const Window<acc_t> wh = sample_window(ph, p, e.out[1], row.oh);
        const Window<acc_t> ww = sample_window(pw, p, e.out[2], ow);
        const in_t* first = src + (from * s.by_items.d + item) * in_item + ww.first * C + (j - ow * C);
        acc += tap_sum(first, wd, wh, ww, C, e.in[1], in_row);
      }
      out[j] = store<out_t>(acc);
    });
  });
}

// Host tables laid end to end in one staging buffer and sent to the device with one asynchronous copy.
class Upload {
 public:
  template <typename T>
  size_t add(const std::vector<T>& values) {
    const size_t offset = bytes_.size();
    bytes_.resize(offset + (values.size() * sizeof(T) + 7) / 8 * 8);
    std::memcpy(bytes_.data() + offset, values.data(), values.size() * sizeof(T));
    return offset;
  }

  void send(const at::Device where) {
    const at::Tensor host = device::staging_buffer(static_cast<int64_t>(std::max<size_t>(bytes_.size(), 8)));
    std::memcpy(host.mutable_data_ptr<uint8_t>(), bytes_.data(), bytes_.size());
    storage_ = device::upload(host, where);
  }

  template <typename T>
  const T* at(size_t offset) const {
    return reinterpret_cast<const T*>(storage_.const_data_ptr<uint8_t>() + offset);
  }

 private:
  std::vector<uint8_t> bytes_;
  at::Tensor storage_;
};

// One axis of every sample, packed: start and count per (sample, output), weights per (sample, output, tap) with the
// samples' largest tap count.
struct PackedAxis {
  size_t start, count, weight;
  int64_t taps, out;
};

template <typename acc_t>
std::vector<acc_t> packed_weights(const std::vector<const AxisPlan<acc_t>*>& plans, int64_t taps) {
  const int64_t out = plans.front()->out_size;
  std::vector<acc_t> weight(plans.size() * out * taps, acc_t(0));
  for (size_t p = 0; p < plans.size(); ++p) {
    for (int64_t o = 0; o < out; ++o) {
      std::copy_n(plans[p]->weight.begin() + o * plans[p]->taps, plans[p]->count[o],
                  weight.begin() + (p * out + o) * taps);
    }
  }
  return weight;
}

template <typename acc_t>
PackedAxis pack_axis(Upload& up, const std::vector<const AxisPlan<acc_t>*>& plans) {
  const int64_t out = plans.front()->out_size;
  int64_t taps = 1;
  std::vector<int64_t> start, count;
  for (const AxisPlan<acc_t>* p : plans) {
    taps = std::max(taps, p->taps);
    start.insert(start.end(), p->start.begin(), p->start.end());
    count.insert(count.end(), p->count.begin(), p->count.end());
  }
  const size_t s = up.add(start);
  const size_t c = up.add(count);
  return {s, c, up.add(packed_weights(plans, taps)), taps, out};
}

template <typename acc_t>
PlanView<acc_t> view_of(const Upload& up, const PackedAxis& a, size_t weight) {
  return {up.at<int64_t>(a.start), up.at<int64_t>(a.count), up.at<acc_t>(weight), a.taps};
}

// The axes a call resamples: the last `spatial` of the three canonical ones.
bool resampled(const SampledCall& c, int a) { return a >= 3 - c.spatial; }

// Each resampled axis of `count` samples' plans packed (`plan(k, a)`: sample k's plan of axis a).
template <typename acc_t, typename PlanOf>
std::array<PackedAxis, 3> pack_axes(Upload& up, const SampledCall& c, int64_t count, const PlanOf& plan) {
  std::array<PackedAxis, 3> packed{};
  for (int a = 0; a < 3; ++a) {
    if (resampled(c, a)) {
      std::vector<const AxisPlan<acc_t>*> of_axis;
      for (int64_t k = 0; k < count; ++k) {
        of_axis.push_back(&plan(k, a));
      }
      packed[a] = pack_axis(up, of_axis);
    }
  }
  return packed;
}

// The device views of packed axes, once sent (the axes a call does not resample stay identities).
template <typename acc_t>
std::array<PlanView<acc_t>, 3> views_of(const Upload& up, const SampledCall& c,
                                        const std::array<PackedAxis, 3>& packed) {
  std::array<PlanView<acc_t>, 3> axes{};
  for (int a = 0; a < 3; ++a) {
    if (resampled(c, a)) {
      axes[a] = view_of<acc_t>(up, packed[a], packed[a].weight);
    }
  }
  return axes;
}

template <typename in_t, typename out_t, typename acc_t>
void launch_sampled(const in_t* src, out_t* dst, const Extents& e, const SampleSources& s,
                    const std::array<PlanView<acc_t>, 3>& axes) {
  const auto shape = launch_shape(e);
  device::launch(&sampled_kernel<in_t, out_t, acc_t>, shape.first, shape.second, device::current_stream(), src, dst, e,
                 s, axes[0], axes[1], axes[2]);
}

template <typename scalar_t>
void sampled_forward(const SampledCall& c) {
  using acc_t = acc_type<scalar_t>;
  const auto plans = sampled_plans<acc_t>(c, false);
  Upload up;
  const auto packed =
      pack_axes<acc_t>(up, c, c.samples, [&](int64_t k, int a) -> const AxisPlan<acc_t>& { return plans[k][a].plan; });
  const size_t source = up.add(c.sample_input);
  up.send(c.source.device());
  const auto axes = views_of<acc_t>(up, c, packed);
  const SampleSources s{make_divisor(c.image.batch), nullptr, up.at<int64_t>(source), false};
  launch_sampled<scalar_t, scalar_t, acc_t>(
      c.source.const_data_ptr<scalar_t>(), c.result.mutable_data_ptr<scalar_t>(),
      make_extents(c.samples * c.image.batch, c.image.channels, c.image.in, c.image.out), s, axes);
}

template <typename scalar_t>
void sampled_input_gradient(const SampledCall& c) {
  using acc_t = acc_type<scalar_t>;
  const auto plans = sampled_plans<acc_t>(c, false);
  std::vector<std::array<AxisPlan<acc_t>, 3>> transposed(c.samples);
  for (int64_t k = 0; k < c.samples; ++k) {
    for (int a = 0; a < 3; ++a) {
      if (resampled(c, a)) {
        transposed[k][a] = transpose_plan(plans[k][a].plan);
      }
    }
  }
  Upload up;
  const auto packed =
      pack_axes<acc_t>(up, c, c.samples, [&](int64_t k, int a) -> const AxisPlan<acc_t>& { return transposed[k][a]; });
  // The output samples of each input sample, in increasing order, as offsets and a list.
  std::vector<int64_t> first{0}, list;
  for (const auto& samples : samples_of_images(c)) {
    list.insert(list.end(), samples.begin(), samples.end());
    first.push_back(static_cast<int64_t>(list.size()));
  }
  const size_t first_at = up.add(first);
  const size_t list_at = up.add(list);
  up.send(c.source.device());
  const auto axes = views_of<acc_t>(up, c, packed);
  const SampleSources s{make_divisor(c.image.batch), up.at<int64_t>(first_at), up.at<int64_t>(list_at), true};
  launch_sampled<scalar_t, scalar_t, acc_t>(
      c.source.const_data_ptr<scalar_t>(), c.result.mutable_data_ptr<scalar_t>(),
      make_extents(c.images * c.image.batch, c.image.channels, c.image.out, c.image.in), s, axes);
}

// d out / d v for a parameter v of axis a is the resample with axis a's derivative plan (Note [scale and translate]);
// each is written whole, in the accumulation type, and v's gradient is its sum against grad_output in double.
template <typename scalar_t>
std::tuple<at::Tensor, at::Tensor> sampled_param_gradients(const SampledCall& c, const at::Tensor& grad) {
  using acc_t = acc_type<scalar_t>;
  if (c.samples * c.sample_elements() == 0) {
    const at::Tensor zero = at::zeros({c.samples, c.spatial}, c.source.options().dtype(at::kDouble));
    return {zero, zero.clone()};
  }
  const auto plans = sampled_plans<acc_t>(c, true);
  Upload up;
  const auto packed =
      pack_axes<acc_t>(up, c, c.samples, [&](int64_t k, int a) -> const AxisPlan<acc_t>& { return plans[k][a].plan; });
  // The derivative weights, in the windows (and tap stride) of the plans.
  std::array<size_t, 3> d_scale{}, d_translation{};
  for (int a = 0; a < 3; ++a) {
    if (resampled(c, a)) {
      std::vector<const AxisPlan<acc_t>*> of_scale, of_translation;
      for (const auto& p : plans) {
        of_scale.push_back(&p[a].d_scale);
        of_translation.push_back(&p[a].d_translation);
      }
      d_scale[a] = up.add(packed_weights(of_scale, packed[a].taps));
      d_translation[a] = up.add(packed_weights(of_translation, packed[a].taps));
    }
  }
  const size_t source = up.add(c.sample_input);
  up.send(c.source.device());
  const auto axes = views_of<acc_t>(up, c, packed);
  const SampleSources s{make_divisor(c.image.batch), nullptr, up.at<int64_t>(source), false};
  const Extents e = make_extents(c.samples * c.image.batch, c.image.channels, c.image.in, c.image.out);
  // Derivative resample 2 * axis + (0: scale, 1: translation).
  const at::Tensor y = at::empty({c.spatial, 2, c.samples, c.sample_elements()},
                                 c.source.options().dtype(c10::CppTypeToScalarType<acc_t>::value));
  for (int64_t axis = 0; axis < c.spatial; ++axis) {
    const int a = static_cast<int>(3 - c.spatial + axis);
    for (int which = 0; which < 2; ++which) {
      std::array<PlanView<acc_t>, 3> derivative = axes;
      derivative[a] = view_of<acc_t>(up, packed[a], which == 0 ? d_scale[a] : d_translation[a]);
      launch_sampled<scalar_t, acc_t, acc_t>(c.source.const_data_ptr<scalar_t>(),
                                             y.select(0, axis).select(0, which).mutable_data_ptr<acc_t>(), e, s,
                                             derivative);
    }
  }
  const at::Tensor g = grad.reshape({1, 1, c.samples, c.sample_elements()}).to(at::kDouble);
  const at::Tensor sums = y.to(at::kDouble).mul(g).sum(-1);  // (spatial, 2, K)
  return {sums.select(1, 0).t().contiguous(), sums.select(1, 1).t().contiguous()};
}

at::Tensor scale_and_translate_cuda(const at::Tensor& input, at::IntArrayRef output_size, const at::Tensor& scale,
                                    const at::Tensor& translation, c10::string_view filter, bool antialias,
                                    std::optional<at::ArrayRef<double>> filter_params,
                                    const std::optional<at::Tensor>& indices,
                                    const std::optional<at::Tensor>& regions) {
  const device::DeviceGuard guard(input.device());
  const SampledCall c = prepare_scale_and_translate(input, output_size, scale, translation, filter, antialias,
                                                    filter_params, indices, regions);
  if (c.result.numel() != 0) {
    AT_DISPATCH_FLOATING_TYPES_AND3(at::kHalf, at::kBFloat16, at::kByte, input.scalar_type(),
                                    "scale_and_translate_cuda", [&] { sampled_forward<scalar_t>(c); });
  }
  return c.result;
}

at::Tensor scale_and_translate_backward_cuda(const at::Tensor& grad_output, at::IntArrayRef input_shape,
                                             const at::Tensor& scale, const at::Tensor& translation,
                                             c10::string_view filter, bool antialias,
                                             std::optional<at::ArrayRef<double>> filter_params,
                                             const std::optional<at::Tensor>& indices,
                                             const std::optional<at::Tensor>& regions) {
  const device::DeviceGuard guard(grad_output.device());
  const SampledCall c = prepare_scale_and_translate_backward(grad_output, input_shape, scale, translation, filter,
                                                             antialias, filter_params, indices, regions);
  if (c.result.numel() != 0) {
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, grad_output.scalar_type(),
                                    "scale_and_translate_backward_cuda", [&] { sampled_input_gradient<scalar_t>(c); });
  }
  return c.result;
}

std::tuple<at::Tensor, at::Tensor> scale_and_translate_param_backward_cuda(
    const at::Tensor& grad_output, const at::Tensor& input, const at::Tensor& scale, const at::Tensor& translation,
    c10::string_view filter, bool antialias, std::optional<at::ArrayRef<double>> filter_params,
    const std::optional<at::Tensor>& indices, const std::optional<at::Tensor>& regions) {
  const device::DeviceGuard guard(input.device());
  at::Tensor grad;
  const SampledCall c = prepare_scale_and_translate_params(grad_output, input, scale, translation, filter, antialias,
                                                           filter_params, indices, regions, &grad);
  std::tuple<at::Tensor, at::Tensor> result;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, input.scalar_type(),
                                  "scale_and_translate_param_backward_cuda",
                                  [&] { result = sampled_param_gradients<scalar_t>(c, grad); });
  return {std::get<0>(result).to(scale.device()), std::get<1>(result).to(translation.device())};
}

}  // namespace

TORCHRESAMPLE_CUDA_LIBRARY_IMPL(m) {
  m.impl("scale_and_translate", &scale_and_translate_cuda);
  m.impl("scale_and_translate_backward", &scale_and_translate_backward_cuda);
  m.impl("scale_and_translate_param_backward", &scale_and_translate_param_backward_cuda);
}

}  // namespace torchresample
