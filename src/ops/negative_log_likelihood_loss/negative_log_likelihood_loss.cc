// Copyright onnxedge authors.
// NegativeLogLikelihoodLoss (opsets 12-21): loss = -input[n, target, d...] * weight[target],
// reduced by 'reduction' (none / sum / mean weighted by the gathered weights), with optional
// 'ignore_index' and class weights. input [N, C] or [N, C, d1, ...]; target int32/int64.
// A direct kernel (instead of the ONNX function body) for speed. Types: float, double, float16,
// bfloat16 (16-bit types computed in float). Core in ops/common/loss_util.h.
#include "ops/common/loss_util.h"

namespace onnxedge::ops {

namespace {

class NegativeLogLikelihoodLossKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<NegativeLogLikelihoodLossKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<NegativeLogLikelihoodLossKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, ReadLossAttrs(info));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* input, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* target, ctx.RequiredInput(1));
    const Tensor* weight = ctx.Input(2);
    OE_ASSIGN_OR_RETURN(LossDims dims,
                        CheckLossShapes(ctx, *input, *target, weight, "input", "target"));
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> t,
                        ReadTargets(ctx, *target, dims.c, attrs_, "target"));
    return Dispatch<FloatTypes>(input->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using A = ComputeType<T>;
      const T* px = input->data<T>();
      if constexpr (std::is_same_v<T, A>) {
        return NllForward<T, A>(ctx, px, t, weight, dims, attrs_, input->dtype(), target->shape());
      } else {
        std::vector<A> x(static_cast<size_t>(input->size()));
        for (int64_t i = 0; i < input->size(); ++i) x[static_cast<size_t>(i)] = ToCompute(px[i]);
        return NllForward<T, A>(ctx, x.data(), t, weight, dims, attrs_, input->dtype(),
                                target->shape());
      }
    });
  }

 private:
  LossAttrs attrs_;
};

}  // namespace

void RegisterOp_negative_log_likelihood_loss(OpRegistry& registry) {
  registry.Register(
      {"", "NegativeLogLikelihoodLoss", 12, 21, MakeFactory<NegativeLogLikelihoodLossKernel>()});
}

}  // namespace onnxedge::ops
