// Copyright onnxedge authors.
// com.onnxedge FusedConv (version 1): Conv with the following activation (and optionally a
// residual addition) fused into the output write; emitted by the optimizer, never by exporters.
//
//   inputs:  X, W, B (optional), Z (optional, same shape as Y)
//   outputs: Y = activation(Conv(X, W, B) + Z)
//   attributes: those of Conv (auto_pad, dilations, group, kernel_shape, pads, strides), plus
//     activation (string: "", Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Silu,
//     Gelu (erf), GeluTanh) and activation_params (floats: Clip min, max; LeakyRelu alpha;
//     HardSigmoid alpha, beta).
//   types: as Conv (float32 fast path; float16/bfloat16 widened; float64 reference).
// The fused result equals Conv followed by the activation op up to float rounding (the vector
// Sigmoid/Silu of kernels/vecmath.h is within 2 ulp; Gelu/GeluTanh apply the Gelu op's own
// vecmath.h function to the stored float output, so they equal Conv -> Gelu exactly).
#include "ops/conv/conv.h"

namespace onnxedge::ops {

void RegisterOp_fused_conv(OpRegistry& registry) {
  registry.Register({"com.onnxedge", "FusedConv", 1, 1, [](const KernelInfo& info) {
                       return CreateConvKernel(info, /*fused=*/true);
                     }});
}

}  // namespace onnxedge::ops
