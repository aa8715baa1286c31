// Glue shared by the CPU and CUDA max_unpool ops: argument checks, memory format, allocation, the invalid-index error.
#pragma once

#include "../common/max_unpool.h"

#include <ATen/core/Tensor.h>

#include <vector>

namespace torchresample {

// One max_unpool or max_unpool_backward call made ready for a kernel (Note [unpool layout]).
struct UnpoolCall {
  at::Tensor values;   // the forward's input or the backward's grad_output, dense in the output's memory format
  at::Tensor indices;  // dense in the output's memory format
  at::Tensor output;   // the result: uninitialised for the kernel to fill, or already final when `done`
  std::vector<int64_t> out_spatial;
  UnpoolGeometry geometry;
  bool done = false;  // nothing for a kernel to do (empty output, or nothing to gather from)
};

// The checks torch's max_unpool ops make (same exception types; torch's messages where it has them), then the
// operands in input.suggest_memory_format() and the output allocated in it. The input is (N, C, *in_spatial) with
// len(output_size) in 1..3 spatial axes; the backward's grad_output is (N, C, *output_size).
UnpoolCall prepare_max_unpool(const at::Tensor& self, const at::Tensor& indices, at::IntArrayRef output_size);
UnpoolCall prepare_max_unpool_backward(const at::Tensor& grad_output, const at::Tensor& indices);

// Raises torch's error for the index at dense position `position` of call.indices ("Found an invalid max index: 17
// (output volumes are of size 4x4)"); returns when `position` is kNoInvalidPosition. The indices may live on any
// device.
void check_invalid_position(const UnpoolCall& call, int64_t position);

}  // namespace torchresample
