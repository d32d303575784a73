// Copyright onnxedge authors.
// RandomUniform (opset 1-21): see RandomFloatKernel in random_util.h for semantics, types, the
// generator (std::mt19937_64) and seeding. Seeded nodes give the same values on every run; the
// values cannot match other runtimes' random streams.
#include "ops/common/random_util.h"

namespace onnxedge::ops {

void RegisterOp_random_uniform(OpRegistry& registry) {
  registry.Register(
      {"", "RandomUniform", 1, 21,
       MakeFactory<random::RandomFloatKernel<random::Distribution::kUniform, false>>()});
}

}  // namespace onnxedge::ops
