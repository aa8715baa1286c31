// Glue shared by the CPU and CUDA max_unpool ops: argument checks, canonical geometry, the invalid-index error.
#pragma once

#include "max_unpool.h"

#include <ATen/core/Tensor.h>

namespace torchresample {

// The checks torch's max_unpool ops make (same exception types; torch's messages where it has them), for an
// input of shape (N, C, *in_spatial) with len(output_size) in 1..3 spatial axes.
void check_max_unpool(const at::Tensor& self, const at::Tensor& indices, at::IntArrayRef output_size);
void check_max_unpool_backward(const at::Tensor& grad_output, const at::Tensor& indices);

// See Note [unpool layout]. `in_sizes` is the full input shape, `out_spatial` the output's spatial extents.
UnpoolGeometry make_unpool_geometry(at::IntArrayRef in_sizes, at::IntArrayRef out_spatial, at::MemoryFormat format);

// torch's error for an index outside the output plane: "Found an invalid max index: 17 (output volumes are of
// size 4x4)".
[[noreturn]] void raise_invalid_index(int64_t index, at::IntArrayRef out_spatial);

}  // namespace torchresample
