// Copyright onnxedge authors.
// Upsample (opset 7-9; deprecated at 10, kept for old models): output length
// floor(in * scale) per axis, asymmetric coordinates (x_in = x_out / scale).
//   7: scales attribute. 9: scales input (float).
// Modes: nearest (floor of the source coordinate, ceil on an axis whose scale is below 1, as
// ONNX Runtime does) and linear (N-linear, edges clamped); "bilinear" is accepted as linear
// for models exported by old converters. Nearest works on every element type, linear on
// numeric types. Shares the Resize engine (ops/common/resize_util.*).
#include <cmath>

#include "ops/common/op_util.h"
#include "ops/common/resize_util.h"

namespace onnxedge::ops {

namespace {

class UpsampleKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<UpsampleKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<UpsampleKernel>();
    OE_ASSIGN_OR_RETURN(std::string mode, info.GetString("mode", "nearest"));
    if (mode == "nearest") {
      k->p_.mode = resize::Mode::kNearest;
    } else if (mode == "linear" || mode == "bilinear") {
      k->p_.mode = resize::Mode::kLinear;
    } else {
      return info.Error(StatusCode::kInvalidModel, "attribute 'mode' is '", mode,
                        "', expected nearest or linear");
    }
    k->p_.coord = resize::CoordMode::kAsymmetric;
    k->p_.nearest = resize::NearestMode::kSimple;
    if (info.since_version() < 9) {
      OE_ASSIGN_OR_RETURN(std::vector<float> scales, info.GetFloats("scales"));
      for (float s : scales) {
        if (!(s > 0.f) || !std::isfinite(s)) {
          return info.Error(StatusCode::kInvalidModel, "attribute 'scales' value ", s,
                            " must be a finite number > 0");
        }
        k->scales_.push_back(s);
      }
      k->scales_from_attribute_ = true;
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    if (x->rank() == 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'X' must not be a scalar");
    }
    resize::SizeRequest req;
    if (scales_from_attribute_) {
      req.scales = scales_;
    } else {
      OE_ASSIGN_OR_RETURN(const Tensor* scales, ctx.RequiredInput(1));
      OE_ASSIGN_OR_RETURN(req.scales, ReadDoubles(*scales, ctx.Describe() + " input 'scales'"));
    }
    if (req.scales.size() != x->rank()) {
      return ctx.Error(StatusCode::kInvalidArgument, "'scales' has ", req.scales.size(),
                       " values but input 'X' has rank ", x->rank());
    }
    OE_ASSIGN_OR_RETURN(std::vector<resize::AxisSpec> specs,
                        resize::ComputeAxisSpecs(x->shape(), req, ctx.Describe()));
    return resize::Run(ctx, p_, *x, specs);
  }

 private:
  resize::Params p_;
  std::vector<double> scales_;
  bool scales_from_attribute_ = false;
};

}  // namespace

void RegisterOp_upsample(OpRegistry& registry) {
  registry.Register({"", "Upsample", 7, 9, MakeFactory<UpsampleKernel>()});
}

}  // namespace onnxedge::ops
