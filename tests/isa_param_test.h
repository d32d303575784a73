// Copyright onnxedge authors.
// A value-parameterised fixture that runs each test once per ISA this machine has, with kernel
// dispatch capped at that ISA (so the generic, AVX2 and AVX-512 paths are all exercised).
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/cpu_features.h"

namespace onnxedge::testing {

class IsaParamTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override { cap_.emplace(GetParam()); }
  void TearDown() override { cap_.reset(); }

 protected:
  std::optional<ScopedMaxIsa> cap_;  ///< Reset to lift the cap inside a test, emplace to restore.
};

/// Test-name suffix for INSTANTIATE_TEST_SUITE_P(..., ValuesIn(AvailableIsas()), IsaParamName).
inline std::string IsaParamName(const ::testing::TestParamInfo<Isa>& info) {
  return IsaName(info.param);
}

}  // namespace onnxedge::testing
