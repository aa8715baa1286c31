// CUDA max_unpool ops: the forward scatter, deterministic on duplicate indices without atomics on values, and the
// backward gather.
#include "../common/element_width.h"
#include "../common/max_unpool_glue.h"
#include "launch.cuh"

#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/full.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGraphsC10Utils.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <climits>

namespace torchresample {
namespace {

__device__ inline void atomic_max(int32_t* address, int32_t value) {
  atomicMax(address, value);
}

__device__ inline void atomic_max(int64_t* address, int64_t value) {
  atomicMax(reinterpret_cast<long long*>(address), static_cast<long long>(value));
}

// See Note [unpool bounds]: an invalid index is never followed, only its position reported.
__device__ inline void report_invalid(int64_t* first_invalid, int64_t position) {
  atomicMin(reinterpret_cast<long long*>(first_invalid), static_cast<long long>(position));
}

// Step 1 of the forward, Note [unpool duplicates]: winner[o] = the highest position within its plane of the inputs
// that land on output element o (winner starts at -1: none). One thread per input element; the result of an integer
// atomic max does not depend on the order of the threads.
template <typename index_t>
__global__ void unpool_winners(const int64_t* __restrict__ indices, index_t* __restrict__ winner,
                               int64_t* __restrict__ first_invalid, UnpoolGeometry g, int64_t total) {
  for (int64_t n = grid_first(); n < total; n += grid_step()) {
    index_t b, i, c;
    unpool_split<index_t>(static_cast<index_t>(n), static_cast<index_t>(g.in_plane),
                          static_cast<index_t>(g.channels), b, i, c);
    const int64_t index = indices[n];
    if (unpool_index_valid(index, g.out_plane)) {
      atomic_max(winner + unpool_output_offset(g, b, index, c), i);
    } else {
      report_invalid(first_invalid, n);
    }
  }
}

// Step 2 of the forward: every output element, written once and in order, is its winner's value or zero.
template <typename T, typename index_t>
__global__ void unpool_fill(const T* __restrict__ in, const index_t* __restrict__ winner, T* __restrict__ out,
                            UnpoolGeometry g, int64_t total) {
  for (int64_t n = grid_first(); n < total; n += grid_step()) {
    index_t b, o, c;
    unpool_split<index_t>(static_cast<index_t>(n), static_cast<index_t>(g.out_plane),
                          static_cast<index_t>(g.channels), b, o, c);
    const index_t w = winner[n];
    out[n] = w >= 0 ? in[unpool_input_offset(g, b, w, c)] : T{};
  }
}

// grad_in[b, i, c] = grad_out[b, indices[b, i, c], c], zero where the index is invalid.
template <typename T, typename index_t>
__global__ void unpool_gather(const T* __restrict__ grad_out, const int64_t* __restrict__ indices,
                              T* __restrict__ grad_in, int64_t* __restrict__ first_invalid, UnpoolGeometry g,
                              int64_t total) {
  for (int64_t n = grid_first(); n < total; n += grid_step()) {
    index_t b, i, c;
    unpool_split<index_t>(static_cast<index_t>(n), static_cast<index_t>(g.in_plane),
                          static_cast<index_t>(g.channels), b, i, c);
    const int64_t index = indices[n];
    if (unpool_index_valid(index, g.out_plane)) {
      grad_in[n] = grad_out[unpool_output_offset(g, b, index, c)];
    } else {
      grad_in[n] = T{};
      report_invalid(first_invalid, n);
    }
  }
}

// 32-bit positions (cheap divisions, half the winner scratch) when every dense offset of input and output fits.
bool fits_int32(const UnpoolCall& call) {
  return call.indices.numel() <= INT_MAX && call.output.numel() <= INT_MAX;
}

// A device scalar for the kernels' report_invalid.
at::Tensor invalid_slot(const UnpoolCall& call) {
  return at::full({1}, kNoInvalidPosition, call.indices.options());
}

// The lowest invalid position the kernels reported. Reading it waits for them, which a stream being captured into
// a CUDA graph cannot do: there the check is skipped, and invalid indices are ignored (never followed) as always.
int64_t lowest_invalid(const at::Tensor& slot) {
  if (c10::cuda::currentStreamCaptureStatusMayInitCtx() != c10::cuda::CaptureStatus::None) {
    return kNoInvalidPosition;
  }
  return slot.item<int64_t>();
}

template <typename T>
const T* raw(const at::Tensor& t) {
  return static_cast<const T*>(t.const_data_ptr());
}

template <typename T>
T* raw_mut(at::Tensor& t) {
  return static_cast<T*>(t.mutable_data_ptr());
}

template <typename index_t>
void unpool_launch(UnpoolCall& call, const at::Tensor& winner, const at::Tensor& slot, cudaStream_t stream) {
  const int64_t in_total = call.indices.numel();
  const int64_t out_total = call.output.numel();
  index_t* winners = static_cast<index_t*>(winner.mutable_data_ptr());
  C10_CUDA_CHECK(cudaMemsetAsync(winners, 0xFF, winner.nbytes(), stream));  // all bits set: -1
  unpool_winners<index_t><<<blocks_for(in_total), kThreadsPerBlock, 0, stream>>>(
      call.indices.const_data_ptr<int64_t>(), winners, slot.mutable_data_ptr<int64_t>(), call.geometry, in_total);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  dispatch_by_width(call.values.element_size(), "max_unpool", [&](auto zero) {
    using T = decltype(zero);
    unpool_fill<T, index_t><<<blocks_for(out_total), kThreadsPerBlock, 0, stream>>>(
        raw<T>(call.values), winners, raw_mut<T>(call.output), call.geometry, out_total);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
}

template <typename index_t>
void unpool_backward_launch(UnpoolCall& call, const at::Tensor& slot, cudaStream_t stream) {
  const int64_t total = call.output.numel();
  dispatch_by_width(call.values.element_size(), "max_unpool_backward", [&](auto zero) {
    using T = decltype(zero);
    unpool_gather<T, index_t><<<blocks_for(total), kThreadsPerBlock, 0, stream>>>(
        raw<T>(call.values), call.indices.const_data_ptr<int64_t>(), raw_mut<T>(call.output),
        slot.mutable_data_ptr<int64_t>(), call.geometry, total);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
}

at::Tensor max_unpool_cuda(const at::Tensor& self, const at::Tensor& indices, at::IntArrayRef output_size) {
  // The glue checks the devices and allocates on the inputs' device; the guard covers the scratch and launches.
  UnpoolCall call = prepare_max_unpool(self, indices, output_size);
  if (call.done) {
    return call.output;
  }
  c10::cuda::CUDAGuard guard(call.output.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const bool narrow = fits_int32(call);
  const at::Tensor winner =
      at::empty({call.output.numel()}, call.indices.options().dtype(narrow ? at::kInt : at::kLong));
  const at::Tensor slot = invalid_slot(call);
  if (narrow) {
    unpool_launch<int32_t>(call, winner, slot, stream);
  } else {
    unpool_launch<int64_t>(call, winner, slot, stream);
  }
  check_invalid_position(call, lowest_invalid(slot));
  return call.output;
}

at::Tensor max_unpool_backward_cuda(const at::Tensor& grad_output, const at::Tensor& indices) {
  UnpoolCall call = prepare_max_unpool_backward(grad_output, indices);
  if (call.done) {
    return call.output;
  }
  c10::cuda::CUDAGuard guard(call.output.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor slot = invalid_slot(call);
  if (fits_int32(call)) {
    unpool_backward_launch<int32_t>(call, slot, stream);
  } else {
    unpool_backward_launch<int64_t>(call, slot, stream);
  }
  check_invalid_position(call, lowest_invalid(slot));
  return call.output;
}

}  // namespace

TORCH_LIBRARY_IMPL(torchresample, CUDA, m) {
  m.impl("max_unpool", &max_unpool_cuda);
  m.impl("max_unpool_backward", &max_unpool_backward_cuda);
}

}  // namespace torchresample
