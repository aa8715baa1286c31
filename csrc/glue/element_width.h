// Element-width dispatch for the ops that only move elements (scatter, gather, permutation).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include <cstddef>
#include <cstdint>

namespace torchresample {

// A 16-byte element (complex double), moved as a unit.
struct Bits128 {
  uint64_t lo;
  uint64_t hi;
};

// The unsigned integer (or Bits128) type as wide as N bytes.
template <size_t N>
struct WidthType;
template <>
struct WidthType<1> {
  using type = uint8_t;
};
template <>
struct WidthType<2> {
  using type = uint16_t;
};
template <>
struct WidthType<4> {
  using type = uint32_t;
};
template <>
struct WidthType<8> {
  using type = uint64_t;
};
template <>
struct WidthType<16> {
  using type = Bits128;
};
template <size_t N>
using width_type = typename WidthType<N>::type;

// Calls f(T{}) with T an unsigned integer (or Bits128) as wide as one element. Moving bits keeps every value of
// every dtype exactly (bool, integers, half, bfloat16, complex, NaN payloads, -0.0), and all-zero bits are zero
// in each of them, so one instantiation per width serves all dtypes.
template <typename F>
void dispatch_by_width(size_t width, const char* op, F&& f) {
  switch (width) {
    case 1:
      return f(width_type<1>{});
    case 2:
      return f(width_type<2>{});
    case 4:
      return f(width_type<4>{});
    case 8:
      return f(width_type<8>{});
    case 16:
      return f(width_type<16>{});
    default:
      TORCH_CHECK_NOT_IMPLEMENTED(false, "torchresample::", op, ": elements of ", width, " bytes are not supported");
  }
}

// A tensor's data as elements of the width type T (what dispatch_by_width hands its function).
template <typename T>
const T* raw(const at::Tensor& t) {
  return static_cast<const T*>(t.const_data_ptr());
}

template <typename T>
T* raw_mut(const at::Tensor& t) {
  return static_cast<T*>(t.mutable_data_ptr());
}

}  // namespace torchresample
