// Copyright onnxedge authors.
// SequenceEmpty: an empty tensor sequence whose element type is the `dtype` attribute (default
// float). Opsets 11-21.
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class SequenceEmptyKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SequenceEmptyKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<SequenceEmptyKernel>();
    OE_ASSIGN_OR_RETURN(int64_t dtype,
                        info.GetInt("dtype", static_cast<int64_t>(DataType::kFloat)));
    k->type_ = static_cast<DataType>(dtype);
    if (dtype < 0 || dtype > 16 || !IsSupportedDataType(k->type_)) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'dtype' is ", dtype,
                        ", which is not a supported tensor element type");
    }
    return k;
  }
  Status Run(KernelContext& ctx) const override {
    ctx.SetOutput(0, Value::Sequence({}, type_));
    return Status::Ok();
  }

 private:
  DataType type_ = DataType::kFloat;
};

}  // namespace

void RegisterOp_sequence_empty(OpRegistry& registry) {
  registry.Register({"", "SequenceEmpty", 11, 21, MakeFactory<SequenceEmptyKernel>()});
}

}  // namespace onnxedge::ops
