// Copyright onnxedge authors.
// DFT: discrete Fourier transform along one axis (opset 17-21). Opset 17 takes `axis` as an
// attribute (default 1); opset 20 takes it as optional input 2 (default -2). The axis indexes
// the input's dims, whose last dim holds 1 (real) or 2 (real, imaginary) values; accepted
// range [-r, -2] and [0, r-2]. dft_length (input 1) zero-pads or truncates the signal.
// inverse applies e^{+2 pi i kn/N} and 1/N. onesided keeps bins [0, N/2]: forward on real
// input is the RFFT; with inverse (or complex input) the full transform is computed and then
// cut to N/2+1 bins, as the ONNX reference implementation does.
// Types: float32, float64, float16, bfloat16; computed in double (radix-2 FFT for powers of
// two, direct sum for small other lengths, Bluestein otherwise; see fft_util.h).
#include "ops/common/fft_util.h"
#include "ops/common/signal_util.h"

namespace onnxedge::ops {

namespace {

using fft::Complex;

class DftKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<DftKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<DftKernel>();
    OE_ASSIGN_OR_RETURN(int64_t inverse, info.GetInt("inverse", 0));
    OE_ASSIGN_OR_RETURN(int64_t onesided, info.GetInt("onesided", 0));
    if (inverse != 0 && inverse != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'inverse' must be 0 or 1, got ",
                        inverse);
    }
    if (onesided != 0 && onesided != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'onesided' must be 0 or 1, got ",
                        onesided);
    }
    k->inverse_ = inverse == 1;
    k->onesided_ = onesided == 1;
    k->axis_as_input_ = info.since_version() >= 20;
    if (!k->axis_as_input_) {
      OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", 1));
    } else if (info.HasAttribute("axis")) {
      return info.Error(StatusCode::kInvalidModel,
                        "attribute 'axis' is not part of DFT-20; axis is input 2");
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const int64_t rank = static_cast<int64_t>(x->rank());
    if (rank < 2 || (x->dim(rank - 1) != 1 && x->dim(rank - 1) != 2)) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'input' must have rank >= 2 and a "
                       "last dim of 1 (real) or 2 (complex), got shape ",
                       ShapeToString(x->shape()));
    }
    int64_t axis = axis_;
    if (axis_as_input_) {
      axis = -2;
      if (ctx.Input(2)) {
        OE_ASSIGN_OR_RETURN(axis, signal::ReadScalarInt(ctx, 2, "axis"));
      }
    }
    const int64_t given_axis = axis;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > rank - 2) {
      return ctx.Error(StatusCode::kInvalidArgument, "axis ", given_axis, " is outside [", -rank,
                       ", -2] and [0, ", rank - 2, "] for input of rank ", rank);
    }
    const int64_t len = x->dim(static_cast<size_t>(axis));
    int64_t n = len;
    if (ctx.Input(1)) {
      OE_ASSIGN_OR_RETURN(n, signal::ReadScalarInt(ctx, 1, "dft_length"));
      if (n < 1) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'dft_length' must be >= 1, got ", n);
      }
    }
    const int64_t out_len = onesided_ ? n / 2 + 1 : n;
    Shape out_shape = x->shape();
    out_shape[static_cast<size_t>(axis)] = n == 0 ? 0 : out_len;
    out_shape.back() = 2;
    if (x->dtype() != DataType::kFloat && x->dtype() != DataType::kDouble &&
        x->dtype() != DataType::kFloat16 && x->dtype() != DataType::kBfloat16) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'input' has type ",
                       DataTypeName(x->dtype()), "; DFT takes float types");
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape));
    if (y->size() == 0) return Status::Ok();

    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= x->dim(static_cast<size_t>(i));
    for (int64_t i = axis + 1; i < rank - 1; ++i) inner *= x->dim(static_cast<size_t>(i));
    const int64_t comps = x->dim(static_cast<size_t>(rank - 1));
    const fft::FftPlan plan(n, inverse_);
    const double scale = inverse_ ? 1.0 / static_cast<double>(n) : 1.0;
    const int64_t copy_len = std::min(n, len);

    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* src = x->data<T>();
      T* dst = y->data<T>();
      ctx.thread_pool().ParallelFor(
          outer * inner, std::max<int64_t>(1, 4096 / n), [&](int64_t l0, int64_t l1) {
            std::vector<Complex> buf(static_cast<size_t>(n));
            std::vector<Complex> scratch(static_cast<size_t>(plan.scratch_size()));
            for (int64_t line = l0; line < l1; ++line) {
              const int64_t o = line / inner, i = line % inner;
              const T* in = src + (o * len * inner + i) * comps;
              const int64_t in_stride = inner * comps;
              for (int64_t j = 0; j < copy_len; ++j) {
                const T* v = in + j * in_stride;
                const double re = static_cast<double>(ToCompute(v[0]));
                const double im = comps == 2 ? static_cast<double>(ToCompute(v[1])) : 0.0;
                buf[static_cast<size_t>(j)] = Complex(re, im);
              }
              std::fill(buf.begin() + copy_len, buf.end(), Complex(0, 0));
              plan.Execute(buf.data(), scratch.data());
              T* out = dst + (o * out_len * inner + i) * 2;
              for (int64_t k = 0; k < out_len; ++k) {
                const Complex v = buf[static_cast<size_t>(k)] * scale;
                out[k * inner * 2] = FromCompute<T>(static_cast<ComputeType<T>>(v.real()));
                out[k * inner * 2 + 1] = FromCompute<T>(static_cast<ComputeType<T>>(v.imag()));
              }
            }
          });
      return Status::Ok();
    });
  }

 private:
  bool inverse_ = false;
  bool onesided_ = false;
  bool axis_as_input_ = false;
  int64_t axis_ = 1;
};

}  // namespace

void RegisterOp_dft(OpRegistry& registry) {
  registry.Register({"", "DFT", 17, 21, MakeFactory<DftKernel>()});
}

}  // namespace onnxedge::ops
