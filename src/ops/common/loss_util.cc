// Copyright onnxedge authors.
#include "ops/common/loss_util.h"

namespace onnxedge::ops {

StatusOr<LossAttrs> ReadLossAttrs(const KernelInfo& info) {
  LossAttrs a;
  OE_ASSIGN_OR_RETURN(std::string reduction, info.GetString("reduction", "mean"));
  if (reduction == "none") {
    a.reduction = LossReduction::kNone;
  } else if (reduction == "sum") {
    a.reduction = LossReduction::kSum;
  } else if (reduction == "mean") {
    a.reduction = LossReduction::kMean;
  } else {
    return info.Error(StatusCode::kInvalidModel, "attribute 'reduction' must be 'none', 'sum' or ",
                      "'mean', got '", reduction, "'");
  }
  a.has_ignore_index = info.HasAttribute("ignore_index");
  if (a.has_ignore_index) {
    OE_ASSIGN_OR_RETURN(a.ignore_index, info.GetInt("ignore_index"));
  }
  return a;
}

StatusOr<LossDims> CheckLossShapes(KernelContext& ctx, const Tensor& input, const Tensor& target,
                                   const Tensor* weight, const char* input_name,
                                   const char* target_name) {
  if (input.rank() < 2) {
    return ctx.Error(StatusCode::kInvalidArgument, "input '", input_name,
                     "' must have shape [N, C, ...], got ", ShapeToString(input.shape()));
  }
  Shape want = {input.dim(0)};
  want.insert(want.end(), input.shape().begin() + 2, input.shape().end());
  if (target.shape() != want) {
    return ctx.Error(StatusCode::kInvalidArgument, "input '", target_name, "' (shape ",
                     ShapeToString(target.shape()), ") must have shape ", ShapeToString(want),
                     " to match '", input_name, "' (shape ", ShapeToString(input.shape()), ")");
  }
  LossDims d;
  d.n = input.dim(0);
  d.c = input.dim(1);
  for (size_t i = 2; i < input.rank(); ++i) d.d *= input.dim(i);
  if (weight) {
    if (weight->dtype() != input.dtype() || weight->rank() != 1 || weight->dim(0) != d.c) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'weight' must be ",
                       DataTypeName(input.dtype()), " of shape [", d.c, "], got ",
                       DataTypeName(weight->dtype()), " ", ShapeToString(weight->shape()));
    }
  }
  return d;
}

StatusOr<std::vector<int64_t>> ReadTargets(KernelContext& ctx, const Tensor& target, int64_t c,
                                           const LossAttrs& attrs, const char* target_name) {
  if (target.dtype() != DataType::kInt32 && target.dtype() != DataType::kInt64) {
    return ctx.Error(StatusCode::kInvalidArgument, "input '", target_name,
                     "' must be int32 or int64, got ", DataTypeName(target.dtype()));
  }
  OE_ASSIGN_OR_RETURN(std::vector<int64_t> t, ReadInt64s(target, ctx.Describe()));
  for (size_t i = 0; i < t.size(); ++i) {
    if (attrs.has_ignore_index && t[i] == attrs.ignore_index) continue;
    if (t[i] < 0 || t[i] >= c) {
      return ctx.Error(StatusCode::kInvalidArgument, "input '", target_name, "' element ", i,
                       " is ", t[i], ", outside the ", c, " classes [0, ", c, ")");
    }
  }
  return t;
}

}  // namespace onnxedge::ops
