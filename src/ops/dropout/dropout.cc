// Copyright onnxedge authors.
// Dropout. Opsets 1-21. Inference (the default everywhere) returns the input unchanged, sharing
// its storage, and an all-true mask (of type T with value 1 before opset 10, bool from 10).
// Opsets 1-11 always run in inference mode: onnxedge is an inference engine, so opset 1-6's
// is_test=0 is treated like is_test=1. From opset 12 the optional inputs `ratio` (default 0.5)
// and `training_mode` (default false) apply: in training mode with ratio > 0 each element is
// kept with probability 1 - ratio and scaled by 1 / (1 - ratio). With the `seed` attribute the
// draw matches numpy's legacy RandomState(seed).uniform(size=shape) >= ratio (MT19937, 53-bit
// doubles), which is how the ONNX reference defines it; without a seed it is nondeterministic.
// Types: float, double, float16, bfloat16.
#include <random>

#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

// numpy's legacy random_sample(): two 32-bit draws make one double in [0, 1).
inline double NumpyRandomSample(std::mt19937& gen) {
  const uint32_t a = gen() >> 5, b = gen() >> 6;
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

class DropoutKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<DropoutKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<DropoutKernel>();
    k->since_ = info.since_version();
    if (k->since_ < 12) {
      OE_ASSIGN_OR_RETURN(float ratio, info.GetFloat("ratio", 0.5f));
      (void)ratio;  // inference mode ignores the ratio
    } else if (info.HasAttribute("seed")) {
      OE_ASSIGN_OR_RETURN(k->seed_, info.GetInt("seed"));
      k->has_seed_ = true;
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    double ratio = 0.5;
    bool training = false;
    if (since_ >= 12) {
      if (const Tensor* r = ctx.Input(1)) {
        if (r->size() != 1) {
          return ctx.Error(StatusCode::kInvalidArgument,
                           "input 'ratio' must be a scalar, got shape ", ShapeToString(r->shape()));
        }
        OE_ASSIGN_OR_RETURN(auto v, ReadDoubles(*r, ctx.Describe() + " input 'ratio'"));
        ratio = v[0];
      }
      if (const Tensor* t = ctx.Input(2)) {
        if (t->dtype() != DataType::kBool || t->size() != 1) {
          return ctx.Error(StatusCode::kInvalidArgument,
                           "input 'training_mode' must be a bool scalar, got ",
                           DataTypeName(t->dtype()), ShapeToString(t->shape()));
        }
        training = t->data<bool>()[0];
      }
    }
    if (!training || ratio == 0.0) {
      ctx.SetOutput(0, Value(*x));
      if (ctx.OutputRequested(1)) return AllTrueMask(ctx, *x);
      return Status::Ok();
    }
    if (!(ratio > 0.0 && ratio < 1.0)) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'ratio' must be in [0, 1), got ",
                       ratio);
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), x->shape()));
    Tensor* mask = nullptr;
    if (ctx.OutputRequested(1)) {
      OE_ASSIGN_OR_RETURN(mask, ctx.AllocateOutput(1, DataType::kBool, x->shape()));
    }
    std::mt19937 gen(has_seed_ ? static_cast<uint32_t>(seed_) : std::random_device{}());
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      // As the reference: the ratio in the data's precision, scale = 1 / (1 - ratio).
      const C r = static_cast<C>(ratio);
      const C scale = C(1) / (C(1) - r);
      const T* src = x->data<T>();
      T* dst = y->data<T>();
      for (int64_t i = 0; i < x->size(); ++i) {
        const bool keep = NumpyRandomSample(gen) >= static_cast<double>(r);
        dst[i] = keep ? FromCompute<T>(ToCompute(src[i]) * scale) : FromCompute<T>(C(0));
        if (mask) mask->data<bool>()[i] = keep;
      }
      return Status::Ok();
    });
  }

 private:
  Status AllTrueMask(KernelContext& ctx, const Tensor& x) const {
    if (since_ >= 10) {
      OE_ASSIGN_OR_RETURN(Tensor * m, ctx.AllocateOutput(1, DataType::kBool, x.shape()));
      std::fill(m->data<bool>(), m->data<bool>() + m->size(), true);
      return Status::Ok();
    }
    OE_ASSIGN_OR_RETURN(Tensor * m, ctx.AllocateOutput(1, x.dtype(), x.shape()));
    return Dispatch<FloatTypes>(x.dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T one = FromCompute<T>(ComputeType<T>(1));
      std::fill(m->data<T>(), m->data<T>() + m->size(), one);
      return Status::Ok();
    });
  }

  int since_ = 12;
  int64_t seed_ = 0;
  bool has_seed_ = false;
};

}  // namespace

void RegisterOp_dropout(OpRegistry& registry) {
  registry.Register({"", "Dropout", 1, 21, MakeFactory<DropoutKernel>()});
}

}  // namespace onnxedge::ops
