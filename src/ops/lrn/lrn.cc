// Copyright onnxedge authors.
// LRN: local response normalization across channels (opsets 1-21; 13 added bfloat16).
//   square_sum[n, c, ...] = sum of x[n, i, ...]^2 for i in [c - floor((size - 1) / 2),
//                                                          c + ceil((size - 1) / 2)]
//   y = x / (bias + alpha / size * square_sum)^beta
// Types: float32, float64, float16, bfloat16 (computed in float32 / float64).
#include <cmath>
#include <memory>
#include <vector>

#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class LrnKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<LrnKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<LrnKernel>();
    OE_ASSIGN_OR_RETURN(k->size_, info.GetInt("size"));
    if (k->size_ <= 0) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'size' must be positive, got ",
                        k->size_);
    }
    OE_ASSIGN_OR_RETURN(k->alpha_, info.GetFloat("alpha", 1e-4f));
    OE_ASSIGN_OR_RETURN(k->beta_, info.GetFloat("beta", 0.75f));
    OE_ASSIGN_OR_RETURN(k->bias_, info.GetFloat("bias", 1.0f));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    if (x->rank() < 2) {
      return ctx.Error(StatusCode::kInvalidArgument, "input X must have rank >= 2, got ",
                       ShapeToString(x->shape()));
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), x->shape()));
    if (x->size() == 0) return Status::Ok();
    const int64_t batch = x->dim(0), channels = x->dim(1);
    const int64_t plane = x->size() / (batch * channels);
    const int64_t before = (size_ - 1) / 2, after = size_ - 1 - before;
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const C scale = static_cast<C>(alpha_) / static_cast<C>(size_);
      const C bias = static_cast<C>(bias_), beta = static_cast<C>(beta_);
      const T* px = x->data<T>();
      T* py = y->data<T>();
      ctx.thread_pool().ParallelFor(
          batch * channels, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, plane * size_)),
          [&](int64_t p0, int64_t p1) {
            std::vector<C> sum(static_cast<size_t>(plane));
            for (int64_t p = p0; p < p1; ++p) {
              const int64_t n = p / channels, c = p % channels;
              std::fill(sum.begin(), sum.end(), C(0));
              const int64_t lo = std::max<int64_t>(0, c - before);
              const int64_t hi = std::min<int64_t>(channels - 1, c + after);
              for (int64_t i = lo; i <= hi; ++i) {
                const T* xs = px + (n * channels + i) * plane;
                for (int64_t j = 0; j < plane; ++j) {
                  const C v = ToCompute(xs[j]);
                  sum[static_cast<size_t>(j)] += v * v;
                }
              }
              const T* xs = px + p * plane;
              T* ys = py + p * plane;
              for (int64_t j = 0; j < plane; ++j) {
                ys[j] = FromCompute<T>(ToCompute(xs[j]) /
                                       std::pow(bias + scale * sum[static_cast<size_t>(j)], beta));
              }
            }
          });
      return Status::Ok();
    });
  }

 private:
  int64_t size_ = 1;
  float alpha_ = 1e-4f, beta_ = 0.75f, bias_ = 1.0f;
};

}  // namespace

void RegisterOp_lrn(OpRegistry& registry) {
  registry.Register({"", "LRN", 1, 21, MakeFactory<LrnKernel>()});
}

}  // namespace onnxedge::ops
