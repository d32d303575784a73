// Copyright onnxedge authors.
// The generalized cosine windows HannWindow, HammingWindow and BlackmanWindow (opset 17-21):
//   w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N),  n in [0, size)
// with N = size when periodic (default) and size - 1 when symmetric. These ops are ONNX
// functions; direct kernels avoid depending on the ops of the expansion (Cast, Range, Cos, ...)
// and compute in double. A symmetric window of size 1 is [1] (the function body would divide
// 0 by 0). Output type from output_datatype (every numeric type; integer types truncate).
#pragma once

#include <cmath>

#include "ops/common/signal_util.h"

namespace onnxedge::ops::signal {

template <typename Coefficients>
class WindowKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<WindowKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<WindowKernel>();
    OE_ASSIGN_OR_RETURN(k->out_type_, ReadOutputDataType(info));
    OE_ASSIGN_OR_RETURN(int64_t periodic, info.GetInt("periodic", 1));
    if (periodic != 0 && periodic != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'periodic' must be 0 or 1, got ",
                        periodic);
    }
    k->periodic_ = periodic == 1;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(int64_t size, ReadScalarInt(ctx, 0, "size"));
    if (size < 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'size' must be >= 0, got ", size);
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, out_type_, {size}));
    const int64_t denom = periodic_ ? size : size - 1;
    constexpr double kTwoPi = 6.283185307179586476925;
    return Dispatch<NumericTypes>(out_type_, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      T* out = y->data<T>();
      for (int64_t n = 0; n < size; ++n) {
        double w = 1.0;
        if (denom > 0) {
          const double angle = kTwoPi * static_cast<double>(n) / static_cast<double>(denom);
          w = Coefficients::kA0 - Coefficients::kA1 * std::cos(angle) +
              Coefficients::kA2 * std::cos(2.0 * angle);
        }
        out[n] = CastFromDouble<T>(w);
      }
      return Status::Ok();
    });
  }

 private:
  DataType out_type_ = DataType::kFloat;
  bool periodic_ = true;
};

}  // namespace onnxedge::ops::signal
