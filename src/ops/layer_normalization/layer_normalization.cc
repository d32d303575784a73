// Copyright onnxedge authors.
// LayerNormalization (opset 17-21): normalizes over the dims [axis, rank) of X,
//   Y = (X - Mean) * InvStdDev * Scale + B,  InvStdDev = 1 / sqrt(Var + epsilon)
// with population variance. Scale and the optional B broadcast to X.shape[axis:]. Optional
// outputs Mean and InvStdDev have shape X.shape[:axis] + [1] * (rank - axis) and the type given
// by stash_type (float32 by default). axis may be in [-rank, rank] (axis = rank normalizes
// single elements). Types: float32, float64, float16, bfloat16; statistics in float64.
// Limits: Scale/B of higher rank than the normalized dims are rejected.
// float32 with Scale/B shaped like the normalized dims runs kernels::LayerNormRowF32 (AVX2 when
// available); other cases use the generic loop below.
#include <algorithm>
#include <memory>

#include "kernels/norm.h"

#include "ops/common/norm_util.h"

namespace onnxedge::ops {

namespace {

// True when `t` is float32 and its values, read in order, are `shape`'s (its dims match the
// trailing dims of `shape` and the rest are 1): no broadcast copy is needed.
bool SameLayout(const Tensor& t, const Shape& shape) {
  if (t.dtype() != DataType::kFloat || t.rank() > shape.size()) return false;
  const size_t off = shape.size() - t.rank();
  for (size_t i = 0; i < t.rank(); ++i) {
    if (t.shape()[i] != shape[off + i]) return false;
  }
  return t.size() == ShapeElementCount(shape);
}

class LayerNormalizationKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<LayerNormalizationKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<LayerNormalizationKernel>();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", -1));
    OE_ASSIGN_OR_RETURN(k->epsilon_, info.GetFloat("epsilon", 1e-5f));
    OE_ASSIGN_OR_RETURN(int64_t stash, info.GetInt("stash_type", 1));
    k->stash_type_ = static_cast<DataType>(stash);
    if (k->stash_type_ != DataType::kFloat && k->stash_type_ != DataType::kDouble &&
        k->stash_type_ != DataType::kFloat16 && k->stash_type_ != DataType::kBfloat16) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'stash_type' must be a float type, ",
                        "got ", stash);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* scale, ctx.RequiredInput(1));
    const Tensor* bias = ctx.Input(2);
    const std::string& where = ctx.Describe();
    const int64_t rank = static_cast<int64_t>(x->rank());
    if (axis_ < -rank || axis_ > rank) {
      return ctx.Error(StatusCode::kInvalidArgument, "attribute 'axis' ", axis_,
                       " is out of range for X of rank ", rank);
    }
    const size_t axis = static_cast<size_t>(axis_ < 0 ? axis_ + rank : axis_);
    const Shape norm_shape(x->shape().begin() + static_cast<int64_t>(axis), x->shape().end());
    // float32 Scale/B laid out like the normalized dims are used in place (no copy per run).
    const bool fast = x->dtype() == DataType::kFloat && SameLayout(*scale, norm_shape) &&
                      (!bias || SameLayout(*bias, norm_shape));
    std::vector<double> sc, bs;
    if (!fast) {
      OE_ASSIGN_OR_RETURN(sc, BroadcastTo(*scale, norm_shape, where + ": input Scale"));
      if (bias) {
        OE_ASSIGN_OR_RETURN(bs, BroadcastTo(*bias, norm_shape, where + ": input B"));
      }
    }
    const int64_t d = ShapeElementCount(norm_shape);
    const int64_t outer = d == 0 ? 0 : x->size() / d;
    Shape stat_shape(x->shape().begin(), x->shape().begin() + static_cast<int64_t>(axis));
    stat_shape.resize(x->rank(), 1);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), x->shape(), Fill::kNone));
    Tensor* mean_out = nullptr;
    Tensor* inv_out = nullptr;
    if (ctx.OutputRequested(1)) {
      OE_ASSIGN_OR_RETURN(mean_out, ctx.AllocateOutput(1, stash_type_, stat_shape));
    }
    if (ctx.OutputRequested(2)) {
      OE_ASSIGN_OR_RETURN(inv_out, ctx.AllocateOutput(2, stash_type_, stat_shape));
    }
    if (x->size() == 0) return Status::Ok();
    const double eps = epsilon_;
    const int64_t min_rows = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d));
    auto write = [&](Tensor* t, const std::vector<double>& v) -> Status {
      if (!t) return Status::Ok();
      return Dispatch<FloatTypes>(t->dtype(), [&](auto utag) -> Status {
        using U = typename decltype(utag)::type;
        U* p = t->data<U>();
        for (size_t i = 0; i < v.size(); ++i)
          p[i] = FromCompute<U>(static_cast<ComputeType<U>>(v[i]));
        return Status::Ok();
      });
    };
    if (fast) {
      // kernels::LayerNormRowF32: vectorised rows, float64 statistics as below.
      std::vector<double> means(mean_out ? static_cast<size_t>(outer) : 0);
      std::vector<double> invs(inv_out ? static_cast<size_t>(outer) : 0);
      const float* px = x->data<float>();
      const float* pg = scale->data<float>();
      const float* pb = bias ? bias->data<float>() : nullptr;
      float* py = y->data<float>();
      ctx.thread_pool().ParallelFor(outer, min_rows, [&](int64_t r0, int64_t r1) {
        kernels::LayerNormRowArgs a;
        a.gamma = pg;
        a.beta = pb;
        a.d = d;
        a.epsilon = epsilon_;
        for (int64_t r = r0; r < r1; ++r) {
          a.x = px + r * d;
          a.y = py + r * d;
          a.mean_out = means.empty() ? nullptr : &means[static_cast<size_t>(r)];
          a.inv_std_out = invs.empty() ? nullptr : &invs[static_cast<size_t>(r)];
          kernels::LayerNormRowF32(a);
        }
      });
      OE_RETURN_IF_ERROR(write(mean_out, means));
      return write(inv_out, invs);
    }
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const std::vector<C> scv(sc.begin(), sc.end()), bsv(bs.begin(), bs.end());
      const T* px = x->data<T>();
      T* py = y->data<T>();
      std::vector<double> means(mean_out || inv_out ? static_cast<size_t>(outer) : 0);
      std::vector<double> invs(means.size());
      ctx.thread_pool().ParallelFor(
          outer, min_rows,
          [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r) {
              double mean, var;
              MeanVar(px + r * d, d, &mean, &var);
              const double inv = 1.0 / std::sqrt(var + eps);
              if (!means.empty()) {
                means[static_cast<size_t>(r)] = mean;
                invs[static_cast<size_t>(r)] = inv;
              }
              const C m = static_cast<C>(mean), iv = static_cast<C>(inv);
              const T* xs = px + r * d;
              T* ys = py + r * d;
              if (bsv.empty()) {
                for (int64_t i = 0; i < d; ++i) {
                  ys[i] = FromCompute<T>((ToCompute(xs[i]) - m) * iv * scv[static_cast<size_t>(i)]);
                }
              } else {
                for (int64_t i = 0; i < d; ++i) {
                  ys[i] = FromCompute<T>((ToCompute(xs[i]) - m) * iv * scv[static_cast<size_t>(i)] +
                                         bsv[static_cast<size_t>(i)]);
                }
              }
            }
          });
      OE_RETURN_IF_ERROR(write(mean_out, means));
      return write(inv_out, invs);
    });
  }

 private:
  int64_t axis_ = -1;
  float epsilon_ = 1e-5f;
  DataType stash_type_ = DataType::kFloat;
};

}  // namespace

void RegisterOp_layer_normalization(OpRegistry& registry) {
  registry.Register({"", "LayerNormalization", 17, 21, MakeFactory<LayerNormalizationKernel>()});
}

}  // namespace onnxedge::ops
