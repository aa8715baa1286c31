// Argument checks, memory format, allocation and canonical geometry of the max_unpool ops (one definition for CPU
// and CUDA).
#include "allocate.h"
#include "layout.h"
#include "max_unpool_glue.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <sstream>

namespace torchresample {

namespace {

void check_indices(const at::Tensor& values, const at::Tensor& indices, const char* op, const char* what) {
  TORCH_CHECK(indices.scalar_type() == at::kLong,
              "elements in indices should be type int64 but got: ", indices.scalar_type());
  TORCH_CHECK(values.device() == indices.device(), "torchresample::", op, ": expected ", what,
              " and indices on the same device, but got ", values.device(), " and ", indices.device());
  TORCH_CHECK(values.layout() == at::kStrided && indices.layout() == at::kStrided, "torchresample::", op,
              ": expected strided tensors");
}

void check_max_unpool(const at::Tensor& self, const at::Tensor& indices, at::IntArrayRef output_size) {
  const int64_t spatial = static_cast<int64_t>(output_size.size());
  TORCH_CHECK(spatial >= 1 && spatial <= 3, "torchresample::max_unpool: expected 1, 2 or 3 output sizes, but got ",
              spatial);
  TORCH_CHECK(self.dim() == spatial + 2, "torchresample::max_unpool: expected an input of shape (N, C, *spatial) ",
              "with ", spatial, " spatial dimensions, but got a tensor with ", self.dim(), " dimensions");
  check_indices(self, indices, "max_unpool", "input");
  TORCH_CHECK(self.sizes() == indices.sizes(), "Expected shape of indices to be same as that of the input tensor (",
              self.sizes(), ") but got indices tensor with shape: ", indices.sizes());
  for (int64_t d = 1; d < self.dim(); ++d) {
    TORCH_CHECK(self.size(d) > 0, "max_unpooling", spatial, "d(): Expected input to have non-zero size for ",
                "non-batch dimensions, but got ", self.sizes(), " with dimension ", d, " being empty.");
  }
  for (int64_t d = 0; d < spatial; ++d) {
    TORCH_CHECK(output_size[d] >= 0, "max_unpooling", spatial, "d(): output_size must contain non-negative ",
                "spatial dimensions, but got output_size=", output_size);
  }
  // torch's max_unpool takes floating types only (its kernels dispatch on them; the 1-D op runs the 2-D kernel).
  const auto dtype = self.scalar_type();
  TORCH_CHECK_NOT_IMPLEMENTED(at::isFloatingType(dtype), "\"max_unpool", std::max<int64_t>(spatial, 2),
                              "d\" not implemented for '", toString(dtype), "'");
}

void check_max_unpool_backward(const at::Tensor& grad_output, const at::Tensor& indices) {
  const int64_t dim = indices.dim();
  TORCH_CHECK(dim >= 3 && dim <= 5, "torchresample::max_unpool_backward: expected indices of shape ",
              "(N, C, *spatial) with 1, 2 or 3 spatial dimensions, but got a tensor with ", dim, " dimensions");
  check_indices(grad_output, indices, "max_unpool_backward", "grad_output");
  TORCH_CHECK(
      grad_output.dim() == dim && grad_output.size(0) == indices.size(0) && grad_output.size(1) == indices.size(1),
      "gradOutput and input Tensors should have same number of dimensions and also the same number of ",
      "channels/slices, but got grad_output ", grad_output.sizes(), " and indices ", indices.sizes());
}

// See Note [unpool layout]. `in_sizes` is the full input shape, `out_spatial` the output's spatial extents.
UnpoolGeometry make_unpool_geometry(at::IntArrayRef in_sizes, at::IntArrayRef out_spatial, at::MemoryFormat format) {
  UnpoolGeometry g;
  const BatchChannels bc = batch_channels(in_sizes, format);
  g.batch = bc.batch;
  g.channels = bc.channels;
  g.in_plane = c10::multiply_integers(in_sizes.begin() + 2, in_sizes.end());
  g.out_plane = c10::multiply_integers(out_spatial);
  return g;
}

}  // namespace

UnpoolCall prepare_max_unpool(const at::Tensor& self, const at::Tensor& indices, at::IntArrayRef output_size) {
  check_max_unpool(self, indices, output_size);
  const auto format = self.suggest_memory_format();
  UnpoolCall call;
  call.out_spatial.assign(output_size.begin(), output_size.end());
  call.output = empty_output(with_spatial(self.sizes(), output_size), self.options().memory_format(format));
  // An empty output plane (kernel_size 0) admits no index, and torch returns it without looking at any.
  if (call.output.numel() == 0) {
    call.done = true;
    return call;
  }
  call.values = self.contiguous(format);
  call.indices = indices.contiguous(format);
  call.geometry = make_unpool_geometry(self.sizes(), output_size, format);
  return call;
}

UnpoolCall prepare_max_unpool_backward(const at::Tensor& grad_output, const at::Tensor& indices) {
  check_max_unpool_backward(grad_output, indices);
  const auto format = grad_output.suggest_memory_format();
  UnpoolCall call;
  call.out_spatial.assign(grad_output.sizes().begin() + 2, grad_output.sizes().end());
  // The forward's output had no element to read the gradient from: see prepare_max_unpool.
  if (c10::multiply_integers(call.out_spatial) == 0) {
    call.output = at::zeros(indices.sizes(), grad_output.options().memory_format(format));
    call.done = true;
    return call;
  }
  call.output = empty_output(indices.sizes(), grad_output.options().memory_format(format));
  if (call.output.numel() == 0) {
    call.done = true;
    return call;
  }
  call.values = grad_output.contiguous(format);
  call.indices = indices.contiguous(format);
  call.geometry = make_unpool_geometry(indices.sizes(), call.out_spatial, format);
  return call;
}

void check_invalid_position(const UnpoolCall& call, int64_t position) {
  if (position == kNoInvalidPosition) {
    return;
  }
  // call.indices is dense, so a dense position is a storage offset in any memory format.
  const int64_t index = call.indices.as_strided({1}, {1}, call.indices.storage_offset() + position).item<int64_t>();
  std::ostringstream size;
  for (size_t d = 0; d < call.out_spatial.size(); ++d) {
    size << (d ? "x" : "") << call.out_spatial[d];
  }
  TORCH_CHECK(false, "Found an invalid max index: ", index, " (output volumes are of size ", size.str(), ")");
}

}  // namespace torchresample
