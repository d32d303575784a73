// Copyright onnxedge authors.
// Seeded random test data shared by the kernel tests.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace onnxedge::testing {

/// n floats drawn uniformly from [lo, hi) by a generator seeded with `seed` (reproducible).
inline std::vector<float> RandomUniform(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace onnxedge::testing
