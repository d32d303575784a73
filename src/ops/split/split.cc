// Copyright onnxedge authors.
// Split: cuts a tensor along `axis` into the node's outputs. Opsets 1-21:
//   - opset 1: lengths from the `split` attribute or an optional second input;
//   - opsets 2-12: `split` attribute; 13+: optional int64 `split` input;
//   - without lengths the dim is split into equal parts (it must divide evenly), except that
//     opset 18's `num_outputs` makes chunks of ceil(dim / num_outputs) with a smaller last one.
// All element types.
#include "ops/common/tensor_util.h"

#include <algorithm>
#include <type_traits>

namespace onnxedge::ops {

namespace {

constexpr int64_t kShortRow = 256;   // elements per input row for the one-pass path
constexpr size_t kMaxPieces = 16;    // outputs it handles

// The one-pass path: rows of `in_row` elements, each cut into pieces of lengths[i] * inner.
template <typename U>
void SplitRowsT(const U* x, int64_t in_row, const int64_t* widths, U* const* ys, size_t n_out,
                int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const U* src = x + r * in_row;
    for (size_t i = 0; i < n_out; ++i) {
      const int64_t w = widths[i];
      if (ys[i] && w > 0) CopyShortRun(src, ys[i] + r * w, w);
      src += w;
    }
  }
}

Status SplitShortRows(KernelContext& ctx, const Tensor& x, int64_t ax,
                      const Shape& lengths, int64_t outer, int64_t inner) {
  const size_t n_out = lengths.size();
  int64_t widths[kMaxPieces];
  void* ys[kMaxPieces];
  for (size_t i = 0; i < n_out; ++i) {
    widths[i] = lengths[i] * inner;
    ys[i] = nullptr;
    if (!ctx.OutputRequested(i)) continue;
    Shape shape = x.shape();
    shape[static_cast<size_t>(ax)] = lengths[i];
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(i, x.dtype(), shape, Fill::kNone));
    ys[i] = y->raw_data();
  }
  int64_t in_row = 0;
  for (size_t i = 0; i < n_out; ++i) in_row += widths[i];
  const int64_t elem = static_cast<int64_t>(DataTypeSize(x.dtype()));
  const int64_t min_rows = std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(1, in_row * elem));
  return DispatchBySize(x.dtype(), [&](auto tag) -> Status {
    using U = typename decltype(tag)::type;
    if constexpr (std::is_trivially_copyable_v<U>) {
      const U* src = static_cast<const U*>(x.raw_data());
      U* outs[kMaxPieces];
      for (size_t i = 0; i < n_out; ++i) outs[i] = static_cast<U*>(ys[i]);
      ctx.thread_pool().ParallelFor(outer, min_rows, [&](int64_t r0, int64_t r1) {
        SplitRowsT<U>(src, in_row, widths, outs, n_out, r0, r1);
      });
    }
    return Status::Ok();
  });
}

class SplitKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SplitKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<SplitKernel>();
    const int v = info.since_version();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", 0));
    if (v < 13 && info.HasAttribute("split")) {
      OE_ASSIGN_OR_RETURN(k->split_, info.GetInts("split"));
      k->has_split_attr_ = true;
    }
    k->split_from_input_ = v >= 13 || v == 1;
    if (v >= 18 && info.HasAttribute("num_outputs")) {
      OE_ASSIGN_OR_RETURN(k->num_outputs_, info.GetInt("num_outputs"));
      if (k->num_outputs_ < 1) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'num_outputs' must be >= 1, got ",
                          k->num_outputs_);
      }
      if (static_cast<size_t>(k->num_outputs_) != info.num_outputs()) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'num_outputs' is ", k->num_outputs_,
                          " but the node has ", info.num_outputs(), " outputs");
      }
      if (info.HasInput(1)) {
        return info.Error(StatusCode::kInvalidModel,
                          "attribute 'num_outputs' and input 'split' cannot both be given");
      }
    }
    if (k->has_split_attr_ && k->split_.size() != info.num_outputs()) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'split' has ", k->split_.size(),
                        " lengths but the node has ", info.num_outputs(), " outputs");
    }
    for (int64_t s : k->split_) {
      if (s < 0) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'split' has a negative length ", s);
      }
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const int64_t rank = static_cast<int64_t>(x->rank());
    if (rank == 0) return ctx.Error(StatusCode::kInvalidArgument, "input must have rank >= 1");
    OE_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, rank, ctx.Describe()));
    const size_t ax = static_cast<size_t>(axis);
    const int64_t dim = x->dim(ax);
    const int64_t n = static_cast<int64_t>(ctx.num_outputs());
    Shape lengths;  // Inline storage: no allocation per run.
    if (split_from_input_ && ctx.Input(1)) {
      const Tensor& s = *ctx.Input(1);
      if (s.dtype() == DataType::kInt64) {
        lengths.assign(s.data<int64_t>(), s.data<int64_t>() + s.size());
      } else if (s.dtype() == DataType::kInt32) {
        lengths.assign(s.data<int32_t>(), s.data<int32_t>() + s.size());
      } else {  // opset 1 declares the split input with the data's float type
        OE_ASSIGN_OR_RETURN(auto d, ReadDoubles(s, ctx.Describe() + " input 'split'"));
        for (double v : d) lengths.push_back(static_cast<int64_t>(v));
      }
      if (static_cast<int64_t>(lengths.size()) != n) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'split' has ", lengths.size(),
                         " lengths but the node has ", n, " outputs");
      }
    } else if (has_split_attr_) {
      lengths = split_;
    } else if (num_outputs_ > 0) {
      const int64_t chunk = (dim + n - 1) / n;
      for (int64_t i = 0; i < n; ++i) {
        lengths.push_back(std::clamp<int64_t>(dim - i * chunk, 0, chunk));
      }
    } else {
      if (dim % n != 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "axis ", axis, " of size ", dim,
                         " cannot be split evenly into ", n, " outputs");
      }
      lengths.assign(static_cast<size_t>(n), dim / n);
    }
    int64_t total = 0;
    for (int64_t l : lengths) {
      if (l < 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "split lengths must be >= 0, got ", l);
      }
      total += l;
    }
    if (total != dim) {
      return ctx.Error(StatusCode::kInvalidArgument, "split lengths sum to ", total, " but axis ",
                       axis, " has size ", dim);
    }
    const int64_t outer = DimProduct(x->shape(), 0, ax);
    const int64_t inner = DimProduct(x->shape(), ax + 1, x->rank());
    const int64_t in_row = dim * inner;
    // Short rows (a split of the last axis into a few columns, as in detection decoding):
    // one pass over the input rows writing every output's piece, instead of one strided copy
    // per output that re-reads the whole input for a few elements per row.
    if (outer > 1 && in_row <= kShortRow && x->dtype() != DataType::kString &&
        lengths.size() <= kMaxPieces) {
      return SplitShortRows(ctx, *x, ax, lengths, outer, inner);
    }
    int64_t col = 0;
    for (size_t i = 0; i < lengths.size(); ++i) {
      const int64_t row = lengths[i] * inner;
      if (ctx.OutputRequested(i)) {
        Shape shape = x->shape();
        shape[ax] = lengths[i];
        OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(i, x->dtype(), shape, Fill::kNone));
        if (y->size() > 0) {
          StridedCopy(x->dtype(), ElementPtr(x->raw_data(), x->dtype(), col), {in_row, 1},
                      y->raw_data(), {row, 1}, {outer, row}, &ctx.thread_pool());
        }
      }
      col += row;
    }
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
  std::vector<int64_t> split_;
  bool has_split_attr_ = false;
  bool split_from_input_ = false;
  int64_t num_outputs_ = 0;
};

}  // namespace

void RegisterOp_split(OpRegistry& registry) {
  registry.Register({"", "Split", 1, 21, MakeFactory<SplitKernel>()});
}

}  // namespace onnxedge::ops
