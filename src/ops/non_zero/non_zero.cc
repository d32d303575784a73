// Copyright onnxedge authors.
// NonZero: the coordinates of the non-zero elements as int64 [rank, count], in row-major order
// (numpy.nonzero). A scalar input is treated as 1-D of one element, giving [1, count]. Opsets
// 9-21; numeric, bool and string (non-empty) inputs.
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class NonZeroKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<NonZeroKernel>> Create(const KernelInfo&) {
    return std::make_unique<NonZeroKernel>();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    std::vector<int64_t> flat;  // flat indices of the non-zero elements
    OE_RETURN_IF_ERROR(Dispatch<AllTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* p = x->data<T>();
      for (int64_t i = 0; i < x->size(); ++i) {
        bool nz;
        if constexpr (std::is_same_v<T, std::string>) {
          nz = !p[i].empty();
        } else {
          nz = ToCompute(p[i]) != ComputeType<T>(0);
        }
        if (nz) flat.push_back(i);
      }
      return Status::Ok();
    }));
    const Shape shape = x->rank() == 0 ? Shape{1} : x->shape();
    const int64_t rank = static_cast<int64_t>(shape.size());
    const int64_t n = static_cast<int64_t>(flat.size());
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, DataType::kInt64, {rank, n}));
    int64_t* out = y->data<int64_t>();
    for (int64_t j = 0; j < n; ++j) {
      int64_t f = flat[static_cast<size_t>(j)];
      for (int64_t d = rank - 1; d >= 0; --d) {
        out[d * n + j] = f % shape[static_cast<size_t>(d)];
        f /= shape[static_cast<size_t>(d)];
      }
    }
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_non_zero(OpRegistry& registry) {
  registry.Register({"", "NonZero", 9, 21, MakeFactory<NonZeroKernel>()});
}

}  // namespace onnxedge::ops
