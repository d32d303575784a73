// Copyright onnxedge authors.
#include "ops/common/elementwise_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace onnxedge::ops {

namespace {

// Inner runs shorter than this make ForEachSpan's one ApplyBinary call per run cost more than
// the arithmetic; a run of at most this many floats is what PeriodicRows tiles.
constexpr int64_t kShortRun = 64;
// Floats per ApplyBinary call of PeriodicRows (a multiple of the row length, at most this).
constexpr int64_t kTileFloats = 512;

// x [G, M, k] fn y [G, 1, k] (or y fn x) with a short k: the broadcast input's row of k repeats
// M times, so it is tiled into a buffer of whole rows once per G index and ApplyBinary runs
// over spans of up to kTileFloats elements instead of M spans of k (YOLO's anchor scaling,
// [1, 3, 40, 40, 2] * [1, 3, 1, 1, 2]). `rep` is the repeating input (0 or 1). Results are the
// same IEEE operations on the same operands as the per-run path.
void PeriodicRows(ThreadPool& pool, const BroadcastPlan& plan, int rep, const float* pa,
                  const float* pb, float* po, kernels::BinaryFn fn) {
  const size_t last = plan.outer_rank() - 1;
  const int64_t k = plan.inner();
  const int64_t group = plan.outer_dim(last) * k;  // output elements per G index
  const int64_t reps = std::max<int64_t>(1, kTileFloats / k);
  const int64_t period = reps * k;
  pool.ParallelFor(plan.output_size(), kElementwiseMinChunk, [&](int64_t begin, int64_t end) {
    // reps + 1 rows: a span may start at any phase q % k and run `period` elements.
    float tile[kTileFloats + kShortRun];
    const float* full = nullptr;
    int64_t cur = -1;
    while (begin < end) {
      const int64_t g = begin / group, q = begin % group;
      if (g != cur) {
        int64_t off[2];
        plan.Offsets(g * plan.outer_dim(last), off);
        const float* row = rep == 0 ? pa + off[0] : pb + off[1];
        for (int64_t r = 0; r <= reps; ++r) {
          std::memcpy(tile + r * k, row, static_cast<size_t>(k) * sizeof(float));
        }
        full = rep == 0 ? pb + off[1] : pa + off[0];
        cur = g;
      }
      const int64_t len = std::min({end - begin, group - q, period});
      const float* t = tile + q % k;
      if (rep == 0) {
        kernels::ApplyBinary(fn, t, 1, full + q, 1, po + begin, len);
      } else {
        kernels::ApplyBinary(fn, full + q, 1, t, 1, po + begin, len);
      }
      begin += len;
    }
  });
}

}  // namespace

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
  if (sa == 1 && sb == 1 && plan.inner() < kShortRun && plan.outer_rank() >= 1 &&
      plan.output_size() > 0) {
    const size_t last = plan.outer_rank() - 1;
    const int64_t s0 = plan.outer_stride(0, last), s1 = plan.outer_stride(1, last);
    const int rep = s0 == 0 && s1 == plan.inner() ? 0 : s1 == 0 && s0 == plan.inner() ? 1 : -1;
    if (rep >= 0) {
      PeriodicRows(ctx.thread_pool(), plan, rep, pa, pb, po, fn);
      return Status::Ok();
    }
  }
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
