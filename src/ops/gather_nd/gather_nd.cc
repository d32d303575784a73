// Copyright onnxedge authors.
// GatherND: gathers slices of `data` addressed by the last dim of `indices` (k coordinates
// into data's dims after the first `batch_dims`). Output shape: indices.shape[:-1] +
// data.shape[batch_dims + k:]. Opsets 11-21 (batch_dims from 12); data of every element type,
// int64 indices (int32 accepted), negative coordinates count from the back.
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class GatherNDKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<GatherNDKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<GatherNDKernel>();
    OE_ASSIGN_OR_RETURN(k->batch_dims_, info.GetInt("batch_dims", 0));
    if (k->batch_dims_ < 0) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'batch_dims' must be >= 0, got ",
                        k->batch_dims_);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* data, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* ind, ctx.RequiredInput(1));
    const size_t r = data->rank(), q = ind->rank();
    const size_t b = static_cast<size_t>(batch_dims_);
    if (r < 1 || q < 1 || b >= std::min(r, q)) {
      return ctx.Error(StatusCode::kInvalidArgument, "attribute 'batch_dims' ", b,
                       " must be less than the ranks of 'data' (", r, ") and 'indices' (", q, ")");
    }
    for (size_t d = 0; d < b; ++d) {
      if (data->dim(d) != ind->dim(d)) {
        return ctx.Error(StatusCode::kInvalidArgument, "batch dim ", d, " differs: 'data' ",
                         ShapeToString(data->shape()), ", 'indices' ", ShapeToString(ind->shape()));
      }
    }
    const int64_t k = ind->dim(q - 1);
    if (k < 1 || static_cast<size_t>(k) > r - b) {
      return ctx.Error(StatusCode::kInvalidArgument, "last dim of 'indices' (", k,
                       ") must be in [1, ", r - b, "]");
    }
    Shape out_shape(ind->shape().begin(), ind->shape().end() - 1);
    out_shape.insert(out_shape.end(), data->shape().begin() + static_cast<int64_t>(b) + k,
                     data->shape().end());
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> idx,
                        ReadInt64s(*ind, ctx.Describe() + " input 'indices'"));
    const int64_t batches = DimProduct(data->shape(), 0, b);
    const int64_t per_batch = DimProduct(ind->shape(), b, q - 1);  // index tuples per batch
    const int64_t slice = DimProduct(data->shape(), b + static_cast<size_t>(k), r);
    const int64_t batch_stride = DimProduct(data->shape(), b, r);
    const std::vector<int64_t> ds = Strides(data->shape());
    // Resolve every tuple to a data offset first so errors surface before any copy.
    std::vector<int64_t> offsets(static_cast<size_t>(batches * per_batch));
    for (int64_t t = 0; t < batches * per_batch; ++t) {
      int64_t off = (t / std::max<int64_t>(per_batch, 1)) * batch_stride;
      for (int64_t j = 0; j < k; ++j) {
        const size_t d = b + static_cast<size_t>(j);
        int64_t v = idx[static_cast<size_t>(t * k + j)];
        if (v < -data->dim(d) || v >= data->dim(d)) {
          return ctx.Error(StatusCode::kInvalidArgument, "index ", v,
                           " in input 'indices' is out of range for data dim ", d, " of size ",
                           data->dim(d));
        }
        if (v < 0) v += data->dim(d);
        off += v * ds[d];
      }
      offsets[static_cast<size_t>(t)] = off;
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, data->dtype(), out_shape));
    if (y->size() == 0) return Status::Ok();
    return DispatchBySize(data->dtype(), [&](auto tag) -> Status {
      using U = typename decltype(tag)::type;
      const U* src = data->data<U>();
      U* dst = y->data<U>();
      auto body = [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          const U* s = src + offsets[static_cast<size_t>(t)];
          std::copy(s, s + slice, dst + t * slice);
        }
      };
      ctx.thread_pool().ParallelFor(
          static_cast<int64_t>(offsets.size()),
          std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, slice * sizeof(U))), body);
      return Status::Ok();
    });
  }

 private:
  int64_t batch_dims_ = 0;
};

}  // namespace

void RegisterOp_gather_nd(OpRegistry& registry) {
  registry.Register({"", "GatherND", 11, 21, MakeFactory<GatherNDKernel>()});
}

}  // namespace onnxedge::ops
