// Copyright onnxedge authors.
// kernels/vecmath: accuracy against double-precision libm (every 97th float in [-100, 100] plus
// special values), bit-identical results on every ISA path the CPU has, array lengths around
// the 8-lane tiles (0, 1, 7, 8, 9, 15, 16, 17, large), in-place use, and the ISA cap.
#include "kernels/vecmath.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"

namespace onnxedge {
namespace {

using kernels::UnaryFn;

constexpr UnaryFn kAllFns[] = {UnaryFn::kExp,     UnaryFn::kExpm1, UnaryFn::kTanh,
                               UnaryFn::kErf,     UnaryFn::kSigmoid, UnaryFn::kSilu,
                               UnaryFn::kGeluErf, UnaryFn::kGeluTanh};

double Reference(UnaryFn fn, double x) {
  switch (fn) {
    case UnaryFn::kExp:
      return std::exp(x);
    case UnaryFn::kExpm1:
      return std::expm1(x);
    case UnaryFn::kTanh:
      return std::tanh(x);
    case UnaryFn::kErf:
      return std::erf(x);
    case UnaryFn::kSigmoid:
      return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x));
    case UnaryFn::kSilu:
      return x >= 0 ? x / (1 + std::exp(-x)) : x * std::exp(x) / (1 + std::exp(x));
    case UnaryFn::kGeluErf:
      return 0.5 * x * std::erfc(-x * 0.70710678118654752440);
    case UnaryFn::kGeluTanh: {
      // 1 + tanh(y) = 2 sigmoid(2y), which does not cancel for negative y.
      const double y = 0.79788456080286535588 * (x + 0.044715 * x * x * x);
      return y >= 0 ? x / (1 + std::exp(-2 * y)) : x * std::exp(2 * y) / (1 + std::exp(2 * y));
    }
  }
  return 0;
}

// |got - want| in units of the float spacing at want (subnormal spacing near 0). Infinities
// and NaN must match exactly (0 or +inf).
double UlpError(float got, double want) {
  if (std::isnan(want)) return std::isnan(got) ? 0 : INFINITY;
  if (std::isinf(want) || std::isinf(got)) {
    // A result that rounds to +-inf is correct when the true value is past FLT_MAX.
    const float w = static_cast<float>(want);
    return got == w ? 0 : INFINITY;
  }
  const float w = std::fabs(static_cast<float>(want));
  const double ulp = w < std::numeric_limits<float>::min()
                         ? std::ldexp(1.0, -149)
                         : std::nextafter(w, INFINITY) - static_cast<double>(w);
  return std::fabs(static_cast<double>(got) - want) / ulp;
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

std::vector<float> SweepInputs() {
  std::vector<float> xs;
  const uint32_t hi = Bits(100.f);
  for (uint32_t b = 0; b <= hi; b += 97) {
    float f;
    std::memcpy(&f, &b, 4);
    xs.push_back(f);
    xs.push_back(-f);
  }
  const float inf = std::numeric_limits<float>::infinity();
  const float specials[] = {0.f, -0.f, inf, -inf, std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::denorm_min(),
                            -std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::min(), std::numeric_limits<float>::max(),
                            -std::numeric_limits<float>::max(), 88.7228f, 88.72284f, 88.7229f,
                            -87.33655f, -103.97208f, -103.9721f, -104.5f, 89.f, 0.549306144f,
                            0.875f, 0.87499994f, 3.92f, 6.f, 44.5f, -80.f, 1e-30f, -1e-30f};
  for (float s : specials) xs.push_back(s);
  return xs;
}

// Bounds on the sweep, per function, and the input range they hold on.
struct Bound {
  double max_ulp;
  float lo = -INFINITY;  // below lo, the relative error must stay under rel_below
  double rel_below = 0;
};

Bound BoundFor(UnaryFn fn) {
  switch (fn) {
    case UnaryFn::kGeluErf:
    case UnaryFn::kGeluTanh:
      // The tail -x Phi(x) is ill-conditioned in float (x / sqrt2 and x^3 round): the bound is
      // relative there (values below 4e-3 in magnitude).
      return {3.0, -1.f, 1e-5};
    default:
      return {2.0};
  }
}

// The unary functions have an AVX-512 path of their own (x86/vecmath_avx512.cc): every level.
std::vector<Isa> UnaryPaths() { return AvailableIsas(); }

// The binary ops and reductions have no AVX-512 code: that level runs the AVX2 path, so it is
// not swept again.
std::vector<Isa> VecMathPaths() {
  std::vector<Isa> out;
  for (Isa isa : AvailableIsas()) {
    if (isa != Isa::kAvx512) out.push_back(isa);
  }
  return out;
}

TEST(VecMathTest, AccuracyAgainstLibmOnEveryIsa) {
  const std::vector<float> all = SweepInputs();
  // The portable path calls libm's fmaf (no -mfma in portable code), which is slow: it gets
  // every 11th point of the sweep (every 1067th float) plus the special values.
  std::vector<float> sampled;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i % 11 == 0 || i + 40 > all.size()) sampled.push_back(all[i]);
  }
  for (UnaryFn fn : kAllFns) {
    for (Isa isa : UnaryPaths()) {
      ScopedMaxIsa cap(isa);
      const std::vector<float>& xs = isa == Isa::kGeneric ? sampled : all;
      std::vector<float> y(xs.size());
      kernels::ApplyUnary(fn, xs.data(), y.data(), static_cast<int64_t>(xs.size()));
      const Bound bound = BoundFor(fn);
      double worst = 0, worst_rel = 0;
      float worst_x = 0;
      for (size_t i = 0; i < xs.size(); ++i) {
        const double want = Reference(fn, xs[i]);
        if (xs[i] < bound.lo && !std::isnan(want)) {
          if (std::fabs(want) < 1e-15) continue;  // GELU's tail returns -0 past x < -8.4
          const double rel = std::fabs(y[i] - want) / std::fabs(want);
          worst_rel = std::max(worst_rel, rel);
          ASSERT_LT(rel, bound.rel_below) << kernels::UnaryFnName(fn) << "(" << xs[i] << ")";
          continue;
        }
        const double e = UlpError(y[i], want);
        if (e > worst) {
          worst = e;
          worst_x = xs[i];
        }
      }
      EXPECT_LE(worst, bound.max_ulp) << kernels::UnaryFnName(fn) << " on " << IsaName(isa)
                                      << ": worst at x = " << worst_x;
      std::printf("%-10s %-8s max ulp %.3f at x = %.9g; below x = %g max rel error %.3g\n",
                  kernels::UnaryFnName(fn), IsaName(isa), worst, worst_x, bound.lo, worst_rel);
      if (isa != Isa::kGeneric) {
        // Every path agrees with the portable one bit for bit (NaN payloads aside).
        std::vector<float> generic(sampled.size()), fast(sampled.size());
        kernels::ApplyUnaryGeneric(fn, sampled.data(), generic.data(),
                                   static_cast<int64_t>(sampled.size()));
        kernels::ApplyUnary(fn, sampled.data(), fast.data(), static_cast<int64_t>(sampled.size()));
        for (size_t i = 0; i < sampled.size(); ++i) {
          if (std::isnan(generic[i]) && std::isnan(fast[i])) continue;
          ASSERT_EQ(Bits(fast[i]), Bits(generic[i]))
              << kernels::UnaryFnName(fn) << "(" << sampled[i] << ") on " << IsaName(isa);
        }
      }
    }
  }
}

TEST(VecMathTest, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (Isa isa : UnaryPaths()) {
    ScopedMaxIsa cap(isa);
    auto f = [](UnaryFn fn, float x) {
      float y;
      kernels::ApplyUnary(fn, &x, &y, 1);
      return y;
    };
    SCOPED_TRACE(IsaName(isa));
    EXPECT_EQ(f(UnaryFn::kExp, 0.f), 1.f);
    EXPECT_EQ(f(UnaryFn::kExp, -inf), 0.f);
    EXPECT_EQ(f(UnaryFn::kExp, inf), inf);
    EXPECT_EQ(f(UnaryFn::kExp, 89.f), inf);
    EXPECT_EQ(f(UnaryFn::kExp, -200.f), 0.f);
    EXPECT_GT(f(UnaryFn::kExp, -100.f), 0.f);  // subnormal, not flushed
    EXPECT_EQ(f(UnaryFn::kExpm1, -inf), -1.f);
    EXPECT_EQ(f(UnaryFn::kExpm1, inf), inf);
    EXPECT_EQ(f(UnaryFn::kTanh, inf), 1.f);
    EXPECT_EQ(f(UnaryFn::kTanh, -inf), -1.f);
    EXPECT_EQ(f(UnaryFn::kTanh, 20.f), 1.f);
    EXPECT_TRUE(std::signbit(f(UnaryFn::kTanh, -0.f)));
    EXPECT_EQ(f(UnaryFn::kErf, inf), 1.f);
    EXPECT_EQ(f(UnaryFn::kErf, -inf), -1.f);
    EXPECT_TRUE(std::signbit(f(UnaryFn::kErf, -0.f)));
    EXPECT_EQ(f(UnaryFn::kSigmoid, inf), 1.f);
    EXPECT_EQ(f(UnaryFn::kSigmoid, -inf), 0.f);
    EXPECT_EQ(f(UnaryFn::kSigmoid, 0.f), 0.5f);
    EXPECT_GT(f(UnaryFn::kSigmoid, -100.f), 0.f);
    EXPECT_EQ(f(UnaryFn::kSilu, inf), inf);
    EXPECT_EQ(f(UnaryFn::kGeluErf, inf), inf);
    EXPECT_EQ(f(UnaryFn::kGeluErf, 0.f), 0.f);
    EXPECT_EQ(f(UnaryFn::kGeluErf, -20.f), 0.f);
    EXPECT_EQ(f(UnaryFn::kGeluTanh, inf), inf);
    EXPECT_EQ(f(UnaryFn::kGeluTanh, -20.f), 0.f);
    for (UnaryFn fn : kAllFns) EXPECT_TRUE(std::isnan(f(fn, nan))) << kernels::UnaryFnName(fn);
  }
}

// Lengths around the 8/16-lane tiles and the 16/32-element unrolled loops: every element is computed,
// nothing past n is written, and in-place use gives the same values.
TEST(VecMathTest, LengthsAndInPlace) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-12.f, 12.f);
  const float kGuard = 12345.f;
  for (int64_t n : {0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 63, 64,
                    65, 1000, 4099}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = d(rng);
    for (UnaryFn fn : kAllFns) {
      for (Isa isa : UnaryPaths()) {
        ScopedMaxIsa cap(isa);
        std::vector<float> y(static_cast<size_t>(n) + 8, kGuard);
        kernels::ApplyUnary(fn, x.data(), y.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_EQ(Bits(y[static_cast<size_t>(i)]),
                    Bits(kernels::ApplyUnaryScalar(fn, x[static_cast<size_t>(i)])))
              << kernels::UnaryFnName(fn) << " n=" << n << " i=" << i << " " << IsaName(isa);
        }
        for (size_t i = static_cast<size_t>(n); i < y.size(); ++i) ASSERT_EQ(y[i], kGuard);
        std::vector<float> inplace = x;
        kernels::ApplyUnary(fn, inplace.data(), inplace.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_EQ(Bits(inplace[static_cast<size_t>(i)]), Bits(y[static_cast<size_t>(i)]));
        }
      }
    }
  }
}

// GELU on a transformer FFN's distribution (normal, sigma 0.65: |x| < 1.94 for about 99.7 %
// of the values, so most vectors take GeluErf's all-small shortcut and the rest mix both
// branches),
// with some wide values, infinities and NaN mixed in: every path equals the portable one bit for
// bit, in rows with a stride as the GEMM epilogue calls it.
TEST(VecMathTest, GeluOnTransformerActivationsMatchesThePortablePath) {
  std::mt19937 rng(11);
  std::normal_distribution<float> d(0.f, 0.65f);
  const int64_t rows = 7, n = 67, ld = 80;
  std::vector<float> x(static_cast<size_t>(rows * ld));
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = i % 97 == 3 ? 9.f * d(rng) : d(rng);
  }
  x[5] = INFINITY;
  x[90] = -INFINITY;
  x[200] = NAN;
  x[201] = -0.f;
  for (UnaryFn fn : {UnaryFn::kGeluErf, UnaryFn::kGeluTanh}) {
    std::vector<float> want(x.size(), 0.f);
    kernels::ApplyUnaryGeneric(fn, x.data(), want.data(), n, rows, ld);
    for (Isa isa : UnaryPaths()) {
      ScopedMaxIsa cap(isa);
      std::vector<float> got(x.size(), 0.f);
      kernels::ApplyUnaryRows(fn, x.data(), got.data(), rows, n, ld);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t j = 0; j < n; ++j) {
          const size_t i = static_cast<size_t>(r * ld + j);
          if (std::isnan(want[i]) && std::isnan(got[i])) continue;
          ASSERT_EQ(Bits(got[i]), Bits(want[i]))
              << kernels::UnaryFnName(fn) << "(" << x[i] << ") on " << IsaName(isa);
        }
      }
    }
  }
}

// Binary arithmetic: every fn, every broadcast pattern, lengths around the 8-lane and 32-element
// tiles, exact IEEE results on every path, nothing written past n, in place.
TEST(VecMathTest, BinaryArithmetic) {
  using kernels::BinaryFn;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> d(-4.f, 4.f);
  const float kGuard = -777.f;
  for (int64_t n : {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000}) {
    std::vector<float> a(static_cast<size_t>(n) + 1), b(static_cast<size_t>(n) + 1);
    for (float& v : a) v = d(rng);
    for (float& v : b) v = d(rng);
    if (n > 3) b[3] = 0.f;  // division by zero gives inf/NaN identically
    for (BinaryFn fn : {BinaryFn::kAdd, BinaryFn::kSub, BinaryFn::kMul, BinaryFn::kDiv}) {
      auto ref = [fn](float u, float v) {
        switch (fn) {
          case BinaryFn::kAdd:
            return u + v;
          case BinaryFn::kSub:
            return u - v;
          case BinaryFn::kMul:
            return u * v;
          case BinaryFn::kDiv:
            return u / v;
        }
        return 0.f;
      };
      for (int sa : {0, 1}) {
        for (int sb : {0, 1}) {
          for (Isa isa : VecMathPaths()) {
            ScopedMaxIsa cap(isa);
            std::vector<float> y(static_cast<size_t>(n) + 8, kGuard);
            kernels::ApplyBinary(fn, a.data(), sa, b.data(), sb, y.data(), n);
            for (int64_t i = 0; i < n; ++i) {
              const float want = ref(a[static_cast<size_t>(i * sa)], b[static_cast<size_t>(i * sb)]);
              const float got = y[static_cast<size_t>(i)];
              ASSERT_TRUE(Bits(got) == Bits(want) || (std::isnan(got) && std::isnan(want)))
                  << "fn " << static_cast<int>(fn) << " n=" << n << " i=" << i << " steps " << sa
                  << sb << " " << IsaName(isa);
            }
            for (size_t i = static_cast<size_t>(n); i < y.size(); ++i) ASSERT_EQ(y[i], kGuard);
            if (sa == 1) {
              std::vector<float> inplace = a;
              kernels::ApplyBinary(fn, inplace.data(), 1, b.data(), sb, inplace.data(), n);
              for (int64_t i = 0; i < n; ++i) {
                ASSERT_EQ(Bits(inplace[static_cast<size_t>(i)]), Bits(y[static_cast<size_t>(i)]));
              }
            }
          }
        }
      }
    }
  }
}

// Run reductions: lengths around the 32-lane block, against float64 sums / exact extremes,
// bit-identical across paths, NaN (the first one returned) anywhere, infinities, empty runs.
TEST(VecMathTest, RunReductions) {
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> d(-10.f, 10.f);
  for (int64_t n : {0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 1000, 4099}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = d(rng);
    double sum = 0, abs_sum = 0;
    float mx = -INFINITY, mn = INFINITY;
    for (float v : x) {
      sum += v;
      abs_sum += std::fabs(v);
      mx = std::max(mx, v);
      mn = std::min(mn, v);
    }
    float sum_generic = 0;
    double sum64_generic = 0;
    for (Isa isa : VecMathPaths()) {
      ScopedMaxIsa cap(isa);
      const float s = kernels::ReduceSumF32(x.data(), n);
      // Float sums in 32 lanes: error below n * eps * sum |x| (loose), exact for n = 0.
      EXPECT_NEAR(s, sum, 1e-6 * abs_sum + (n ? 1e-6 : 0)) << n << " " << IsaName(isa);
      if (isa == Isa::kGeneric) sum_generic = s;
      EXPECT_EQ(Bits(s), Bits(sum_generic)) << "paths differ at n " << n;
      // float64 lanes: exact up to float64 rounding of the partial sums.
      const double s64 = kernels::ReduceSumF32ToF64(x.data(), n);
      EXPECT_NEAR(s64, sum, 1e-13 * abs_sum) << n << " " << IsaName(isa);
      if (isa == Isa::kGeneric) sum64_generic = s64;
      EXPECT_EQ(s64, sum64_generic) << "float64 paths differ at n " << n;
      EXPECT_EQ(kernels::ReduceMaxF32(x.data(), n), mx) << n << " " << IsaName(isa);
      EXPECT_EQ(kernels::ReduceMinF32(x.data(), n), mn) << n << " " << IsaName(isa);
      if (n == 0) continue;
      // A NaN (with a payload) at the front, in a lane block, in the tail.
      for (int64_t at : {int64_t{0}, n / 2, n - 1}) {
        std::vector<float> y = x;
        const uint32_t payload = 0x7fc00123u;
        std::memcpy(&y[static_cast<size_t>(at)], &payload, sizeof(payload));
        if (at + 1 < n) y[static_cast<size_t>(at + 1)] = -NAN;
        EXPECT_EQ(Bits(kernels::ReduceMaxF32(y.data(), n)), payload) << n << " at " << at;
        EXPECT_EQ(Bits(kernels::ReduceMinF32(y.data(), n)), payload) << n << " at " << at;
        EXPECT_TRUE(std::isnan(kernels::ReduceSumF32(y.data(), n)));
      }
      std::vector<float> z = x;
      z[static_cast<size_t>(n - 1)] = INFINITY;
      z[0] = -INFINITY;
      EXPECT_EQ(kernels::ReduceMaxF32(z.data(), n), n == 1 ? -INFINITY : INFINITY);
      EXPECT_EQ(kernels::ReduceMinF32(z.data(), n), -INFINITY);
    }
  }
}

TEST(CpuFeaturesTest, ScopedCapAndNames) {
  const std::vector<Isa> isas = AvailableIsas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.front(), Isa::kGeneric);
  EXPECT_EQ(MaxIsa(), isas.back());
  {
    ScopedMaxIsa generic(Isa::kGeneric);
    EXPECT_EQ(MaxIsa(), Isa::kGeneric);
    {
      // A scope never raises the cap.
      ScopedMaxIsa high(Isa::kAvx512);
      EXPECT_EQ(MaxIsa(), Isa::kGeneric);
    }
    EXPECT_EQ(MaxIsa(), Isa::kGeneric);
  }
  EXPECT_EQ(MaxIsa(), isas.back());
  for (Isa isa : {Isa::kGeneric, Isa::kNeon, Isa::kAvx2, Isa::kAvx512}) {
    Isa parsed;
    ASSERT_TRUE(ParseIsa(IsaName(isa), &parsed));
    EXPECT_EQ(parsed, isa);
  }
  Isa parsed;
  EXPECT_FALSE(ParseIsa("sse9", &parsed));
  EXPECT_FALSE(ParseIsa("", &parsed));
#if defined(__x86_64__)
  if (CpuFeatures().avx2 && CpuFeatures().fma && EnvMaxIsa() >= Isa::kAvx2) {
    EXPECT_GE(static_cast<int>(MaxIsa()), static_cast<int>(Isa::kAvx2));
  }
#endif
}

}  // namespace
}  // namespace onnxedge
