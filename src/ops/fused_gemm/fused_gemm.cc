// Copyright onnxedge authors.
// com.onnxedge FusedGemm (version 1): Gemm (or MatMul by a 2-D weight, plus a bias) with the
// following activation fused into the output write; emitted by the optimizer.
//
//   inputs:  A, B, C (optional)
//   outputs: Y = activation(alpha * op(A) * op(B) + beta * C)
//   attributes: those of Gemm (alpha, beta, transA, transB), plus activation (string: "", Relu,
//     Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Silu, Gelu (erf), GeluTanh) and activation_params (floats:
//     Clip min, max; LeakyRelu alpha; HardSigmoid alpha, beta).
//   shapes: as Gemm, except that A may have rank > 2 when transA = 0: A [d1, ..., dr, K] is
//     multiplied as [d1 * ... * dr, K] and Y is [d1, ..., dr, N] (MatMul(A, W) + bias with a
//     2-D W); C must broadcast to [d1 * ... * dr, N] (a [N] bias always does).
//   types: float32 (packed GEMM, constant B prepacked at session creation), float64, float16,
//     bfloat16 and the integer types of Gemm (reference loop).
#include "ops/gemm/gemm.h"

namespace onnxedge::ops {

void RegisterOp_fused_gemm(OpRegistry& registry) {
  registry.Register({"com.onnxedge", "FusedGemm", 1, 1, [](const KernelInfo& info) {
                       return CreateGemmKernel(info, /*fused=*/true);
                     }});
}

}  // namespace onnxedge::ops
