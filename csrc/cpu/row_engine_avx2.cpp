// The row engine compiled for AVX2 and FMA (Note [cpu isa]); selected at run time on CPUs that have both.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// Every library header is included before the target pragma, so only this file's engine (in its own
// namespace) is compiled for AVX2: no inline function shared with other files changes its instructions.
#include "../common/resample_glue.h"
#include "../common/store.h"
#include "fixed_point.h"

#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define TORCHRESAMPLE_ISA avx2
// g++ does not define __AVX2__ under the target pragma: this says which copy may use AVX2 intrinsics.
#define TORCHRESAMPLE_ISA_AVX2 1
#include "row_engine.h"

namespace torchresample {
namespace avx2 {
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(float)
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(double)
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(c10::Half)
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(c10::BFloat16)
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(uint8_t)
}  // namespace avx2
}  // namespace torchresample
#pragma GCC pop_options
#endif
