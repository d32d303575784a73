// Copyright onnxedge authors.
// Shape: tensor dimensions, stored inline up to kInlineDims (no heap allocation for the shapes
// real models use), with the interface of std::vector<int64_t>.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <iterator>
#include <type_traits>
#include <vector>

namespace onnxedge {

/// Tensor dimensions. Every dim is >= 0 in a concrete tensor.
///
/// A small vector: up to kInlineDims dims live inside the object, so creating, copying and
/// resizing a shape of rank <= kInlineDims never allocates (the runtime's steady-state runs
/// allocate nothing; see docs/architecture.md, Memory). Higher ranks spill to the heap. It has
/// the interface of std::vector<int64_t> (iterators are pointers) and converts to and from it
/// implicitly; the conversion to std::vector copies, so hot paths use Shape throughout.
class Shape {
 public:
  using value_type = int64_t;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using reference = int64_t&;
  using const_reference = const int64_t&;
  using pointer = int64_t*;
  using const_pointer = const int64_t*;
  using iterator = int64_t*;
  using const_iterator = const int64_t*;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;

  /// Dims stored without a heap allocation.
  static constexpr size_t kInlineDims = 8;

  Shape() noexcept {}
  explicit Shape(size_t n) { assign(n, 0); }
  Shape(size_t n, int64_t value) { assign(n, value); }
  template <typename It, typename = std::enable_if_t<!std::is_integral_v<It>>>
  Shape(It first, It last) {
    assign(first, last);
  }
  Shape(std::initializer_list<int64_t> dims) { assign(dims.begin(), dims.end()); }
  Shape(const std::vector<int64_t>& dims) {  // NOLINT(runtime/explicit): drop-in for vector.
    assign(dims.begin(), dims.end());
  }
  Shape(const Shape& other) { assign(other.begin(), other.end()); }
  Shape(Shape&& other) noexcept { Steal(other); }
  ~Shape() { delete[] heap_; }

  Shape& operator=(const Shape& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  Shape& operator=(Shape&& other) noexcept {
    if (this != &other) {
      delete[] heap_;
      heap_ = nullptr;
      Steal(other);
    }
    return *this;
  }
  Shape& operator=(std::initializer_list<int64_t> dims) {
    assign(dims.begin(), dims.end());
    return *this;
  }
  Shape& operator=(const std::vector<int64_t>& dims) {
    assign(dims.begin(), dims.end());
    return *this;
  }

  /// A std::vector copy (allocates).
  operator std::vector<int64_t>() const {  // NOLINT(runtime/explicit)
    return std::vector<int64_t>(begin(), end());
  }
  std::vector<int64_t> ToVector() const { return std::vector<int64_t>(begin(), end()); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }
  size_t max_size() const { return UINT32_MAX; }
  int64_t* data() { return heap_ ? heap_ : inline_; }
  const int64_t* data() const { return heap_ ? heap_ : inline_; }

  iterator begin() { return data(); }
  iterator end() { return data() + size_; }
  const_iterator begin() const { return data(); }
  const_iterator end() const { return data() + size_; }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }
  reverse_iterator rbegin() { return reverse_iterator(end()); }
  reverse_iterator rend() { return reverse_iterator(begin()); }
  const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }
  const_reverse_iterator crbegin() const { return rbegin(); }
  const_reverse_iterator crend() const { return rend(); }

  int64_t& operator[](size_t i) { return data()[i]; }
  const int64_t& operator[](size_t i) const { return data()[i]; }
  int64_t& at(size_t i) { return data()[Checked(i)]; }
  const int64_t& at(size_t i) const { return data()[Checked(i)]; }
  int64_t& front() { return data()[0]; }
  const int64_t& front() const { return data()[0]; }
  int64_t& back() { return data()[size_ - 1]; }
  const int64_t& back() const { return data()[size_ - 1]; }

  void reserve(size_t n) {
    if (n > capacity_) Grow(n);
  }
  void shrink_to_fit() {}
  void clear() { size_ = 0; }
  void resize(size_t n) { resize(n, 0); }
  void resize(size_t n, int64_t value) {
    reserve(n);
    int64_t* d = data();
    for (size_t i = size_; i < n; ++i) d[i] = value;
    size_ = static_cast<uint32_t>(n);
  }
  void assign(size_t n, int64_t value) {
    size_ = 0;
    resize(n, value);
  }
  template <typename It, typename = std::enable_if_t<!std::is_integral_v<It>>>
  void assign(It first, It last) {
    const auto n = static_cast<size_t>(std::distance(first, last));
    if (n > capacity_) {
      size_ = 0;  // Nothing to keep (the source never aliases a larger buffer of ours).
      Grow(n);
    }
    std::copy(first, last, data());
    size_ = static_cast<uint32_t>(n);
  }
  void assign(std::initializer_list<int64_t> dims) { assign(dims.begin(), dims.end()); }

  void push_back(int64_t v) {
    if (size_ == capacity_) Grow(size_t{capacity_} * 2);
    data()[size_++] = v;
  }
  int64_t& emplace_back(int64_t v) {
    push_back(v);
    return back();
  }
  void pop_back() { --size_; }

  iterator insert(const_iterator pos, int64_t v) { return insert(pos, size_t{1}, v); }
  iterator insert(const_iterator pos, size_t n, int64_t v) {
    const size_t at = static_cast<size_t>(pos - begin());
    OpenGap(at, n);
    std::fill(data() + at, data() + at + n, v);
    return data() + at;
  }
  template <typename It, typename = std::enable_if_t<!std::is_integral_v<It>>>
  iterator insert(const_iterator pos, It first, It last) {
    const size_t at = static_cast<size_t>(pos - begin());
    const Shape src(first, last);  // The range may point into this shape.
    OpenGap(at, src.size());
    std::copy(src.begin(), src.end(), data() + at);
    return data() + at;
  }
  iterator insert(const_iterator pos, std::initializer_list<int64_t> dims) {
    return insert(pos, dims.begin(), dims.end());
  }
  iterator erase(const_iterator pos) { return erase(pos, pos + 1); }
  iterator erase(const_iterator first, const_iterator last) {
    int64_t* d = data();
    const size_t a = static_cast<size_t>(first - d), b = static_cast<size_t>(last - d);
    std::copy(d + b, d + size_, d + a);
    size_ -= static_cast<uint32_t>(b - a);
    return d + a;
  }
  void swap(Shape& other) noexcept {
    Shape t(std::move(other));
    other = std::move(*this);
    *this = std::move(t);
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator==(const Shape& a, const std::vector<int64_t>& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator<(const Shape& a, const Shape& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  size_t Checked(size_t i) const {
    if (i >= size_) throw std::out_of_range("Shape::at");
    return i;
  }
  void Grow(size_t n) {
    n = std::max<size_t>(n, kInlineDims);
    auto* p = new int64_t[n];
    std::copy(begin(), end(), p);
    delete[] heap_;
    heap_ = p;
    capacity_ = static_cast<uint32_t>(n);
  }
  void OpenGap(size_t at, size_t n) {
    reserve(size_ + n);
    int64_t* d = data();
    std::copy_backward(d + at, d + size_, d + size_ + n);
    size_ += static_cast<uint32_t>(n);
  }
  void Steal(Shape& other) noexcept {
    size_ = other.size_;
    if (other.heap_) {
      heap_ = other.heap_;
      capacity_ = other.capacity_;
      other.heap_ = nullptr;
      other.capacity_ = kInlineDims;
    } else {
      capacity_ = kInlineDims;
      std::memcpy(inline_, other.inline_, size_ * sizeof(int64_t));
    }
    other.size_ = 0;
  }

  int64_t* heap_ = nullptr;
  uint32_t size_ = 0;
  uint32_t capacity_ = kInlineDims;
  int64_t inline_[kInlineDims];
};

inline void swap(Shape& a, Shape& b) noexcept { a.swap(b); }

}  // namespace onnxedge
