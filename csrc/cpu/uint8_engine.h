// The uint8 engine (Note [fixed-point uint8]): part of the row engine, compiled once per instruction set
// (Note [cpu isa]). The AVX2 copy vectorises with madd, the AVX-512 copy its row sums with 512-bit madd; the
// portable copy runs the same integer sums in loops, so all give the same bits.
#pragma once

#include "../common/geometry.h"
#include "../common/plan.h"
#include "fixed_point.h"
#include "parallel_grain.h"
#include "periodic.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <vector>

#if defined(TORCHRESAMPLE_ISA_AVX2)
#include <immintrin.h>
#endif

#ifndef TORCHRESAMPLE_ISA
#error "define TORCHRESAMPLE_ISA (the instruction-set namespace) before including uint8_engine.h"
#endif

namespace torchresample {
namespace TORCHRESAMPLE_ISA {

#if defined(TORCHRESAMPLE_ISA_AVX2)
// Sixteen source values widened to int16, and sixteen int16 results stored (saturated) as dst_t.
inline __m256i load16(const uint8_t* p) {
  return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256i load16(const int16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
// Eight source values as int16.
inline __m128i load8(const uint8_t* p) {
  return _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
inline __m128i load8(const int16_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline void store16(int16_t* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
inline void store16(uint8_t* p, __m256i v) {
  const __m256i bytes = _mm256_permute4x64_epi64(_mm256_packus_epi16(v, v), 0x08);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(bytes));
}

// (sum + half) >> shift, clamped: the vector form of finish().
struct RoundingVec {
  __m256i half, lo, hi;
  __m128i shift;
  explicit RoundingVec(const Rounding& r)
      : half(_mm256_set1_epi32(int32_t(1) << (r.shift - 1))),
        lo(_mm256_set1_epi32(r.lo)),
        hi(_mm256_set1_epi32(r.hi)),
        shift(_mm_cvtsi32_si128(r.shift)) {}
  __m256i operator()(__m256i sum) const {
    return _mm256_min_epi32(_mm256_max_epi32(_mm256_sra_epi32(sum, shift), lo), hi);
  }
};

// Two taps' weights side by side in each 32-bit lane, the operand madd pairs with interleaved sources.
inline int32_t pair_bits(int16_t a, int16_t b) {
  return static_cast<int32_t>(static_cast<uint16_t>(a) | (static_cast<uint32_t>(static_cast<uint16_t>(b)) << 16));
}
inline __m256i weight_pair(int16_t a, int16_t b) { return _mm256_set1_epi32(pair_bits(a, b)); }
#endif

#if defined(TORCHRESAMPLE_ISA_AVX2)
// The vector width weighted_blocks runs at: 16 int16 values in 256 bits (AVX2), 32 in 512 bits (AVX-512).
struct Lanes256 {
  using reg = __m256i;
  static constexpr int64_t kWidth = 16;
  RoundingVec rounding;
  explicit Lanes256(const Rounding& r) : rounding(r) {}
  reg start() const { return rounding.half; }
  static reg pair(int16_t a, int16_t b) { return weight_pair(a, b); }
  template <typename src_t>
  static reg load(const src_t* p) {
    return load16(p);
  }
  static reg madd_lo(reg acc, reg x, reg y, reg w) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_unpacklo_epi16(x, y), w));
  }
  static reg madd_hi(reg acc, reg x, reg y, reg w) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_unpackhi_epi16(x, y), w));
  }
  template <typename dst_t>
  void store(dst_t* p, reg lo, reg hi) const {
    store16(p, _mm256_packs_epi32(rounding(lo), rounding(hi)));
  }
};
#endif

#if defined(TORCHRESAMPLE_ISA_AVX512)
struct Lanes512 {
  using reg = __m512i;
  static constexpr int64_t kWidth = 32;
  reg half, lo_bound, hi_bound;
  __m128i shift;
  explicit Lanes512(const Rounding& r)
      : half(_mm512_set1_epi32(int32_t(1) << (r.shift - 1))),
        lo_bound(_mm512_set1_epi32(r.lo)),
        hi_bound(_mm512_set1_epi32(r.hi)),
        shift(_mm_cvtsi32_si128(r.shift)) {}
  reg start() const { return half; }
  static reg pair(int16_t a, int16_t b) { return _mm512_set1_epi32(pair_bits(a, b)); }
  static reg load(const uint8_t* p) {
    return _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static reg load(const int16_t* p) { return _mm512_loadu_si512(p); }
  static reg madd_lo(reg acc, reg x, reg y, reg w) {
    return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_unpacklo_epi16(x, y), w));
  }
  static reg madd_hi(reg acc, reg x, reg y, reg w) {
    return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_unpackhi_epi16(x, y), w));
  }
  reg finish(reg sum) const {
    return _mm512_min_epi32(_mm512_max_epi32(_mm512_sra_epi32(sum, shift), lo_bound), hi_bound);
  }
  void store(int16_t* p, reg lo, reg hi) const { _mm512_storeu_si512(p, _mm512_packs_epi32(finish(lo), finish(hi))); }
  void store(uint8_t* p, reg lo, reg hi) const {  // finished values are 0..255: the narrowing is exact
    const __m256i bytes = _mm512_cvtepi16_epi8(_mm512_packs_epi32(finish(lo), finish(hi)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), bytes);
  }
};
#endif

#if defined(TORCHRESAMPLE_ISA_AVX2)
// B blocks of Lanes::kWidth values of weighted_sum at i: madd on (row k, row k+1) interleaved (unpacklo takes
// elements 0-3 of each 128-bit lane, unpackhi 4-7, and packs_epi32(lo, hi) puts them back in order). An odd last
// tap pairs with itself at weight 0. The blocks share each pair's weights and row pointers.
template <int B, typename Lanes, typename src_t, typename dst_t>
inline void weighted_blocks(const Lanes& v, const src_t* const* rows, const int16_t* w, int64_t n, int64_t i,
                            dst_t* dst) {
  using reg = typename Lanes::reg;
  reg lo[B], hi[B];
  for (int b = 0; b < B; ++b) {
    lo[b] = hi[b] = v.start();
  }
  for (int64_t k = 0; k < n; k += 2) {
    const bool pair = k + 1 < n;
    const reg wk = Lanes::pair(w[k], pair ? w[k + 1] : 0);
    const src_t* ra = rows[k] + i;
    const src_t* rb = rows[pair ? k + 1 : k] + i;
    for (int b = 0; b < B; ++b) {
      const reg x = Lanes::load(ra + Lanes::kWidth * b), y = Lanes::load(rb + Lanes::kWidth * b);
      lo[b] = Lanes::madd_lo(lo[b], x, y, wk);
      hi[b] = Lanes::madd_hi(hi[b], x, y, wk);
    }
  }
  for (int b = 0; b < B; ++b) {
    v.store(dst + i + Lanes::kWidth * b, lo[b], hi[b]);
  }
}
#endif

// dst[i] = finish(sum_k w[k] * rows[k][i]) for i < len: the vertical pass (rows of the intermediate), and the
// horizontal pass of pixels with many channels (rows = the window's pixels).
template <typename src_t, typename dst_t>
void weighted_sum(const src_t* const* rows, const int16_t* w, int64_t n, int64_t len, dst_t* dst, const Rounding& r) {
  int64_t i = 0;
#if defined(TORCHRESAMPLE_ISA_AVX512)
  const Lanes512 wide(r);
  for (; i + 128 <= len; i += 128) {
    weighted_blocks<4>(wide, rows, w, n, i, dst);
  }
  for (; i + 32 <= len; i += 32) {
    weighted_blocks<1>(wide, rows, w, n, i, dst);
  }
#endif
#if defined(TORCHRESAMPLE_ISA_AVX2)
  const Lanes256 lanes(r);
  for (; i + 64 <= len; i += 64) {
    weighted_blocks<4>(lanes, rows, w, n, i, dst);
  }
  for (; i + 16 <= len; i += 16) {
    weighted_blocks<1>(lanes, rows, w, n, i, dst);
  }
#endif
  for (; i < len; ++i) {
    int32_t sum = 0;
    for (int64_t k = 0; k < n; ++k) {
      sum += int32_t(w[k]) * int32_t(rows[k][i]);
    }
    dst[i] = static_cast<dst_t>(finish(sum, r));
  }
}

// One output value of one channel from its window: the scalar form every vector path falls back to.
template <typename src_t>
int32_t window_sum(const src_t* src, int64_t stride, const int16_t* w, int64_t n) {
  int32_t sum = 0;
  for (int64_t k = 0; k < n; ++k) {
    sum += int32_t(w[k]) * int32_t(src[k * stride]);
  }
  return sum;
}

#if defined(TORCHRESAMPLE_ISA_AVX2)
// C == 3, 4: the shuffle that puts four taps' pixels (C channels each) as (c tap_a, c tap_b) int16 pairs for madd,
// taps 0, 1 in the low half and 2, 3 in the high half. uint8 rows: the 16 bytes at the group are broadcast to both
// halves and widened; int16 rows: the low half is loaded at tap 0 and the high half at tap 2.
template <int C, typename src_t>
__m256i pixel_pairs_mask() {
  alignas(32) int8_t mask[32];
  for (int half = 0; half < 2; ++half) {
    for (int c = 0; c < 4; ++c) {
      int8_t* m = mask + 16 * half + 4 * c;
      const bool real = c < C;
      if (std::is_same_v<src_t, uint8_t>) {
        m[0] = real ? static_cast<int8_t>((2 * half) * C + c) : -1;
        m[2] = real ? static_cast<int8_t>((2 * half + 1) * C + c) : -1;
        m[1] = m[3] = -1;
      } else {
        for (int b = 0; b < 2; ++b) {
          m[b] = real ? static_cast<int8_t>(2 * c + b) : -1;
          m[2 + b] = real ? static_cast<int8_t>(2 * (C + c) + b) : -1;
        }
      }
    }
  }
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(mask));
}

template <int C>
__m256i pixel_pairs(const uint8_t* p, __m256i mask) {
  return _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), mask);
}
template <int C>
__m256i pixel_pairs(const int16_t* p, __m256i mask) {
  const __m256i px =
      _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
                              _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * C)), 1);
  return _mm256_shuffle_epi8(px, mask);
}

// A pixel's C int16 values from the low elements of px.
template <int C>
inline void store_pixel(int16_t* out, __m128i px) {
  if (C == 4) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out), px);
  } else {
    const int32_t c01 = _mm_cvtsi128_si32(px);
    std::memcpy(out, &c01, sizeof(c01));
    out[2] = static_cast<int16_t>(_mm_extract_epi16(px, 2));
  }
}

// The elements past a group's first that pixel_pairs reads.
template <int C, typename src_t>
constexpr int64_t pixel_pairs_reach() {
  return std::is_same_v<src_t, uint8_t> ? 16 : 2 * C + 8;
}
#endif

#if defined(TORCHRESAMPLE_ISA_AVX512)
// C == 3, 4 with AVX-512 (VBMI, VNNI): eight taps of a whole pixel per dpwssd, against four per madd and add in
// the AVX2 copy. Lane L (128 bits) holds taps 2L, 2L+1 of each channel as int16 pairs, as the AVX2 layout holds
// taps 0-1 and 2-3; one permute gathers them from the window (vpermb widens bytes, vpermw moves int16) and zeroes
// RGB's fourth channel. Masked loads read the window only, so no row edge falls back to scalar code.
template <int C, typename src_t>
struct PixelPairs512 {
  static constexpr bool kBytes = std::is_same_v<src_t, uint8_t>;
  __m512i index;
  uint64_t keep = 0;  // the permute's zeroing mask: per byte (vpermb) or per int16 (vpermw)
  PixelPairs512() {
    alignas(64) int8_t bytes[64];
    alignas(64) int16_t words[32];
    for (int e = 0; e < 32; ++e) {
      const int lane = e / 8, c = (e % 8) / 2, tap = 2 * lane + e % 2;
      const bool real = c < C;
      const int from = real ? tap * C + c : 0;
      words[e] = static_cast<int16_t>(from);
      bytes[2 * e] = static_cast<int8_t>(from);
      bytes[2 * e + 1] = 0;
      keep |= uint64_t(real) << (kBytes ? 2 * e : e);
    }
    index = kBytes ? _mm512_load_si512(bytes) : _mm512_load_si512(words);
  }
  // Taps [0, taps) of the pixels at p, taps <= 8, as int16 pairs.
  __m512i operator()(const src_t* p, int64_t taps) const {
    const uint64_t load = (uint64_t(1) << (taps * C)) - 1;
    if constexpr (kBytes) {
      const __m512i px = _mm512_castsi256_si512(_mm256_maskz_loadu_epi8(static_cast<__mmask32>(load), p));
      return _mm512_maskz_permutexvar_epi8(keep, index, px);
    } else {
      const __m512i px = _mm512_maskz_loadu_epi16(static_cast<__mmask32>(load), p);
      return _mm512_maskz_permutexvar_epi16(static_cast<__mmask32>(keep), index, px);
    }
  }
};

// Each lane's (w[2L], w[2L + 1]) pair in all four of its 32-bit elements, for taps [0, taps) of w.
inline __m512i weight_pairs512(const int16_t* w, int64_t taps) {
  const __m128i wv = _mm_maskz_loadu_epi16(static_cast<__mmask8>((1u << taps) - 1), w);
  return _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3),
                                  _mm512_castsi128_si512(wv));
}
#endif

// The horizontal pass of R source rows (in_w pixels of C channels each) into int16 rows. The R rows share each
// output's weights and bounds check and give the core R independent sums. C == 1: a dot product per output;
// C == 3, 4: four taps of a whole pixel per madd; otherwise weighted_sum over the window's pixels.
template <int R, int C, typename src_t>
void horizontal_pixels_fixed(const src_t* const* rows, int16_t* const* dsts, int64_t in_w, const FixedPlan& fw,
                             int64_t ow_begin, int64_t ow_end, const Rounding& r) {
#if defined(TORCHRESAMPLE_ISA_AVX2)
  const RoundingVec rounding(r);
  const int64_t step = C == 1 ? (fw.taps % 16 == 0 ? 16 : 8) : 4;  // a power of two
  const __m256i shuffle = C == 1 ? _mm256_setzero_si256() : pixel_pairs_mask<C, src_t>();
  const __m256i pair_index = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
  // The rounding half in the first 128-bit lane only: the lanes' sums are added before rounding.
  const __m256i pair_sum_start = _mm256_blend_epi32(rounding.half, _mm256_setzero_si256(), 0xf0);
#endif
#if defined(TORCHRESAMPLE_ISA_AVX512)
  static const PixelPairs512<C, src_t> gather;
  const __m512i sum_start = _mm512_maskz_mov_epi32(0x000f, _mm512_castsi256_si512(rounding.half));
#endif
  for (int64_t ow = ow_begin; ow < ow_end; ++ow) {
    const int64_t start = fw.start[ow], n = fw.count[ow];
    const int16_t* w = fw.weight.data() + ow * fw.taps;
#if defined(TORCHRESAMPLE_ISA_AVX2)
    // The vector loads read whole steps: only where they stay inside the row (zero weights cover the excess).
    const int64_t padded = (n + step - 1) & ~(step - 1);
    if (C == 1 && start + padded <= in_w) {
      __m128i sum[R];
      if (step == 8) {
        const __m128i wk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w));
        for (int j = 0; j < R; ++j) {
          sum[j] = _mm_madd_epi16(load8(rows[j] + start), wk);
        }
      } else {
        __m256i acc[R];
        for (int j = 0; j < R; ++j) {
          acc[j] = _mm256_setzero_si256();
        }
        for (int64_t k = 0; k < padded; k += 16) {
          const __m256i wk = load16(w + k);
          for (int j = 0; j < R; ++j) {
            acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(load16(rows[j] + start + k), wk));
          }
        }
        for (int j = 0; j < R; ++j) {
          sum[j] = _mm_add_epi32(_mm256_castsi256_si128(acc[j]), _mm256_extracti128_si256(acc[j], 1));
        }
      }
      for (int j = 0; j < R; ++j) {
        __m128i v = _mm_add_epi32(sum[j], _mm_shuffle_epi32(sum[j], 0x4e));
        v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0xb1));
        dsts[j][ow] = static_cast<int16_t>(finish(_mm_cvtsi128_si32(v), r));
      }
      continue;
    }
#if defined(TORCHRESAMPLE_ISA_AVX512)
    if (C != 1) {
      __m512i acc[R];
      const src_t* px[R];
      for (int j = 0; j < R; ++j) {
        acc[j] = sum_start;
        px[j] = rows[j] + start * C;
      }
      const auto taps_at = [&](int64_t k, int64_t taps) {
        const __m512i wk = weight_pairs512(w + k, taps);
        for (int j = 0; j < R; ++j) {
          acc[j] = _mm512_dpwssd_epi32(acc[j], gather(px[j] + k * C, taps), wk);
        }
      };
      int64_t k = 0;
      for (; k + 8 <= n; k += 8) {
        taps_at(k, 8);
      }
      if (k < n) {
        taps_at(k, n - k);
      }
      for (int j = 0; j < R; ++j) {
        // The four lanes hold per-channel sums of different taps (and the rounding half): add them, then round.
        const __m256i half = _mm256_add_epi32(_mm512_castsi512_si256(acc[j]), _mm512_extracti64x4_epi64(acc[j], 1));
        const __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(half), _mm256_extracti128_si256(half, 1));
        const __m256i v = rounding(_mm256_castsi128_si256(sum));
        store_pixel<C>(dsts[j] + ow * C, _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_castsi256_si128(v)));
      }
      continue;
    }
#endif
    if (C != 1 && (start + padded - 4) * C + pixel_pairs_reach<C, src_t>() <= in_w * C) {
      __m256i acc[R];
      const src_t* px[R];
      for (int j = 0; j < R; ++j) {
        acc[j] = pair_sum_start;
        px[j] = rows[j] + start * C;
      }
      for (int64_t k = 0; k < padded; k += 4) {
        const __m256i wk = _mm256_permutevar8x32_epi32(
            _mm256_castsi128_si256(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w + k))), pair_index);
        for (int j = 0; j < R; ++j) {
          acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(pixel_pairs<C>(px[j] + k * C, shuffle), wk));
        }
      }
      for (int j = 0; j < R; ++j) {
        // Both halves hold per-channel sums (the low one the rounding half): add them, then round.
        const __m256i sum = _mm256_add_epi32(acc[j], _mm256_permute2x128_si256(acc[j], acc[j], 0x01));
        const __m256i v = rounding(sum);
        store_pixel<C>(dsts[j] + ow * C, _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_castsi256_si128(v)));
      }
      continue;
    }
#endif
    for (int j = 0; j < R; ++j) {
      for (int64_t c = 0; c < C; ++c) {
        dsts[j][ow * C + c] = static_cast<int16_t>(finish(window_sum(rows[j] + start * C + c, C, w, n), r));
      }
    }
  }
}

// Note [periodic W plans] in fixed point: periods [i_begin, i_end) of R rows of single-element pixels.
template <int R, int kPeriod, int kStride, int kTaps, typename src_t>
void periodic_fixed(const src_t* const* rows, int16_t* const* dsts, const FixedPlan& fw, const PeriodicW& per,
                    int64_t i_begin, int64_t i_end, const Rounding& r) {
  int32_t w[kPeriod][kTaps];
  int64_t base[kPeriod];
  for (int j = 0; j < kPeriod; ++j) {
    base[j] = fw.start[per.first + j];
    for (int k = 0; k < kTaps; ++k) {
      w[j][k] = fw.weight[(per.first + j) * fw.taps + k];
    }
  }
  for (int row = 0; row < R; ++row) {
    int16_t* __restrict out = dsts[row] + per.first;
    for (int64_t i = i_begin; i < i_end; ++i) {
      for (int j = 0; j < kPeriod; ++j) {
        const src_t* __restrict src = rows[row] + base[j] + kStride * i;
        int32_t sum = w[j][0] * src[0];
        for (int k = 1; k < kTaps; ++k) {
          sum += w[j][k] * src[k];
        }
        out[kPeriod * i + j] = static_cast<int16_t>(finish(sum, r));
      }
    }
  }
}

// `taps`: the float plan's tap count (fw pads it); `per`: its periodic run (single-element pixels only).
template <int R, typename src_t>
void horizontal_fixed(const src_t* const* rows, int16_t* const* dsts, int64_t in_w, int64_t C, const FixedPlan& fw,
                      int64_t taps, const PeriodicW& per, int64_t out_w, const Rounding& r,
                      std::vector<const src_t*>& pixels) {
  switch (C) {
    case 1:
      return split_periodic(
          per, 0, out_w,
          [&](int64_t b, int64_t e) { horizontal_pixels_fixed<R, 1, src_t>(rows, dsts, in_w, fw, b, e, r); },
          [&](int64_t i_begin, int64_t i_end) {
            with_periodic_kernel(per, taps, [&](auto period, auto stride, auto k) {
              periodic_fixed<R, decltype(period)::value, decltype(stride)::value, decltype(k)::value>(
                  rows, dsts, fw, per, i_begin, i_end, r);
            });
          });
    case 3:
      return horizontal_pixels_fixed<R, 3, src_t>(rows, dsts, in_w, fw, 0, out_w, r);
    case 4:
      return horizontal_pixels_fixed<R, 4, src_t>(rows, dsts, in_w, fw, 0, out_w, r);
    default:
      for (int j = 0; j < R; ++j) {
        for (int64_t ow = 0; ow < out_w; ++ow) {
          const int64_t n = fw.count[ow];
          for (int64_t k = 0; k < n; ++k) {
            pixels[k] = rows[j] + (fw.start[ow] + k) * C;
          }
          weighted_sum(pixels.data(), fw.weight.data() + ow * fw.taps, n, C, dsts[j] + ow * C, r);
        }
      }
  }
}

// Note [uint8 pass order]
// W first (torch's order) resamples along W every input row a window reaches, then sums rows; H first sums whole
// input rows (madd over full vectors, no shuffles: about a third of the instructions per product of the W pass)
// and resamples only the output rows along W. A downscale along H (a photo to a thumbnail) is cheaper H first:
// a 1080p photo to 224 bilinear-aa takes about a third less time. Linear and area only, with
// the same 7 fraction bits in the int16 intermediate: cubic and Lanczos round and clip their intermediate as torch
// does, after W. The order is chosen from the extents and taps alone, so every layout of the same values gives
// the same bits.
inline bool vertical_first_pays(int64_t Hi, int64_t Ho, int64_t in_row, int64_t mid_row, int64_t h_taps,
                                int64_t w_taps) {
  constexpr int64_t kW = 3;  // instructions per product of the W pass over one of the H pass
  const int64_t w_first = Hi * mid_row * w_taps * kW + Ho * mid_row * h_taps;
  const int64_t h_first = Ho * in_row * h_taps + Ho * mid_row * w_taps * kW;
  return h_first < w_first;
}

// Output row r (plane p = n * D + d, row oh) of interleaved pixels, stored into planar (N, C, D, H, W) `out`:
// the channels-last engine writing torch's contiguous result without a second pass over it.
#if defined(TORCHRESAMPLE_ISA_AVX2)
// Sixteen RGB pixels (48 bytes) into their three planes: each plane's bytes gathered by pshufb from the three
// 16-byte parts, a mask per (channel, part) with -1 where the part does not hold the byte.
struct RgbToPlanes {
  __m128i mask[3][3];
  RgbToPlanes() {
    for (int c = 0; c < 3; ++c) {
      for (int part = 0; part < 3; ++part) {
        alignas(16) int8_t m[16];
        for (int k = 0; k < 16; ++k) {
          const int byte = 3 * k + c;
          m[k] = byte / 16 == part ? static_cast<int8_t>(byte % 16) : -1;
        }
        mask[c][part] = _mm_load_si128(reinterpret_cast<const __m128i*>(m));
      }
    }
  }
  __m128i plane(int c, __m128i a, __m128i b, __m128i d) const {
    return _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, mask[c][0]), _mm_shuffle_epi8(b, mask[c][1])),
                        _mm_shuffle_epi8(d, mask[c][2]));
  }
};
#endif

inline void store_planar(const uint8_t* row, uint8_t* out, int64_t r, const ResampleGeometry& g) {
  const int64_t C = g.channels, D = g.in[0], Ho = g.out[1], Wo = g.out[2];
  const int64_t p = r / Ho, oh = r % Ho, n = p / D, d = p % D;
  const auto plane = [&](int64_t c) { return out + (((n * C + c) * D + d) * Ho + oh) * Wo; };
  int64_t begin = 0;
#if defined(TORCHRESAMPLE_ISA_AVX2)
  if (C == 3) {
    static const RgbToPlanes split;
    uint8_t* planes[3] = {plane(0), plane(1), plane(2)};
    for (; begin + 16 <= Wo; begin += 16) {
      const auto* px = reinterpret_cast<const __m128i*>(row + 3 * begin);
      const __m128i a = _mm_loadu_si128(px), b = _mm_loadu_si128(px + 1), e = _mm_loadu_si128(px + 2);
      for (int c = 0; c < 3; ++c) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(planes[c] + begin), split.plane(c, a, b, e));
      }
    }
  }
#endif
  for (int64_t c = 0; c < C; ++c) {
    uint8_t* __restrict dst = plane(c);
    const uint8_t* __restrict src = row + c;
    for (int64_t ow = begin; ow < Wo; ++ow) {
      dst[ow] = src[ow * C];
    }
  }
}

// The W pass of `group` (at most 4) rows: four together, fewer one by one.
template <typename src_t>
void w_pass_rows(const src_t* const* src, int16_t* const* dst, int64_t group, int64_t in_w, int64_t C,
                 const FixedPlan& fw, int64_t taps, const PeriodicW& per, int64_t out_w, const Rounding& r,
                 std::vector<const src_t*>& pixels) {
  if (group == 4) {
    return horizontal_fixed<4>(src, dst, in_w, C, fw, taps, per, out_w, r, pixels);
  }
  for (int64_t j = 0; j < group; ++j) {
    horizontal_fixed<1>(src + j, dst + j, in_w, C, fw, taps, per, out_w, r, pixels);
  }
}

// Output row r of the W pass, rounded and clamped to 0..255 (narrowing is exact), into `out`: in place, or through
// `planar_row` into torch's planar result (store_planar).
inline void store_row(const int16_t* from, uint8_t* out, int64_t r, const ResampleGeometry& g, uint8_t* planar_row) {
  const int64_t len = g.out[2] * g.channels;
  uint8_t* to = planar_row != nullptr ? planar_row : out + r * len;
  int64_t i = 0;
#if defined(TORCHRESAMPLE_ISA_AVX2)
  for (; i + 16 <= len; i += 16) {
    store16(to + i, load16(from + i));
  }
#endif
  for (; i < len; ++i) {
    to[i] = static_cast<uint8_t>(from[i]);
  }
  if (planar_row != nullptr) {
    store_planar(to, out, r, g);
  }
}

// Note [uint8 pass order]: each output row is the H pass of its window's input rows into an int16 row (7 fraction
// bits), then the W pass of that row; four output rows at a time through the W pass.
inline void uint8_rows_vertical_first(const uint8_t* in, uint8_t* out, const ResampleGeometry& g,
                                      const std::array<AxisPlan<float>, 3>& plans, const PeriodicW& periodic,
                                      bool planar_out) {
  const int64_t C = g.channels, Hi = g.in[1], Wi = g.in[2], Ho = g.out[1], Wo = g.out[2];
  const int64_t in_row = Wi * C, mid_row = Wo * C;
  const int64_t w_step = C == 1 ? (plans[2].taps <= 8 ? 8 : 16) : (C == 3 || C == 4 ? 4 : 1);
  const FixedPlan fh = fixed_point_plan(plans[1], 1, 255);
  const FixedPlan fw = fixed_point_plan(plans[2], w_step, 32767);
  const Rounding h_round{fh.shift - 7, -32768, 32767};
  const Rounding w_round{fw.shift + 7, 0, 255};
  const int64_t row_cost = plans[1].taps * in_row + fw.taps * mid_row;
  const int64_t grain = parallel_grain(row_cost);
  at::parallel_for(0, g.batch * g.in[0] * Ho, grain, [&](int64_t begin, int64_t end) {
    std::vector<int16_t> mid(4 * in_row), narrow(4 * mid_row);
    std::vector<uint8_t> row(planar_out ? mid_row : 0);
    std::vector<const uint8_t*> rows(plans[1].taps);
    std::vector<const int16_t*> pixels(fw.taps);
    for (int64_t r = begin; r < end; r += 4) {
      const int64_t group = std::min<int64_t>(4, end - r);
      const int16_t* src[4];
      int16_t* dst[4];
      for (int64_t j = 0; j < group; ++j) {
        const int64_t p = (r + j) / Ho, oh = (r + j) % Ho, n = fh.count[oh];
        for (int64_t k = 0; k < n; ++k) {
          rows[k] = in + (p * Hi + fh.start[oh] + k) * in_row;
        }
        int16_t* m = mid.data() + j * in_row;
        weighted_sum(rows.data(), fh.weight.data() + oh * fh.taps, n, in_row, m, h_round);
        src[j] = m;
        dst[j] = narrow.data() + j * mid_row;
      }
      w_pass_rows(src, dst, group, Wi, C, fw, plans[2].taps, periodic, Wo, w_round, pixels);
      for (int64_t j = 0; j < group; ++j) {
        store_row(dst[j], out, r + j, g, planar_out ? row.data() : nullptr);
      }
    }
  });
}

// Note [uint8 identity axes]: where one of H and W keeps its extent (its plan is the identity), the other alone
// is resampled, in one pass rounded once: the H pass sums uint8 rows into the result, the W pass resamples uint8
// rows four at a time. Every filter: without a W pass there is no intermediate for cubic and Lanczos to clip.
inline void uint8_rows_one_axis(const uint8_t* in, uint8_t* out, const ResampleGeometry& g,
                                const std::array<AxisPlan<float>, 3>& plans, const PeriodicW& periodic,
                                bool planar_out) {
  const int64_t C = g.channels, Hi = g.in[1], Wi = g.in[2], Ho = g.out[1], Wo = g.out[2];
  const int64_t in_row = Wi * C, mid_row = Wo * C, rows_out = g.batch * g.in[0] * Ho;
  if (plans[2].is_identity()) {
    const FixedPlan fh = fixed_point_plan(plans[1], 1, 255);
    const Rounding h_round{fh.shift, 0, 255};
    const int64_t grain = parallel_grain(plans[1].taps * in_row);
    at::parallel_for(0, rows_out, grain, [&](int64_t begin, int64_t end) {
      std::vector<const uint8_t*> rows(plans[1].taps);
      std::vector<uint8_t> row(planar_out ? mid_row : 0);
      for (int64_t r = begin; r < end; ++r) {
        const int64_t p = r / Ho, oh = r % Ho, n = fh.count[oh];
        for (int64_t k = 0; k < n; ++k) {
          rows[k] = in + (p * Hi + fh.start[oh] + k) * in_row;
        }
        uint8_t* to = planar_out ? row.data() : out + r * mid_row;
        weighted_sum(rows.data(), fh.weight.data() + oh * fh.taps, n, mid_row, to, h_round);
        if (planar_out) {
          store_planar(to, out, r, g);
        }
      }
    });
    return;
  }
  const int64_t w_step = C == 1 ? (plans[2].taps <= 8 ? 8 : 16) : (C == 3 || C == 4 ? 4 : 1);
  const FixedPlan fw = fixed_point_plan(plans[2], w_step, 255);
  const Rounding w_round{fw.shift, 0, 255};
  const int64_t grain = parallel_grain(fw.taps * mid_row, 4);
  at::parallel_for(0, rows_out, grain, [&](int64_t begin, int64_t end) {
    std::vector<int16_t> narrow(4 * mid_row);
    std::vector<uint8_t> row(planar_out ? mid_row : 0);
    std::vector<const uint8_t*> pixels(fw.taps);
    for (int64_t r = begin; r < end; r += 4) {
      const int64_t group = std::min<int64_t>(4, end - r);
      const uint8_t* src[4];
      int16_t* dst[4];
      for (int64_t j = 0; j < group; ++j) {
        src[j] = in + (r + j) * in_row;  // Hi == Ho: output row r reads input row r
        dst[j] = narrow.data() + j * mid_row;
      }
      w_pass_rows(src, dst, group, Wi, C, fw, plans[2].taps, periodic, Wo, w_round, pixels);
      for (int64_t j = 0; j < group; ++j) {
        store_row(dst[j], out, r + j, g, planar_out ? row.data() : nullptr);
      }
    }
  });
}

// Note [fixed-point uint8]: 1-D and 2-D resampling of uint8 (D must be an identity axis: it joins the batch).
// Not inline: each instruction set's file defines its copy once (Note [cpu isa]).
// Each thread walks its output rows in order and keeps the horizontal pass of the input rows their windows
// need in a ring of plan-taps rows, so every input row is resampled along W once per thread. Where consecutive
// windows leave no row between them (upscales, antialias), every row past a window is read by a later one: the
// ring holds three rows more and the W pass takes four rows at a time even when a window adds one (an upscale's
// window adds one row per output row or none).
void uint8_rows(const uint8_t* in, uint8_t* out, const ResampleGeometry& g, const std::array<AxisPlan<float>, 3>& plans,
                bool clip_intermediate, bool planar_out) {
  const int64_t C = g.channels, Hi = g.in[1], Wi = g.in[2], Ho = g.out[1], Wo = g.out[2];
  const int64_t planes = g.batch * g.in[0];
  const int mid_bits = clip_intermediate && fixed_point_w_pass_is_exact(plans[2]) ? 0 : 7;
  const int32_t mid_max = clip_intermediate ? 255 << mid_bits : 32767;
  const int64_t w_step = C == 1 ? (plans[2].taps <= 8 ? 8 : 16) : (C == 3 || C == 4 ? 4 : 1);
  const FixedPlan fw = fixed_point_plan(plans[2], w_step, 255);
  const AxisPlan<float>& pw = plans[2];
  const PeriodicW periodic =
      C == 1 ? find_periodic(pw.start.data(), pw.count.data(), pw.weight.data(), pw.taps, Wo) : PeriodicW{};
  const FixedPlan fh = fixed_point_plan(plans[1], 1, mid_max);
  const Rounding w_round{fw.shift - mid_bits, clip_intermediate ? 0 : -32768, mid_max};
  const Rounding h_round{fh.shift + mid_bits, 0, 255};
  const int64_t in_row = Wi * C, mid_row = Wo * C, h_taps = plans[1].taps;
  if (plans[1].is_identity() || plans[2].is_identity()) {
    return uint8_rows_one_axis(in, out, g, plans, periodic, planar_out);
  }
  if (!clip_intermediate && vertical_first_pays(Hi, Ho, in_row, mid_row, h_taps, fw.taps)) {
    return uint8_rows_vertical_first(in, out, g, plans, periodic, planar_out);
  }
  bool gapless = true;
  for (int64_t oh = 0; oh + 1 < Ho; ++oh) {
    gapless = gapless && fh.start[oh + 1] <= fh.start[oh] + fh.count[oh];
  }
  const int64_t ring = gapless ? h_taps + 3 : h_taps;
  const int64_t row_cost = h_taps * mid_row + (Hi + Ho - 1) / Ho * fw.taps * mid_row;
  const int64_t grain = parallel_grain(row_cost);
  at::parallel_for(0, planes * Ho, grain, [&](int64_t begin, int64_t end) {
    std::vector<int16_t> mid(ring * mid_row);
    std::vector<const int16_t*> rows(ring);
    std::vector<const uint8_t*> pixels(fw.taps);
    std::vector<uint8_t> row(planar_out ? mid_row : 0);
    int64_t plane = -1, next = 0;  // next: the first input row of `plane` not yet in the ring
    for (int64_t r = begin; r < end; ++r) {
      const int64_t p = r / Ho, oh = r % Ho;
      if (p != plane) {
        plane = p;
        next = 0;
      }
      const int64_t s = fh.start[oh], n = fh.count[oh];
      // The rows this window adds, four at a time where there are four (ahead of the window where gapless).
      int64_t ih = std::max(next, s);
      while (ih < s + n) {
        const bool four = ih + 4 <= (gapless ? Hi : s + n);
        const uint8_t* src[4];
        int16_t* dst[4];
        for (int64_t j = 0; j < (four ? 4 : 1); ++j) {
          src[j] = in + (p * Hi + ih + j) * in_row;
          dst[j] = mid.data() + ((ih + j) % ring) * mid_row;
        }
        if (four) {
          horizontal_fixed<4>(src, dst, Wi, C, fw, pw.taps, periodic, Wo, w_round, pixels);
        } else {
          horizontal_fixed<1>(src, dst, Wi, C, fw, pw.taps, periodic, Wo, w_round, pixels);
        }
        ih += four ? 4 : 1;
      }
      next = std::max(next, ih);
      for (int64_t k = 0; k < n; ++k) {
        rows[k] = mid.data() + ((s + k) % ring) * mid_row;
      }
      if (planar_out) {
        weighted_sum(rows.data(), fh.weight.data() + oh * fh.taps, n, mid_row, row.data(), h_round);
        store_planar(row.data(), out, r, g);
      } else {
        weighted_sum(rows.data(), fh.weight.data() + oh * fh.taps, n, mid_row, out + r * mid_row, h_round);
      }
    }
  });
}

}  // namespace TORCHRESAMPLE_ISA
}  // namespace torchresample
