// Function attributes of the kernels, for every compiler that builds them. common/ is standard C++ only (no torch
// headers), so a plain C++ test can include it.
#pragma once

// TORCHRESAMPLE_HOST_DEVICE marks a function of common/ that CUDA kernels call as well as host code: __host__
// __device__ under nvcc, nothing for any other compiler (the emulated device's build included).
#if defined(__CUDACC__)
#define TORCHRESAMPLE_HOST_DEVICE __host__ __device__
#else
#define TORCHRESAMPLE_HOST_DEVICE
#endif

// Inlining the CPU engine relies on: a helper whose loop must be compiled into its caller's (tap pointers kept in
// registers), and a rare path kept out of a hot loop.
#if defined(_MSC_VER)
#define TORCHRESAMPLE_ALWAYS_INLINE __forceinline
#define TORCHRESAMPLE_NOINLINE __declspec(noinline)
#else
#define TORCHRESAMPLE_ALWAYS_INLINE inline __attribute__((always_inline))
#define TORCHRESAMPLE_NOINLINE __attribute__((noinline))
#endif
