// The float W pass of the row engine (Note [row-fused engine]): one output row resampled along W. w_pass, the one
// resample_rows calls, copies an identity axis, passes rows of single-element pixels (contiguous layout) to
// w_pass_elements and rows of several channels (channels_last) to w_pass_pixels; w_pass_elements runs the periodic
// part of a plan through w_periodic (Note [periodic W plans]) and gathers the rest through w_gather_range /
// w_gather. Compiled once per instruction set, like the rest of the row engine (Note [cpu isa]).
#pragma once

#include "../common/attributes.h"
#include "../common/plan.h"
#include "../common/store.h"
#include "periodic.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

#ifndef TORCHRESAMPLE_ISA
#error "define TORCHRESAMPLE_ISA (the instruction-set namespace) before including w_pass.h"
#endif

namespace torchresample {
namespace TORCHRESAMPLE_ISA {

// One contiguous output row along W (one element per pixel). kTaps > 0: the plan's tap bound, unrolled for
// the outputs that use all of it (the interior of linear and cubic axes); the rest take the general loop.
template <int kTaps, typename row_t, typename out_t, typename acc_t>
void w_gather(const row_t* row, out_t* dst, const PlanView<acc_t>& p, int64_t out_w, acc_t row_weight) {
  if (kTaps > 0 && p.full) {
    // The loop below for n == kTaps, without its per-output branches (short rows spent 33 instructions an output).
    for (int64_t ow = 0; ow < out_w; ++ow) {
      const row_t* src = row + p.start[ow];
      const acc_t* w = p.weight + ow * kTaps;
      acc_t acc = w[0] * static_cast<acc_t>(src[0]);
      for (int k = 1; k < kTaps; ++k) {
        acc += w[k] * static_cast<acc_t>(src[k]);
      }
      dst[ow] = store<out_t>(acc * row_weight);
    }
    return;
  }
  for (int64_t ow = 0; ow < out_w; ++ow) {
    const row_t* src = row + p.start[ow];
    const acc_t* w = p.weight + ow * p.taps;
    const int64_t n = p.count[ow];
    acc_t acc;
    if (kTaps > 0 && n == kTaps) {
      acc = w[0] * static_cast<acc_t>(src[0]);
      for (int k = 1; k < kTaps; ++k) {
        acc += w[k] * static_cast<acc_t>(src[k]);
      }
    } else if (n >= 16) {
      // Wide windows (antialias, area): four partial sums break the dependency chain of one accumulator;
      // they are combined in a fixed order, so the result is the same on every run.
      acc_t part[4] = {w[0] * static_cast<acc_t>(src[0]), w[1] * static_cast<acc_t>(src[1]),
                       w[2] * static_cast<acc_t>(src[2]), w[3] * static_cast<acc_t>(src[3])};
      int64_t k = 4;
      for (; k + 4 <= n; k += 4) {
        for (int j = 0; j < 4; ++j) {
          part[j] += w[k + j] * static_cast<acc_t>(src[k + j]);
        }
      }
      for (; k < n; ++k) {
        part[0] += w[k] * static_cast<acc_t>(src[k]);
      }
      acc = (part[0] + part[1]) + (part[2] + part[3]);
    } else {
      acc = n ? w[0] * static_cast<acc_t>(src[0]) : acc_t(0);
      for (int64_t k = 1; k < n; ++k) {
        acc += w[k] * static_cast<acc_t>(src[k]);
      }
    }
    dst[ow] = store<out_t>(acc * row_weight);
  }
}

// Pixels of kChannels elements (0: `channels`, taken in chunks) along one output row:
// dst[ow, c] = row_weight * sum_k w[ow, k] * row[start[ow] + k, c]. Image channel counts (3, 4) are compile-time
// constants so that each tap is a few fused multiply-adds rather than a short loop.
template <int kChannels, typename row_t, typename out_t, typename acc_t>
void w_pass_pixels(const row_t* row, out_t* dst, const PlanView<acc_t>& p, int64_t out_w, int64_t channels,
                   acc_t row_weight) {
  constexpr int64_t kChunk = kChannels ? kChannels : 64;
  const int64_t C = kChannels ? kChannels : channels;
  acc_t acc[kChunk];
  for (int64_t ow = 0; ow < out_w; ++ow) {
    const row_t* px = row + p.start[ow] * C;
    const acc_t* w = p.weight + ow * p.taps;
    const int64_t n = p.count[ow];
    out_t* out_px = dst + ow * C;
    for (int64_t c0 = 0; c0 < C; c0 += kChunk) {
      const int64_t m = kChannels ? kChannels : std::min(kChunk, C - c0);
      const row_t* src = px + c0;
      if (n == 0) {
        std::fill(acc, acc + m, acc_t(0));
      } else {
        for (int64_t c = 0; c < m; ++c) {
          acc[c] = w[0] * static_cast<acc_t>(src[c]);
        }
      }
      for (int64_t k = 1; k < n; ++k) {
        const row_t* s = src + k * C;
        const acc_t wk = w[k];
        for (int64_t c = 0; c < m; ++c) {
          acc[c] += wk * static_cast<acc_t>(s[c]);
        }
      }
      for (int64_t c = 0; c < m; ++c) {
        out_px[c0 + c] = store<out_t>(acc[c] * row_weight);
      }
    }
  }
}

// Outputs [begin, end) of a row of single-element pixels along W (dst points at output `begin`), the plan's
// tap count picking the loop.
template <typename row_t, typename out_t, typename acc_t>
TORCHRESAMPLE_ALWAYS_INLINE void w_gather_range(const row_t* row, out_t* dst, const PlanView<acc_t>& p, int64_t begin,
                                                int64_t end, acc_t row_weight) {
  const PlanView<acc_t> part{p.start + begin, p.count + begin, p.weight + begin * p.taps, p.taps, p.full};
  const int64_t n = end - begin;
  switch (p.taps) {
    case 1:
      // One tap or none (an unread gradient, weight 0): a plain gather, without the general loop's branches.
      for (int64_t ow = 0; ow < n; ++ow) {
        const acc_t v = part.weight[ow] * static_cast<acc_t>(row[part.start[ow]]);
        dst[ow] = store<out_t>((part.count[ow] ? v : acc_t(0)) * row_weight);
      }
      return;
    case 2:
      return w_gather<2>(row, dst, part, n, row_weight);
    case 4:
      return w_gather<4>(row, dst, part, n, row_weight);
    default:
      return w_gather<0>(row, dst, part, n, row_weight);
  }
}

// Periods [i_begin, i_end) of a periodic W plan; dst points at output first + kPeriod * i_begin.
template <int kPeriod, int kStride, int kTaps, typename row_t, typename out_t, typename acc_t>
void w_periodic(const row_t* __restrict row, out_t* __restrict dst, const PlanView<acc_t>& p, const PeriodicW& per,
                int64_t i_begin, int64_t i_end, acc_t row_weight) {
  acc_t w[kPeriod][kTaps];
  const row_t* base[kPeriod];
  for (int j = 0; j < kPeriod; ++j) {
    base[j] = row + p.start[per.first + j];
    for (int k = 0; k < kTaps; ++k) {
      w[j][k] = p.weight[(per.first + j) * p.taps + k];
    }
  }
  for (int64_t i = i_begin; i < i_end; ++i) {
    for (int j = 0; j < kPeriod; ++j) {
      const row_t* src = base[j] + kStride * i;
      acc_t acc = w[j][0] * static_cast<acc_t>(src[0]);
      for (int k = 1; k < kTaps; ++k) {
        acc += w[j][k] * static_cast<acc_t>(src[k]);
      }
      dst[kPeriod * (i - i_begin) + j] = store<out_t>(acc * row_weight);
    }
  }
}

// Outputs [begin, end) of a row of single-element pixels (dst points at output `begin`): the whole periods of
// `per` inside the range vectorised, the rest gathered.
template <typename row_t, typename out_t, typename acc_t>
void w_pass_elements(const row_t* row, out_t* dst, const PlanView<acc_t>& p, const PeriodicW& per, int64_t begin,
                     int64_t end, acc_t row_weight) {
  split_periodic(
      per, begin, end, [&](int64_t b, int64_t e) { w_gather_range(row, dst + (b - begin), p, b, e, row_weight); },
      [&](int64_t i_begin, int64_t i_end) {
        out_t* out = dst + (per.first + i_begin * per.period - begin);
        with_periodic_kernel(per, p.taps, [&](auto period, auto stride, auto taps) {
          w_periodic<decltype(period)::value, decltype(stride)::value, decltype(taps)::value>(row, out, p, per, i_begin,
                                                                                              i_end, row_weight);
        });
      });
}

// One output row along W: dst[ow, c] = row_weight * sum_k w[ow, k] * row[start[ow] + k, c]. `row_weight` carries the
// weight of a single-row vertical window (1 keeps the result exact).
template <typename row_t, typename out_t, typename acc_t>
void w_pass(const row_t* row, out_t* dst, const PlanView<acc_t>& p, const PeriodicW& per, int64_t out_w,
            int64_t channels, bool identity, acc_t row_weight) {
  if (identity) {
    for (int64_t i = 0; i < out_w * channels; ++i) {
      dst[i] = store<out_t>(static_cast<acc_t>(row[i]) * row_weight);
    }
    return;
  }
  switch (channels) {
    case 1:
      if constexpr (std::is_same_v<out_t, acc_t>) {
        if (per.period == 0) {
          return w_gather_range(row, dst, p, 0, out_w, row_weight);  // short rows: no periodic run to split out
        }
      } else {
        // Narrow outputs (bfloat16, half, uint8): chunks summed in acc_t, then converted in one loop, which
        // vectorises where a conversion inside the gather could not (bfloat16 one-tap gathers 1.5x faster).
        constexpr int64_t kChunk = 256;
        acc_t sum[kChunk];
        for (int64_t o0 = 0; o0 < out_w; o0 += kChunk) {
          const int64_t m = std::min(kChunk, out_w - o0);
          w_pass_elements<row_t, acc_t, acc_t>(row, sum, p, per, o0, o0 + m, row_weight);
          for (int64_t i = 0; i < m; ++i) {
            dst[o0 + i] = store<out_t>(sum[i]);
          }
        }
        return;
      }
      return w_pass_elements<row_t, out_t, acc_t>(row, dst, p, per, 0, out_w, row_weight);
    case 3:
      return w_pass_pixels<3>(row, dst, p, out_w, channels, row_weight);
    case 4:
      return w_pass_pixels<4>(row, dst, p, out_w, channels, row_weight);
    default:
      return w_pass_pixels<0>(row, dst, p, out_w, channels, row_weight);
  }
}

}  // namespace TORCHRESAMPLE_ISA
}  // namespace torchresample
