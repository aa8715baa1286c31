// The row engine compiled for AVX2 and FMA (Note [cpu isa]); selected at run time on CPUs that have both. setup.py
// builds this file alone with -mavx2 -mfma (CPU_ISA_FLAGS) and links it after every other object.
#if defined(__x86_64__)
#if !defined(__AVX2__) || !defined(__FMA__)
#error "row_engine_avx2.cpp must be built with -mavx2 -mfma (setup.py, CPU_ISA_FLAGS)"
#endif
#define TORCHRESAMPLE_ISA avx2
#define TORCHRESAMPLE_ISA_AVX2 1
#include "row_engine.h"

#include <c10/util/BFloat16.h>  // the dtypes this copy is instantiated for
#include <c10/util/Half.h>

namespace torchresample {
namespace avx2 {
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(float)
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(double)
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(c10::Half)
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(c10::BFloat16)
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(uint8_t)
}  // namespace avx2
}  // namespace torchresample
#endif
