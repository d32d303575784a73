// Copyright onnxedge authors.
// Trilu: keeps the upper (upper=1: col - row >= k) or lower (col - row <= k) triangle of the
// last two dims and zeroes the rest; k is an optional int64 scalar input (default 0). Opsets
// 14-21, every element type (strings become empty).
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class TriluKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<TriluKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<TriluKernel>();
    OE_ASSIGN_OR_RETURN(int64_t upper, info.GetInt("upper", 1));
    k->upper_ = upper != 0;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    if (x->rank() < 2) {
      return ctx.Error(StatusCode::kInvalidArgument, "input must have rank >= 2, got shape ",
                       ShapeToString(x->shape()));
    }
    int64_t k = 0;
    if (const Tensor* kt = ctx.Input(1)) {
      OE_ASSIGN_OR_RETURN(k, ReadScalarInt(*kt, ctx.Describe() + " input 'k'"));
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), x->shape()));
    if (y->size() == 0) return Status::Ok();
    const int64_t rows = x->dim(x->rank() - 2), cols = x->dim(x->rank() - 1);
    const int64_t mats = x->size() / (rows * cols);
    k = std::clamp<int64_t>(k, -rows - 1, cols + 1);  // wider k changes nothing; avoids overflow
    return DispatchBySize(x->dtype(), [&](auto tag) -> Status {
      using U = typename decltype(tag)::type;
      const U* src = x->data<U>();
      U* dst = y->data<U>();  // zero-filled (empty strings)
      for (int64_t m = 0; m < mats; ++m) {
        for (int64_t i = 0; i < rows; ++i) {
          // Kept columns: upper [i + k, cols), lower [0, i + k + 1), clamped.
          const int64_t a = upper_ ? std::clamp<int64_t>(i + k, 0, cols) : 0;
          const int64_t b = upper_ ? cols : std::clamp<int64_t>(i + k + 1, 0, cols);
          const int64_t base = (m * rows + i) * cols;
          if (b > a) std::copy(src + base + a, src + base + b, dst + base + a);
        }
      }
      return Status::Ok();
    });
  }

 private:
  bool upper_ = true;
};

}  // namespace

void RegisterOp_trilu(OpRegistry& registry) {
  registry.Register({"", "Trilu", 14, 21, MakeFactory<TriluKernel>()});
}

}  // namespace onnxedge::ops
