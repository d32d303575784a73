// Copyright onnxedge authors.
// com.microsoft Attention (version 1), ONNX Runtime's contrib op for multi-head self-attention
// with the Q/K/V projections packed into one weight:
//   input (B, S, Din), weights (Din, 3H), optional bias (3H)  ->  output (B, S, H)
//   Q|K|V = input weights + bias; per head h (dh = H / num_heads columns of each part):
//   output[..., h] = softmax(scale * Q_h K_h^T + attention_bias[b, h]) V_h, scale = 1 / sqrt(dh)
//   unless given; attention_bias (optional input 5) has shape (B or 1, num_heads or 1, S, S).
// Supported: float32, no mask_index / past / past_sequence_length inputs, no present output,
// unidirectional = 0, do_rotary = 0, equal Q/K/V hidden sizes. Anything else is refused with an
// error naming the input or attribute (the optimizer only emits this subset). A constant weight
// is packed once at session creation (PrepackedInputs).
#include "ops/attention/attention.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "ops/common/op_util.h"
#include "ops/common/softmax_util.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

void AttentionReferenceF32(const AttentionDims& d, const float* x, const float* w,
                           const float* bias, float* y, const AttentionBias& attn_bias) {
  const int64_t n3 = 3 * d.hidden, dh = d.head_size(), S = d.seq;
  if (d.batch * S == 0 || d.hidden == 0) return;  // no output (and no rows to offset into)
  std::vector<double> qkv(static_cast<size_t>(d.batch * S * n3));
  for (int64_t r = 0; r < d.batch * S; ++r) {
    for (int64_t j = 0; j < n3; ++j) {
      double acc = bias ? bias[j] : 0.0;
      for (int64_t k = 0; k < d.input_hidden; ++k) {
        acc += static_cast<double>(x[r * d.input_hidden + k]) * w[k * n3 + j];
      }
      qkv[static_cast<size_t>(r * n3 + j)] = acc;
    }
  }
  std::vector<double> p(static_cast<size_t>(S));
  for (int64_t b = 0; b < d.batch; ++b) {
    for (int64_t h = 0; h < d.heads; ++h) {
      const double* q = qkv.data() + b * S * n3 + h * dh;
      const double* k = q + d.hidden;
      const double* v = q + 2 * d.hidden;
      const float* a = attn_bias.data ? attn_bias.Block(d, b, h) : nullptr;
      for (int64_t i = 0; i < S; ++i) {
        double mx = -INFINITY;
        for (int64_t j = 0; j < S; ++j) {
          double s = 0;
          for (int64_t c = 0; c < dh; ++c) s += q[i * n3 + c] * k[j * n3 + c];
          p[static_cast<size_t>(j)] = s * d.scale + (a ? a[i * S + j] : 0.0);
          mx = std::max(mx, p[static_cast<size_t>(j)]);
        }
        double sum = 0;
        for (auto& e : p) sum += e = std::exp(e - mx);
        for (int64_t c = 0; c < dh; ++c) {
          double acc = 0;
          for (int64_t j = 0; j < S; ++j) acc += p[static_cast<size_t>(j)] * v[j * n3 + c];
          y[(b * S + i) * d.hidden + h * dh + c] = static_cast<float>(acc / sum);
        }
      }
    }
  }
}

int64_t AttentionTasks(const AttentionDims& d, const ThreadPool* pool) {
  const int64_t threads = pool ? pool->num_threads() : 1;
  return std::max<int64_t>(1, std::min<int64_t>(threads, d.batch * d.heads));
}

int64_t AttentionScratchFloats(const AttentionDims& d, int64_t tasks) {
  return d.batch * d.seq * 3 * d.hidden + tasks * d.seq * d.seq;
}

void AttentionFastF32(const AttentionDims& d, const float* x, const kernels::PackedB& w,
                      const float* bias, float* scratch, float* y, ThreadPool* pool,
                      const AttentionBias& attn_bias) {
  const int64_t S = d.seq, H = d.hidden, n3 = 3 * H, dh = d.head_size();
  const int64_t rows = d.batch * S;
  if (rows == 0 || H == 0) return;
  float* qkv = scratch;
  kernels::GemmEpilogue ep;
  ep.col_bias = bias;
  kernels::GemmPrepackedB(x, d.input_hidden, false, rows, w, 1.f, 0.f, qkv, n3, pool, ep);

  const int64_t pairs = d.batch * d.heads;
  const int64_t tasks = AttentionTasks(d, pool);
  const int64_t per_task = (pairs + tasks - 1) / tasks;
  float* scores_base = qkv + rows * n3;
  // Packing buffers per task, grown by this thread before the parallel region and kept from run
  // to run (the reasoning of runtime/chunk_scratch.h): a thread_local grown inside the body
  // would allocate in whichever run a worker first met a task, so a steady-state run could
  // allocate depending on scheduling. PackA/PackB only resize to the sizes set here.
  struct TaskPacks {
    kernels::PackedA q, p;
    kernels::PackedB k, v;
  };
  thread_local std::vector<TaskPacks> tls_packs;
  std::vector<TaskPacks>& packs = tls_packs;
  if (packs.size() < static_cast<size_t>(tasks)) packs.resize(static_cast<size_t>(tasks));
  {
    const int64_t slivers = (S + kernels::kGemmMr - 1) / kernels::kGemmMr;
    const int64_t panels = (S + kernels::kGemmNr - 1) / kernels::kGemmNr;
    const int64_t v_panels = (dh + kernels::kGemmNr - 1) / kernels::kGemmNr;
    auto floats = [](int64_t n) { return static_cast<size_t>(std::max<int64_t>(1, n)); };
    for (int64_t t = 0; t < tasks; ++t) {
      TaskPacks& tp = packs[static_cast<size_t>(t)];
      tp.q.data.Resize(floats(slivers * dh * kernels::kGemmMr));
      tp.p.data.Resize(floats(slivers * S * kernels::kGemmMr));
      tp.k.data.Resize(floats(panels * dh * kernels::kGemmNr));
      tp.v.data.Resize(floats(v_panels * S * kernels::kGemmNr));
    }
  }
  auto body = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      TaskPacks& tp = packs[static_cast<size_t>(t)];
      kernels::PackedA& q_pack = tp.q;
      kernels::PackedA& p_pack = tp.p;
      kernels::PackedB& k_pack = tp.k;
      kernels::PackedB& v_pack = tp.v;
      float* scores = scores_base + t * S * S;
      for (int64_t pair = t * per_task; pair < std::min(pairs, (t + 1) * per_task); ++pair) {
        const int64_t b = pair / d.heads, h = pair % d.heads;
        const float* q = qkv + b * S * n3 + h * dh;
        const float* k = q + H;
        const float* v = q + 2 * H;
        // scores = scale * Q_h K_h^T (+ the bias block, accumulated onto by the GEMM): K_h^T
        // packed as B (dh x S) straight from the strided rows.
        kernels::PackA(q, n3, false, S, dh, &q_pack, nullptr);
        kernels::PackB(k, n3, true, dh, S, &k_pack, nullptr);
        float beta = 0.f;
        if (attn_bias.data) {
          std::copy_n(attn_bias.Block(d, b, h), S * S, scores);
          beta = 1.f;
        }
        kernels::GemmPackedBlock(q_pack, 0, S, k_pack.data.data(), S, d.scale, beta, scores, S,
                                 {});
        SoftmaxRowsF32(scores, scores, S, S, false);
        // Y[b, :, head h] = P V_h, written with stride H. V_h is packed (S x dh, a few KiB):
        // read in place, its rows lie 3H floats apart (9 KiB for BERT-base), so the S rows of
        // a 64-column tile fall into a quarter of the L1 sets and were re-read from L2 by
        // every tile (BERT-base: 220 -> 165 us for the 12 heads of a layer).
        kernels::PackA(scores, S, false, S, S, &p_pack, nullptr);
        kernels::PackB(v, n3, false, S, dh, &v_pack, nullptr);
        kernels::GemmPackedBlock(p_pack, 0, S, v_pack.data.data(), dh, 1.f, 0.f,
                                 y + b * S * H + h * dh, H, {});
      }
    }
  };
  if (tasks > 1) {
    pool->ParallelFor(tasks, 1, body);
  } else {
    body(0, 1);
  }
}

namespace {

constexpr size_t kInput = 0, kWeights = 1, kBias = 2, kAttentionBias = 5;

class AttentionKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<AttentionKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<AttentionKernel>();
    OE_ASSIGN_OR_RETURN(k->heads_, info.GetInt("num_heads"));
    if (k->heads_ <= 0) {
      return info.Error(StatusCode::kInvalidArgument,
                        "attribute 'num_heads' must be positive, got ", k->heads_);
    }
    // ONNX Runtime reads scale = 0 as "not given" (1 / sqrt(head size)); so do we.
    OE_ASSIGN_OR_RETURN(k->scale_, info.GetFloat("scale", 0.f));
    k->has_scale_ = k->scale_ != 0.f;
    for (const char* attr : {"unidirectional", "do_rotary", "past_present_share_buffer"}) {
      OE_ASSIGN_OR_RETURN(int64_t v, info.GetInt(attr, 0));
      if (v != 0) {
        return info.Error(StatusCode::kNotImplemented, "attribute '", attr, "' = ", v,
                          " is not supported (only 0)");
      }
    }
    if (info.HasAttribute("qkv_hidden_sizes")) {
      OE_ASSIGN_OR_RETURN(auto sizes, info.GetInts("qkv_hidden_sizes"));
      if (sizes.size() != 3 || sizes[0] != sizes[1] || sizes[1] != sizes[2]) {
        return info.Error(StatusCode::kNotImplemented,
                          "attribute 'qkv_hidden_sizes' must hold three equal sizes");
      }
      k->qkv_size_ = sizes[0];
    }
    static const char* kUnsupported[] = {
        "", "", "", "mask_index", "past", "attention_bias", "past_sequence_length"};
    for (size_t i = 3; i < info.num_inputs(); ++i) {
      if (!info.HasInput(i) || i == kAttentionBias) continue;
      return info.Error(StatusCode::kNotImplemented, "input '", i < 7 ? kUnsupported[i] : "extra",
                        "' is not supported");
    }
    if (info.HasOutput(1)) {
      return info.Error(StatusCode::kNotImplemented, "output 'present' is not supported");
    }
    const Tensor* w = info.ConstantInput(kWeights);
    if (w && w->dtype() == DataType::kFloat && w->rank() == 2) {
      k->packed_w_ = std::make_shared<kernels::PackedB>();
      kernels::PackB(w->data<float>(), w->dim(1), false, w->dim(0), w->dim(1), k->packed_w_.get(),
                     nullptr);
    }
    return k;
  }

  /// A packed constant weight is all Run multiplies by (Run reads only its type and shape).
  uint32_t PrepackedInputs() const override { return packed_w_ ? (1u << kWeights) : 0u; }
  void CollectPrepacked(std::unordered_map<const void*, uint64_t>* out) const override {
    if (packed_w_) (*out)[packed_w_.get()] = packed_w_->bytes();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(kInput));
    OE_ASSIGN_OR_RETURN(const Tensor* w, ctx.RequiredInput(kWeights));
    const Tensor* bias = ctx.Input(kBias);
    const Tensor* attn_bias = ctx.Input(kAttentionBias);
    for (const Tensor* t : {x, w, bias, attn_bias}) {
      if (t && t->dtype() != DataType::kFloat) {
        return ctx.Error(StatusCode::kNotImplemented, "only float32 is supported, got ",
                         DataTypeName(t->dtype()));
      }
    }
    if (x->rank() != 3) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input must be (batch, sequence, hidden), got ", ShapeToString(x->shape()));
    }
    if (w->rank() != 2 || w->dim(0) != x->dim(2) || w->dim(1) % 3 != 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "weights of shape ", ShapeToString(w->shape()),
                       " must be (", x->dim(2), ", 3 * hidden) for input ",
                       ShapeToString(x->shape()));
    }
    AttentionDims d;
    d.batch = x->dim(0);
    d.seq = x->dim(1);
    d.input_hidden = x->dim(2);
    d.hidden = w->dim(1) / 3;
    d.heads = heads_;
    if (qkv_size_ >= 0 && qkv_size_ != d.hidden) {
      return ctx.Error(StatusCode::kInvalidArgument, "qkv_hidden_sizes ", qkv_size_,
                       " do not match weights of shape ", ShapeToString(w->shape()));
    }
    if (d.hidden % heads_ != 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "hidden size ", d.hidden,
                       " is not a multiple of num_heads ", heads_);
    }
    if (bias && (bias->rank() != 1 || bias->dim(0) != 3 * d.hidden)) {
      return ctx.Error(StatusCode::kInvalidArgument, "bias of shape ", ShapeToString(bias->shape()),
                       " must be (", 3 * d.hidden, ")");
    }
    AttentionBias ab;
    if (attn_bias) {
      // (B or 1, num_heads or 1, S, S), ONNX Runtime's contract (no broadcast over the last two).
      const Shape& s = attn_bias->shape();
      if (s.size() != 4 || (s[0] != 1 && s[0] != d.batch) || (s[1] != 1 && s[1] != heads_) ||
          s[2] != d.seq || s[3] != d.seq) {
        return ctx.Error(StatusCode::kInvalidArgument, "attention_bias of shape ", ShapeToString(s),
                         " must be (", d.batch, " or 1, ", heads_, " or 1, ", d.seq, ", ", d.seq,
                         ")");
      }
      ab.data = attn_bias->data<float>();
      ab.per_batch = s[0] != 1;
      ab.per_head = s[1] != 1;
    }
    d.scale = has_scale_
                  ? scale_
                  : (d.head_size() > 0
                         ? static_cast<float>(1.0 / std::sqrt(static_cast<double>(d.head_size())))
                         : 1.f);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, DataType::kFloat,
                                                       {d.batch, d.seq, d.hidden}, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    const float* pb = bias ? bias->data<float>() : nullptr;
    const kernels::PackedB* packed = packed_w_.get();
    kernels::PackedB per_run;  // Only for a weight computed at run time.
    if (!packed) {
      kernels::PackB(w->data<float>(), w->dim(1), false, w->dim(0), w->dim(1), &per_run,
                     &ctx.thread_pool());
      packed = &per_run;
    }
    const int64_t tasks = AttentionTasks(d, &ctx.thread_pool());
    OE_ASSIGN_OR_RETURN(
        Tensor scratch,
        ctx.AllocateTemp(DataType::kFloat, {AttentionScratchFloats(d, tasks)}, Fill::kNone));
    AttentionFastF32(d, x->data<float>(), *packed, pb, scratch.data<float>(), y->data<float>(),
                     &ctx.thread_pool(), ab);
    return Status::Ok();
  }

 private:
  int64_t heads_ = 1;
  int64_t qkv_size_ = -1;
  bool has_scale_ = false;
  float scale_ = 0.f;
  std::shared_ptr<kernels::PackedB> packed_w_;
};

}  // namespace

void RegisterOp_attention(OpRegistry& registry) {
  registry.Register({"com.microsoft", "Attention", 1, 1, MakeFactory<AttentionKernel>()});
}

}  // namespace onnxedge::ops
