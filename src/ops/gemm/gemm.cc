// Copyright onnxedge authors.
// Gemm: Y = alpha * op(A) * op(B) + beta * C (opsets 1-21). op transposes when transA/transB.
// C broadcasts unidirectionally to [M, N]; it is optional from opset 11. Before opset 7 the
// `broadcast` attribute must be 1 for C to broadcast (with 0, C must be [M, N]).
// float32 uses the packed multi-threaded GEMM (a constant B is packed once at session
// creation; a row- or column-vector C becomes a fused epilogue bias). Other types (float64,
// float16, bfloat16, int32, int64, uint32, uint64) use a reference loop; integer results are
// alpha/beta-scaled in double and truncated.
//
// The same kernel serves com.onnxedge FusedGemm (src/ops/fused_gemm/): Gemm plus a fused
// activation, and A may have rank > 2 when transA = 0 (MatMul by a 2-D weight: the leading dims
// are flattened into M and kept in Y's shape).
#include "ops/gemm/gemm.h"

#include <cstring>
#include <memory>
#include <vector>

#include "kernels/gemm.h"
#include "runtime/prepack_cache.h"
#include "ops/common/nn_util.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

using GemmTypes = TypeList<float, double, Float16, BFloat16, int32_t, int64_t, uint32_t, uint64_t>;

class GemmKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<GemmKernel>> Create(const KernelInfo& info, bool fused) {
    auto k = std::make_unique<GemmKernel>();
    k->fused_ = fused;
    if (fused) {
      OE_ASSIGN_OR_RETURN(k->activation_, ParseFusedActivation(info));
    }
    OE_ASSIGN_OR_RETURN(int64_t ta, info.GetInt("transA", 0));
    OE_ASSIGN_OR_RETURN(int64_t tb, info.GetInt("transB", 0));
    OE_ASSIGN_OR_RETURN(k->alpha_, info.GetFloat("alpha", 1.f));
    OE_ASSIGN_OR_RETURN(k->beta_, info.GetFloat("beta", 1.f));
    k->trans_a_ = ta != 0;
    k->trans_b_ = tb != 0;
    if (!fused && info.since_version() < 7) {
      OE_ASSIGN_OR_RETURN(int64_t bc, info.GetInt("broadcast", 0));
      k->broadcast_ = bc != 0;
    }
    const Tensor* b = info.ConstantInput(1);
    if (b && b->dtype() == DataType::kFloat && b->rank() == 2) {
      const int64_t kk = k->trans_b_ ? b->dim(1) : b->dim(0);
      const int64_t n = k->trans_b_ ? b->dim(0) : b->dim(1);
      // Shared with other nodes of the session that read the same weight the same way.
      const bool trans = k->trans_b_;
      k->packed_b_ = SharedPrepack<kernels::PackedB>(
          "gemm_b", b->raw_data(), {kk, n, b->dim(1), trans ? 1 : 0}, [&] {
            auto packed = std::make_shared<kernels::PackedB>();
            kernels::PackB(b->data<float>(), b->dim(1), trans, kk, n, packed.get(), nullptr);
            return packed;
          });
    }
    return k;
  }

  /// A packed constant B is what Run multiplies by (its K and N come from B's own shape, so the
  /// packed path is always taken): Run reads only B's type and shape.
  uint32_t PrepackedInputs() const override { return packed_b_ ? 2u : 0u; }
  void CollectPrepacked(std::unordered_map<const void*, uint64_t>* out) const override {
    if (packed_b_) (*out)[packed_b_.get()] = packed_b_->bytes();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* a, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* b, ctx.RequiredInput(1));
    const Tensor* c = ctx.Input(2);
    if (a->dtype() != b->dtype() || (c && c->dtype() != a->dtype())) {
      return ctx.Error(StatusCode::kInvalidArgument, "inputs A, B and C must share one type");
    }
    // FusedGemm: A [..., M', K] with transA = 0 multiplies as [M, K] (M = product of all but
    // the last dim) and Y keeps A's leading dims.
    const bool flatten = fused_ && !trans_a_ && a->rank() > 2;
    if ((a->rank() != 2 && !flatten) || b->rank() != 2) {
      return ctx.Error(StatusCode::kInvalidArgument, "inputs A and B must be 2-D, got ",
                       ShapeToString(a->shape()), " and ", ShapeToString(b->shape()));
    }
    const int64_t a_cols = a->shape().back();
    const int64_t a_rows = a_cols == 0
                               ? ShapeElementCount(Shape(a->shape().begin(), a->shape().end() - 1))
                               : a->size() / a_cols;
    const int64_t m = trans_a_ ? a_cols : a_rows;
    const int64_t k = trans_a_ ? a_rows : a_cols;
    const int64_t kb = trans_b_ ? b->dim(1) : b->dim(0);
    const int64_t n = trans_b_ ? b->dim(0) : b->dim(1);
    if (k != kb) {
      return ctx.Error(StatusCode::kInvalidArgument, "inner dims differ: op(A) is [", m, ",", k,
                       "] and op(B) is [", kb, ",", n, "]");
    }
    // C's strides over [M, N] (0 along broadcast dims).
    int64_t c_rs = 0, c_cs = 0;
    if (c) {
      const Shape& cs = c->shape();
      bool ok = cs.size() <= 2;
      const int64_t cm = cs.size() == 2 ? cs[0] : 1;
      const int64_t cn = cs.empty() ? 1 : cs.back();
      ok = ok && (cm == 1 || cm == m) && (cn == 1 || cn == n);
      if (!broadcast_ && !fused_ && ctx.node().opset < 7 && (cm != m || cn != n)) ok = false;
      if (!ok) {
        return ctx.Error(StatusCode::kInvalidArgument, "input C of shape ", ShapeToString(cs),
                         " cannot be broadcast to [", m, ",", n, "]");
      }
      c_cs = cn == 1 ? 0 : 1;
      c_rs = cm == 1 ? 0 : cn;
    }
    Shape y_shape{m, n};
    if (flatten) {
      y_shape.assign(a->shape().begin(), a->shape().end() - 1);
      y_shape.push_back(n);
    }
    // Every element is written below, except with K = 0, where Y is beta C or zero.
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, a->dtype(), y_shape,
                                                       k == 0 ? Fill::kZero : Fill::kNone));
    if (m == 0 || n == 0) return Status::Ok();
    const bool use_c = c && beta_ != 0.f;
    if (a->dtype() == DataType::kFloat) {
      return RunF32(ctx, *a, *b, use_c ? c : nullptr, c_rs, c_cs, m, n, k, y->data<float>());
    }
    return Dispatch<GemmTypes>(a->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = std::conditional_t<std::is_floating_point_v<ComputeType<T>>, ComputeType<T>, T>;
      const T* pa = a->data<T>();
      const T* pb = b->data<T>();
      const T* pc = use_c ? c->data<T>() : nullptr;
      T* py = y->data<T>();
      const int64_t lda = a_cols, ldb = b->dim(1);
      const double alpha = alpha_, beta = beta_;
      ctx.thread_pool().ParallelFor(
          m, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * k)),
          [&](int64_t i0, int64_t i1) {
            std::vector<C> acc(static_cast<size_t>(n));
            for (int64_t i = i0; i < i1; ++i) {
              std::fill(acc.begin(), acc.end(), C(0));
              for (int64_t kk = 0; kk < k; ++kk) {
                const C av = ToCompute(trans_a_ ? pa[kk * lda + i] : pa[i * lda + kk]);
                for (int64_t j = 0; j < n; ++j) {
                  acc[static_cast<size_t>(j)] +=
                      av * ToCompute(trans_b_ ? pb[j * ldb + kk] : pb[kk * ldb + j]);
                }
              }
              for (int64_t j = 0; j < n; ++j) {
                double v = alpha * static_cast<double>(acc[static_cast<size_t>(j)]);
                if (pc) v += beta * static_cast<double>(ToCompute(pc[i * c_rs + j * c_cs]));
                if (!activation_.is_none()) {
                  v = kernels::ApplyActivation(static_cast<float>(v), activation_);
                }
                py[i * n + j] = FromCompute<T>(static_cast<ComputeType<T>>(v));
              }
            }
          });
      return Status::Ok();
    });
  }

 private:
  Status RunF32(KernelContext& ctx, const Tensor& a, const Tensor& b, const Tensor* c, int64_t c_rs,
                int64_t c_cs, int64_t m, int64_t n, int64_t k, float* y) const {
    ThreadPool* pool = &ctx.thread_pool();
    kernels::GemmEpilogue ep;
    ep.activation = activation_;
    float beta = 0.f;
    std::vector<float> bias;
    if (c) {
      const float* pc = c->data<float>();
      if (c_rs == 0) {
        // One row broadcast over M (or a scalar): fused column bias.
        if (c_cs == 1 && beta_ == 1.f) {
          ep.col_bias = pc;
        } else {
          bias.resize(static_cast<size_t>(n));
          for (int64_t j = 0; j < n; ++j) bias[static_cast<size_t>(j)] = beta_ * pc[j * c_cs];
          ep.col_bias = bias.data();
        }
      } else if (c_cs == 0) {
        // One column broadcast over N: fused row bias.
        if (beta_ == 1.f) {
          ep.row_bias = pc;
        } else {
          bias.resize(static_cast<size_t>(m));
          for (int64_t i = 0; i < m; ++i) bias[static_cast<size_t>(i)] = beta_ * pc[i];
          ep.row_bias = bias.data();
        }
      } else {
        // Full [M, N] C: the GEMM scales it in place.
        std::memcpy(y, pc, sizeof(float) * static_cast<size_t>(m * n));
        beta = beta_;
      }
    }
    if (k == 0 || alpha_ == 0.f) {
      // No product: Y = beta * C (already in y for a full C) plus the epilogue bias.
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          float v = beta == 0.f ? 0.f : beta * y[i * n + j];
          if (ep.row_bias) v += ep.row_bias[i];
          if (ep.col_bias) v += ep.col_bias[j];
          y[i * n + j] = v;
        }
        // The array form: the vecmath.h values of the Sigmoid/Gelu ops, as on the tiled path.
        kernels::ApplyActivation(y + i * n, static_cast<long>(n), ep.activation);
      }
      return Status::Ok();
    }
    const int64_t lda = a.shape().back();
    if (packed_b_ && packed_b_->K == k && packed_b_->N == n) {
      kernels::GemmPrepackedB(a.data<float>(), lda, trans_a_, m, *packed_b_, alpha_, beta, y, n,
                              pool, ep);
    } else {
      kernels::Gemm(trans_a_, trans_b_, m, n, k, alpha_, a.data<float>(), lda, b.data<float>(),
                    b.dim(1), beta, y, n, pool, ep);
    }
    return Status::Ok();
  }

  bool trans_a_ = false, trans_b_ = false;
  float alpha_ = 1.f, beta_ = 1.f;
  bool broadcast_ = true;
  bool fused_ = false;
  kernels::Activation activation_;
  std::shared_ptr<kernels::PackedB> packed_b_;
};

}  // namespace

StatusOr<std::unique_ptr<Kernel>> CreateGemmKernel(const KernelInfo& info, bool fused) {
  auto k = GemmKernel::Create(info, fused);
  if (!k.ok()) return k.status();
  return std::unique_ptr<Kernel>(std::move(k).value());
}

void RegisterOp_gemm(OpRegistry& registry) {
  registry.Register({"", "Gemm", 1, 21, [](const KernelInfo& info) {
                       return CreateGemmKernel(info, /*fused=*/false);
                     }});
}

}  // namespace onnxedge::ops
