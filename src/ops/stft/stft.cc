// Copyright onnxedge authors.
// STFT: short-time Fourier transform (opset 17-21). signal [batch, length, 1|2], frame_step
// (scalar), optional window [frame_length], optional frame_length (scalar). The frame length is
// frame_length, else the window's length, else the signal length; a window and frame_length
// that disagree are an error. frames = 1 + (length - frame_length) / frame_step; each frame is
// multiplied by the window and transformed. onesided (default 1) keeps bins [0, N/2]; for
// complex input the full transform is cut the same way (ONNX reference behaviour).
// Output [batch, frames, bins, 2]. Types: float32, float64, float16, bfloat16, computed in
// double with fft_util.h.
#include "ops/common/fft_util.h"
#include "ops/common/signal_util.h"

namespace onnxedge::ops {

namespace {

using fft::Complex;

class StftKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<StftKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<StftKernel>();
    OE_ASSIGN_OR_RETURN(int64_t onesided, info.GetInt("onesided", 1));
    if (onesided != 0 && onesided != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'onesided' must be 0 or 1, got ",
                        onesided);
    }
    k->onesided_ = onesided == 1;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    if (x->rank() != 3 || (x->dim(2) != 1 && x->dim(2) != 2)) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'signal' must have shape "
                       "[batch, length, 1 or 2], got ",
                       ShapeToString(x->shape()));
    }
    if (x->dtype() != DataType::kFloat && x->dtype() != DataType::kDouble &&
        x->dtype() != DataType::kFloat16 && x->dtype() != DataType::kBfloat16) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'signal' has type ",
                       DataTypeName(x->dtype()), "; STFT takes float types");
    }
    const int64_t batch = x->dim(0), length = x->dim(1), comps = x->dim(2);
    OE_ASSIGN_OR_RETURN(int64_t step, signal::ReadScalarInt(ctx, 1, "frame_step"));
    if (step < 1) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'frame_step' must be >= 1, got ", step);
    }
    const Tensor* window = ctx.Input(2);
    if (window) {
      if (window->rank() != 1) {
        return ctx.Error(StatusCode::kInvalidArgument,
                         "input 'window' must have rank 1, got shape ",
                         ShapeToString(window->shape()));
      }
      if (window->dtype() != x->dtype()) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'window' has type ",
                         DataTypeName(window->dtype()), " but 'signal' has type ",
                         DataTypeName(x->dtype()));
      }
    }
    int64_t frame_length = window ? window->dim(0) : length;
    if (ctx.Input(3)) {
      OE_ASSIGN_OR_RETURN(frame_length, signal::ReadScalarInt(ctx, 3, "frame_length"));
      if (window && window->dim(0) != frame_length) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'frame_length' (", frame_length,
                         ") differs from the length of 'window' (", window->dim(0), ")");
      }
    }
    if (frame_length < 1 || frame_length > length) {
      return ctx.Error(StatusCode::kInvalidArgument, "frame length ", frame_length,
                       " must be in [1, signal length ", length, "]");
    }
    const int64_t frames = 1 + (length - frame_length) / step;
    const int64_t bins = onesided_ ? frame_length / 2 + 1 : frame_length;
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), {batch, frames, bins, 2}));
    if (y->size() == 0) return Status::Ok();
    std::vector<double> win(static_cast<size_t>(frame_length), 1.0);
    if (window) {
      OE_ASSIGN_OR_RETURN(win, ReadDoubles(*window, ctx.Describe()));
    }
    const fft::FftPlan plan(frame_length, false);

    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* src = x->data<T>();
      T* dst = y->data<T>();
      ctx.thread_pool().ParallelFor(
          batch * frames, std::max<int64_t>(1, 4096 / frame_length), [&](int64_t f0, int64_t f1) {
            std::vector<Complex> buf(static_cast<size_t>(frame_length));
            std::vector<Complex> scratch(static_cast<size_t>(plan.scratch_size()));
            for (int64_t bf = f0; bf < f1; ++bf) {
              const int64_t b = bf / frames, f = bf % frames;
              const T* in = src + (b * length + f * step) * comps;
              for (int64_t j = 0; j < frame_length; ++j) {
                const double w = win[static_cast<size_t>(j)];
                const double re = static_cast<double>(ToCompute(in[j * comps]));
                const double im =
                    comps == 2 ? static_cast<double>(ToCompute(in[j * comps + 1])) : 0;
                buf[static_cast<size_t>(j)] = Complex(re * w, im * w);
              }
              plan.Execute(buf.data(), scratch.data());
              T* out = dst + bf * bins * 2;
              for (int64_t k = 0; k < bins; ++k) {
                const Complex v = buf[static_cast<size_t>(k)];
                out[2 * k] = FromCompute<T>(static_cast<ComputeType<T>>(v.real()));
                out[2 * k + 1] = FromCompute<T>(static_cast<ComputeType<T>>(v.imag()));
              }
            }
          });
      return Status::Ok();
    });
  }

 private:
  bool onesided_ = true;
};

}  // namespace

void RegisterOp_stft(OpRegistry& registry) {
  registry.Register({"", "STFT", 17, 21, MakeFactory<StftKernel>()});
}

}  // namespace onnxedge::ops
