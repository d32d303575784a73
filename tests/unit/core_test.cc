// Copyright onnxedge authors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/cpu_info.h"
#include "onnxedge/session.h"
#include "onnxedge/tensor.h"

namespace onnxedge {
namespace {

TEST(Status, CarriesCodeMessageAndContext) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  Status s = MakeError(StatusCode::kInvalidModel, "tensor '", "w", "' is bad");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel);
  EXPECT_EQ(s.WithContext("model.onnx").ToString(), "invalid model: model.onnx: tensor 'w' is bad");
}

TEST(Float16, RoundTripsAndRoundsToNearestEven) {
  for (float f : {0.f, 1.f, -2.5f, 65504.f, 6.103515625e-05f, 5.960464477539063e-08f}) {
    EXPECT_EQ(static_cast<float>(Float16(f)), f) << f;
  }
  EXPECT_TRUE(std::isinf(static_cast<float>(Float16(65520.f))));
  EXPECT_TRUE(std::isnan(static_cast<float>(Float16(std::numeric_limits<float>::quiet_NaN()))));
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even -> 1.
  EXPECT_EQ(static_cast<float>(Float16(1.f + std::ldexp(1.f, -11))), 1.f);
  EXPECT_EQ(static_cast<float>(Float16(1.f + 3 * std::ldexp(1.f, -11))), 1.f + std::ldexp(1.f, -9));
  EXPECT_EQ(Float16(-0.f).bits, 0x8000);
}

TEST(BFloat16, RoundsToNearestEven) {
  EXPECT_EQ(static_cast<float>(BFloat16(1.f)), 1.f);
  EXPECT_EQ(BFloat16(1.f + std::ldexp(1.f, -8)).bits, BFloat16(1.f).bits);  // tie -> even
  EXPECT_EQ(static_cast<float>(BFloat16(3.f)), 3.f);
}

TEST(Tensor, AllocateBorrowAndLimits) {
  auto t = Tensor::Allocate(DataType::kFloat, {2, 3});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), 6);
  EXPECT_EQ(t->bytes(), 24u);
  EXPECT_EQ(t->data<float>()[5], 0.f);
  EXPECT_FALSE(Tensor::Allocate(DataType::kFloat, {-1}).ok());
  EXPECT_FALSE(Tensor::Allocate(DataType::kFloat, {int64_t{1} << 40, int64_t{1} << 40}).ok());
  float buf[4] = {1, 2, 3, 4};
  auto b = Tensor::Borrow(DataType::kFloat, {2, 2}, buf, sizeof(buf));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data<float>(), buf);
  EXPECT_FALSE(b->owns_storage());
  auto short_buf = Tensor::Borrow(DataType::kFloat, {3, 2}, buf, sizeof(buf));
  EXPECT_FALSE(short_buf.ok());
  EXPECT_NE(short_buf.status().message().find("too short"), std::string::npos);
  EXPECT_FALSE(Tensor::Borrow(DataType::kFloat, {1}, nullptr, 4).ok());
  auto empty = Tensor::Borrow(DataType::kFloat, {0, 3}, nullptr, 0);
  EXPECT_TRUE(empty.ok());
}

TEST(Tensor, StringsCloneDeeply) {
  Tensor s = Tensor::FromVector<std::string>({2}, {"a", "bc"});
  auto c = s.Clone();
  ASSERT_TRUE(c.ok());
  c->data<std::string>()[0] = "z";
  EXPECT_EQ(s.data<std::string>()[0], "a");
  EXPECT_EQ(c->data<std::string>()[1], "bc");
}

TEST(ShapeElementCount, DetectsOverflowAndZero) {
  EXPECT_EQ(ShapeElementCount({}), 1);
  EXPECT_EQ(ShapeElementCount({0, int64_t{1} << 62, 8}), 0);
  EXPECT_EQ(ShapeElementCount({int64_t{1} << 62, 8}), -1);
  EXPECT_EQ(ShapeElementCount({3, -1}), -1);
}

TEST(CpuInfo, AvailableCpuCountIsPositiveAndReadsQuota) {
  EXPECT_GE(AvailableCpuCount(), 1);
  char dir[] = "/tmp/oe_cgroupXXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string root = dir;
  {
    FILE* f = fopen((root + "/cpu.max").c_str(), "w");
    fputs("150000 100000\n", f);
    fclose(f);
  }
  EXPECT_EQ(CgroupCpuLimit(root), 2);
  {
    FILE* f = fopen((root + "/cpu.max").c_str(), "w");
    fputs("max 100000\n", f);
    fclose(f);
  }
  EXPECT_EQ(CgroupCpuLimit(root), 0);
  std::remove((root + "/cpu.max").c_str());
  EXPECT_EQ(CgroupCpuLimit(root), 0);
  rmdir(dir);
}

}  // namespace
}  // namespace onnxedge
