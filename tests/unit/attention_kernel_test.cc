// Copyright onnxedge authors.
// com.microsoft Attention: the fast kernel (packed QKV GEMM, per-head GEMMs and vectorised
// softmax) against the float64 reference loops, on generated shapes (head sizes that are not
// multiples of 8 or 16, sequence 1 and 0, batch > 1, hidden above one GEMM tile), with and
// without bias, without and with an additive attention_bias of each broadcast form, on every ISA
// path this CPU has and with 1 and 3 threads; masked rows (a zero bias, a whole row at -10000,
// a whole row at -inf); and the op through a Session: its output with and without
// attention_bias, and one-line errors for what it does not support.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "test_random.h"
#include "core/cpu_features.h"
#include "kernels/gemm.h"
#include "ops/attention/attention.h"
#include "runtime/thread_pool.h"
#include "unit/model_builder.h"

namespace onnxedge {
namespace {

using namespace onnxedge::testing;  // NOLINT

std::vector<float> Random(size_t n, uint32_t seed, float scale) {
  return testing::RandomUniform(n, seed, -scale, scale);
}

struct Case {
  int64_t batch, seq, in_hidden, hidden, heads;
};

TEST(AttentionKernelTest, FastMatchesReferenceOnEveryIsaAndThreadCount) {
  const Case cases[] = {
      {1, 1, 8, 8, 1},    {1, 1, 16, 12, 3}, {2, 5, 12, 12, 3},  {1, 7, 20, 40, 4},
      {3, 17, 16, 48, 2}, {2, 6, 24, 18, 2}, {1, 33, 64, 64, 4}, {2, 13, 32, 96, 1},
      {1, 70, 40, 80, 5}, {1, 0, 8, 8, 2},   {0, 4, 8, 8, 2},    {1, 129, 24, 24, 2},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    ops::AttentionDims d;
    d.batch = c.batch;
    d.seq = c.seq;
    d.input_hidden = c.in_hidden;
    d.hidden = c.hidden;
    d.heads = c.heads;
    d.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d.head_size())));
    const auto x = Random(static_cast<size_t>(d.batch * d.seq * d.input_hidden), seed++, 1.f);
    // Weights large enough that the softmax is far from uniform.
    const auto w = Random(static_cast<size_t>(d.input_hidden * 3 * d.hidden), seed++, 0.8f);
    const auto bias = Random(static_cast<size_t>(3 * d.hidden), seed++, 0.5f);
    const size_t out_n = static_cast<size_t>(d.batch * d.seq * d.hidden);
    // Attention bias modes: 0 none, 1 one (1, 1, S, S) block, 2 a key-padding mask per batch
    // (B, 1, S, S) (0 or -10000 per key, the last keys masked), 3 random per (batch, head).
    for (int mode = 0; mode < 4; ++mode) {
      const bool with_bias = mode != 1;
      const float* pb = with_bias ? bias.data() : nullptr;
      ops::AttentionBias ab;
      std::vector<float> ab_data;
      const int64_t block = d.seq * d.seq;
      if (mode == 1) {
        ab_data = Random(static_cast<size_t>(block), seed++, 2.f);
      } else if (mode == 2) {
        ab_data.assign(static_cast<size_t>(d.batch * block), 0.f);
        for (int64_t b = 0; b < d.batch; ++b) {
          const int64_t valid = d.seq - (b + 1) * d.seq / 4;  // keys at and after it masked
          for (int64_t i = 0; i < d.seq; ++i) {
            for (int64_t j = std::max<int64_t>(valid, 1); j < d.seq; ++j) {
              ab_data[static_cast<size_t>(b * block + i * d.seq + j)] = -10000.f;
            }
          }
        }
        ab.per_batch = true;
      } else if (mode == 3) {
        ab_data = Random(static_cast<size_t>(d.batch * d.heads * block), seed++, 3.f);
        ab.per_batch = ab.per_head = true;
      }
      if (mode != 0) ab.data = ab_data.data();
      std::vector<float> ref(out_n);
      ops::AttentionReferenceF32(d, x.data(), w.data(), pb, ref.data(), ab);
      kernels::PackedB packed;
      kernels::PackB(w.data(), 3 * d.hidden, false, d.input_hidden, 3 * d.hidden, &packed, nullptr);
      for (Isa isa : AvailableIsas()) {
        ScopedMaxIsa cap(isa);
        for (int threads : {1, 3}) {
          ThreadPool pool(threads);
          std::vector<float> scratch(
              static_cast<size_t>(ops::AttentionScratchFloats(d, ops::AttentionTasks(d, &pool))),
              NAN);
          std::vector<float> y(out_n + 8, -777.f);
          ops::AttentionFastF32(d, x.data(), packed, pb, scratch.data(), y.data(), &pool, ab);
          for (size_t i = 0; i < out_n; ++i) {
            ASSERT_NEAR(y[i], ref[i], 2e-5 + 2e-5 * std::fabs(ref[i]))
                << "B=" << c.batch << " S=" << c.seq << " H=" << c.hidden << " n=" << c.heads
                << " bias=" << with_bias << " attention_bias mode " << mode
                << " isa=" << IsaName(isa) << " threads=" << threads << " at " << i;
          }
          for (size_t i = out_n; i < y.size(); ++i) ASSERT_EQ(y[i], -777.f) << "wrote past end";
        }
      }
    }
  }
}

TEST(AttentionKernelTest, ReferenceMatchesAHandComputedCase) {
  // One head, two tokens, identity projections (Din = H = 1): Q = K = V = x.
  // logits = scale * x_i x_j; with x = (1, 2), scale = 1: row 0 = (1, 2), row 1 = (2, 4).
  ops::AttentionDims d;
  d.batch = 1;
  d.seq = 2;
  d.input_hidden = 1;
  d.hidden = 1;
  d.heads = 1;
  d.scale = 1.f;
  const float x[] = {1.f, 2.f};
  const float w[] = {1.f, 1.f, 1.f};
  float y[2];
  ops::AttentionReferenceF32(d, x, w, nullptr, y);
  const double p0 = std::exp(1.0) / (std::exp(1.0) + std::exp(2.0));
  const double p1 = std::exp(2.0) / (std::exp(2.0) + std::exp(4.0));
  EXPECT_NEAR(y[0], p0 * 1 + (1 - p0) * 2, 1e-6);
  EXPECT_NEAR(y[1], p1 * 1 + (1 - p1) * 2, 1e-6);
}

// Masked rows: a bias of zeros is no bias; a row at -10000 everywhere is only shifted, so it is
// the unmasked row (up to the float rounding of logit - 10000, which is ~5e-4); a row at -inf
// everywhere is NaN (exp(-inf - -inf)), what ONNX Runtime 1.30's Attention gives for it too.
TEST(AttentionKernelTest, MaskedRowsZeroBiasFullyMaskedAndMinusInfinity) {
  ops::AttentionDims d{2, 9, 16, 16, 2, 0.5f};
  const auto x = Random(static_cast<size_t>(d.batch * d.seq * d.input_hidden), 91, 1.f);
  const auto w = Random(static_cast<size_t>(d.input_hidden * 3 * d.hidden), 92, 0.8f);
  const size_t out_n = static_cast<size_t>(d.batch * d.seq * d.hidden);
  const int64_t block = d.seq * d.seq;
  std::vector<float> unmasked(out_n);
  ops::AttentionReferenceF32(d, x.data(), w.data(), nullptr, unmasked.data());
  kernels::PackedB packed;
  kernels::PackB(w.data(), 3 * d.hidden, false, d.input_hidden, 3 * d.hidden, &packed, nullptr);
  const int64_t row = 4;  // the query row of batch 1 that is masked in the last two cases
  for (int variant = 0; variant < 3; ++variant) {
    std::vector<float> ab_data(static_cast<size_t>(d.batch * block), 0.f);
    if (variant > 0) {
      for (int64_t j = 0; j < d.seq; ++j) {
        ab_data[static_cast<size_t>(block + row * d.seq + j)] = variant == 1 ? -10000.f : -INFINITY;
      }
    }
    ops::AttentionBias ab{ab_data.data(), true, false};
    std::vector<float> ref(out_n);
    ops::AttentionReferenceF32(d, x.data(), w.data(), nullptr, ref.data(), ab);
    for (Isa isa : AvailableIsas()) {
      ScopedMaxIsa cap(isa);
      ThreadPool pool(2);
      std::vector<float> scratch(
          static_cast<size_t>(ops::AttentionScratchFloats(d, ops::AttentionTasks(d, &pool))));
      std::vector<float> y(out_n);
      ops::AttentionFastF32(d, x.data(), packed, nullptr, scratch.data(), y.data(), &pool, ab);
      for (size_t i = 0; i < out_n; ++i) {
        const bool in_row = i / static_cast<size_t>(d.hidden) ==
                            static_cast<size_t>(d.seq + row);  // batch 1, query `row`
        const std::string what = "variant " + std::to_string(variant) + " isa " + IsaName(isa) +
                                 " at " + std::to_string(i);
        if (variant == 2 && in_row) {
          EXPECT_TRUE(std::isnan(ref[i])) << what;
          EXPECT_TRUE(std::isnan(y[i])) << what;
          continue;
        }
        const double tol = variant == 1 && in_row ? 2e-3 : 2e-5;
        ASSERT_NEAR(y[i], ref[i], tol + tol * std::fabs(ref[i])) << what;
        ASSERT_NEAR(y[i], unmasked[i], tol + tol * std::fabs(unmasked[i])) << what;
      }
    }
  }
}

onnx::ModelProto AttentionModel(int64_t b, int64_t s, int64_t e, int64_t heads, bool mask,
                                bool scale_attr, const Shape& attn_bias = {}) {
  auto m = NewModel(13);
  auto* os = m.add_opset_import();
  os->set_domain("com.microsoft");
  os->set_version(1);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {b, s, e});
  AddInitializer(g, "w", Tensor::FromVector<float>({e, 3 * e}, Random(e * 3 * e, 7, 0.5f)));
  AddInitializer(g, "bias", Tensor::FromVector<float>({3 * e}, Random(3 * e, 8, 0.5f)));
  std::vector<std::string> inputs = {"x", "w", "bias"};
  if (mask) {
    AddInput(g, "mask", DataType::kInt32, {b, s});
    inputs.push_back("mask");
  }
  if (!attn_bias.empty()) {
    AddInput(g, "attn_bias", DataType::kFloat, attn_bias);
    inputs.resize(5);  // mask_index and past omitted
    inputs.push_back("attn_bias");
  }
  auto* n = AddNode(g, "Attention", inputs, {"y"});
  n->set_domain("com.microsoft");
  auto* a = n->add_attribute();
  a->set_name("num_heads");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(heads);
  if (scale_attr) {
    auto* sc = n->add_attribute();
    sc->set_name("scale");
    sc->set_type(onnx::AttributeProto::FLOAT);
    sc->set_f(0.3f);
  }
  AddOutput(g, "y");
  return m;
}

TEST(AttentionKernelTest, OpInASessionMatchesReference) {
  for (bool scale_attr : {false, true}) {
    const int64_t b = 2, s = 5, e = 12, heads = 3;
    auto session = LoadProto(AttentionModel(b, s, e, heads, false, scale_attr));
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    const auto x = Random(b * s * e, 9, 1.f);
    auto out = (*session)->Run({{"x", Tensor::FromVector<float>({b, s, e}, x)}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const Tensor& y = (*out)[0].value.tensor();
    ASSERT_EQ(y.shape(), (Shape{b, s, e}));
    ops::AttentionDims d{b, s, e, e, heads, scale_attr ? 0.3f : 0.5f};  // 1/sqrt(4)
    std::vector<float> ref(b * s * e);
    const auto w = Random(e * 3 * e, 7, 0.5f), bias = Random(3 * e, 8, 0.5f);
    ops::AttentionReferenceF32(d, x.data(), w.data(), bias.data(), ref.data());
    for (size_t i = 0; i < ref.size(); ++i) {
      ASSERT_NEAR(y.data<float>()[i], ref[i], 2e-5 + 2e-5 * std::fabs(ref[i])) << i;
    }
  }
}

TEST(AttentionKernelTest, OpWithAttentionBiasInASessionMatchesReference) {
  const int64_t b = 2, s = 5, e = 12, heads = 3;
  const Shape shapes[] = {{1, 1, s, s}, {b, 1, s, s}, {1, heads, s, s}, {b, heads, s, s}};
  for (const Shape& shape : shapes) {
    auto session = LoadProto(AttentionModel(b, s, e, heads, false, true, shape));
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    const auto x = Random(b * s * e, 9, 1.f);
    const auto a = Random(static_cast<size_t>(ShapeElementCount(shape)), 10, 3.f);
    auto out = (*session)->Run({{"x", Tensor::FromVector<float>({b, s, e}, x)},
                                {"attn_bias", Tensor::FromVector<float>(shape, a)}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const Tensor& y = (*out)[0].value.tensor();
    ops::AttentionDims d{b, s, e, e, heads, 0.3f};
    ops::AttentionBias ab{a.data(), shape[0] != 1, shape[1] != 1};
    std::vector<float> ref(b * s * e);
    const auto w = Random(e * 3 * e, 7, 0.5f), bias = Random(3 * e, 8, 0.5f);
    ops::AttentionReferenceF32(d, x.data(), w.data(), bias.data(), ref.data(), ab);
    for (size_t i = 0; i < ref.size(); ++i) {
      ASSERT_NEAR(y.data<float>()[i], ref[i], 2e-5 + 2e-5 * std::fabs(ref[i]))
          << ShapeToString(shape) << " at " << i;
    }
  }
  // A bias that would need broadcasting over the query axis (ONNX Runtime refuses it too).
  auto session = LoadProto(AttentionModel(1, 4, 8, 2, false, false, {1, 1, 1, 4}));
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto r =
      (*session)->Run({{"x", Tensor::FromVector<float>({1, 4, 8}, Random(32, 3, 1.f))},
                       {"attn_bias", Tensor::FromVector<float>({1, 1, 1, 4}, Random(4, 4, 1.f))}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("attention_bias"), std::string::npos)
      << r.status().ToString();
  EXPECT_EQ(r.status().ToString().find('\n'), std::string::npos);
}

TEST(AttentionKernelTest, UnsupportedInputsAndBadShapesAreOneLineErrors) {
  // A mask_index input: refused when the session is created, naming the input.
  auto masked = LoadProto(AttentionModel(1, 4, 8, 2, true, false));
  ASSERT_FALSE(masked.ok());
  EXPECT_NE(masked.status().ToString().find("mask_index"), std::string::npos)
      << masked.status().ToString();
  EXPECT_EQ(masked.status().ToString().find('\n'), std::string::npos);
  // Hidden 12 with 5 heads: an error at run time naming num_heads.
  auto bad = LoadProto(AttentionModel(1, 4, 12, 5, false, false));
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  auto r = (*bad)->Run({{"x", Tensor::FromVector<float>({1, 4, 12}, Random(48, 3, 1.f))}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("num_heads"), std::string::npos) << r.status().ToString();
  // Input of the wrong rank.
  auto ok = LoadProto(AttentionModel(1, 4, 8, 2, false, false));
  ASSERT_TRUE(ok.ok());
  auto r2 = (*ok)->Run({{"x", Tensor::FromVector<float>({4, 8}, Random(32, 3, 1.f))}});
  EXPECT_FALSE(r2.ok());
}

}  // namespace
}  // namespace onnxedge
