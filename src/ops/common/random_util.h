// Copyright onnxedge authors.
// Random number generation shared by RandomUniform(Like), RandomNormal(Like), Bernoulli and
// Multinomial.
//
// The generator is std::mt19937_64, whose output sequence the C++ standard fixes, so results
// are the same with every compiler and library. Distributions are computed here rather than
// with <random>'s distribution classes (whose algorithms are implementation-defined): a
// uniform double in [0, 1) takes the top 53 bits of one draw; a normal uses the Box-Muller
// transform on two uniforms (both results are used).
//
// Seeding: with the `seed` attribute, the engine is seeded with the float's 32-bit pattern at
// the start of every Run, so a seeded node returns the same values on every run of a session
// (and across sessions and machines); Run keeps no state, so it stays thread-safe. Without a
// seed each Run draws a fresh seed. The values cannot match numpy's or ONNX Runtime's streams.
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>

#include "ops/common/op_util.h"

namespace onnxedge::ops::random {

class Generator {
 public:
  explicit Generator(uint64_t seed) : engine_(seed) {}
  /// Uniform in [0, 1).
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  /// Standard normal.
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    // 1 - Uniform() is in (0, 1]: log never sees 0.
    const double r = std::sqrt(-2.0 * std::log(1.0 - Uniform()));
    const double theta = 6.283185307179586476925 * Uniform();
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

/// The `seed` attribute, if any.
struct Seed {
  bool fixed = false;
  uint64_t value = 0;
};

inline StatusOr<Seed> ReadSeed(const KernelInfo& info) {
  Seed s;
  if (!info.HasAttribute("seed")) return s;
  OE_ASSIGN_OR_RETURN(float f, info.GetFloat("seed"));
  uint32_t bits = 0;
  std::memcpy(&bits, &f, sizeof(bits));
  s.fixed = true;
  s.value = bits;
  return s;
}

/// A generator for one Run: seeded from the attribute, else from the clock and a counter
/// (mixed with splitmix64 so consecutive runs get unrelated streams).
inline Generator MakeGenerator(const Seed& seed) {
  if (seed.fixed) return Generator(seed.value);
  static std::atomic<uint64_t> counter{0};
  uint64_t z = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) +
               0x9E3779B97F4A7C15ull * (counter.fetch_add(1, std::memory_order_relaxed) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return Generator(z ^ (z >> 31));
}

/// True for the output types of RandomUniform/RandomNormal(Like).
inline bool IsRandomFloatType(DataType t) {
  return t == DataType::kFloat || t == DataType::kDouble || t == DataType::kFloat16;
}

/// Reads an optional `dtype` attribute naming a float output type; kUndefined when absent
/// and `required_default` is kUndefined.
inline StatusOr<DataType> ReadFloatDtype(const KernelInfo& info, DataType default_type) {
  if (!info.HasAttribute("dtype")) return default_type;
  OE_ASSIGN_OR_RETURN(int64_t v, info.GetInt("dtype"));
  const auto t = static_cast<DataType>(v);
  if (!IsRandomFloatType(t)) {
    return info.Error(StatusCode::kInvalidModel, "attribute 'dtype' = ", v,
                      " must be float16 (10), float (1) or double (11)");
  }
  return t;
}

/// Fills a float16/float/double tensor with sample() values, in element order.
template <typename F>
Status FillFloats(Tensor* out, F sample) {
  return Dispatch<TypeList<float, double, Float16>>(out->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* p = out->data<T>();
    for (int64_t i = 0; i < out->size(); ++i) {
      p[i] = FromCompute<T>(static_cast<ComputeType<T>>(sample()));
    }
    return Status::Ok();
  });
}

/// RandomUniform / RandomNormal and their *Like forms (opset 1-21). Uniform: low + (high - low)
/// * u with u in [0, 1); normal: mean + scale * n. The plain forms take `shape` and `dtype`
/// (default float); the Like forms take the shape of input 0 and `dtype` (default: input 0's
/// type, which must then be a float type).
enum class Distribution { kUniform, kNormal };

template <Distribution kDist, bool kLike>
class RandomFloatKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<RandomFloatKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<RandomFloatKernel>();
    OE_ASSIGN_OR_RETURN(k->seed_, ReadSeed(info));
    OE_ASSIGN_OR_RETURN(k->dtype_,
                        ReadFloatDtype(info, kLike ? DataType::kUndefined : DataType::kFloat));
    if constexpr (kDist == Distribution::kUniform) {
      OE_ASSIGN_OR_RETURN(k->a_, info.GetFloat("low", 0.f));
      OE_ASSIGN_OR_RETURN(k->b_, info.GetFloat("high", 1.f));
    } else {
      OE_ASSIGN_OR_RETURN(k->a_, info.GetFloat("mean", 0.f));
      OE_ASSIGN_OR_RETURN(k->b_, info.GetFloat("scale", 1.f));
    }
    if constexpr (!kLike) {
      OE_ASSIGN_OR_RETURN(k->shape_, info.GetInts("shape"));
      for (int64_t d : k->shape_) {
        if (d < 0) {
          return info.Error(StatusCode::kInvalidModel, "attribute 'shape' has negative dim ", d);
        }
      }
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    DataType type = dtype_;
    Shape shape = shape_;
    if constexpr (kLike) {
      OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
      shape = x->shape();
      if (type == DataType::kUndefined) {
        type = x->dtype();
        if (!IsRandomFloatType(type)) {
          return ctx.Error(StatusCode::kInvalidArgument, "input has type ", DataTypeName(type),
                           "; set attribute 'dtype' to a float type for the output");
        }
      }
    }
    OE_ASSIGN_OR_RETURN(Tensor * out, ctx.AllocateOutput(0, type, shape));
    Generator gen = MakeGenerator(seed_);
    const double a = a_, b = b_;
    if constexpr (kDist == Distribution::kUniform) {
      return FillFloats(out, [&] { return a + (b - a) * gen.Uniform(); });
    } else {
      return FillFloats(out, [&] { return a + b * gen.Normal(); });
    }
  }

 private:
  Seed seed_;
  DataType dtype_ = DataType::kFloat;
  float a_ = 0.f, b_ = 1.f;
  Shape shape_;
};

}  // namespace onnxedge::ops::random
