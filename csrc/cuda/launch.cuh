// Launch shape and grid-stride loop shared by the element-wise CUDA kernels (max_unpool, pixel_shuffle).
#pragma once

#include "device_runtime.cuh"

#include <algorithm>
#include <cstdint>

namespace torchresample {

constexpr int kThreadsPerBlock = 256;

// Enough blocks to fill any current GPU many times over; the grid-stride loops cover whatever is left, which also
// keeps the grid valid beyond 2^31 elements.
inline unsigned int blocks_for(int64_t n) {
  constexpr int64_t kMaxBlocks = int64_t{1} << 16;
  return static_cast<unsigned int>(std::min((n + kThreadsPerBlock - 1) / kThreadsPerBlock, kMaxBlocks));
}

// The first element of this thread and the step between its elements, in 64 bits.
__device__ inline int64_t grid_first() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }

__device__ inline int64_t grid_step() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

}  // namespace torchresample
