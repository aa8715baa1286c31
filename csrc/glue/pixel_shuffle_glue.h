// Glue shared by the CPU and CUDA pixel_shuffle / pixel_unshuffle ops: checks, output shape and memory format.
#pragma once

#include "../common/pixel_shuffle.h"

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace torchresample {

// "pixel_shuffle", "pixel_unshuffle3d", ...: the name the messages use for `spatial_dims` = 1, 2 (torch's) or 3.
std::string pixel_shuffle_name(int64_t spatial_dims, bool unshuffle);

// The checks torch's pixel_shuffle / pixel_unshuffle make, with torch's messages for the 2-D ops.
void check_pixel_shuffle(const at::Tensor& self, int64_t factor, int64_t spatial_dims, bool unshuffle);

std::vector<int64_t> pixel_shuffle_output_size(at::IntArrayRef sizes, int64_t factor, int64_t spatial_dims,
                                               bool unshuffle);

// A pixel_shuffle or pixel_unshuffle call made ready for a kernel: after the checks, the input with its batch axes
// merged into one (a view unless they cannot be merged), the output allocated (uninitialised) in its memory format,
// and the copy from the one to the other (Note [pixel shuffle mapping]); no copy when the output is empty.
struct ShuffleCall {
  at::Tensor source;  // (B, C, *spatial), any strides
  at::Tensor output;
  PermutedCopy copy;
};

ShuffleCall prepare_pixel_shuffle(const at::Tensor& self, int64_t factor, int64_t spatial_dims, bool unshuffle);

// Channels-last when the input is exactly (N, C, *spatial) and suggests the channels-last format of its rank (as
// torch's 2-D ops return), contiguous otherwise.
at::MemoryFormat pixel_shuffle_memory_format(const at::Tensor& self, int64_t spatial_dims);

}  // namespace torchresample
