// Copyright onnxedge authors.
// Shared by Scatter, ScatterElements and ScatterND: the `reduction` attribute and the loop that
// applies updates. Without a reduction the element is moved by size (every element type); with
// one the data type must be numeric (16-bit floats compute in float).
#pragma once

#include <algorithm>
#include <string>

#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

enum class ScatterReduction { kNone, kAdd, kMul, kMax, kMin };

/// Reads `reduction` (opset 16+: none/add/mul; 18+: also max/min).
inline StatusOr<ScatterReduction> ReadScatterReduction(const KernelInfo& info) {
  if (info.since_version() < 16) return ScatterReduction::kNone;
  OE_ASSIGN_OR_RETURN(std::string r, info.GetString("reduction", "none"));
  if (r == "none") return ScatterReduction::kNone;
  if (r == "add") return ScatterReduction::kAdd;
  if (r == "mul") return ScatterReduction::kMul;
  if (info.since_version() >= 18) {
    if (r == "max") return ScatterReduction::kMax;
    if (r == "min") return ScatterReduction::kMin;
  }
  return info.Error(StatusCode::kInvalidModel, "attribute 'reduction' has unsupported value '", r,
                    "'");
}

/// Calls `loop(apply)` where apply(dst_index, src_index) combines updates[src_index] into
/// out[dst_index] under `reduction`, typed for out's element type.
template <typename Loop>
Status ApplyScatter(ScatterReduction reduction, Tensor& out, const Tensor& updates, Loop&& loop) {
  if (reduction == ScatterReduction::kNone) {
    return DispatchBySize(out.dtype(), [&](auto tag) -> Status {
      using U = typename decltype(tag)::type;
      U* o = out.data<U>();
      const U* u = updates.data<U>();
      loop([&](int64_t d, int64_t s) { o[d] = u[s]; });
      return Status::Ok();
    });
  }
  return Dispatch<NumericTypes>(out.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* o = out.data<T>();
    const T* u = updates.data<T>();
    loop([&](int64_t d, int64_t s) {
      const auto a = ToCompute(o[d]);
      const auto b = ToCompute(u[s]);
      decltype(ToCompute(o[d]) + ToCompute(u[s])) r;
      switch (reduction) {
        case ScatterReduction::kAdd:
          r = a + b;
          break;
        case ScatterReduction::kMul:
          r = a * b;
          break;
        case ScatterReduction::kMax:
          r = std::max(a, b);
          break;
        default:
          r = std::min(a, b);
          break;
      }
      o[d] = FromCompute<T>(static_cast<ComputeType<T>>(r));
    });
    return Status::Ok();
  });
}

}  // namespace onnxedge::ops
