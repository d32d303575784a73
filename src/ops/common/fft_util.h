// Copyright onnxedge authors.
// Complex FFT in double precision for the signal ops (DFT, STFT).
//
// One plan per transform length and direction: an iterative radix-2 FFT for powers of two, a
// direct O(n^2) sum for other small lengths (exact twiddle table, no recursion), and
// Bluestein's chirp-z algorithm (a power-of-two convolution) for other lengths, so every
// length costs O(n log n). Twiddles are computed with cos/sin of exact angles, never by
// repeated multiplication, to keep errors at a few ulps of double.
#pragma once

#include <complex>
#include <cstdint>
#include <memory>
#include <vector>

namespace onnxedge::ops::fft {

using Complex = std::complex<double>;

class FftPlan {
 public:
  /// A plan for length n >= 1. `inverse` uses e^{+2 pi i jk/n}; no 1/n scaling is applied.
  FftPlan(int64_t n, bool inverse);
  ~FftPlan();
  FftPlan(const FftPlan&) = delete;
  FftPlan& operator=(const FftPlan&) = delete;

  int64_t size() const { return n_; }
  /// Complex values of scratch space Execute needs.
  int64_t scratch_size() const { return scratch_size_; }
  /// Transforms data[0:n] in place. `scratch` holds scratch_size() values (unused for
  /// radix-2 plans). Thread-safe: the plan is read-only.
  void Execute(Complex* data, Complex* scratch) const;

 private:
  enum class Kind { kRadix2, kDirect, kBluestein };
  void Radix2(Complex* data) const;

  int64_t n_;
  bool inverse_;
  Kind kind_;
  int64_t scratch_size_ = 0;
  std::vector<int64_t> bit_reverse_;  // radix-2
  std::vector<Complex> twiddles_;     // radix-2: n/2 roots; direct: n roots
  // Bluestein: chirp c_j = e^{-+ i pi j^2 / n}, the padded length m, the FFT of the conjugate
  // chirp filter, and the length-m sub-plans.
  std::vector<Complex> chirp_;
  std::vector<Complex> filter_fft_;
  int64_t m_ = 0;
  std::unique_ptr<FftPlan> forward_m_, inverse_m_;
};

/// True when n is a power of two (n >= 1).
inline bool IsPowerOfTwo(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

}  // namespace onnxedge::ops::fft
