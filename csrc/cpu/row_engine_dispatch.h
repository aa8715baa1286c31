// Run-time choice of the row engine's instruction set (Note [cpu isa]).
#pragma once

#include "../common/geometry.h"
#include "../common/plan.h"

#include <array>

namespace torchresample {

// Note [cpu isa]
// The build targets baseline x86-64 so that one wheel runs anywhere, but the row engine is compiled twice:
// portable (baseline) and for AVX2+FMA (avx2, x86-64 only), each in its own namespace so the copies never share
// a symbol; its uint8 engine a third time, for AVX-512 F/BW/VL/VBMI/VNNI (avx512: Ice Lake, Zen 4 and later;
// CPUs with an older AVX-512 take the AVX2 copy). Each copy is its own file, built alone with its own flags
// (setup.py, CPU_ISA_FLAGS; the file refuses to build without them), as ATen builds its CPU_CAPABILITY kernels,
// so gcc and clang build the same code. The inline library functions such a file also compiles (ATen's, the
// standard library's) are linked from the objects that come first, and setup.py links the ISA objects last: a
// baseline caller never reaches an AVX2 copy of a shared inline function. The first call picks the widest copy
// the CPU runs; TORCHRESAMPLE_CPU_ISA=baseline or avx2 caps the choice (the tests compare the copies). Float
// results may differ in the last bits (fused multiply-add), as torch's own CPU_CAPABILITY kernels do; uint8
// results are the same bits in every copy.
#define TORCHRESAMPLE_DECLARE_ROW_ENGINE(isa)                                                           \
  namespace isa {                                                                                       \
  template <typename scalar_t, typename acc_t>                                                          \
  void resample_rows(const scalar_t* in, scalar_t* out, const ResampleGeometry& g,                      \
                     const std::array<AxisPlan<acc_t>, 3>& plans);                                      \
  template <typename scalar_t, typename acc_t>                                                          \
  void nearest_rows(const scalar_t* in, scalar_t* out, const ResampleGeometry& g,                       \
                    const std::array<AxisPlan<acc_t>, 3>& plans);                                       \
  bool uint8_rows(const uint8_t* in, uint8_t* out, const ResampleGeometry& g,                           \
                  const std::array<AxisPlan<float>, 3>& plans, bool clip_intermediate, bool planar_out, \
                  bool planar_in);                                                                      \
  }

TORCHRESAMPLE_DECLARE_ROW_ENGINE(baseline)
#if defined(__x86_64__)
#define TORCHRESAMPLE_HAS_AVX2_ENGINE 1
TORCHRESAMPLE_DECLARE_ROW_ENGINE(avx2)
namespace avx512 {
bool uint8_rows(const uint8_t* in, uint8_t* out, const ResampleGeometry& g, const std::array<AxisPlan<float>, 3>& plans,
                bool clip_intermediate, bool planar_out, bool planar_in);
}
#endif

// The copies of the row engine this process uses (TORCHRESAMPLE_CPU_ISA=baseline|avx2 caps the choice).
enum class CpuIsa : int8_t { kBaseline, kAvx2, kAvx512 };
CpuIsa cpu_isa();
inline bool use_avx2_engine() { return cpu_isa() >= CpuIsa::kAvx2; }

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

// Note [fixed-point uint8]: uint8 resampling along H and W (D an identity axis). `planar_out`: `out` is planar
// (N, C, D, H, W contiguous) while the geometry is channels-last (Note [layout by strides]); `planar_in`: likewise
// `in` (Note [planar photos]). False where the plans do not fit fixed point (FixedPlan::fits), or where a planar
// source stays planar (Note [planar photos]): nothing is written, and the caller runs another engine.
inline bool uint8_rows(const uint8_t* in, uint8_t* out, const ResampleGeometry& g,
                       const std::array<AxisPlan<float>, 3>& plans, bool clip_intermediate, bool planar_out,
                       bool planar_in = false) {
#ifdef TORCHRESAMPLE_HAS_AVX2_ENGINE
  if (cpu_isa() == CpuIsa::kAvx512) {
    return avx512::uint8_rows(in, out, g, plans, clip_intermediate, planar_out, planar_in);
  }
  if (use_avx2_engine()) {
    return avx2::uint8_rows(in, out, g, plans, clip_intermediate, planar_out, planar_in);
  }
#endif
  return baseline::uint8_rows(in, out, g, plans, clip_intermediate, planar_out, planar_in);
}

// Note [planar photos]
// A planar RGB or RGBA photo (torchvision's decode_jpeg returns one) costs the single-element engine three W passes of
// every row, each a window per output. The channels-last engine makes one pass of whole pixels, with AVX-512 on rows
// interleaved from the planes (two permutes per 64 values): W first (cubic, Lanczos: Note [rounded w pass]; linear
// where it pays), the input rows as they are read; H first, each plane's H-pass row (int16) before the W pass, where
// the W plan takes pixel groups (Note [pixel groups]). Wider W windows fill the single-element engine's dot products,
// so there an H-first resize keeps the planes. The same bits either way (integer sums, element by element).
inline bool uint8_reads_planar_pixels() {
#ifdef TORCHRESAMPLE_HAS_AVX2_ENGINE
  return cpu_isa() == CpuIsa::kAvx512;
#else
  return false;
#endif
}

}  // namespace torchresample
