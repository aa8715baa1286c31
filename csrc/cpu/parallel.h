// How the CPU kernels run on threads: the seam to torch's thread pool (parallel_for) and the size of a thread's
// share of work (Note [parallel grain]). Standard C++ only, so a plain C++ test can include the engine.
#pragma once

#include <algorithm>
#include <cstdint>

namespace torchresample {

// Note [parallel seam]
// The engine calls parallel_for below, never ATen: parallel_range is defined by the glue (csrc/glue/parallel.cpp)
// on at::parallel_for, i.e. torch's intra-op pool, which follows torch.set_num_threads and runs a range under the
// grain, or inside a parallel region, on the calling thread. A plain C++ test defines it serially. The body is
// passed as a pointer and a trampoline, one indirect call per chunk, so that the instruction-set files of the engine
// (Note [cpu isa]) compile none of ATen's inline code.
using RangeTrampoline = void (*)(const void* body, int64_t begin, int64_t end);
void parallel_range(int64_t begin, int64_t end, int64_t grain, RangeTrampoline call, const void* body);

// body(b, e) over chunks [b, e) of [begin, end), each of at least `grain` tasks, on torch's intra-op threads.
template <typename Body>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const Body& body) {
  parallel_range(
      begin, end, grain, [](const void* f, int64_t b, int64_t e) { (*static_cast<const Body*>(f))(b, e); }, &body);
}

// Note [parallel grain]
// parallel_for hands each thread chunks of at least `grain` tasks (rows, planes, tiles). A chunk should be about
// kParallelWork element operations (an element read or written, or one multiply-add of a tap): enough to pay for
// waking a thread, few enough that a photo's rows still split among the cores. Each caller passes the cost of one of
// its tasks in those units.
constexpr int64_t kParallelWork = 32768;

inline int64_t parallel_grain(int64_t task_cost, int64_t min_grain = 1) {
  return std::max<int64_t>(min_grain, kParallelWork / std::max<int64_t>(task_cost, 1));
}

}  // namespace torchresample
