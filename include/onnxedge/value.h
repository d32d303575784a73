// Copyright onnxedge authors.
// Value: what flows along a graph edge. A tensor, a sequence of tensors, or an empty optional.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "onnxedge/tensor.h"

namespace onnxedge {

/// A runtime value. ONNX `optional(T)` with an element is represented by the element itself;
/// without an element it is a Value of kind kNone.
class Value {
 public:
  enum class Kind { kNone, kTensor, kSequence };

  /// An empty (none) value.
  Value() = default;
  /// A tensor value.
  Value(Tensor tensor) : kind_(Kind::kTensor), tensor_(std::move(tensor)) {}  // NOLINT
  /// A sequence value. `element_type` records the element type even when the sequence is empty.
  static Value Sequence(std::vector<Tensor> elements, DataType element_type);
  /// An empty optional whose element would be a tensor (is_sequence=false) or a sequence.
  static Value None(bool is_sequence = false, DataType element_type = DataType::kUndefined);

  Kind kind() const { return kind_; }
  bool is_tensor() const { return kind_ == Kind::kTensor; }
  bool is_sequence() const { return kind_ == Kind::kSequence; }
  bool is_none() const { return kind_ == Kind::kNone; }

  const Tensor& tensor() const { return tensor_; }
  Tensor& tensor() { return tensor_; }
  /// Sequence elements; empty for non-sequences.
  const std::vector<Tensor>& sequence() const;
  /// Element type of a sequence (or of the missing element of a none value).
  DataType element_type() const { return element_type_; }
  /// For kNone: whether the absent element would have been a sequence.
  bool none_is_sequence() const { return none_is_sequence_; }

 private:
  Kind kind_ = Kind::kNone;
  Tensor tensor_;
  std::shared_ptr<const std::vector<Tensor>> sequence_;
  DataType element_type_ = DataType::kUndefined;
  bool none_is_sequence_ = false;
};

/// A named value, used for Session inputs and outputs.
struct NamedValue {
  std::string name;
  Value value;
};

}  // namespace onnxedge
