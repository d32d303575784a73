// Copyright onnxedge authors.
// ScatterND: output = data, then each index tuple (last dim of `indices`, k coordinates) selects
// a slice of data.shape[k:] that receives the matching slice of `updates`
// (shape indices.shape[:-1] + data.shape[k:]). Opsets 11-21: reduction none / add / mul from
// opset 16, max / min from 18. Every element type without a reduction, numeric with one;
// int64 indices (int32 accepted), negative coordinates count from the back.
#include "ops/common/scatter_util.h"

namespace onnxedge::ops {

namespace {

class ScatterNDKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ScatterNDKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ScatterNDKernel>();
    OE_ASSIGN_OR_RETURN(k->reduction_, ReadScatterReduction(info));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* data, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* ind, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(const Tensor* upd, ctx.RequiredInput(2));
    const size_t r = data->rank(), q = ind->rank();
    if (r < 1 || q < 1) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "inputs 'data' and 'indices' must have rank >= 1");
    }
    const int64_t k = ind->dim(q - 1);
    if (k < 0 || static_cast<size_t>(k) > r) {
      return ctx.Error(StatusCode::kInvalidArgument, "last dim of 'indices' (", k,
                       ") must be in [0, ", r, "]");
    }
    Shape want(ind->shape().begin(), ind->shape().end() - 1);
    want.insert(want.end(), data->shape().begin() + k, data->shape().end());
    if (upd->shape() != want || upd->dtype() != data->dtype()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'updates' is ",
                       DataTypeName(upd->dtype()), ShapeToString(upd->shape()), ", expected ",
                       DataTypeName(data->dtype()), ShapeToString(want));
    }
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> idx,
                        ReadInt64s(*ind, ctx.Describe() + " input 'indices'"));
    const int64_t tuples = DimProduct(ind->shape(), 0, q - 1);
    const int64_t slice = DimProduct(data->shape(), static_cast<size_t>(k), r);
    const std::vector<int64_t> ds = Strides(data->shape());
    std::vector<int64_t> offsets(static_cast<size_t>(tuples));
    for (int64_t t = 0; t < tuples; ++t) {
      int64_t off = 0;
      for (int64_t j = 0; j < k; ++j) {
        const size_t d = static_cast<size_t>(j);
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
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, data->dtype(), data->shape()));
    CopyElements(data->dtype(), data->raw_data(), y->raw_data(), data->size());
    return ApplyScatter(reduction_, *y, *upd, [&](auto&& apply) {
      for (int64_t t = 0; t < tuples; ++t) {
        const int64_t off = offsets[static_cast<size_t>(t)];
        for (int64_t i = 0; i < slice; ++i) apply(off + i, t * slice + i);
      }
    });
  }

 private:
  ScatterReduction reduction_ = ScatterReduction::kNone;
};

}  // namespace

void RegisterOp_scatter_nd(OpRegistry& registry) {
  registry.Register({"", "ScatterND", 11, 21, MakeFactory<ScatterNDKernel>()});
}

}  // namespace onnxedge::ops
