// csrc/cuda/cuda_options.cu built for the emulated device (Note [emulated device]).
#include "cuda_emulation.h"  // first: the .cu file sees the emulated CUDA C++

#include "../cuda/cuda_options.cu"
