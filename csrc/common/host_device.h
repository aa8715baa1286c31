// TORCHRESAMPLE_HOST_DEVICE marks a function of common/ that CUDA kernels call as well as host code: __host__
// __device__ under nvcc, nothing for any other compiler (the emulated device's build included). common/ is
// standard C++ only (no ATen, no c10), so a plain C++ test can include it.
#pragma once

#if defined(__CUDACC__)
#define TORCHRESAMPLE_HOST_DEVICE __host__ __device__
#else
#define TORCHRESAMPLE_HOST_DEVICE
#endif
