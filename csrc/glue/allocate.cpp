// Output allocation with huge-page advice for large CPU tensors (Note [huge pages]).
#include "allocate.h"

#include <ATen/EmptyTensor.h>
#include <ATen/ops/empty.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace torchresample {
namespace {

bool huge_pages_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("TORCHRESAMPLE_HUGEPAGES");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return enabled;
}

}  // namespace

at::Tensor empty_output(at::IntArrayRef sizes, const at::TensorOptions& options) {
  // A CPU output is allocated as torch's own CPU kernels allocate theirs, without a trip through the dispatcher
  // (about a third of a small call's allocation cost).
  at::Tensor t = options.device().is_cpu() && options.layout() == at::kStrided ? at::detail::empty_cpu(sizes, options)
                                                                               : at::empty(sizes, options);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t(2) << 20;
  const size_t bytes = t.nbytes();
  if (t.is_cpu() && bytes >= (size_t(4) << 20) && huge_pages_enabled()) {
    // Only whole 2 MiB pages inside the buffer: advice is a hint and never touches memory we don't own.
    const auto begin = reinterpret_cast<uintptr_t>(t.data_ptr());
    const uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
    const uintptr_t last = (begin + bytes) & ~(kHuge - 1);
    if (last > first) {
      madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
    }
  }
#endif
  return t;
}

}  // namespace torchresample
