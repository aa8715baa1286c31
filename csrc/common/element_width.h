// Element-width dispatch for the ops that only move elements (scatter, gather, permutation).
#pragma once

#include <c10/util/Exception.h>

#include <cstddef>
#include <cstdint>

namespace torchresample {

// A 16-byte element (complex double), moved as a unit.
struct Bits128 {
  uint64_t lo;
  uint64_t hi;
};

// Calls f(T{}) with T an unsigned integer (or Bits128) as wide as one element. Moving bits keeps every value of
// every dtype exactly (bool, integers, half, bfloat16, complex, NaN payloads, -0.0), and all-zero bits are zero
// in each of them, so one instantiation per width serves all dtypes.
template <typename F>
void dispatch_by_width(size_t width, const char* op, F&& f) {
  switch (width) {
    case 1:
      return f(uint8_t{});
    case 2:
      return f(uint16_t{});
    case 4:
      return f(uint32_t{});
    case 8:
      return f(uint64_t{});
    case 16:
      return f(Bits128{});
    default:
      TORCH_CHECK_NOT_IMPLEMENTED(false, op, ": elements of ", width, " bytes are not supported");
  }
}

}  // namespace torchresample
