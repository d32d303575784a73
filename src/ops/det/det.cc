// Copyright onnxedge authors.
// Det (opset 11): determinants of the square matrices in the last two dims of [*, M, M];
// output shape [*]. Each matrix is factorized by LU with partial pivoting in double (so float
// inputs lose nothing to cancellation), batches in parallel. Types: float, double, float16,
// bfloat16. A 0x0 matrix has determinant 1; a singular one gives 0 (or ±0 / NaN as the
// arithmetic falls).
#include <cmath>

#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

double LuDeterminant(double* a, int64_t n) {
  double det = 1.0;
  for (int64_t c = 0; c < n; ++c) {
    int64_t piv = c;
    double best = std::fabs(a[c * n + c]);
    for (int64_t r = c + 1; r < n; ++r) {
      const double v = std::fabs(a[r * n + c]);
      if (v > best) {
        best = v;
        piv = r;
      }
    }
    if (piv != c) {
      for (int64_t j = 0; j < n; ++j) std::swap(a[c * n + j], a[piv * n + j]);
      det = -det;
    }
    const double p = a[c * n + c];
    det *= p;
    if (p == 0.0) return det;  // singular (keeps the sign of zero)
    for (int64_t r = c + 1; r < n; ++r) {
      const double f = a[r * n + c] / p;
      if (f == 0.0) continue;
      for (int64_t j = c + 1; j < n; ++j) a[r * n + j] -= f * a[c * n + j];
    }
  }
  return det;
}

class DetKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<DetKernel>> Create(const KernelInfo&) {
    return std::make_unique<DetKernel>();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const size_t r = x->rank();
    if (r < 2 || x->dim(r - 1) != x->dim(r - 2)) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'X' must be a (batch of) square matrices [*, M, M], got shape ",
                       ShapeToString(x->shape()));
    }
    const int64_t n = x->dim(r - 1);
    const Shape out_shape(x->shape().begin(), x->shape().end() - 2);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape));
    const int64_t batch = y->size();
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* px = x->data<T>();
      T* py = y->data<T>();
      ctx.thread_pool().ParallelFor(
          batch, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, n * n * n)),
          [&](int64_t b0, int64_t b1) {
            std::vector<double> a(static_cast<size_t>(n * n));
            for (int64_t b = b0; b < b1; ++b) {
              for (int64_t i = 0; i < n * n; ++i) {
                a[static_cast<size_t>(i)] = static_cast<double>(ToCompute(px[b * n * n + i]));
              }
              const double d = LuDeterminant(a.data(), n);
              py[b] = FromCompute<T>(static_cast<ComputeType<T>>(d));
            }
          });
      return Status::Ok();
    });
  }
};

}  // namespace

void RegisterOp_det(OpRegistry& registry) {
  registry.Register({"", "Det", 11, 21, MakeFactory<DetKernel>()});
}

}  // namespace onnxedge::ops
