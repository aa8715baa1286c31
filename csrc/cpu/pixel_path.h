// The pixel path of the row engine (Note [pixel path]): channels_last output rows summed pixel by pixel straight from
// the input rows. Compiled once per instruction set (Note [cpu isa]).
#pragma once

#include "../common/attributes.h"
#include "../common/plan.h"
#include "../common/store.h"
#include "row_blend.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

#ifndef TORCHRESAMPLE_ISA
#error "define TORCHRESAMPLE_ISA (the instruction-set namespace) before including pixel_path.h"
#endif

namespace torchresample {
namespace TORCHRESAMPLE_ISA {

// One channels_last output pixel: the sum over its n taps (src, w), written to out_px in chunks of channels
// through an accumulator of acc_t (float and double sum straight into the output: a copy from a separate
// accumulator becomes a slow `rep movs`).
template <int kN, typename scalar_t, typename acc_t>
TORCHRESAMPLE_ALWAYS_INLINE void pixel_sum(const scalar_t* const* src, const acc_t* w, int64_t n, scalar_t* out_px,
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

// Note [pixel path]: with pixels of several channels (channels_last) and few taps, summing each output pixel's taps
// straight from the input rows beats a row buffer W*C wide, which outgrows L1. From 16 taps (cubic) on, the separable
// passes' 4 + 4 multiply-adds per element beat 16 (bicubic x2 a third faster). The path's tap arrays are this long.
constexpr int64_t kPixelPathTaps = 16;

// Whether resample_rows sums an output row's pixels through the pixel path: `taps`, the product of the three
// plans' tap bounds, bounds every pixel's taps.
inline bool takes_pixel_path(int64_t channels, bool w_identity, int64_t taps) {
  return channels > 1 && !w_identity && taps < kPixelPathTaps;
}

// A pixel whose W window is not the plan's full tap count (borders, uneven windows): taps gathered at run time.
template <typename scalar_t, typename acc_t>
TORCHRESAMPLE_NOINLINE void pixel_any(const scalar_t* const* rows, const acc_t* row_w, int64_t nrows, const acc_t* ww,
                                      int64_t nw, int64_t col, scalar_t* out_px, int64_t channels) {
  const scalar_t* src[kPixelPathTaps];  // nrows * nw < kPixelPathTaps (takes_pixel_path)
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

// One output row of channels_last pixels (Note [pixel path]), each the sum of its taps read straight from the
// input rows (D and H taps: `rows`, weighted by row_w; W taps: columns of those rows), in chunks of channels.
// The loop is memory-bound, yet its speed follows the instructions spent per pixel: with the row and column
// tap counts known at compile time (kRows, kCols > 0) the tap pointers stay in registers (a run-time count
// kept them in memory and cost 40% on a x0.5 bilinear). Pixels with another W count take pixel_any.
template <int kRows, int kCols, typename scalar_t, typename acc_t>
void pixel_taps(const scalar_t* const* rows, const acc_t* row_w, int64_t nrows, const PlanView<acc_t>& pw,
                int64_t out_w, int64_t channels, scalar_t* dst) {
  constexpr int kTaps = kRows * kCols;
  static_assert(kTaps < kPixelPathTaps, "the pixel path takes fewer taps than kPixelPathTaps");
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

}  // namespace TORCHRESAMPLE_ISA
}  // namespace torchresample
