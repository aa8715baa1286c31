// The emulated CUDA device: what csrc/cuda/*.cu need from nvcc and the CUDA runtime, for the host compiler.
#pragma once

// Note [emulated device]
// CI has no GPU, so the CUDA ops are also built as host code (the module torchresample._C_emulated, namespace
// torchresample_emulated, on CPU tensors) from the same .cu files: csrc/emulation/*.cpp include them after this
// header. What is emulated:
// - the CUDA C++ the kernels use: __global__/__device__/__forceinline__/__launch_bounds__, dim3, blockIdx,
//   threadIdx, blockDim, gridDim, __umulhi, atomicMax/atomicMin (32/64-bit) and atomicAdd (64-bit);
//   c10::Half and c10::BFloat16 convert to and from float as on the device (exact widening, round to nearest even).
// - launches (device::launch): the launch limits a GPU enforces are checked (gridDim.x <= 2^31-1, gridDim.y/z <=
//   65535, blockDim.x/y <= 1024, blockDim.z <= 64, <= 1024 threads per block, no empty grid or block), then every
//   block runs, in a shuffled order, and in each block every thread, in a shuffled order (seeded, reproducible):
//   a kernel whose result depends on scheduling order gives another result or fails. Threads run one after the
//   other, so no __syncthreads or __shared__ exists here: a kernel that needs a barrier does not compile in
//   emulation until the launcher runs a block's threads as fibers.
// - the host glue through device_runtime.cuh: streams and guards are no-ops, staging buffers are plain host
//   memory, an upload is a copy, a kernel assert raises RuntimeError("device-side assert triggered: ...") at the
//   launch, and the capture state can be set by a test (emulate_capture, Note [cuda options]).
// What is not: timing, concurrency between threads and streams (data races show only as order dependence), the
// memory model, real CUDA graphs, fused multiply-adds (nvcc contracts a*b+c, the host compiler here does not, so
// float results may differ from a GPU's in the last bits), and launches past what host memory holds.

#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/util/Exception.h>

#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <random>
#include <tuple>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
using uint3 = dim3;

// The running thread's coordinates, set by the launcher before each thread runs.
inline thread_local dim3 blockIdx{0, 0, 0};
inline thread_local dim3 threadIdx{0, 0, 0};
inline thread_local dim3 blockDim{1, 1, 1};
inline thread_local dim3 gridDim{1, 1, 1};

inline unsigned __umulhi(unsigned a, unsigned b) { return static_cast<unsigned>((static_cast<uint64_t>(a) * b) >> 32); }

// Threads run one at a time, so read-modify-write is atomic as it stands.
template <typename T>
inline T atomicMax(T* address, T value) {
  const T old = *address;
  *address = old < value ? value : old;
  return old;
}

template <typename T>
inline T atomicMin(T* address, T value) {
  const T old = *address;
  *address = value < old ? value : old;
  return old;
}

template <typename T>
inline T atomicAdd(T* address, T value) {
  const T old = *address;
  *address = old + value;
  return old;
}

#define TORCHRESAMPLE_KERNEL_ASSERT(cond, what) \
  TORCH_CHECK(cond, "CUDA error: device-side assert triggered (emulated): ", what, " [", #cond, "]")

namespace torchresample {
namespace device {

struct Stream {};
struct DeviceGuard {
  explicit DeviceGuard(const at::Device&) {}
};

inline Stream current_stream() { return {}; }

inline std::pair<int64_t, int64_t> current_stream_key() { return {-1, 0}; }

// The emulated stream has run everything before any point of it.
struct Event {
  void record(Stream) {}
  bool query() const { return true; }
};

bool capturing();  // csrc/emulation/emulated_runtime.cpp: the emulate_capture option

inline at::Tensor staging_buffer(int64_t bytes) { return at::empty({bytes}, at::TensorOptions().dtype(at::kByte)); }

inline at::Tensor upload(const at::Tensor& staged, const at::Device) { return staged.clone(); }

// A permutation of 0..n-1: i -> (a*i + c) mod n with a coprime to n, drawn afresh for every call.
class Shuffle {
 public:
  Shuffle(uint64_t n, std::mt19937_64& rng) : n_(n) {
    if (n_ > 1) {
      a_ = rng() % n_;
      while (std::gcd(a_, n_) != 1) {
        a_ = (a_ + 1) % n_;
      }
      c_ = rng() % n_;
    }
  }
  uint64_t operator()(uint64_t i) const {
    return n_ > 1 ? static_cast<uint64_t>((static_cast<unsigned __int128>(a_) * i + c_) % n_) : i;
  }

 private:
  uint64_t n_;
  uint64_t a_ = 1;
  uint64_t c_ = 0;
};

// The launcher's generator: TORCHRESAMPLE_EMULATION_SEED seeds it (default 0), so a failing order reproduces.
std::mt19937_64& launch_rng();

// What cudaLaunchKernel refuses with "invalid configuration argument".
void check_launch_shape(dim3 grid, dim3 block);

inline dim3 coordinates(uint64_t flat, dim3 extent) {
  return dim3(static_cast<unsigned>(flat % extent.x), static_cast<unsigned>(flat / extent.x % extent.y),
              static_cast<unsigned>(flat / extent.x / extent.y));
}

// A launch: every block and every thread of the grid, each in a shuffled order, with the arguments converted to
// the kernel's parameter types once, as a launch copies them.
template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, Stream, Args&&... args) {
  check_launch_shape(grid, block);
  const std::tuple<std::decay_t<Params>...> params(std::forward<Args>(args)...);
  const uint64_t blocks = uint64_t{grid.x} * grid.y * grid.z;
  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  std::mt19937_64& rng = launch_rng();
  const Shuffle block_order(blocks, rng);
  gridDim = grid;
  blockDim = block;
  for (uint64_t b = 0; b < blocks; ++b) {
    blockIdx = coordinates(block_order(b), grid);
    const Shuffle thread_order(threads, rng);
    for (uint64_t t = 0; t < threads; ++t) {
      threadIdx = coordinates(thread_order(t), block);
      std::apply(kernel, params);
    }
  }
}

}  // namespace device
}  // namespace torchresample
