// Copyright onnxedge authors.
// Fixture models that imitate other exporters (tests/data/loader/make_fixtures.py): a graph whose
// nodes and If branches are not topologically sorted, and a model that imports domains it never
// uses. Both must load from a file through the public API and compute the values of their
// definition. tests/real_models runs the same files through the CLI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "onnxedge/onnxedge.h"

namespace onnxedge {
namespace {

const std::string kFixtureDir = std::string(ONNXEDGE_TEST_DATA_DIR) + "/loader";

// The weights written by make_fixtures.py.
constexpr float kW[3][2] = {{1, -1}, {0.5f, 2}, {-1, 0}};
constexpr float kB[2] = {0.25f, -0.5f};

// x = 3 rows of 3 values with both signs, so Relu clips some of x W + b and keeps others.
const std::vector<float> kX = {1, 2, 3, -1, 0.5f, 2, 0.25f, -2, -0.5f};

std::vector<float> Affine(const std::vector<float>& x) {
  const size_t rows = x.size() / 3;
  std::vector<float> a(rows * 2);
  for (size_t i = 0; i < rows; ++i) {
    for (int j = 0; j < 2; ++j) {
      float s = 0;
      for (int k = 0; k < 3; ++k) s += x[i * 3 + k] * kW[k][j];
      a[i * 2 + j] = s + kB[j];
    }
  }
  return a;
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << "element " << i;
}

TEST(LoaderFixtures, UnsortedGraphAndBranchesLoadAndRun) {
  auto session = Session::Load(kFixtureDir + "/unsorted_graph.onnx");
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  std::vector<float> x = kX;
  auto xt = Tensor::Borrow(DataType::kFloat, {3, 3}, x.data(), x.size() * sizeof(float));
  ASSERT_TRUE(xt.ok());

  std::vector<float> relu = Affine(kX);
  for (float& v : relu) v = std::max(v, 0.0f);
  ASSERT_TRUE(std::count(relu.begin(), relu.end(), 0.0f) > 0) << "inputs must exercise Relu";

  for (bool flag : {true, false}) {
    SCOPED_TRACE(flag ? "then branch" : "else branch");
    auto out = (*session)->Run({{"x", *xt}, {"flag", Tensor::Scalar<bool>(flag)}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->size(), 2u);
    EXPECT_EQ((*out)[0].name, "y");
    EXPECT_EQ((*out)[1].name, "r");
    std::vector<float> y(relu.size());
    for (size_t i = 0; i < y.size(); ++i) y[i] = flag ? relu[i] * 3 + 1 : -relu[i];
    ExpectNear((*out)[0].value.tensor().ToVector<float>(), y);
    ExpectNear((*out)[1].value.tensor().ToVector<float>(), relu);
    EXPECT_EQ((*out)[0].value.tensor().shape(), (Shape{3, 2}));
  }
}

TEST(LoaderFixtures, UnusedDomainsLoadAndRun) {
  auto session = Session::Load(kFixtureDir + "/unused_domains.onnx");
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  std::vector<float> x = kX;
  auto xt = Tensor::Borrow(DataType::kFloat, {3, 3}, x.data(), x.size() * sizeof(float));
  ASSERT_TRUE(xt.ok());
  auto out = (*session)->Run({{"x", *xt}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);

  std::vector<float> a = Affine(kX);
  std::vector<float> y(a.size());
  for (size_t i = 0; i < a.size(); i += 2) {
    const float m = std::max(a[i], a[i + 1]);
    const float e0 = std::exp(a[i] - m), e1 = std::exp(a[i + 1] - m);
    y[i] = e0 / (e0 + e1);
    y[i + 1] = e1 / (e0 + e1);
  }
  ExpectNear((*out)[0].value.tensor().ToVector<float>(), y);
}

}  // namespace
}  // namespace onnxedge
