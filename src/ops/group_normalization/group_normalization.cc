// Copyright onnxedge authors.
// GroupNormalization (opsets 18-21): the channels of X [N, C, ...] are split into num_groups
// groups; each (image, group) is normalized by its mean and population variance,
//   Y = (X - mean) / sqrt(var + epsilon) * scale + bias.
// Opset 18 (deprecated by 21): scale and bias have shape [num_groups] (one value per group).
// Opset 21: scale and bias have shape [C] (per channel); stash_type is accepted (statistics are
// always computed in float64). Types: float32, float64, float16, bfloat16.
#include <memory>

#include "ops/common/norm_util.h"

namespace onnxedge::ops {

namespace {

class GroupNormalizationKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<GroupNormalizationKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<GroupNormalizationKernel>();
    OE_ASSIGN_OR_RETURN(k->epsilon_, info.GetFloat("epsilon", 1e-5f));
    OE_ASSIGN_OR_RETURN(k->num_groups_, info.GetInt("num_groups"));
    if (k->num_groups_ <= 0) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'num_groups' must be positive, got ",
                        k->num_groups_);
    }
    k->per_channel_ = info.since_version() >= 21;
    OE_ASSIGN_OR_RETURN(int64_t stash, info.GetInt("stash_type", 1));
    (void)stash;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* scale, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(const Tensor* bias, ctx.RequiredInput(2));
    const std::string& where = ctx.Describe();
    if (x->rank() < 2) {
      return ctx.Error(StatusCode::kInvalidArgument, "input X must have rank >= 2, got ",
                       ShapeToString(x->shape()));
    }
    const int64_t batch = x->dim(0), channels = x->dim(1), groups = num_groups_;
    if (channels % groups != 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input X has ", channels,
                       " channels, not divisible by attribute 'num_groups' ", groups);
    }
    const int64_t params = per_channel_ ? channels : groups;
    if (scale->size() != params || bias->size() != params) {
      return ctx.Error(StatusCode::kInvalidArgument, "inputs scale ", ShapeToString(scale->shape()),
                       " and bias ", ShapeToString(bias->shape()), " must have ", params,
                       " elements");
    }
    OE_ASSIGN_OR_RETURN(std::vector<double> sc, ReadDoubles(*scale, where + " input scale"));
    OE_ASSIGN_OR_RETURN(std::vector<double> bs, ReadDoubles(*bias, where + " input bias"));
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), x->shape()));
    if (x->size() == 0) return Status::Ok();
    const int64_t plane = x->size() / (batch * channels);
    const int64_t cpg = channels / groups;
    const int64_t group_size = cpg * plane;
    const double eps = epsilon_;
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* px = x->data<T>();
      T* py = y->data<T>();
      ctx.thread_pool().ParallelFor(
          batch * groups, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, group_size)),
          [&](int64_t p0, int64_t p1) {
            for (int64_t p = p0; p < p1; ++p) {
              const int64_t g = p % groups;
              double mean, var;
              MeanVar(px + p * group_size, group_size, &mean, &var);
              const double inv = 1.0 / std::sqrt(var + eps);
              for (int64_t c = 0; c < cpg; ++c) {
                const size_t pi = static_cast<size_t>(per_channel_ ? g * cpg + c : g);
                const C a = static_cast<C>(sc[pi] * inv), m = static_cast<C>(mean);
                const C b = static_cast<C>(bs[pi]);
                const T* xs = px + p * group_size + c * plane;
                T* ys = py + p * group_size + c * plane;
                for (int64_t i = 0; i < plane; ++i) {
                  ys[i] = FromCompute<T>((ToCompute(xs[i]) - m) * a + b);
                }
              }
            }
          });
      return Status::Ok();
    });
  }

 private:
  float epsilon_ = 1e-5f;
  int64_t num_groups_ = 1;
  bool per_channel_ = false;
};

}  // namespace

void RegisterOp_group_normalization(OpRegistry& registry) {
  registry.Register({"", "GroupNormalization", 18, 21, MakeFactory<GroupNormalizationKernel>()});
}

}  // namespace onnxedge::ops
