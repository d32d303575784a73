// Copyright onnxedge authors.
// MelWeightMatrix (opset 17-21): a [dft_length / 2 + 1, num_mel_bins] matrix of triangular
// filters with peak 1, spaced evenly on the mel scale mel(f) = 2595 log10(1 + f / 700) between
// lower_edge_hertz and upper_edge_hertz. Band edges map to spectrogram bins as
// floor((dft_length + 1) * hz / sample_rate), the ONNX reference's formula. Filter entries
// whose bin falls outside the spectrogram (an upper edge above Nyquist) are dropped instead of
// failing. Output type from output_datatype (every numeric type; integer types truncate).
// Computed in double.
#include <cmath>

#include "ops/common/signal_util.h"

namespace onnxedge::ops {

namespace {

class MelWeightMatrixKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<MelWeightMatrixKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<MelWeightMatrixKernel>();
    OE_ASSIGN_OR_RETURN(k->out_type_, signal::ReadOutputDataType(info));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(int64_t num_mel, signal::ReadScalarInt(ctx, 0, "num_mel_bins"));
    OE_ASSIGN_OR_RETURN(int64_t dft_length, signal::ReadScalarInt(ctx, 1, "dft_length"));
    OE_ASSIGN_OR_RETURN(int64_t sample_rate, signal::ReadScalarInt(ctx, 2, "sample_rate"));
    OE_ASSIGN_OR_RETURN(double lower, signal::ReadScalarFloat(ctx, 3, "lower_edge_hertz"));
    OE_ASSIGN_OR_RETURN(double upper, signal::ReadScalarFloat(ctx, 4, "upper_edge_hertz"));
    if (num_mel < 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'num_mel_bins' must be >= 0, got ",
                       num_mel);
    }
    if (dft_length < 1) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'dft_length' must be >= 1, got ",
                       dft_length);
    }
    if (sample_rate < 1) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'sample_rate' must be >= 1, got ",
                       sample_rate);
    }
    if (!(lower >= 0) || !std::isfinite(lower)) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'lower_edge_hertz' must be finite and >= 0, got ", lower);
    }
    if (!(upper >= lower) || !std::isfinite(upper)) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'upper_edge_hertz' (", upper,
                       ") must be finite and >= lower_edge_hertz (", lower, ")");
    }
    const int64_t spectrogram_bins = dft_length / 2 + 1;
    // Allocate first: the memory limit applies before the scratch matrix is built.
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, out_type_, {spectrogram_bins, num_mel}));
    // Band edges in spectrogram bins: num_mel + 2 points.
    const double low_mel = 2595.0 * std::log10(1.0 + lower / 700.0);
    const double high_mel = 2595.0 * std::log10(1.0 + upper / 700.0);
    const double mel_step = (high_mel - low_mel) / static_cast<double>(num_mel + 2);
    std::vector<int64_t> edges(static_cast<size_t>(num_mel + 2));
    for (int64_t i = 0; i < num_mel + 2; ++i) {
      const double mel = static_cast<double>(i) * mel_step + low_mel;
      const double hz = 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
      double bin =
          std::floor(static_cast<double>(dft_length + 1) * hz / static_cast<double>(sample_rate));
      // Clamp before converting: anything past the matrix is dropped below anyway.
      bin = std::min(bin, static_cast<double>(spectrogram_bins + 1));
      edges[static_cast<size_t>(i)] = static_cast<int64_t>(bin);
    }
    std::vector<double> m(static_cast<size_t>(spectrogram_bins * num_mel), 0.0);
    auto set = [&](int64_t row, int64_t col, double v) {
      if (row >= 0 && row < spectrogram_bins) m[static_cast<size_t>(row * num_mel + col)] = v;
    };
    for (int64_t i = 0; i < num_mel; ++i) {
      const int64_t left = edges[static_cast<size_t>(i)];
      const int64_t center = edges[static_cast<size_t>(i + 1)];
      const int64_t right = edges[static_cast<size_t>(i + 2)];
      const int64_t rise = center - left;
      if (rise == 0) {
        set(center, i, 1.0);
      } else {
        for (int64_t j = left; j <= center; ++j) {
          set(j, i, static_cast<double>(j - left) / static_cast<double>(rise));
        }
      }
      const int64_t fall = right - center;
      for (int64_t j = center; fall > 0 && j < right; ++j) {
        set(j, i, static_cast<double>(right - j) / static_cast<double>(fall));
      }
    }
    return Dispatch<NumericTypes>(out_type_, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      T* out = y->data<T>();
      for (size_t i = 0; i < m.size(); ++i) out[i] = signal::CastFromDouble<T>(m[i]);
      return Status::Ok();
    });
  }

 private:
  DataType out_type_ = DataType::kFloat;
};

}  // namespace

void RegisterOp_mel_weight_matrix(OpRegistry& registry) {
  registry.Register({"", "MelWeightMatrix", 17, 21, MakeFactory<MelWeightMatrixKernel>()});
}

}  // namespace onnxedge::ops
