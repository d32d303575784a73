// Copyright onnxedge authors.
#include "ops/common/fft_util.h"

#include <cmath>

namespace onnxedge::ops::fft {

namespace {

constexpr int64_t kDirectMax = 64;  // Non-power-of-two lengths up to this use the direct sum.
constexpr double kPi = 3.14159265358979323846;

// e^{sign * 2 pi i k / n}, with k reduced into [0, n) by the caller.
Complex Root(int64_t k, int64_t n, double sign) {
  const double angle = sign * 2.0 * kPi * static_cast<double>(k) / static_cast<double>(n);
  return {std::cos(angle), std::sin(angle)};
}

}  // namespace

FftPlan::FftPlan(int64_t n, bool inverse) : n_(n), inverse_(inverse) {
  const double sign = inverse ? 1.0 : -1.0;
  if (IsPowerOfTwo(n)) {
    kind_ = Kind::kRadix2;
    int bits = 0;
    while ((int64_t{1} << bits) < n) ++bits;
    bit_reverse_.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      int64_t r = 0;
      for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
      bit_reverse_[static_cast<size_t>(i)] = r;
    }
    twiddles_.resize(static_cast<size_t>(n / 2));
    for (int64_t k = 0; k < n / 2; ++k) twiddles_[static_cast<size_t>(k)] = Root(k, n, sign);
  } else if (n <= kDirectMax) {
    kind_ = Kind::kDirect;
    twiddles_.resize(static_cast<size_t>(n));
    for (int64_t k = 0; k < n; ++k) twiddles_[static_cast<size_t>(k)] = Root(k, n, sign);
    scratch_size_ = n;
  } else {
    kind_ = Kind::kBluestein;
    m_ = 1;
    while (m_ < 2 * n - 1) m_ <<= 1;
    chirp_.resize(static_cast<size_t>(n));
    const int64_t two_n = 2 * n;
    for (int64_t j = 0; j < n; ++j) {
      // j^2 mod 2n keeps the angle small (exact in 128-bit arithmetic).
      const auto jj = static_cast<int64_t>((static_cast<unsigned __int128>(j) * j) %
                                           static_cast<unsigned __int128>(two_n));
      const double angle = sign * kPi * static_cast<double>(jj) / static_cast<double>(n);
      chirp_[static_cast<size_t>(j)] = {std::cos(angle), std::sin(angle)};
    }
    forward_m_ = std::make_unique<FftPlan>(m_, false);
    inverse_m_ = std::make_unique<FftPlan>(m_, true);
    filter_fft_.assign(static_cast<size_t>(m_), Complex(0, 0));
    filter_fft_[0] = std::conj(chirp_[0]);
    for (int64_t j = 1; j < n; ++j) {
      filter_fft_[static_cast<size_t>(j)] = std::conj(chirp_[static_cast<size_t>(j)]);
      filter_fft_[static_cast<size_t>(m_ - j)] = std::conj(chirp_[static_cast<size_t>(j)]);
    }
    forward_m_->Execute(filter_fft_.data(), nullptr);
    // Fold the 1/m of the inverse convolution FFT into the filter.
    const double scale = 1.0 / static_cast<double>(m_);
    for (auto& v : filter_fft_) v *= scale;
    scratch_size_ = m_;
  }
}

FftPlan::~FftPlan() = default;

void FftPlan::Radix2(Complex* data) const {
  const int64_t n = n_;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = bit_reverse_[static_cast<size_t>(i)];
    if (r > i) std::swap(data[i], data[r]);
  }
  for (int64_t len = 2; len <= n; len <<= 1) {
    const int64_t half = len / 2;
    const int64_t step = n / len;  // twiddle stride for this stage
    for (int64_t start = 0; start < n; start += len) {
      for (int64_t k = 0; k < half; ++k) {
        const Complex w = twiddles_[static_cast<size_t>(k * step)];
        const Complex u = data[start + k];
        const Complex v = data[start + k + half] * w;
        data[start + k] = u + v;
        data[start + k + half] = u - v;
      }
    }
  }
}

void FftPlan::Execute(Complex* data, Complex* scratch) const {
  switch (kind_) {
    case Kind::kRadix2:
      Radix2(data);
      return;
    case Kind::kDirect: {
      const int64_t n = n_;
      for (int64_t k = 0; k < n; ++k) {
        Complex acc(0, 0);
        int64_t idx = 0;  // (j * k) mod n
        for (int64_t j = 0; j < n; ++j) {
          acc += data[j] * twiddles_[static_cast<size_t>(idx)];
          idx += k;
          if (idx >= n) idx -= n;
        }
        scratch[k] = acc;
      }
      for (int64_t k = 0; k < n; ++k) data[k] = scratch[k];
      return;
    }
    case Kind::kBluestein: {
      const int64_t n = n_;
      for (int64_t j = 0; j < n; ++j) scratch[j] = data[j] * chirp_[static_cast<size_t>(j)];
      for (int64_t j = n; j < m_; ++j) scratch[j] = Complex(0, 0);
      forward_m_->Execute(scratch, nullptr);
      for (int64_t j = 0; j < m_; ++j) scratch[j] *= filter_fft_[static_cast<size_t>(j)];
      inverse_m_->Execute(scratch, nullptr);
      for (int64_t k = 0; k < n; ++k) data[k] = scratch[k] * chirp_[static_cast<size_t>(k)];
      return;
    }
  }
}

}  // namespace onnxedge::ops::fft
