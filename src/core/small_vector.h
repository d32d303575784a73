// Copyright onnxedge authors.
// SmallVector<T, N>: a vector of trivially copyable T that keeps up to N elements inside the
// object, for per-run metadata (strides, broadcast plans) that must not allocate on the
// steady-state path. Larger sizes spill to the heap.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>

namespace onnxedge {

template <typename T, size_t N>
class SmallVector {
  static_assert(std::is_trivially_copyable_v<T>, "SmallVector holds trivially copyable types");

 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  SmallVector() = default;
  SmallVector(size_t n, T value) { assign(n, value); }
  SmallVector(const SmallVector& o) { CopyFrom(o); }
  SmallVector& operator=(const SmallVector& o) {
    if (this != &o) CopyFrom(o);
    return *this;
  }
  SmallVector(SmallVector&& o) noexcept { Steal(o); }
  SmallVector& operator=(SmallVector&& o) noexcept {
    if (this != &o) {
      delete[] heap_;
      heap_ = nullptr;
      Steal(o);
    }
    return *this;
  }
  ~SmallVector() { delete[] heap_; }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return heap_ ? heap_ : inline_; }
  const T* data() const { return heap_ ? heap_ : inline_; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T& back() { return data()[size_ - 1]; }
  const T& back() const { return data()[size_ - 1]; }

  void clear() { size_ = 0; }
  void reserve(size_t n) {
    if (n > capacity_) Grow(n);
  }
  void resize(size_t n, T value = T()) {
    reserve(n);
    std::fill(data() + size_, data() + std::max(n, size_), value);
    size_ = n;
  }
  void assign(size_t n, T value) {
    size_ = 0;
    resize(n, value);
  }
  void push_back(T v) {
    if (size_ == capacity_) Grow(capacity_ * 2);
    data()[size_++] = v;
  }

 private:
  void Grow(size_t n) {
    T* p = new T[n];
    std::copy(begin(), end(), p);
    delete[] heap_;
    heap_ = p;
    capacity_ = n;
  }
  void CopyFrom(const SmallVector& o) {
    size_ = 0;
    reserve(o.size_);
    std::copy(o.begin(), o.end(), data());
    size_ = o.size_;
  }
  void Steal(SmallVector& o) {
    size_ = o.size_;
    if (o.heap_) {
      heap_ = o.heap_;
      capacity_ = o.capacity_;
      o.heap_ = nullptr;
      o.capacity_ = N;
    } else {
      capacity_ = N;
      std::copy(o.inline_, o.inline_ + o.size_, inline_);
    }
    o.size_ = 0;
  }

  T* heap_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = N;
  T inline_[N];
};

}  // namespace onnxedge
