// What a resample kernel maps, in the layout every kernel sees (host and device code, standard C++ only).
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

namespace torchresample {

// Accumulation type: double for double tensors, float for everything else (half, bfloat16, uint8).
template <typename scalar_t>
using acc_type = std::conditional_t<std::is_same_v<scalar_t, double>, double, float>;

// Note [canonical layout]
// A kernel sees a tensor as [batch, D, H, W, channels], all contiguous: contiguous NC(D)HW input has
// batch = N*C and channels = 1; channels_last(_3d) input has batch = N and channels = C. Missing spatial
// axes (1-D and 2-D input) are leading axes of size 1.
struct ResampleGeometry {
  int64_t batch = 1;
  int64_t channels = 1;
  std::array<int64_t, 3> in{1, 1, 1};
  std::array<int64_t, 3> out{1, 1, 1};
};

}  // namespace torchresample
