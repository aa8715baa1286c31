// The CPU kernels' thread pool: parallel_range (Note [parallel seam], csrc/cpu/parallel.h) on torch's.
#include "../cpu/parallel.h"

#include <ATen/Parallel.h>

namespace torchresample {

void parallel_range(int64_t begin, int64_t end, int64_t grain, RangeTrampoline call, const void* body) {
  at::parallel_for(begin, end, grain, [&](int64_t b, int64_t e) { call(body, b, e); });
}

}  // namespace torchresample
