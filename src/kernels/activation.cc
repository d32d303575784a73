// Copyright onnxedge authors.
#include "kernels/activation.h"

#include "kernels/gemm.h"
#include "kernels/vecmath.h"
#include "core/cpu_features.h"

namespace onnxedge::kernels {

namespace {

// The vecmath function of a transcendental kind (IsTranscendental).
UnaryFn TranscendentalFn(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kSigmoid:
      return UnaryFn::kSigmoid;
    case ActivationKind::kGeluErf:
      return UnaryFn::kGeluErf;
    case ActivationKind::kGeluTanh:
      return UnaryFn::kGeluTanh;
    default:
      return UnaryFn::kSilu;
  }
}

}  // namespace

void ApplyActivation(float* x, long n, const Activation& act) {
  if (act.is_none() || n <= 0) return;
  if (IsTranscendental(act.kind)) return ApplyUnary(TranscendentalFn(act.kind), x, x, n);
#if defined(__x86_64__)
  const Isa isa = MaxIsa();
  if (isa == Isa::kAvx512) {
    ApplyActivationAvx512(x, n, act);
    return;
  }
  if (isa == Isa::kAvx2) {
    ApplyActivationAvx2(x, n, act);
    return;
  }
#elif defined(__aarch64__)
  if (MaxIsa() >= Isa::kNeon) {
    ApplyActivationNeon(x, n, act);
    return;
  }
#endif
  for (long i = 0; i < n; ++i) x[i] = ApplyActivation(x[i], act);
}

void ApplyActivationRows(float* x, long rows, long n, long ld, const Activation& act) {
  if (act.is_none() || n <= 0 || rows <= 0) return;
  if (IsTranscendental(act.kind)) {
    ApplyUnaryRows(TranscendentalFn(act.kind), x, x, rows, n, ld);
    return;
  }
  for (long r = 0; r < rows; ++r) ApplyActivation(x + r * ld, n, act);
}

bool ParseActivation(const std::string& name, const float* params, int num_params,
                     Activation* out) {
  auto param = [&](int i, float def) { return i < num_params ? params[i] : def; };
  if (name == "Relu" && num_params == 0) {
    *out = Activation::Relu();
  } else if (name == "Clip" && num_params <= 2) {
    *out = Activation::Clip(param(0, -__builtin_inff()), param(1, __builtin_inff()));
  } else if (name == "LeakyRelu" && num_params <= 1) {
    *out = Activation::LeakyRelu(param(0, 0.01f));
  } else if (name == "Sigmoid" && num_params == 0) {
    *out = Activation::Sigmoid();
  } else if ((name == "Silu" || name == "Swish") && num_params == 0) {
    *out = Activation::Silu();
  } else if (name == "HardSigmoid" && num_params <= 2) {
    *out = Activation::HardSigmoid(param(0, 0.2f), param(1, 0.5f));
  } else if (name == "HardSwish" && num_params == 0) {
    *out = Activation::HardSwish();
  } else if (name == "Gelu" && num_params == 0) {
    *out = Activation::GeluErf();
  } else if (name == "GeluTanh" && num_params == 0) {
    *out = Activation::GeluTanh();
  } else {
    return false;
  }
  return true;
}

}  // namespace onnxedge::kernels
