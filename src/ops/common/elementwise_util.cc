// Copyright onnxedge authors.
#include "ops/common/elementwise_util.h"

#include <cmath>
#include <cstring>

namespace onnxedge::ops {

Status BinaryMapF32(KernelContext& ctx, const Tensor& a, const Shape& a_shape, const Tensor& b,
                    const Shape& b_shape, kernels::BinaryFn fn) {
  OE_ASSIGN_OR_RETURN(BroadcastPlan plan,
                      BroadcastPlan::Make({&a_shape, &b_shape}, ctx.Describe()));
  // kNone: every element is written, and the output may be a dead input of its size (in place,
  // Kernel::InPlaceInputs); ApplyBinary reads element i before it writes element i.
  OE_ASSIGN_OR_RETURN(Tensor * out,
                      ctx.AllocateOutput(0, DataType::kFloat, plan.output_shape(), Fill::kNone));
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* po = out->data<float>();
  const int sa = plan.inner_stride(0) == 1 ? 1 : 0, sb = plan.inner_stride(1) == 1 ? 1 : 0;
  ForEachSpan(ctx.thread_pool(), plan, [&](const int64_t* off, int64_t o, int64_t len) {
    kernels::ApplyBinary(fn, pa + off[0], sa, pb + off[1], sb, po + o, len);
  });
  return Status::Ok();
}

Status CheckSameType(const KernelContext& ctx, const Tensor& a, size_t i, const Tensor& b,
                     size_t j) {
  if (a.dtype() == b.dtype()) return Status::Ok();
  return ctx.Error(StatusCode::kInvalidArgument, "inputs ", i, " and ", j,
                   " must have the same element type, got ", DataTypeName(a.dtype()), " and ",
                   DataTypeName(b.dtype()));
}

float DoubleToFloatRoundToOdd(double d) {
  float f = static_cast<float>(d);
  if (static_cast<double>(f) == d || std::isnan(d)) return f;
  // Inexact: of the two floats bracketing d (f and its neighbour toward d), take the one with
  // an odd significand. Adjacent floats of one sign differ in their last bit.
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  if ((bits & 1u) == 0) f = std::nextafter(f, static_cast<float>(d > f ? INFINITY : -INFINITY));
  return f;
}

StatusOr<LegacyBroadcast> LegacyBroadcast::Read(const KernelInfo& info) {
  LegacyBroadcast bc;
  if (info.since_version() >= 7) return bc;
  bc.legacy_ = true;
  OE_ASSIGN_OR_RETURN(int64_t broadcast, info.GetInt("broadcast", 0));
  if (broadcast != 0 && broadcast != 1) {
    return info.Error(StatusCode::kInvalidModel, "attribute 'broadcast' must be 0 or 1, got ",
                      broadcast);
  }
  bc.broadcast_ = broadcast == 1;
  bc.has_axis_ = info.HasAttribute("axis");
  if (bc.has_axis_) {
    OE_ASSIGN_OR_RETURN(bc.axis_, info.GetInt("axis"));
  }
  return bc;
}

StatusOr<Shape> LegacyBroadcast::ShapeOfB(const KernelContext& ctx, const Shape& a,
                                          const Shape& b) const {
  if (!legacy_) return b;
  if (!broadcast_) {
    if (a != b) {
      return ctx.Error(StatusCode::kInvalidArgument, "shapes ", ShapeToString(a), " and ",
                       ShapeToString(b),
                       " differ and attribute 'broadcast' is 0 (opset < 7 needs broadcast=1)");
    }
    return b;
  }
  const int64_t ra = static_cast<int64_t>(a.size()), rb = static_cast<int64_t>(b.size());
  // A one-element B broadcasts everywhere whatever its rank.
  if (ShapeElementCount(b) == 1) return Shape{};
  int64_t axis = has_axis_ ? axis_ : ra - rb;
  if (axis < 0) axis += ra;
  if (rb > ra || axis < 0 || axis + rb > ra) {
    return ctx.Error(StatusCode::kInvalidArgument, "attribute 'axis' (", axis_,
                     ") does not place B ", ShapeToString(b), " inside A ", ShapeToString(a));
  }
  Shape out(static_cast<size_t>(ra), 1);
  for (int64_t i = 0; i < rb; ++i) {
    const int64_t dim = b[static_cast<size_t>(i)];
    const int64_t adim = a[static_cast<size_t>(axis + i)];
    if (dim != adim && dim != 1) {
      return ctx.Error(StatusCode::kInvalidArgument, "B ", ShapeToString(b), " does not match A ",
                       ShapeToString(a), " at axis ", axis + i, " (legacy broadcast)");
    }
    out[static_cast<size_t>(axis + i)] = dim;
  }
  return out;
}

}  // namespace onnxedge::ops
