// Copyright onnxedge authors.
#include "ops/common/nn_util.h"

#include <algorithm>

namespace onnxedge::ops {

StatusOr<WindowAttrs> ParseWindowAttrs(const KernelInfo& info, bool kernel_required,
                                       bool has_dilations) {
  WindowAttrs a;
  OE_ASSIGN_OR_RETURN(std::string auto_pad, info.GetString("auto_pad", "NOTSET"));
  if (auto_pad == "NOTSET" || auto_pad.empty()) {
    a.auto_pad = AutoPad::kNotSet;
  } else if (auto_pad == "SAME_UPPER") {
    a.auto_pad = AutoPad::kSameUpper;
  } else if (auto_pad == "SAME_LOWER") {
    a.auto_pad = AutoPad::kSameLower;
  } else if (auto_pad == "VALID") {
    a.auto_pad = AutoPad::kValid;
  } else {
    return info.Error(StatusCode::kInvalidModel, "attribute 'auto_pad' has unknown value '",
                      auto_pad, "' (expected NOTSET, SAME_UPPER, SAME_LOWER or VALID)");
  }
  if (kernel_required) {
    OE_ASSIGN_OR_RETURN(a.kernel_shape, info.GetInts("kernel_shape"));
    if (a.kernel_shape.empty()) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'kernel_shape' is empty");
    }
  } else {
    OE_ASSIGN_OR_RETURN(a.kernel_shape, info.GetInts("kernel_shape", {}));
  }
  OE_ASSIGN_OR_RETURN(a.strides, info.GetInts("strides", {}));
  if (has_dilations) {
    OE_ASSIGN_OR_RETURN(a.dilations, info.GetInts("dilations", {}));
  }
  OE_ASSIGN_OR_RETURN(a.pads, info.GetInts("pads", {}));
  for (int64_t k : a.kernel_shape) {
    if (k <= 0) return info.Error(StatusCode::kInvalidModel, "attribute 'kernel_shape' has ", k);
  }
  for (int64_t s : a.strides) {
    if (s <= 0) return info.Error(StatusCode::kInvalidModel, "attribute 'strides' has ", s);
  }
  for (int64_t d : a.dilations) {
    if (d <= 0) return info.Error(StatusCode::kInvalidModel, "attribute 'dilations' has ", d);
  }
  for (int64_t p : a.pads) {
    if (p < 0) return info.Error(StatusCode::kInvalidModel, "attribute 'pads' has ", p);
  }
  if (a.pads.size() % 2 != 0) {
    return info.Error(StatusCode::kInvalidModel, "attribute 'pads' has odd length ", a.pads.size());
  }
  const size_t rank = a.kernel_shape.size();
  if (rank > 0) {
    if (rank > static_cast<size_t>(kMaxSpatialDims)) {
      return info.Error(StatusCode::kNotImplemented, "attribute 'kernel_shape' has ", rank,
                        " spatial dims; at most ", kMaxSpatialDims, " are supported");
    }
    if (!a.strides.empty() && a.strides.size() != rank) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'strides' has ", a.strides.size(),
                        " values for ", rank, " spatial dims");
    }
    if (!a.dilations.empty() && a.dilations.size() != rank) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'dilations' has ", a.dilations.size(),
                        " values for ", rank, " spatial dims");
    }
    if (!a.pads.empty() && a.pads.size() != 2 * rank) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'pads' has ", a.pads.size(),
                        " values for ", rank, " spatial dims");
    }
  }
  return a;
}

Shape WindowGeometry::OutDims() const {
  return Shape(out.begin() + (3 - spatial_rank), out.end());
}

StatusOr<WindowGeometry> ComputeWindowGeometry(const WindowAttrs& attrs,
                                               const Shape& in_spatial, const Shape& kernel,
                                               bool ceil_mode,
                                               const std::string& where) {
  const size_t rank = in_spatial.size();
  if (rank == 0 || rank > static_cast<size_t>(kMaxSpatialDims)) {
    return MakeError(rank == 0 ? StatusCode::kInvalidArgument : StatusCode::kNotImplemented, where,
                     ": input has ", rank, " spatial dims; 1 to ", kMaxSpatialDims,
                     " are supported");
  }
  if (kernel.size() != rank) {
    return MakeError(StatusCode::kInvalidArgument, where, ": kernel has ", kernel.size(),
                     " spatial dims but the input has ", rank);
  }
  auto check_len = [&](const std::vector<int64_t>& v, size_t n, const char* name) -> Status {
    if (!v.empty() && v.size() != n) {
      return MakeError(StatusCode::kInvalidArgument, where, ": attribute '", name, "' has ",
                       v.size(), " values for an input with ", rank, " spatial dims");
    }
    return Status::Ok();
  };
  OE_RETURN_IF_ERROR(check_len(attrs.strides, rank, "strides"));
  OE_RETURN_IF_ERROR(check_len(attrs.dilations, rank, "dilations"));
  OE_RETURN_IF_ERROR(check_len(attrs.pads, 2 * rank, "pads"));
  WindowGeometry g;
  g.spatial_rank = static_cast<int>(rank);
  const size_t off = 3 - rank;
  for (size_t i = 0; i < rank; ++i) {
    const size_t d = off + i;
    g.in[d] = in_spatial[i];
    g.kernel[d] = kernel[i];
    if (kernel[i] <= 0) {
      return MakeError(StatusCode::kInvalidArgument, where, ": kernel dim ", i, " is ", kernel[i]);
    }
    g.stride[d] = attrs.strides.empty() ? 1 : attrs.strides[i];
    g.dilation[d] = attrs.dilations.empty() ? 1 : attrs.dilations[i];
    const int64_t in = g.in[d], s = g.stride[d];
    const int64_t ek = (g.kernel[d] - 1) * g.dilation[d] + 1;  // effective (dilated) kernel
    switch (attrs.auto_pad) {
      case AutoPad::kNotSet: {
        g.pad_begin[d] = attrs.pads.empty() ? 0 : attrs.pads[i];
        g.pad_end[d] = attrs.pads.empty() ? 0 : attrs.pads[rank + i];
        const int64_t span = in + g.pad_begin[d] + g.pad_end[d] - ek;
        if (span < 0) {
          return MakeError(StatusCode::kInvalidArgument, where, ": kernel extent ", ek,
                           " exceeds padded input size ", in + g.pad_begin[d] + g.pad_end[d],
                           " in spatial dim ", i);
        }
        int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
        // A window that starts in the end padding covers no input: drop it (as PyTorch does).
        if (ceil_mode && out > 1 && (out - 1) * s >= in + g.pad_begin[d]) --out;
        g.out[d] = out;
        break;
      }
      case AutoPad::kValid: {
        if (in < ek) {
          return MakeError(StatusCode::kInvalidArgument, where, ": kernel extent ", ek,
                           " exceeds input size ", in, " in spatial dim ", i);
        }
        g.out[d] = (in - ek) / s + 1;
        break;
      }
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        const int64_t out = (in + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (out - 1) * s + ek - in);
        const int64_t small = total / 2, big = total - small;
        g.pad_begin[d] = attrs.auto_pad == AutoPad::kSameUpper ? small : big;
        g.pad_end[d] = attrs.auto_pad == AutoPad::kSameUpper ? big : small;
        g.out[d] = out;
        break;
      }
    }
  }
  return g;
}

std::vector<TapRange> ComputeTapRanges(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                       int64_t dilation, int64_t pad_begin) {
  std::vector<TapRange> r;
  ComputeTapRanges(in, out, kernel, stride, dilation, pad_begin, &r);
  return r;
}

void ComputeTapRanges(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t dilation,
                      int64_t pad_begin, std::vector<TapRange>* ranges) {
  std::vector<TapRange>& r = *ranges;
  r.resize(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const int64_t base = o * stride - pad_begin;
    // Smallest k with base + k*d >= 0, largest k with base + k*d < in.
    int64_t lo = base >= 0 ? 0 : (-base + dilation - 1) / dilation;
    int64_t hi = base >= in ? 0 : (in - 1 - base) / dilation + 1;
    lo = std::min(lo, kernel);
    hi = std::min(hi, kernel);
    if (hi < lo) hi = lo;
    r[static_cast<size_t>(o)] = {static_cast<int32_t>(lo), static_cast<int32_t>(hi)};
  }
}

StatusOr<kernels::Activation> ParseFusedActivation(const KernelInfo& info) {
  return ParseFusedActivation(info, "activation", "activation_params");
}

StatusOr<kernels::Activation> ParseFusedActivation(const KernelInfo& info,
                                                   const std::string& name_attr,
                                                   const std::string& params_attr) {
  OE_ASSIGN_OR_RETURN(std::string name, info.GetString(name_attr, ""));
  OE_ASSIGN_OR_RETURN(std::vector<float> params, info.GetFloats(params_attr, {}));
  kernels::Activation act;
  if (name.empty()) {
    if (!params.empty()) {
      return info.Error(StatusCode::kInvalidModel, "attribute '", params_attr,
                        "' given without '", name_attr, "'");
    }
    return act;
  }
  if (!kernels::ParseActivation(name, params.data(), static_cast<int>(params.size()), &act)) {
    return info.Error(StatusCode::kInvalidModel, "attribute '", name_attr, "' '", name, "' with ",
                      params.size(),
                      " parameter(s) is not supported (Relu, Clip[min,max], LeakyRelu[alpha], "
                      "Sigmoid, HardSigmoid[alpha,beta], HardSwish, Silu, Gelu, GeluTanh)");
  }
  return act;
}

}  // namespace onnxedge::ops
