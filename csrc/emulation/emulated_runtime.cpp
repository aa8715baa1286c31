// The torchresample._C_emulated module: the op library of the emulated device, its launcher's state, and a probe
// kernel that lets the tests watch the launcher (Note [emulated device]).
#include <Python.h>

#include "cuda_emulation.h"

#include "../cuda/device_runtime.cuh"
#include "../schemas.h"

#include <ATen/ops/full.h>
#include <ATen/ops/zeros.h>

#include <string>

extern "C" {
PyObject* PyInit__C_emulated(void) {
  static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_C_emulated", nullptr, -1, nullptr};
  return PyModule_Create(&module_def);
}
}

namespace torchresample {
namespace device {

bool capturing() { return cuda_options().emulate_capture.load() != 0; }

std::mt19937_64& launch_rng() {
  static thread_local std::mt19937_64 rng([] {
    const char* seed = std::getenv("TORCHRESAMPLE_EMULATION_SEED");
    return seed ? std::stoull(seed) : uint64_t{0};
  }());
  return rng;
}

void check_launch_shape(dim3 grid, dim3 block) {
  auto fail = [](const std::string& what) {
    TORCH_CHECK(false, "CUDA error: invalid configuration argument (emulated launch: ", what, ")");
  };
  if (grid.x == 0 || grid.y == 0 || grid.z == 0) fail("a grid extent is 0");
  if (grid.x > 2147483647u) fail("gridDim.x = " + std::to_string(grid.x) + " exceeds 2^31 - 1");
  if (grid.y > 65535u) fail("gridDim.y = " + std::to_string(grid.y) + " exceeds 65535");
  if (grid.z > 65535u) fail("gridDim.z = " + std::to_string(grid.z) + " exceeds 65535");
  if (block.x == 0 || block.y == 0 || block.z == 0) fail("a block extent is 0");
  if (block.x > 1024u || block.y > 1024u) fail("blockDim.x or blockDim.y exceeds 1024");
  if (block.z > 64u) fail("blockDim.z = " + std::to_string(block.z) + " exceeds 64");
  if (uint64_t{block.x} * block.y * block.z > 1024u) fail("more than 1024 threads per block");
}

}  // namespace device

namespace {

// order[b, t] = the step at which thread t of block b (flat indices) ran.
__global__ void probe_kernel(int64_t* order, int64_t* clock) {
  const uint64_t block = (uint64_t{blockIdx.z} * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
  const uint64_t thread = (uint64_t{threadIdx.z} * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
  const uint64_t threads = uint64_t{blockDim.x} * blockDim.y * blockDim.z;
  order[block * threads + thread] = atomicAdd(clock, int64_t{1});
}

at::Tensor launch_probe(at::IntArrayRef grid, at::IntArrayRef block) {
  TORCH_CHECK(grid.size() == 3 && block.size() == 3, "_launch_probe: expected three grid and three block extents");
  auto extent = [](int64_t v) { return static_cast<unsigned>(std::max<int64_t>(v, 0)); };
  const dim3 g(extent(grid[0]), extent(grid[1]), extent(grid[2]));
  const dim3 b(extent(block[0]), extent(block[1]), extent(block[2]));
  device::check_launch_shape(g, b);  // before the allocation, which a refused launch could make huge
  const int64_t blocks = int64_t{g.x} * g.y * g.z;
  const int64_t threads = int64_t{b.x} * b.y * b.z;
  at::Tensor order = at::full({blocks, threads}, -1, at::kLong);
  at::Tensor clock = at::zeros({1}, at::kLong);
  device::launch(&probe_kernel, g, b, device::current_stream(), order.mutable_data_ptr<int64_t>(),
                 clock.mutable_data_ptr<int64_t>());
  return order;
}

}  // namespace

TORCH_LIBRARY(torchresample_emulated, m) {
  define_ops(m);
  // Test only: launches a kernel over `grid` x `block` and returns, per block and thread, the step it ran at.
  m.def("_launch_probe(int[] grid, int[] block) -> Tensor", &launch_probe);
}

}  // namespace torchresample
