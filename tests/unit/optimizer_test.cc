// Copyright onnxedge authors.
// Graph optimizer tests: every pass on a tiny graph, checking the structure after the pass AND
// that the optimized model (saved as ONNX and reloaded) computes what the original computes.
// Also the pass manager (levels, disabled passes, verification), the matcher and the saver.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "ir/onnx/loader.h"
#include "ir/onnx/saver.h"
#include "ir/verifier.h"
#include "optimizer/pass.h"
#include "optimizer/pass_manager.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"
#include "runtime/kernel.h"
#include "runtime/session_impl.h"
#include "unit/model_builder.h"

namespace onnxedge {
namespace {

using namespace onnxedge::testing;  // NOLINT

std::vector<float> RandomFloats(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

Tensor RandomTensor(const Shape& shape, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  return Tensor::FromVector<float>(
      shape, RandomFloats(static_cast<size_t>(ShapeElementCount(shape)), seed, lo, hi));
}

void AttrI(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void AttrF(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
void AttrS(onnx::NodeProto* n, const std::string& name, const std::string& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}
void AttrInts(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

onnx_io::LoadOptions LoadOpts() {
  onnx_io::LoadOptions lo;
  lo.has_kernel = [](const std::string& domain, const std::string& op, int opset) {
    return OpRegistry::Get().Find(domain, op, opset) != nullptr;
  };
  return lo;
}

// Every pass name except those in `keep`.
std::vector<std::string> AllPassesBut(const std::set<std::string>& keep) {
  std::set<std::string> names;
  for (const auto& e : opt::Pipeline()) {
    if (!keep.count(e.pass->name())) names.insert(e.pass->name());
  }
  return {names.begin(), names.end()};
}

struct Optimized {
  ir::Model model;
  opt::OptimizeReport report;
  std::string bytes;  ///< The optimized model saved as ONNX.
};

// Loads `m`, runs only the passes in `passes` (all when empty) at `level`, verifying the graph
// after every pass, and saves the result as ONNX.
Optimized RunPasses(const onnx::ModelProto& m, const std::set<std::string>& passes,
                    OptimizationLevel level = OptimizationLevel::kExtended,
                    bool for_export = true, std::vector<std::string> enabled = {}) {
  Optimized out;
  const std::string bytes = m.SerializeAsString();
  auto model = onnx_io::LoadModelFromBuffer(bytes.data(), bytes.size(), LoadOpts());
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  if (!model.ok()) return out;
  out.model = std::move(model).value();
  opt::OptimizeOptions o;
  o.level = level;
  o.for_export = for_export;
  o.verify = true;
  if (!passes.empty()) o.disabled_passes = AllPassesBut(passes);
  o.enabled_passes = std::move(enabled);
  Status st = opt::Optimize(out.model, o, &out.report);
  EXPECT_TRUE(st.ok()) << st.ToString();
  auto saved = onnx_io::SerializeModel(out.model);
  // Only an export promises a savable model (a run-time fusion may need a newer opset).
  if (for_export) EXPECT_TRUE(saved.ok()) << saved.status().ToString();
  if (saved.ok()) out.bytes = *saved;
  return out;
}

// Op types of the main graph in order ("com.microsoft.Gelu" for other domains).
std::vector<std::string> Ops(const ir::Model& m) {
  std::vector<std::string> ops;
  for (const auto& n : m.graph->nodes) {
    ops.push_back(n->domain.empty() ? n->op_type : n->domain + "." + n->op_type);
  }
  return ops;
}

int Count(const ir::Model& m, const std::string& op) {
  int c = 0;
  for (const auto& s : Ops(m)) c += s == op;
  return c;
}

// Runs `m` in sessions at every optimization level (passes verified) and expects every output
// to match the unoptimized session's within atol + rtol * |expected|.
void ExpectSameOutputsAtEveryLevel(const onnx::ModelProto& m, const std::vector<NamedValue>& in,
                                   double atol, double rtol) {
  std::vector<std::vector<NamedValue>> results;
  for (auto level : {OptimizationLevel::kDisabled, OptimizationLevel::kBasic,
                     OptimizationLevel::kExtended, OptimizationLevel::kAll}) {
    SessionOptions so;
    so.optimization_level = level;
    so.verify_optimizer_passes = true;
    auto session = LoadProto(m, so);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    auto r = (*session)->Run(in);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    results.push_back(*r);
  }
  for (size_t l = 1; l < results.size(); ++l) {
    ASSERT_EQ(results[l].size(), results[0].size());
    for (size_t k = 0; k < results[0].size(); ++k) {
      const Tensor& a = results[0][k].value.tensor();
      const Tensor& b = results[l][k].value.tensor();
      ASSERT_EQ(a.shape(), b.shape());
      for (int64_t e = 0; e < a.size(); ++e) {
        const double x = a.data<float>()[e];
        ASSERT_NEAR(x, b.data<float>()[e], atol + rtol * std::fabs(x))
            << "level " << l << " output " << k << " [" << e << "]";
      }
    }
  }
}

std::vector<NamedValue> RunBytes(const std::string& bytes, const std::vector<NamedValue>& in) {
  SessionOptions so;
  so.optimization_level = OptimizationLevel::kDisabled;
  so.intra_op_threads = 1;
  auto s = Session::LoadFromBuffer(bytes.data(), bytes.size(), so);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return {};
  auto r = (*s)->Run(in);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<NamedValue>{};
}

// Runs the original model and the optimized one (both unoptimized by the session) and compares
// every output: same dtype, shape, and values within atol + rtol * |ref|.
void ExpectSameOutputs(const onnx::ModelProto& original, const Optimized& opt,
                       const std::vector<NamedValue>& inputs, double atol = 1e-5,
                       double rtol = 1e-5) {
  auto ref = RunBytes(original.SerializeAsString(), inputs);
  auto got = RunBytes(opt.bytes, inputs);
  ASSERT_EQ(ref.size(), got.size());
  ASSERT_FALSE(ref.empty());
  for (size_t i = 0; i < ref.size(); ++i) {
    EXPECT_EQ(ref[i].name, got[i].name);
    const Tensor& a = ref[i].value.tensor();
    const Tensor& b = got[i].value.tensor();
    ASSERT_EQ(a.dtype(), b.dtype()) << ref[i].name;
    ASSERT_EQ(a.shape(), b.shape()) << ref[i].name;
    if (a.dtype() == DataType::kFloat) {
      for (int64_t k = 0; k < a.size(); ++k) {
        const double x = a.data<float>()[k], y = b.data<float>()[k];
        ASSERT_NEAR(x, y, atol + rtol * std::fabs(x)) << ref[i].name << "[" << k << "]";
      }
    } else if (a.dtype() == DataType::kInt64) {
      for (int64_t k = 0; k < a.size(); ++k) {
        ASSERT_EQ(a.data<int64_t>()[k], b.data<int64_t>()[k]) << ref[i].name << "[" << k << "]";
      }
    }
  }
}

int Rewrites(const Optimized& o, const std::string& pass) {
  int r = 0;
  for (const auto& p : o.report.passes) r += p.name == pass ? p.rewrites : 0;
  return r;
}

// --- basic passes ------------------------------------------------------------------------------

TEST(OptimizerPass, EliminateIdentityAndInferenceDropout) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3});
  AddNode(g, "Identity", {"x"}, {"a"});
  AddNode(g, "Relu", {"a"}, {"b"});
  AddNode(g, "Dropout", {"b"}, {"c"});
  AddNode(g, "Neg", {"c"}, {"d"});
  AddNode(g, "Identity", {"d"}, {"y"});  // Graph output: Neg writes y instead.
  AddOutput(g, "y");
  auto o = RunPasses(m, {"eliminate_identity"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Relu", "Neg"}));
  EXPECT_EQ(o.model.graph->outputs[0].name, "y");
  EXPECT_EQ(Rewrites(o, "eliminate_identity"), 3);
  ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 3}, 1)}});
}

TEST(OptimizerPass, DropoutInTrainingModeStays) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3});
  AddInput(g, "r", DataType::kFloat, {});
  AddInput(g, "t", DataType::kBool, {});
  AddNode(g, "Dropout", {"x", "r", "t"}, {"y"});
  AddOutput(g, "y");
  auto o = RunPasses(m, {"eliminate_identity"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Dropout"}));
}

TEST(OptimizerPass, ConstantFoldingOfConstantsAndShapeSubgraphs) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3, 4});
  AddInitializer(g, "c1", RandomTensor({4}, 2));
  AddInitializer(g, "c2", RandomTensor({4}, 3));
  AddInitializer(g, "zero", Tensor::FromVector<int64_t>({1}, {0}));
  AddInitializer(g, "minus1", Tensor::FromVector<int64_t>({1}, {-1}));
  AddInitializer(g, "i0", Tensor::Scalar<int64_t>(0));
  // k = Exp(c1 + c2) is all-constant.
  AddNode(g, "Add", {"c1", "c2"}, {"s"});
  AddNode(g, "Exp", {"s"}, {"k"});
  AddNode(g, "Mul", {"x", "k"}, {"xk"});
  // Reshape(xk, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])): the exporter's flatten.
  AddNode(g, "Shape", {"x"}, {"shp"});
  AddNode(g, "Gather", {"shp", "i0"}, {"d0"});
  AddNode(g, "Unsqueeze", {"d0", "zero"}, {"d0u"});
  AttrI(AddNode(g, "Concat", {"d0u", "minus1"}, {"target"}), "axis", 0);
  AddNode(g, "Reshape", {"xk", "target"}, {"y"});
  AddOutput(g, "y");
  auto o = RunPasses(m, {"constant_folding", "eliminate_dead_nodes"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Mul", "Reshape"}));
  EXPECT_GE(Rewrites(o, "constant_folding"), 6);
  ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 3, 4}, 4)}});
}

TEST(OptimizerPass, ConstantFoldingLeavesUnknownShapesAndRandomOps) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {-1, 3}, {"n", ""});
  AddNode(g, "Shape", {"x"}, {"y"});  // N unknown: stays.
  AddOutput(g, "y");
  auto* r = AddNode(g, "RandomUniform", {}, {"z"});
  AttrInts(r, "shape", {2});
  AddOutput(g, "z");
  auto o = RunPasses(m, {"constant_folding"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Shape", "RandomUniform"}));
}

TEST(OptimizerPass, ConstantFoldingRefusesHugeResults) {
  // 2^36 floats (256 GiB): folding must give up without trying to allocate it.
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {1});
  AddInitializer(g, "shape", Tensor::FromVector<int64_t>({2}, {int64_t{1} << 20, 1 << 16}));
  AddNode(g, "ConstantOfShape", {"shape"}, {"big"});
  AddNode(g, "Add", {"big", "x"}, {"y"});
  AddOutput(g, "y");
  auto o = RunPasses(m, {"constant_folding"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"ConstantOfShape", "Add"}));
}

TEST(OptimizerPass, ConstantFoldingLeavesHeavyOpsOnLargeConstants) {
  // MatMul of two constants: folded when small; left to Run (which has deadlines) when large.
  for (int64_t n : {4, 512}) {
    auto m = NewModel(13);
    auto* g = m.mutable_graph();
    AddInput(g, "x", DataType::kFloat, {n, n});
    AddInitializer(g, "a", RandomTensor({n, n}, 50));
    AddInitializer(g, "b", RandomTensor({n, n}, 51));
    AddNode(g, "MatMul", {"a", "b"}, {"ab"});
    AddNode(g, "Add", {"x", "ab"}, {"y"});
    AddOutput(g, "y");
    auto o = RunPasses(m, {"constant_folding"});
    EXPECT_EQ(Count(o.model, "MatMul"), n == 4 ? 0 : 1) << n;
    if (n == 4) ExpectSameOutputs(m, o, {{"x", RandomTensor({n, n}, 52)}}, 1e-5, 1e-5);
  }
}

TEST(OptimizerPass, EliminateDeadNodesAndInitializers) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3});
  AddInitializer(g, "w", RandomTensor({3}, 5));
  AddNode(g, "Relu", {"x"}, {"y"});
  AddNode(g, "Add", {"x", "w"}, {"dead1"});
  AddNode(g, "Exp", {"dead1"}, {"dead2"});
  AddOutput(g, "y");
  auto o = RunPasses(m, {"eliminate_dead_nodes"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Relu"}));
  EXPECT_TRUE(o.model.graph->initializers.empty());
  ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 3}, 6)}});
}

TEST(OptimizerPass, EliminateRedundantCast) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3});
  AttrI(AddNode(g, "Cast", {"x"}, {"a"}), "to", static_cast<int>(DataType::kFloat));  // no-op
  AttrI(AddNode(g, "Cast", {"a"}, {"b"}), "to", static_cast<int>(DataType::kDouble));  // exact
  AttrI(AddNode(g, "Cast", {"b"}, {"c"}), "to", static_cast<int>(DataType::kFloat));   // back
  AddNode(g, "Relu", {"c"}, {"d"});
  AttrI(AddNode(g, "Cast", {"d"}, {"e"}), "to", static_cast<int>(DataType::kInt32));  // lossy
  AttrI(AddNode(g, "Cast", {"e"}, {"y"}), "to", static_cast<int>(DataType::kFloat));  // stays
  AddOutput(g, "y");
  auto o = RunPasses(m, {"eliminate_redundant_cast", "eliminate_dead_nodes"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Relu", "Cast", "Cast"}));
  ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 3}, 7, -5, 5)}});
}

TEST(OptimizerPass, FuseTransposePairs) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3, 4});
  AttrInts(AddNode(g, "Transpose", {"x"}, {"a"}), "perm", {2, 0, 1});
  AttrInts(AddNode(g, "Transpose", {"a"}, {"b"}), "perm", {1, 2, 0});  // inverse: cancels
  AddNode(g, "Relu", {"b"}, {"c"});
  AttrInts(AddNode(g, "Transpose", {"c"}, {"d"}), "perm", {1, 0, 2});
  AttrInts(AddNode(g, "Transpose", {"d"}, {"y"}), "perm", {0, 2, 1});  // composes to one
  AddOutput(g, "y");
  auto o = RunPasses(m, {"fuse_transposes", "eliminate_dead_nodes"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Relu", "Transpose"}));
  ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 3, 4}, 8)}});
}

// Transpose -> Reshape (axis splits only) -> Transpose becomes Reshape -> one Transpose, as in
// the detection heads after a channels-last convolution; merges, other readers and dynamic
// shapes are left alone.
TEST(OptimizerPass, FuseTransposesThroughSplittingReshape) {
  struct Case {
    Shape x;
    std::vector<int64_t> p1, target, p2;
    std::vector<std::string> between;  // one-input ops between the Reshape and the Transpose
    bool extra_reader;                 // the first transpose also feeds a graph output
    std::vector<int64_t> perm;         // the fused transpose's permutation; empty: not fused
  };
  const std::vector<Case> cases = {
      // NHWC [1,4,5,24] -> NCHW -> [1,3,8,4,5] -> [1,3,4,5,8]: runs of 8 move whole.
      {{1, 4, 5, 24}, {0, 3, 1, 2}, {1, 3, 8, 4, 5}, {0, 1, 3, 4, 2}, {}, false, {0, 3, 1, 2, 4}},
      // YOLO's Sigmoid (and another elementwise op) in between: they run on the split input.
      {{1, 4, 5, 24}, {0, 3, 1, 2}, {1, 3, 8, 4, 5}, {0, 1, 3, 4, 2}, {"Sigmoid", "Neg"}, false,
       {0, 3, 1, 2, 4}},
      // Leading and trailing 1s, a split of the first transposed axis.
      {{2, 6, 1}, {1, 0, 2}, {2, 3, 2, 1, 1}, {4, 3, 2, 1, 0}, {}, false, {4, 3, 0, 2, 1}},
      // A merge ([3,2,4] -> [6,4]) is not a split.
      {{2, 3, 4}, {1, 0, 2}, {6, 4}, {1, 0}, {}, false, {}},
      // The first transpose read elsewhere too.
      {{1, 4, 5, 24}, {0, 3, 1, 2}, {1, 3, 8, 4, 5}, {0, 1, 3, 4, 2}, {}, true, {}},
  };
  uint32_t seed = 41;
  for (const Case& c : cases) {
    auto m = NewModel(13);
    auto* g = m.mutable_graph();
    AddInput(g, "x", DataType::kFloat, c.x);
    AttrInts(AddNode(g, "Transpose", {"x"}, {"a"}), "perm", c.p1);
    AddInitializer(g, "shape", Tensor::FromVector<int64_t>(
                                   {static_cast<int64_t>(c.target.size())}, c.target));
    AddNode(g, "Reshape", {"a", "shape"}, {"b"});
    std::string v = "b";
    std::vector<std::string> ops = {"Reshape"};
    for (const std::string& op : c.between) {
      AddNode(g, op, {v}, {v + "_" + op});
      v += "_" + op;
      ops.push_back(op);
    }
    AttrInts(AddNode(g, "Transpose", {v}, {"y"}), "perm", c.p2);
    AddOutput(g, "y");
    if (c.extra_reader) {
      AddNode(g, "Relu", {"a"}, {"z"});
      AddOutput(g, "z");
    }
    auto o = RunPasses(m, {"fuse_transposes", "eliminate_dead_nodes"});
    if (!c.perm.empty()) {
      ops.push_back("Transpose");
      EXPECT_EQ(Ops(o.model), ops);
      for (const auto& n : o.model.graph->nodes) {
        if (n->op_type != "Transpose") continue;
        const ir::Attribute* perm = n->FindAttribute("perm");
        ASSERT_NE(perm, nullptr);
        EXPECT_EQ(perm->ints, c.perm);
      }
    } else {
      EXPECT_EQ(Count(o.model, "Transpose"), 2);
    }
    ExpectSameOutputs(m, o, {{"x", RandomTensor(c.x, seed++)}});
  }
}

TEST(OptimizerPass, FuseReshapeChains) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3, 4});
  AddInitializer(g, "s1", Tensor::FromVector<int64_t>({2}, {6, 4}));
  AddInitializer(g, "s2", Tensor::FromVector<int64_t>({3}, {4, -1, 2}));
  AddInitializer(g, "s3", Tensor::FromVector<int64_t>({3}, {4, 3, 2}));
  AddNode(g, "Reshape", {"x", "s1"}, {"a"});
  AddNode(g, "Reshape", {"a", "s2"}, {"b"});
  AddNode(g, "Relu", {"b"}, {"c"});
  AddNode(g, "Reshape", {"c", "s3"}, {"y"});  // [4,3,2] -> [4,3,2]: unchanged, removed
  AddOutput(g, "y");
  auto o = RunPasses(m, {"fuse_reshapes", "eliminate_dead_nodes"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Reshape", "Relu"}));
  ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 3, 4}, 9)}});
}

TEST(OptimizerPass, FuseSlicesToSplit) {
  for (int opset : {11, 13}) {
    for (bool gap : {false, true}) {
      auto m = NewModel(opset);
      auto* g = m.mutable_graph();
      AddInput(g, "x", DataType::kFloat, {2, 12});
      AddInitializer(g, "axis", Tensor::FromVector<int64_t>({1}, {-1}));
      const std::vector<std::pair<int64_t, int64_t>> ranges = {
          {8, INT64_MAX}, {0, 4}, {gap ? 5 : 4, -4}};  // out of order, clamped, negative
      for (size_t i = 0; i < ranges.size(); ++i) {
        const std::string s = "s" + std::to_string(i), e = "e" + std::to_string(i);
        AddInitializer(g, s, Tensor::FromVector<int64_t>({1}, {ranges[i].first}));
        AddInitializer(g, e, Tensor::FromVector<int64_t>({1}, {ranges[i].second}));
        AddNode(g, "Slice", {"x", s, e, "axis"}, {"y" + std::to_string(i)});
        AddOutput(g, "y" + std::to_string(i));
      }
      auto o = RunPasses(m, {"fuse_slices_to_split"});
      if (gap) {
        EXPECT_EQ(Count(o.model, "Slice"), 3) << opset;
      } else {
        EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Split"})) << opset;
        EXPECT_EQ(o.model.graph->nodes[0]->outputs,
                  (std::vector<std::string>{"y1", "y2", "y0"}));
      }
      ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 12}, 56)}});
    }
  }
}

// A Focus stem (YOLOv5 before v6, YOLOX): four strided slices of x, concatenated on channels,
// into a Conv. Each field is one way to vary it; the defaults are YOLOX-nano's stem, smaller.
struct FocusSpec {
  enum class Slices { kOneNode, kRowsThenCols, kColsThenRows };
  Slices slices = Slices::kOneNode;
  std::vector<std::pair<int64_t, int64_t>> phases = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};  // (dy, dx)
  int64_t n = 1, c = 3, h = 8, w = 10;
  bool dynamic_batch = false;
  int64_t row_step = 2, row_end = INT64_MAX;
  int64_t channel_end = 0;  // > 0: the single Slice also cuts channels [0, channel_end).
  bool negative_axes = false;
  int64_t m = 4, kh = 3, kw = 3;
  std::vector<int64_t> pads = {1, 1, 1, 1};
  std::string auto_pad;  // Empty: no attribute (pads apply).
  int64_t group = 1, stride = 1, dilation = 1;
  bool bias = true;
  bool weights_input = false;  // W is a graph input instead of an initializer.
  bool extra_reader = false;   // The Concat output also feeds a Relu (a second graph output).
  bool concat_is_output = false;
};

// "p0", "r3", ...
std::string Indexed(char prefix, size_t i) {
  std::string s(1, prefix);
  s += std::to_string(i);
  return s;
}

Shape FocusWeightShape(const FocusSpec& s) {
  const int64_t channels = s.channel_end > 0 ? std::min(s.channel_end, s.c) : s.c;
  return {s.m, static_cast<int64_t>(s.phases.size()) * channels / s.group, s.kh, s.kw};
}

onnx::ModelProto FocusModel(const FocusSpec& s) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {s.dynamic_batch ? -1 : s.n, s.c, s.h, s.w},
           s.dynamic_batch ? std::vector<std::string>{"N"} : std::vector<std::string>{});
  auto ints = [&](const std::string& name, const std::vector<int64_t>& v) {
    AddInitializer(g, name, Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v));
    return name;
  };
  const int64_t ax_h = s.negative_axes ? -2 : 2, ax_w = s.negative_axes ? -1 : 3;
  for (size_t q = 0; q < s.phases.size(); ++q) {
    const auto [dy, dx] = s.phases[q];
    const std::string p = Indexed('p', q), r = Indexed('r', q);
    if (s.slices == FocusSpec::Slices::kOneNode) {
      std::vector<int64_t> starts = {dy, dx}, ends = {s.row_end, INT64_MAX}, axes = {ax_h, ax_w},
                           steps = {s.row_step, 2};
      if (s.channel_end > 0) {
        starts.insert(starts.begin(), 0);
        ends.insert(ends.begin(), s.channel_end);
        axes.insert(axes.begin(), 1);
        steps.insert(steps.begin(), 1);
      }
      AddNode(g, "Slice",
              {"x", ints(p + "_s", starts), ints(p + "_e", ends), ints(p + "_a", axes),
               ints(p + "_t", steps)},
              {p});
    } else {
      const std::vector<std::string> rows = {ints(r + "_s", {dy}), ints(r + "_e", {s.row_end}),
                                             ints(r + "_a", {ax_h}), ints(r + "_t", {s.row_step})};
      const std::vector<std::string> cols = {ints(p + "_s", {dx}), ints(p + "_e", {INT64_MAX}),
                                             ints(p + "_a", {ax_w}), ints(p + "_t", {2})};
      const bool rows_first = s.slices == FocusSpec::Slices::kRowsThenCols;
      std::vector<std::string> first = rows_first ? rows : cols;
      std::vector<std::string> second = rows_first ? cols : rows;
      first.insert(first.begin(), "x");
      second.insert(second.begin(), r);
      AddNode(g, "Slice", first, {r});
      AddNode(g, "Slice", second, {p});
    }
  }
  std::vector<std::string> parts;
  for (size_t q = 0; q < s.phases.size(); ++q) parts.push_back(Indexed('p', q));
  AttrI(AddNode(g, "Concat", parts, {"cat"}), "axis", 1);
  const Shape w_shape = FocusWeightShape(s);
  if (s.weights_input) {
    AddInput(g, "W", DataType::kFloat, w_shape);
  } else {
    AddInitializer(g, "W", RandomTensor(w_shape, 60));
  }
  std::vector<std::string> in = {"cat", "W"};
  if (s.bias) {
    AddInitializer(g, "B", RandomTensor({s.m}, 61));
    in.push_back("B");
  }
  auto* conv = AddNode(g, "Conv", in, {"y"});
  AttrInts(conv, "kernel_shape", {s.kh, s.kw});
  AttrInts(conv, "strides", {s.stride, s.stride});
  AttrInts(conv, "dilations", {s.dilation, s.dilation});
  if (s.group != 1) AttrI(conv, "group", s.group);
  if (s.auto_pad.empty()) {
    AttrInts(conv, "pads", s.pads);
  } else {
    auto* a = conv->add_attribute();
    a->set_name("auto_pad");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(s.auto_pad);
  }
  AddOutput(g, "y");
  if (s.extra_reader) {
    AddNode(g, "Relu", {"cat"}, {"relu"});
    AddOutput(g, "relu");
  }
  if (s.concat_is_output) AddOutput(g, "cat");
  return m;
}

std::vector<NamedValue> FocusInputs(const FocusSpec& s) {
  std::vector<NamedValue> in = {{"x", RandomTensor({s.n, s.c, s.h, s.w}, 62)}};
  if (s.weights_input) in.push_back({"W", RandomTensor(FocusWeightShape(s), 63)});
  return in;
}

TEST(OptimizerPass, FuseFocusIntoStride2Conv) {
  using S = FocusSpec::Slices;
  const std::vector<std::pair<int64_t, int64_t>> yolox = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
  const std::vector<std::pair<int64_t, int64_t>> shuffled = {{1, 1}, {0, 1}, {0, 0}, {1, 0}};
  std::vector<FocusSpec> specs;
  for (S slices : {S::kOneNode, S::kRowsThenCols, S::kColsThenRows}) {
    for (const auto& phases : {yolox, shuffled}) {
      FocusSpec s;
      s.slices = slices;
      s.phases = phases;
      specs.push_back(s);
    }
  }
  // Kernels, pads and auto_pad: each maps to its own stride-2 pads.
  auto with = [&](auto change) {
    FocusSpec s;
    s.phases = shuffled;
    change(s);
    specs.push_back(s);
  };
  with([](FocusSpec& s) { s.pads = {0, 1, 2, 1}; });
  with([](FocusSpec& s) { s.kh = s.kw = 1, s.pads = {0, 0, 0, 0}, s.bias = false; });
  with([](FocusSpec& s) { s.kh = 3, s.kw = 1, s.pads = {1, 0, 1, 0}; });
  with([](FocusSpec& s) { s.kh = s.kw = 5, s.pads = {2, 2, 2, 2}, s.h = 12, s.w = 6; });
  with([](FocusSpec& s) { s.kh = s.kw = 2, s.auto_pad = "SAME_UPPER"; });
  with([](FocusSpec& s) { s.kh = s.kw = 2, s.auto_pad = "SAME_LOWER"; });
  with([](FocusSpec& s) { s.auto_pad = "VALID"; });
  with([](FocusSpec& s) { s.dynamic_batch = true, s.n = 2, s.negative_axes = true; });
  with([](FocusSpec& s) { s.channel_end = INT64_MAX, s.slices = S::kOneNode; });
  with([](FocusSpec& s) { s.row_end = 8, s.c = 16, s.m = 8; });  // ends at H exactly

  for (size_t i = 0; i < specs.size(); ++i) {
    const FocusSpec& s = specs[i];
    auto m = FocusModel(s);
    auto o = RunPasses(m, {"fuse_focus_conv", "eliminate_dead_nodes"}, OptimizationLevel::kBasic);
    ASSERT_EQ(Ops(o.model), (std::vector<std::string>{"Conv"})) << "case " << i;
    EXPECT_EQ(Rewrites(o, "fuse_focus_conv"), 1) << i;
    const ir::Node& conv = *o.model.graph->nodes[0];
    EXPECT_EQ(conv.name, "Conv_y");
    EXPECT_EQ(conv.inputs[0], "x");
    EXPECT_EQ(conv.outputs[0], "y");
    EXPECT_EQ(conv.inputs.size(), s.bias ? 3u : 2u);
    EXPECT_EQ(opt::AttrInts(conv, "kernel_shape").value_or(std::vector<int64_t>{}),
              (std::vector<int64_t>{2 * s.kh, 2 * s.kw}));
    EXPECT_EQ(opt::AttrInts(conv, "strides").value_or(std::vector<int64_t>{}),
              (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(opt::AttrString(conv, "auto_pad", "NOTSET"), "NOTSET");
    std::vector<int64_t> pads = s.pads;
    if (s.auto_pad == "SAME_UPPER") pads = {0, 0, 1, 1};
    if (s.auto_pad == "SAME_LOWER") pads = {1, 1, 0, 0};
    if (s.auto_pad == "VALID") pads = {0, 0, 0, 0};
    for (auto& p : pads) p *= 2;
    EXPECT_EQ(opt::AttrInts(conv, "pads").value_or(std::vector<int64_t>{}), pads) << i;
    const Tensor& w = o.model.graph->initializers.at(conv.inputs[1]);
    EXPECT_EQ(w.shape(), (Shape{s.m, s.c, 2 * s.kh, 2 * s.kw}));
    ExpectSameOutputs(m, o, FocusInputs(s), 1e-5, 1e-5);
    // Idempotent: the rewritten graph has nothing left to match.
    onnx::ModelProto again;
    ASSERT_TRUE(again.ParseFromString(o.bytes));
    auto o2 = RunPasses(again, {"fuse_focus_conv"}, OptimizationLevel::kBasic);
    EXPECT_EQ(Rewrites(o2, "fuse_focus_conv"), 0) << i;
    EXPECT_EQ(Ops(o2.model), (std::vector<std::string>{"Conv"}));
  }
}

TEST(OptimizerPass, FuseFocusThenBatchNormAndActivationAtEveryLevel) {
  FocusSpec s;
  s.slices = FocusSpec::Slices::kRowsThenCols;
  auto m = FocusModel(s);
  auto* g = m.mutable_graph();
  g->mutable_output(0)->set_name("bn");
  AddInitializer(g, "scale", RandomTensor({s.m}, 64, 0.5f, 2.f));
  AddInitializer(g, "bnb", RandomTensor({s.m}, 65));
  AddInitializer(g, "mean", RandomTensor({s.m}, 66));
  AddInitializer(g, "var", RandomTensor({s.m}, 67, 0.1f, 3.f));
  AddNode(g, "BatchNormalization", {"y", "scale", "bnb", "mean", "var"}, {"bn"});
  AddNode(g, "Sigmoid", {"bn"}, {"sig"});
  AddNode(g, "Mul", {"bn", "sig"}, {"silu"});
  AddOutput(g, "silu");
  auto basic = RunPasses(m, {}, OptimizationLevel::kBasic);
  EXPECT_EQ(Ops(basic.model), (std::vector<std::string>{"Conv", "Sigmoid", "Mul"}));
  EXPECT_EQ(Rewrites(basic, "fuse_focus_conv"), 1);
  ExpectSameOutputs(m, basic, FocusInputs(s), 1e-5, 1e-4);
  // Sessions at every level agree with the unoptimized graph.
  ExpectSameOutputsAtEveryLevel(m, FocusInputs(s), 1e-5, 1e-4);
}

TEST(OptimizerPass, FocusThatIsNotExactlySpaceToDepthStays) {
  std::vector<std::pair<std::string, FocusSpec>> specs;
  auto with = [&](const std::string& why, auto change) {
    FocusSpec s;
    change(s);
    specs.push_back({why, s});
  };
  // Odd height: 0:6:2 and 1::2 both have 3 rows, row 6 is dropped.
  with("odd H", [](FocusSpec& s) { s.h = 7, s.row_end = 6; });
  with("step 3", [](FocusSpec& s) { s.h = 12, s.row_step = 3; });
  with("step 3 chained",
       [](FocusSpec& s) { s.h = 12, s.row_step = 3, s.slices = FocusSpec::Slices::kRowsThenCols; });
  with("short rows", [](FocusSpec& s) { s.row_end = 6; });  // 3 of 4 rows per phase
  with("extra reader", [](FocusSpec& s) { s.extra_reader = true; });
  with("concat is an output", [](FocusSpec& s) { s.concat_is_output = true; });
  with("group 2", [](FocusSpec& s) { s.group = 2; });
  with("stride 2", [](FocusSpec& s) { s.stride = 2; });
  with("dilation 2", [](FocusSpec& s) { s.dilation = 2, s.pads = {2, 2, 2, 2}; });
  with("weights not constant", [](FocusSpec& s) { s.weights_input = true; });
  with("partial channels", [](FocusSpec& s) { s.channel_end = 2; });
  with("a phase twice", [](FocusSpec& s) { s.phases = {{0, 0}, {1, 0}, {0, 1}, {0, 0}}; });
  with("three phases", [](FocusSpec& s) { s.phases = {{0, 0}, {1, 0}, {0, 1}}, s.m = 3; });
  for (const auto& [why, s] : specs) {
    auto m = FocusModel(s);
    auto before = RunPasses(m, {"eliminate_dead_nodes"}, OptimizationLevel::kBasic);
    auto o = RunPasses(m, {"fuse_focus_conv", "eliminate_dead_nodes"}, OptimizationLevel::kBasic);
    EXPECT_EQ(Rewrites(o, "fuse_focus_conv"), 0) << why;
    EXPECT_EQ(Ops(o.model), Ops(before.model)) << why;
    EXPECT_EQ(Count(o.model, "Concat"), 1) << why;
    EXPECT_EQ(o.model.graph->initializers.count("W"), s.weights_input ? 0u : 1u) << why;
    ExpectSameOutputs(m, o, FocusInputs(s));
  }
}

onnx::ModelProto ConvModel(int64_t c_out, bool bias) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {1, 3, 6, 6});
  AddInitializer(g, "W", RandomTensor({c_out, 3, 3, 3}, 10));
  std::vector<std::string> in = {"x", "W"};
  if (bias) {
    AddInitializer(g, "B", RandomTensor({c_out}, 11));
    in.push_back("B");
  }
  AttrInts(AddNode(g, "Conv", in, {"conv"}), "pads", {1, 1, 1, 1});
  return m;
}

TEST(OptimizerPass, FuseConvBatchNorm) {
  for (bool bias : {false, true}) {
    auto m = ConvModel(4, bias);
    auto* g = m.mutable_graph();
    AddInitializer(g, "scale", RandomTensor({4}, 12, 0.5f, 2.f));
    AddInitializer(g, "bnb", RandomTensor({4}, 13));
    AddInitializer(g, "mean", RandomTensor({4}, 14));
    AddInitializer(g, "var", RandomTensor({4}, 15, 0.1f, 3.f));
    AttrF(AddNode(g, "BatchNormalization", {"conv", "scale", "bnb", "mean", "var"}, {"y"}),
          "epsilon", 1e-3f);
    AddOutput(g, "y");
    auto o = RunPasses(m, {"fuse_conv_batchnorm"});
    EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Conv"})) << bias;
    EXPECT_EQ(o.model.graph->nodes[0]->inputs.size(), 3u);
    ExpectSameOutputs(m, o, {{"x", RandomTensor({1, 3, 6, 6}, 16)}}, 1e-5, 1e-4);
  }
}

TEST(OptimizerPass, FuseConvMulAddIntoWeightsAndBias) {
  auto m = ConvModel(4, true);
  auto* g = m.mutable_graph();
  AddInitializer(g, "s", RandomTensor({1, 4, 1, 1}, 17, 0.5f, 2.f));
  AddInitializer(g, "t", RandomTensor({4, 1, 1}, 18));
  AddInitializer(g, "u", Tensor::Scalar<float>(0.25f));
  AddNode(g, "Mul", {"s", "conv"}, {"a"});
  AddNode(g, "Add", {"a", "t"}, {"b"});
  AddNode(g, "Div", {"b", "u"}, {"y"});
  AddOutput(g, "y");
  auto o = RunPasses(m, {"fuse_conv_mul_add"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Conv"}));
  ExpectSameOutputs(m, o, {{"x", RandomTensor({1, 3, 6, 6}, 19)}}, 1e-5, 1e-4);
}

TEST(OptimizerPass, ConvBiasAddWithoutBiasInput) {
  auto m = ConvModel(4, false);
  auto* g = m.mutable_graph();
  AddInitializer(g, "t", RandomTensor({1, 4, 1, 1}, 20));
  AddNode(g, "Add", {"conv", "t"}, {"y"});
  AddOutput(g, "y");
  auto o = RunPasses(m, {"fuse_conv_mul_add"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Conv"}));
  ExpectSameOutputs(m, o, {{"x", RandomTensor({1, 3, 6, 6}, 21)}});
}

TEST(OptimizerPass, ConvAddOfNonChannelConstantStays) {
  auto m = ConvModel(4, true);
  auto* g = m.mutable_graph();
  AddInitializer(g, "t", RandomTensor({1, 1, 6, 6}, 22));  // varies over space: not a bias
  AddNode(g, "Add", {"conv", "t"}, {"y"});
  AddOutput(g, "y");
  auto o = RunPasses(m, {"fuse_conv_mul_add"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Conv", "Add"}));
}

TEST(OptimizerPass, FuseGemmAdd) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "a", DataType::kFloat, {3, 5});
  AddInitializer(g, "b", RandomTensor({5, 4}, 23));
  AddInitializer(g, "c", RandomTensor({4}, 24));
  AddInitializer(g, "d", RandomTensor({1, 4}, 25));
  auto* gemm = AddNode(g, "Gemm", {"a", "b", "c"}, {"h"});
  AttrF(gemm, "beta", 0.5f);
  AttrF(gemm, "alpha", 2.f);
  AddNode(g, "Add", {"d", "h"}, {"y"});
  AddOutput(g, "y");
  auto o = RunPasses(m, {"fuse_gemm_add"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Gemm"}));
  ExpectSameOutputs(m, o, {{"a", RandomTensor({3, 5}, 26)}});
}

TEST(OptimizerPass, FuseMatMulAddIntoGemm) {
  for (bool rank3 : {false, true}) {
    auto m = NewModel(13);
    auto* g = m.mutable_graph();
    const Shape xs = rank3 ? Shape{2, 3, 5} : Shape{3, 5};
    AddInput(g, "x", DataType::kFloat, xs);
    AddInitializer(g, "w", RandomTensor({5, 4}, 27));
    AddInitializer(g, "b", RandomTensor({4}, 28));
    AddNode(g, "MatMul", {"x", "w"}, {"h"});
    AddNode(g, "Add", {"b", "h"}, {"y"});
    AddOutput(g, "y");
    auto o = RunPasses(m, {"fuse_matmul_add"});
    EXPECT_EQ(Count(o.model, "Gemm"), 1) << rank3;
    EXPECT_EQ(Count(o.model, "MatMul") + Count(o.model, "Add"), 0) << rank3;
    ExpectSameOutputs(m, o, {{"x", RandomTensor(xs, 29)}});
  }
}

TEST(OptimizerPass, MatMulAddWithNonBiasAddStays) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {3, 5});
  AddInput(g, "z", DataType::kFloat, {3, 4});
  AddInitializer(g, "w", RandomTensor({5, 4}, 27));
  AddNode(g, "MatMul", {"x", "w"}, {"h"});
  AddNode(g, "Add", {"h", "z"}, {"y"});  // not a constant bias
  AddOutput(g, "y");
  auto o = RunPasses(m, {"fuse_matmul_add"});
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"MatMul", "Add"}));
}

// --- extended passes ---------------------------------------------------------------------------

// GELU as PyTorch exports it: x * 0.5 * (1 + erf(x / sqrt(2))), or the tanh approximation.
onnx::ModelProto GeluModel(int opset, bool tanh_form) {
  auto m = NewModel(opset);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 8});
  AddInitializer(g, "half", Tensor::Scalar<float>(0.5f));
  AddInitializer(g, "one", Tensor::Scalar<float>(1.f));
  if (!tanh_form) {
    AddInitializer(g, "sqrt2", Tensor::Scalar<float>(std::sqrt(2.f)));
    AddNode(g, "Div", {"x", "sqrt2"}, {"t0"});
    AddNode(g, "Erf", {"t0"}, {"t1"});
  } else {
    AddInitializer(g, "three", Tensor::Scalar<float>(3.f));
    AddInitializer(g, "k", Tensor::Scalar<float>(0.044715f));
    AddInitializer(g, "c", Tensor::Scalar<float>(static_cast<float>(std::sqrt(2.0 / M_PI))));
    AddNode(g, "Pow", {"x", "three"}, {"p"});
    AddNode(g, "Mul", {"k", "p"}, {"kp"});
    AddNode(g, "Add", {"x", "kp"}, {"s"});
    AddNode(g, "Mul", {"s", "c"}, {"t0"});
    AddNode(g, "Tanh", {"t0"}, {"t1"});
  }
  AddNode(g, "Add", {"t1", "one"}, {"t2"});
  AddNode(g, "Mul", {"x", "t2"}, {"t3"});
  AddNode(g, "Mul", {"t3", "half"}, {"y"});
  AddOutput(g, "y");
  return m;
}

TEST(OptimizerPass, FuseGeluErfAndTanhForms) {
  struct Case {
    int opset;
    bool tanh_form;
    const char* op;
  };
  for (const Case& c : {Case{13, false, "com.microsoft.Gelu"},
                        Case{13, true, "com.microsoft.FastGelu"}, Case{20, false, "Gelu"},
                        Case{20, true, "Gelu"}}) {
    auto m = GeluModel(c.opset, c.tanh_form);
    auto o = RunPasses(m, {"fuse_gelu"});
    EXPECT_EQ(Ops(o.model), (std::vector<std::string>{c.op})) << c.opset << " " << c.tanh_form;
    ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 8}, 30, -4, 4)}}, 1e-5, 1e-5);
  }
}

TEST(OptimizerPass, GeluWithWrongConstantStays) {
  auto m = GeluModel(13, false);
  for (auto& init : *m.mutable_graph()->mutable_initializer()) {
    if (init.name() == "half") {
      onnx_io::TensorToProto(Tensor::Scalar<float>(0.6f), "half", &init);
    }
  }
  auto o = RunPasses(m, {"fuse_gelu"});
  EXPECT_EQ(Count(o.model, "com.microsoft.Gelu"), 0);
  EXPECT_EQ(o.model.graph->nodes.size(), 5u);
}

// LayerNorm over the last axis written out as PyTorch exports it at opset 13.
void AddDecomposedLayerNorm(onnx::GraphProto* g, const std::string& x, const std::string& y,
                            int64_t hidden, bool with_beta) {
  AddInitializer(g, "two", Tensor::Scalar<float>(2.f));
  AddInitializer(g, "eps", Tensor::Scalar<float>(1e-5f));
  AddInitializer(g, "gamma", RandomTensor({hidden}, 31, 0.5f, 1.5f));
  AddInitializer(g, "beta", RandomTensor({hidden}, 32));
  AttrInts(AddNode(g, "ReduceMean", {x}, {"mean"}), "axes", {-1});
  AddNode(g, "Sub", {x, "mean"}, {"d"});
  AddNode(g, "Pow", {"d", "two"}, {"sq"});
  AttrInts(AddNode(g, "ReduceMean", {"sq"}, {"var"}), "axes", {-1});
  AddNode(g, "Add", {"var", "eps"}, {"ve"});
  AddNode(g, "Sqrt", {"ve"}, {"sd"});
  AddNode(g, "Div", {"d", "sd"}, {"n"});
  if (with_beta) {
    AddNode(g, "Mul", {"n", "gamma"}, {"ng"});
    AddNode(g, "Add", {"ng", "beta"}, {y});
  } else {
    AddNode(g, "Mul", {"gamma", "n"}, {y});
  }
}

TEST(OptimizerPass, FuseLayerNorm) {
  for (bool with_beta : {true, false}) {
    auto m = NewModel(13);
    auto* g = m.mutable_graph();
    AddInput(g, "x", DataType::kFloat, {2, 3, 16});
    AddDecomposedLayerNorm(g, "x", "y", 16, with_beta);
    AddOutput(g, "y");
    auto o = RunPasses(m, {"fuse_layer_norm"});
    EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"LayerNormalization"})) << with_beta;
    // Saving raised the opset to 17, where LayerNormalization exists.
    onnx::ModelProto saved;
    ASSERT_TRUE(saved.ParseFromString(o.bytes));
    EXPECT_EQ(saved.opset_import(0).version(), 17);
    ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 3, 16}, 33, -3, 3)}}, 1e-5, 1e-4);
  }
}

TEST(OptimizerPass, LayerNormOverNonTrailingAxesStays) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 16, 3});
  AddDecomposedLayerNorm(g, "x", "y", 3, true);
  // Reduce over axis 1 instead of the last.
  for (auto& n : *g->mutable_node()) {
    if (n.op_type() == "ReduceMean") n.mutable_attribute(0)->set_ints(0, 1);
  }
  AddOutput(g, "y");
  auto o = RunPasses(m, {"fuse_layer_norm"});
  EXPECT_EQ(Count(o.model, "LayerNormalization"), 0);
}

TEST(OptimizerPass, FuseSkipLayerNorm) {
  for (bool sum_read : {false, true}) {
    auto m = NewModel(17);
    auto* g = m.mutable_graph();
    AddInput(g, "a", DataType::kFloat, {2, 4, 16});
    AddInput(g, "b", DataType::kFloat, {2, 4, 16});
    AddInitializer(g, "gamma", RandomTensor({16}, 34, 0.5f, 1.5f));
    AddInitializer(g, "beta", RandomTensor({16}, 35));
    AddNode(g, "Add", {"a", "b"}, {"s"});
    AttrF(AddNode(g, "LayerNormalization", {"s", "gamma", "beta"}, {"y"}), "epsilon", 1e-5f);
    AddOutput(g, "y");
    if (sum_read) {
      AddNode(g, "Relu", {"s"}, {"r"});
      AddOutput(g, "r");
    }
    auto o = RunPasses(m, {"fuse_skip_layer_norm"});
    EXPECT_EQ(Count(o.model, "com.microsoft.SkipLayerNormalization"), 1) << sum_read;
    EXPECT_EQ(Count(o.model, "Add") + Count(o.model, "LayerNormalization"), 0) << sum_read;
    ExpectSameOutputs(m, o,
                      {{"a", RandomTensor({2, 4, 16}, 36)}, {"b", RandomTensor({2, 4, 16}, 37)}},
                      1e-5, 1e-4);
  }
}

// PyTorch's nn.MultiheadAttention (sequence-first) as the basic passes leave it: x [B,S,E] ->
// Transpose -> projections -> per-head Reshape/Transpose -> MatMul -> Softmax -> MatMul ->
// Transpose -> Reshape. `packed`: one Gemm + Split (in_proj), else three MatMul + Add.
// `scale_at`: 0 Div before the Q Transpose, 1 Mul after it, 2 Div after the first MatMul.
// `mask`: an additive constant [1, S, S] mask before the Softmax.
onnx::ModelProto MhaModel(int64_t b, bool packed, int scale_at, bool mask,
                          int64_t softmax_axis = -1, bool merge_with_zero = false) {
  const int64_t s = 5, e = 8, n = 2, d = 4;
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {b, s, e});
  AttrInts(AddNode(g, "Transpose", {"x"}, {"xs"}), "perm", {1, 0, 2});
  if (packed) {
    AddInitializer(g, "flat", Tensor::FromVector<int64_t>({2}, {-1, e}));
    AddInitializer(g, "w", RandomTensor({e, 3 * e}, 61, -0.8f, 0.8f));
    AddInitializer(g, "bw", RandomTensor({3 * e}, 62));
    AddInitializer(g, "unflat", Tensor::FromVector<int64_t>({3}, {s, b, 3 * e}));
    AddInitializer(g, "sizes", Tensor::FromVector<int64_t>({3}, {e, e, e}));
    AddNode(g, "Reshape", {"xs", "flat"}, {"x2"});
    AddNode(g, "Gemm", {"x2", "w", "bw"}, {"g"});
    AddNode(g, "Reshape", {"g", "unflat"}, {"p"});
    AttrI(AddNode(g, "Split", {"p", "sizes"}, {"q", "k", "v"}), "axis", 2);
  } else {
    uint32_t seed = 63;
    for (const std::string v : {"q", "k", "v"}) {
      AddInitializer(g, "w" + v, RandomTensor({e, e}, seed++, -0.8f, 0.8f));
      AddInitializer(g, "b" + v, RandomTensor({e}, seed++));
      AddNode(g, "MatMul", {"xs", "w" + v}, {v + "m"});
      AddNode(g, "Add", {v + "m", "b" + v}, {v});
    }
  }
  AddInitializer(g, "heads", Tensor::FromVector<int64_t>({3}, {s, b * n, d}));
  for (const std::string v : {"q", "k", "v"}) AddNode(g, "Reshape", {v, "heads"}, {v + "r"});
  AddInitializer(g, "sqrt_d", Tensor::FromVector<float>({}, {2.f}));
  AddInitializer(g, "inv_sqrt_d", Tensor::FromVector<float>({}, {0.5f}));
  if (scale_at == 0) {
    AddNode(g, "Div", {"qr", "sqrt_d"}, {"qd"});
    AttrInts(AddNode(g, "Transpose", {"qd"}, {"qt"}), "perm", {1, 0, 2});
  } else {
    AttrInts(AddNode(g, "Transpose", {"qr"}, {"qt0"}), "perm", {1, 0, 2});
    if (scale_at == 1) AddNode(g, "Mul", {"qt0", "inv_sqrt_d"}, {"qt"});
  }
  AttrInts(AddNode(g, "Transpose", {"kr"}, {"kt"}), "perm", {1, 2, 0});
  AttrInts(AddNode(g, "Transpose", {"vr"}, {"vt"}), "perm", {1, 0, 2});
  if (scale_at == 2) {
    AddNode(g, "MatMul", {"qt0", "kt"}, {"l0"});
    AddNode(g, "Div", {"l0", "sqrt_d"}, {"l"});
  } else {
    AddNode(g, "MatMul", {"qt", "kt"}, {"l"});
  }
  std::string logits = "l";
  if (mask) {
    AddInitializer(g, "mask", RandomTensor({1, s, s}, 69, -3.f, 0.f));
    AddNode(g, "Add", {"l", "mask"}, {"lm"});
    logits = "lm";
  }
  AttrI(AddNode(g, "Softmax", {logits}, {"sm"}), "axis", softmax_axis);
  AddNode(g, "MatMul", {"sm", "vt"}, {"o"});
  AttrInts(AddNode(g, "Transpose", {"o"}, {"ot"}), "perm", {1, 0, 2});
  // merge_with_zero: [0, -1] keeps the sequence dim of [S, B*n, d] (-> [S, B*E]).
  AddInitializer(g, "merge",
                 merge_with_zero ? Tensor::FromVector<int64_t>({2}, {0, -1})
                                 : Tensor::FromVector<int64_t>({2}, {s * b, e}));
  AddNode(g, "Reshape", {"ot", "merge"}, {"y"});
  AddOutput(g, "y");
  return m;
}

TEST(OptimizerPass, FuseAttention) {
  for (int64_t b : {1, 2}) {
    for (bool packed : {true, false}) {
      for (int scale_at : {0, 1, 2}) {
        auto m = MhaModel(b, packed, scale_at, false);
        auto o = RunPasses(m, {"fuse_attention", "eliminate_dead_nodes"});
        const std::string what = "B=" + std::to_string(b) + " packed=" + std::to_string(packed) +
                                 " scale_at=" + std::to_string(scale_at);
        EXPECT_EQ(
            Ops(o.model),
            b == 1 ? (std::vector<std::string>{"com.microsoft.Attention", "Reshape"})
                   : (std::vector<std::string>{"com.microsoft.Attention", "Transpose", "Reshape"}))
            << what;
        // The packed weight is [E, 3E] (Q|K|V), the scale explicit.
        for (const auto& node : o.model.graph->nodes) {
          if (node->op_type != "Attention") continue;
          EXPECT_EQ(opt::AttrInt(*node, "num_heads", 0), 2) << what;
          EXPECT_FLOAT_EQ(opt::AttrFloat(*node, "scale", 0.f), 0.5f) << what;
        }
        ExpectSameOutputs(m, o, {{"x", RandomTensor({b, 5, 8}, 70, -2, 2)}}, 1e-5, 1e-4);
      }
    }
  }
}

TEST(OptimizerPass, FuseAttentionResolvesAMergeTargetWithZero) {
  // Reshape's 0 copies a dim of its input, which the rewrite changes: the fused graph must
  // give the target explicitly.
  for (int64_t b : {1, 2}) {
    auto m = MhaModel(b, true, 0, false, -1, true);
    auto o = RunPasses(m, {"fuse_attention", "eliminate_dead_nodes"});
    EXPECT_EQ(Count(o.model, "com.microsoft.Attention"), 1) << b;
    ExpectSameOutputs(m, o, {{"x", RandomTensor({b, 5, 8}, 72, -2, 2)}}, 1e-5, 1e-4);
  }
}

TEST(OptimizerPass, FuseAttentionSequenceFirstWithConstantMask) {
  // A constant [1, S, S] mask added to the [B*n, S, S] logits: attention_bias [1, 1, S, S].
  for (int64_t b : {1, 2}) {
    auto m = MhaModel(b, true, 0, true);
    auto o = RunPasses(m, {"fuse_attention", "eliminate_dead_nodes"});
    EXPECT_EQ(Count(o.model, "com.microsoft.Attention"), 1) << b;
    EXPECT_EQ(Count(o.model, "Softmax"), 0) << b;
    ExpectSameOutputs(m, o, {{"x", RandomTensor({b, 5, 8}, 71, -2, 2)}}, 1e-5, 1e-4);
  }
}

TEST(OptimizerPass, AttentionWithSoftmaxOverQueriesStays) {
  auto m = MhaModel(1, true, 0, false, 1);
  auto o = RunPasses(m, {"fuse_attention", "eliminate_dead_nodes"});
  EXPECT_EQ(Count(o.model, "com.microsoft.Attention"), 0);
  EXPECT_EQ(Count(o.model, "Softmax"), 1);
  ExpectSameOutputs(m, o, {{"x", RandomTensor({1, 5, 8}, 71, -2, 2)}}, 1e-6, 1e-6);
}

// Hugging Face BertSelfAttention (batch-first 4-D heads) as torch 1.13 exports it: x [B,S,E]
// -> three MatMul + Add -> Reshape [B,S,n,d] -> Transpose(0,2,1,3) (K: (0,2,3,1)) -> MatMul ->
// Div(sqrt d) -> Add(extended mask) -> Softmax -> MatMul V -> Transpose(0,2,1,3) -> Reshape
// [B,S,H]. The extended mask is (1 - Cast(Unsqueeze(attention_mask, [1,2]))) * -10000 from an
// int64 [B,S] input.
struct BertVariant {
  int64_t b = 1;
  int scale = 0;        ///< 0 Div logits by 2, 1 Mul logits by 0.5, 2 q*s and k*s (s = 2^-1/2),
                        ///< 3 Mul on Q before its Transpose.
  int mask = 1;         ///< 0 none, 1 the extended mask of an int64 attention_mask, 2 a
                        ///< constant per-head [n, S, S] bias, 3 a float [B,1,1,S] graph input.
  bool mask_first = false;  ///< The Add before the logits' Div/Mul instead of after it.
  bool k_two_transposes = false;  ///< K by Transpose(0,2,1,3) + Transpose(0,1,3,2).
  bool flat_merge = false;        ///< Merge Reshape to [B*S, H] (kept) instead of [B, S, H].
  // Refusals:
  bool scale_v = false;           ///< A Mul on V (not an attention scale).
  bool logits_read = false;       ///< The scaled logits are also a graph output.
  bool per_head_scale = false;    ///< The Div's divisor is a [1, n, 1, 1] tensor.
  bool dynamic_mask = false;      ///< mask == 3 with a symbolic batch dim.
};

onnx::ModelProto BertAttentionModel(const BertVariant& v) {
  const int64_t b = v.b, s = 5, e = 8, n = 2, d = 4;
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {b, s, e});
  uint32_t seed = 80;
  for (const std::string p : {"q", "k", "v"}) {
    AddInitializer(g, "w" + p, RandomTensor({e, e}, seed++, -0.8f, 0.8f));
    AddInitializer(g, "b" + p, RandomTensor({e}, seed++));
    AddNode(g, "MatMul", {"x", "w" + p}, {p + "m"});
    AddNode(g, "Add", {"b" + p, p + "m"}, {p});  // bias first, as torch writes it
  }
  AddInitializer(g, "heads", Tensor::FromVector<int64_t>({4}, {b, s, n, d}));
  for (const std::string p : {"q", "k", "v"}) AddNode(g, "Reshape", {p, "heads"}, {p + "r"});
  AddInitializer(g, "two", Tensor::FromVector<float>({}, {2.f}));
  AddInitializer(g, "half", Tensor::FromVector<float>({}, {0.5f}));
  AddInitializer(g, "quarter_root", Tensor::FromVector<float>({}, {std::pow(2.f, -0.5f)}));
  std::string q = "qr";
  if (v.scale == 3) {
    AddNode(g, "Mul", {"qr", "half"}, {"qs"});
    q = "qs";
  }
  AttrInts(AddNode(g, "Transpose", {q}, {"qt"}), "perm", {0, 2, 1, 3});
  q = "qt";
  std::string k = "kr";
  if (v.scale == 2) {
    AddNode(g, "Mul", {"qt", "quarter_root"}, {"qts"});
    AddNode(g, "Mul", {"quarter_root", "kr"}, {"krs"});  // constant first
    q = "qts";
    k = "krs";
  }
  if (v.k_two_transposes) {
    AttrInts(AddNode(g, "Transpose", {k}, {"kt0"}), "perm", {0, 2, 1, 3});
    AttrInts(AddNode(g, "Transpose", {"kt0"}, {"kt"}), "perm", {0, 1, 3, 2});
  } else {
    AttrInts(AddNode(g, "Transpose", {k}, {"kt"}), "perm", {0, 2, 3, 1});
  }
  AttrInts(AddNode(g, "Transpose", {"vr"}, {"vt0"}), "perm", {0, 2, 1, 3});
  std::string vt = "vt0";
  if (v.scale_v) {
    AddNode(g, "Mul", {"vt0", "half"}, {"vts"});
    vt = "vts";
  }
  AddNode(g, "MatMul", {q, "kt"}, {"qk"});
  // The mask value.
  std::string mask;
  if (v.mask == 1) {
    AddInput(g, "attention_mask", DataType::kInt64, {b, s});
    AddInitializer(g, "axes", Tensor::FromVector<int64_t>({2}, {1, 2}));
    AddInitializer(g, "one", Tensor::FromVector<float>({}, {1.f}));
    AddInitializer(g, "big", Tensor::FromVector<float>({}, {-10000.f}));
    AddNode(g, "Unsqueeze", {"attention_mask", "axes"}, {"m4"});
    AttrI(AddNode(g, "Cast", {"m4"}, {"mf"}), "to", 1);
    AddNode(g, "Sub", {"one", "mf"}, {"inv"});
    AddNode(g, "Mul", {"inv", "big"}, {"ext"});
    mask = "ext";
  } else if (v.mask == 2) {
    AddInitializer(g, "pos_bias", RandomTensor({n, s, s}, 88, -2.f, 2.f));
    mask = "pos_bias";
  } else if (v.mask == 3) {
    AddInput(g, "ext", DataType::kFloat, {v.dynamic_mask ? -1 : b, 1, 1, s},
             v.dynamic_mask ? std::vector<std::string>{"batch", "", "", ""}
                            : std::vector<std::string>{});
    mask = "ext";
  }
  std::string l = "qk";
  if (v.mask != 0 && v.mask_first) {
    AddNode(g, "Add", {mask, l}, {"lm"});
    l = "lm";
  }
  if (v.per_head_scale) {
    AddInitializer(g, "divs", Tensor::FromVector<float>({1, n, 1, 1}, {2.f, 2.f}));
    AddNode(g, "Div", {l, "divs"}, {"ls"});
    l = "ls";
  } else if (v.scale == 0) {
    AddNode(g, "Div", {l, "two"}, {"ls"});
    l = "ls";
  } else if (v.scale == 1) {
    AddNode(g, "Mul", {l, "half"}, {"ls"});
    l = "ls";
  }
  if (v.logits_read) AddOutput(g, l);
  if (v.mask != 0 && !v.mask_first) {
    AddNode(g, "Add", {l, mask}, {"lm"});
    l = "lm";
  }
  AttrI(AddNode(g, "Softmax", {l}, {"sm"}), "axis", -1);
  AddNode(g, "MatMul", {"sm", vt}, {"o"});
  AttrInts(AddNode(g, "Transpose", {"o"}, {"ot"}), "perm", {0, 2, 1, 3});
  AddInitializer(g, "merge",
                 v.flat_merge ? Tensor::FromVector<int64_t>({2}, {b * s, e})
                              : Tensor::FromVector<int64_t>({3}, {b, s, e}));
  AddNode(g, "Reshape", {"ot", "merge"}, {"y"});
  AddOutput(g, "y");
  return m;
}

std::vector<NamedValue> BertInputs(const BertVariant& v, uint32_t seed) {
  const int64_t b = v.b, s = 5;
  std::vector<NamedValue> in = {{"x", RandomTensor({b, s, 8}, seed, -2, 2)}};
  if (v.mask == 1) {
    // Batch 0 keeps every key, batch 1 masks the last two.
    std::vector<int64_t> am(static_cast<size_t>(b * s), 1);
    if (b > 1) am[static_cast<size_t>(2 * s - 1)] = am[static_cast<size_t>(2 * s - 2)] = 0;
    if (b == 1) am[static_cast<size_t>(s - 1)] = 0;
    in.push_back({"attention_mask", Tensor::FromVector<int64_t>({b, s}, am)});
  } else if (v.mask == 3) {
    in.push_back({"ext", RandomTensor({b, 1, 1, s}, seed + 1, -3.f, 0.f)});
  }
  return in;
}

std::string DescribeBert(const BertVariant& v) {
  return "B=" + std::to_string(v.b) + " scale=" + std::to_string(v.scale) +
         " mask=" + std::to_string(v.mask) + " first=" + std::to_string(v.mask_first) +
         " k2=" + std::to_string(v.k_two_transposes) +
         " flat=" + std::to_string(v.flat_merge);
}

TEST(OptimizerPass, FuseAttentionBatchFirstWithMask) {
  for (int64_t b : {1, 2}) {
    for (int scale = 0; scale < 4; ++scale) {
      for (int mask = 0; mask < 4; ++mask) {
        for (int k2_first = 0; k2_first < 4; ++k2_first) {
          const bool k2 = k2_first & 1;
          BertVariant v;
          v.b = b;
          v.scale = scale;
          v.mask = mask;
          v.mask_first = (k2_first & 2) != 0;
          if (mask == 0 && v.mask_first) continue;
          v.k_two_transposes = k2;
          v.flat_merge = (scale + mask) % 2 == 1;
          const std::string what = DescribeBert(v);
          auto m = BertAttentionModel(v);
          auto o = RunPasses(m, {"fuse_attention", "eliminate_dead_nodes"});
          ASSERT_EQ(Count(o.model, "com.microsoft.Attention"), 1) << what;
          EXPECT_EQ(Count(o.model, "Softmax") + Count(o.model, "MatMul") +
                        Count(o.model, "Transpose"),
                    0)
              << what;
          EXPECT_EQ(Count(o.model, "Reshape"), v.flat_merge ? 1 : 0) << what;
          // A [B,1,1,S] mask is expanded over the queries, the per-head [n,S,S] bias to
          // [1,n,S,S]; a mask before the logits' Div/Mul is scaled by 1/2 with one new Mul.
          EXPECT_EQ(Count(o.model, "Expand"), mask != 0 ? 1 : 0) << what;
          EXPECT_EQ(Count(o.model, "Mul"), (mask == 1) + (v.mask_first && scale < 2)) << what;
          for (const auto& node : o.model.graph->nodes) {
            if (node->op_type != "Attention") continue;
            EXPECT_EQ(opt::AttrInt(*node, "num_heads", 0), 2) << what;
            EXPECT_NEAR(opt::AttrFloat(*node, "scale", 0.f), 0.5f, 1e-6) << what;
            EXPECT_EQ(node->inputs.size(), mask == 0 ? 3u : 6u) << what;
            if (mask != 0) {
              const std::string& ab = node->inputs[5];
              auto it = o.model.graph->value_info.find(ab);
              ASSERT_NE(it, o.model.graph->value_info.end()) << what;
              std::vector<int64_t> dims;
              for (const auto& dim : it->second.dims) dims.push_back(dim.value);
              EXPECT_EQ(dims, (std::vector<int64_t>{mask == 2 ? 1 : b, mask == 2 ? 2 : 1, 5, 5}))
                  << what;
            }
          }
          ExpectSameOutputs(m, o, BertInputs(v, 90), 1e-5, 1e-4);
        }
      }
    }
  }
}

TEST(OptimizerPass, FuseAttentionSharesOneExpandedMaskAcrossLayers) {
  // Two attention blocks reading the same extended mask: one Expand, two Attention nodes.
  BertVariant v;
  v.b = 2;
  auto m = BertAttentionModel(v);
  auto* g = m.mutable_graph();
  // A second block on y, renaming its values.
  const int first_nodes = g->node_size();
  for (int i = 0; i < first_nodes; ++i) {
    const onnx::NodeProto& n = g->node(i);
    if (n.op_type() == "Unsqueeze" || n.op_type() == "Cast" || n.op_type() == "Sub" ||
        (n.op_type() == "Mul" && n.output(0) == "ext")) {
      continue;
    }
    onnx::NodeProto* c = g->add_node();
    *c = n;
    for (auto& in : *c->mutable_input()) {
      if (in == "x") {
        in = "y";
      } else if (in != "ext" && in != "heads" && in != "merge" && in != "two" && in != "wq" &&
                 in != "wk" && in != "wv" && in != "bq" && in != "bk" && in != "bv") {
        in = "l2_" + in;
      }
    }
    for (auto& out : *c->mutable_output()) out = "l2_" + out;
  }
  g->clear_output();
  AddOutput(g, "l2_y");
  auto o = RunPasses(m, {"fuse_attention", "eliminate_dead_nodes"});
  EXPECT_EQ(Count(o.model, "com.microsoft.Attention"), 2);
  EXPECT_EQ(Count(o.model, "Expand"), 1);
  ExpectSameOutputs(m, o, BertInputs(v, 93), 1e-5, 1e-4);
}

TEST(OptimizerPass, BatchFirstAttentionThatIsNotProvablyEqualStays) {
  std::vector<std::pair<std::string, BertVariant>> refused;
  BertVariant v;
  v.scale_v = true;
  refused.push_back({"scale on V", v});
  v = {};
  v.logits_read = true;
  refused.push_back({"logits read outside", v});
  v = {};
  v.per_head_scale = true;
  refused.push_back({"per-head scale tensor", v});
  v = {};
  v.mask = 3;
  v.dynamic_mask = true;
  refused.push_back({"mask of unknown shape", v});
  for (const auto& [what, variant] : refused) {
    auto m = BertAttentionModel(variant);
    auto o = RunPasses(m, {"fuse_attention", "eliminate_dead_nodes"});
    EXPECT_EQ(Count(o.model, "com.microsoft.Attention"), 0) << what;
    EXPECT_EQ(Count(o.model, "Softmax"), 1) << what;
    ExpectSameOutputs(m, o, BertInputs(variant, 94), 1e-6, 1e-6);
  }
}

TEST(OptimizerPass, SinkTransposesThroughElementwiseOps) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3, 4});
  AttrInts(AddNode(g, "Transpose", {"x"}, {"t"}), "perm", {0, 2, 1});  // [2,4,3]
  AddNode(g, "Relu", {"t"}, {"r"});
  AddInitializer(g, "k2", RandomTensor({1, 3}, 39));
  AddNode(g, "Mul", {"r", "k2"}, {"m"});
  AttrInts(AddNode(g, "Transpose", {"m"}, {"y"}), "perm", {0, 2, 1});  // back to [2,3,4]
  AddOutput(g, "y");
  auto o = RunPasses(m, {"sink_transposes", "fuse_transposes", "eliminate_dead_nodes"});
  EXPECT_EQ(Count(o.model, "Transpose"), 0);
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Relu", "Mul"}));
  ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 3, 4}, 40)}});
}

// A channels-last map transposed back to NCHW before a global pool: the pool becomes a
// reduction over the channels-last spatial axes and the transpose moves after it (opset 13:
// axes attribute; opset 18: axes input), for GlobalAveragePool and GlobalMaxPool.
TEST(OptimizerPass, SinkTransposesThroughGlobalPools) {
  for (int opset : {13, 18}) {
    for (const char* pool : {"GlobalAveragePool", "GlobalMaxPool"}) {
      auto m = NewModel(opset);
      auto* g = m.mutable_graph();
      AddInput(g, "x", DataType::kFloat, {2, 5, 6, 7});  // [N, H, W, C]
      AttrInts(AddNode(g, "Transpose", {"x"}, {"t"}), "perm", {0, 3, 1, 2});
      AddNode(g, pool, {"t"}, {"y"});
      AddOutput(g, "y");
      auto o = RunPasses(m, {"sink_transposes"});
      const std::string reduce = std::string(pool) == "GlobalMaxPool" ? "ReduceMax" : "ReduceMean";
      EXPECT_EQ(Ops(o.model), (std::vector<std::string>{reduce, "Transpose"})) << pool << opset;
      ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 5, 6, 7}, 46, -3, 3)}}, 1e-5, 1e-5);
    }
  }
}

// Transpose -> Reshape that merges runs of dims adjacent and in order in the transpose's input
// becomes Reshape -> Transpose (YOLOX's NHWC -> NCHW -> [N, 85, H*W]); splits, runs whose
// source dims are not adjacent and size mismatches stay.
TEST(OptimizerPass, SinkTransposesBelowMergingReshape) {
  struct Case {
    Shape x;
    std::vector<int64_t> perm, target;
    std::vector<int64_t> new_perm;  // empty: not moved
  };
  const std::vector<Case> cases = {
      {{1, 4, 5, 6}, {0, 3, 1, 2}, {1, 6, 20}, {0, 2, 1}},
      {{1, 4, 5, 6}, {0, 3, 1, 2}, {1, 6, -1}, {0, 2, 1}},  // -1 resolved
      {{1, 4, 5, 6}, {0, 3, 1, 2}, {0, 6, 20}, {0, 2, 1}},  // 0 copies the dim
      {{2, 3, 4, 5}, {2, 3, 0, 1}, {20, 6}, {1, 0}},
      {{2, 3, 4, 5}, {1, 0, 2, 3}, {3, 2, 20}, {1, 0, 2}},
      {{2, 3, 4, 5}, {1, 2, 3, 0}, {3, 20, 2}, {1, 2, 0}},
      {{2, 3, 4, 5}, {0, 3, 2, 1}, {2, 20, 3}, {}},    // 5, 4 are not in x's order
      {{1, 4, 5, 6}, {0, 3, 1, 2}, {1, 6, 5, 2, 2}, {}},  // a split
      // The leading 1 merged with C: its source dims 0 and 3 are not adjacent (size-1 dims
      // count like the others; conservative).
      {{1, 4, 5, 6}, {0, 3, 1, 2}, {6, 20}, {}},
  };
  uint32_t seed = 300;
  for (const Case& c : cases) {
    auto m = NewModel(13);
    auto* g = m.mutable_graph();
    AddInput(g, "x", DataType::kFloat, c.x);
    AttrInts(AddNode(g, "Transpose", {"x"}, {"a"}), "perm", c.perm);
    AddInitializer(g, "shape", Tensor::FromVector<int64_t>(
                                   {static_cast<int64_t>(c.target.size())}, c.target));
    AddNode(g, "Reshape", {"a", "shape"}, {"b"});
    AddNode(g, "Relu", {"b"}, {"y"});
    AddOutput(g, "y");
    auto o = RunPasses(m, {"sink_transposes", "eliminate_dead_nodes"});
    if (c.new_perm.empty()) {
      EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Transpose", "Reshape", "Relu"}))
          << ShapeToString(c.x) << " " << ShapeToString(c.target);
    } else {
      EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Reshape", "Relu", "Transpose"}))
          << ShapeToString(c.x) << " " << ShapeToString(c.target);
      for (const auto& n : o.model.graph->nodes) {
        if (n->op_type != "Transpose") continue;
        const ir::Attribute* perm = n->FindAttribute("perm");
        ASSERT_NE(perm, nullptr);
        EXPECT_EQ(perm->ints, c.new_perm) << ShapeToString(c.x) << " " << ShapeToString(c.target);
      }
    }
    ExpectSameOutputs(m, o, {{"x", RandomTensor(c.x, seed++)}});
  }
}

// YOLOX's output: levels [N, H, W, 85] brought to NCHW, flattened to [N, 85, H*W], one level
// already NCHW, concatenated on the last axis and transposed to [N, sum H*W, 85]. The
// transposed levels' transposes sink through the flattening Reshapes and the Concat (the NCHW
// level gets the inverse transpose) and cancel against the last one: one transpose is left.
// Without the inverse reader, a Concat of mixed inputs stays.
TEST(OptimizerPass, SinkTransposesThroughConcatOfMixedInputs) {
  for (bool reader : {true, false}) {
    auto m = NewModel(13);
    auto* g = m.mutable_graph();
    AddInput(g, "l0", DataType::kFloat, {1, 7, 4, 4});  // NCHW
    AddInput(g, "l1", DataType::kFloat, {1, 2, 2, 7});  // NHWC
    AddInput(g, "l2", DataType::kFloat, {1, 1, 3, 7});  // NHWC
    AddInitializer(g, "s0", Tensor::FromVector<int64_t>({3}, {1, 7, 16}));
    AddInitializer(g, "s1", Tensor::FromVector<int64_t>({3}, {1, 7, 4}));
    AddInitializer(g, "s2", Tensor::FromVector<int64_t>({3}, {1, 7, -1}));
    AddNode(g, "Reshape", {"l0", "s0"}, {"r0"});
    AttrInts(AddNode(g, "Transpose", {"l1"}, {"t1"}), "perm", {0, 3, 1, 2});
    AddNode(g, "Reshape", {"t1", "s1"}, {"r1"});
    AttrInts(AddNode(g, "Transpose", {"l2"}, {"t2"}), "perm", {0, 3, 1, 2});
    AddNode(g, "Reshape", {"t2", "s2"}, {"r2"});
    AttrI(AddNode(g, "Concat", {"r0", "r1", "r2"}, {"c"}), "axis", 2);
    if (reader) {
      AttrInts(AddNode(g, "Transpose", {"c"}, {"y"}), "perm", {0, 2, 1});
    } else {
      AddNode(g, "Relu", {"c"}, {"y"});
    }
    AddOutput(g, "y");
    auto o = RunPasses(m, {"sink_transposes", "fuse_transposes", "eliminate_dead_nodes"});
    EXPECT_EQ(Count(o.model, "Transpose"), reader ? 1 : 2);
    for (const auto& n : o.model.graph->nodes) {
      if (reader && n->op_type == "Transpose") EXPECT_EQ(n->inputs[0], "r0");
    }
    ExpectSameOutputs(m, o,
                      {{"l0", RandomTensor({1, 7, 4, 4}, 310)},
                       {"l1", RandomTensor({1, 2, 2, 7}, 311)},
                       {"l2", RandomTensor({1, 1, 3, 7}, 312)}});
  }
}

// SPP: MaxPools of one map with centred 5x5, 9x9 and 13x13 windows become a chain of 5x5 pools
// (SPPF), and a 3x5 / 5x9 pair a chain with a 3x5 second step; pools with strides, uncentred
// pads or an even window stay. Exact: compared at tolerance 0, with -inf, +inf and NaN inputs.
TEST(OptimizerPass, CascadeMaxPoolsOfOneInput) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {1, 3, 11, 12});
  AddInput(g, "x2", DataType::kFloat, {1, 3, 11, 12});
  auto pool = [&](const std::string& out, std::vector<int64_t> k, std::vector<int64_t> pads,
                  std::vector<int64_t> strides = {1, 1}, const std::string& in = "x") {
    auto* n = AddNode(g, "MaxPool", {in}, {out});
    AttrInts(n, "kernel_shape", k);
    AttrInts(n, "pads", pads);
    AttrInts(n, "strides", strides);
    AddOutput(g, out);
  };
  pool("p13", {13, 13}, {6, 6, 6, 6});
  pool("p5", {5, 5}, {2, 2, 2, 2});
  pool("p9", {9, 9}, {4, 4, 4, 4});
  pool("q35", {3, 5}, {1, 2, 1, 2}, {1, 1}, "x2");
  pool("q59", {5, 9}, {2, 4, 2, 4}, {1, 1}, "x2");
  pool("q55", {5, 5}, {2, 2, 2, 2}, {1, 1}, "x2");  // from q35 (the largest that fits): 3x1
  pool("s7", {7, 7}, {3, 3, 3, 3}, {2, 2});  // strided
  pool("u7", {7, 7}, {3, 2, 3, 4});          // uncentred
  pool("e4", {4, 4}, {2, 2, 1, 1});          // even
  auto* same = AddNode(g, "MaxPool", {"x"}, {"a11"});
  AttrInts(same, "kernel_shape", {11, 11});
  AttrS(same, "auto_pad", "SAME_UPPER");
  AddOutput(g, "a11");
  auto o = RunPasses(m, {"cascade_max_pools"});
  std::map<std::string, std::pair<std::string, std::vector<int64_t>>> got;  // out -> (in, k)
  for (const auto& n : o.model.graph->nodes) {
    got[n->outputs[0]] = {n->inputs[0], n->FindAttribute("kernel_shape")->ints};
  }
  using K = std::vector<int64_t>;
  EXPECT_EQ(got["p5"], std::make_pair(std::string("x"), K{5, 5}));
  EXPECT_EQ(got["p9"], std::make_pair(std::string("p5"), K{5, 5}));
  EXPECT_EQ(got["a11"], std::make_pair(std::string("p9"), K{3, 3}));
  EXPECT_EQ(got["p13"], std::make_pair(std::string("a11"), K{3, 3}));
  EXPECT_EQ(got["q35"], std::make_pair(std::string("x2"), K{3, 5}));
  EXPECT_EQ(got["q55"], std::make_pair(std::string("q35"), K{3, 1}));
  EXPECT_EQ(got["q59"], std::make_pair(std::string("q55"), K{1, 5}));
  EXPECT_EQ(got["s7"].first, "x");
  EXPECT_EQ(got["u7"].first, "x");
  EXPECT_EQ(got["e4"].first, "x");
  EXPECT_EQ(Rewrites(o, "cascade_max_pools"), 5);
  Tensor x = RandomTensor({1, 3, 11, 12}, 400, -5, 5);
  float* p = x.data<float>();
  p[7] = -INFINITY;
  p[40] = INFINITY;
  p[200] = NAN;
  const std::vector<NamedValue> in = {{"x", x}, {"x2", RandomTensor({1, 3, 11, 12}, 401)}};
  auto ref = RunBytes(m.SerializeAsString(), in);
  auto out = RunBytes(o.bytes, in);
  ASSERT_EQ(ref.size(), out.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    const Tensor& a = ref[i].value.tensor();
    const Tensor& b = out[i].value.tensor();
    ASSERT_EQ(a.shape(), b.shape()) << ref[i].name;
    for (int64_t k = 0; k < a.size(); ++k) {
      const float u = a.data<float>()[k], v = b.data<float>()[k];
      ASSERT_TRUE(u == v || (std::isnan(u) && std::isnan(v))) << ref[i].name << "[" << k << "]";
    }
  }
}

// YOLOv5's head: Split 85 -> 2, 2, 81, the first two pieces decoded, Concat back. At `all` the
// Concat becomes com.onnxedge.ConcatInto(x, decoded pieces) and the Split stops producing the
// 81 columns; x dies at ConcatInto (the Split reads it first), so the run writes in place. A
// Concat whose pieces are all changed, or on another axis, or a pass-through piece read
// elsewhere too, stays; so does everything when saving below `all`.
TEST(OptimizerPass, FuseSplitConcatWritesChangedPiecesOnly) {
  struct Case {
    const char* what;
    int64_t concat_axis;
    bool decode_last;   // the 81-column piece changed too: nothing passes through
    bool extra_reader;  // the 81-column piece also feeds a graph output
    bool fused;
  };
  for (const Case& c : {Case{"yolo", -1, false, false, true}, Case{"all changed", -1, true, false,
                                                                    false},
                        Case{"other axis", 1, false, false, false},
                        Case{"read elsewhere", -1, false, true, false}}) {
    auto m = NewModel(13);
    auto* g = m.mutable_graph();
    AddInput(g, "x", DataType::kFloat, {1, 3, 4, 5, 9});
    AddNode(g, "Sigmoid", {"x"}, {"s"});  // an intermediate, so ConcatInto can run in place
    AddInitializer(g, "lengths", Tensor::FromVector<int64_t>({3}, {2, 2, 5}));
    AttrI(AddNode(g, "Split", {"s", "lengths"}, {"xy", "wh", "conf"}), "axis", 4);
    AddInitializer(g, "two", Tensor::Scalar<float>(2.f));
    AddInitializer(g, "anchors", RandomTensor({1, 3, 1, 1, 2}, 320, 1, 3));
    AddNode(g, "Mul", {"xy", "two"}, {"xy2"});
    AddNode(g, "Mul", {"wh", "anchors"}, {"wh2"});
    std::string last = "conf";
    if (c.decode_last) {
      AddNode(g, "Neg", {"conf"}, {"conf2"});
      last = "conf2";
    }
    if (c.extra_reader) AddOutput(g, "conf");
    if (c.concat_axis == 1) {
      // Same widths on axis 1 would not match: concatenate pieces of equal shape on axis 1.
      AttrI(AddNode(g, "Concat", {"xy2", "wh"}, {"y"}), "axis", 1);
    } else {
      AttrI(AddNode(g, "Concat", {"xy2", "wh2", last}, {"y"}), "axis", c.concat_axis);
    }
    AddOutput(g, "y");
    auto ext = RunPasses(m, {"fuse_split_concat"}, OptimizationLevel::kExtended, true);
    EXPECT_EQ(Count(ext.model, "com.onnxedge.ConcatInto"), 0) << c.what;
    auto o = RunPasses(m, {"fuse_split_concat", "eliminate_dead_nodes"}, OptimizationLevel::kAll,
                       false);
    EXPECT_EQ(Count(o.model, "com.onnxedge.ConcatInto"), c.fused ? 1 : 0) << c.what;
    EXPECT_EQ(Count(o.model, "Concat"), c.fused ? 0 : 1) << c.what;
    if (c.fused) {
      for (const auto& n : o.model.graph->nodes) {
        if (n->op_type == "Split") {
          EXPECT_EQ(n->outputs, (std::vector<std::string>{"xy", "wh", ""}));
        }
        if (n->op_type == "ConcatInto") {
          EXPECT_EQ(n->inputs, (std::vector<std::string>{"s", "xy2", "wh2"}));
          EXPECT_EQ(n->FindAttribute("starts")->ints, (std::vector<int64_t>{0, 2}));
        }
      }
    }
    ExpectSameOutputs(m, o, {{"x", RandomTensor({1, 3, 4, 5, 9}, 321, -3, 3)}}, 0, 0);
  }
}

// A Transpose whose `perm` is no permutation of its input's dims (a malformed model) is left
// alone by the transpose rules instead of indexing shapes with it (found by the
// shape_inference fuzzer: the Reshape rule read past a shape).
TEST(OptimizerPass, TransposeRulesIgnoreInvalidPerms) {
  for (const std::vector<int64_t>& perm :
       {std::vector<int64_t>{0, 5, 1}, std::vector<int64_t>{0, 1, 1}, std::vector<int64_t>{2, 0},
        std::vector<int64_t>{-1, 0, 1}}) {
    auto m = NewModel(13);
    auto* g = m.mutable_graph();
    AddInput(g, "x", DataType::kFloat, {2, 3, 4});
    AttrInts(AddNode(g, "Transpose", {"x"}, {"t"}), "perm", perm);
    AddInitializer(g, "shape", Tensor::FromVector<int64_t>({2}, {2, 12}));
    AddNode(g, "Reshape", {"t", "shape"}, {"r"});
    AddNode(g, "Relu", {"r"}, {"y"});
    AddOutput(g, "y");
    auto o = RunPasses(m, {"sink_transposes", "fuse_transposes"});
    EXPECT_EQ(Count(o.model, "Transpose"), 1) << perm.size();
  }
}

TEST(OptimizerPass, FuseSiluAndQuickGelu) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3, 5});
  AddInitializer(g, "alpha", Tensor::Scalar<float>(1.702f));
  AddNode(g, "Sigmoid", {"x"}, {"s"});
  AddNode(g, "Mul", {"s", "x"}, {"a"});  // SiLU, operands swapped
  AddNode(g, "Mul", {"alpha", "a"}, {"ax"});
  AddNode(g, "Sigmoid", {"ax"}, {"s2"});
  AddNode(g, "Mul", {"a", "s2"}, {"y"});  // QuickGelu(a, 1.702)
  AddNode(g, "Sigmoid", {"x"}, {"s3"});
  AddNode(g, "Mul", {"s3", "a"}, {"z"});  // not SiLU: sigmoid of another value
  AddOutput(g, "y");
  AddOutput(g, "z");
  auto o = RunPasses(m, {"fuse_quick_gelu"});
  EXPECT_EQ(Count(o.model, "com.microsoft.QuickGelu"), 2);
  EXPECT_EQ(Count(o.model, "Sigmoid"), 1);
  float alpha = 0;
  for (const auto& n : o.model.graph->nodes) {
    if (n->op_type == "QuickGelu" && n->outputs[0] == "y") alpha = opt::AttrFloat(*n, "alpha", 0);
  }
  EXPECT_FLOAT_EQ(alpha, 1.702f);
  ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 3, 5}, 45, -30, 30)}}, 1e-5, 1e-5);
}

// A naive reference of the com.onnxedge FusedConv contract (2-D, group 1): Y = act(Conv(X, W, B)
// + Z). Registered only where the real kernel is absent (branches without src/ops/fused_conv), so
// that the fusion's numerics are tested everywhere; where the real kernel exists it is used.
class ReferenceFusedConv final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ReferenceFusedConv>> Create(const KernelInfo& info) {
    // Other tests in this binary may meet this kernel after it is registered: refuse what it
    // does not implement rather than compute something wrong.
    OE_ASSIGN_OR_RETURN(int64_t group, info.GetInt("group", 1));
    OE_ASSIGN_OR_RETURN(std::string auto_pad, info.GetString("auto_pad", "NOTSET"));
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> dilations, info.GetInts("dilations", {1, 1}));
    const Tensor* w = info.ConstantInput(1);
    if (group != 1 || auto_pad != "NOTSET" || dilations != std::vector<int64_t>{1, 1} || !w ||
        w->rank() != 4 || w->dtype() != DataType::kFloat) {
      return info.Error(StatusCode::kNotImplemented,
                        "reference FusedConv: 2-D float, group 1 only");
    }
    auto k = std::make_unique<ReferenceFusedConv>();
    OE_ASSIGN_OR_RETURN(k->pads_, info.GetInts("pads", {0, 0, 0, 0}));
    OE_ASSIGN_OR_RETURN(k->strides_, info.GetInts("strides", {1, 1}));
    OE_ASSIGN_OR_RETURN(k->act_, info.GetString("activation", ""));
    OE_ASSIGN_OR_RETURN(k->params_, info.GetFloats("activation_params", {}));
    return k;
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* w, ctx.RequiredInput(1));
    const Tensor* b = ctx.Input(2);
    const Tensor* z = ctx.Input(3);
    const int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), wd = x->dim(3);
    const int64_t m = w->dim(0), kh = w->dim(2), kw = w->dim(3);
    const int64_t oh = (h + pads_[0] + pads_[2] - kh) / strides_[0] + 1;
    const int64_t ow = (wd + pads_[1] + pads_[3] - kw) / strides_[1] + 1;
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, DataType::kFloat, {n, m, oh, ow}));
    const float* xv = x->data<float>();
    const float* wv = w->data<float>();
    float* yv = y->data<float>();
    for (int64_t in = 0; in < n; ++in) {
      for (int64_t om = 0; om < m; ++om) {
        for (int64_t i = 0; i < oh; ++i) {
          for (int64_t j = 0; j < ow; ++j) {
            double acc = b ? b->data<float>()[om] : 0;
            for (int64_t ic = 0; ic < c; ++ic) {
              for (int64_t a = 0; a < kh; ++a) {
                for (int64_t e = 0; e < kw; ++e) {
                  const int64_t r = i * strides_[0] - pads_[0] + a;
                  const int64_t q = j * strides_[1] - pads_[1] + e;
                  if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                  acc += double(xv[((in * c + ic) * h + r) * wd + q]) *
                         wv[((om * c + ic) * kh + a) * kw + e];
                }
              }
            }
            const int64_t idx = ((in * m + om) * oh + i) * ow + j;
            if (z) acc += z->data<float>()[idx];
            yv[idx] = static_cast<float>(Activate(acc));
          }
        }
      }
    }
    return Status::Ok();
  }

 private:
  double Activate(double v) const {
    auto p = [&](size_t i, double def) { return i < params_.size() ? params_[i] : def; };
    if (act_ == "Relu") return v > 0 ? v : 0;
    if (act_ == "Sigmoid") return 1 / (1 + std::exp(-v));
    if (act_ == "Silu") return v / (1 + std::exp(-v));
    if (act_ == "LeakyRelu") return v < 0 ? p(0, 0.01) * v : v;
    if (act_ == "Clip") return std::min(std::max(v, p(0, -INFINITY)), p(1, INFINITY));
    if (act_ == "HardSigmoid") return std::min(1.0, std::max(0.0, p(0, 0.2) * v + p(1, 0.5)));
    if (act_ == "HardSwish") return v * std::min(1.0, std::max(0.0, v / 6 + 0.5));
    return v;
  }
  std::vector<int64_t> pads_, strides_;
  std::string act_;
  std::vector<float> params_;
};

void EnsureFusedConvKernel() {
  if (opt::PassContext::HasKernel("com.onnxedge", "FusedConv", 1)) return;
  const_cast<OpRegistry&>(OpRegistry::Get())
      .Register({"com.onnxedge", "FusedConv", 1, 1, MakeFactory<ReferenceFusedConv>()});
}

TEST(OptimizerPass, FuseConvActivationOnlyWhenPrivateOpsAllowed) {
  EnsureFusedConvKernel();
  auto m = ConvModel(4, true);
  auto* g = m.mutable_graph();
  AddNode(g, "Relu", {"conv"}, {"y"});
  AddOutput(g, "y");
  // For export below level all, the private op is never created.
  auto ext = RunPasses(m, {"fuse_conv_activation"}, OptimizationLevel::kExtended, true);
  EXPECT_EQ(Ops(ext.model), (std::vector<std::string>{"Conv", "Relu"}));
  auto all = RunPasses(m, {"fuse_conv_activation"}, OptimizationLevel::kAll, true);
  EXPECT_EQ(Ops(all.model), (std::vector<std::string>{"com.onnxedge.FusedConv"}));
  ExpectSameOutputs(m, all, {{"x", RandomTensor({1, 3, 6, 6}, 41)}}, 1e-5, 1e-4);
}

TEST(OptimizerPass, FuseConvActivationEveryActivationAndResidual) {
  EnsureFusedConvKernel();
  struct Case {
    const char* act;      // "" = residual Add alone
    bool residual;
    const char* expected;  // activation attribute
  };
  for (const Case& c : {Case{"Relu", false, "Relu"}, Case{"Sigmoid", false, "Sigmoid"},
                        Case{"LeakyRelu", false, "LeakyRelu"}, Case{"HardSigmoid", false,
                        "HardSigmoid"}, Case{"HardSwish", false, "HardSwish"},
                        Case{"Clip", false, "Clip"}, Case{"SiLU", false, "Silu"},
                        Case{"Relu", true, "Relu"}, Case{"SiLU", true, "Silu"},
                        Case{"HardSwishDiv", false, "HardSwish"},
                        Case{"HardSwishMul", true, "HardSwish"}, Case{"", true, ""}}) {
    const bool bias = !c.residual;  // the residual cases also cover a Conv without B
    auto m = ConvModel(4, bias);
    m.mutable_opset_import(0)->set_version(14);  // HardSwish
    auto* g = m.mutable_graph();
    AddInput(g, "z", DataType::kFloat, {1, 4, 6, 6});
    std::string s = "conv";
    if (c.residual) {
      AddNode(g, "Add", {"z", "conv"}, {"sum"});
      s = "sum";
    }
    const std::string act = c.act;
    if (act.empty()) {
      AddNode(g, "Identity", {s}, {"y"});
    } else if (act == "SiLU") {
      AddNode(g, "Sigmoid", {s}, {"sig"});
      AddNode(g, "Mul", {"sig", s}, {"y"});
    } else if (act == "HardSwishDiv" || act == "HardSwishMul") {
      // s * Clip(s + 3, 0, 6) / 6 (or * 1/6), as PaddlePaddle exports HardSwish.
      AddInitializer(g, "three", Tensor::Scalar<float>(3.f));
      AddInitializer(g, "zero", Tensor::Scalar<float>(0.f));
      AddInitializer(g, "six", Tensor::Scalar<float>(6.f));
      AddInitializer(g, "sixth", Tensor::Scalar<float>(1.f / 6.f));
      AddNode(g, "Add", {"three", s}, {"s3"});
      AddNode(g, "Clip", {"s3", "zero", "six"}, {"r6"});
      AddNode(g, "Mul", {s, "r6"}, {"sr"});
      if (act == "HardSwishDiv") {
        AddNode(g, "Div", {"sr", "six"}, {"y"});
      } else {
        AddNode(g, "Mul", {"sixth", "sr"}, {"y"});
      }
    } else if (act == "Clip") {
      AddInitializer(g, "lo", Tensor::Scalar<float>(-0.5f));
      AddInitializer(g, "hi", Tensor::Scalar<float>(0.75f));
      AddNode(g, "Clip", {s, "lo", "hi"}, {"y"});
    } else {
      auto* n = AddNode(g, act, {s}, {"y"});
      if (act == "LeakyRelu") AttrF(n, "alpha", 0.2f);
      if (act == "HardSigmoid") AttrF(n, "alpha", 0.3f);
    }
    AddOutput(g, "y");
    auto o = RunPasses(m, {"fuse_conv_activation", "eliminate_identity"},
                       OptimizationLevel::kAll, false);
    ASSERT_EQ(Ops(o.model), (std::vector<std::string>{"com.onnxedge.FusedConv"})) << act;
    const ir::Node& f = *o.model.graph->nodes[0];
    EXPECT_EQ(opt::AttrString(f, "activation", ""), c.expected);
    EXPECT_EQ(f.inputs.size(), c.residual ? 4u : 3u);
    ExpectSameOutputs(m, o,
                      {{"x", RandomTensor({1, 3, 6, 6}, 46, -2, 2)},
                       {"z", RandomTensor({1, 4, 6, 6}, 47, -2, 2)}},
                      1e-5, 1e-4);
  }
  {
    // Opset 10: Clip's bounds are attributes (the PP-OCRv4 recognizer).
    auto m = ConvModel(4, true);
    m.mutable_opset_import(0)->set_version(10);
    auto* g = m.mutable_graph();
    AddInitializer(g, "three", Tensor::Scalar<float>(3.f));
    AddInitializer(g, "six", Tensor::Scalar<float>(6.f));
    AddNode(g, "Add", {"conv", "three"}, {"s3"});
    auto* clip = AddNode(g, "Clip", {"s3"}, {"r6"});
    AttrF(clip, "min", 0.f);
    AttrF(clip, "max", 6.f);
    AddNode(g, "Mul", {"conv", "r6"}, {"sr"});
    AddNode(g, "Div", {"sr", "six"}, {"y"});
    AddOutput(g, "y");
    auto o = RunPasses(m, {"fuse_conv_activation"}, OptimizationLevel::kAll, false);
    ASSERT_EQ(Ops(o.model), (std::vector<std::string>{"com.onnxedge.FusedConv"}));
    EXPECT_EQ(opt::AttrString(*o.model.graph->nodes[0], "activation", ""), "HardSwish");
    ExpectSameOutputs(m, o, {{"x", RandomTensor({1, 3, 6, 6}, 48, -4, 4)}}, 1e-5, 1e-4);
  }
  // Not HardSwish (divided by 5): the Conv stays a plain Conv.
  auto m = ConvModel(4, true);
  auto* g = m.mutable_graph();
  AddInitializer(g, "three", Tensor::Scalar<float>(3.f));
  AddInitializer(g, "zero", Tensor::Scalar<float>(0.f));
  AddInitializer(g, "six", Tensor::Scalar<float>(6.f));
  AddInitializer(g, "five", Tensor::Scalar<float>(5.f));
  AddNode(g, "Add", {"conv", "three"}, {"s3"});
  AddNode(g, "Clip", {"s3", "zero", "six"}, {"r6"});
  AddNode(g, "Mul", {"conv", "r6"}, {"sr"});
  AddNode(g, "Div", {"sr", "five"}, {"y"});
  AddOutput(g, "y");
  auto o = RunPasses(m, {"fuse_conv_activation"}, OptimizationLevel::kAll, false);
  EXPECT_EQ(Count(o.model, "Conv"), 1);
  EXPECT_EQ(Count(o.model, "Div"), 1);
}

// YOLOv5's detection heads: Conv -> Reshape -> Sigmoid (the head's Transpose sunk past the
// Sigmoid) becomes FusedConv(Sigmoid) -> Reshape; not when the convolution's output has another
// reader.
TEST(OptimizerPass, FuseConvActivationThroughAReshape) {
  EnsureFusedConvKernel();
  for (bool shared : {false, true}) {
    for (const char* act : {"Sigmoid", "Relu"}) {
      auto m = ConvModel(6, true);
      auto* g = m.mutable_graph();
      AddInitializer(g, "shape", Tensor::FromVector<int64_t>({5}, {1, 2, 3, 6, 6}));
      AddNode(g, "Reshape", {"conv", "shape"}, {"r"});
      AddNode(g, act, {"r"}, {"y"});
      AddOutput(g, "y");
      if (shared) AddOutput(g, "conv");
      auto o = RunPasses(m, {"fuse_conv_activation"}, OptimizationLevel::kAll, false);
      if (shared) {
        EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Conv", "Reshape", act}));
        continue;
      }
      ASSERT_EQ(Ops(o.model), (std::vector<std::string>{"com.onnxedge.FusedConv", "Reshape"}))
          << act;
      EXPECT_EQ(opt::AttrString(*o.model.graph->nodes[0], "activation", ""), act);
      ExpectSameOutputs(m, o, {{"x", RandomTensor({1, 3, 6, 6}, 49, -2, 2)}}, 1e-6, 1e-5);
    }
  }
}

// Adds Conv(in) -> out with seeded weights [mo, c / group, k, k] (and a bias), padded to keep
// the map size (k odd).
void AddSameConv(onnx::GraphProto* g, const std::string& in, const std::string& out, int64_t c,
                 int64_t mo, int64_t k, int64_t group, uint32_t seed, bool bias) {
  AddInitializer(g, out + "_w", RandomTensor({mo, c / group, k, k}, seed));
  std::vector<std::string> inputs = {in, out + "_w"};
  if (bias) {
    AddInitializer(g, out + "_b", RandomTensor({mo}, seed + 1));
    inputs.push_back(out + "_b");
  }
  auto* n = AddNode(g, "Conv", inputs, {out});
  AttrInts(n, "pads", {k / 2, k / 2, k / 2, k / 2});
  if (group != 1) AttrI(n, "group", group);
}

// A small convnet: dense 3x3, depthwise 3x3 with a residual, a MaxPool, 1x1, a Concat of two branches,
// a nearest Resize, a grouped (non-depthwise) conv that stays NCHW, and a last conv.
onnx::ModelProto ConvNetModel() {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3, 8, 8});
  auto conv = [&](const std::string& in, const std::string& out, int64_t c, int64_t mo,
                  int64_t k, int64_t group, uint32_t seed) {
    AddSameConv(g, in, out, c, mo, k, group, seed, /*bias=*/true);
  };
  conv("x", "c1", 3, 8, 3, 1, 300);
  AddNode(g, "Relu", {"c1"}, {"r1"});
  conv("r1", "c2", 8, 8, 3, 8, 302);  // depthwise
  AddNode(g, "Add", {"c2", "r1"}, {"s2"});
  auto* mp = AddNode(g, "MaxPool", {"s2"}, {"p2"});
  AttrInts(mp, "kernel_shape", {3, 3});
  AttrInts(mp, "pads", {1, 1, 1, 1});
  conv("p2", "c3", 8, 5, 1, 1, 304);
  conv("r1", "c4", 8, 4, 3, 1, 306);
  AddNode(g, "Sigmoid", {"c4"}, {"g4"});
  AddNode(g, "Concat", {"c3", "g4"}, {"cat"});
  AttrI(g->mutable_node(g->node_size() - 1), "axis", 1);
  AddInitializer(g, "roi", Tensor::FromVector<float>({0}, {}));
  AddInitializer(g, "scales", Tensor::FromVector<float>({4}, {1.f, 1.f, 2.f, 2.f}));
  auto* rz = AddNode(g, "Resize", {"cat", "roi", "scales"}, {"up"});
  (void)rz;
  conv("up", "c5", 9, 6, 3, 1, 308);
  AddNode(g, "Relu", {"c5"}, {"r5"});
  conv("r5", "c6", 6, 6, 3, 3, 310);  // grouped, 2 channels per group: stays NCHW
  conv("c6", "y", 6, 4, 1, 1, 312);
  AddOutput(g, "y");
  return m;
}

TEST(OptimizerPass, LayoutNhwcLeavesTransposesAtBoundariesOnly) {
  auto m = ConvNetModel();
  // Part of the default pipeline at level all (naming it in enabled_passes changes nothing).
  auto o = RunPasses(m, {}, OptimizationLevel::kAll, false);
  EXPECT_GT(Rewrites(o, "layout_nhwc"), 0);
  auto named = RunPasses(m, {}, OptimizationLevel::kAll, false, {"layout_nhwc"});
  EXPECT_EQ(Ops(named.model), Ops(o.model));
  int nhwc = 0, nchw = 0;
  for (const auto& n : o.model.graph->nodes) {
    if (n->op_type == "FusedConv") (opt::AttrInt(*n, "channels_last", 0) ? nhwc : nchw)++;
  }
  EXPECT_EQ(nhwc, 6);  // c1..c5 and y (c2 + Add fused, c4 separate)
  EXPECT_EQ(Count(o.model, "com.onnxedge.MaxPool"), 1);
  EXPECT_EQ(nchw + Count(o.model, "Conv"), 1);  // the grouped conv
  // Left: the input's, the output's, and around the grouped conv; every pair between
  // channels-last convolutions, the Concat and the Resize cancelled.
  EXPECT_EQ(Count(o.model, "Transpose"), 4) << ::testing::PrintToString(Ops(o.model));
  ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 3, 8, 8}, 320, -2, 2)}}, 1e-4, 1e-4);
  // Below level all, or disabled by name (which also drops its transpose clean-ups): no
  // channels-last convolution and no transpose.
  auto extended = RunPasses(m, {}, OptimizationLevel::kExtended, false);
  std::set<std::string> all_but_layout;
  for (const auto& e : opt::Pipeline()) all_but_layout.insert(e.pass->name());
  all_but_layout.erase("layout_nhwc");
  auto off = RunPasses(m, all_but_layout, OptimizationLevel::kAll, false);
  for (const Optimized* r : {&extended, &off}) {
    for (const auto& n : r->model.graph->nodes) {
      EXPECT_EQ(opt::AttrInt(*n, "channels_last", 0), 0);
    }
    EXPECT_EQ(Count(r->model, "Transpose"), 0);
    EXPECT_EQ(Rewrites(*r, "layout_nhwc"), 0);
  }
}

// Sessions take the layout by default and drop it when the pass is disabled, by option or by
// ONNXEDGE_DISABLE_PASSES (the benchmarks' A/B switch).
TEST(OptimizerPass, LayoutNhwcSwitchesOffForSessions) {
  const auto m = ConvNetModel();
  auto channels_last = [&](const SessionOptions& so) {
    auto s = LoadProto(m, so);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    int n = 0;
    if (!s.ok()) return n;
    for (const auto& node : (*s)->impl().model().graph->nodes) {
      n += opt::AttrInt(*node, "channels_last", 0) != 0;
    }
    return n;
  };
  EXPECT_GT(channels_last(SessionOptions()), 0);
  SessionOptions off;
  off.disabled_passes = {"layout_nhwc"};
  EXPECT_EQ(channels_last(off), 0);
  setenv("ONNXEDGE_DISABLE_PASSES", "fuse_gelu,layout_nhwc", 1);
  EXPECT_EQ(channels_last(SessionOptions()), 0);
  unsetenv("ONNXEDGE_DISABLE_PASSES");
}

// A depthwise-separable network (pointwise + depthwise, MobileNet-style) runs faster NCHW, so
// the pass leaves it alone; with a dense 3x3 doing most of the work it converts.
// Depthwise/pointwise networks are converted only where maps are at most 28 wide
// (kMaxWidthSeparable); dense ones up to 56 (kMaxWidth).
TEST(OptimizerPass, LayoutNhwcConvertsSeparableNetworksOnlyOnNarrowMaps) {
  auto build = [](int64_t dense_channels, int64_t size) {
    auto m = NewModel(13);
    auto* g = m.mutable_graph();
    AddInput(g, "x", DataType::kFloat, {1, 16, size, size});
    auto conv = [&](const std::string& in, const std::string& out, int64_t c, int64_t mo,
                    int64_t k, int64_t group, uint32_t seed) {
      AddSameConv(g, in, out, c, mo, k, group, seed, /*bias=*/false);
    };
    conv("x", "e", 16, 64, 1, 1, 340);   // expand, 1x1
    conv("e", "d", 64, 64, 3, 64, 342);  // depthwise 3x3
    conv("d", "p", 64, 16, 1, 1, 344);   // project, 1x1
    conv("p", "y", 16, dense_channels, 3, 1, 346);  // dense 3x3: 16 x 9 x M MACs per pixel
    AddOutput(g, "y");
    return m;
  };
  // MACs per pixel: 1024 + 576 + 1024 pointwise/depthwise against 144 x M dense.
  auto separable_wide = RunPasses(build(8, 40), {}, OptimizationLevel::kAll, false);
  EXPECT_EQ(Rewrites(separable_wide, "layout_nhwc"), 0);
  EXPECT_EQ(Count(separable_wide.model, "Transpose"), 0);
  auto dense_wide = RunPasses(build(32, 40), {}, OptimizationLevel::kAll, false);
  EXPECT_EQ(Rewrites(dense_wide, "layout_nhwc"), 4);
  auto separable = RunPasses(build(8, 28), {}, OptimizationLevel::kAll, false);
  EXPECT_EQ(Rewrites(separable, "layout_nhwc"), 4);
  EXPECT_EQ(Count(separable.model, "Transpose"), 2);  // in and out of the converted chain
  ExpectSameOutputs(build(32, 40), dense_wide,
                    {{"x", RandomTensor({1, 16, 40, 40}, 348, -2, 2)}}, 1e-4, 1e-4);
  ExpectSameOutputs(build(8, 28), separable, {{"x", RandomTensor({1, 16, 28, 28}, 349, -2, 2)}},
                    1e-4, 1e-4);
}

// An inverted residual block's expansion 1x1 -> depthwise pair, and variations that must not
// fuse.
struct ExpandDwCase {
  int64_t width = 40, k = 3, stride = 1, dw_pad = -1, dilation = 1, ex_pad = 0;
  bool shared = false;        // the expanded tensor also feeds an Add
  bool graph_output = false;  // the expanded tensor is a graph output
  bool residual = false;      // the depthwise result gets a residual Add (FusedConv Z)
  bool w1_input = false;      // W1 is a graph input, not a constant
  int64_t expanded = 48;      // E (C = 8)
  bool fuses = true;
};

onnx::ModelProto ExpandDwModel(const ExpandDwCase& c) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  const int64_t h = 9;
  AddInput(g, "x", DataType::kFloat, {1, 8, h, c.width});
  if (c.w1_input) {
    AddInput(g, "w1", DataType::kFloat, {c.expanded, 8, 1, 1});
  } else {
    AddInitializer(g, "w1", RandomTensor({c.expanded, 8, 1, 1}, 360));
  }
  AddInitializer(g, "b1", RandomTensor({c.expanded}, 361));
  AddInitializer(g, "w2", RandomTensor({c.expanded, 1, c.k, c.k}, 362));
  AddInitializer(g, "b2", RandomTensor({c.expanded}, 363));
  AddInitializer(g, "lo", Tensor::FromVector<float>({}, {0.f}));
  AddInitializer(g, "hi", Tensor::FromVector<float>({}, {0.8f}));
  auto* ex = AddNode(g, "Conv", {"x", "w1", "b1"}, {"e0"});
  if (c.ex_pad) AttrInts(ex, "pads", {c.ex_pad, c.ex_pad, c.ex_pad, c.ex_pad});
  AddNode(g, "Clip", {"e0", "lo", "hi"}, {"e"});
  auto* dw = AddNode(g, "Conv", {"e", "w2", "b2"}, {"d"});
  AttrI(dw, "group", c.expanded);
  const int64_t pad = c.dw_pad >= 0 ? c.dw_pad : c.k / 2;
  AttrInts(dw, "pads", {pad, pad, pad, pad});
  AttrInts(dw, "strides", {c.stride, c.stride});
  if (c.dilation != 1) AttrInts(dw, "dilations", {c.dilation, c.dilation});
  std::string y = "d";
  if (c.residual) {
    AddNode(g, "Add", {"d", "z"}, {"y"});
    y = "y";
    AddInput(g, "z", DataType::kFloat, {1, c.expanded, (h + 2 * pad - c.k) / c.stride + 1,
                                        (c.width + 2 * pad - c.k) / c.stride + 1});
  }
  AddNode(g, "Relu", {y}, {"out"});
  AddOutput(g, "out");
  if (c.shared) {
    AddNode(g, "Add", {"e", "e"}, {"e2"});
    AddOutput(g, "e2");
  }
  if (c.graph_output) AddOutput(g, "e");
  return m;
}

TEST(OptimizerPass, FuseExpandDepthwiseTakesTheInvertedResidualPair) {
  std::vector<ExpandDwCase> cases;
  cases.push_back({});                                          // 3x3 stride 1
  cases.push_back({.stride = 2});                               // 3x3 stride 2
  cases.push_back({.width = 37, .k = 5, .stride = 2});          // 5x5 stride 2, odd width
  cases.push_back({.k = 5, .dw_pad = 0});                       // no padding
  cases.push_back({.stride = 3, .fuses = false});               // no direct kernel
  cases.push_back({.dw_pad = 3, .fuses = false});               // pad >= k
  cases.push_back({.dilation = 2, .fuses = false});             // dilated
  cases.push_back({.ex_pad = 1, .fuses = false});               // padded 1x1
  cases.push_back({.shared = true, .fuses = false});            // expanded tensor read twice
  cases.push_back({.graph_output = true, .fuses = false});      // expanded tensor is an output
  cases.push_back({.residual = true, .fuses = false});          // depthwise with Z
  cases.push_back({.w1_input = true, .fuses = false});          // W1 not constant
  cases.push_back({.width = 16, .fuses = false});               // narrow map
  cases.push_back({.width = 112, .stride = 2, .fuses = false});  // wide map
  cases.push_back({.width = 64});                               // widest fused
  cases.push_back({.expanded = 8, .fuses = false});             // no expansion (E = C)
  for (size_t i = 0; i < cases.size(); ++i) {
    const ExpandDwCase& c = cases[i];
    SCOPED_TRACE("case " + std::to_string(i));
    auto m = ExpandDwModel(c);
    auto o = RunPasses(m, {"fuse_conv_activation", "fuse_expand_depthwise"},
                       OptimizationLevel::kAll, false);
    EXPECT_EQ(Rewrites(o, "fuse_expand_depthwise"), c.fuses ? 1 : 0);
    EXPECT_EQ(Count(o.model, "com.onnxedge.FusedExpandDepthwise"), c.fuses ? 1 : 0);
    if (c.fuses) {
      EXPECT_EQ(Count(o.model, "com.onnxedge.FusedConv"), 0);
      EXPECT_EQ(Count(o.model, "Conv"), 0);
    }
    std::vector<NamedValue> in = {{"x", RandomTensor({1, 8, 9, c.width}, 364, -2, 2)}};
    if (c.w1_input) in.push_back({"w1", RandomTensor({c.expanded, 8, 1, 1}, 365)});
    if (c.residual) {
      const int64_t pad = c.dw_pad >= 0 ? c.dw_pad : c.k / 2;
      in.push_back({"z", RandomTensor({1, c.expanded, (9 + 2 * pad - c.k) / c.stride + 1,
                                       (c.width + 2 * pad - c.k) / c.stride + 1}, 366)});
    }
    ExpectSameOutputs(m, o, in, 1e-5, 1e-5);
  }
  // Not when saving below level "all" (the op is private); at "all" in the full pipeline.
  auto exported = RunPasses(ExpandDwModel({}), {}, OptimizationLevel::kExtended, true);
  EXPECT_EQ(Count(exported.model, "com.onnxedge.FusedExpandDepthwise"), 0);
  auto full = RunPasses(ExpandDwModel({}), {}, OptimizationLevel::kAll, false);
  EXPECT_EQ(Rewrites(full, "fuse_expand_depthwise"), 1);
  ExpectSameOutputs(ExpandDwModel({}), full, {{"x", RandomTensor({1, 8, 9, 40}, 367, -2, 2)}},
                    1e-5, 1e-5);
}

TEST(OptimizerPass, LayoutNhwcLeavesWideMapsNchw) {
  // A 57-wide map (wider than the channels-last threshold) stays NCHW: no transpose at all.
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {1, 4, 3, 57});
  AddInitializer(g, "W", RandomTensor({8, 4, 3, 3}, 330));
  AttrInts(AddNode(g, "Conv", {"x", "W"}, {"y"}), "pads", {1, 1, 1, 1});
  AddOutput(g, "y");
  auto o = RunPasses(m, {}, OptimizationLevel::kAll, false, {"layout_nhwc"});
  EXPECT_EQ(Rewrites(o, "layout_nhwc"), 0);
  EXPECT_EQ(Count(o.model, "Transpose"), 0);
}

TEST(OptimizerPass, LayoutNhwcTakesStride2DenseLayersFromTwiceTheWidth) {
  // A dense 3x3 stride-2 convolution from an 80-wide map into a 40-wide one converts (the
  // transpose moves to its input); from 114 wide into 57 it does not, nor does a stride-1
  // layer on the 80-wide map.
  struct Case {
    int64_t width, stride;
    bool converted;
  };
  for (const Case& c : {Case{80, 2, true}, Case{112, 2, true}, Case{114, 2, false},
                        Case{80, 1, false}}) {
    auto m = NewModel(13);
    auto* g = m.mutable_graph();
    AddInput(g, "x", DataType::kFloat, {1, 4, 6, c.width});
    AddInitializer(g, "W", RandomTensor({8, 4, 3, 3}, 331));
    auto* conv = AddNode(g, "Conv", {"x", "W"}, {"y"});
    AttrInts(conv, "pads", {1, 1, 1, 1});
    AttrInts(conv, "strides", {c.stride, c.stride});
    AddOutput(g, "y");
    auto o = RunPasses(m, {}, OptimizationLevel::kAll, false, {"layout_nhwc"});
    EXPECT_EQ(Rewrites(o, "layout_nhwc"), c.converted ? 1 : 0) << c.width << " " << c.stride;
    ExpectSameOutputs(m, o, {{"x", RandomTensor({1, 4, 6, c.width}, 332, -2, 2)}}, 1e-4, 1e-4);
  }
}

TEST(OptimizerPass, LayoutNhwcModelSavedAtAllRunsInSession) {
  auto m = ConvNetModel();
  auto o = RunPasses(m, {}, OptimizationLevel::kAll, true, {"layout_nhwc"});
  ASSERT_FALSE(o.bytes.empty());
  EXPECT_GT(Rewrites(o, "layout_nhwc"), 0);
  ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 3, 8, 8}, 321, -2, 2)}}, 1e-4, 1e-4);
}

TEST(OptimizerPass, FuseGemmActivation) {
  if (!opt::PassContext::HasKernel("com.onnxedge", "FusedGemm", 1)) {
    GTEST_SKIP() << "com.onnxedge FusedGemm is not registered on this branch";
  }
  for (const char* act : {"Relu", "LeakyRelu", "SiLU"}) {
    auto m = NewModel(13);
    auto* g = m.mutable_graph();
    AddInput(g, "a", DataType::kFloat, {3, 5});
    AddInitializer(g, "b", RandomTensor({5, 4}, 53));
    AddInitializer(g, "c", RandomTensor({4}, 54));
    AddNode(g, "Gemm", {"a", "b", "c"}, {"h"});
    if (std::string(act) == "SiLU") {
      AddNode(g, "Sigmoid", {"h"}, {"s"});
      AddNode(g, "Mul", {"h", "s"}, {"y"});
    } else {
      AddNode(g, act, {"h"}, {"y"});
    }
    AddOutput(g, "y");
    auto o = RunPasses(m, {"fuse_conv_activation"}, OptimizationLevel::kAll, false);
    EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"com.onnxedge.FusedGemm"})) << act;
    ExpectSameOutputs(m, o, {{"a", RandomTensor({3, 5}, 55, -2, 2)}}, 1e-5, 1e-4);
  }
}

// GELU written out as PyTorch exports it, from `x` to `y` (fuse_gelu makes it one Gelu node:
// ONNX Gelu at opset >= 20, else com.microsoft Gelu / FastGelu).
void AddDecomposedGelu(onnx::GraphProto* g, const std::string& x, const std::string& y,
                       bool tanh_form) {
  const std::string p = y + "_";
  AddInitializer(g, p + "half", Tensor::Scalar<float>(0.5f));
  AddInitializer(g, p + "one", Tensor::Scalar<float>(1.f));
  if (!tanh_form) {
    AddInitializer(g, p + "sqrt2", Tensor::Scalar<float>(std::sqrt(2.f)));
    AddNode(g, "Div", {x, p + "sqrt2"}, {p + "t0"});
    AddNode(g, "Erf", {p + "t0"}, {p + "t1"});
  } else {
    AddInitializer(g, p + "three", Tensor::Scalar<float>(3.f));
    AddInitializer(g, p + "k", Tensor::Scalar<float>(0.044715f));
    AddInitializer(g, p + "c", Tensor::Scalar<float>(static_cast<float>(std::sqrt(2.0 / M_PI))));
    AddNode(g, "Pow", {x, p + "three"}, {p + "p"});
    AddNode(g, "Mul", {p + "k", p + "p"}, {p + "kp"});
    AddNode(g, "Add", {x, p + "kp"}, {p + "s"});
    AddNode(g, "Mul", {p + "s", p + "c"}, {p + "t0"});
    AddNode(g, "Tanh", {p + "t0"}, {p + "t1"});
  }
  AddNode(g, "Add", {p + "t1", p + "one"}, {p + "t2"});
  AddNode(g, "Mul", {x, p + "t2"}, {p + "t3"});
  AddNode(g, "Mul", {p + "t3", p + "half"}, {y});
}

// A transformer FFN on [2, 5, 16]: MatMul + Add (-> Reshape, Gemm, Reshape), GELU, MatMul + Add.
onnx::ModelProto FfnModel(int opset, bool tanh_form, bool h_also_output = false) {
  auto m = NewModel(opset);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 5, 16});
  AddInitializer(g, "w1", RandomTensor({16, 24}, 61, -0.6f, 0.6f));
  AddInitializer(g, "b1", RandomTensor({24}, 62));
  AddInitializer(g, "w2", RandomTensor({24, 16}, 63, -0.5f, 0.5f));
  AddInitializer(g, "b2", RandomTensor({16}, 64));
  AddNode(g, "MatMul", {"x", "w1"}, {"m1"});
  AddNode(g, "Add", {"m1", "b1"}, {"h"});
  AddDecomposedGelu(g, "h", "a", tanh_form);
  AddNode(g, "MatMul", {"a", "w2"}, {"m2"});
  AddNode(g, "Add", {"m2", "b2"}, {"y"});
  AddOutput(g, "y");
  if (h_also_output) AddOutput(g, "h");
  return m;
}

TEST(OptimizerPass, FuseGemmGeluInTheFfn) {
  if (!opt::PassContext::HasKernel("com.onnxedge", "FusedGemm", 1)) {
    GTEST_SKIP() << "com.onnxedge FusedGemm is not registered on this branch";
  }
  struct Case {
    int opset;
    bool tanh_form;
    const char* activation;  // "" = stays unfused (FastGelu)
  };
  for (const Case& c : {Case{13, false, "Gelu"}, Case{20, false, "Gelu"},
                        Case{20, true, "GeluTanh"}, Case{13, true, ""}}) {
    const std::string what = std::to_string(c.opset) + (c.tanh_form ? " tanh" : " erf");
    auto m = FfnModel(c.opset, c.tanh_form);
    auto o = RunPasses(m, {}, OptimizationLevel::kAll, true);
    ASSERT_FALSE(o.bytes.empty()) << what;
    EXPECT_EQ(Rewrites(o, "fuse_gemm_gelu"), c.activation[0] ? 1 : 0) << what;
    if (c.activation[0]) {
      // Reshape -> FusedGemm(Gelu) -> Reshape -> Reshape -> Gemm -> Reshape: the GELU moved
      // above the Reshape into the first Gemm's epilogue.
      EXPECT_EQ(Ops(o.model),
                (std::vector<std::string>{"Reshape", "com.onnxedge.FusedGemm", "Reshape",
                                          "Reshape", "Gemm", "Reshape"}))
          << what;
      for (const auto& n : o.model.graph->nodes) {
        if (n->op_type == "FusedGemm") {
          EXPECT_EQ(opt::AttrString(*n, "activation", ""), c.activation) << what;
        }
      }
    } else {
      EXPECT_EQ(Count(o.model, "com.microsoft.FastGelu"), 1) << what;
      EXPECT_EQ(Count(o.model, "com.onnxedge.FusedGemm"), 0) << what;
    }
    ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 5, 16}, 65, -2, 2)}}, 1e-5, 1e-4);
    ExpectSameOutputsAtEveryLevel(m, {{"x", RandomTensor({2, 5, 16}, 66, -2, 2)}}, 1e-5, 1e-4);
    // Not fused when saving at extended (FusedGemm is onnxedge-private).
    auto ext = RunPasses(m, {}, OptimizationLevel::kExtended, true);
    EXPECT_EQ(Rewrites(ext, "fuse_gemm_gelu"), 0) << what;
    EXPECT_EQ(Count(ext.model, "com.onnxedge.FusedGemm"), 0) << what;
  }
}

// The fused epilogue is the Gelu kernel's own function: the graph with the fusion gives the
// same bits as the graph without it (both saved at `all` and run unoptimized).
TEST(OptimizerPass, FuseGemmGeluGivesTheUnfusedValuesExactly) {
  if (!opt::PassContext::HasKernel("com.onnxedge", "FusedGemm", 1)) {
    GTEST_SKIP() << "com.onnxedge FusedGemm is not registered on this branch";
  }
  for (bool tanh_form : {false, true}) {
    auto m = FfnModel(20, tanh_form);
    auto fused = RunPasses(m, {}, OptimizationLevel::kAll, true);
    std::set<std::string> all_but;
    for (const auto& e : opt::Pipeline()) {
      if (std::string(e.pass->name()) != "fuse_gemm_gelu") all_but.insert(e.pass->name());
    }
    auto plain = RunPasses(m, all_but, OptimizationLevel::kAll, true);
    EXPECT_EQ(Rewrites(fused, "fuse_gemm_gelu"), 1);
    EXPECT_EQ(Count(plain.model, "com.onnxedge.FusedGemm"), 0);
    EXPECT_EQ(Count(plain.model, "Gelu"), 1);
    const std::vector<NamedValue> in = {{"x", RandomTensor({2, 5, 16}, 67, -3, 3)}};
    auto a = RunBytes(fused.bytes, in);
    auto b = RunBytes(plain.bytes, in);
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(a[0].value.tensor().ToVector<float>(), b[0].value.tensor().ToVector<float>())
        << tanh_form;
  }
}

// A FusedGemm without activation (as saved by onnxedge) takes the Gelu too; one that already has
// an activation keeps it and the Gelu stays.
TEST(OptimizerPass, FuseGemmGeluIntoAFusedGemmWithoutActivation) {
  if (!opt::PassContext::HasKernel("com.onnxedge", "FusedGemm", 1)) {
    GTEST_SKIP() << "com.onnxedge FusedGemm is not registered on this branch";
  }
  for (const char* existing : {"", "Relu"}) {
    auto m = NewModel(20);
    auto* os = m.add_opset_import();
    os->set_domain("com.onnxedge");
    os->set_version(1);
    auto* g = m.mutable_graph();
    AddInput(g, "a", DataType::kFloat, {2, 3, 5});
    AddInitializer(g, "b", RandomTensor({5, 4}, 71));
    AddInitializer(g, "c", RandomTensor({4}, 72));
    auto* f = AddNode(g, "FusedGemm", {"a", "b", "c"}, {"h"});
    f->set_domain("com.onnxedge");
    if (existing[0]) {
      auto* attr = f->add_attribute();
      attr->set_name("activation");
      attr->set_type(onnx::AttributeProto::STRING);
      attr->set_s(existing);
    }
    auto* gelu = AddNode(g, "Gelu", {"h"}, {"y"});
    auto* approx = gelu->add_attribute();
    approx->set_name("approximate");
    approx->set_type(onnx::AttributeProto::STRING);
    approx->set_s("tanh");
    AddOutput(g, "y");
    auto o = RunPasses(m, {"fuse_gemm_gelu"}, OptimizationLevel::kAll, false);
    if (existing[0]) {
      EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"com.onnxedge.FusedGemm", "Gelu"}));
    } else {
      ASSERT_EQ(Ops(o.model), (std::vector<std::string>{"com.onnxedge.FusedGemm"}));
      EXPECT_EQ(opt::AttrString(*o.model.graph->nodes[0], "activation", ""), "GeluTanh");
    }
    ExpectSameOutputs(m, o, {{"a", RandomTensor({2, 3, 5}, 73, -2, 2)}}, 0, 0);
  }
}

TEST(OptimizerPass, GemmGeluWithTheGemmOutputReadElsewhereStays) {
  if (!opt::PassContext::HasKernel("com.onnxedge", "FusedGemm", 1)) {
    GTEST_SKIP() << "com.onnxedge FusedGemm is not registered on this branch";
  }
  {  // h is also a graph output.
    auto m = FfnModel(20, false, /*h_also_output=*/true);
    auto o = RunPasses(m, {}, OptimizationLevel::kAll, true);
    EXPECT_EQ(Rewrites(o, "fuse_gemm_gelu"), 0);
    EXPECT_EQ(Count(o.model, "Gelu"), 1);
    ExpectSameOutputs(m, o, {{"x", RandomTensor({2, 5, 16}, 68, -2, 2)}}, 1e-5, 1e-4);
  }
  // A 2-D Gemm -> Gelu (no Reshape), with or without a second reader of the Gemm's output.
  auto gemm_gelu = [](bool second_reader) {
    auto m = NewModel(20);
    auto* g = m.mutable_graph();
    AddInput(g, "a", DataType::kFloat, {3, 5});
    AddInitializer(g, "b", RandomTensor({5, 4}, 69));
    AddNode(g, "Gemm", {"a", "b"}, {"h"});
    AddNode(g, "Gelu", {"h"}, {"y"});
    AddOutput(g, "y");
    if (second_reader) {
      AddNode(g, "Relu", {"h"}, {"z"});
      AddOutput(g, "z");
    }
    return m;
  };
  {  // A second reader keeps the Gemm's output: no fusion.
    auto o = RunPasses(gemm_gelu(true), {"fuse_gemm_gelu"}, OptimizationLevel::kAll, false);
    EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Gemm", "Gelu", "Relu"}));
  }
  {  // One reader fuses.
    auto m = gemm_gelu(false);
    auto o = RunPasses(m, {"fuse_gemm_gelu"}, OptimizationLevel::kAll, false);
    EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"com.onnxedge.FusedGemm"}));
    ExpectSameOutputs(m, o, {{"a", RandomTensor({3, 5}, 70, -2, 2)}}, 0, 0);
  }
}

TEST(OptimizerPass, ConvResidualWithBroadcastOperandStays) {
  EnsureFusedConvKernel();
  auto m = ConvModel(4, true);
  auto* g = m.mutable_graph();
  AddInput(g, "z", DataType::kFloat, {1, 4, 1, 6});  // broadcasts: not a residual of Y's shape
  AddNode(g, "Add", {"conv", "z"}, {"y"});
  AddOutput(g, "y");
  auto o = RunPasses(m, {"fuse_conv_activation"}, OptimizationLevel::kAll, false);
  EXPECT_EQ(Ops(o.model), (std::vector<std::string>{"Conv", "Add"}));
}

TEST(OptimizerPass, LayerNormFusionForExportNeedsAnUpgradableOpset) {
  // Opset 12 is below the judged upgrade range: saving could not express LayerNormalization,
  // so the export leaves the pattern alone; for running it fuses (onnxedge runs the op).
  auto m = NewModel(12);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 16});
  AddDecomposedLayerNorm(g, "x", "y", 16, true);
  AddOutput(g, "y");
  auto exported = RunPasses(m, {"fuse_layer_norm"}, OptimizationLevel::kExtended, true);
  EXPECT_EQ(Count(exported.model, "LayerNormalization"), 0);
  auto run = RunPasses(m, {"fuse_layer_norm"}, OptimizationLevel::kExtended, false);
  EXPECT_EQ(Ops(run.model), (std::vector<std::string>{"LayerNormalization"}));
  SessionOptions so;
  so.verify_optimizer_passes = true;
  auto s = LoadProto(m, so);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Tensor x = RandomTensor({2, 16}, 48, -2, 2);
  auto got = (*s)->Run({{"x", x}});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  auto ref = RunBytes(m.SerializeAsString(), {{"x", x}});
  ASSERT_EQ(ref.size(), 1u);
  for (int64_t k = 0; k < x.size(); ++k) {
    EXPECT_NEAR((*got)[0].value.tensor().data<float>()[k], ref[0].value.tensor().data<float>()[k],
                1e-4);
  }
}

TEST(OptimizerPass, PassesRunInsideSubgraphs) {
  // If(cond) { then: gelu(x) written out, reading x from the outer graph } else { Identity(x) }
  auto m = GeluModel(13, false);
  auto* g = m.mutable_graph();
  onnx::GraphProto then_g = *g;  // the GELU nodes, reading outer x and outer constants
  then_g.set_name("then");
  then_g.clear_input();
  then_g.clear_initializer();
  then_g.mutable_output(0)->set_name("y");
  onnx::GraphProto else_g;
  else_g.set_name("else");
  AddNode(&else_g, "Identity", {"x"}, {"y_else"});
  AddOutput(&else_g, "y_else");
  g->clear_node();
  g->clear_output();
  AddInput(g, "cond", DataType::kBool, {});
  auto* iff = AddNode(g, "If", {"cond"}, {"out"});
  auto* a = iff->add_attribute();
  a->set_name("then_branch");
  a->set_type(onnx::AttributeProto::GRAPH);
  *a->mutable_g() = then_g;
  auto* b = iff->add_attribute();
  b->set_name("else_branch");
  b->set_type(onnx::AttributeProto::GRAPH);
  *b->mutable_g() = else_g;
  AddOutput(g, "out");
  auto o = RunPasses(m, {"fuse_gelu", "eliminate_identity"});
  ASSERT_EQ(o.model.graph->nodes.size(), 1u);
  const ir::Node& node = *o.model.graph->nodes[0];
  size_t then_nodes = 0, else_nodes = 0;
  std::string then_op;
  for (const auto& attr : node.attributes) {
    if (attr.name == "then_branch") {
      then_nodes = attr.g->nodes.size();
      then_op = attr.g->nodes[0]->domain + "." + attr.g->nodes[0]->op_type;
    }
    if (attr.name == "else_branch") else_nodes = attr.g->nodes.size();
  }
  EXPECT_EQ(then_nodes, 1u);
  EXPECT_EQ(then_op, "com.microsoft.Gelu");
  EXPECT_EQ(else_nodes, 1u);  // Identity producing a subgraph output of an outer value stays
  for (bool c : {true, false}) {
    ExpectSameOutputs(m, o,
                      {{"cond", Tensor::Scalar<bool>(c)}, {"x", RandomTensor({2, 8}, 49, -3, 3)}});
  }
}

// --- pass manager, matcher, verifier, saver ---------------------------------------------------

TEST(Optimizer, LevelsSelectPasses) {
  auto m = GeluModel(13, false);
  auto disabled = RunPasses(m, {}, OptimizationLevel::kDisabled);
  EXPECT_EQ(disabled.model.graph->nodes.size(), 5u);
  EXPECT_TRUE(disabled.report.passes.empty());
  auto basic = RunPasses(m, {}, OptimizationLevel::kBasic);
  EXPECT_EQ(Count(basic.model, "com.microsoft.Gelu"), 0);
  // Only passes with a basic-level entry ran (some passes run at two levels).
  for (const auto& p : basic.report.passes) {
    bool basic_entry = false;
    for (const auto& e : opt::Pipeline()) {
      basic_entry |= p.name == e.pass->name() && e.level == OptimizationLevel::kBasic;
    }
    EXPECT_TRUE(basic_entry) << p.name;
  }
  auto extended = RunPasses(m, {}, OptimizationLevel::kExtended);
  EXPECT_EQ(Ops(extended.model), (std::vector<std::string>{"com.microsoft.Gelu"}));
  EXPECT_EQ(extended.report.nodes_before, 5);
  EXPECT_EQ(extended.report.nodes_after, 1);
}

TEST(Optimizer, DisabledPassAndUnknownPassName) {
  auto m = GeluModel(13, false);
  const std::string bytes = m.SerializeAsString();
  auto model = onnx_io::LoadModelFromBuffer(bytes.data(), bytes.size(), LoadOpts());
  ASSERT_TRUE(model.ok());
  opt::OptimizeOptions o;
  o.level = OptimizationLevel::kAll;
  o.disabled_passes = {"fuse_gelu"};
  ASSERT_TRUE(opt::Optimize(*model, o).ok());
  EXPECT_EQ(model->graph->nodes.size(), 5u);
  o.disabled_passes = {"no_such_pass"};
  Status st = opt::Optimize(*model, o);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no_such_pass"), std::string::npos);
  // The session applies the same options.
  SessionOptions so;
  so.disabled_passes = {"no_such_pass"};
  EXPECT_FALSE(LoadProto(m, so).ok());
  so.disabled_passes = {"fuse_gelu"};
  EXPECT_TRUE(LoadProto(m, so).ok());
  // Opt-in passes: an unknown name is the same error; a known one loads.
  so.enabled_passes = {"no_such_pass"};
  EXPECT_FALSE(LoadProto(m, so).ok());
  so.enabled_passes = {"layout_nhwc"};
  EXPECT_TRUE(LoadProto(m, so).ok());
}

TEST(Optimizer, SessionAtEveryLevelComputesTheSameAsDisabled) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 4, 16});
  AddInitializer(g, "w", RandomTensor({16, 16}, 42));
  AddInitializer(g, "bias", RandomTensor({16}, 43));
  AddNode(g, "MatMul", {"x", "w"}, {"h"});
  AddNode(g, "Add", {"h", "bias"}, {"hb"});
  AddNode(g, "Identity", {"hb"}, {"hi"});
  AddDecomposedLayerNorm(g, "hi", "y", 16, true);
  AddOutput(g, "y");
  ExpectSameOutputsAtEveryLevel(m, {{"x", RandomTensor({2, 4, 16}, 44)}}, 1e-4, 0.0);
}

TEST(Optimizer, PatternBindsSharedValuesAndBacktracksCommutativeInputs) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {4});
  AddInput(g, "z", DataType::kFloat, {4});
  AddNode(g, "Sigmoid", {"x"}, {"s"});
  AddNode(g, "Mul", {"s", "x"}, {"y1"});  // x * sigmoid(x), operands swapped
  AddNode(g, "Sigmoid", {"z"}, {"sz"});
  AddNode(g, "Mul", {"sz", "x"}, {"y2"});  // not SiLU: different inputs
  AddOutput(g, "y1");
  AddOutput(g, "y2");
  const std::string bytes = m.SerializeAsString();
  auto model = onnx_io::LoadModelFromBuffer(bytes.data(), bytes.size(), LoadOpts());
  ASSERT_TRUE(model.ok());
  opt::NameGenerator names(*model);
  opt::PassContext ctx;
  ctx.model = &*model;
  ctx.names = &names;
  opt::GraphEditor editor(*model->graph, ctx);
  opt::Pattern p;
  auto x = p.Any("x");
  p.SetRoot(p.Op("Mul", {x, p.Op("Sigmoid", {x}, opt::Opts().Bind("sig"))},
                 opt::Opts().Bind("mul").Commutative()));
  std::vector<std::string> roots;
  p.ForEachMatch(editor, [&](const opt::Match& match) {
    roots.push_back(match.root->outputs[0]);
    EXPECT_EQ(match.V("x"), "x");
    EXPECT_EQ(match.N("sig")->outputs[0], "s");
    return false;
  });
  EXPECT_EQ(roots, (std::vector<std::string>{"y1"}));
}

TEST(Optimizer, VerifierCatchesBrokenGraphs) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {4});
  AddNode(g, "Relu", {"x"}, {"a"});
  AddNode(g, "Neg", {"a"}, {"y"});
  AddOutput(g, "y");
  const std::string bytes = m.SerializeAsString();
  auto model = onnx_io::LoadModelFromBuffer(bytes.data(), bytes.size(), LoadOpts());
  ASSERT_TRUE(model.ok());
  EXPECT_TRUE(ir::VerifyGraph(*model->graph).ok());
  std::swap(model->graph->nodes[0], model->graph->nodes[1]);  // use before definition
  EXPECT_FALSE(ir::VerifyGraph(*model->graph).ok());
  std::swap(model->graph->nodes[0], model->graph->nodes[1]);
  model->graph->nodes[1]->outputs[0] = "a";  // defined twice, y undefined
  EXPECT_FALSE(ir::VerifyGraph(*model->graph).ok());
}

TEST(Saver, AtomicSaveRoundTripsAndLeavesNoTemporaryFiles) {
  auto m = GeluModel(13, true);
  auto o = RunPasses(m, {}, OptimizationLevel::kExtended);
  TempDir dir;
  const std::string path = dir.File("out.onnx");
  dir.Write("out.onnx", "old contents");
  ASSERT_TRUE(onnx_io::SaveModel(o.model, path).ok());
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
  auto s = Session::Load(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  // A folder that does not exist: an error naming it, nothing written.
  Status st = onnx_io::SaveModel(o.model, dir.File("missing/out.onnx"));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("missing"), std::string::npos);
}

// --- `onnxedge optimize` -----------------------------------------------------------------------

TEST(OptimizeCli, SavesPrintsStatsAndRejectsBadFlags) {
  TempDir dir;
  dir.Write("in.onnx", GeluModel(13, false).SerializeAsString());
  const std::string in = dir.File("in.onnx"), out = dir.File("out.onnx");
  auto r = RunOptimizeCli(in + " " + out + " --level extended");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("fuse_gelu"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nodes: 5 -> 1"), std::string::npos) << r.out;
  auto s = Session::Load(out);
  ASSERT_TRUE(s.ok()) << s.status().ToString();

  auto j = RunOptimizeCli(in + " " + out + " --level basic --json");
  ASSERT_EQ(j.code, 0) << j.out;
  EXPECT_NE(j.out.find("\"nodes_after\":5"), std::string::npos) << j.out;

  auto d = RunOptimizeCli(in + " " + out +
                          " --dump-after fuse_gelu --disable-pass fuse_layer_norm");
  ASSERT_EQ(d.code, 0) << d.out;
  EXPECT_NE(d.out.find("com.microsoft.Gelu(x)"), std::string::npos) << d.out;
  EXPECT_EQ(d.out.find("fuse_layer_norm "), std::string::npos) << d.out;

  for (const char* bad : {"--level fastest", "--disable-pass no_such_pass",
                          "--dump-after no_such_pass"}) {
    auto e = RunOptimizeCli(in + " " + out + " " + bad);
    EXPECT_EQ(e.code, 2) << bad;
    EXPECT_NE(e.out.find(std::string(bad).substr(std::string(bad).find(' ') + 1)),
              std::string::npos)
        << e.out;
  }
  auto missing = RunOptimizeCli(dir.File("nope.onnx") + " " + out);
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.out.find("nope.onnx"), std::string::npos) << missing.out;
}

}  // namespace
}  // namespace onnxedge
