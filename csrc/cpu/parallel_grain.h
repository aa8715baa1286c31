// How finely the CPU kernels split their work among threads (Note [parallel grain]).
#pragma once

#include <algorithm>
#include <cstdint>

namespace torchresample {

// Note [parallel grain]
// at::parallel_for hands each thread chunks of at least `grain` tasks (rows, planes, tiles). A chunk should be
// about kParallelWork element operations (an element read or written, or one multiply-add of a tap): enough to
// pay for waking a thread, few enough that a photo's rows still split among the cores. Each caller passes the
// cost of one of its tasks in those units.
constexpr int64_t kParallelWork = 32768;

inline int64_t parallel_grain(int64_t task_cost, int64_t min_grain = 1) {
  return std::max<int64_t>(min_grain, kParallelWork / std::max<int64_t>(task_cost, 1));
}

}  // namespace torchresample
