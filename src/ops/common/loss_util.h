// Copyright onnxedge authors.
// The negative log-likelihood core shared by NegativeLogLikelihoodLoss and
// SoftmaxCrossEntropyLoss (which applies it to a log-softmax of its scores).
//
// For input [N, C, D] (D = product of the extra dims, 1 when there are none), targets [N, D] and
// optional class weights w [C]:
//   loss[n, d] = -input[n, t, d] * w[t]       (t = target[n, d]; 0 when t == ignore_index)
//   'none' -> loss (shape of the target), 'sum' -> sum(loss),
//   'mean' -> sum(loss) / sum(w[t] over the targets that are not ignored)
// which is the ONNX definition (the mean is NaN when every target is ignored, as in the
// reference). Targets outside [0, C) that are not ignore_index are run errors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ops/common/op_util.h"

namespace onnxedge::ops {

enum class LossReduction { kNone, kSum, kMean };

/// Attributes common to both loss ops.
struct LossAttrs {
  LossReduction reduction = LossReduction::kMean;
  bool has_ignore_index = false;
  int64_t ignore_index = 0;
};
StatusOr<LossAttrs> ReadLossAttrs(const KernelInfo& info);

/// Validates input [N, C, ...] against target [N, ...] and weight [C]; returns (N, C, D).
struct LossDims {
  int64_t n = 0, c = 0, d = 1;
};
StatusOr<LossDims> CheckLossShapes(KernelContext& ctx, const Tensor& input, const Tensor& target,
                                   const Tensor* weight, const char* input_name,
                                   const char* target_name);

/// Reads int32/int64 targets and checks them against [0, C) (ignore_index excepted).
StatusOr<std::vector<int64_t>> ReadTargets(KernelContext& ctx, const Tensor& target, int64_t c,
                                           const LossAttrs& attrs, const char* target_name);

/// Computes the loss from `logp` (N*C*D values in compute type A) into output 0 of `ctx`, which
/// gets element type `out_type` and shape `target_shape` ('none') or [] (sum / mean).
template <typename T, typename A>
Status NllForward(KernelContext& ctx, const A* logp, const std::vector<int64_t>& targets,
                  const Tensor* weight, const LossDims& dims, const LossAttrs& attrs,
                  DataType out_type, const Shape& target_shape) {
  std::vector<A> w;
  if (weight) {
    w.resize(static_cast<size_t>(dims.c));
    const T* pw = weight->data<T>();
    for (int64_t i = 0; i < dims.c; ++i)
      w[static_cast<size_t>(i)] = static_cast<A>(ToCompute(pw[i]));
  }
  const int64_t nd = dims.n * dims.d;
  std::vector<A> loss(static_cast<size_t>(nd));
  double weight_sum = 0.0, loss_sum = 0.0;
  for (int64_t i = 0; i < nd; ++i) {
    const int64_t n = i / dims.d, d = i % dims.d;
    const int64_t t = targets[static_cast<size_t>(i)];
    if (attrs.has_ignore_index && t == attrs.ignore_index) {
      loss[static_cast<size_t>(i)] = A(0);
      continue;
    }
    const A wt = w.empty() ? A(1) : w[static_cast<size_t>(t)];
    const A v = -logp[(n * dims.c + t) * dims.d + d] * wt;
    loss[static_cast<size_t>(i)] = v;
    loss_sum += static_cast<double>(v);
    weight_sum += static_cast<double>(wt);
  }
  if (attrs.reduction == LossReduction::kNone) {
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, out_type, target_shape));
    T* py = y->data<T>();
    for (int64_t i = 0; i < nd; ++i)
      py[i] = FromCompute<T>(static_cast<ComputeType<T>>(loss[static_cast<size_t>(i)]));
    return Status::Ok();
  }
  const double r = attrs.reduction == LossReduction::kSum ? loss_sum : loss_sum / weight_sum;
  OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, out_type, {}));
  y->data<T>()[0] = FromCompute<T>(static_cast<ComputeType<T>>(r));
  return Status::Ok();
}

}  // namespace onnxedge::ops
