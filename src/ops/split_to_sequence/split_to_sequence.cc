// Copyright onnxedge authors.
// SplitToSequence: splits `input` along `axis` into a sequence. `split` (int32/int64) is
// optional: a scalar s gives chunks of s (the last one smaller), a 1-D tensor gives the chunk
// lengths (summing to the axis length); when omitted the input is split into chunks of 1 and
// keepdims=0 removes the split axis. Opsets 11-21, all types.
#include "ops/common/control_util.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class SplitToSequenceKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SplitToSequenceKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<SplitToSequenceKernel>();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", 0));
    OE_ASSIGN_OR_RETURN(int64_t keepdims, info.GetInt("keepdims", 1));
    if (keepdims != 0 && keepdims != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'keepdims' must be 0 or 1, got ",
                        keepdims);
    }
    k->keepdims_ = keepdims == 1;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    if (x->rank() == 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'input' must have rank >= 1");
    }
    OE_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, static_cast<int64_t>(x->rank()),
                                                    ctx.Describe() + " attribute 'axis'"));
    const size_t ax = static_cast<size_t>(axis);
    const int64_t dim = x->dim(ax);
    std::vector<int64_t> lengths;
    bool squeeze = false;
    if (const Tensor* split = ctx.Input(1)) {
      OE_ASSIGN_OR_RETURN(std::vector<int64_t> s,
                          ReadInt64s(*split, ctx.Describe() + " input 'split'"));
      if (split->rank() == 0) {
        if (s[0] <= 0) {
          return ctx.Error(StatusCode::kInvalidArgument, "input 'split' must be positive, got ",
                           s[0]);
        }
        for (int64_t start = 0; start < dim; start += s[0]) {
          lengths.push_back(std::min(s[0], dim - start));
        }
      } else if (split->rank() == 1) {
        int64_t sum = 0;
        for (int64_t v : s) {
          if (v < 0) {
            return ctx.Error(StatusCode::kInvalidArgument,
                             "input 'split' values must not be negative, got ", v);
          }
          sum += v;
        }
        if (sum != dim) {
          return ctx.Error(StatusCode::kInvalidArgument, "input 'split' values sum to ", sum,
                           " but the input has length ", dim, " along axis ", axis);
        }
        lengths = std::move(s);
      } else {
        return ctx.Error(StatusCode::kInvalidArgument,
                         "input 'split' must be a scalar or a 1-D tensor, got shape ",
                         ShapeToString(split->shape()));
      }
    } else {
      lengths.assign(static_cast<size_t>(dim), 1);
      squeeze = !keepdims_;
    }

    const int64_t outer = control::DimProduct(x->shape(), 0, ax);
    const int64_t inner = control::DimProduct(x->shape(), ax + 1, x->rank());
    const size_t es = DataTypeSize(x->dtype());
    const char* src = static_cast<const char*>(x->raw_data());
    std::vector<Tensor> parts;
    parts.reserve(lengths.size());
    int64_t start = 0;
    for (int64_t len : lengths) {
      Shape s = x->shape();
      s[ax] = len;
      OE_ASSIGN_OR_RETURN(Tensor part, ctx.AllocateTemp(x->dtype(), s));
      char* dst = static_cast<char*>(part.raw_data());
      const int64_t chunk = len * inner;
      if (chunk > 0) {
        for (int64_t o = 0; o < outer; ++o) {
          CopyElements(x->dtype(), src + static_cast<size_t>((o * dim + start) * inner) * es,
                       dst + static_cast<size_t>(o * chunk) * es, chunk);
        }
      }
      if (squeeze) {
        s.erase(s.begin() + axis);
        OE_ASSIGN_OR_RETURN(part, part.Reshaped(s));
      }
      parts.push_back(std::move(part));
      start += len;
    }
    ctx.SetOutput(0, Value::Sequence(std::move(parts), x->dtype()));
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
  bool keepdims_ = true;
};

}  // namespace

void RegisterOp_split_to_sequence(OpRegistry& registry) {
  registry.Register({"", "SplitToSequence", 11, 21, MakeFactory<SplitToSequenceKernel>()});
}

}  // namespace onnxedge::ops
