// CPU max_unpool ops: the forward scatter (deterministic on duplicate indices) and the backward gather.
#include "../glue/element_width.h"
#include "../glue/max_unpool_glue.h"
#include "parallel.h"

#include <ATen/core/Tensor.h>
#include <torch/library.h>

#include <algorithm>
#include <atomic>

namespace torchresample {
namespace {

// Channels one channels-last task scatters: whole planes of a block, so tasks stay numerous and rows long.
constexpr int64_t kChannelBlock = 64;

void lower_to(std::atomic<int64_t>& first, int64_t position) {
  int64_t seen = first.load(std::memory_order_relaxed);
  while (position < seen && !first.compare_exchange_weak(seen, position, std::memory_order_relaxed)) {
  }
}

// Zero-fills the output and scatters the input into it; returns the lowest input position holding an invalid
// index (kNoInvalidPosition if none). Each task owns the planes of one (batch, channel block) and writes them in
// input order: Note [unpool duplicates]. See Note [unpool bounds] for the check.
template <typename T>
int64_t unpool_scatter(const T* in, const int64_t* indices, T* out, const UnpoolGeometry& g) {
  const int64_t C = g.channels;
  const int64_t blocks = (C + kChannelBlock - 1) / kChannelBlock;
  const int64_t task_cost = (g.in_plane + g.out_plane) * std::min(C, kChannelBlock);
  const int64_t grain = parallel_grain(task_cost);
  std::atomic<int64_t> first_invalid{kNoInvalidPosition};
  parallel_for(0, g.batch * blocks, grain, [&](int64_t begin, int64_t end) {
    int64_t invalid = kNoInvalidPosition;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / blocks;
      const int64_t c0 = (task % blocks) * kChannelBlock;
      const int64_t c1 = std::min(C, c0 + kChannelBlock);
      T* plane = out + unpool_output_offset(g, b, 0, 0);
      if (c1 - c0 == C) {
        std::fill(plane, plane + g.out_plane * C, T{});
      } else {
        for (int64_t o = 0; o < g.out_plane; ++o) {
          std::fill(plane + o * C + c0, plane + o * C + c1, T{});
        }
      }
      for (int64_t i = 0; i < g.in_plane; ++i) {
        const int64_t row = unpool_input_offset(g, b, i, 0);
        for (int64_t c = c0; c < c1; ++c) {
          const int64_t index = indices[row + c];
          if (unpool_index_valid(index, g.out_plane)) {
            out[unpool_output_offset(g, b, index, c)] = in[row + c];
          } else {
            invalid = std::min(invalid, row + c);
          }
        }
      }
    }
    lower_to(first_invalid, invalid);
  });
  return first_invalid.load();
}

// grad_in[b, i, c] = grad_out[b, indices[b, i, c], c]; returns the lowest position of an invalid index, whose
// gradient is left zero.
template <typename T>
int64_t unpool_gather(const T* grad_out, const int64_t* indices, T* grad_in, const UnpoolGeometry& g) {
  const int64_t C = g.channels;
  const int64_t grain = parallel_grain(C);
  std::atomic<int64_t> first_invalid{kNoInvalidPosition};
  parallel_for(0, g.batch * g.in_plane, grain, [&](int64_t begin, int64_t end) {
    int64_t invalid = kNoInvalidPosition;
    for (int64_t r = begin; r < end; ++r) {
      const int64_t b = r / g.in_plane;
      const int64_t row = r * C;
      for (int64_t c = 0; c < C; ++c) {
        const int64_t index = indices[row + c];
        if (unpool_index_valid(index, g.out_plane)) {
          grad_in[row + c] = grad_out[unpool_output_offset(g, b, index, c)];
        } else {
          grad_in[row + c] = T{};
          invalid = std::min(invalid, row + c);
        }
      }
    }
    lower_to(first_invalid, invalid);
  });
  return first_invalid.load();
}

at::Tensor max_unpool_cpu(const at::Tensor& self, const at::Tensor& indices, at::IntArrayRef output_size) {
  UnpoolCall call = prepare_max_unpool(self, indices, output_size);
  if (call.done) {
    return call.output;
  }
  int64_t invalid = kNoInvalidPosition;
  dispatch_by_width(self.element_size(), "max_unpool", [&](auto zero) {
    using T = decltype(zero);
    invalid = unpool_scatter<T>(raw<T>(call.values), call.indices.const_data_ptr<int64_t>(), raw_mut<T>(call.output),
                                call.geometry);
  });
  check_invalid_position(call, invalid);
  return call.output;
}

at::Tensor max_unpool_backward_cpu(const at::Tensor& grad_output, const at::Tensor& indices) {
  UnpoolCall call = prepare_max_unpool_backward(grad_output, indices);
  if (call.done) {
    return call.output;
  }
  int64_t invalid = kNoInvalidPosition;
  dispatch_by_width(grad_output.element_size(), "max_unpool_backward", [&](auto zero) {
    using T = decltype(zero);
    invalid = unpool_gather<T>(raw<T>(call.values), call.indices.const_data_ptr<int64_t>(), raw_mut<T>(call.output),
                               call.geometry);
  });
  check_invalid_position(call, invalid);
  return call.output;
}

}  // namespace

TORCH_LIBRARY_IMPL(torchresample, CPU, m) {
  m.impl("max_unpool", &max_unpool_cpu);
  m.impl("max_unpool_backward", &max_unpool_backward_cpu);
}

}  // namespace torchresample
