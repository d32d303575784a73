// Copyright onnxedge authors.
// Shape: the input's dims as a 1-D int64 tensor. Opsets 1-21; opset 15+ takes `start`/`end`
// attributes (negative counts from the back, both clamped to [0, rank]). All element types.
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class ShapeKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ShapeKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ShapeKernel>();
    if (info.since_version() >= 15) {
      OE_ASSIGN_OR_RETURN(k->start_, info.GetInt("start", 0));
      if (info.HasAttribute("end")) {
        OE_ASSIGN_OR_RETURN(k->end_, info.GetInt("end"));
        k->has_end_ = true;
      }
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    const Value* v = ctx.InputValue(0);
    if (!v || !v->is_tensor()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'data' must be a tensor");
    }
    const Shape& shape = v->tensor().shape();
    const int64_t rank = static_cast<int64_t>(shape.size());
    auto clamp = [rank](int64_t i) {
      if (i < 0) i += rank;
      return std::clamp<int64_t>(i, 0, rank);
    };
    const int64_t start = clamp(start_);
    const int64_t end = has_end_ ? clamp(end_) : rank;
    const int64_t n = std::max<int64_t>(0, end - start);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, DataType::kInt64, {n}));
    int64_t* out = y->data<int64_t>();
    for (int64_t i = 0; i < n; ++i) out[i] = shape[static_cast<size_t>(start + i)];
    return Status::Ok();
  }

 private:
  int64_t start_ = 0;
  int64_t end_ = 0;
  bool has_end_ = false;
};

}  // namespace

void RegisterOp_shape(OpRegistry& registry) {
  registry.Register({"", "Shape", 1, 21, MakeFactory<ShapeKernel>()});
}

}  // namespace onnxedge::ops
