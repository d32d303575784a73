// Copyright onnxedge authors.
// BatchNormalization (opsets 1-21; definitions 1, 6, 7, 9, 14, 15).
//   Inference: Y = (X - mean) / sqrt(var + epsilon) * scale + B, per channel (axis 1).
//   Training (training_mode = 1 from 14; before 14, when any output past Y is requested):
//   batch statistics over all axes but 1 (population variance) normalize X, and
//     running_mean = mean * momentum + batch_mean * (1 - momentum)  (likewise running_var)
//   are output 1 and 2; opsets < 14 also output saved_mean / saved_var (the batch mean and
//   variance) as outputs 3 and 4.
// Old attributes: consumed_inputs (1) and is_test (1, 6) are accepted and ignored (the mode
// follows the requested outputs, as ONNX Runtime does); spatial = 0 (1-7) takes scale, B, mean
// and var of shape X.shape[1:] (inference only).
// Types: X/Y float32, float64, float16, bfloat16; scale/B and mean/var may each have another
// float type (opset 15). Coefficients are computed in float64.
#include <cmath>
#include <memory>
#include <vector>

#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

// Writes doubles into a new output of the given float type.
Status WriteDoubles(KernelContext& ctx, size_t index, DataType type, const Shape& shape,
                    const std::vector<double>& v) {
  OE_ASSIGN_OR_RETURN(Tensor * t, ctx.AllocateOutput(index, type, shape));
  return Dispatch<FloatTypes>(type, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* p = t->data<T>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = FromCompute<T>(static_cast<ComputeType<T>>(v[i]));
    return Status::Ok();
  });
}

class BatchNormalizationKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<BatchNormalizationKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<BatchNormalizationKernel>();
    OE_ASSIGN_OR_RETURN(k->epsilon_, info.GetFloat("epsilon", 1e-5f));
    OE_ASSIGN_OR_RETURN(k->momentum_, info.GetFloat("momentum", 0.9f));
    k->since_ = info.since_version();
    if (k->since_ < 9) {
      OE_ASSIGN_OR_RETURN(int64_t spatial, info.GetInt("spatial", 1));
      k->spatial_ = spatial != 0;
    }
    if (k->since_ >= 14) {
      OE_ASSIGN_OR_RETURN(int64_t tm, info.GetInt("training_mode", 0));
      if (tm != 0 && tm != 1) {
        return info.Error(StatusCode::kInvalidModel,
                          "attribute 'training_mode' must be 0 or 1, got ", tm);
      }
      k->training_ = tm == 1;
    } else {
      for (size_t i = 1; i < info.num_outputs(); ++i) k->training_ |= info.HasOutput(i);
    }
    if (k->training_ && !k->spatial_) {
      return info.Error(StatusCode::kNotImplemented,
                        "training mode with attribute 'spatial' = 0 is not supported");
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const std::string& where = ctx.Describe();
    if (x->rank() < 2) {
      return ctx.Error(StatusCode::kInvalidArgument, "input X must have rank >= 2, got ",
                       ShapeToString(x->shape()));
    }
    const int64_t batch = x->dim(0), channels = x->dim(1);
    const int64_t plane = batch * channels == 0 ? 0 : x->size() / (batch * channels);
    // Per-channel parameters, or per (channel, position) with spatial = 0.
    const int64_t per = spatial_ ? channels : channels * plane;
    // Parameters in float64, then a = scale / sqrt(var + eps): buffers of the calling thread
    // that only grow (no allocation in steady-state runs).
    thread_local std::vector<double> tls_params;
    const size_t n = static_cast<size_t>(per);
    if (tls_params.size() < 5 * n) tls_params.resize(5 * n);
    double* params[4];
    static const char* kNames[4] = {"scale", "B", "input_mean", "input_var"};
    DataType mean_type = DataType::kFloat;
    for (size_t i = 0; i < 4; ++i) {
      OE_ASSIGN_OR_RETURN(const Tensor* t, ctx.RequiredInput(i + 1));
      if (t->size() != per) {
        return ctx.Error(StatusCode::kInvalidArgument, "input ", kNames[i], " has shape ",
                         ShapeToString(t->shape()), ", expected ", per, " elements");
      }
      params[i] = tls_params.data() + i * n;
      OE_RETURN_IF_ERROR(ReadDoublesInto(*t, where, kNames[i], params[i]));
      if (i == 2) mean_type = t->dtype();
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), x->shape(), Fill::kNone));
    const double* mean = params[2];
    const double* var = params[3];
    std::vector<double> batch_mean, batch_var;  // Training mode only.
    if (training_) {
      OE_RETURN_IF_ERROR(BatchStats(ctx, *x, batch, channels, plane, &batch_mean, &batch_var));
      std::vector<double> run_mean(static_cast<size_t>(channels)), run_var(run_mean.size());
      for (size_t c = 0; c < run_mean.size(); ++c) {
        run_mean[c] = params[2][c] * momentum_ + batch_mean[c] * (1.0 - momentum_);
        run_var[c] = params[3][c] * momentum_ + batch_var[c] * (1.0 - momentum_);
      }
      const Shape ps{channels};
      if (ctx.OutputRequested(1)) OE_RETURN_IF_ERROR(WriteDoubles(ctx, 1, mean_type, ps, run_mean));
      if (ctx.OutputRequested(2)) OE_RETURN_IF_ERROR(WriteDoubles(ctx, 2, mean_type, ps, run_var));
      if (since_ < 14) {
        if (ctx.OutputRequested(3)) {
          OE_RETURN_IF_ERROR(WriteDoubles(ctx, 3, mean_type, ps, batch_mean));
        }
        if (ctx.OutputRequested(4)) {
          OE_RETURN_IF_ERROR(WriteDoubles(ctx, 4, mean_type, ps, batch_var));
        }
      }
      mean = batch_mean.data();
      var = batch_var.data();
    }
    // y = (x - mean) * a + B with a = scale / sqrt(var + eps) (not folded into one offset,
    // which cancels badly when |mean * a| is large).
    double* a = tls_params.data() + 4 * n;
    for (size_t i = 0; i < n; ++i) {
      a[i] = params[0][i] / std::sqrt(var[i] + static_cast<double>(epsilon_));
    }
    const double* b = params[1];
    if (x->size() == 0) return Status::Ok();
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      // a, B and mean in the compute type, in a buffer of the calling thread.
      thread_local std::vector<C> tls_coef;
      if (tls_coef.size() < 3 * n) tls_coef.resize(3 * n);
      C* ac_p = tls_coef.data();
      C* bc_p = ac_p + n;
      C* mc_p = bc_p + n;
      for (size_t i = 0; i < n; ++i) {
        ac_p[i] = static_cast<C>(a[i]);
        bc_p[i] = static_cast<C>(b[i]);
        mc_p[i] = static_cast<C>(mean[i]);
      }
      const C* ac = ac_p;
      const C* bc = bc_p;
      const C* mc = mc_p;
      const T* px = x->data<T>();
      T* py = y->data<T>();
      ctx.thread_pool().ParallelFor(
          batch * channels, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, plane)),
          [&](int64_t p0, int64_t p1) {
            for (int64_t p = p0; p < p1; ++p) {
              const int64_t c = p % channels;
              const T* xs = px + p * plane;
              T* ys = py + p * plane;
              if (spatial_) {
                const size_t ci = static_cast<size_t>(c);
                const C av = ac[ci], bv = bc[ci], mv = mc[ci];
                for (int64_t i = 0; i < plane; ++i) {
                  ys[i] = FromCompute<T>((ToCompute(xs[i]) - mv) * av + bv);
                }
              } else {
                const C* ar = ac + c * plane;
                const C* br = bc + c * plane;
                const C* mr = mc + c * plane;
                for (int64_t i = 0; i < plane; ++i) {
                  ys[i] = FromCompute<T>((ToCompute(xs[i]) - mr[i]) * ar[i] + br[i]);
                }
              }
            }
          });
      return Status::Ok();
    });
  }

 private:
  // Batch mean and population variance per channel, in float64.
  static Status BatchStats(KernelContext& ctx, const Tensor& x, int64_t batch, int64_t channels,
                           int64_t plane, std::vector<double>* mean, std::vector<double>* var) {
    mean->assign(static_cast<size_t>(channels), 0.0);
    var->assign(static_cast<size_t>(channels), 0.0);
    const double count = static_cast<double>(batch * plane);
    return Dispatch<FloatTypes>(x.dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* px = x.data<T>();
      ctx.thread_pool().ParallelFor(channels, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
          double s = 0;
          for (int64_t n = 0; n < batch; ++n) {
            const T* xs = px + (n * channels + c) * plane;
            for (int64_t i = 0; i < plane; ++i) s += static_cast<double>(ToCompute(xs[i]));
          }
          const double m = count > 0 ? s / count : 0.0;
          double v = 0;
          for (int64_t n = 0; n < batch; ++n) {
            const T* xs = px + (n * channels + c) * plane;
            for (int64_t i = 0; i < plane; ++i) {
              const double d = static_cast<double>(ToCompute(xs[i])) - m;
              v += d * d;
            }
          }
          (*mean)[static_cast<size_t>(c)] = m;
          (*var)[static_cast<size_t>(c)] = count > 0 ? v / count : 0.0;
        }
      });
      return Status::Ok();
    });
  }

  float epsilon_ = 1e-5f;
  float momentum_ = 0.9f;
  int since_ = 15;
  bool spatial_ = true;
  bool training_ = false;
};

}  // namespace

void RegisterOp_batch_normalization(OpRegistry& registry) {
  registry.Register({"", "BatchNormalization", 1, 21, MakeFactory<BatchNormalizationKernel>()});
}

}  // namespace onnxedge::ops
