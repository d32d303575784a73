// Copyright onnxedge authors.
// EyeLike: a 2-D tensor of the input's shape with ones on diagonal k (col - row == k) and zeros
// elsewhere. Output type from the `dtype` attribute, else the input's. Opsets 9-21; numeric and
// bool types.
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

using EyeTypes = TypeList<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t,
                          uint8_t, uint16_t, uint32_t, uint64_t, bool>;

class EyeLikeKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<EyeLikeKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<EyeLikeKernel>();
    OE_ASSIGN_OR_RETURN(k->k_, info.GetInt("k", 0));
    if (info.HasAttribute("dtype")) {
      OE_ASSIGN_OR_RETURN(int64_t dt, info.GetInt("dtype"));
      k->dtype_ = static_cast<DataType>(dt);
      Status s = Dispatch<EyeTypes>(k->dtype_, [](auto) { return Status::Ok(); });
      if (!s.ok()) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'dtype' (", dt,
                          ") is not a supported output type");
      }
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    if (x->rank() != 2) {
      return ctx.Error(StatusCode::kInvalidArgument, "input must be 2-D, got shape ",
                       ShapeToString(x->shape()));
    }
    const DataType type = dtype_ == DataType::kUndefined ? x->dtype() : dtype_;
    return Dispatch<EyeTypes>(type, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, type, x->shape()));
      const int64_t rows = x->dim(0), cols = x->dim(1);
      T* out = y->data<T>();
      T one;
      if constexpr (std::is_same_v<T, bool>) {
        one = true;
      } else {
        one = FromCompute<T>(ComputeType<T>(1));
      }
      for (int64_t i = 0; i < rows; ++i) {
        // Compare in the row's terms to keep i + k from overflowing for extreme k.
        if (k_ >= cols || k_ <= -rows) break;
        const int64_t j = i + k_;
        if (j >= 0 && j < cols) out[i * cols + j] = one;
      }
      return Status::Ok();
    });
  }

 private:
  int64_t k_ = 0;
  DataType dtype_ = DataType::kUndefined;
};

}  // namespace

void RegisterOp_eye_like(OpRegistry& registry) {
  registry.Register({"", "EyeLike", 9, 21, MakeFactory<EyeLikeKernel>()});
}

}  // namespace onnxedge::ops
