// Memory formats as the kernels see them: the canonical [batch, spatial..., channels] of every op (Note [canonical
// layout], Note [unpool layout]) and the shapes around it.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/SmallVector.h>

namespace torchresample {

inline bool is_channels_last(at::MemoryFormat format) {
  return format == at::MemoryFormat::ChannelsLast || format == at::MemoryFormat::ChannelsLast3d;
}

// The channels-last format of a tensor of `dim` dimensions (4: ChannelsLast, 5: ChannelsLast3d).
inline at::MemoryFormat channels_last_format(int64_t dim) {
  return dim == 5 ? at::MemoryFormat::ChannelsLast3d : at::MemoryFormat::ChannelsLast;
}

// The batch and channels of the canonical layout of an (N, C, *spatial) tensor dense in `format`: contiguous is
// (N*C, 1), channels-last (N, C).
struct BatchChannels {
  int64_t batch;
  int64_t channels;
};

inline BatchChannels batch_channels(at::IntArrayRef sizes, at::MemoryFormat format) {
  return is_channels_last(format) ? BatchChannels{sizes[0], sizes[1]} : BatchChannels{sizes[0] * sizes[1], 1};
}

// Shape of a result: `sizes` (N, C, ...) with its spatial extents replaced.
inline c10::SmallVector<int64_t, 5> with_spatial(at::IntArrayRef sizes, at::IntArrayRef spatial) {
  c10::SmallVector<int64_t, 5> shape(sizes.begin(), sizes.begin() + 2);
  shape.append(spatial.begin(), spatial.end());
  return shape;
}

}  // namespace torchresample
