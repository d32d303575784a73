// Copyright onnxedge authors.
// Concat: joins tensors along `axis`. Opsets 1-21 (axis defaults to 1 before opset 4, negative
// from 11). Inputs must agree on every other dim; empty inputs are allowed. All element types;
// each input is copied as rows of contiguous memory, in parallel for large outputs, or, when the
// output rows are short, in one pass over the output rows that assembles each from all inputs.
#include "ops/common/tensor_util.h"

#include <algorithm>
#include <type_traits>

namespace onnxedge::ops {

namespace {

constexpr int64_t kShortRow = 256;  // elements per output row for the one-pass path
constexpr size_t kMaxPieces = 16;   // inputs it handles

// The one-pass path: output rows of `out_row` elements, each assembled from every input's row
// of widths[i] elements (YOLO heads: [.., 2] + [.., 2] + [.., 81] -> [.., 85] over 4800 rows),
// instead of one strided pass per input over all rows.
template <typename U>
void ConcatRowsT(const U* const* xs, const int64_t* widths, size_t n_in, int64_t out_row, U* y,
                 int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    U* d = y + r * out_row;
    for (size_t i = 0; i < n_in; ++i) {
      const int64_t w = widths[i];
      if (w > 0) CopyShortRun(xs[i] + r * w, d, w);
      d += w;
    }
  }
}

class ConcatKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ConcatKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ConcatKernel>();
    if (info.since_version() < 4) {
      OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", 1));
    } else {
      OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis"));
    }
    if (info.num_inputs() == 0) {
      return info.Error(StatusCode::kInvalidModel, "needs at least one input");
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    SmallVector<const Tensor*, 16> ins;  // Inline storage: no allocation per run.
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      OE_ASSIGN_OR_RETURN(const Tensor* t, ctx.RequiredInput(i));
      ins.push_back(t);
    }
    const Tensor& first = *ins[0];
    const int64_t rank = static_cast<int64_t>(first.rank());
    if (rank == 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "inputs must have rank >= 1");
    }
    OE_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, rank, ctx.Describe()));
    const size_t ax = static_cast<size_t>(axis);
    Shape out_shape = first.shape();
    out_shape[ax] = 0;
    for (size_t i = 0; i < ins.size(); ++i) {
      const Tensor& t = *ins[i];
      if (t.dtype() != first.dtype()) {
        return ctx.Error(StatusCode::kInvalidArgument, "input ", i, " has type ",
                         DataTypeName(t.dtype()), " but input 0 has ", DataTypeName(first.dtype()));
      }
      bool ok = t.rank() == first.rank();
      for (size_t d = 0; ok && d < t.rank(); ++d) ok = d == ax || t.dim(d) == first.dim(d);
      if (!ok) {
        return ctx.Error(StatusCode::kInvalidArgument, "input ", i, " has shape ",
                         ShapeToString(t.shape()), " which does not match input 0 ",
                         ShapeToString(first.shape()), " outside axis ", axis);
      }
      out_shape[ax] += t.dim(ax);
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, first.dtype(), out_shape, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    const int64_t outer = DimProduct(out_shape, 0, ax);
    const int64_t inner = DimProduct(out_shape, ax + 1, out_shape.size());
    const int64_t out_row = out_shape[ax] * inner;
    if (outer > 1 && out_row <= kShortRow && first.dtype() != DataType::kString &&
        ins.size() <= kMaxPieces) {
      int64_t widths[kMaxPieces];
      const void* srcs[kMaxPieces];
      for (size_t i = 0; i < ins.size(); ++i) {
        widths[i] = ins[i]->dim(ax) * inner;
        srcs[i] = ins[i]->raw_data();
      }
      const int64_t elem = static_cast<int64_t>(DataTypeSize(first.dtype()));
      const int64_t min_rows = std::max<int64_t>(1, (int64_t{1} << 16) / (out_row * elem));
      return DispatchBySize(first.dtype(), [&](auto tag) -> Status {
        using U = typename decltype(tag)::type;
        if constexpr (std::is_trivially_copyable_v<U>) {
          const U* xs[kMaxPieces];
          for (size_t i = 0; i < ins.size(); ++i) xs[i] = static_cast<const U*>(srcs[i]);
          U* dst = static_cast<U*>(y->raw_data());
          ctx.thread_pool().ParallelFor(outer, min_rows, [&](int64_t r0, int64_t r1) {
            ConcatRowsT<U>(xs, widths, ins.size(), out_row, dst, r0, r1);
          });
        }
        return Status::Ok();
      });
    }
    // Each input is a [outer, dim * inner] block written at a column offset of the output rows.
    int64_t col = 0;
    for (const Tensor* t : ins) {
      const int64_t row = t->dim(ax) * inner;
      if (row > 0) {
        StridedCopy(first.dtype(), t->raw_data(), {row, 1},
                    ElementPtr(y->raw_data(), first.dtype(), col), {out_row, 1}, {outer, row},
                    &ctx.thread_pool());
      }
      col += row;
    }
    return Status::Ok();
  }

 private:
  int64_t axis_ = 1;
};

// com.onnxedge ConcatInto (version 1), emitted by the fuse_split_concat pass: Y = X with the
// slices [starts[j], starts[j] + U_j.dim(axis)) of `axis` replaced by U_j (inputs X, U_1..U_k;
// every U_j has X's shape outside `axis`; slices inside X, in any order, later ones win where
// they overlap). The Concat of a Split's pieces in which some pieces pass through unchanged
// (YOLO heads: Split 85 -> 2, 2, 81; the first two decoded, Concat back to 85): Y may take over
// X's buffer when X dies here (in place), and then only the updates are written. All types.
class ConcatIntoKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ConcatIntoKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ConcatIntoKernel>();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis"));
    OE_ASSIGN_OR_RETURN(k->starts_, info.GetInts("starts"));
    if (info.num_inputs() != k->starts_.size() + 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'starts' has ", k->starts_.size(),
                        " entries but the node has ", info.num_inputs(), " inputs (X and ",
                        "one update per start)");
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const int64_t rank = static_cast<int64_t>(x->rank());
    if (rank == 0) return ctx.Error(StatusCode::kInvalidArgument, "X must have rank >= 1");
    OE_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, rank, ctx.Describe()));
    const size_t ax = static_cast<size_t>(axis);
    SmallVector<const Tensor*, 16> us;
    for (size_t j = 0; j < starts_.size(); ++j) {
      OE_ASSIGN_OR_RETURN(const Tensor* u, ctx.RequiredInput(j + 1));
      bool ok = u->dtype() == x->dtype() && u->rank() == x->rank();
      for (size_t d = 0; ok && d < u->rank(); ++d) ok = d == ax || u->dim(d) == x->dim(d);
      const int64_t s = starts_[j];
      if (!ok || s < 0 || s + u->dim(ax) > x->dim(ax)) {
        return ctx.Error(StatusCode::kInvalidArgument, "update ", j, " ",
                         DataTypeName(u->dtype()), ShapeToString(u->shape()), " at ", s,
                         " does not fit into X ", DataTypeName(x->dtype()),
                         ShapeToString(x->shape()), " along axis ", axis);
      }
      us.push_back(u);
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), x->shape(), Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    const DataType type = x->dtype();
    if (y->raw_data() != x->raw_data()) {
      StridedCopy(type, x->raw_data(), {1}, y->raw_data(), {1}, {x->size()}, &ctx.thread_pool());
    }
    const int64_t outer = DimProduct(x->shape(), 0, ax);
    const int64_t inner = DimProduct(x->shape(), ax + 1, x->rank());
    const int64_t row = x->dim(ax) * inner;
    if (outer > 1 && row <= kShortRow && type != DataType::kString && us.size() <= kMaxPieces) {
      // Short rows: one pass over the rows writing every update's piece.
      int64_t widths[kMaxPieces], offsets[kMaxPieces];
      for (size_t j = 0; j < us.size(); ++j) {
        widths[j] = us[j]->dim(ax) * inner;
        offsets[j] = starts_[j] * inner;
      }
      const int64_t elem = static_cast<int64_t>(DataTypeSize(type));
      int64_t upd_row = 0;
      for (size_t j = 0; j < us.size(); ++j) upd_row += widths[j];
      const int64_t min_rows =
          std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(1, upd_row * elem));
      return DispatchBySize(type, [&](auto tag) -> Status {
        using U = typename decltype(tag)::type;
        if constexpr (std::is_trivially_copyable_v<U>) {
          const U* src[kMaxPieces];
          for (size_t j = 0; j < us.size(); ++j) src[j] = static_cast<const U*>(us[j]->raw_data());
          U* dst = static_cast<U*>(y->raw_data());
          const size_t n = us.size();
          ctx.thread_pool().ParallelFor(outer, min_rows, [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r) {
              for (size_t j = 0; j < n; ++j) {
                if (widths[j] > 0) {
                  CopyShortRun(src[j] + r * widths[j], dst + r * row + offsets[j], widths[j]);
                }
              }
            }
          });
        }
        return Status::Ok();
      });
    }
    for (size_t j = 0; j < us.size(); ++j) {
      const int64_t w = us[j]->dim(ax) * inner;
      if (w == 0) continue;
      StridedCopy(type, us[j]->raw_data(), {w, 1},
                  ElementPtr(y->raw_data(), type, starts_[j] * inner), {row, 1}, {outer, w},
                  &ctx.thread_pool());
    }
    return Status::Ok();
  }
  uint32_t InPlaceInputs() const override { return 1u; }

 private:
  int64_t axis_ = 0;
  std::vector<int64_t> starts_;
};

}  // namespace

void RegisterOp_concat(OpRegistry& registry) {
  registry.Register({"", "Concat", 1, 21, MakeFactory<ConcatKernel>()});
  registry.Register({"com.onnxedge", "ConcatInto", 1, 1, MakeFactory<ConcatIntoKernel>()});
}

}  // namespace onnxedge::ops
