// Run-time choice of the row engine's instruction set (Note [cpu isa]).
#pragma once

#include "../common/resample_glue.h"

#include <array>

namespace torchresample {

// Note [cpu isa]
// The build targets baseline x86-64 so that one wheel runs anywhere, but the row engine is compiled twice:
// portable (baseline) and for AVX2+FMA (avx2, x86-64 only), each in its own namespace so the two copies never
// share a symbol. The first call picks avx2 when the CPU has both features; TORCHRESAMPLE_CPU_ISA=baseline
// forces the portable copy (the tests compare the two). Results may differ in the last bits (fused
// multiply-add), as torch's own CPU_CAPABILITY kernels do.
#define TORCHRESAMPLE_DECLARE_ROW_ENGINE(isa)                                                                  \
  namespace isa {                                                                                              \
  template <typename scalar_t, typename acc_t>                                                                 \
  void resample_rows(const scalar_t* in, scalar_t* out, const ResampleGeometry& g,                             \
                     const std::array<AxisPlan<acc_t>, 3>& plans);                                             \
  template <typename scalar_t, typename acc_t>                                                                 \
  void nearest_rows(const scalar_t* in, scalar_t* out, const ResampleGeometry& g,                              \
                    const std::array<AxisPlan<acc_t>, 3>& plans);                                              \
  void uint8_rows(const uint8_t* in, uint8_t* out, const ResampleGeometry& g,                                  \
                  const std::array<AxisPlan<float>, 3>& plans, bool clip_intermediate);                        \
  }

TORCHRESAMPLE_DECLARE_ROW_ENGINE(baseline)
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TORCHRESAMPLE_HAS_AVX2_ENGINE 1
TORCHRESAMPLE_DECLARE_ROW_ENGINE(avx2)
#endif

// Whether this process uses the AVX2 copy of the row engine.
bool use_avx2_engine();

template <typename scalar_t, typename acc_t>
void resample_rows(const scalar_t* in, scalar_t* out, const ResampleGeometry& g,
                   const std::array<AxisPlan<acc_t>, 3>& plans) {
#ifdef TORCHRESAMPLE_HAS_AVX2_ENGINE
  if (use_avx2_engine()) {
    return avx2::resample_rows<scalar_t, acc_t>(in, out, g, plans);
  }
#endif
  baseline::resample_rows<scalar_t, acc_t>(in, out, g, plans);
}

template <typename scalar_t, typename acc_t>
void nearest_rows(const scalar_t* in, scalar_t* out, const ResampleGeometry& g,
                  const std::array<AxisPlan<acc_t>, 3>& plans) {
#ifdef TORCHRESAMPLE_HAS_AVX2_ENGINE
  if (use_avx2_engine()) {
    return avx2::nearest_rows<scalar_t, acc_t>(in, out, g, plans);
  }
#endif
  baseline::nearest_rows<scalar_t, acc_t>(in, out, g, plans);
}

// Note [fixed-point uint8]: uint8 resampling along H and W (D an identity axis).
inline void uint8_rows(const uint8_t* in, uint8_t* out, const ResampleGeometry& g,
                       const std::array<AxisPlan<float>, 3>& plans, bool clip_intermediate) {
#ifdef TORCHRESAMPLE_HAS_AVX2_ENGINE
  if (use_avx2_engine()) {
    return avx2::uint8_rows(in, out, g, plans, clip_intermediate);
  }
#endif
  baseline::uint8_rows(in, out, g, plans, clip_intermediate);
}

}  // namespace torchresample
