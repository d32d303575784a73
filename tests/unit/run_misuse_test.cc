// Copyright onnxedge authors.
// Run-time misuse (docs/security.md): every wrong feed is refused before any kernel runs, with
// an InvalidArgument error naming the input.
//
// The model's first node is a ConstantOfShape whose shape is the input `shape`: fed [1e6, 1e6]
// it would ask for 4 TB, which the session memory limit refuses with OutOfMemory naming that
// node. So a misuse of the *other* inputs that reports InvalidArgument proves that validation
// happened before the first kernel ran.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "unit/model_builder.h"

namespace onnxedge {
namespace {

using namespace onnxedge::testing;  // NOLINT

class RunMisuse : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = NewModel();
    auto* g = m.mutable_graph();
    AddInput(g, "shape", DataType::kInt64, {2});
    AddInput(g, "b", DataType::kFloat, {2, 4});
    AddInput(g, "c", DataType::kFloat, {-1, 4}, {"n", ""});
    AddNode(g, "ConstantOfShape", {"shape"}, {"big"});
    AddNode(g, "Add", {"b", "c"}, {"y"});
    AddOutput(g, "big");
    AddOutput(g, "y");
    SessionOptions options;
    options.memory_limit_bytes = 1 << 20;
    auto s = LoadProto(m, options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    session_ = std::move(s).value();
  }

  static Tensor Floats(const Shape& shape) { return *Tensor::Allocate(DataType::kFloat, shape); }
  static Tensor HugeShape() {
    return Tensor::FromVector<int64_t>({2}, {1000000, 1000000});
  }

  // Runs with `feeds` and expects InvalidArgument whose message contains every needle.
  void ExpectRefused(const std::vector<NamedValue>& feeds, const std::vector<std::string>& needles) {
    auto r = session_->Run(feeds);
    ASSERT_FALSE(r.ok()) << needles[0];
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    for (const auto& n : needles) {
      EXPECT_NE(r.status().message().find(n), std::string::npos)
          << "'" << n << "' not in: " << r.status().ToString();
    }
    EXPECT_EQ(r.status().message().find("ConstantOfShape"), std::string::npos)
        << "a kernel ran before the inputs were checked: " << r.status().ToString();
  }

  std::unique_ptr<Session> session_;
};

TEST_F(RunMisuse, ValidFeedsReachTheKernels) {
  auto small = session_->Run({{"shape", Tensor::FromVector<int64_t>({2}, {2, 3})},
                              {"b", Floats({2, 4})},
                              {"c", Floats({2, 4})}});
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ((*small)[0].value.tensor().shape(), (Shape{2, 3}));
  // The hazard the other tests rely on: with valid feeds, the first kernel fails.
  auto huge = session_->Run({{"shape", HugeShape()}, {"b", Floats({2, 4})}, {"c", Floats({2, 4})}});
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), StatusCode::kOutOfMemory) << huge.status().ToString();
  EXPECT_NE(huge.status().message().find("ConstantOfShape"), std::string::npos)
      << huge.status().ToString();
}

TEST_F(RunMisuse, WrongElementType) {
  ExpectRefused({{"shape", HugeShape()},
                 {"b", *Tensor::Allocate(DataType::kDouble, {2, 4})},
                 {"c", Floats({2, 4})}},
                {"input 'b'", "element type float64", "expects float32"});
  ExpectRefused({{"shape", Tensor::FromVector<int32_t>({2}, {1, 1})},
                 {"b", Floats({2, 4})},
                 {"c", Floats({2, 4})}},
                {"input 'shape'", "element type int32"});
}

TEST_F(RunMisuse, WrongRank) {
  ExpectRefused({{"shape", HugeShape()}, {"b", Floats({8})}, {"c", Floats({2, 4})}},
                {"input 'b'", "rank 1", "expects rank 2"});
  ExpectRefused({{"shape", HugeShape()}, {"b", Floats({2, 4})}, {"c", Floats({})}},
                {"input 'c'", "rank 0"});
}

TEST_F(RunMisuse, WrongShape) {
  ExpectRefused({{"shape", HugeShape()}, {"b", Floats({2, 5})}, {"c", Floats({2, 4})}},
                {"input 'b'", "[2,5]", "dim 1 must be 4"});
  ExpectRefused({{"shape", HugeShape()}, {"b", Floats({2, 4})}, {"c", Floats({2, 3})}},
                {"input 'c'", "dim 1 must be 4"});
  ExpectRefused({{"shape", Tensor::FromVector<int64_t>({3}, {1, 1, 1})},
                 {"b", Floats({2, 4})},
                 {"c", Floats({2, 4})}},
                {"input 'shape'", "dim 0 must be 2"});
}

TEST_F(RunMisuse, MissingUnknownAndRepeatedInputs) {
  ExpectRefused({{"shape", HugeShape()}, {"b", Floats({2, 4})}}, {"missing input 'c'"});
  ExpectRefused({}, {"missing input 'shape'"});
  ExpectRefused({{"shape", HugeShape()},
                 {"b", Floats({2, 4})},
                 {"c", Floats({2, 4})},
                 {"d", Floats({2, 4})}},
                {"unknown input 'd'", "shape, b, c"});
  ExpectRefused({{"shape", HugeShape()},
                 {"b", Floats({2, 4})},
                 {"b", Floats({2, 4})},
                 {"c", Floats({2, 4})}},
                {"input 'b' is given twice"});
}

TEST_F(RunMisuse, EmptyValueForATensorInput) {
  ExpectRefused({{"shape", HugeShape()}, {"b", Tensor()}, {"c", Floats({2, 4})}},
                {"input 'b' must be a tensor"});
}

// Caller buffers enter only through Tensor::Borrow, which refuses null and short buffers, so
// a session never sees one.
TEST_F(RunMisuse, NullAndShortBuffersAreRefusedWhenTheTensorIsMade) {
  float buf[8] = {};
  auto short_buf = Tensor::Borrow(DataType::kFloat, {2, 4}, buf, sizeof(buf) - 1);
  ASSERT_FALSE(short_buf.ok());
  EXPECT_EQ(short_buf.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(short_buf.status().message().find("too short"), std::string::npos);
  auto null_buf = Tensor::Borrow(DataType::kFloat, {2, 4}, nullptr, sizeof(buf));
  ASSERT_FALSE(null_buf.ok());
  EXPECT_EQ(null_buf.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(null_buf.status().message().find("null buffer"), std::string::npos);
  auto ok = Tensor::Borrow(DataType::kFloat, {2, 4}, buf, sizeof(buf));
  ASSERT_TRUE(ok.ok());
  auto r = session_->Run({{"shape", Tensor::FromVector<int64_t>({2}, {1, 1})},
                          {"b", *ok},
                          {"c", *ok}});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

// Symbolic dims must agree across inputs: the session binds 'n' from the first input and
// refuses a conflicting one, naming it.
TEST(RunMisuseSymbols, ConflictingSymbolicDimNamesTheInput) {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "a", DataType::kFloat, {-1, 4}, {"n", ""});
  AddInput(g, "b", DataType::kFloat, {-1, 4}, {"n", ""});
  AddNode(g, "Add", {"a", "b"}, {"y"});
  AddOutput(g, "y");
  auto s = LoadProto(m);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto r = (*s)->Run({{"a", *Tensor::Allocate(DataType::kFloat, {2, 4})},
                      {"b", *Tensor::Allocate(DataType::kFloat, {3, 4})}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("input 'b' dim 0 ('n') is 3"), std::string::npos)
      << r.status().ToString();
}

}  // namespace
}  // namespace onnxedge
