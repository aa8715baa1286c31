// Integer weighted sums of the uint8 engine (Note [fixed-point uint8]): rows summed with int16 weights, at the
// vector width of each instruction set (AVX2 madd over 256 bits, AVX-512 over 512; the portable copy in loops, to the
// same bits). Compiled once per instruction set (Note [cpu isa]).
#pragma once

#include "fixed_point.h"

#include <cstdint>

#if defined(TORCHRESAMPLE_ISA_AVX2)
#include <immintrin.h>
#endif

#ifndef TORCHRESAMPLE_ISA
#error "define TORCHRESAMPLE_ISA (the instruction-set namespace) before including uint8_sums.h"
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
  // dpwssd (VNNI): the madd and the add in one instruction.
  static reg madd_lo(reg acc, reg x, reg y, reg w) { return _mm512_dpwssd_epi32(acc, _mm512_unpacklo_epi16(x, y), w); }
  static reg madd_hi(reg acc, reg x, reg y, reg w) { return _mm512_dpwssd_epi32(acc, _mm512_unpackhi_epi16(x, y), w); }
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

#if defined(TORCHRESAMPLE_ISA_AVX2)
// weighted_blocks from i on, four vectors at a time, then one; returns where whole vectors end.
template <typename Lanes, typename src_t, typename dst_t>
inline int64_t weighted_vectors(const Lanes& v, const src_t* const* rows, const int16_t* w, int64_t n, int64_t i,
                                int64_t len, dst_t* dst) {
  for (; i + 4 * Lanes::kWidth <= len; i += 4 * Lanes::kWidth) {
    weighted_blocks<4>(v, rows, w, n, i, dst);
  }
  for (; i + Lanes::kWidth <= len; i += Lanes::kWidth) {
    weighted_blocks<1>(v, rows, w, n, i, dst);
  }
  return i;
}
#endif

// dst[i] = finish(sum_k w[k] * rows[k][i]) for i < len: the vertical pass (rows of the intermediate), and the
// horizontal pass of pixels with many channels (rows = the window's pixels).
template <typename src_t, typename dst_t>
void weighted_sum(const src_t* const* rows, const int16_t* w, int64_t n, int64_t len, dst_t* dst, const Rounding& r) {
  int64_t i = 0;
#if defined(TORCHRESAMPLE_ISA_AVX512)
  i = weighted_vectors(Lanes512(r), rows, w, n, i, len, dst);
#endif
#if defined(TORCHRESAMPLE_ISA_AVX2)
  i = weighted_vectors(Lanes256(r), rows, w, n, i, len, dst);
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

}  // namespace TORCHRESAMPLE_ISA
}  // namespace torchresample
