// Copyright onnxedge authors.
// Helpers shared by op implementations: type dispatch, axes, broadcasting, small int inputs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

#include "onnxedge/data_type.h"
#include "onnxedge/status.h"
#include "onnxedge/tensor.h"
#include "core/small_vector.h"
#include "runtime/kernel.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

// ---------------------------------------------------------------------------------------------
// Type dispatch

/// Tag carrying a type through a generic lambda: `[&](auto tag) { using T = typename
/// decltype(tag)::type; ... }`.
template <typename T>
struct TypeTag {
  using type = T;
};

template <typename... Ts>
struct TypeList {};

using FloatTypes = TypeList<float, double, Float16, BFloat16>;
using IntTypes = TypeList<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t,
                          uint64_t>;
using SignedNumericTypes = TypeList<float, double, Float16, BFloat16, int8_t, int16_t, int32_t,
                                    int64_t>;
using NumericTypes = TypeList<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t,
                              uint8_t, uint16_t, uint32_t, uint64_t>;
using AllTypes = TypeList<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t,
                          uint8_t, uint16_t, uint32_t, uint64_t, bool, std::string>;

namespace detail {
template <typename F, typename T, typename... Rest>
Status DispatchImpl(DataType type, F&& f) {
  if (type == DataTypeOf<T>::value) return f(TypeTag<T>{});
  if constexpr (sizeof...(Rest) > 0) {
    return DispatchImpl<F, Rest...>(type, std::forward<F>(f));
  } else {
    return MakeError(StatusCode::kNotImplemented, "element type ", DataTypeName(type),
                     " is not supported here");
  }
}
template <typename F, typename... Ts>
Status DispatchList(DataType type, TypeList<Ts...>, F&& f) {
  return DispatchImpl<F, Ts...>(type, std::forward<F>(f));
}
}  // namespace detail

/// Calls `f(TypeTag<T>{})` for the T in `List` matching `type`; NotImplemented otherwise.
/// `f` must return Status.
template <typename List, typename F>
Status Dispatch(DataType type, F&& f) {
  return detail::DispatchList(type, List{}, std::forward<F>(f));
}

/// Arithmetic type used to compute on T: float for 16-bit floats, T otherwise.
template <typename T>
using ComputeType =
    std::conditional_t<std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>, float, T>;

/// Converts to/from the compute type (identity except for 16-bit floats).
template <typename T>
inline ComputeType<T> ToCompute(T v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return static_cast<float>(v);
  } else {
    return v;
  }
}
template <typename T>
inline T FromCompute(ComputeType<T> v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return T(v);
  } else {
    return v;
  }
}

// ---------------------------------------------------------------------------------------------
// Axes and small inputs

/// Maps axis in [-rank, rank) to [0, rank); error naming the node otherwise.
StatusOr<int64_t> NormalizeAxis(int64_t axis, int64_t rank, const std::string& where);
/// Normalizes a list of axes; rejects duplicates.
StatusOr<std::vector<int64_t>> NormalizeAxes(const std::vector<int64_t>& axes, int64_t rank,
                                             const std::string& where);
/// The same into a Shape (inline storage: no allocation for up to Shape::kInlineDims axes), for
/// kernels that normalize an axes input or attribute on every run.
Status NormalizeAxesInto(const Shape& axes, int64_t rank, const std::string& where, Shape* out);
/// Reads an int32/int64 tensor (any rank) as int64 values.
StatusOr<std::vector<int64_t>> ReadInt64s(const Tensor& t, const std::string& where);
/// The same into a Shape, whose inline storage makes reading up to Shape::kInlineDims values
/// allocation-free: for kernels that read a small shape or axes input on every run. The error
/// names `where` and the input `what`.
Status ReadInt64sInto(const Tensor& t, const std::string& where, const char* what, Shape* out);
/// Reads a float/double/16-bit float tensor as doubles.
StatusOr<std::vector<double>> ReadDoubles(const Tensor& t, const std::string& where);
/// The same into `out` (t.size() values), allocation-free: for kernels that read float
/// parameters on every run. The error names `where` and the input `what`.
Status ReadDoublesInto(const Tensor& t, const std::string& where, const char* what, double* out);
/// Element offsets (row-major) of each dim.
std::vector<int64_t> Strides(const Shape& shape);
/// The same in a Shape (inline storage: no allocation up to Shape::kInlineDims dims).
Shape InlineStrides(const Shape& shape);

// ---------------------------------------------------------------------------------------------
// Broadcasting (numpy / ONNX multidirectional)

/// A non-owning list of shapes: a braced list `{&a, &b}` (valid for the call it is passed to)
/// or a vector. Lets callers pass shapes without building a std::vector per run.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"  // Used only as a parameter, see above.
#endif
class ShapeList {
 public:
  ShapeList(std::initializer_list<const Shape*> l)  // NOLINT(runtime/explicit)
      : data_(l.begin()), size_(l.size()) {}
  ShapeList(const std::vector<const Shape*>& v)  // NOLINT(runtime/explicit)
      : data_(v.data()), size_(v.size()) {}
  ShapeList(const Shape* const* data, size_t size) : data_(data), size_(size) {}
  const Shape* const* begin() const { return data_; }
  const Shape* const* end() const { return data_ + size_; }
  size_t size() const { return size_; }
  const Shape* operator[](size_t i) const { return data_[i]; }

 private:
  const Shape* const* data_;
  size_t size_;
};
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// Broadcasts shapes; error naming `where` when incompatible.
StatusOr<Shape> BroadcastShapes(ShapeList shapes, const std::string& where);

/// Iteration plan for an N-ary broadcast: output shape collapsed into as few dims as possible,
/// with per-input strides (0 along broadcast dims). The innermost dim is iterated by the caller
/// as a run of `inner` elements with each input's inner stride being 0 or 1.
class BroadcastPlan {
 public:
  static StatusOr<BroadcastPlan> Make(ShapeList inputs, const std::string& where);
  const Shape& output_shape() const { return out_shape_; }
  int64_t output_size() const { return out_size_; }
  int64_t inner() const { return inner_; }
  int64_t outer() const { return outer_; }
  /// Inner stride (0 or 1) of input i.
  int64_t inner_stride(size_t i) const { return inner_strides_[i]; }
  /// Offsets of every input for outer index `o` (the start of a run of `inner()` elements).
  void Offsets(int64_t o, int64_t* offsets) const;
  size_t num_inputs() const { return inner_strides_.size(); }
  /// The collapsed outer dims (outer() is their product) and input i's stride along each.
  size_t outer_rank() const { return outer_dims_.size(); }
  int64_t outer_dim(size_t d) const { return outer_dims_[d]; }
  int64_t outer_stride(size_t i, size_t d) const { return strides_[i * outer_dims_.size() + d]; }

 private:
  // Inline storage throughout: making a plan allocates nothing for up to 4 inputs.
  Shape out_shape_;
  int64_t out_size_ = 0;
  int64_t inner_ = 1;
  int64_t outer_ = 0;
  Shape outer_dims_;                     // collapsed outer dims
  SmallVector<int64_t, 24> strides_;     // [input * outer_dims_.size() + dim]
  SmallVector<int64_t, 4> inner_strides_;
};

/// Copies `n` elements of type `type` (handles strings).
void CopyElements(DataType type, const void* src, void* dst, int64_t n);

}  // namespace onnxedge::ops
