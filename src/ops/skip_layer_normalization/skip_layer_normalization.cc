// Copyright onnxedge authors.
// com.microsoft SkipLayerNormalization (version 1; float, double, float16, bfloat16), ONNX
// Runtime's contrib op for the residual add + LayerNorm of transformer blocks:
//   S = input + skip (+ bias)
//   output = (S - mean(S)) / sqrt(var(S) + epsilon) * gamma (+ beta)     over the last dim
// Inputs: input [..., D]; skip, the same shape or a suffix of it with leading 1s (broadcast over
// the leading dims); gamma [D]; optional beta [D] and bias [D].
// Outputs: output; optional mean and inv_std_var (float32, shape input.shape[:-1] + [1]);
// optional input_skip_bias_sum S (the residual stream, for the next block).
// Statistics are accumulated in float64 like LayerNormalization's. epsilon defaults to 1e-12
// as in ONNX Runtime. float32 runs the vectorised row kernel of kernels/norm.h (tested against
// a float64 reference on every ISA in tests/unit/norm_kernel_test.cc); other types the loops
// below.
#include <memory>

#include "kernels/norm.h"
#include "ops/common/norm_util.h"
#include "runtime/chunk_scratch.h"

namespace onnxedge::ops {

namespace {

class SkipLayerNormalizationKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SkipLayerNormalizationKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<SkipLayerNormalizationKernel>();
    OE_ASSIGN_OR_RETURN(k->epsilon_, info.GetFloat("epsilon", 1e-12f));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* skip, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(const Tensor* gamma, ctx.RequiredInput(2));
    const Tensor* beta = ctx.Input(3);
    const Tensor* bias = ctx.Input(4);
    if (x->rank() == 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input must have rank >= 1");
    }
    const int64_t d = x->dim(x->rank() - 1);
    for (const Tensor* t : {skip, gamma, beta, bias}) {
      if (t && t->dtype() != x->dtype()) {
        return ctx.Error(StatusCode::kInvalidArgument, "all inputs must have element type ",
                         DataTypeName(x->dtype()), ", got ", DataTypeName(t->dtype()));
      }
    }
    // skip: the shape of input, or a suffix of it after dropping leading 1s.
    size_t lead = 0;
    while (lead < skip->rank() && skip->dim(lead) == 1 && skip->rank() - lead > 1) ++lead;
    bool skip_ok = skip->rank() - lead <= x->rank();
    for (size_t i = lead; skip_ok && i < skip->rank(); ++i) {
      skip_ok = skip->dim(i) == x->dim(x->rank() - (skip->rank() - i));
    }
    if (!skip_ok) {
      return ctx.Error(StatusCode::kInvalidArgument, "skip of shape ",
                       ShapeToString(skip->shape()), " does not match input ",
                       ShapeToString(x->shape()));
    }
    for (const Tensor* t : {gamma, beta, bias}) {
      if (t && (t->rank() != 1 || t->dim(0) != d)) {
        return ctx.Error(StatusCode::kInvalidArgument, "gamma, beta and bias must be 1-D of size ",
                         d, ", got ", ShapeToString(t->shape()));
      }
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), x->shape(), Fill::kNone));
    Shape stat_shape(x->shape().begin(), x->shape().end() - 1);
    stat_shape.push_back(1);
    Tensor* mean_out = nullptr;
    Tensor* inv_out = nullptr;
    Tensor* sum_out = nullptr;
    if (ctx.OutputRequested(1)) {
      OE_ASSIGN_OR_RETURN(mean_out, ctx.AllocateOutput(1, DataType::kFloat, stat_shape));
    }
    if (ctx.OutputRequested(2)) {
      OE_ASSIGN_OR_RETURN(inv_out, ctx.AllocateOutput(2, DataType::kFloat, stat_shape));
    }
    if (ctx.OutputRequested(3)) {
      OE_ASSIGN_OR_RETURN(sum_out, ctx.AllocateOutput(3, x->dtype(), x->shape()));
    }
    if (x->size() == 0 || d == 0) return Status::Ok();
    const int64_t rows = x->size() / d;
    const int64_t skip_rows = skip->size() / d;
    const double eps = epsilon_;
    if (x->dtype() == DataType::kFloat) {
      // The vectorised row kernel LayerNormalization uses, with the residual inputs.
      const float* px = x->data<float>();
      const float* ps = skip->data<float>();
      float* py = y->data<float>();
      float* psum = sum_out ? sum_out->data<float>() : nullptr;
      float* pmean = mean_out ? mean_out->data<float>() : nullptr;
      float* pinv = inv_out ? inv_out->data<float>() : nullptr;
      ctx.thread_pool().ParallelFor(
          rows, std::max<int64_t>(1, 16384 / d), [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r) {
              kernels::LayerNormRowArgs a;
              a.x = px + r * d;
              a.skip = ps + (r % skip_rows) * d;
              a.skip_bias = bias ? bias->data<float>() : nullptr;
              a.gamma = gamma->data<float>();
              a.beta = beta ? beta->data<float>() : nullptr;
              a.d = d;
              a.epsilon = epsilon_;
              a.y = py + r * d;
              a.sum_out = psum ? psum + r * d : nullptr;
              double mean = 0, inv = 0;
              a.mean_out = &mean;
              a.inv_std_out = &inv;
              kernels::LayerNormRowF32(a);
              if (pmean) pmean[r] = static_cast<float>(mean);
              if (pinv) pinv[r] = static_cast<float>(inv);
            }
          });
      return Status::Ok();
    }
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* px = x->data<T>();
      const T* ps = skip->data<T>();
      const T* pg = gamma->data<T>();
      const T* pb = beta ? beta->data<T>() : nullptr;
      const T* pbias = bias ? bias->data<T>() : nullptr;
      T* py = y->data<T>();
      T* psum = sum_out ? sum_out->data<T>() : nullptr;
      float* pmean = mean_out ? mean_out->data<float>() : nullptr;
      float* pinv = inv_out ? inv_out->data<float>() : nullptr;
      // Chunk scratch grown by this thread before the parallel region
      // (runtime/chunk_scratch.h): no chunk allocates, whichever thread runs it.
      thread_local ChunkScratch tls_scratch;
      ChunkScratch& scratch = tls_scratch;
      scratch.Prepare(static_cast<size_t>(ctx.thread_pool().num_threads()),
                      static_cast<size_t>(d) * sizeof(C));
      ctx.thread_pool().ParallelFor(
          rows, std::max<int64_t>(1, 16384 / d), [&](int64_t r0, int64_t r1) {
            C* const s = reinterpret_cast<C*>(scratch.Claim());
            std::fill(s, s + d, C(0));
            for (int64_t r = r0; r < r1; ++r) {
              const T* xr = px + r * d;
              const T* sr = ps + (r % skip_rows) * d;
              for (int64_t i = 0; i < d; ++i) {
                C v = ToCompute(xr[i]) + ToCompute(sr[i]);
                if (pbias) v += ToCompute(pbias[i]);
                s[static_cast<size_t>(i)] = v;
              }
              if (psum) {
                for (int64_t i = 0; i < d; ++i) psum[r * d + i] = FromCompute<T>(s[i]);
              }
              double mean, var;
              MeanVar(s, d, &mean, &var);
              const double inv = 1.0 / std::sqrt(var + eps);
              if (pmean) pmean[r] = static_cast<float>(mean);
              if (pinv) pinv[r] = static_cast<float>(inv);
              const C m = static_cast<C>(mean), iv = static_cast<C>(inv);
              T* yr = py + r * d;
              for (int64_t i = 0; i < d; ++i) {
                C v = (s[static_cast<size_t>(i)] - m) * iv * ToCompute(pg[i]);
                if (pb) v += ToCompute(pb[i]);
                yr[i] = FromCompute<T>(v);
              }
            }
          });
      return Status::Ok();
    });
  }

 private:
  float epsilon_ = 1e-12f;
};

}  // namespace

void RegisterOp_skip_layer_normalization(OpRegistry& registry) {
  registry.Register({"com.microsoft", "SkipLayerNormalization", 1, 1,
                     MakeFactory<SkipLayerNormalizationKernel>()});
}

}  // namespace onnxedge::ops
