// Copyright onnxedge authors.
// ConcatFromSequence: concatenates the tensors of a non-empty sequence along `axis`
// (new_axis=0, like numpy.concatenate; shapes may differ only along axis) or stacks them along
// a new `axis` (new_axis=1, like numpy.stack; axis may then be in [-r-1, r]).
// Opsets 11-21, all types.
#include "ops/common/control_util.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class ConcatFromSequenceKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ConcatFromSequenceKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ConcatFromSequenceKernel>();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis"));
    OE_ASSIGN_OR_RETURN(int64_t new_axis, info.GetInt("new_axis", 0));
    if (new_axis != 0 && new_axis != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'new_axis' must be 0 or 1, got ",
                        new_axis);
    }
    k->new_axis_ = new_axis == 1;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    const Value* seq = ctx.InputValue(0);
    if (!seq || !seq->is_sequence()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'input_sequence' must be a sequence");
    }
    const auto& elems = seq->sequence();
    if (elems.empty()) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'input_sequence' is empty; there is nothing to concatenate");
    }
    const Tensor& first = elems[0];
    const int64_t rank = static_cast<int64_t>(first.rank());
    const int64_t out_rank = rank + (new_axis_ ? 1 : 0);
    if (out_rank == 0) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "cannot concatenate scalars without new_axis=1");
    }
    OE_ASSIGN_OR_RETURN(int64_t axis,
                        NormalizeAxis(axis_, out_rank, ctx.Describe() + " attribute 'axis'"));
    const size_t ax = static_cast<size_t>(axis);
    int64_t total = 0;
    for (size_t i = 0; i < elems.size(); ++i) {
      const Tensor& t = elems[i];
      bool ok = t.dtype() == first.dtype() && t.rank() == first.rank();
      for (size_t d = 0; ok && d < t.rank(); ++d) {
        ok = t.dim(d) == first.dim(d) || (!new_axis_ && d == ax);
      }
      if (!ok) {
        return ctx.Error(StatusCode::kInvalidArgument, "sequence element ", i, " is ",
                         DataTypeName(t.dtype()), ShapeToString(t.shape()), " but element 0 is ",
                         DataTypeName(first.dtype()), ShapeToString(first.shape()),
                         new_axis_ ? " (all must match)" : " (only the axis dim may differ)");
      }
      total += new_axis_ ? 1 : t.dim(ax);
    }
    Shape out_shape = first.shape();
    if (new_axis_) {
      out_shape.insert(out_shape.begin() + axis, total);
    } else {
      out_shape[ax] = total;
    }
    OE_ASSIGN_OR_RETURN(Tensor * out, ctx.AllocateOutput(0, first.dtype(), out_shape));
    const int64_t outer = control::DimProduct(out_shape, 0, ax);
    const int64_t inner = control::DimProduct(out_shape, ax + 1, out_shape.size());
    const size_t es = DataTypeSize(first.dtype());
    char* dst = static_cast<char*>(out->raw_data());
    int64_t offset = 0;
    for (const Tensor& t : elems) {
      const int64_t len = new_axis_ ? 1 : t.dim(ax);
      const int64_t chunk = len * inner;
      const char* src = static_cast<const char*>(t.raw_data());
      if (chunk > 0) {
        for (int64_t o = 0; o < outer; ++o) {
          CopyElements(first.dtype(), src + static_cast<size_t>(o * chunk) * es,
                       dst + static_cast<size_t>((o * total + offset) * inner) * es, chunk);
        }
      }
      offset += len;
    }
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
  bool new_axis_ = false;
};

}  // namespace

void RegisterOp_concat_from_sequence(OpRegistry& registry) {
  registry.Register({"", "ConcatFromSequence", 11, 21, MakeFactory<ConcatFromSequenceKernel>()});
}

}  // namespace onnxedge::ops
