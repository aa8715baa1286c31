// Conversion of an accumulated value to the stored dtype, shared by the CPU and CUDA kernels.
#pragma once

#include "attributes.h"

#include <cstdint>
#include <type_traits>

namespace torchresample {

// Note [uint8 store]
// uint8 results are rounded half up and saturated, as torch's fixed-point uint8 kernels do; every other dtype
// is a plain conversion (round to nearest even for half and bfloat16).
template <typename out_t, typename acc_t>
TORCHRESAMPLE_HOST_DEVICE inline out_t store(acc_t v) {
  if constexpr (std::is_same_v<out_t, uint8_t>) {
    // Rounded, then saturated in integers: the same bits as saturating first, and loops of it vectorise (float
    // comparisons kept them scalar). A uint8 result is a weighted sum of uint8 values, far inside int32.
    int32_t q = static_cast<int32_t>(v + acc_t(0.5));
    q = q < 0 ? 0 : q;
    q = q > 255 ? 255 : q;
    return static_cast<uint8_t>(q);
  } else {
    return static_cast<out_t>(v);
  }
}

}  // namespace torchresample
