// CUDA max_unpool ops: the forward scatter, deterministic on duplicate indices without atomics on values, and the
// backward gather.
#include "../glue/element_width.h"
#include "../glue/max_unpool_glue.h"
#include "launch.cuh"

#include <ATen/core/Tensor.h>
#include <ATen/ops/full.h>
#include <torch/library.h>

#include <algorithm>

namespace torchresample {
namespace {

__device__ inline void atomic_max(int32_t* address, int32_t value) { atomicMax(address, value); }

__device__ inline void atomic_max(int64_t* address, int64_t value) {
  atomicMax(reinterpret_cast<long long*>(address), static_cast<long long>(value));
}

// See Note [unpool bounds]: an invalid index is never followed. With a slot (the sync_index_check option, Note
// [cuda options]) its position is reported for the op to raise torch's error; without, it is a device-side assert,
// as in torch's CUDA kernels, which needs no host synchronisation.
__device__ inline void report_invalid(int64_t* first_invalid, int64_t position) {
  if (first_invalid != nullptr) {
    atomicMin(reinterpret_cast<long long*>(first_invalid), static_cast<long long>(position));
  } else {
    TORCHRESAMPLE_KERNEL_ASSERT(false, "max_unpool: Found an invalid max index");
  }
}

// Step 1 of the forward, Note [unpool duplicates]: winner[o] = the highest position within its plane of the inputs
// that land on output element o (winner starts at -1: none). One thread per input element; the result of an integer
// atomic max does not depend on the order of the threads.
template <typename index_t>
__global__ void unpool_winners(const int64_t* __restrict__ indices, index_t* __restrict__ winner,
                               int64_t* __restrict__ first_invalid, UnpoolGeometry g, int64_t total) {
  for (int64_t n = grid_first(); n < total; n += grid_step()) {
    index_t b, i, c;
    unpool_split<index_t>(static_cast<index_t>(n), static_cast<index_t>(g.in_plane), static_cast<index_t>(g.channels),
                          b, i, c);
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
    unpool_split<index_t>(static_cast<index_t>(n), static_cast<index_t>(g.out_plane), static_cast<index_t>(g.channels),
                          b, o, c);
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
    unpool_split<index_t>(static_cast<index_t>(n), static_cast<index_t>(g.in_plane), static_cast<index_t>(g.channels),
                          b, i, c);
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
bool narrow_positions(const UnpoolCall& call) {
  return narrow_indices(std::max(call.indices.numel(), call.output.numel()));
}

// The slot for the kernels' report_invalid when indices are checked synchronously, else an undefined tensor (the
// kernels assert). A stream being captured into a CUDA graph cannot wait for the kernels, so there they assert.
at::Tensor invalid_slot(const UnpoolCall& call) {
  if (cuda_options().sync_index_check.load() == 0 || device::capturing()) {
    return {};
  }
  return at::full({1}, kNoInvalidPosition, call.indices.options());
}

int64_t* slot_pointer(const at::Tensor& slot) { return slot.defined() ? slot.mutable_data_ptr<int64_t>() : nullptr; }

// Raises torch's error for the lowest invalid position the kernels reported (waiting for them), if checked.
void check_slot(const UnpoolCall& call, const at::Tensor& slot) {
  if (slot.defined()) {
    check_invalid_position(call, slot.item<int64_t>());
  }
}

template <typename index_t>
void unpool_launch(UnpoolCall& call, const at::Tensor& slot, device::Stream stream) {
  const int64_t in_total = call.indices.numel();
  const int64_t out_total = call.output.numel();
  const auto index_dtype = c10::CppTypeToScalarType<index_t>::value;
  at::Tensor winner = at::full({out_total}, -1, call.indices.options().dtype(index_dtype));
  index_t* winners = winner.mutable_data_ptr<index_t>();
  device::launch(&unpool_winners<index_t>, blocks_for(in_total), kThreadsPerBlock, stream,
                 call.indices.const_data_ptr<int64_t>(), winners, slot_pointer(slot), call.geometry, in_total);
  dispatch_by_width(call.values.element_size(), "max_unpool", [&](auto zero) {
    using T = decltype(zero);
    device::launch(&unpool_fill<T, index_t>, blocks_for(out_total), kThreadsPerBlock, stream, raw<T>(call.values),
                   static_cast<const index_t*>(winners), raw_mut<T>(call.output), call.geometry, out_total);
  });
}

template <typename index_t>
void unpool_backward_launch(UnpoolCall& call, const at::Tensor& slot, device::Stream stream) {
  const int64_t total = call.output.numel();
  dispatch_by_width(call.values.element_size(), "max_unpool_backward", [&](auto zero) {
    using T = decltype(zero);
    device::launch(&unpool_gather<T, index_t>, blocks_for(total), kThreadsPerBlock, stream, raw<T>(call.values),
                   call.indices.const_data_ptr<int64_t>(), raw_mut<T>(call.output), slot_pointer(slot), call.geometry,
                   total);
  });
}

at::Tensor max_unpool_cuda(const at::Tensor& self, const at::Tensor& indices, at::IntArrayRef output_size) {
  const device::DeviceGuard guard(self.device());
  UnpoolCall call = prepare_max_unpool(self, indices, output_size);
  if (call.done) {
    return call.output;
  }
  const device::Stream stream = device::current_stream();
  const at::Tensor slot = invalid_slot(call);
  if (narrow_positions(call)) {
    unpool_launch<int32_t>(call, slot, stream);
  } else {
    unpool_launch<int64_t>(call, slot, stream);
  }
  check_slot(call, slot);
  return call.output;
}

at::Tensor max_unpool_backward_cuda(const at::Tensor& grad_output, const at::Tensor& indices) {
  const device::DeviceGuard guard(grad_output.device());
  UnpoolCall call = prepare_max_unpool_backward(grad_output, indices);
  if (call.done) {
    return call.output;
  }
  const device::Stream stream = device::current_stream();
  const at::Tensor slot = invalid_slot(call);
  if (narrow_positions(call)) {
    unpool_backward_launch<int32_t>(call, slot, stream);
  } else {
    unpool_backward_launch<int64_t>(call, slot, stream);
  }
  check_slot(call, slot);
  return call.output;
}

}  // namespace

TORCHRESAMPLE_CUDA_LIBRARY_IMPL(m) {
  m.impl("max_unpool", &max_unpool_cuda);
  m.impl("max_unpool_backward", &max_unpool_backward_cuda);
}

}  // namespace torchresample
