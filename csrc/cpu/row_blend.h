// Sums of whole rows, the D and H taps of the row engine (Note [row-fused engine]) and the channel sums of its pixel
// path (Note [pixel path]). Compiled once per instruction set (Note [cpu isa]).
#pragma once

#include "../common/attributes.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

#ifndef TORCHRESAMPLE_ISA
#error "define TORCHRESAMPLE_ISA (the instruction-set namespace) before including row_blend.h"
#endif

namespace torchresample {
namespace TORCHRESAMPLE_ISA {

// acc[i] = (kFirst ? 0 : acc[i]) + sum_k w[k] * src[k][offset + i], the sum taken in k order (the same bits as
// one tap at a time) but kN sources per pass, so that acc is loaded and stored once per kN taps.
template <int kN, bool kFirst, typename src_t, typename acc_t>
TORCHRESAMPLE_ALWAYS_INLINE void blend_group(const src_t* const* src, const acc_t* w, int64_t offset, int64_t len,
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
TORCHRESAMPLE_ALWAYS_INLINE void blend_fixed(const src_t* const* src, const acc_t* w, int64_t offset, int64_t len,
                                             acc_t* acc) {
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

}  // namespace TORCHRESAMPLE_ISA
}  // namespace torchresample
