// Copyright onnxedge authors.
// Bernoulli (opset 15-21): output[i] = 1 with probability input[i], else 0, drawn as
// u < p with u uniform in [0, 1) (so p = 0 always gives 0 and p = 1 always gives 1).
// Input float16/float/double with values in [0, 1] (others, and NaN, are a run error); output
// type from `dtype` (every numeric type and bool), default the input's type. Generator and
// seeding as in random_util.h: seeded nodes repeat their values on every run; the values
// cannot match other runtimes' streams. A direct kernel instead of the function expansion
// (RandomUniformLike + Less + Cast).
#include "ops/common/random_util.h"

namespace onnxedge::ops {

namespace {

using BernoulliOutputTypes = TypeList<float, double, Float16, BFloat16, int8_t, int16_t, int32_t,
                                      int64_t, uint8_t, uint16_t, uint32_t, uint64_t, bool>;

bool IsBernoulliOutputType(DataType t) {
  return t != DataType::kString && t != DataType::kUndefined && t != DataType::kComplex64 &&
         t != DataType::kComplex128 && IsSupportedDataType(t);
}

class BernoulliKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<BernoulliKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<BernoulliKernel>();
    OE_ASSIGN_OR_RETURN(k->seed_, random::ReadSeed(info));
    if (info.HasAttribute("dtype")) {
      OE_ASSIGN_OR_RETURN(int64_t v, info.GetInt("dtype"));
      k->dtype_ = static_cast<DataType>(v);
      if (!IsBernoulliOutputType(k->dtype_)) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'dtype' = ", v,
                          " is not a numeric or bool tensor type");
      }
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    if (!random::IsRandomFloatType(x->dtype())) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'input' must be float16, float or "
                       "double, got ",
                       DataTypeName(x->dtype()));
    }
    OE_ASSIGN_OR_RETURN(std::vector<double> p, ReadDoubles(*x, ctx.Describe()));
    for (size_t i = 0; i < p.size(); ++i) {
      if (!(p[i] >= 0.0 && p[i] <= 1.0)) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'input'[", i, "] = ", p[i],
                         " is not a probability in [0, 1]");
      }
    }
    const DataType type = dtype_ == DataType::kUndefined ? x->dtype() : dtype_;
    OE_ASSIGN_OR_RETURN(Tensor * out, ctx.AllocateOutput(0, type, x->shape()));
    random::Generator gen = random::MakeGenerator(seed_);
    return Dispatch<BernoulliOutputTypes>(type, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      T* o = out->data<T>();
      for (size_t i = 0; i < p.size(); ++i) {
        const bool one = gen.Uniform() < p[i];
        if constexpr (std::is_same_v<T, bool>) {
          o[i] = one;
        } else {
          o[i] = FromCompute<T>(static_cast<ComputeType<T>>(one ? 1 : 0));
        }
      }
      return Status::Ok();
    });
  }

 private:
  random::Seed seed_;
  DataType dtype_ = DataType::kUndefined;
};

}  // namespace

void RegisterOp_bernoulli(OpRegistry& registry) {
  registry.Register({"", "Bernoulli", 15, 21, MakeFactory<BernoulliKernel>()});
}

}  // namespace onnxedge::ops
