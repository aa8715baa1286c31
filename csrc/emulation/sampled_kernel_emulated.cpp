// csrc/cuda/sampled_kernel.cu built for the emulated device (Note [emulated device]).
#include "cuda_emulation.h"  // first: the .cu file sees the emulated CUDA C++

#include "../cuda/sampled_kernel.cu"
