// Copyright onnxedge authors.
// Multinomial (opset 7-21): for each row of input [batch, classes] (unnormalized
// log-probabilities), draws sample_size class indices with probability softmax(row). Output
// [batch, sample_size] of `dtype` int32 (default) or int64. Input float16/float/double; a row
// with NaN or +inf, or with every entry -inf, is a run error. Sampling: inverse CDF of the
// row's cumulative exp(x - max) with a uniform draw (binary search). Generator and seeding as
// in random_util.h: seeded nodes repeat their values on every run; the values cannot match
// other runtimes' streams.
#include <algorithm>
#include <cmath>

#include "ops/common/random_util.h"

namespace onnxedge::ops {

namespace {

class MultinomialKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<MultinomialKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<MultinomialKernel>();
    OE_ASSIGN_OR_RETURN(k->seed_, random::ReadSeed(info));
    OE_ASSIGN_OR_RETURN(int64_t dtype, info.GetInt("dtype", 6));
    k->dtype_ = static_cast<DataType>(dtype);
    if (k->dtype_ != DataType::kInt32 && k->dtype_ != DataType::kInt64) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'dtype' = ", dtype,
                        " must be int32 (6) or int64 (7)");
    }
    OE_ASSIGN_OR_RETURN(k->sample_size_, info.GetInt("sample_size", 1));
    if (k->sample_size_ < 0) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'sample_size' must be >= 0, got ",
                        k->sample_size_);
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
    if (x->rank() != 2) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'input' must have shape "
                       "[batch, classes], got ",
                       ShapeToString(x->shape()));
    }
    const int64_t batch = x->dim(0), classes = x->dim(1);
    if (classes == 0 && batch > 0 && sample_size_ > 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'input' has no classes to sample");
    }
    OE_ASSIGN_OR_RETURN(std::vector<double> logits, ReadDoubles(*x, ctx.Describe()));
    OE_ASSIGN_OR_RETURN(Tensor * out, ctx.AllocateOutput(0, dtype_, {batch, sample_size_}));
    if (out->size() == 0) return Status::Ok();
    random::Generator gen = random::MakeGenerator(seed_);
    std::vector<double> cdf(static_cast<size_t>(classes));
    for (int64_t b = 0; b < batch; ++b) {
      const double* row = logits.data() + b * classes;
      double max = -INFINITY;
      for (int64_t c = 0; c < classes; ++c) {
        if (std::isnan(row[c]) || row[c] == INFINITY) {
          return ctx.Error(StatusCode::kInvalidArgument, "input 'input'[", b, ", ", c,
                           "] = ", row[c], " is not a valid log-probability");
        }
        max = std::max(max, row[c]);
      }
      if (max == -INFINITY) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'input' row ", b,
                         " has zero total probability (every entry is -inf)");
      }
      double total = 0;
      for (int64_t c = 0; c < classes; ++c) {
        total += std::exp(row[c] - max);
        cdf[static_cast<size_t>(c)] = total;
      }
      for (int64_t s = 0; s < sample_size_; ++s) {
        const double target = gen.Uniform() * total;
        // First class whose cumulative weight exceeds the target.
        auto it = std::upper_bound(cdf.begin(), cdf.end(), target);
        int64_t cls = std::min<int64_t>(it - cdf.begin(), classes - 1);
        // Rounding can land on a zero-probability class at the end: step back to a real one.
        while (cls > 0 && cdf[static_cast<size_t>(cls)] == cdf[static_cast<size_t>(cls - 1)]) --cls;
        if (dtype_ == DataType::kInt32) {
          out->data<int32_t>()[b * sample_size_ + s] = static_cast<int32_t>(cls);
        } else {
          out->data<int64_t>()[b * sample_size_ + s] = cls;
        }
      }
    }
    return Status::Ok();
  }

 private:
  random::Seed seed_;
  DataType dtype_ = DataType::kInt32;
  int64_t sample_size_ = 1;
};

}  // namespace

void RegisterOp_multinomial(OpRegistry& registry) {
  registry.Register({"", "Multinomial", 7, 21, MakeFactory<MultinomialKernel>()});
}

}  // namespace onnxedge::ops
