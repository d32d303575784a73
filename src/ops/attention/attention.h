// Copyright onnxedge authors.
// The compute of com.microsoft Attention (float32, self-attention without past), shared by
// the op and its tests:
//   QKV = X W + bias                              X: (B*S) x Din, W: Din x 3H (Q | K | V)
//   per batch b and head h (head size dh = H / heads, columns h*dh .. h*dh + dh of each part):
//     P = softmax(scale * Q_h K_h^T + A[b, h])    S x S, over the last axis
//     Y[b, :, h*dh : h*dh + dh] = P V_h
// A is the optional additive attention_bias (B or 1, heads or 1, S, S), added after the scale
// as ONNX Runtime does (a row that is -inf everywhere gives NaN there, as in ORT; a finite
// mask value such as -10000 on a whole row only shifts it, so the row is the unmasked one).
#pragma once

#include <cstdint>

#include "kernels/gemm.h"

namespace onnxedge {
class ThreadPool;
}

namespace onnxedge::ops {

struct AttentionDims {
  int64_t batch = 0, seq = 0;
  int64_t input_hidden = 0;  ///< Din.
  int64_t hidden = 0;        ///< H = heads * head_size.
  int64_t heads = 1;
  float scale = 1.f;
  int64_t head_size() const { return heads > 0 ? hidden / heads : 0; }
};

/// The additive attention_bias: S x S blocks, one per batch when per_batch (else shared) and
/// one per head when per_head (else shared); data = nullptr: none.
struct AttentionBias {
  const float* data = nullptr;
  bool per_batch = false, per_head = false;
  /// The S x S block added to the logits of (batch b, head h).
  const float* Block(const AttentionDims& d, int64_t b, int64_t h) const {
    const int64_t block = (per_batch ? b * (per_head ? d.heads : 1) : 0) + (per_head ? h : 0);
    return data + block * d.seq * d.seq;
  }
};

/// The oracle: plain loops, float64 accumulation. y is B x S x H.
void AttentionReferenceF32(const AttentionDims& d, const float* x, const float* w,
                           const float* bias, float* y, const AttentionBias& attn_bias = {});

/// Scratch floats AttentionFastF32 needs for `tasks` parallel tasks.
int64_t AttentionScratchFloats(const AttentionDims& d, int64_t tasks);
/// Number of parallel tasks the fast kernel uses on `pool` (one scratch slot each).
int64_t AttentionTasks(const AttentionDims& d, const ThreadPool* pool);

/// The fast kernel: one GEMM for the QKV projection (W packed once, bias fused into its
/// epilogue), then per (batch, head) two GEMMs and a vectorised softmax, (batch, head) pairs
/// split across the pool. `scratch` holds AttentionScratchFloats(d, AttentionTasks(d, pool))
/// floats. bias may be null. With an attention bias, its block is copied into the logits and
/// the Q K^T GEMM accumulates onto it (beta = 1), the order of ONNX Runtime's kernel.
void AttentionFastF32(const AttentionDims& d, const float* x, const kernels::PackedB& w,
                      const float* bias, float* scratch, float* y, ThreadPool* pool,
                      const AttentionBias& attn_bias = {});

}  // namespace onnxedge::ops
