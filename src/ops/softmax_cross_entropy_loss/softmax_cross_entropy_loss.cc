// Copyright onnxedge authors.
// SoftmaxCrossEntropyLoss (opsets 12-21): log_prob = LogSoftmax(scores) along the class dim
// (dim 1, max-subtracted), then the negative log-likelihood of 'labels' with optional class
// 'weights', 'ignore_index' and 'reduction' (none / sum / weighted mean). Optional second
// output: log_prob (scores' shape). scores [N, C] or [N, C, d1, ...]; labels int32/int64.
// A direct kernel (instead of the ONNX function body). Types: float, double, float16, bfloat16
// (16-bit types computed in float). Core in ops/common/loss_util.h.
#include <cmath>
#include <limits>

#include "ops/common/loss_util.h"

namespace onnxedge::ops {

namespace {

// logp[n, c, d] = x[n, c, d] - max_c - log(sum_c exp(x - max_c)) for each (n, d).
template <typename T, typename A>
void LogSoftmaxDim1(const T* x, A* logp, const LossDims& dims, ThreadPool& pool) {
  const int64_t C = dims.c, D = dims.d;
  pool.ParallelFor(dims.n, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, C * D)),
                   [&](int64_t n0, int64_t n1) {
                     std::vector<A> m(static_cast<size_t>(D)), s(static_cast<size_t>(D));
                     for (int64_t n = n0; n < n1; ++n) {
                       const T* xn = x + n * C * D;
                       A* ln = logp + n * C * D;
                       std::fill(m.begin(), m.end(), -std::numeric_limits<A>::infinity());
                       std::fill(s.begin(), s.end(), A(0));
                       for (int64_t c = 0; c < C; ++c) {
                         for (int64_t d = 0; d < D; ++d) {
                           const A v = ToCompute(xn[c * D + d]);
                           m[static_cast<size_t>(d)] =
                               v > m[static_cast<size_t>(d)] ? v : m[static_cast<size_t>(d)];
                         }
                       }
                       for (int64_t c = 0; c < C; ++c) {
                         for (int64_t d = 0; d < D; ++d) {
                           const A v =
                               static_cast<A>(ToCompute(xn[c * D + d])) - m[static_cast<size_t>(d)];
                           ln[c * D + d] = v;
                           s[static_cast<size_t>(d)] += std::exp(v);
                         }
                       }
                       for (int64_t d = 0; d < D; ++d)
                         s[static_cast<size_t>(d)] = std::log(s[static_cast<size_t>(d)]);
                       for (int64_t c = 0; c < C; ++c) {
                         for (int64_t d = 0; d < D; ++d) ln[c * D + d] -= s[static_cast<size_t>(d)];
                       }
                     }
                   });
}

class SoftmaxCrossEntropyLossKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SoftmaxCrossEntropyLossKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<SoftmaxCrossEntropyLossKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, ReadLossAttrs(info));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* scores, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* labels, ctx.RequiredInput(1));
    const Tensor* weights = ctx.Input(2);
    OE_ASSIGN_OR_RETURN(LossDims dims,
                        CheckLossShapes(ctx, *scores, *labels, weights, "scores", "labels"));
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> t,
                        ReadTargets(ctx, *labels, dims.c, attrs_, "labels"));
    return Dispatch<FloatTypes>(scores->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using A = ComputeType<T>;
      std::vector<A> logp(static_cast<size_t>(scores->size()));
      LogSoftmaxDim1<T, A>(scores->data<T>(), logp.data(), dims, ctx.thread_pool());
      const Status s = NllForward<T, A>(ctx, logp.data(), t, weights, dims, attrs_, scores->dtype(),
                                        labels->shape());
      if (!s.ok()) return s;
      if (ctx.OutputRequested(1)) {
        OE_ASSIGN_OR_RETURN(Tensor * lp, ctx.AllocateOutput(1, scores->dtype(), scores->shape()));
        T* out = lp->data<T>();
        for (size_t i = 0; i < logp.size(); ++i) out[i] = FromCompute<T>(logp[i]);
      }
      return Status::Ok();
    });
  }

 private:
  LossAttrs attrs_;
};

}  // namespace

void RegisterOp_softmax_cross_entropy_loss(OpRegistry& registry) {
  registry.Register(
      {"", "SoftmaxCrossEntropyLoss", 12, 21, MakeFactory<SoftmaxCrossEntropyLossKernel>()});
}

}  // namespace onnxedge::ops
