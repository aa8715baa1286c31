// A vector of trivially copyable elements that keeps its first N inline: plans of small axes are built without the
// heap (Note [axis plan]), with nothing but the standard library (the plan headers build without torch).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <memory>
#include <type_traits>

namespace torchresample {

template <typename T, size_t N>
class InlineVector {
  static_assert(std::is_trivially_copyable_v<T>, "InlineVector holds plain values");

 public:
  InlineVector() = default;
  explicit InlineVector(size_t n, T value = T()) { assign(n, value); }
  InlineVector(const InlineVector& o) { copy_from(o); }
  InlineVector(InlineVector&& o) noexcept { move_from(o); }
  InlineVector& operator=(const InlineVector& o) {
    if (this != &o) {
      copy_from(o);
    }
    return *this;
  }
  InlineVector& operator=(InlineVector&& o) noexcept {
    if (this != &o) {
      move_from(o);
    }
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return heap_ ? heap_.get() : inline_; }
  const T* data() const { return heap_ ? heap_.get() : inline_; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }

  // New elements are value-initialised (zero); existing ones keep their values.
  void resize(size_t n) {
    reserve(n);
    std::fill(data() + std::min(n, size_), data() + n, T());
    size_ = n;
  }
  void assign(size_t n, T value) {
    reserve(n);
    std::fill(data(), data() + n, value);
    size_ = n;
  }
  template <typename It, typename = std::enable_if_t<!std::is_integral_v<It>>>
  void assign(It first, It last) {
    const size_t n = static_cast<size_t>(std::distance(first, last));
    reserve(n);
    std::copy(first, last, data());
    size_ = n;
  }

 private:
  void reserve(size_t n) {
    if (n <= capacity_) {
      return;
    }
    std::unique_ptr<T[]> grown(new T[n]);
    std::memcpy(grown.get(), data(), size_ * sizeof(T));
    heap_ = std::move(grown);
    capacity_ = n;
  }
  void copy_from(const InlineVector& o) {
    size_ = 0;
    assign(o.begin(), o.end());
  }
  void move_from(InlineVector& o) {
    if (o.heap_) {
      heap_ = std::move(o.heap_);
      capacity_ = o.capacity_;
      size_ = o.size_;
    } else {
      const size_t n = std::min(o.size_, N);  // inline: at most N
      reserve(n);
      std::memcpy(data(), o.inline_, n * sizeof(T));
      size_ = n;
    }
    o.size_ = 0;
    o.capacity_ = N;
  }

  T inline_[N];
  std::unique_ptr<T[]> heap_;
  size_t size_ = 0;
  size_t capacity_ = N;
};

}  // namespace torchresample
