// Copyright onnxedge authors.
// MaxUnpool: scatters X into a zero tensor at the positions recorded by MaxPool's Indices
// (opsets 9-21; 11 only widened the types). Indices are flattened over the default output
// shape [N, C, (in - 1) * stride - pad_begin - pad_end + kernel, ...]; when the optional
// output_shape input asks for a different shape, each index is mapped by its coordinates (the
// extra size is padding at the end, as in the ONNX reference and ONNX Runtime).
// Types: X float32/float64/float16/bfloat16, I int64. An index outside the shape is an error.
#include <cstring>
#include <memory>

#include "ops/common/nn_util.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class MaxUnpoolKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<MaxUnpoolKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<MaxUnpoolKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, ParseWindowAttrs(info, /*kernel_required=*/true,
                                                    /*has_dilations=*/false));
    if (k->attrs_.auto_pad != AutoPad::kNotSet) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'auto_pad' is not an attribute of ",
                        "MaxUnpool");
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* ind, ctx.RequiredInput(1));
    const Tensor* shape_in = ctx.Input(2);
    const size_t rank = x->rank();
    const size_t spatial = attrs_.kernel_shape.size();
    if (rank != spatial + 2) {
      return ctx.Error(StatusCode::kInvalidArgument, "input X has shape ",
                       ShapeToString(x->shape()), " but attribute 'kernel_shape' has ", spatial,
                       " dims");
    }
    if (ind->dtype() != DataType::kInt64 || ind->shape() != x->shape()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input I must be int64 with X's shape ",
                       ShapeToString(x->shape()), ", got ", DataTypeName(ind->dtype()),
                       ShapeToString(ind->shape()));
    }
    Shape def_shape{x->dim(0), x->dim(1)};
    for (size_t i = 0; i < spatial; ++i) {
      const int64_t s = attrs_.strides.empty() ? 1 : attrs_.strides[i];
      const int64_t pb = attrs_.pads.empty() ? 0 : attrs_.pads[i];
      const int64_t pe = attrs_.pads.empty() ? 0 : attrs_.pads[spatial + i];
      const int64_t d = (x->dim(i + 2) - 1) * s - pb - pe + attrs_.kernel_shape[i];
      if (d < 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "output spatial dim ", i, " would be ", d);
      }
      def_shape.push_back(d);
    }
    Shape out_shape = def_shape;
    if (shape_in) {
      OE_ASSIGN_OR_RETURN(out_shape, ReadInt64s(*shape_in, ctx.Describe() + " input output_shape"));
      if (out_shape.size() != rank) {
        return ctx.Error(StatusCode::kInvalidArgument, "input output_shape has ", out_shape.size(),
                         " values, expected ", rank);
      }
      for (size_t i = 0; i < rank; ++i) {
        if (out_shape[i] < 0 || (i < 2 && out_shape[i] != x->dim(i))) {
          return ctx.Error(StatusCode::kInvalidArgument, "input output_shape ",
                           ShapeToString(out_shape), " does not fit X of shape ",
                           ShapeToString(x->shape()));
        }
      }
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape));
    const int64_t* idx = ind->data<int64_t>();
    const int64_t def_total = ShapeElementCount(def_shape);
    const bool same = out_shape == def_shape;
    const size_t elem = DataTypeSize(x->dtype());
    const char* src = static_cast<const char*>(x->raw_data());
    char* dst = static_cast<char*>(y->raw_data());
    for (int64_t j = 0; j < x->size(); ++j) {
      int64_t v = idx[j];
      if (v < 0 || v >= def_total) {
        return ctx.Error(StatusCode::kInvalidArgument, "input I has index ", v,
                         " outside the unpooled shape ", ShapeToString(def_shape));
      }
      int64_t o = v;
      if (!same) {
        // Coordinates in the default shape, re-flattened in the requested shape.
        int64_t rem = v, mul = 1;
        o = 0;
        for (size_t d = rank; d-- > 0;) {
          const int64_t c = rem % def_shape[d];
          rem /= def_shape[d];
          if (c >= out_shape[d]) {
            return ctx.Error(StatusCode::kInvalidArgument, "input I has index ", v,
                             " outside output_shape ", ShapeToString(out_shape));
          }
          o += c * mul;
          mul *= out_shape[d];
        }
      }
      std::memcpy(dst + o * elem, src + j * elem, elem);
    }
    return Status::Ok();
  }

 private:
  WindowAttrs attrs_;
};

}  // namespace

void RegisterOp_max_unpool(OpRegistry& registry) {
  registry.Register({"", "MaxUnpool", 9, 21, MakeFactory<MaxUnpoolKernel>()});
}

}  // namespace onnxedge::ops
