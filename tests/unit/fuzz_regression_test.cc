// Copyright onnxedge authors.
// Replays every input the fuzzers once crashed on (tests/fuzz/regressions/<target>/), in every
// build: a fixed bug stays fixed even where the clang fuzz build is not made.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fuzz/fuzz_targets.h"

namespace onnxedge {
namespace {

namespace fs = std::filesystem;

int ReplayAll(const std::string& target, void (*fn)(const uint8_t*, size_t)) {
  const fs::path dir = fs::path(ONNXEDGE_TEST_DATA_DIR) / ".." / "fuzz" / "regressions" / target;
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    fn(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    ++n;
  }
  return n;
}

TEST(FuzzRegressions, LoaderInputsDoNotCrash) {
  EXPECT_GT(ReplayAll("loader", fuzz::LoadModelBytes), 0);
}

TEST(FuzzRegressions, ShapeInferenceInputsDoNotCrash) {
  EXPECT_GT(ReplayAll("shape_inference", fuzz::InferAndCreateSession), 0);
}

}  // namespace
}  // namespace onnxedge
