// Everything the CUDA ops take from the CUDA runtime, in one seam: launches, streams, guards, capture state, host
// staging and uploads, kernel asserts, and the run-time options. The emulated device replaces it (Note [emulated
// device], csrc/emulation/cuda_emulation.h); the kernels and the rest of the glue are the same code in both builds.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include <atomic>
#include <cstdint>
#include <utility>

#if defined(TORCHRESAMPLE_CUDA_EMULATION)
#include "../emulation/cuda_emulation.h"
#else
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGraphsC10Utils.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime.h>

#include <mutex>
#include <string>
#include <vector>
#endif

namespace torchresample {

// Note [cuda options]
// Switches read by the CUDA ops, set through torch.ops.torchresample._cuda_option (torchresample.cuda in Python):
// - sync_index_check: max_unpool checks its indices synchronously and raises torch's CPU error (default off: a
//   device-side assert, as torch's CUDA kernels, and no host synchronisation; Note [unpool bounds]).
// - plan_cache_entries: capacity of the device plan cache (Note [device plan cache]); 0 turns it off.
// - force_wide_indices (tests): take the 64-bit index paths that launches past 2^31 elements take.
// - force_passes (tests): the pass grouping of resample launches, one axis mask per octal digit, first pass in the
//   lowest digit (0: the pass planner decides; Note [pass planning]).
// - emulate_capture (emulated device only): report the current stream as being captured into a CUDA graph.
struct CudaOptions {
  std::atomic<int64_t> sync_index_check{0};
  std::atomic<int64_t> plan_cache_entries{256};
  std::atomic<int64_t> force_wide_indices{0};
  std::atomic<int64_t> force_passes{0};
  std::atomic<int64_t> emulate_capture{0};
};

inline CudaOptions& cuda_options() {
  static CudaOptions options;
  return options;
}

#if defined(TORCHRESAMPLE_CUDA_EMULATION)

#define TORCHRESAMPLE_CUDA_LIBRARY_IMPL(m) TORCH_LIBRARY_IMPL(torchresample_emulated, CPU, m)
#define TORCHRESAMPLE_CUDA_LIBRARY_FRAGMENT(m) TORCH_LIBRARY_FRAGMENT(torchresample_emulated, m)

#else

#define TORCHRESAMPLE_CUDA_LIBRARY_IMPL(m) TORCH_LIBRARY_IMPL(torchresample, CUDA, m)
#define TORCHRESAMPLE_CUDA_LIBRARY_FRAGMENT(m) TORCH_LIBRARY_FRAGMENT(torchresample, m)

// A device-side assert, as torch's CUDA kernels raise them: the kernel traps, and the error reaches the host at
// its next synchronisation ("CUDA error: device-side assert triggered"), leaving the context unusable.
#define TORCHRESAMPLE_KERNEL_ASSERT(cond, what) CUDA_KERNEL_ASSERT((cond) && what)

#ifndef TORCHRESAMPLE_CUDA_ARCHS
#define TORCHRESAMPLE_CUDA_ARCHS "the architectures of TORCH_CUDA_ARCH_LIST"
#endif

namespace device {

using Stream = cudaStream_t;
using DeviceGuard = c10::cuda::CUDAGuard;

inline Stream current_stream() { return c10::cuda::getCurrentCUDAStream(); }

// The current stream of the current device as a cache key: device index and stream id.
inline std::pair<int64_t, int64_t> current_stream_key() {
  const c10::cuda::CUDAStream s = c10::cuda::getCurrentCUDAStream();
  return {s.device_index(), s.id()};
}

// Whether work issued now is being captured into a CUDA graph (then it must not wait on the device).
inline bool capturing() { return c10::cuda::currentStreamCaptureStatusMayInitCtx() != c10::cuda::CaptureStatus::None; }

// Pinned host memory for data on its way to the device. A CUDA graph replays the copy from this buffer, so one
// taken during capture must outlive the graph, whereas the host allocator may hand a buffer out again once its
// tensor dies: captures are few and plans small, so those buffers are kept for the life of the process. A
// capturing thread may pin fresh memory only in relaxed capture mode.
inline at::Tensor staging_buffer(int64_t bytes) {
  const auto options = at::TensorOptions().dtype(at::kByte).pinned_memory(true);
  if (!capturing()) {
    return at::empty({bytes}, options);
  }
  const c10::cuda::CUDAStreamCaptureModeGuard relaxed(cudaStreamCaptureModeRelaxed);
  at::Tensor host = at::empty({bytes}, options);
  static std::mutex mutex;
  static auto* kept = new std::vector<at::Tensor>();
  const std::lock_guard<std::mutex> lock(mutex);
  kept->push_back(host);
  return host;
}

// One asynchronous copy of a staging buffer to `device` on the current stream: kernels that follow on that stream
// see the data, and the host does not wait.
inline at::Tensor upload(const at::Tensor& staged, const at::Device device) {
  return staged.to(device, at::kByte, /*non_blocking=*/true);
}

// Marks a point in a stream; query() tells, without waiting, whether the work before it is done.
class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() {
    if (event_ != nullptr) {
      cudaEventDestroy(event_);
    }
  }
  void record(Stream stream) {
    if (event_ == nullptr) {
      C10_CUDA_CHECK(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming));
    }
    C10_CUDA_CHECK(cudaEventRecord(event_, stream));
  }
  bool query() const { return event_ != nullptr && cudaEventQuery(event_) == cudaSuccess; }

 private:
  cudaEvent_t event_ = nullptr;
};

// "no kernel image is available" names neither the GPU nor what the build holds: say both, and how to fix it.
inline void check_launch() {
  const cudaError_t error = cudaGetLastError();
  if (error == cudaErrorNoKernelImageForDevice || error == cudaErrorInvalidDeviceFunction) {
    int index = 0;
    cudaDeviceProp prop{};
    cudaGetDevice(&index);
    cudaGetDeviceProperties(&prop, index);
    TORCH_CHECK(false, "torchresample: this build has no CUDA kernel for ", prop.name, " (compute capability ",
                prop.major, ".", prop.minor, "); it was built for ", TORCHRESAMPLE_CUDA_ARCHS,
                ". Rebuild it on this machine (the build targets the visible GPU), or with TORCH_CUDA_ARCH_LIST=\"",
                prop.major, ".", prop.minor, "\".");
  }
  C10_CUDA_CHECK(error);
}

// Every kernel launch of the ops goes through here: the emulated device runs the same call on the host.
template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, Stream stream, Args&&... args) {
  kernel<<<grid, block, 0, stream>>>(std::forward<Args>(args)...);
  check_launch();
}

}  // namespace device

#endif

}  // namespace torchresample
