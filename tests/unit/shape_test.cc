// Copyright onnxedge authors.
// Shape (inline small vector with the std::vector<int64_t> interface) and weights shared
// between kernels (PrepackCache).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "onnxedge/shape.h"
#include "unit/model_builder.h"

namespace onnxedge {
namespace {

using namespace onnxedge::testing;  // NOLINT

// Applies the same random edits to a Shape and a std::vector and compares after each, across
// the inline limit (8 dims) in both directions.
TEST(ShapeTest, BehavesLikeVectorAcrossTheInlineLimit) {
  std::mt19937 rng(7);
  Shape s;
  std::vector<int64_t> v;
  for (int step = 0; step < 4000; ++step) {
    const int op = static_cast<int>(rng() % 9);
    const int64_t x = static_cast<int64_t>(rng() % 100);
    const size_t pos = v.empty() ? 0 : rng() % (v.size() + 1);
    switch (op) {
      case 0:
      case 1:
        s.push_back(x);
        v.push_back(x);
        break;
      case 2:
        if (!v.empty()) {
          s.pop_back();
          v.pop_back();
        }
        break;
      case 3:
        s.insert(s.begin() + pos, x);
        v.insert(v.begin() + static_cast<std::ptrdiff_t>(pos), x);
        break;
      case 4:
        if (pos < v.size()) {
          s.erase(s.begin() + pos);
          v.erase(v.begin() + static_cast<std::ptrdiff_t>(pos));
        }
        break;
      case 5: {
        const size_t n = rng() % 14;
        s.resize(n, x);
        v.resize(n, x);
        break;
      }
      case 6: {  // Self-insert of a range (may reallocate while reading from itself).
        const size_t a = v.empty() ? 0 : rng() % v.size();
        const size_t b = v.empty() ? 0 : a + rng() % (v.size() - a + 1);
        std::vector<int64_t> src(v.begin() + static_cast<std::ptrdiff_t>(a),
                                 v.begin() + static_cast<std::ptrdiff_t>(b));
        s.insert(s.begin() + pos, s.begin() + a, s.begin() + b);
        v.insert(v.begin() + static_cast<std::ptrdiff_t>(pos), src.begin(), src.end());
        break;
      }
      case 7: {  // Copies and moves keep the value and leave the source valid.
        Shape copy = s;
        Shape moved = std::move(copy);
        EXPECT_EQ(moved, v);
        copy = moved;
        s = std::move(copy);
        break;
      }
      case 8:
        if (v.size() > 12) {
          s.clear();
          v.clear();
        }
        break;
    }
    ASSERT_EQ(s.size(), v.size()) << "step " << step;
    ASSERT_TRUE(std::equal(s.begin(), s.end(), v.begin())) << "step " << step;
  }
}

TEST(ShapeTest, ConvertsComparesAndConstructsLikeVector) {
  const std::vector<int64_t> v = {1, 3, 224, 224};
  Shape s = v;
  EXPECT_EQ(s, v);
  EXPECT_EQ(v, s);
  EXPECT_NE(s, (std::vector<int64_t>{1, 3, 224}));
  std::vector<int64_t> back = s;
  EXPECT_EQ(back, v);
  EXPECT_EQ(Shape(3, 7), (Shape{7, 7, 7}));
  EXPECT_EQ(Shape(2).size(), 2u);
  EXPECT_EQ(Shape(2)[1], 0);
  EXPECT_TRUE(Shape() < Shape{0});
  EXPECT_TRUE((Shape{1, 2}) < (Shape{1, 3}));
  const Shape big = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};  // Spills to the heap.
  EXPECT_EQ(big.size(), 10u);
  EXPECT_EQ(big.back(), 10);
  EXPECT_EQ(ShapeElementCount(big), 3628800);
  EXPECT_THROW((void)big.at(10), std::out_of_range);
  Shape a = big, b = {4};
  swap(a, b);
  EXPECT_EQ(a, (Shape{4}));
  EXPECT_EQ(b, big);
}

// Two nodes read one weight: Gemm with transB (packs W^T) and MatMul (packs W). They must not
// share a packed copy (different packing); two MatMuls reading it do share one. Results are
// checked against direct products.
TEST(PrepackSharing, NodesReadingOneWeightGetTheRightPacking) {
  constexpr int64_t n = 5;
  std::vector<float> w(n * n), x(2 * n);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 7) - 3.f;
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 5) * 0.5f - 1.f;
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, n});
  AddInitializer(g, "w", Tensor::FromVector<float>({n, n}, w));
  AddNode(g, "MatMul", {"x", "w"}, {"y1"});
  AddNode(g, "MatMul", {"y1", "w"}, {"y2"});
  auto* gemm = AddNode(g, "Gemm", {"x", "w"}, {"y3"});
  auto* tb = gemm->add_attribute();
  tb->set_name("transB");
  tb->set_type(onnx::AttributeProto::INT);
  tb->set_i(1);
  for (const char* o : {"y1", "y2", "y3"}) AddOutput(g, o);
  auto s = LoadProto(m);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto r = (*s)->Run({{"x", Tensor::FromVector<float>({2, n}, x)}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto product = [&](const std::vector<float>& a, bool trans) {
    std::vector<float> out(2 * n, 0.f);
    for (int64_t i = 0; i < 2; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        for (int64_t k = 0; k < n; ++k) {
          const int64_t wi = trans ? j * n + k : k * n + j;
          out[static_cast<size_t>(i * n + j)] +=
              a[static_cast<size_t>(i * n + k)] * w[static_cast<size_t>(wi)];
        }
      }
    }
    return out;
  };
  const std::vector<float> y1 = product(x, false);
  const std::vector<float> want[3] = {y1, product(y1, false), product(x, true)};
  for (int o = 0; o < 3; ++o) {
    const auto got = (*r)[static_cast<size_t>(o)].value.tensor().ToVector<float>();
    ASSERT_EQ(got.size(), want[o].size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], want[o][i], 1e-4f) << "output " << o << " element " << i;
    }
  }
}

}  // namespace
}  // namespace onnxedge
