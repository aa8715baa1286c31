// Argument checks, output shape and memory format of the pixel_shuffle ops (one definition for CPU and CUDA).
#include "allocate.h"
#include "layout.h"
#include "pixel_shuffle_glue.h"

#include <ATen/ops/empty.h>
#include <c10/util/Exception.h>
#include <c10/util/safe_numerics.h>

namespace torchresample {

namespace {

// r^k, or -1 when it overflows int64.
int64_t checked_power(int64_t r, int64_t k) {
  uint64_t result = 1;
  for (int64_t j = 0; j < k; ++j) {
    if (c10::mul_overflows(result, static_cast<uint64_t>(r), &result) || result > static_cast<uint64_t>(INT64_MAX)) {
      return -1;
    }
  }
  return static_cast<int64_t>(result);
}

// The op's name, as our own messages begin (Note [error messages]).
const char* op_name(bool unshuffle) { return unshuffle ? "pixel_unshuffle" : "pixel_shuffle"; }

int64_t checked_product(int64_t a, int64_t b, bool unshuffle) {
  int64_t out = 0;
  TORCH_CHECK(!c10::mul_overflows(a, b, &out), "torchresample::", op_name(unshuffle),
              ": the output size overflows int64 (", a, " * ", b, ")");
  return out;
}

}  // namespace

std::string pixel_shuffle_name(int64_t spatial_dims, bool unshuffle) {
  std::string name = unshuffle ? "pixel_unshuffle" : "pixel_shuffle";
  if (spatial_dims != 2) {
    name += std::to_string(spatial_dims) + "d";
  }
  return name;
}

void check_pixel_shuffle(const at::Tensor& self, int64_t factor, int64_t spatial_dims, bool unshuffle) {
  const int64_t k = spatial_dims;
  TORCH_CHECK(k >= 1 && k <= 3, "torchresample::", op_name(unshuffle), ": spatial_dims must be 1, 2 or 3, but got ", k);
  const std::string name = pixel_shuffle_name(k, unshuffle);
  TORCH_CHECK(self.layout() == at::kStrided, "torchresample::", op_name(unshuffle), ": expected a strided tensor");
  TORCH_CHECK(self.dim() >= k + 1, name, " expects input to have at least ", k + 1, " dimensions, but got input with ",
              self.dim(), " dimension(s)");
  const char* factor_name = unshuffle ? "downscale_factor" : "upscale_factor";
  TORCH_CHECK(factor > 0, name, " expects a positive ", factor_name, ", but got ", factor);
  const int64_t power = checked_power(factor, k);
  if (unshuffle) {
    static const char* axis_names[] = {"depth", "height", "width"};
    for (int64_t j = 0; j < k; ++j) {
      const int64_t d = j - k;
      TORCH_CHECK(self.size(d) % factor == 0, name, " expects ", axis_names[3 - k + j], " to be divisible by ",
                  factor_name, ", but input.size(", d, ")=", self.size(d), " is not divisible by ", factor);
    }
    TORCH_CHECK(power > 0, "torchresample::", op_name(unshuffle), ": the output size overflows int64 (", factor, "^", k,
                " channels per channel)");
  } else {
    static const char* power_names[] = {"", "the square of ", "the cube of "};
    const int64_t channels = self.size(-k - 1);
    const std::string divisor = power > 0 ? std::to_string(power) : std::to_string(factor) + "^" + std::to_string(k);
    TORCH_CHECK(power > 0 ? channels % power == 0 : channels == 0, name,
                " expects its input's 'channel' dimension to be divisible by ", power_names[k - 1], factor_name,
                ", but input.size(", -k - 1, ")=", channels, " is not divisible by ", divisor);
  }
}

std::vector<int64_t> pixel_shuffle_output_size(at::IntArrayRef sizes, int64_t factor, int64_t spatial_dims,
                                               bool unshuffle) {
  const int64_t k = spatial_dims;
  const int64_t rank = static_cast<int64_t>(sizes.size());
  std::vector<int64_t> out(sizes.begin(), sizes.end());
  const int64_t power = checked_power(factor, k);
  for (int64_t d = rank - k; d < rank; ++d) {
    out[d] = unshuffle ? sizes[d] / factor : checked_product(sizes[d], factor, unshuffle);
  }
  const int64_t c = rank - k - 1;
  out[c] = unshuffle ? checked_product(sizes[c], power, unshuffle) : (power > 0 ? sizes[c] / power : 0);
  return out;
}

at::MemoryFormat pixel_shuffle_memory_format(const at::Tensor& self, int64_t spatial_dims) {
  const auto format = self.suggest_memory_format();
  const bool image = self.dim() == spatial_dims + 2 && spatial_dims >= 2;
  return image && format == channels_last_format(self.dim()) ? format : at::MemoryFormat::Contiguous;
}

ShuffleCall prepare_pixel_shuffle(const at::Tensor& self, int64_t factor, int64_t spatial_dims, bool unshuffle) {
  check_pixel_shuffle(self, factor, spatial_dims, unshuffle);
  const auto format = pixel_shuffle_memory_format(self, spatial_dims);
  ShuffleCall call;
  call.output = empty_output(pixel_shuffle_output_size(self.sizes(), factor, spatial_dims, unshuffle),
                             self.options().memory_format(format));
  if (call.output.numel() == 0) {
    return call;
  }
  std::vector<int64_t> shape{-1};
  shape.insert(shape.end(), self.sizes().end() - spatial_dims - 1, self.sizes().end());
  call.source = self.reshape(shape);
  call.copy = shuffle_copy(unshuffle, static_cast<int>(spatial_dims), factor, call.source.sizes().data(),
                           call.source.strides().data(), format != at::MemoryFormat::Contiguous);
  return call;
}

}  // namespace torchresample
