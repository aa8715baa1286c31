// The uint8 engine compiled for AVX-512 (F, BW, VL, VBMI, VNNI) on top of AVX2 (Note [cpu isa]): its row sums
// take 32 values per instruction, its RGB windows eight taps per dpwssd. Only uint8_rows is used from this copy; the
// float engine stays on the AVX2 copy. setup.py builds this file alone with its flags (CPU_ISA_FLAGS).
#if defined(__x86_64__)
#if !defined(__AVX512F__) || !defined(__AVX512BW__) || !defined(__AVX512VL__) || !defined(__AVX512VBMI__) || \
    !defined(__AVX512VNNI__) || !defined(__AVX2__) || !defined(__FMA__)
#error "row_engine_avx512.cpp must be built with its AVX-512 flags (setup.py, CPU_ISA_FLAGS)"
#endif
#define TORCHRESAMPLE_ISA avx512
#define TORCHRESAMPLE_ISA_AVX2 1
#define TORCHRESAMPLE_ISA_AVX512 1
#if defined(__clang__)
#include "row_engine.h"
#else
// GCC 12's own AVX-512 headers trip -Wmaybe-uninitialized (the undefined vectors their intrinsics start from).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "row_engine.h"
#pragma GCC diagnostic pop
#endif
#endif
