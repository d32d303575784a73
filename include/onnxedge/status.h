// Copyright onnxedge authors.
// Status and StatusOr<T>: the error model of every library function.
//
// Library code never throws across the public API and never aborts on user input. An error
// carries a code and a one-line message; callers add context (model, graph, node, value) on the
// way up with Status::WithContext so the final message names what was wrong.
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace onnxedge {

/// Error categories. Stable values: they are used as CLI exit details and in HTTP mapping.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,  ///< A caller passed a bad argument (tensor, option, flag).
  kInvalidModel = 2,     ///< The model file or graph is malformed or unsafe.
  kNotImplemented = 3,   ///< Valid ONNX that onnxedge does not support yet.
  kOutOfMemory = 4,      ///< An allocation failed or would exceed the configured memory limit.
  kCancelled = 5,        ///< A run was cancelled or passed its deadline.
  kNotFound = 6,         ///< A file or named entity does not exist.
  kIoError = 7,          ///< Reading or writing a file failed.
  kInternal = 8,         ///< A bug in onnxedge.
};

/// Returns a short lowercase name for a status code, such as "invalid model".
const char* StatusCodeName(StatusCode code);

/// The result of an operation that can fail. OK costs one null pointer.
class [[nodiscard]] Status {
 public:
  /// An OK status.
  Status() = default;
  /// An error status with a code and a message. `code` must not be kOk.
  Status(StatusCode code, std::string message);

  /// Returns an OK status.
  static Status Ok() { return Status(); }

  /// True when no error occurred.
  bool ok() const { return state_ == nullptr; }
  /// The error code, kOk for success.
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  /// The message without the code prefix; empty for OK.
  const std::string& message() const;
  /// "invalid model: node 'conv1' (Conv): ..." or "OK".
  std::string ToString() const;

  /// Returns a copy whose message is prefixed with `context` and ": ". OK stays OK.
  Status WithContext(const std::string& context) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

/// Either a value of type T or an error Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  /// Holds an error. `status` must not be OK.
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT(runtime/explicit)
    assert(!status_.ok() && "StatusOr constructed from an OK status");
    if (status_.ok()) status_ = Status(StatusCode::kInternal, "StatusOr built from OK status");
  }
  /// Holds a value.
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT(runtime/explicit)

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  /// The value; only valid when ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

/// Builds an error status from stream-style parts: MakeError(kInvalidModel, "node '", n, "'").
template <typename... Args>
Status MakeError(StatusCode code, Args&&... args);

}  // namespace onnxedge

#include "onnxedge/detail/str_cat.h"

namespace onnxedge {
template <typename... Args>
Status MakeError(StatusCode code, Args&&... args) {
  return Status(code, detail::StrCat(std::forward<Args>(args)...));
}
}  // namespace onnxedge

/// Returns early from the enclosing function when the expression yields an error status.
/// Variadic so template calls with commas (`Foo<A, B>(x)`) need no extra parentheses.
#define OE_RETURN_IF_ERROR(...)                          \
  do {                                                   \
    ::onnxedge::Status oe_status_tmp_ = (__VA_ARGS__);   \
    if (!oe_status_tmp_.ok()) return oe_status_tmp_;     \
  } while (0)

#define OE_CONCAT_INNER_(a, b) a##b
#define OE_CONCAT_(a, b) OE_CONCAT_INNER_(a, b)

/// `OE_ASSIGN_OR_RETURN(auto x, Foo());` assigns the value or returns the error. It expands to
/// several statements (it declares `lhs` in the enclosing scope): never use it as the unbraced
/// body of an `if` or a loop.
#define OE_ASSIGN_OR_RETURN(lhs, ...) \
  OE_ASSIGN_OR_RETURN_IMPL_(OE_CONCAT_(oe_statusor_, __LINE__), lhs, __VA_ARGS__)
#define OE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, ...) \
  auto tmp = (__VA_ARGS__);                      \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
