// Every op schema, defined once for the library torchresample and again for the emulated device's
// torchresample_emulated (Note [emulated device]), so that the two cannot drift apart.
#pragma once

#include "glue/resample_glue.h"

#include <torch/library.h>

namespace torchresample {

inline void define_ops(torch::Library& m) {
  // `filter`: a name of the filter table (Note [filter table]: nearest, nearest-exact, linear, cubic, area, lanczos,
  // box, gaussian, mitchell, catmull-rom). `scales`: None, or the caller's scale factors, one per spatial axis, each
  // positive, as torch's upsample_*.vec ops take `float[]? scale_factors` (Note [axis scale]).
  // `filter_params`: None (or empty) for the filter's defaults, or one value per parameter of the filter, in the
  // table's order.
  m.def(
      "resample(Tensor input, SymInt[] output_size, str filter, bool align_corners=False, float[]? scales=None, "
      "bool antialias=False, float[]? filter_params=None) -> Tensor");
  // Gradient of `resample` with respect to its input, whose spatial extents are `input_size` (N and C are
  // grad_output's, so that a batch or channel shard runs locally).
  m.def(
      "resample_backward(Tensor grad_output, SymInt[] input_size, str filter, bool align_corners=False, "
      "float[]? scales=None, bool antialias=False, float[]? filter_params=None) -> Tensor");
  // Note [scale and translate]: output sample k resamples input sample indices[k] (k when indices is None) along the
  // last len(output_size) axes, sampling the input at (o + 0.5 - translation) / scale - 0.5 for output o, with the
  // filter widened on a downscale when `antialias`. `scale` and `translation`: (K, len(output_size)), a row per output
  // sample. The result is (K, C, *output_size).
  m.def(
      "scale_and_translate(Tensor input, SymInt[] output_size, Tensor scale, Tensor translation, str filter, "
      "bool antialias=True, float[]? filter_params=None, Tensor? indices=None, Tensor? regions=None) -> Tensor");
  // Its gradient with respect to the input, of shape `input_shape`: each input sample gathers the output samples that
  // read it, in increasing order.
  m.def(
      "scale_and_translate_backward(Tensor grad_output, SymInt[] input_shape, Tensor scale, Tensor translation, "
      "str filter, bool antialias=True, float[]? filter_params=None, Tensor? indices=None, Tensor? regions=None) -> "
      "Tensor");
  // Its gradients with respect to scale and translation (float64, their shape).
  m.def(
      "scale_and_translate_param_backward(Tensor grad_output, Tensor input, Tensor scale, Tensor translation, "
      "str filter, bool antialias=True, float[]? filter_params=None, Tensor? indices=None, Tensor? regions=None) -> "
      "(Tensor, Tensor)");
  // The filter table for TorchScript code (torchresample/_script.py): no tensors, so one kernel for every backend.
  m.def("filter_kind(str filter) -> str", &filter_kind_name);
  m.def("filter_param_values(str filter, Dict(str, float)? params) -> float[]", &filter_param_values);
  // Scatter `self` (N, C, *in_spatial) into zeros of shape (N, C, *output_size): each element goes to the
  // flat position `indices` (int64, same shape) of its (n, c) plane. 1-, 2- or 3-D by len(output_size).
  m.def("max_unpool(Tensor self, Tensor indices, SymInt[] output_size) -> Tensor");
  // Gradient of `max_unpool` with respect to `self`: gathers grad_output's planes at `indices`.
  m.def("max_unpool_backward(Tensor grad_output, Tensor indices) -> Tensor");
  // (*, C*r^k, S_1, ..., S_k) -> (*, C, S_1*r, ..., S_k*r) over the last k = `spatial_dims` axes (1, 2 or 3).
  m.def("pixel_shuffle(Tensor self, int upscale_factor, int spatial_dims=2) -> Tensor");
  // The inverse of `pixel_shuffle`, and its gradient.
  m.def("pixel_unshuffle(Tensor self, int downscale_factor, int spatial_dims=2) -> Tensor");
}

}  // namespace torchresample
