// Copyright onnxedge authors.
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace onnxedge {
namespace {

using testing::OpTest;

TEST(AddOp, BroadcastsAcrossRanks) {
  auto r = OpTest("Add", 14)
               .Input("a", Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6}))
               .Input("b", Tensor::FromVector<float>({3}, {10, 20, 30}))
               .Output("c")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().shape(), (Shape{2, 3}));
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(),
            (std::vector<float>{11, 22, 33, 14, 25, 36}));
}

TEST(AddOp, BroadcastsMiddleDimAndHandlesEmpty) {
  auto r = OpTest("Add", 14)
               .Input("a", Tensor::FromVector<int32_t>({2, 1, 2}, {1, 2, 3, 4}))
               .Input("b", Tensor::FromVector<int32_t>({1, 3, 1}, {10, 20, 30}))
               .Output("c")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().shape(), (Shape{2, 3, 2}));
  EXPECT_EQ((*r)[0].value.tensor().ToVector<int32_t>(),
            (std::vector<int32_t>{11, 12, 21, 22, 31, 32, 13, 14, 23, 24, 33, 34}));
  auto e = OpTest("Add", 14)
               .Input("a", *Tensor::Allocate(DataType::kFloat, {0, 3}))
               .Input("b", Tensor::FromVector<float>({1, 3}, {1, 2, 3}))
               .Output("c")
               .Run();
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)[0].value.tensor().shape(), (Shape{0, 3}));
}

TEST(AddOp, IncompatibleShapesNameTheNode) {
  auto r = OpTest("Add", 14)
               .Input("a", Tensor::FromVector<float>({2}, {1, 2}))
               .Input("b", Tensor::FromVector<float>({3}, {1, 2, 3}))
               .Output("c")
               .Run();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node 'node' (Add)"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("cannot be broadcast"), std::string::npos);
}

TEST(MatMulOp, BatchedBroadcastAndVectors) {
  // [2,2,3] x [3,2] -> [2,2,2], B constant (prepacked path).
  std::vector<float> a(12);
  for (int i = 0; i < 12; ++i) a[i] = static_cast<float>(i);
  auto r = OpTest("MatMul", 13)
               .Input("a", Tensor::FromVector<float>({2, 2, 3}, a))
               .ConstantInput("b", Tensor::FromVector<float>({3, 2}, {1, 0, 0, 1, 1, 1}))
               .Output("c")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(),
            (std::vector<float>{2, 3, 8, 9, 14, 15, 20, 21}));
  auto v = OpTest("MatMul", 13)
               .Input("a", Tensor::FromVector<float>({3}, {1, 2, 3}))
               .Input("b", Tensor::FromVector<float>({3}, {4, 5, 6}))
               .Output("c")
               .Run();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ((*v)[0].value.tensor().shape(), Shape{});
  EXPECT_EQ((*v)[0].value.tensor().ToVector<float>(), std::vector<float>{32});
}

}  // namespace
}  // namespace onnxedge
