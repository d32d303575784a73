// Copyright onnxedge authors.
// RoiAlign (opset 10-21): pools each region of interest of X (N, C, H, W) into
// Y (num_rois, C, output_height, output_width) by averaging (or taking the max of) bilinear
// samples on a regular grid inside each output bin (Mask R-CNN's RoIAlign).
//   rois (num_rois, 4) as [x1, y1, x2, y2] in input-image coordinates, scaled by spatial_scale;
//   batch_indices (num_rois) selects the image of each roi.
//   sampling_ratio: samples per bin along each axis; 0 = adaptive ceil(roi_size / output_size).
//   10: no pixel shift; rois smaller than 1 pixel are widened to 1 (output_half_pixel).
//   16: coordinate_transformation_mode half_pixel (default: shift by -0.5, no widening) or
//       output_half_pixel (the opset-10 behaviour).
// mode max takes, per bin, the max over samples of the max of the four weighted corner terms:
// that is what ONNX Runtime and the ONNX reference compute, so models expect it.
// Samples more than one pixel outside the image contribute 0 (and count toward the average).
// Types: float16 / bfloat16 / float / double (16-bit computed in float), batch_indices int64
// (int32 accepted).
#include <algorithm>
#include <cmath>
#include <mutex>

#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

struct Sample {
  int64_t pos[4];
  double w[4];
};

class RoiAlignKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<RoiAlignKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<RoiAlignKernel>();
    OE_ASSIGN_OR_RETURN(std::string mode, info.GetString("mode", "avg"));
    if (mode == "avg") {
      k->max_mode_ = false;
    } else if (mode == "max") {
      k->max_mode_ = true;
    } else {
      return info.Error(StatusCode::kInvalidModel, "attribute 'mode' is '", mode,
                        "', expected avg or max");
    }
    OE_ASSIGN_OR_RETURN(k->out_h_, info.GetInt("output_height", 1));
    OE_ASSIGN_OR_RETURN(k->out_w_, info.GetInt("output_width", 1));
    if (k->out_h_ < 1 || k->out_w_ < 1) {
      return info.Error(StatusCode::kInvalidModel, "attributes 'output_height' (", k->out_h_,
                        ") and 'output_width' (", k->out_w_, ") must be >= 1");
    }
    OE_ASSIGN_OR_RETURN(k->sampling_ratio_, info.GetInt("sampling_ratio", 0));
    if (k->sampling_ratio_ < 0) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'sampling_ratio' is ",
                        k->sampling_ratio_, ", expected >= 0");
    }
    OE_ASSIGN_OR_RETURN(float scale, info.GetFloat("spatial_scale", 1.f));
    if (!std::isfinite(scale)) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'spatial_scale' is not finite");
    }
    k->spatial_scale_ = scale;
    if (info.since_version() >= 16) {
      OE_ASSIGN_OR_RETURN(std::string ctm,
                          info.GetString("coordinate_transformation_mode", "half_pixel"));
      if (ctm == "half_pixel") {
        k->half_pixel_ = true;
      } else if (ctm == "output_half_pixel") {
        k->half_pixel_ = false;
      } else {
        return info.Error(StatusCode::kInvalidModel,
                          "attribute 'coordinate_transformation_mode' is '", ctm,
                          "', expected half_pixel or output_half_pixel");
      }
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* rois, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(const Tensor* batch, ctx.RequiredInput(2));
    if (x->rank() != 4) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'X' has shape ",
                       ShapeToString(x->shape()), "; expected (N, C, H, W)");
    }
    if (rois->rank() != 2 || rois->dim(1) != 4) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'rois' has shape ",
                       ShapeToString(rois->shape()), "; expected (num_rois, 4)");
    }
    if (rois->dtype() != x->dtype()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'rois' is ",
                       DataTypeName(rois->dtype()), " but 'X' is ", DataTypeName(x->dtype()));
    }
    const int64_t num_rois = rois->dim(0);
    if (batch->rank() != 1 || batch->dim(0) != num_rois) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'batch_indices' has shape ",
                       ShapeToString(batch->shape()), "; expected (", num_rois, ")");
    }
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> bidx,
                        ReadInt64s(*batch, ctx.Describe() + " input 'batch_indices'"));
    for (size_t i = 0; i < bidx.size(); ++i) {
      if (bidx[i] < 0 || bidx[i] >= x->dim(0)) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'batch_indices' value ", bidx[i],
                         " at ", i, " is outside [0, ", x->dim(0), ")");
      }
    }
    OE_ASSIGN_OR_RETURN(std::vector<double> roi_values,
                        ReadDoubles(*rois, ctx.Describe() + " input 'rois'"));
    const int64_t channels = x->dim(1);
    OE_ASSIGN_OR_RETURN(Tensor * y,
                        ctx.AllocateOutput(0, x->dtype(), {num_rois, channels, out_h_, out_w_}));
    if (y->size() == 0) return Status::Ok();
    if (x->dim(2) == 0 || x->dim(3) == 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'X' has an empty image ",
                       ShapeToString(x->shape()));
    }
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return Compute<T>(ctx, *x, roi_values, bidx, y);
    });
  }

 private:
  template <typename T>
  Status Compute(KernelContext& ctx, const Tensor& x, const std::vector<double>& rois,
                 const std::vector<int64_t>& bidx, Tensor* y) const {
    using C = ComputeType<T>;
    const int64_t channels = x.dim(1), height = x.dim(2), width = x.dim(3);
    const int64_t num_rois = static_cast<int64_t>(bidx.size());
    const T* src = x.data<T>();
    T* dst = y->data<T>();
    const int64_t ph_n = out_h_, pw_n = out_w_;
    Status status = Status::Ok();
    std::mutex status_mu;
    // One roi per task: the sample table is shared by all channels of that roi.
    ctx.thread_pool().ParallelFor(num_rois, 1, [&](int64_t begin, int64_t end) {
      std::vector<Sample> samples;
      for (int64_t n = begin; n < end; ++n) {
        const double offset = half_pixel_ ? 0.5 : 0.0;
        const double* r = rois.data() + n * 4;
        const double start_w = r[0] * spatial_scale_ - offset;
        const double start_h = r[1] * spatial_scale_ - offset;
        const double end_w = r[2] * spatial_scale_ - offset;
        const double end_h = r[3] * spatial_scale_ - offset;
        double roi_w = end_w - start_w, roi_h = end_h - start_h;
        if (!half_pixel_) {
          // Legacy behaviour: force malformed rois to 1x1.
          roi_w = std::max(roi_w, 1.0);
          roi_h = std::max(roi_h, 1.0);
        }
        const double bin_h = roi_h / static_cast<double>(ph_n);
        const double bin_w = roi_w / static_cast<double>(pw_n);
        double grid_hd = sampling_ratio_ > 0 ? static_cast<double>(sampling_ratio_)
                                             : std::ceil(roi_h / static_cast<double>(ph_n));
        double grid_wd = sampling_ratio_ > 0 ? static_cast<double>(sampling_ratio_)
                                             : std::ceil(roi_w / static_cast<double>(pw_n));
        if (!std::isfinite(grid_hd) || !std::isfinite(grid_wd) ||
            grid_hd * grid_wd * static_cast<double>(ph_n * pw_n) > 16777216.0) {
          std::lock_guard<std::mutex> lock(status_mu);
          status = ctx.Error(StatusCode::kInvalidArgument, "roi ", n,
                             " needs too many samples (roi size ", roi_h, " x ", roi_w, ")");
          return;
        }
        const int64_t grid_h = std::max<int64_t>(0, static_cast<int64_t>(grid_hd));
        const int64_t grid_w = std::max<int64_t>(0, static_cast<int64_t>(grid_wd));
        const double count = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
        samples.resize(static_cast<size_t>(ph_n * pw_n * grid_h * grid_w));
        size_t si = 0;
        for (int64_t ph = 0; ph < ph_n; ++ph) {
          for (int64_t pw = 0; pw < pw_n; ++pw) {
            for (int64_t iy = 0; iy < grid_h; ++iy) {
              const double yy =
                  start_h + static_cast<double>(ph) * bin_h +
                  (static_cast<double>(iy) + 0.5) * bin_h / static_cast<double>(grid_h);
              for (int64_t ix = 0; ix < grid_w; ++ix) {
                const double xx =
                    start_w + static_cast<double>(pw) * bin_w +
                    (static_cast<double>(ix) + 0.5) * bin_w / static_cast<double>(grid_w);
                samples[si++] = Bilinear(yy, xx, height, width);
              }
            }
          }
        }
        const int64_t per_bin = grid_h * grid_w;
        const int64_t bidx_n = bidx[static_cast<size_t>(n)];
        for (int64_t c = 0; c < channels; ++c) {
          const T* plane = src + (bidx_n * channels + c) * height * width;
          T* out = dst + (n * channels + c) * ph_n * pw_n;
          const Sample* s = samples.data();
          for (int64_t b = 0; b < ph_n * pw_n; ++b) {
            C acc = 0;
            if (!max_mode_) {
              for (int64_t i = 0; i < per_bin; ++i, ++s) {
                acc += static_cast<C>(s->w[0]) * ToCompute(plane[s->pos[0]]) +
                       static_cast<C>(s->w[1]) * ToCompute(plane[s->pos[1]]) +
                       static_cast<C>(s->w[2]) * ToCompute(plane[s->pos[2]]) +
                       static_cast<C>(s->w[3]) * ToCompute(plane[s->pos[3]]);
              }
              acc /= static_cast<C>(count);
            } else {
              for (int64_t i = 0; i < per_bin; ++i, ++s) {
                C v = static_cast<C>(s->w[0]) * ToCompute(plane[s->pos[0]]);
                for (int k = 1; k < 4; ++k) {
                  v = std::max(v, static_cast<C>(s->w[k]) * ToCompute(plane[s->pos[k]]));
                }
                acc = i == 0 ? v : std::max(acc, v);
              }
            }
            out[b] = FromCompute<T>(acc);
          }
        }
      }
    });
    return status;
  }

  // Corner positions and weights of the bilinear sample at (y, x); all-zero weights for points
  // more than one pixel outside the image.
  static Sample Bilinear(double y, double x, int64_t height, int64_t width) {
    Sample s{};
    if (!(y >= -1.0 && y <= static_cast<double>(height) && x >= -1.0 &&
          x <= static_cast<double>(width))) {
      return s;  // Also rejects NaN.
    }
    y = std::max(y, 0.0);
    x = std::max(x, 0.0);
    int64_t y_low = static_cast<int64_t>(y), x_low = static_cast<int64_t>(x);
    int64_t y_high, x_high;
    if (y_low >= height - 1) {
      y_high = y_low = height - 1;
      y = static_cast<double>(y_low);
    } else {
      y_high = y_low + 1;
    }
    if (x_low >= width - 1) {
      x_high = x_low = width - 1;
      x = static_cast<double>(x_low);
    } else {
      x_high = x_low + 1;
    }
    const double ly = y - static_cast<double>(y_low), lx = x - static_cast<double>(x_low);
    const double hy = 1.0 - ly, hx = 1.0 - lx;
    s.pos[0] = y_low * width + x_low;
    s.pos[1] = y_low * width + x_high;
    s.pos[2] = y_high * width + x_low;
    s.pos[3] = y_high * width + x_high;
    s.w[0] = hy * hx;
    s.w[1] = hy * lx;
    s.w[2] = ly * hx;
    s.w[3] = ly * lx;
    return s;
  }

  bool max_mode_ = false;
  bool half_pixel_ = false;  // Opset 10 has no shift.
  int64_t out_h_ = 1, out_w_ = 1;
  int64_t sampling_ratio_ = 0;
  double spatial_scale_ = 1.0;
};

}  // namespace

void RegisterOp_roi_align(OpRegistry& registry) {
  registry.Register({"", "RoiAlign", 10, 21, MakeFactory<RoiAlignKernel>()});
}

}  // namespace onnxedge::ops
