// Copyright onnxedge authors.
// The algorithms behind kernels/vecmath.h, written once over an "ops" type O that supplies the
// arithmetic: O::V is a scalar float (vecmath.cc, portable) or a SIMD register
// (x86/vecmath_avx2.cc). Each path performs the same IEEE operations in the same order (fused
// multiply-adds included), so every path returns bit-identical results for non-NaN inputs.
//
// Include only from those files, and instantiate only with an O defined in an anonymous
// namespace: the instantiations then have internal linkage, so code built with -mavx2 cannot
// be merged with the portable code by the linker.
//
// O provides: V, M (lane mask), Set(float), Add, Sub, Mul, Div, Fma(a,b,c)=a*b+c (one
// rounding), Fnma(a,b,c)=c-a*b, Fms(a,b,c)=a*b-c, Min(a,b)=a<b?a:b, Max(a,b)=a>b?a:b (both
// return b when either is NaN, as minps/maxps do), Abs, CopySign(mag, sign), Round (to nearest
// even), Pow2(n) (2^n for integral n in [-126, 127]), Lt, Ge (ordered compares) and
// Select(m, a, b) = m ? a : b. Optionally Ldexp(p, n) = p 2^n for integral n in [-159, 128],
// rounded once (one instruction on AVX-512: vscalefps); without it ScalePow2 below computes
// the same value in two exact halves. SIMD paths also give None(m) / All(m) (no / every lane
// set), which MulSigmoid and GeluErf use to skip branches no lane needs (same values).
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/vecmath.h"

namespace onnxedge::kernels::vecmath_impl {

inline constexpr float kLog2e = 0x1.715476p+0f;
inline constexpr float kLn2Hi = 0x1.62e430p-1f;    // float(ln 2)
inline constexpr float kLn2Lo = -0x1.05c610p-29f;  // ln 2 - kLn2Hi
// Past these, exp rounds to 0 / overflows; clamping keeps 2^n in range (see ExpCore).
inline constexpr float kExpMin = -104.f;
inline constexpr float kExpMax = 89.f;
// m sigmoid(t) for t <= -110 is 0 for every |m| < 2^8 (e^-110 < 2^-158).
inline constexpr float kSigmoidTail = 110.f;
// exp(-87) < 2^-125: 1 + exp(-t) rounds to 1 for every t >= 87.
inline constexpr float kSigmoidLow = -87.f;

// exp(r) = 1 + r + r^2 Q(r) on |r| <= ln2/2 (near-minimax, relative error 3e-9).
inline constexpr float kExpQ[] = {0x1.fffffcp-2f, 0x1.555492p-3f, 0x1.5558f2p-5f, 0x1.1239d0p-7f,
                                  0x1.6a242ap-10f};
// Q(-x), for the reductions written on -r (MulSigmoid): kExpQ with its odd coefficients negated.
inline constexpr float kExpQNegArg[] = {kExpQ[0], -kExpQ[1], kExpQ[2], -kExpQ[3], kExpQ[4]};
// 1.5 2^23: for |v| < 2^22, (v + kRoundMagic) - kRoundMagic is v rounded to an integer (to
// nearest even), both steps exact but the first.
inline constexpr float kRoundMagic = 0x1.8p+23f;
// tanh(x) = x + x^3 P(x^2) on |x| <= ln(3)/2, where tanh(x) = 1/2 (relative error 1e-9).
inline constexpr float kTanhP[] = {-0x1.55554ap-2f, 0x1.110d2ep-3f, -0x1.b929e8p-5f, 0x1.5949a2p-6f,
                                   -0x1.9b7c32p-8f};
inline constexpr float kTanhSmall = 0.549306144f;
// erf(x) = x + x P(x^2) on |x| < 0.875 (relative error 8.5e-9).
inline constexpr float kErfP[] = {1.283791512e-01f,  -3.761255145e-01f, 1.128245518e-01f,
                                  -2.679146267e-02f, 5.032181274e-03f,  -6.203253870e-04f};
inline constexpr float kErfSmall = 0.875f;
// GELU's erf(|z|) below kGeluErfSmall: z + z P(z^2), fitted on the wider |z| < 1.375 (max
// error of P 3.9e-9 after rounding the coefficients to float one at a time). |x| < 1.94 then
// needs no erfc: on BERT-base's FFN activations (sigma about 0.66) 95 % of the 16-lane
// vectors take GeluErf's all-small shortcut, against 36 % with kErfSmall. For x < 0 the bracket
// 1 - erf(|z|) cancels down to erfc(1.375) = 0.05, so the relative error there (x in
// [-1.94, -1.24]) grows to 1.8e-6 (the erfc path: about 1e-7), inside the 6e-6 bound below -1.
inline constexpr float kGeluErfP[] = {1.283791661e-01f,  -3.761262000e-01f, 1.128354371e-01f,
                                      -2.685471438e-02f, 5.198462401e-03f,  -8.238781011e-04f,
                                      9.923556354e-05f,  -6.718917575e-06f};
inline constexpr float kGeluErfSmall = 1.375f;
// erfc(x) = exp(-x^2 + R(x - 1.5)) on [0.875, 6] (absolute error of R 1e-8 after rounding the
// coefficients to float one at a time and refitting the rest).
inline constexpr float kErfcR[] = {-1.134492159e+00f, -5.088008046e-01f, 1.073607579e-01f,
                                   -2.582407929e-02f, 6.002608221e-03f,  -1.254234347e-03f,
                                   2.195139095e-04f,  -2.946080895e-05f, 2.701554649e-06f,
                                   -1.419233371e-07f, 2.895166995e-09f};
inline constexpr float kErfcMid = 1.5f;
inline constexpr float kErfcMax = 6.f;  // erfc(6) = 2e-17: erf is 1 and GELU's tail 0 past it.
inline constexpr float kSqrtHalf = 0x1.6a09e6p-1f;
// GELU(tanh) = x sigmoid(x (kGeluC1 + kGeluC2 x^2)), as 1 + tanh(y) = 2 sigmoid(2y).
inline constexpr float kGeluC1 = 0x1.988454p+0f;  // 2 sqrt(2/pi)
inline constexpr float kGeluC2 = 0x1.2444f2p-4f;  // 2 sqrt(2/pi) * 0.044715

template <class O, int N>
inline typename O::V Horner(typename O::V x, const float (&c)[N]) {
  typename O::V acc = O::Set(c[N - 1]);
  for (int i = N - 2; i >= 0; --i) acc = O::Fma(acc, x, O::Set(c[i]));
  return acc;
}

// exp(x) = (1 + pm1) 2^n for x in [kExpMin, kExpMax] or NaN: n = round(x / ln2),
// r = x - n ln2 (two FMA steps), pm1 = expm1(r) by the polynomial.
template <class O>
struct ExpParts {
  typename O::V n, pm1;
};

template <class O>
inline ExpParts<O> ExpReduce(typename O::V x) {
  using V = typename O::V;
  const V n = O::Round(O::Mul(x, O::Set(kLog2e)));
  V r = O::Fnma(n, O::Set(kLn2Hi), x);
  r = O::Fnma(n, O::Set(kLn2Lo), r);
  return {n, O::Fma(Horner<O>(r, kExpQ), O::Mul(r, r), r)};
}

// 2^n for integral n in [-126, 127]: one vscalefps where O has Ldexp (AVX-512), else the
// exponent built by integer ops (Pow2). The same value either way; on AVX-512 the scalef form
// made SiLU 1.3x faster (the integer conversion and shift compete with the FMAs' ports).
template <class O>
inline typename O::V Exp2Int(typename O::V n) {
  if constexpr (requires { O::Ldexp(n, n); }) {
    return O::Ldexp(O::Set(1.f), n);
  } else {
    return O::Pow2(n);
  }
}

// p 2^n for integral n in [-159, 128], in two halves so that subnormal results round once and
// n = 128 (x just below the overflow threshold) needs no special case.
template <class O>
inline typename O::V ScalePow2(typename O::V p, typename O::V n) {
  using V = typename O::V;
  if constexpr (requires { O::Ldexp(p, n); }) return O::Ldexp(p, n);
  const V n1 = O::Round(O::Mul(n, O::Set(0.5f)));
  return O::Mul(O::Mul(p, O::Pow2(n1)), O::Pow2(O::Sub(n, n1)));
}

template <class O>
inline typename O::V ExpCore(typename O::V x) {
  const ExpParts<O> e = ExpReduce<O>(x);
  return ScalePow2<O>(O::Add(e.pm1, O::Set(1.f)), e.n);
}

// ExpCore for x in [-87, 0] (or NaN), where e^x is a normal float: 2^n is one exact factor,
// so the result is the same as ExpCore's.
template <class O>
inline typename O::V ExpCoreNormal(typename O::V x) {
  const ExpParts<O> e = ExpReduce<O>(x);
  if constexpr (requires { O::Ldexp(e.pm1, e.n); }) {
    return O::Ldexp(O::Add(e.pm1, O::Set(1.f)), e.n);
  } else {
    return O::Mul(O::Add(e.pm1, O::Set(1.f)), O::Pow2(e.n));
  }
}

// m * sigmoid(t) = m / (1 + E), E = exp(-t) = (1 + pm1) 2^n, from one reduction.
//   n < 24: the denominator pm1 2^n + (1 + 2^n) is one rounding (1 + 2^n is exact).
//   n >= 24 (t < -16.6): m / (1 + E) = (m / (1 + pm1 + 2^-n)) 2^-n, where 1 + pm1 + 2^-n is
//   summed with the rounding error of 1 + pm1 carried (Fast2Sum), and the scaling comes after
//   the division so subnormal results round once.
// Either way sigmoid is about one rounding plus one division from exact, and m enters only
// through the division. For t <= -110 the result is m * 0 (0, or NaN for infinite m as in the
// unfused graph).
//
// The reduction is ExpReduce's for -t, written on t so that the common path needs no negation
// and no clamp below (SiLU runs on every output of YOLO-style networks, and each operation here
// costs about 5 % of it): n = round(-t log2e) rounds the exact product once, through the
// kRoundMagic addition; r' = t + n ln2 = -r exactly (rounding commutes with negation), so
// pm1 = expm1(-r') = Q'(r') r'^2 - r' with Q' = Q(-x) (kExpQNegArg) takes the same values as
// ExpReduce's polynomial on r.
template <class O>
inline typename O::V MulSigmoid(typename O::V m, typename O::V t) {
  using V = typename O::V;
  const V one = O::Set(1.f);
  // Clamped above at -kSigmoidLow: for t > 87, E < 2^-125 vanishes in 1 + E either way, so the
  // result is the same, and n = round(-t log2e) stays >= -126 (2^n normal, no clamp there).
  // The constant first: NaN passes through. Below, n reaches about -t log2e, but lanes with
  // n >= 24 take the branch below, which never reads s: there 2^n may wrap.
  const V tc = O::Min(O::Set(-kSigmoidLow), t);
  V n = O::Sub(O::Fma(tc, O::Set(-kLog2e), O::Set(kRoundMagic)), O::Set(kRoundMagic));
  const auto big = O::Lt(O::Set(23.5f), n);
  if constexpr (!requires { O::None(big); }) {
    // The scalar path computes both branches: keep 2^n's integer exponent defined (t <= -110
    // gives m * 0 whatever n is).
    n = O::Min(O::Set(159.f), n);
  }
  V r = O::Fma(n, O::Set(kLn2Hi), tc);
  r = O::Fma(n, O::Set(kLn2Lo), r);
  const V pm1 = O::Fms(Horner<O>(r, kExpQNegArg), O::Mul(r, r), r);
  const V s = Exp2Int<O>(n);
  const V d_small = O::Fma(pm1, s, O::Add(one, s));
  if constexpr (requires { O::None(big); }) {
    // SIMD paths: when no lane needs the large-|t| branches (the common case), the selects
    // below pick m / d_small everywhere, so skip computing them (same values, half the work).
    // Tail lanes (t <= -110, so n >= 158) are big lanes too.
    if (O::None(big)) return O::Div(m, d_small);
  }
  const auto tail = O::Ge(O::Set(-kSigmoidTail), tc);
  const V u = O::Add(one, pm1);
  const V u_err = O::Add(O::Sub(one, u), pm1);
  const V inv_s = Exp2Int<O>(O::Max(O::Sub(O::Set(0.f), n), O::Set(-126.f)));
  const V d_big = O::Add(u, O::Add(u_err, inv_s));
  const V q = O::Div(m, O::Select(big, d_big, d_small));
  const V y = O::Select(big, ScalePow2<O>(q, O::Sub(O::Set(0.f), n)), q);
  return O::Select(tail, O::Mul(m, O::Set(0.f)), y);
}

template <class O>
inline typename O::V Exp(typename O::V x) {
  x = O::Max(O::Set(kExpMin), x);  // constant first: NaN passes through
  x = O::Min(O::Set(kExpMax), x);
  return ExpCore<O>(x);
}

// expm1: 2^n (1 + p) - 1 with p = expm1(r), evaluated as 2 (s p + (s - 1/2)), s = 2^(n-1),
// which rounds once near 0 and cannot overflow before the final doubling.
template <class O>
inline typename O::V Expm1(typename O::V x) {
  using V = typename O::V;
  x = O::Max(O::Set(-80.f), x);  // expm1(-80) is -1 in float; keeps 2^(n-1) normal
  x = O::Min(O::Set(88.8f), x);  // past the overflow threshold (88.72)
  const ExpParts<O> e = ExpReduce<O>(x);
  const V s = Exp2Int<O>(O::Sub(e.n, O::Set(1.f)));
  const V t = O::Fma(s, e.pm1, O::Sub(s, O::Set(0.5f)));
  return O::Add(t, t);
}

template <class O>
inline typename O::V Sigmoid(typename O::V x) {
  return MulSigmoid<O>(O::Set(1.f), x);
}

template <class O>
inline typename O::V Silu(typename O::V x) {
  return MulSigmoid<O>(x, x);
}

template <class O>
inline typename O::V Tanh(typename O::V x) {
  using V = typename O::V;
  const V ax = O::Abs(x);
  const V u = O::Mul(ax, ax);
  const V small = O::Fma(O::Mul(ax, u), Horner<O>(u, kTanhP), ax);
  // 1 - 2 / (e^{2|x|} + 1); exp's clamp makes e infinite (so the result 1) for |x| > 44.5.
  const V e = Exp<O>(O::Add(ax, ax));
  const V big = O::Sub(O::Set(1.f), O::Div(O::Set(2.f), O::Add(e, O::Set(1.f))));
  return O::CopySign(O::Select(O::Lt(ax, O::Set(kTanhSmall)), small, big), x);
}

// erfc(a) for a in [0, kErfcMax] (or NaN): exp(-(h + l) + R) with h + l = a^2 exactly (accurate
// from kErfSmall; the exponent lies in [-38.4, 0.001], so e^x is normal: ExpCoreNormal).
template <class O>
inline typename O::V ErfcBig(typename O::V a) {
  using V = typename O::V;
  const V r = Horner<O>(O::Sub(a, O::Set(kErfcMid)), kErfcR);
  const V h = O::Mul(a, a);
  const V l = O::Fms(a, a, h);
  return ExpCoreNormal<O>(O::Sub(O::Sub(r, l), h));
}

template <class O>
inline typename O::V Erf(typename O::V x) {
  using V = typename O::V;
  const V ax = O::Abs(x);
  const V small = O::Fma(ax, Horner<O>(O::Mul(ax, ax), kErfP), ax);
  const V big = O::Sub(O::Set(1.f), ErfcBig<O>(O::Min(O::Set(kErfcMax), ax)));
  return O::CopySign(O::Select(O::Lt(ax, O::Set(kErfSmall)), small, big), x);
}

// x/2 (1 + erf(x/sqrt2)); for x < 0 the bracket is erfc(|z|), computed directly, so the
// negative tail keeps its relative accuracy instead of cancelling.
template <class O>
inline typename O::V GeluErf(typename O::V x) {
  using V = typename O::V;
  const V z = O::Mul(x, O::Set(kSqrtHalf));
  const V az = O::Abs(z);
  const V s = O::Fma(az, Horner<O>(O::Mul(az, az), kGeluErfP), az);  // erf(|z|), small |z|
  const V one = O::Set(1.f);
  const auto small = O::Lt(az, O::Set(kGeluErfSmall));
  if constexpr (requires { O::All(small); }) {
    // SIMD paths: when every lane has |z| < kGeluErfSmall (|x| < 1.94, most of a transformer's
    // FFN activations), the selects below pick 1 -+ s everywhere, so skip erfc (the same values
    // for about a third of the work).
    if (O::All(small)) {
      return O::Mul(O::Mul(x, O::Set(0.5f)),
                    O::Select(O::Lt(z, O::Set(0.f)), O::Sub(one, s), O::Add(one, s)));
    }
  }
  const V c = ErfcBig<O>(O::Min(O::Set(kErfcMax), az));  // erfc(|z|), large |z|
  const V pos = O::Select(small, O::Add(one, s), O::Sub(O::Set(2.f), c));
  V neg = O::Select(small, O::Sub(one, s), c);
  neg = O::Select(O::Lt(az, O::Set(kErfcMax)), neg, O::Set(0.f));
  const V bracket = O::Select(O::Lt(z, O::Set(0.f)), neg, pos);
  return O::Mul(O::Mul(x, O::Set(0.5f)), bracket);
}

template <class O>
inline typename O::V GeluTanh(typename O::V x) {
  using V = typename O::V;
  const V y = O::Mul(x, O::Fma(O::Set(kGeluC2), O::Mul(x, x), O::Set(kGeluC1)));
  return MulSigmoid<O>(x, y);
}

// Reductions (vecmath.h ReduceSumF32/ReduceMaxF32/ReduceMinF32). Templates on O only so that
// each path's copy has internal linkage (see the file comment).

/// The last step shared by every path: 8 partial sums t[0..7] into one.
template <class O>
inline float SumOf8(const float* t) {
  return ((t[0] + t[4]) + (t[2] + t[6])) + ((t[1] + t[5]) + (t[3] + t[7]));
}

/// The last step of the float64 sums: 8 partial sums into one.
template <class O>
inline double SumOf8(const double* t) {
  return ((t[0] + t[4]) + (t[2] + t[6])) + ((t[1] + t[5]) + (t[3] + t[7]));
}

/// The first NaN of x[0..n) (called only when there is one).
template <class O>
inline float FirstNan(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] != x[i]) return x[i];
  }
  return x[0];
}

// fn(x) for one value (scalar) or register (SIMD) of O: the one dispatch from UnaryFn to the
// algorithms above that every path's array loop calls.
template <UnaryFn kFn, typename O>
inline typename O::V Eval(typename O::V x) {
  if constexpr (kFn == UnaryFn::kExp) return Exp<O>(x);
  if constexpr (kFn == UnaryFn::kExpm1) return Expm1<O>(x);
  if constexpr (kFn == UnaryFn::kTanh) return Tanh<O>(x);
  if constexpr (kFn == UnaryFn::kErf) return Erf<O>(x);
  if constexpr (kFn == UnaryFn::kSigmoid) return Sigmoid<O>(x);
  if constexpr (kFn == UnaryFn::kSilu) return Silu<O>(x);
  if constexpr (kFn == UnaryFn::kGeluErf) return GeluErf<O>(x);
  if constexpr (kFn == UnaryFn::kGeluTanh) return GeluTanh<O>(x);
}

// Calls `map(std::integral_constant<UnaryFn, F>{})` for the runtime `fn`: the one switch that
// every ISA's ApplyUnary* entry point turns into its compile-time Map<F>.
template <typename MapFn>
inline void DispatchUnary(UnaryFn fn, MapFn&& map) {
  switch (fn) {
    case UnaryFn::kExp:
      return map(std::integral_constant<UnaryFn, UnaryFn::kExp>{});
    case UnaryFn::kExpm1:
      return map(std::integral_constant<UnaryFn, UnaryFn::kExpm1>{});
    case UnaryFn::kTanh:
      return map(std::integral_constant<UnaryFn, UnaryFn::kTanh>{});
    case UnaryFn::kErf:
      return map(std::integral_constant<UnaryFn, UnaryFn::kErf>{});
    case UnaryFn::kSigmoid:
      return map(std::integral_constant<UnaryFn, UnaryFn::kSigmoid>{});
    case UnaryFn::kSilu:
      return map(std::integral_constant<UnaryFn, UnaryFn::kSilu>{});
    case UnaryFn::kGeluErf:
      return map(std::integral_constant<UnaryFn, UnaryFn::kGeluErf>{});
    case UnaryFn::kGeluTanh:
      return map(std::integral_constant<UnaryFn, UnaryFn::kGeluTanh>{});
  }
}

}  // namespace onnxedge::kernels::vecmath_impl
