// The uint8 engine compiled for AVX-512 (F, BW, VL, VBMI, VNNI) on top of AVX2 (Note [cpu isa]): its row sums
// take 32 values per instruction, its RGB windows eight taps per dpwssd. Only uint8_rows is used from this copy; the
// float engine stays on the AVX2 copy.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// As in row_engine_avx2.cpp: every library header before the target pragma.
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
#include <type_traits>
#include <vector>

#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512bw,avx512vl,avx512vbmi,avx512vnni")
// GCC 12's own AVX-512 headers trip it (the undefined vectors that their intrinsics start from).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define TORCHRESAMPLE_ISA avx512
#define TORCHRESAMPLE_ISA_AVX2 1
#define TORCHRESAMPLE_ISA_AVX512 1
#include "row_engine.h"
#pragma GCC diagnostic pop
#pragma GCC pop_options
#endif
