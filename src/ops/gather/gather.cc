// Copyright onnxedge authors.
// Gather: out[a..., i..., b...] = data[a..., indices[i...], b...] along `axis`. Opsets 1-21;
// negative indices count from the back (documented from opset 11, accepted at every opset).
// Data of every element type, int32/int64 indices; out-of-range indices are a run error. Each
// index copies one contiguous inner block, in parallel for large outputs.
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class GatherKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<GatherKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<GatherKernel>();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", 0));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* data, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* ind, ctx.RequiredInput(1));
    const int64_t rank = static_cast<int64_t>(data->rank());
    if (rank == 0)
      return ctx.Error(StatusCode::kInvalidArgument, "input 'data' must have rank >= 1");
    OE_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, rank, ctx.Describe()));
    const size_t ax = static_cast<size_t>(axis);
    // Per-thread scratch reused across runs (the workers below read the caller's through the
    // reference), so a steady-state run allocates nothing.
    thread_local std::vector<int64_t> tls_idx;
    std::vector<int64_t>& idx = tls_idx;
    if (ind->dtype() == DataType::kInt64) {
      idx.assign(ind->data<int64_t>(), ind->data<int64_t>() + ind->size());
    } else if (ind->dtype() == DataType::kInt32) {
      idx.assign(ind->data<int32_t>(), ind->data<int32_t>() + ind->size());
    } else {
      OE_ASSIGN_OR_RETURN(idx, ReadInt64s(*ind, ctx.Describe() + " input 'indices'"));
    }
    const int64_t dim = data->dim(ax);
    for (int64_t& i : idx) {
      if (i < -dim || i >= dim) {
        return ctx.Error(StatusCode::kInvalidArgument, "index ", i,
                         " in input 'indices' is out of range for axis ", axis, " of size ", dim);
      }
      if (i < 0) i += dim;
    }
    Shape out_shape(data->shape().begin(), data->shape().begin() + axis);
    out_shape.insert(out_shape.end(), ind->shape().begin(), ind->shape().end());
    out_shape.insert(out_shape.end(), data->shape().begin() + axis + 1, data->shape().end());
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, data->dtype(), out_shape, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    const int64_t outer = DimProduct(data->shape(), 0, ax);
    const int64_t inner = DimProduct(data->shape(), ax + 1, data->rank());
    const int64_t n = static_cast<int64_t>(idx.size());
    return DispatchBySize(data->dtype(), [&](auto tag) -> Status {
      using U = typename decltype(tag)::type;
      const U* src = data->data<U>();
      U* dst = y->data<U>();
      auto body = [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const int64_t o = r / n, j = r % n;
          const U* s = src + (o * dim + idx[static_cast<size_t>(j)]) * inner;
          U* d = dst + r * inner;
          if (inner == 1) {
            *d = *s;
          } else {
            std::copy(s, s + inner, d);
          }
        }
      };
      const int64_t min_rows =
          std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, inner * sizeof(U)));
      ctx.thread_pool().ParallelFor(outer * n, min_rows, body);
      return Status::Ok();
    });
  }

 private:
  int64_t axis_ = 0;
};

}  // namespace

void RegisterOp_gather(OpRegistry& registry) {
  registry.Register({"", "Gather", 1, 21, MakeFactory<GatherKernel>()});
}

}  // namespace onnxedge::ops
