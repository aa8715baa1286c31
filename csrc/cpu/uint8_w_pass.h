// The W pass of the uint8 engine (Note [fixed-point uint8]): rows of uint8 or int16 pixels resampled along W into
// int16 rows, four rows at a time. w_pass_fixed_rows, the one the engine calls, takes four rows together or one by
// one; w_pass_fixed picks by channels: single-element pixels split into periodic runs (w_periodic_fixed, Note
// [periodic W plans]) and dot products (w_pixels_fixed), RGB and RGBA pixels whole (w_pixels_fixed), other channel
// counts as weighted sums over the window's pixels. Compiled once per instruction set (Note [cpu isa]).
#pragma once

#include "../common/attributes.h"
#include "fixed_point.h"
#include "periodic.h"
#include "uint8_sums.h"

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#if defined(TORCHRESAMPLE_ISA_AVX2)
#include <immintrin.h>
#endif

#ifndef TORCHRESAMPLE_ISA
#error "define TORCHRESAMPLE_ISA (the instruction-set namespace) before including uint8_w_pass.h"
#endif

namespace torchresample {
namespace TORCHRESAMPLE_ISA {

// The widest W plan that pixel groups take (Note [pixel groups]: the four outputs' weights fill two registers).
constexpr int64_t kPixelGroupMaxTaps = 16;

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
// the AVX2 copy. Lane c (128 bits) holds channel c, its 32-bit element k the int16 pair of taps 2k, 2k+1: every lane
// takes the same weights, so they are the eight taps' weights broadcast from memory (a load, no shuffle). One
// permute gathers the pixels from the window (vpermb widens bytes, vpermw moves int16); RGB's fourth lane is zero.
// Masked loads read the window only, so no row edge falls back to scalar code.
template <int C, typename src_t>
struct PixelPairs512 {
  static constexpr bool kBytes = std::is_same_v<src_t, uint8_t>;
  __m512i index;
  uint64_t keep = 0;  // the permute's zeroing mask: per byte (vpermb) or per int16 (vpermw)
  PixelPairs512() {
    alignas(64) int8_t bytes[64];
    alignas(64) int16_t words[32];
    for (int e = 0; e < 32; ++e) {
      const int c = e / 8, tap = e % 8;  // word e: lane c, element tap / 2, half tap % 2
      const bool real = c < C;
      const int from = real ? tap * C + c : 0;
      words[e] = static_cast<int16_t>(from);
      bytes[2 * e] = static_cast<int8_t>(from);
      bytes[2 * e + 1] = 0;
      keep |= uint64_t(real) << (kBytes ? 2 * e : e);
    }
    index = kBytes ? _mm512_load_si512(bytes) : _mm512_load_si512(words);
  }
  // The one instance (its index built at first use).
  static const PixelPairs512& get() {
    static const PixelPairs512 instance;
    return instance;
  }
  // Taps [0, taps) of the pixels at p, taps <= 8, as int16 pairs (taps past them zero).
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

// Four pixels of C int16 channels from sums at 32-bit element (channel c, output o) of a vector (lane c, element o
// where kChannelLanes, else lane o, element c): shifted, clamped and stored at dst together. The clamped sums fit
// int16, so their low halves are the values: one permute packs the pixels, a masked store writes `pixels` of them.
template <int C, bool kChannelLanes>
struct FourPixels {
  __m512i lo, hi, compact;  // compact: int16 C * o + c of the stored pixels from the low half of (c, o)'s element
  __m128i shift;
  explicit FourPixels(const Rounding& r)
      : lo(_mm512_set1_epi32(r.lo)), hi(_mm512_set1_epi32(r.hi)), shift(_mm_cvtsi32_si128(r.shift)) {
    alignas(64) int16_t words[32];
    for (int e = 0; e < 32; ++e) {
      const int o = e / C, c = e % C;
      words[e] = static_cast<int16_t>(e < 4 * C ? 2 * (kChannelLanes ? 4 * c + o : 4 * o + c) : 0);
    }
    compact = _mm512_load_si512(words);
  }
  TORCHRESAMPLE_ALWAYS_INLINE void store(int16_t* dst, __m512i sums, int pixels = 4) const {
    const __m512i v = _mm512_min_epi32(_mm512_max_epi32(_mm512_sra_epi32(sums, shift), lo), hi);
    _mm512_mask_storeu_epi16(dst, static_cast<__mmask32>((1u << (pixels * C)) - 1),
                             _mm512_permutexvar_epi16(compact, v));
  }
};
#endif

// The tap step the W pass reads windows in (a plan's taps are padded to it with zero weights): 8 or 16 taps for
// single-element pixels (dot_fixed), 4 for RGB and RGBA (PixelMadd), 1 otherwise.
inline int64_t w_tap_step(int64_t channels, int64_t taps) {
  return channels == 1 ? (taps <= 8 ? 8 : 16) : (channels == 3 || channels == 4 ? 4 : 1);
}

// One output of R rows of w_pixels_fixed, by the widest step its window allows. Each step returns false where its
// vector loads would read past the row (zero weights cover what they read beyond the window); the scalar step takes
// every output.
struct FixedWindow {
  int64_t ow;        // the output
  int64_t start, n;  // its window
  const int16_t* w;  // its weights, padded with zeros to the plan's tap stride
};

#if defined(TORCHRESAMPLE_ISA_AVX2)
// C == 1: a dot product per row over whole steps of 8 or 16 taps (`step`: the plan's tap stride allows it).
template <int R, typename src_t>
TORCHRESAMPLE_ALWAYS_INLINE bool dot_fixed(const src_t* const* rows, int16_t* const* dsts, int64_t in_w,
                                           const FixedWindow& x, int64_t step, const Rounding& r) {
  const int64_t padded = (x.n + step - 1) & ~(step - 1);
  if (x.start + padded > in_w) {
    return false;
  }
  __m128i sum[R];
  if (step == 8) {
    const __m128i wk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x.w));
    for (int j = 0; j < R; ++j) {
      sum[j] = _mm_madd_epi16(load8(rows[j] + x.start), wk);
    }
  } else {
    __m256i acc[R];
    for (int j = 0; j < R; ++j) {
      acc[j] = _mm256_setzero_si256();
    }
    for (int64_t k = 0; k < padded; k += 16) {
      const __m256i wk = load16(x.w + k);
      for (int j = 0; j < R; ++j) {
        acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(load16(rows[j] + x.start + k), wk));
      }
    }
    for (int j = 0; j < R; ++j) {
      sum[j] = _mm_add_epi32(_mm256_castsi256_si128(acc[j]), _mm256_extracti128_si256(acc[j], 1));
    }
  }
  for (int j = 0; j < R; ++j) {
    __m128i v = _mm_add_epi32(sum[j], _mm_shuffle_epi32(sum[j], 0x4e));
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0xb1));
    dsts[j][x.ow] = static_cast<int16_t>(finish(_mm_cvtsi128_si32(v), r));
  }
  return true;
}

// C == 3, 4 with AVX2: four taps of a whole pixel per madd (pixel_pairs), where the shuffled loads stay in the row.
template <int R, int C, typename src_t>
struct PixelMadd {
  RoundingVec rounding;
  __m256i shuffle = C == 1 ? _mm256_setzero_si256() : pixel_pairs_mask<C, src_t>();
  __m256i pair_index = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
  // The rounding half in the first 128-bit lane only: the lanes' sums are added before rounding.
  __m256i sum_start;
  explicit PixelMadd(const Rounding& r)
      : rounding(r), sum_start(_mm256_blend_epi32(rounding.half, _mm256_setzero_si256(), 0xf0)) {}

  TORCHRESAMPLE_ALWAYS_INLINE bool operator()(const src_t* const* rows, int16_t* const* dsts, int64_t in_w,
                                              const FixedWindow& x) const {
    const int64_t padded = (x.n + 3) & ~int64_t(3);
    if ((x.start + padded - 4) * C + pixel_pairs_reach<C, src_t>() > in_w * C) {
      return false;
    }
    __m256i acc[R];
    const src_t* px[R];
    for (int j = 0; j < R; ++j) {
      acc[j] = sum_start;
      px[j] = rows[j] + x.start * C;
    }
    for (int64_t k = 0; k < padded; k += 4) {
      const __m256i wk = _mm256_permutevar8x32_epi32(
          _mm256_castsi128_si256(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x.w + k))), pair_index);
      for (int j = 0; j < R; ++j) {
        acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(pixel_pairs<C>(px[j] + k * C, shuffle), wk));
      }
    }
    for (int j = 0; j < R; ++j) {
      // Both halves hold per-channel sums (the low one the rounding half): add them, then round.
      const __m256i sum = _mm256_add_epi32(acc[j], _mm256_permute2x128_si256(acc[j], acc[j], 0x01));
      const __m256i v = rounding(sum);
      store_pixel<C>(dsts[j] + x.ow * C, _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_castsi256_si128(v)));
    }
    return true;
  }
};
#endif

#if defined(TORCHRESAMPLE_ISA_AVX512)
// Element o of each 128-bit lane: the sum of that lane's four elements in the o-th of four vectors.
TORCHRESAMPLE_ALWAYS_INLINE __m512i add_lane_elements(__m512i a, __m512i b, __m512i c, __m512i d) {
  // Elements (a01, b01, a23, b23) of each lane: a blend takes (a0, b1, a2, b3), another (b0, a1, b2, a3) swapped.
  const auto pairs = [](__m512i x, __m512i y) {
    return _mm512_add_epi32(_mm512_mask_blend_epi32(0xaaaa, x, y),
                            _mm512_shuffle_epi32(_mm512_mask_blend_epi32(0xaaaa, y, x), _MM_PERM_CDAB));
  };
  const __m512i ab = pairs(a, b), cd = pairs(c, d);
  return _mm512_add_epi32(_mm512_mask_blend_epi32(0xcccc, ab, cd),
                          _mm512_shuffle_epi32(_mm512_mask_blend_epi32(0xcccc, cd, ab), _MM_PERM_BADC));
}

// Outputs ow .. ow + 3 of R rows summed by `k.accumulate` (Dot512, PixelDpwssd): sums[o][j], output ow + o, row j.
template <int R, typename Kernel, typename src_t>
TORCHRESAMPLE_ALWAYS_INLINE void accumulate_four(const Kernel& k, const src_t* const* rows, const FixedPlan& fw,
                                                 int64_t ow, __m512i (&sums)[4][R]) {
  const auto window = [&](int64_t o) {
    return FixedWindow{o, fw.start[o], fw.count[o], fw.weight.data() + o * fw.taps};
  };
  // Four calls, not a loop: the accumulators stay in registers.
  k.accumulate(rows, window(ow), sums[0]);
  k.accumulate(rows, window(ow + 1), sums[1]);
  k.accumulate(rows, window(ow + 2), sums[2]);
  k.accumulate(rows, window(ow + 3), sums[3]);
}

// C == 1 with AVX-512: 32 taps per dpwssd (masked loads: every window), four outputs' sums added together
// (add_lane_elements, then across lanes) and stored as one.
template <int R, typename src_t>
struct Dot512 {
  __m512i sum_start;  // the rounding half in one element: an output's elements are added
  __m128i lo, hi, shift;
  explicit Dot512(const Rounding& r)
      : sum_start(_mm512_maskz_set1_epi32(0x0001, int32_t(1) << (r.shift - 1))),
        lo(_mm_set1_epi32(r.lo)),
        hi(_mm_set1_epi32(r.hi)),
        shift(_mm_cvtsi32_si128(r.shift)) {}

  TORCHRESAMPLE_ALWAYS_INLINE void accumulate(const src_t* const* rows, const FixedWindow& x, __m512i* acc) const {
    for (int j = 0; j < R; ++j) {
      acc[j] = sum_start;
    }
    for (int64_t k = 0; k < x.n; k += 32) {
      const __mmask32 m = x.n - k >= 32 ? ~__mmask32(0) : static_cast<__mmask32>((1u << (x.n - k)) - 1);
      const __m512i wk = _mm512_maskz_loadu_epi16(m, x.w + k);
      for (int j = 0; j < R; ++j) {
        const src_t* p = rows[j] + x.start + k;
        __m512i px;
        if constexpr (std::is_same_v<src_t, uint8_t>) {
          px = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, p));
        } else {
          px = _mm512_maskz_loadu_epi16(m, p);
        }
        acc[j] = _mm512_dpwssd_epi32(acc[j], px, wk);
      }
    }
  }

  // Outputs ow .. ow + 3.
  TORCHRESAMPLE_ALWAYS_INLINE void four(const src_t* const* rows, int16_t* const* dsts, const FixedPlan& fw,
                                        int64_t ow) const {
    __m512i sums[4][R];
    accumulate_four(*this, rows, fw, ow, sums);
    for (int j = 0; j < R; ++j) {
      const __m512i e = add_lane_elements(sums[0][j], sums[1][j], sums[2][j], sums[3][j]);
      const __m256i f = _mm256_add_epi32(_mm512_castsi512_si256(e), _mm512_extracti64x4_epi64(e, 1));
      const __m128i total = _mm_add_epi32(_mm256_castsi256_si128(f), _mm256_extracti128_si256(f, 1));
      const __m128i v = _mm_min_epi32(_mm_max_epi32(_mm_sra_epi32(total, shift), lo), hi);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(dsts[j] + ow), _mm_packs_epi32(v, v));
    }
  }
};
#endif

#if defined(TORCHRESAMPLE_ISA_AVX512)
// C == 3, 4 with AVX-512: eight taps of a whole pixel per dpwssd (PixelPairs512, masked loads: every window). The
// four elements of each channel's lane are added across four outputs at a time (two rounds of blends and in-lane
// swaps), and the four pixels stored as one (FourPixels); a single output takes the same steps beside zeros.
template <int R, int C, typename src_t>
struct PixelDpwssd {
  // A copy, not a reference to the shared instance: in the extension (-fPIC) a reference kept the hot loop reloading
  // the permutation through the GOT (1080p RGB bicubic 10% slower).
  const PixelPairs512<C, src_t> gather = PixelPairs512<C, src_t>::get();
  FourPixels<C, true> four_pixels;
  __m512i sum_start;  // the rounding half in each lane's first element: a lane's elements are added
  explicit PixelDpwssd(const Rounding& r)
      : four_pixels(r), sum_start(_mm512_maskz_set1_epi32(0x1111, int32_t(1) << (r.shift - 1))) {}

  // acc[j]: output x's partial sums over row j.
  TORCHRESAMPLE_ALWAYS_INLINE void accumulate(const src_t* const* rows, const FixedWindow& x, __m512i* acc) const {
    const src_t* px[R];
    for (int j = 0; j < R; ++j) {
      acc[j] = sum_start;
      px[j] = rows[j] + x.start * C;
    }
    int64_t k = 0;
    for (; k + 8 <= x.n; k += 8) {
      const __m512i wk = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.w + k)));
      for (int j = 0; j < R; ++j) {
        acc[j] = _mm512_dpwssd_epi32(acc[j], gather(px[j] + k * C, 8), wk);
      }
    }
    if (k < x.n) {
      // The pixels past the window are zero; the weights are read only up to it (the last output's end the plan's).
      const __m512i wk =
          _mm512_broadcast_i32x4(_mm_maskz_loadu_epi16(static_cast<__mmask8>((1u << (x.n - k)) - 1), x.w + k));
      for (int j = 0; j < R; ++j) {
        acc[j] = _mm512_dpwssd_epi32(acc[j], gather(px[j] + k * C, x.n - k), wk);
      }
    }
  }

  TORCHRESAMPLE_ALWAYS_INLINE void operator()(const src_t* const* rows, int16_t* const* dsts,
                                              const FixedWindow& x) const {
    __m512i acc[R];
    accumulate(rows, x, acc);
    const __m512i zero = _mm512_setzero_si512();
    for (int j = 0; j < R; ++j) {
      four_pixels.store(dsts[j] + x.ow * C, add_lane_elements(acc[j], zero, zero, zero), 1);
    }
  }

  // Outputs ow .. ow + 3.
  TORCHRESAMPLE_ALWAYS_INLINE void four(const src_t* const* rows, int16_t* const* dsts, const FixedPlan& fw,
                                        int64_t ow) const {
    __m512i sums[4][R];
    accumulate_four(*this, rows, fw, ow, sums);
    for (int j = 0; j < R; ++j) {
      four_pixels.store(dsts[j] + ow * C, add_lane_elements(sums[0][j], sums[1][j], sums[2][j], sums[3][j]));
    }
  }
};

// Note [pixel groups]
// With AVX-512, where the windows of four consecutive outputs lie within 64 values of the row (upscales, downscales by
// up to about 3 for RGB and 10 for single-element pixels, plans of at most 16 taps): the four outputs share each
// dpwssd, output ow + L in lane L. RGB and RGBA: a lane's four 32-bit sums are the pixel's channels, one tap pair per
// step, so no sums cross lanes and the four pixels are stored together; single-element pixels: a lane's four sums
// are four tap pairs (eight taps per step), added in the lane at the end. For a 4-tap upscale this is about a fifth
// of the instructions of a window per output, which go mostly to adding lanes. Per step one permute gathers each
// lane's taps from the group's 64 values (vpermb from one register of bytes, vpermt2w from two of int16) and one
// picks the weight pairs from the four outputs' weights (two registers). Taps past a window have weight 0, so what
// their (wrapping) indices read does not count.
template <int R, int C, typename src_t>
struct PixelGroups512 {
  static constexpr bool kBytes = std::is_same_v<src_t, uint8_t>;
  static constexpr int64_t kReach = 64;  // values of the row the gather reads from the group's first window start
  static constexpr int kPairsPerLane = C == 1 ? 4 : 1;  // tap pairs per lane and step
  // word (lane L, w): tap (w % 2 + 2 * (w / 2)) of the step (C == 1), or tap w % 2 of channel w / 2; lane offset 0
  __m512i pattern;
  __m512i weight_index;  // dword (lane L, m) = L * taps / 2 (+ m for C == 1): output L's first weight pairs
  __m512i sum_start;     // the rounding half, in every element (channels) or in each lane's first (tap pairs)
  __m512i step_pattern = _mm512_set1_epi16(2 * kPairsPerLane * C), step_weight = _mm512_set1_epi32(kPairsPerLane);
  FourPixels<C, false> four_pixels;
  __mmask64 keep = 0;  // the gather's zeroing mask: bytes (vpermb: the low byte of real channels' words) or words
  int64_t taps;

  PixelGroups512(const Rounding& r, const FixedPlan& fw)
      : sum_start(_mm512_maskz_set1_epi32(C == 1 ? 0x1111 : 0xffff, int32_t(1) << (r.shift - 1))),
        four_pixels(r),
        taps(fw.taps) {
    alignas(64) int16_t words[32];
    alignas(64) int32_t pairs[16];
    for (int e = 0; e < 32; ++e) {
      const int w = e % 8, c = C == 1 ? 0 : w / 2, tap = C == 1 ? w : w % 2;
      words[e] = static_cast<int16_t>(tap * C + c);
      if (c < C) {
        keep |= kBytes ? __mmask64(1) << (2 * e) : __mmask64(1) << e;
      }
    }
    for (int e = 0; e < 16; ++e) {
      pairs[e] = static_cast<int32_t>(e / 4 * fw.taps / 2 + (C == 1 ? e % 4 : 0));
    }
    pattern = _mm512_load_si512(words);
    weight_index = _mm512_load_si512(pairs);
  }

  // Outputs ow .. ow + 3 of the R rows of a plan of at most kPixelGroupMaxTaps taps (their weights fill two registers);
  // false (nothing written) where their windows reach past kReach values.
  TORCHRESAMPLE_ALWAYS_INLINE bool operator()(const src_t* const* rows, int16_t* const* dsts, int64_t in_w,
                                              const FixedPlan& fw, int64_t ow) const {
    const int64_t* start = fw.start.data() + ow;
    const int64_t* count = fw.count.data() + ow;
    const int64_t base = start[0];
    int64_t widest = 0, steps = 0;
    for (int L = 0; L < 4; ++L) {
      widest = std::max(widest, start[L] - base + count[L]);
      steps = std::max(steps, (count[L] + 2 * kPairsPerLane - 1) / (2 * kPairsPerLane));
    }
    if (widest * C > kReach) {
      return false;
    }
    const auto offset = [&](int L) { return static_cast<uint64_t>((start[L] - base) * C) * 0x0001000100010001ull; };
    __m512i index = _mm512_add_epi16(pattern, _mm512_setr_epi64(offset(0), offset(0), offset(1), offset(1), offset(2),
                                                                offset(2), offset(3), offset(3)));
    // The four outputs' 4 * taps weights (at most 64): two registers of 16 pairs.
    const int64_t weight_pairs = 2 * taps;
    const int16_t* wp = fw.weight.data() + ow * taps;
    const __m512i w_lo =
        _mm512_maskz_loadu_epi32(static_cast<__mmask16>(weight_pairs >= 16 ? 0xffff : (1u << weight_pairs) - 1), wp);
    const __m512i w_hi = _mm512_maskz_loadu_epi32(
        static_cast<__mmask16>(weight_pairs > 16 ? (1u << (weight_pairs - 16)) - 1 : 0), wp + 32);
    __m512i w_index = weight_index;
    // The group's values of each row, masked to the row.
    const int64_t avail = std::min<int64_t>(kReach, (in_w - base) * C);
    __m512i data[R][2];
    for (int j = 0; j < R; ++j) {
      const src_t* p = rows[j] + base * C;
      if constexpr (kBytes) {
        data[j][0] = _mm512_maskz_loadu_epi8(avail >= 64 ? ~__mmask64(0) : (__mmask64(1) << avail) - 1, p);
      } else {
        data[j][0] = _mm512_maskz_loadu_epi16(static_cast<__mmask32>(avail >= 32 ? ~0u : (1u << avail) - 1), p);
        data[j][1] =
            _mm512_maskz_loadu_epi16(static_cast<__mmask32>(avail > 32 ? (1ull << (avail - 32)) - 1 : 0), p + 32);
      }
    }
    __m512i acc[R];
    for (int j = 0; j < R; ++j) {
      acc[j] = sum_start;
    }
    for (int64_t t = 0; t < steps; ++t) {
      const __m512i wk = _mm512_permutex2var_epi32(w_lo, w_index, w_hi);
      for (int j = 0; j < R; ++j) {
        __m512i px;
        if constexpr (kBytes) {
          px = _mm512_maskz_permutexvar_epi8(keep, index, data[j][0]);
        } else {
          px = _mm512_maskz_permutex2var_epi16(static_cast<__mmask32>(keep), data[j][0], index, data[j][1]);
        }
        acc[j] = _mm512_dpwssd_epi32(acc[j], px, wk);
      }
      index = _mm512_add_epi16(index, step_pattern);
      w_index = _mm512_add_epi32(w_index, step_weight);
    }
    for (int j = 0; j < R; ++j) {
      __m512i sums = acc[j];
      if constexpr (C == 1) {  // each lane's four tap-pair sums into its first element
        sums = _mm512_add_epi32(sums, _mm512_shuffle_epi32(sums, _MM_PERM_CDAB));
        sums = _mm512_add_epi32(sums, _mm512_shuffle_epi32(sums, _MM_PERM_BADC));
      }
      four_pixels.store(dsts[j] + ow * C, sums);
    }
    return true;
  }
};
#endif

// Any C, any window: each channel of each row from window_sum.
template <int R, int C, typename src_t>
TORCHRESAMPLE_ALWAYS_INLINE void scalar_fixed(const src_t* const* rows, int16_t* const* dsts, const FixedWindow& x,
                                              const Rounding& r) {
  for (int j = 0; j < R; ++j) {
    for (int64_t c = 0; c < C; ++c) {
      dsts[j][x.ow * C + c] = static_cast<int16_t>(finish(window_sum(rows[j] + x.start * C + c, C, x.w, x.n), r));
    }
  }
}

// The W pass of R source rows (in_w pixels of C channels each) into int16 rows, outputs [ow_begin, ow_end). The R
// rows share each output's weights and bounds check and give the core R independent sums. C == 1: a dot product per
// output (Dot512 four outputs at a time with AVX-512, else dot_fixed); C == 3, 4: a whole pixel per instruction (with
// AVX-512 four outputs at a time, PixelGroups512 where their windows are close, else PixelDpwssd; with AVX2
// PixelMadd); where a vector step does not fit, and in the portable copy, scalar_fixed.
template <int R, int C, typename src_t>
void w_pixels_fixed(const src_t* const* rows, int16_t* const* dsts, int64_t in_w, const FixedPlan& fw, int64_t ow_begin,
                    int64_t ow_end, const Rounding& r) {
#if defined(TORCHRESAMPLE_ISA_AVX512)
  // The wide-window kernel of the pixel's kind, where pixel groups do not fit.
  using WideKernel = std::conditional_t<C == 1, Dot512<R, src_t>, PixelDpwssd<R, C, src_t>>;
  const WideKernel wide(r);
  const PixelGroups512<R, C, src_t> pixel_groups(r, fw);
  const bool grouped = fw.taps <= kPixelGroupMaxTaps;
#elif defined(TORCHRESAMPLE_ISA_AVX2)
  const PixelMadd<R, C, src_t> pixel_madd(r);
#endif
#if defined(TORCHRESAMPLE_ISA_AVX2)
  const int64_t dot_step = fw.taps % 16 == 0 ? 16 : 8;  // the plan's tap stride: 8 or a multiple of 16
#endif
  for (int64_t ow = ow_begin; ow < ow_end; ++ow) {
#if defined(TORCHRESAMPLE_ISA_AVX512)
    if (ow + 4 <= ow_end) {
      if (!grouped || !pixel_groups(rows, dsts, in_w, fw, ow)) {
        wide.four(rows, dsts, fw, ow);
      }
      ow += 3;
      continue;
    }
#endif
    const FixedWindow x{ow, fw.start[ow], fw.count[ow], fw.weight.data() + ow * fw.taps};
#if defined(TORCHRESAMPLE_ISA_AVX512)
    if constexpr (C != 1) {
      wide(rows, dsts, x);
      continue;
    }
#elif defined(TORCHRESAMPLE_ISA_AVX2)
    if constexpr (C != 1) {
      if (pixel_madd(rows, dsts, in_w, x)) {
        continue;
      }
    }
#endif
#if defined(TORCHRESAMPLE_ISA_AVX2)
    if constexpr (C == 1) {
      if (dot_fixed<R>(rows, dsts, in_w, x, dot_step, r)) {
        continue;
      }
    }
#endif
    scalar_fixed<R, C>(rows, dsts, x, r);
  }
}

// Note [periodic W plans] in fixed point: periods [i_begin, i_end) of R rows of single-element pixels.
template <int R, int kPeriod, int kStride, int kTaps, typename src_t>
void w_periodic_fixed(const src_t* const* rows, int16_t* const* dsts, const FixedPlan& fw, const PeriodicW& per,
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
void w_pass_fixed(const src_t* const* rows, int16_t* const* dsts, int64_t in_w, int64_t C, const FixedPlan& fw,
                  int64_t taps, const PeriodicW& per, int64_t out_w, const Rounding& r,
                  std::vector<const src_t*>& pixels) {
  switch (C) {
    case 1:
      return split_periodic(
          per, 0, out_w, [&](int64_t b, int64_t e) { w_pixels_fixed<R, 1, src_t>(rows, dsts, in_w, fw, b, e, r); },
          [&](int64_t i_begin, int64_t i_end) {
            with_periodic_kernel(per, taps, [&](auto period, auto stride, auto k) {
              w_periodic_fixed<R, decltype(period)::value, decltype(stride)::value, decltype(k)::value>(
                  rows, dsts, fw, per, i_begin, i_end, r);
            });
          });
    case 3:
      return w_pixels_fixed<R, 3, src_t>(rows, dsts, in_w, fw, 0, out_w, r);
    case 4:
      return w_pixels_fixed<R, 4, src_t>(rows, dsts, in_w, fw, 0, out_w, r);
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

// The W pass of `group` (at most 4) rows: four together, fewer one by one.
template <typename src_t>
void w_pass_fixed_rows(const src_t* const* src, int16_t* const* dst, int64_t group, int64_t in_w, int64_t C,
                       const FixedPlan& fw, int64_t taps, const PeriodicW& per, int64_t out_w, const Rounding& r,
                       std::vector<const src_t*>& pixels) {
  if (group == 4) {
    return w_pass_fixed<4>(src, dst, in_w, C, fw, taps, per, out_w, r, pixels);
  }
  for (int64_t j = 0; j < group; ++j) {
    w_pass_fixed<1>(src + j, dst + j, in_w, C, fw, taps, per, out_w, r, pixels);
  }
}

}  // namespace TORCHRESAMPLE_ISA
}  // namespace torchresample
