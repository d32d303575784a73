// Copyright onnxedge authors.
// InstanceNormalization: per (image, channel) plane, y = scale[c] * (x - mean) /
// sqrt(var + epsilon) + B[c] with population variance (opsets 1-21; consumed_inputs of opset 1
// is ignored). Types: float32, float64, float16, bfloat16; statistics in float64.
#include <memory>

#include "ops/common/norm_util.h"

namespace onnxedge::ops {

namespace {

class InstanceNormalizationKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<InstanceNormalizationKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<InstanceNormalizationKernel>();
    OE_ASSIGN_OR_RETURN(k->epsilon_, info.GetFloat("epsilon", 1e-5f));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* scale, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(const Tensor* bias, ctx.RequiredInput(2));
    if (x->rank() < 2) {
      return ctx.Error(StatusCode::kInvalidArgument, "input X must have rank >= 2, got ",
                       ShapeToString(x->shape()));
    }
    const int64_t batch = x->dim(0), channels = x->dim(1);
    if (scale->size() != channels || bias->size() != channels || scale->dtype() != x->dtype() ||
        bias->dtype() != x->dtype()) {
      return ctx.Error(StatusCode::kInvalidArgument, "inputs scale ", ShapeToString(scale->shape()),
                       " and B ", ShapeToString(bias->shape()), " must be [", channels,
                       "] of X's type");
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), x->shape()));
    if (x->size() == 0) return Status::Ok();
    const int64_t plane = x->size() / (batch * channels);
    const double eps = epsilon_;
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* px = x->data<T>();
      const T* ps = scale->data<T>();
      const T* pb = bias->data<T>();
      T* py = y->data<T>();
      ctx.thread_pool().ParallelFor(
          batch * channels, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, plane)),
          [&](int64_t p0, int64_t p1) {
            for (int64_t p = p0; p < p1; ++p) {
              const int64_t c = p % channels;
              double mean, var;
              MeanVar(px + p * plane, plane, &mean, &var);
              const double a = static_cast<double>(ToCompute(ps[c])) / std::sqrt(var + eps);
              // (x - mean) * a + B: folding the mean into the offset cancels badly when
              // |mean * a| is large.
              const C av = static_cast<C>(a), mv = static_cast<C>(mean);
              const C bv = ToCompute(pb[c]);
              const T* xs = px + p * plane;
              T* ys = py + p * plane;
              for (int64_t i = 0; i < plane; ++i) {
                ys[i] = FromCompute<T>((ToCompute(xs[i]) - mv) * av + bv);
              }
            }
          });
      return Status::Ok();
    });
  }

 private:
  float epsilon_ = 1e-5f;
};

}  // namespace

void RegisterOp_instance_normalization(OpRegistry& registry) {
  registry.Register(
      {"", "InstanceNormalization", 1, 21, MakeFactory<InstanceNormalizationKernel>()});
}

}  // namespace onnxedge::ops
