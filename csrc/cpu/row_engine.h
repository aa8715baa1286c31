// The CPU row engine (Note [row-fused engine]), compiled once per instruction set: each including file defines
// TORCHRESAMPLE_ISA, the namespace its copy lives in (Note [cpu isa]).
#pragma once

#include "../common/geometry.h"
#include "../common/inline_vector.h"
#include "../common/plan.h"
#include "../common/store.h"
#include "parallel_grain.h"
#include "periodic.h"
#include "uint8_engine.h"

#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>  // the dtypes each copy is instantiated for
#include <c10/util/Half.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#ifndef TORCHRESAMPLE_ISA
#error "define TORCHRESAMPLE_ISA (the instruction-set namespace) before including row_engine.h"
#endif

namespace torchresample {
namespace TORCHRESAMPLE_ISA {

// One contiguous output row along W (one element per pixel). kTaps > 0: the plan's tap bound, unrolled for
// the outputs that use all of it (the interior of linear and cubic axes); the rest take the general loop.
template <int kTaps, typename row_t, typename out_t, typename acc_t>
void horizontal_gather(const row_t* row, out_t* dst, const PlanView<acc_t>& p, int64_t out_w, acc_t scale) {
  if (kTaps > 0 && p.full) {
    // The loop below for n == kTaps, without its per-output branches (short rows spent 33 instructions an output).
    for (int64_t ow = 0; ow < out_w; ++ow) {
      const row_t* src = row + p.start[ow];
      const acc_t* w = p.weight + ow * kTaps;
      acc_t acc = w[0] * static_cast<acc_t>(src[0]);
      for (int k = 1; k < kTaps; ++k) {
        acc += w[k] * static_cast<acc_t>(src[k]);
      }
      dst[ow] = store<out_t>(acc * scale);
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
    dst[ow] = store<out_t>(acc * scale);
  }
}

// Pixels of kChannels elements (0: `channels`, taken in chunks) along one output row:
// dst[ow, c] = scale * sum_k w[ow, k] * row[start[ow] + k, c]. Image channel counts (3, 4) are compile-time
// constants so that each tap is a few fused multiply-adds rather than a short loop.
template <int kChannels, typename row_t, typename out_t, typename acc_t>
void horizontal_pixels(const row_t* row, out_t* dst, const PlanView<acc_t>& p, int64_t out_w, int64_t channels,
                       acc_t scale) {
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
        out_px[c0 + c] = store<out_t>(acc[c] * scale);
      }
    }
  }
}

// Outputs [begin, end) of a row of single-element pixels along W (dst points at output `begin`), the plan's
// tap count picking the loop.
template <typename row_t, typename out_t, typename acc_t>
C10_ALWAYS_INLINE void gather_range(const row_t* row, out_t* dst, const PlanView<acc_t>& p, int64_t begin, int64_t end,
                                    acc_t scale) {
  const PlanView<acc_t> part{p.start + begin, p.count + begin, p.weight + begin * p.taps, p.taps, p.full};
  const int64_t n = end - begin;
  switch (p.taps) {
    case 1:
      // One tap or none (an unread gradient, weight 0): a plain gather, without the general loop's branches.
      for (int64_t ow = 0; ow < n; ++ow) {
        const acc_t v = part.weight[ow] * static_cast<acc_t>(row[part.start[ow]]);
        dst[ow] = store<out_t>((part.count[ow] ? v : acc_t(0)) * scale);
      }
      return;
    case 2:
      return horizontal_gather<2>(row, dst, part, n, scale);
    case 4:
      return horizontal_gather<4>(row, dst, part, n, scale);
    default:
      return horizontal_gather<0>(row, dst, part, n, scale);
  }
}

// Periods [i_begin, i_end) of a periodic W plan; dst points at output first + kPeriod * i_begin.
template <int kPeriod, int kStride, int kTaps, typename row_t, typename out_t, typename acc_t>
void periodic_taps(const row_t* __restrict row, out_t* __restrict dst, const PlanView<acc_t>& p, const PeriodicW& per,
                   int64_t i_begin, int64_t i_end, acc_t scale) {
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
      dst[kPeriod * (i - i_begin) + j] = store<out_t>(acc * scale);
    }
  }
}

// Outputs [begin, end) of a row of single-element pixels (dst points at output `begin`): the whole periods of
// `per` inside the range vectorised, the rest gathered.
template <typename row_t, typename out_t, typename acc_t>
void horizontal_row(const row_t* row, out_t* dst, const PlanView<acc_t>& p, const PeriodicW& per, int64_t begin,
                    int64_t end, acc_t scale) {
  split_periodic(
      per, begin, end, [&](int64_t b, int64_t e) { gather_range(row, dst + (b - begin), p, b, e, scale); },
      [&](int64_t i_begin, int64_t i_end) {
        out_t* out = dst + (per.first + i_begin * per.period - begin);
        with_periodic_kernel(per, p.taps, [&](auto period, auto stride, auto taps) {
          periodic_taps<decltype(period)::value, decltype(stride)::value, decltype(taps)::value>(row, out, p, per,
                                                                                                 i_begin, i_end, scale);
        });
      });
}

// One output row along W: dst[ow, c] = scale * sum_k w[ow, k] * row[start[ow] + k, c]. `scale` carries the
// weight of a single-row vertical window (1 keeps the result exact).
template <typename row_t, typename out_t, typename acc_t>
void horizontal(const row_t* row, out_t* dst, const PlanView<acc_t>& p, const PeriodicW& per, int64_t out_w,
                int64_t channels, bool identity, acc_t scale) {
  if (identity) {
    for (int64_t i = 0; i < out_w * channels; ++i) {
      dst[i] = store<out_t>(static_cast<acc_t>(row[i]) * scale);
    }
    return;
  }
  switch (channels) {
    case 1:
      if constexpr (std::is_same_v<out_t, acc_t>) {
        if (per.period == 0) {
          return gather_range(row, dst, p, 0, out_w, scale);  // short rows: no periodic run to split out
        }
      } else {
        // Narrow outputs (bfloat16, half, uint8): chunks summed in acc_t, then converted in one loop, which
        // vectorises where a conversion inside the gather could not (bfloat16 one-tap gathers 1.5x faster).
        constexpr int64_t kChunk = 256;
        acc_t sum[kChunk];
        for (int64_t o0 = 0; o0 < out_w; o0 += kChunk) {
          const int64_t m = std::min(kChunk, out_w - o0);
          horizontal_row<row_t, acc_t, acc_t>(row, sum, p, per, o0, o0 + m, scale);
          for (int64_t i = 0; i < m; ++i) {
            dst[o0 + i] = store<out_t>(sum[i]);
          }
        }
        return;
      }
      return horizontal_row<row_t, out_t, acc_t>(row, dst, p, per, 0, out_w, scale);
    case 3:
      return horizontal_pixels<3>(row, dst, p, out_w, channels, scale);
    case 4:
      return horizontal_pixels<4>(row, dst, p, out_w, channels, scale);
    default:
      return horizontal_pixels<0>(row, dst, p, out_w, channels, scale);
  }
}

// acc[i] = (kFirst ? 0 : acc[i]) + sum_k w[k] * src[k][offset + i], the sum taken in k order (the same bits as
// one tap at a time) but kN sources per pass, so that acc is loaded and stored once per kN taps.
template <int kN, bool kFirst, typename src_t, typename acc_t>
C10_ALWAYS_INLINE void blend_group(const src_t* const* src, const acc_t* w, int64_t offset, int64_t len,
                                   acc_t* __restrict acc) {
  const src_t* __restrict s0 = src[0] + offset;
  const src_t* __restrict s1 = src[kN > 1 ? 1 : 0] + offset;
  const src_t* __restrict s2 = src[kN > 2 ? 2 : 0] + offset;
  const src_t* __restrict s3 = src[kN > 3 ? 3 : 0] + offset;
  const acc_t w0 = w[0], w1 = w[kN > 1 ? 1 : 0], w2 = w[kN > 2 ? 2 : 0], w3 = w[kN > 3 ? 3 : 0];
  for (int64_t i = 0; i < len; ++i) {
    acc_t v = kFirst ? w0 * static_cast<acc_t>(s0[i]) : acc[i] + w0 * static_cast<acc_t>(s0[i]);
    if (kN > 1) {
      v += w1 * static_cast<acc_t>(s1[i]);
    }
    if (kN > 2) {
      v += w2 * static_cast<acc_t>(s2[i]);
    }
    if (kN > 3) {
      v += w3 * static_cast<acc_t>(s3[i]);
    }
    acc[i] = v;
  }
}

// acc[i] = sum_k w[k] * src[k][offset + i] over n >= 1 sources, `group` (1 or 4) of them per pass.
template <typename src_t, typename acc_t>
void blend(const src_t* const* src, const acc_t* w, int64_t n, int64_t offset, int64_t len, acc_t* acc,
           int64_t group = 4) {
  if (group == 1) {
    blend_group<1, true>(src, w, offset, len, acc);
    for (int64_t k = 1; k < n; ++k) {
      blend_group<1, false>(src + k, w + k, offset, len, acc);
    }
    return;
  }
  const auto step = [&](int64_t k, auto first) {
    switch (std::min<int64_t>(n - k, 4)) {
      case 1:
        return blend_group<1, decltype(first)::value>(src + k, w + k, offset, len, acc);
      case 2:
        return blend_group<2, decltype(first)::value>(src + k, w + k, offset, len, acc);
      case 3:
        return blend_group<3, decltype(first)::value>(src + k, w + k, offset, len, acc);
      default:
        return blend_group<4, decltype(first)::value>(src + k, w + k, offset, len, acc);
    }
  };
  step(0, std::true_type{});
  for (int64_t k = 4; k < n; k += 4) {
    step(k, std::false_type{});
  }
}

// blend over a tap count known at compile time: groups of four, the sources' pointers kept in registers.
template <int kN, typename src_t, typename acc_t>
C10_ALWAYS_INLINE void blend_fixed(const src_t* const* src, const acc_t* w, int64_t offset, int64_t len, acc_t* acc) {
  blend_group<std::min(kN, 4), true>(src, w, offset, len, acc);
  if constexpr (kN > 4) {
    blend_group<std::min(kN - 4, 4), false>(src + 4, w + 4, offset, len, acc);
  }
  if constexpr (kN > 8) {
    blend_group<std::min(kN - 8, 4), false>(src + 8, w + 8, offset, len, acc);
  }
  if constexpr (kN > 12) {
    blend_group<std::min(kN - 12, 4), false>(src + 12, w + 12, offset, len, acc);
  }
}

// One channels_last output pixel: the sum over its n taps (src, w), written to out_px in chunks of channels
// through an accumulator of acc_t (float and double sum straight into the output: a copy from a separate
// accumulator becomes a slow `rep movs`).
template <int kN, typename scalar_t, typename acc_t>
C10_ALWAYS_INLINE void pixel_sum(const scalar_t* const* src, const acc_t* w, int64_t n, scalar_t* out_px,
                                 int64_t channels) {
  constexpr bool kDirect = std::is_same_v<scalar_t, acc_t>;
  constexpr int64_t kChunk = 64;
  acc_t acc[kDirect ? 1 : kChunk];
  const int64_t chunk = kDirect ? channels : kChunk;
  for (int64_t c0 = 0; c0 < channels; c0 += chunk) {
    const int64_t m = std::min(chunk, channels - c0);
    acc_t* sum = kDirect ? reinterpret_cast<acc_t*>(out_px + c0) : acc;
    if constexpr (kN > 0) {
      blend_fixed<kN>(src, w, c0, m, sum);
    } else if (n == 0) {
      std::fill(sum, sum + m, acc_t(0));
    } else {
      blend(src, w, n, c0, m, sum);
    }
    if constexpr (!kDirect) {
      for (int64_t c = 0; c < m; ++c) {
        out_px[c0 + c] = store<scalar_t>(acc[c]);
      }
    }
  }
}

// The pixel path (Note [pixel path]) takes pixels of fewer taps than this; its tap arrays are this long.
constexpr int64_t kPixelPathTaps = 16;

// A pixel whose W window is not the plan's full tap count (borders, uneven windows): taps gathered at run time.
template <typename scalar_t, typename acc_t>
C10_NOINLINE void pixel_any(const scalar_t* const* rows, const acc_t* row_w, int64_t nrows, const acc_t* ww, int64_t nw,
                            int64_t col, scalar_t* out_px, int64_t channels) {
  const scalar_t* src[kPixelPathTaps];  // the path takes fewer taps (Note [pixel path])
  acc_t w[kPixelPathTaps];
  int64_t n = 0;
  for (int64_t r = 0; r < nrows; ++r) {
    for (int64_t kw = 0; kw < nw; ++kw, ++n) {
      src[n] = rows[r] + col + kw * channels;
      w[n] = row_w[r] * ww[kw];
    }
  }
  pixel_sum<0>(src, w, n, out_px, channels);
}

// Note [pixel path]: one output row of channels_last pixels, each the sum of its taps read straight from the
// input rows (D and H taps: `rows`, weighted by row_w; W taps: columns of those rows), in chunks of channels.
// The loop is memory-bound, yet its speed follows the instructions spent per pixel: with the row and column
// tap counts known at compile time (kRows, kCols > 0) the tap pointers stay in registers (a run-time count
// kept them in memory and cost 40% on a x0.5 bilinear). Pixels with another W count take pixel_any.
template <int kRows, int kCols, typename scalar_t, typename acc_t>
void pixel_taps(const scalar_t* const* rows, const acc_t* row_w, int64_t nrows, const PlanView<acc_t>& pw,
                int64_t out_w, int64_t channels, scalar_t* dst) {
  constexpr int kTaps = kRows * kCols;
  const scalar_t* rp[kRows > 0 ? kRows : 1];
  acc_t rw[kRows > 0 ? kRows : 1];
  for (int r = 0; r < kRows; ++r) {
    rp[r] = rows[r];
    rw[r] = row_w[r];
  }
  for (int64_t ow = 0; ow < out_w; ++ow) {
    const acc_t* ww = pw.weight + ow * pw.taps;
    const int64_t col = pw.start[ow] * channels;
    scalar_t* out_px = dst + ow * channels;
    if (kTaps == 0 || pw.count[ow] != kCols) {
      pixel_any(rows, row_w, nrows, ww, pw.count[ow], col, out_px, channels);
      continue;
    }
    const scalar_t* src[kTaps > 0 ? kTaps : 1];
    acc_t w[kTaps > 0 ? kTaps : 1];
    for (int r = 0; r < kRows; ++r) {
      for (int kw = 0; kw < kCols; ++kw) {
        src[r * kCols + kw] = rp[r] + col + kw * channels;
        w[r * kCols + kw] = rw[r] * ww[kw];
      }
    }
    pixel_sum<kTaps>(src, w, kTaps, out_px, channels);
  }
}

// pixel_taps with the tap counts of the common filters made compile-time constants: linear (2 x 2 in 2-D,
// 4 x 2 in 3-D) and area x0.5.
template <typename scalar_t, typename acc_t>
void pixel_row(const scalar_t* const* rows, const acc_t* row_w, int64_t nrows, const PlanView<acc_t>& pw, int64_t out_w,
               int64_t channels, scalar_t* dst) {
  if (nrows == 2 && pw.taps == 2) {
    return pixel_taps<2, 2>(rows, row_w, nrows, pw, out_w, channels, dst);
  }
  if (nrows == 4 && pw.taps == 2) {
    return pixel_taps<4, 2>(rows, row_w, nrows, pw, out_w, channels, dst);
  }
  pixel_taps<0, 0>(rows, row_w, nrows, pw, out_w, channels, dst);
}

// Output rows in order as (batch, od, oh), stepped rather than divided out per row.
struct RowCursor {
  int64_t b, od, oh;
  const int64_t Do, Ho;
  RowCursor(int64_t r, int64_t Do_, int64_t Ho_)
      : b(r / (Do_ * Ho_)), od((r / Ho_) % Do_), oh(r % Ho_), Do(Do_), Ho(Ho_) {}
  void next() {
    if (++oh == Ho) {
      oh = 0;
      if (++od == Do) {
        od = 0;
        ++b;
      }
    }
  }
};

// Note [single-tap planes]
// Where every output takes at most one input along each axis (the transposed plans of a x0.5 nearest, linear or area
// resize, i.e. its backward) and either most outputs take none (nearest: 3 in 4 gradient elements are zero) or the
// rows are short, a contiguous tensor of small planes is zeroed a plane at a time and only the reached elements are
// written, from a list built once per call: the row path visits every element and pays a fixed cost per row, which
// on rows of 4 to 16 elements outweighs the row.
// Each reached element is the row path's expression, (W weight * input) * (D weight * H weight), and with
// non-negative weights the row path's zero is +0, so the bits are the same.
constexpr int64_t kSingleTapMaxPlane = 4096;  // the list stays in L1/L2
constexpr int64_t kSingleTapMinPlanes = 2;    // one plane does not repay it (3 planes of 32^2: 0.9x -> 1.2x torch)
constexpr int64_t kSingleTapShortRow = 16;    // rows the list beats even when every element is reached

template <typename acc_t>
int64_t reached(const PlanView<acc_t>& p, int64_t n) {
  int64_t out = 0;
  for (int64_t o = 0; o < n; ++o) {
    out += p.count[o] != 0;
  }
  return out;
}

template <typename acc_t>
bool non_negative(const PlanView<acc_t>& p, int64_t n) {
  for (int64_t o = 0; o < n; ++o) {
    if (std::signbit(p.weight[o])) {
      return false;
    }
  }
  return true;
}

template <typename acc_t>
bool takes_single_tap_planes(const ResampleGeometry& g, const PlanView<acc_t>& pd, const PlanView<acc_t>& ph,
                             const PlanView<acc_t>& pw) {
  const int64_t plane_in = g.in[0] * g.in[1] * g.in[2];
  const int64_t plane_out = g.out[0] * g.out[1] * g.out[2];
  if (g.channels != 1 || pd.taps != 1 || ph.taps != 1 || pw.taps != 1 || plane_out > kSingleTapMaxPlane ||
      g.batch < kSingleTapMinPlanes || plane_in > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  const int64_t elements = reached(pd, g.out[0]) * reached(ph, g.out[1]) * reached(pw, g.out[2]);
  return (2 * elements <= plane_out || g.out[2] <= kSingleTapShortRow) && non_negative(pd, g.out[0]) &&
         non_negative(ph, g.out[1]) && non_negative(pw, g.out[2]);
}

template <typename scalar_t, typename acc_t>
void single_tap_planes(const scalar_t* in, scalar_t* out, const ResampleGeometry& g, const PlanView<acc_t>& pd,
                       const PlanView<acc_t>& ph, const PlanView<acc_t>& pw) {
  const int64_t Hi = g.in[1], Wi = g.in[2];
  const int64_t Do = g.out[0], Ho = g.out[1], Wo = g.out[2];
  const int64_t plane_in = g.in[0] * Hi * Wi, plane_out = Do * Ho * Wo;
  struct Element {
    int32_t dst, src;
    acc_t weight, scale;  // the W weight; the D*H weight
  };
  std::vector<Element> elements;
  for (int64_t od = 0; od < Do; ++od) {
    for (int64_t oh = 0; oh < Ho; ++oh) {
      if (pd.count[od] == 0 || ph.count[oh] == 0) {
        continue;
      }
      const acc_t scale = pd.weight[od] * ph.weight[oh];
      const int64_t src_row = (pd.start[od] * Hi + ph.start[oh]) * Wi, dst_row = (od * Ho + oh) * Wo;
      for (int64_t ow = 0; ow < Wo; ++ow) {
        if (pw.count[ow] != 0) {
          elements.push_back(
              {static_cast<int32_t>(dst_row + ow), static_cast<int32_t>(src_row + pw.start[ow]), pw.weight[ow], scale});
        }
      }
    }
  }
  const int64_t grain = parallel_grain(plane_out);
  at::parallel_for(0, g.batch, grain, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const scalar_t* src = in + b * plane_in;
      scalar_t* dst = out + b * plane_out;
      std::memset(static_cast<void*>(dst), 0, plane_out * sizeof(scalar_t));
      for (const Element& e : elements) {
        dst[e.dst] = store<scalar_t>((e.weight * static_cast<acc_t>(src[e.src])) * e.scale);
      }
    }
  });
}

// The most (output row, input row) pairs whose offsets and weights resample_rows tables per call (256 KiB).
constexpr int64_t kRowTableEntries = int64_t(1) << 14;

// Rows shorter than this are blended one at a time: interleaving several short rows from far-apart addresses
// defeats the hardware prefetcher (a 3-D x2 backward ran at half speed), while long rows gain from loading
// and storing the accumulator once per four.
constexpr int64_t kInterleavedRow = 1024;

// Note [row-fused engine]
// For each output row (batch, od, oh): blend the D and H taps of whole input rows into a row buffer in the
// accumulation type (skipped when the window is a single input row: its weight scales the W pass), then
// resample that row along W. The input is read about once and the output written once; every output element is a sum in
// a fixed order, so results do not depend on the thread count. The backward runs this on the transposed plans.
template <typename scalar_t, typename acc_t>
void resample_rows(const scalar_t* in, scalar_t* out, const ResampleGeometry& g,
                   const std::array<AxisPlan<acc_t>, 3>& plans) {
  const PlanView<acc_t> pd = view(plans[0]), ph = view(plans[1]), pw = view(plans[2]);
  if (takes_single_tap_planes(g, pd, ph, pw)) {
    return single_tap_planes(in, out, g, pd, ph, pw);  // Note [single-tap planes]
  }
  const bool w_identity = plans[2].is_identity();
  const int64_t C = g.channels;
  const int64_t Di = g.in[0], Hi = g.in[1];
  const int64_t Do = g.out[0], Ho = g.out[1], Wo = g.out[2];
  const int64_t in_row = g.in[2] * C, out_row = Wo * C;
  const int64_t rows = g.batch * Do * Ho;
  const int64_t row_cost = pd.taps * ph.taps * in_row + pw.taps * out_row;
  const int64_t grain = parallel_grain(row_cost);
  // Note [pixel path]: with pixels of several channels (channels_last) and few taps, summing each output
  // pixel's taps straight from the input beats a row buffer W*C wide, which outgrows L1. From 16 taps (cubic)
  // on, the separable passes' 4 + 4 multiply-adds per element beat 16 (bicubic x2 a third faster).
  const bool pixel_path = C > 1 && !w_identity && pd.taps * ph.taps * pw.taps < kPixelPathTaps;
  const PeriodicW periodic =
      C == 1 && !w_identity ? find_periodic(pw.start, pw.count, pw.weight, pw.taps, Wo) : PeriodicW{};
  // The input rows of output row (od, oh) of a plane: offsets into the plane and weights wd * wh; returns how many.
  const int64_t max_rows = pd.taps * ph.taps;
  const auto row_taps = [&](int64_t od, int64_t oh, int64_t* offset, acc_t* weight) {
    int64_t n = 0;
    for (int64_t kd = 0; kd < pd.count[od]; ++kd) {
      for (int64_t kh = 0; kh < ph.count[oh]; ++kh, ++n) {
        offset[n] = ((pd.start[od] + kd) * Hi + ph.start[oh] + kh) * in_row;
        weight[n] = pd.weight[od * pd.taps + kd] * ph.weight[oh * ph.taps + kh];
      }
    }
    return n;
  };
  // Built once per call for every (od, oh) where that table is small (2-D maps, small volumes): the row loop then
  // only adds the plane (short rows spent ~50 instructions a row building them); a large table (volumes with wide
  // antialias windows) would cost more memory than it saves, and its rows are built as they come.
  const bool tabled = Do * Ho * max_rows <= kRowTableEntries;
  InlineVector<int64_t, 256> row_count(tabled ? Do * Ho : 0), row_offset(tabled ? Do * Ho * max_rows : 0);
  InlineVector<acc_t, 256> row_scale(tabled ? Do * Ho * max_rows : 0);
  for (int64_t i = 0; tabled && i < Do * Ho; ++i) {
    row_count[i] = row_taps(i / Ho, i % Ho, row_offset.data() + i * max_rows, row_scale.data() + i * max_rows);
  }
  const int64_t* table_count = row_count.data();
  const int64_t* table_offset = row_offset.data();
  const acc_t* table_scale = row_scale.data();
  at::parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    InlineVector<acc_t, 256> buf_storage(pixel_path ? 0 : in_row);
    InlineVector<const scalar_t*, 16> rows_storage(max_rows);
    InlineVector<int64_t, 16> own_offset_storage(tabled ? 0 : max_rows);
    InlineVector<acc_t, 16> own_weight_storage(tabled ? 0 : max_rows);
    // The loop below uses plain pointers (data() chooses between the inline and the heap buffer).
    acc_t* buf = buf_storage.data();
    const scalar_t** row_src = rows_storage.data();
    int64_t* own_offset = own_offset_storage.data();
    acc_t* own_weight = own_weight_storage.data();
    RowCursor cur(begin, Do, Ho);
    for (int64_t r = begin; r < end; ++r, cur.next()) {
      const int64_t i = cur.od * Ho + cur.oh;
      const int64_t n = tabled ? table_count[i] : row_taps(cur.od, cur.oh, own_offset, own_weight);
      const int64_t* offset = tabled ? table_offset + i * max_rows : own_offset;
      const acc_t* row_weight = tabled ? table_scale + i * max_rows : own_weight;
      const scalar_t* plane = in + cur.b * Di * Hi * in_row;
      scalar_t* dst = out + r * out_row;
      if (n == 1) {
        horizontal<scalar_t, scalar_t, acc_t>(plane + offset[0], dst, pw, periodic, Wo, C, w_identity, row_weight[0]);
        continue;
      }
      if (n == 0) {
        // No input row reaches this output row (a gradient row no output read): it is zero.
        std::fill(dst, dst + out_row, store<scalar_t>(acc_t(0)));
        continue;
      }
      for (int64_t k = 0; k < n; ++k) {
        row_src[k] = plane + offset[k];
      }
      if (pixel_path) {
        pixel_row<scalar_t, acc_t>(row_src, row_weight, n, pw, Wo, C, dst);
        continue;
      }
      blend(row_src, row_weight, n, 0, in_row, buf, in_row >= kInterleavedRow ? 4 : 1);
      horizontal<acc_t, scalar_t, acc_t>(buf, dst, pw, periodic, Wo, C, w_identity, acc_t(1));
    }
  });
}

// Nearest forward: a pure gather, bit-exact for every dtype.
template <typename scalar_t, typename T>
void nearest_rows(const scalar_t* in, scalar_t* out, const ResampleGeometry& g,
                  const std::array<AxisPlan<T>, 3>& plans) {
  const int64_t C = g.channels;
  const int64_t Di = g.in[0], Hi = g.in[1];
  const int64_t Do = g.out[0], Ho = g.out[1], Wo = g.out[2];
  const int64_t in_row = g.in[2] * C, out_row = Wo * C;
  const int64_t* sd = plans[0].start.data();
  const int64_t* sh = plans[1].start.data();
  const int64_t* sw = plans[2].start.data();
  const bool w_identity = plans[2].is_identity();
  bool every_other = Wo > 1;  // W reads inputs sw[0], sw[0] + 2, sw[0] + 4, ...
  for (int64_t ow = 1; ow < Wo && every_other; ++ow) {
    every_other = sw[ow] == sw[0] + 2 * ow;
  }
  const int64_t grain = parallel_grain(out_row);
  at::parallel_for(0, g.batch * Do * Ho, grain, [&](int64_t begin, int64_t end) {
    RowCursor cur(begin, Do, Ho);
    const scalar_t* previous = nullptr;  // the source of this thread's previous output row
    for (int64_t r = begin; r < end; ++r, cur.next()) {
      const scalar_t* src = in + ((cur.b * Di + sd[cur.od]) * Hi + sh[cur.oh]) * in_row;
      scalar_t* dst = out + r * out_row;
      if (src == previous) {
        // The same input row as the row above (upsampling along H or D): one contiguous copy of that output
        // row instead of a gather.
        std::memcpy(dst, dst - out_row, out_row * sizeof(scalar_t));
        continue;
      }
      previous = src;
      if (w_identity) {
        std::memcpy(dst, src, out_row * sizeof(scalar_t));
      } else if (C == 1 && every_other) {
        // A constant stride the compiler vectorises (x0.5), where an index per element keeps it scalar.
        const scalar_t* first = src + sw[0];
        for (int64_t ow = 0; ow < Wo; ++ow) {
          dst[ow] = first[2 * ow];
        }
      } else if (C == 1) {
        for (int64_t ow = 0; ow < Wo; ++ow) {
          dst[ow] = src[sw[ow]];
        }
      } else {
        for (int64_t ow = 0; ow < Wo; ++ow) {
          std::memcpy(dst + ow * C, src + sw[ow] * C, C * sizeof(scalar_t));
        }
      }
    }
  });
}

// The entry points the dispatcher calls (row_engine_dispatch.h), for every dtype the ops take.
#define TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(scalar_t)                                                           \
  template void resample_rows<scalar_t, acc_type<scalar_t>>(const scalar_t*, scalar_t*, const ResampleGeometry&, \
                                                            const std::array<AxisPlan<acc_type<scalar_t>>, 3>&); \
  template void nearest_rows<scalar_t, acc_type<scalar_t>>(const scalar_t*, scalar_t*, const ResampleGeometry&,  \
                                                           const std::array<AxisPlan<acc_type<scalar_t>>, 3>&);

}  // namespace TORCHRESAMPLE_ISA
}  // namespace torchresample
