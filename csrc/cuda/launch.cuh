// What every CUDA kernel launch of the ops shares: the block size, the grid of the grid-stride loops, and the choice
// of 32-bit indices. The runtime itself (launch, streams, guards) is device_runtime.cuh.
#pragma once

#include "device_runtime.cuh"

#include <algorithm>
#include <climits>
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

// Whether a launch whose every index (element, offset, row) is at most `largest` may compute them in 32 bits, where
// divisions are cheap; the force_wide_indices option (Note [cuda options]) sends tests down the 64-bit paths.
inline bool narrow_indices(int64_t largest) {
  return largest <= INT_MAX && cuda_options().force_wide_indices.load() == 0;
}

}  // namespace torchresample
