// Copyright onnxedge authors.
// Resize (opset 10-21): nearest / (multi)linear / (multi)cubic resampling of any subset of axes.
//   10: inputs X, scales; asymmetric coordinates; nearest picks floor when upsampling an axis and
//       ceil when downsampling it (ONNX Runtime's behaviour for this version).
//   11, 13: inputs X, roi, scales, sizes (one of scales / sizes); coordinate_transformation_mode
//       (half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn,
//       tf_crop_and_resize with extrapolation_value), nearest_mode, cubic_coeff_a,
//       exclude_outside.
//   18: antialias (linear / cubic filters widened by 1 / scale when downsampling), axes,
//       keep_aspect_ratio_policy (stretch, not_larger, not_smaller).
//   19: half_pixel_symmetric.
// Types: nearest works on every element type (strings and bool included); linear and cubic on
// numeric types (16-bit floats computed in float; integer results rounded to nearest and
// saturated, where the ONNX reference truncates). The engine lives in ops/common/resize_util.*
// (shared with Upsample).
// Known choices: tf_half_pixel_for_nn and half_pixel_symmetric are accepted at every version;
// exclude_outside applies to every mode (as in the ONNX reference); the output length from
// scales ignores roi (as ONNX Runtime and the reference do).
#include "ops/common/op_util.h"
#include "ops/common/resize_util.h"

namespace onnxedge::ops {

namespace {

class ResizeKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ResizeKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ResizeKernel>();
    const int since = info.since_version();
    k->since_ = since;
    OE_ASSIGN_OR_RETURN(std::string mode, info.GetString("mode", "nearest"));
    if (!resize::ParseMode(mode, &k->p_.mode)) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'mode' is '", mode,
                        "', expected nearest, linear or cubic");
    }
    if (since < 11) {
      k->p_.coord = resize::CoordMode::kAsymmetric;
      k->p_.nearest = resize::NearestMode::kSimple;
      return k;
    }
    OE_ASSIGN_OR_RETURN(std::string coord,
                        info.GetString("coordinate_transformation_mode", "half_pixel"));
    if (!resize::ParseCoordMode(coord, &k->p_.coord)) {
      return info.Error(StatusCode::kInvalidModel,
                        "attribute 'coordinate_transformation_mode' is '", coord,
                        "', which is not a known mode");
    }
    OE_ASSIGN_OR_RETURN(std::string nearest, info.GetString("nearest_mode", "round_prefer_floor"));
    if (!resize::ParseNearestMode(nearest, &k->p_.nearest)) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'nearest_mode' is '", nearest,
                        "', expected round_prefer_floor, round_prefer_ceil, floor or ceil");
    }
    OE_ASSIGN_OR_RETURN(float a, info.GetFloat("cubic_coeff_a", -0.75f));
    k->p_.cubic_a = a;
    OE_ASSIGN_OR_RETURN(int64_t exclude, info.GetInt("exclude_outside", 0));
    if (exclude != 0 && exclude != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'exclude_outside' is ", exclude,
                        ", expected 0 or 1");
    }
    k->p_.exclude_outside = exclude == 1;
    OE_ASSIGN_OR_RETURN(float extrap, info.GetFloat("extrapolation_value", 0.f));
    k->p_.extrapolation_value = extrap;
    if (since >= 18) {
      OE_ASSIGN_OR_RETURN(int64_t antialias, info.GetInt("antialias", 0));
      if (antialias != 0 && antialias != 1) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'antialias' is ", antialias,
                          ", expected 0 or 1");
      }
      // Antialiasing only defines a filter for linear and cubic; nearest ignores it.
      k->p_.antialias = antialias == 1 && k->p_.mode != resize::Mode::kNearest;
      OE_ASSIGN_OR_RETURN(k->axes_, info.GetInts("axes", {}));
      OE_ASSIGN_OR_RETURN(std::string policy,
                          info.GetString("keep_aspect_ratio_policy", "stretch"));
      if (!resize::ParseAspectPolicy(policy, &k->policy_)) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'keep_aspect_ratio_policy' is '",
                          policy, "', expected stretch, not_larger or not_smaller");
      }
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const int64_t rank = static_cast<int64_t>(x->rank());
    if (rank == 0) return ctx.Error(StatusCode::kInvalidArgument, "input 'X' must not be a scalar");
    // Per-thread request and specs, refilled in place: no allocation per run once grown.
    thread_local resize::SizeRequest tls_req;
    thread_local std::vector<resize::AxisSpec> tls_specs;
    resize::SizeRequest& req = tls_req;
    req.axes.clear();
    req.scales.clear();
    req.sizes.clear();
    req.roi.clear();
    req.policy = policy_;
    if (!axes_.empty()) {
      Shape axes;
      OE_RETURN_IF_ERROR(NormalizeAxesInto(axes_, rank, ctx.Describe(), &axes));
      req.axes.assign(axes.begin(), axes.end());
    }
    const Tensor* scales = nullptr;
    const Tensor* sizes = nullptr;
    const Tensor* roi = nullptr;
    if (since_ < 11) {
      OE_ASSIGN_OR_RETURN(scales, ctx.RequiredInput(1));
    } else {
      roi = ctx.Input(1);
      scales = ctx.Input(2);
      sizes = ctx.Input(3);
    }
    const bool has_scales = scales && scales->size() > 0;
    const bool has_sizes = sizes && sizes->size() > 0;
    if (has_scales && has_sizes) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "inputs 'scales' and 'sizes' are both given; only one may be");
    }
    if (has_scales && scales->dtype() == DataType::kFloat) {
      req.scales.assign(scales->data<float>(), scales->data<float>() + scales->size());
    } else if (has_scales) {
      OE_ASSIGN_OR_RETURN(req.scales, ReadDoubles(*scales, ctx.Describe() + " input 'scales'"));
    } else if (has_sizes && sizes->dtype() == DataType::kInt64) {
      req.sizes.assign(sizes->data<int64_t>(), sizes->data<int64_t>() + sizes->size());
    } else if (has_sizes) {
      OE_ASSIGN_OR_RETURN(req.sizes, ReadInt64s(*sizes, ctx.Describe() + " input 'sizes'"));
    } else {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "one of inputs 'scales' and 'sizes' must be given and non-empty");
    }
    if (p_.coord == resize::CoordMode::kTfCropAndResize && roi && roi->size() > 0) {
      if (roi->dtype() == DataType::kFloat) {
        req.roi.assign(roi->data<float>(), roi->data<float>() + roi->size());
      } else {
        OE_ASSIGN_OR_RETURN(req.roi, ReadDoubles(*roi, ctx.Describe() + " input 'roi'"));
      }
    }
    OE_RETURN_IF_ERROR(resize::ComputeAxisSpecs(x->shape(), req, ctx.Describe(), &tls_specs));
    return resize::Run(ctx, p_, *x, tls_specs);
  }

 private:
  int since_ = 13;
  resize::Params p_;
  std::vector<int64_t> axes_;
  resize::AspectPolicy policy_ = resize::AspectPolicy::kStretch;
};

}  // namespace

void RegisterOp_resize(OpRegistry& registry) {
  registry.Register({"", "Resize", 10, 21, MakeFactory<ResizeKernel>()});
}

}  // namespace onnxedge::ops
