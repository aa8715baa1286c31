// The uint8 engine (Note [fixed-point uint8]): part of the row engine, compiled once per instruction set
// (Note [cpu isa]). uint8_rows is its entry and composer: one resampled axis (uint8_rows_one_axis), H first
// (uint8_rows_vertical_first, Note [uint8 pass order]) or W first through a ring of W-passed rows; the W pass is
// uint8_w_pass.h, the H pass weighted_sum (uint8_sums.h). The AVX2 copy vectorises with madd, the AVX-512 copy with
// 512-bit madd and dpwssd; the portable copy runs the same integer sums in loops, so all give the same bits.
#pragma once

#include "../common/geometry.h"
#include "../common/plan.h"
#include "fixed_point.h"
#include "parallel.h"
#include "periodic.h"
#include "uint8_sums.h"
#include "uint8_w_pass.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#if defined(TORCHRESAMPLE_ISA_AVX2)
#include <immintrin.h>
#endif

#ifndef TORCHRESAMPLE_ISA
#error "define TORCHRESAMPLE_ISA (the instruction-set namespace) before including uint8_engine.h"
#endif

namespace torchresample {
namespace TORCHRESAMPLE_ISA {

// Note [uint8 pass order]
// W first (torch's order) resamples along W every input row a window reaches, then sums rows; H first sums whole
// input rows (madd over full vectors, no shuffles: about a third of the instructions per product of the W pass)
// and resamples only the output rows along W. A downscale along H (a photo to a thumbnail) is cheaper H first:
// a 1080p photo to 224 bilinear-aa takes about a third less time. Linear and area only, with
// the same 7 fraction bits in the int16 intermediate: cubic and Lanczos round and clip their intermediate as torch
// does, after W. The order is chosen from the extents and the plans' taps alone (not the taps the W pass pads them
// to per channel count), so every layout of the same values gives the same bits.
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

#if defined(TORCHRESAMPLE_ISA_AVX512)
// Three permutes of three registers (a, b, c) of T (uint8 or int16) elements: element k of result r is element
// index[r][k] of (a, b) by vpermt2b/vpermt2w, or of c where bit k of third[r] is set (the single-source permute reads
// the index's low bits). `source(r, k)` gives (element, from c). RGB pixels to planes and back (store_planar,
// interleave_planes).
template <typename T>
struct ThreeWayPermute512 {
  static constexpr int kLanes = 64 / sizeof(T);
  __m512i index[3];
  uint64_t third[3] = {0, 0, 0};
  template <typename Source>
  explicit ThreeWayPermute512(Source source) {
    for (int r = 0; r < 3; ++r) {
      alignas(64) T idx[kLanes];
      for (int k = 0; k < kLanes; ++k) {
        const auto [element, from_c] = source(r, k);
        idx[k] = static_cast<T>(element);
        third[r] |= uint64_t(from_c) << k;
      }
      index[r] = _mm512_load_si512(idx);
    }
  }
  __m512i operator()(int r, __m512i a, __m512i b, __m512i c) const {
    if constexpr (sizeof(T) == 1) {
      return _mm512_mask_permutexvar_epi8(_mm512_permutex2var_epi8(a, index[r], b), third[r], index[r], c);
    } else {
      return _mm512_mask_permutexvar_epi16(_mm512_permutex2var_epi16(a, index[r], b), __mmask32(third[r]), index[r], c);
    }
  }
};

// Sixty-four RGB pixels (192 bytes in three registers) into their three planes: plane c's byte k is byte 3k + c.
inline const ThreeWayPermute512<uint8_t>& rgb_to_planes() {
  static const ThreeWayPermute512<uint8_t> permute(
      [](int c, int k) { return std::pair((3 * k + c) & 127, 3 * k + c >= 128); });
  return permute;
}
#endif

inline void store_planar(const uint8_t* row, uint8_t* out, int64_t r, const ResampleGeometry& g) {
  const int64_t C = g.channels, D = g.in[0], Ho = g.out[1], Wo = g.out[2];
  const int64_t p = r / Ho, oh = r % Ho, n = p / D, d = p % D;
  const auto plane = [&](int64_t c) { return out + (((n * C + c) * D + d) * Ho + oh) * Wo; };
  int64_t begin = 0;
#if defined(TORCHRESAMPLE_ISA_AVX512)
  if (C == 3) {
    const ThreeWayPermute512<uint8_t>& split = rgb_to_planes();
    uint8_t* planes[3] = {plane(0), plane(1), plane(2)};
    for (; begin + 64 <= Wo; begin += 64) {
      const uint8_t* px = row + 3 * begin;
      const __m512i a = _mm512_loadu_si512(px), b = _mm512_loadu_si512(px + 64), e = _mm512_loadu_si512(px + 128);
      for (int c = 0; c < 3; ++c) {
        _mm512_storeu_si512(planes[c] + begin, split(c, a, b, e));
      }
    }
  }
#endif
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

// RGB pixels from their three planes, kLanes at a time: element k of register m is channel (kLanes m + k) % 3 of
// pixel (kLanes m + k) / 3, read from the planes' kLanes elements (R and G by the two-source permute, B by the
// single-source one).
#if defined(TORCHRESAMPLE_ISA_AVX512)
template <typename T>
const ThreeWayPermute512<T>& planes_to_rgb() {
  constexpr int L = ThreeWayPermute512<T>::kLanes;
  static const ThreeWayPermute512<T> permute([](int m, int k) {
    const int element = L * m + k, c = element % 3, q = element / 3;
    return std::pair(c == 1 ? L + q : q, c == 2);
  });
  return permute;
}
#endif

// Wi pixels of C channels interleaved into `row` from the C planes' rows (uint8 source rows, int16 H-pass rows).
template <typename T>
void interleave_planes(const T* const* planes, int64_t C, int64_t Wi, T* row) {
  int64_t begin = 0;
#if defined(TORCHRESAMPLE_ISA_AVX512)
  if (C == 3) {
    constexpr int L = ThreeWayPermute512<T>::kLanes;
    const ThreeWayPermute512<T>& join = planes_to_rgb<T>();
    const T *r = planes[0], *gr = planes[1], *b = planes[2];
    for (; begin + L <= Wi; begin += L) {
      const __m512i pr = _mm512_loadu_si512(r + begin), pg = _mm512_loadu_si512(gr + begin);
      const __m512i pb = _mm512_loadu_si512(b + begin);
      T* to = row + 3 * begin;
      for (int m = 0; m < 3; ++m) {
        _mm512_storeu_si512(to + L * m, join(m, pr, pg, pb));
      }
    }
  }
#endif
  for (int64_t c = 0; c < C; ++c) {
    const T* __restrict src = planes[c];
    T* __restrict dst = row + c;
    for (int64_t iw = begin; iw < Wi; ++iw) {
      dst[iw * C] = src[iw];
    }
  }
}

// Row ih of channel c of image p (n * D + d) of a planar (N, C, D, H, W) source whose geometry is channels-last.
inline const uint8_t* planar_row(const uint8_t* in, int64_t p, int64_t c, int64_t ih, const ResampleGeometry& g) {
  const int64_t D = g.in[0];
  return in + (((p / D * g.channels + c) * D + p % D) * g.in[1] + ih) * g.in[2];
}

// Input row ih of image p of a planar source, interleaved into `row` (Wi pixels of C channels): the channels-last
// engine reading a planar source (Note [planar photos]).
inline const uint8_t* load_interleaved(const uint8_t* in, int64_t p, int64_t ih, const ResampleGeometry& g,
                                       uint8_t* row) {
  const uint8_t* planes[4];
  for (int64_t c = 0; c < g.channels; ++c) {
    planes[c] = planar_row(in, p, c, ih, g);
  }
  interleave_planes(planes, g.channels, g.in[2], row);
  return row;
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
// bits), then the W pass of that row; four output rows at a time through the W pass. A planar source (`planar_in`,
// Note [planar photos]) has each plane's H pass interleaved into the int16 row of pixels.
inline bool uint8_rows_vertical_first(const uint8_t* in, uint8_t* out, const ResampleGeometry& g,
                                      const std::array<AxisPlan<float>, 3>& plans, const PeriodicW& periodic,
                                      bool planar_out, bool planar_in) {
  const int64_t C = g.channels, Hi = g.in[1], Wi = g.in[2], Ho = g.out[1], Wo = g.out[2];
  const int64_t in_row = Wi * C, mid_row = Wo * C;
  const FixedPlan fh = fixed_point_plan(plans[1], 1, 255);
  const FixedPlan fw = fixed_point_plan(plans[2], w_tap_step(C, plans[2].taps), 32767);
  if (!fh.fits() || !fw.fits()) {
    return false;
  }
  const Rounding h_round{fh.shift - 7, -32768, 32767};
  const Rounding w_round{fw.shift + 7, 0, 255};
  const int64_t row_cost = plans[1].taps * in_row + fw.taps * mid_row;
  const int64_t grain = parallel_grain(row_cost);
  parallel_for(0, g.batch * g.in[0] * Ho, grain, [&](int64_t begin, int64_t end) {
    std::vector<int16_t> mid(4 * in_row), narrow(4 * mid_row);
    std::vector<uint8_t> row(planar_out ? mid_row : 0);
    std::vector<const uint8_t*> rows(plans[1].taps);
    std::vector<const int16_t*> pixels(fw.taps);
    std::vector<int16_t> planes_mid(planar_in ? in_row : 0);
    for (int64_t r = begin; r < end; r += 4) {
      const int64_t group = std::min<int64_t>(4, end - r);
      const int16_t* src[4];
      int16_t* dst[4];
      for (int64_t j = 0; j < group; ++j) {
        const int64_t p = (r + j) / Ho, oh = (r + j) % Ho, s = fh.start[oh], n = fh.count[oh];
        const int16_t* w = fh.weight.data() + oh * fh.taps;
        int16_t* m = mid.data() + j * in_row;
        if (planar_in) {
          // Each plane's H pass, then its int16 rows interleaved into pixels (the same sums, element by element).
          const int16_t* plane_rows[4];
          for (int64_t c = 0; c < C; ++c) {
            for (int64_t k = 0; k < n; ++k) {
              rows[k] = planar_row(in, p, c, s + k, g);
            }
            weighted_sum(rows.data(), w, n, Wi, planes_mid.data() + c * Wi, h_round);
            plane_rows[c] = planes_mid.data() + c * Wi;
          }
          interleave_planes(plane_rows, C, Wi, m);
        } else {
          for (int64_t k = 0; k < n; ++k) {
            rows[k] = in + (p * Hi + s + k) * in_row;
          }
          weighted_sum(rows.data(), w, n, in_row, m, h_round);
        }
        src[j] = m;
        dst[j] = narrow.data() + j * mid_row;
      }
      w_pass_fixed_rows(src, dst, group, Wi, C, fw, plans[2].taps, periodic, Wo, w_round, pixels);
      for (int64_t j = 0; j < group; ++j) {
        store_row(dst[j], out, r + j, g, planar_out ? row.data() : nullptr);
      }
    }
  });
  return true;
}

// Note [uint8 identity axes]: where one of H and W keeps its extent (its plan is the identity), the other alone
// is resampled, in one pass rounded once: the H pass sums uint8 rows into the result, the W pass resamples uint8
// rows four at a time. Every filter: without a W pass there is no intermediate for cubic and Lanczos to clip.
inline bool uint8_rows_one_axis(const uint8_t* in, uint8_t* out, const ResampleGeometry& g,
                                const std::array<AxisPlan<float>, 3>& plans, const PeriodicW& periodic,
                                bool planar_out) {
  const int64_t C = g.channels, Hi = g.in[1], Wi = g.in[2], Ho = g.out[1], Wo = g.out[2];
  const int64_t in_row = Wi * C, mid_row = Wo * C, rows_out = g.batch * g.in[0] * Ho;
  if (plans[2].is_identity()) {
    const FixedPlan fh = fixed_point_plan(plans[1], 1, 255);
    if (!fh.fits()) {
      return false;
    }
    const Rounding h_round{fh.shift, 0, 255};
    const int64_t grain = parallel_grain(plans[1].taps * in_row);
    parallel_for(0, rows_out, grain, [&](int64_t begin, int64_t end) {
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
    return true;
  }
  const FixedPlan fw = fixed_point_plan(plans[2], w_tap_step(C, plans[2].taps), 255);
  if (!fw.fits()) {
    return false;
  }
  const Rounding w_round{fw.shift, 0, 255};
  const int64_t grain = parallel_grain(fw.taps * mid_row, 4);
  parallel_for(0, rows_out, grain, [&](int64_t begin, int64_t end) {
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
      w_pass_fixed_rows(src, dst, group, Wi, C, fw, plans[2].taps, periodic, Wo, w_round, pixels);
      for (int64_t j = 0; j < group; ++j) {
        store_row(dst[j], out, r + j, g, planar_out ? row.data() : nullptr);
      }
    }
  });
  return true;
}

// Note [fixed-point uint8]: 1-D and 2-D resampling of uint8 (D must be an identity axis: it joins the batch). Returns
// false, having written nothing, where a plan's weights do not fit fixed point (FixedPlan::fits): the caller then runs
// the float engine. Not inline: each instruction set's file defines its copy once (Note [cpu isa]).
// Each thread walks its output rows in order and keeps the horizontal pass of the input rows their windows
// need in a ring of plan-taps rows, so every input row is resampled along W once per thread. Where consecutive
// windows leave no row between them (upscales, antialias), every row past a window is read by a later one: the
// ring holds three rows more and the W pass takes four rows at a time even when a window adds one (an upscale's
// window adds one row per output row or none).
bool uint8_rows(const uint8_t* in, uint8_t* out, const ResampleGeometry& g, const std::array<AxisPlan<float>, 3>& plans,
                bool clip_intermediate, bool planar_out, bool planar_in) {
  const int64_t C = g.channels, Hi = g.in[1], Wi = g.in[2], Ho = g.out[1], Wo = g.out[2];
  const int64_t planes = g.batch * g.in[0];
  const AxisPlan<float>& pw = plans[2];
  const int64_t in_row = Wi * C, mid_row = Wo * C, h_taps = plans[1].taps;
  const bool one_axis = plans[1].is_identity() || plans[2].is_identity();
  const bool vertical_first = !clip_intermediate && vertical_first_pays(Hi, Ho, in_row, mid_row, h_taps, pw.taps);
  if (planar_in &&
      (one_axis || (vertical_first && padded_taps(pw.taps, w_tap_step(C, pw.taps)) > kPixelGroupMaxTaps))) {
    return false;  // Note [planar photos]
  }
  const PeriodicW periodic =
      C == 1 ? find_periodic(pw.start.data(), pw.count.data(), pw.weight.data(), pw.taps, Wo) : PeriodicW{};
  if (one_axis) {
    return uint8_rows_one_axis(in, out, g, plans, periodic, planar_out);
  }
  if (vertical_first) {
    return uint8_rows_vertical_first(in, out, g, plans, periodic, planar_out, planar_in);
  }
  // W first: the fixed-point plans of this order (the others build their own).
  const int mid_bits = clip_intermediate && max_abs_weight(plans[2]) < kIntegerMidMaxWeight ? 0 : 7;
  const int32_t mid_max = clip_intermediate ? 255 << mid_bits : 32767;
  const FixedPlan fw = fixed_point_plan(plans[2], w_tap_step(C, plans[2].taps), 255);
  const FixedPlan fh = fixed_point_plan(plans[1], 1, mid_max);
  const Rounding w_round{fw.shift - mid_bits, clip_intermediate ? 0 : -32768, mid_max};
  const Rounding h_round{fh.shift + mid_bits, 0, 255};
  if (!fw.fits() || !fh.fits()) {
    return false;
  }
  bool gapless = true;
  for (int64_t oh = 0; oh + 1 < Ho; ++oh) {
    gapless = gapless && fh.start[oh + 1] <= fh.start[oh] + fh.count[oh];
  }
  const int64_t ring = gapless ? h_taps + 3 : h_taps;
  const int64_t row_cost = h_taps * mid_row + (Hi + Ho - 1) / Ho * fw.taps * mid_row;
  const int64_t grain = parallel_grain(row_cost);
  parallel_for(0, planes * Ho, grain, [&](int64_t begin, int64_t end) {
    std::vector<int16_t> mid(ring * mid_row);
    std::vector<const int16_t*> rows(ring);
    std::vector<const uint8_t*> pixels(fw.taps);
    std::vector<uint8_t> row(planar_out ? mid_row : 0);
    std::vector<uint8_t> interleaved(planar_in ? 4 * in_row : 0);
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
          src[j] = planar_in ? load_interleaved(in, p, ih + j, g, interleaved.data() + j * in_row)
                             : in + (p * Hi + ih + j) * in_row;
          dst[j] = mid.data() + ((ih + j) % ring) * mid_row;
        }
        w_pass_fixed_rows(src, dst, four ? 4 : 1, Wi, C, fw, pw.taps, periodic, Wo, w_round, pixels);
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
  return true;
}

}  // namespace TORCHRESAMPLE_ISA
}  // namespace torchresample
