// The op that reads and sets the CUDA ops' run-time options (Note [cuda options]).
#include "device_runtime.cuh"

#include <torch/library.h>

#include <string>

namespace torchresample {
namespace {

// Returns the option's value before the call; sets it to `value` unless `value` is negative.
int64_t cuda_option(c10::string_view name, int64_t value) {
  CudaOptions& o = cuda_options();
  std::atomic<int64_t>* option = name == "sync_index_check"     ? &o.sync_index_check
                                 : name == "plan_cache_entries" ? &o.plan_cache_entries
                                 : name == "force_wide_indices" ? &o.force_wide_indices
                                 : name == "force_passes"       ? &o.force_passes
                                 : name == "emulate_capture"    ? &o.emulate_capture
                                                                : nullptr;
  TORCH_CHECK_VALUE(option != nullptr, "torchresample::_cuda_option: unknown CUDA option '", std::string(name), "'");
  return value < 0 ? option->load() : option->exchange(value);
}

}  // namespace

TORCHRESAMPLE_CUDA_LIBRARY_FRAGMENT(m) { m.def("_cuda_option(str name, int value=-1) -> int", &cuda_option); }

}  // namespace torchresample
