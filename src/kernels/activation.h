// Copyright onnxedge authors.
// Activations fused into the output write of GEMM and convolution kernels (the epilogue), so a
// Conv/Gemm followed by an activation costs one pass over the output instead of two.
#pragma once

#include <cmath>
#include <string>

namespace onnxedge::kernels {

enum class ActivationKind : int {
  kNone = 0,
  kRelu,         ///< max(x, 0)
  kClip,         ///< min(max(x, alpha), beta)        (alpha = min, beta = max)
  kLeakyRelu,    ///< x >= 0 ? x : alpha * x
  kSigmoid,      ///< 1 / (1 + exp(-x))
  kSilu,         ///< x * sigmoid(x)                  (Swish; Sigmoid followed by Mul)
  kHardSigmoid,  ///< max(0, min(1, alpha * x + beta))
  kHardSwish,    ///< x * max(0, min(1, x / 6 + 1/2))
  kGeluErf,      ///< x/2 (1 + erf(x / sqrt 2))                       (ONNX Gelu)
  kGeluTanh,     ///< x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))   (Gelu approximate=tanh)
};

/// An activation and its parameters (the meaning of alpha/beta depends on the kind, above).
struct Activation {
  ActivationKind kind = ActivationKind::kNone;
  float alpha = 0.f;
  float beta = 0.f;

  static Activation None() { return {}; }
  static Activation Relu() { return {ActivationKind::kRelu, 0.f, 0.f}; }
  static Activation Clip(float lo, float hi) { return {ActivationKind::kClip, lo, hi}; }
  static Activation LeakyRelu(float a) { return {ActivationKind::kLeakyRelu, a, 0.f}; }
  static Activation Sigmoid() { return {ActivationKind::kSigmoid, 0.f, 0.f}; }
  static Activation Silu() { return {ActivationKind::kSilu, 0.f, 0.f}; }
  static Activation HardSigmoid(float a, float b) { return {ActivationKind::kHardSigmoid, a, b}; }
  static Activation HardSwish() { return {ActivationKind::kHardSwish, 0.f, 0.f}; }
  static Activation GeluErf() { return {ActivationKind::kGeluErf, 0.f, 0.f}; }
  static Activation GeluTanh() { return {ActivationKind::kGeluTanh, 0.f, 0.f}; }

  bool is_none() const { return kind == ActivationKind::kNone; }
};

/// Kinds that need exp/erf: the epilogues apply them through kernels/vecmath.h (one
/// implementation, the same values on every ISA and the same as the standalone Sigmoid, Gelu
/// kernels) rather than inside the ISA-specific tiles.
inline bool IsTranscendental(ActivationKind kind) {
  return kind == ActivationKind::kSigmoid || kind == ActivationKind::kSilu ||
         kind == ActivationKind::kGeluErf || kind == ActivationKind::kGeluTanh;
}

/// The scalar definition (the reference for the vector epilogues). NaN propagates through every
/// kind, as in the ONNX operators these fuse.
inline float ApplyActivation(float x, const Activation& act) {
  switch (act.kind) {
    case ActivationKind::kNone:
      return x;
    case ActivationKind::kRelu:
      return x < 0.f ? 0.f : x;
    case ActivationKind::kClip:
      return x < act.alpha ? act.alpha : (x > act.beta ? act.beta : x);
    case ActivationKind::kLeakyRelu:
      return x < 0.f ? act.alpha * x : x;
    case ActivationKind::kSigmoid:
      return 1.f / (1.f + std::exp(-x));
    case ActivationKind::kSilu:
      return x / (1.f + std::exp(-x));
    case ActivationKind::kHardSigmoid: {
      const float v = act.alpha * x + act.beta;
      return v < 0.f ? 0.f : (v > 1.f ? 1.f : v);
    }
    case ActivationKind::kHardSwish: {
      const float v = x * (1.f / 6.f) + 0.5f;
      return x * (v < 0.f ? 0.f : (v > 1.f ? 1.f : v));
    }
    case ActivationKind::kGeluErf:
      return 0.5f * x * (1.f + std::erf(x * 0.70710678118654752f));
    case ActivationKind::kGeluTanh:
      return 0.5f * x *
             (1.f + std::tanh(0.79788456080286535f * (x + 0.044715f * x * x * x)));
  }
  return x;
}

/// Applies the activation to n floats in place (vectorized when the CPU allows; Sigmoid, SiLU
/// and both GELUs by kernels/vecmath.h, with its accuracy: vecmath.h's header comment).
void ApplyActivation(float* x, long n, const Activation& act);
/// The same over `rows` rows of n floats, row r at x + r * ld (one dispatch for the block).
void ApplyActivationRows(float* x, long rows, long n, long ld, const Activation& act);

/// Parses an activation by its ONNX operator name ("Relu", "Clip", "LeakyRelu", "Sigmoid",
/// "HardSigmoid", "HardSwish") or "Silu"/"Swish"; `params` are the attributes in order (Clip:
/// min, max; LeakyRelu: alpha; HardSigmoid: alpha, beta; defaults as in ONNX when omitted).
/// Returns false for an unknown name or a wrong parameter count.
bool ParseActivation(const std::string& name, const float* params, int num_params, Activation* out);

}  // namespace onnxedge::kernels
