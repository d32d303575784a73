// Copyright onnxedge authors.
// Loader tests: data sources, graph handling, and every refusal of a bad or hostile file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "ir/onnx/loader.h"
#include "ir/onnx/opset.h"
#include "runtime/session_impl.h"
#include "unit/model_builder.h"

namespace onnxedge {
namespace {

using namespace onnxedge::testing;  // NOLINT

// Y = Add(X, W) with X float[4] and W a 4-float initializer set up by the caller.
onnx::ModelProto AddModel() {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "X", DataType::kFloat, {4});
  AddNode(g, "Add", {"X", "W"}, {"Y"});
  AddOutput(g, "Y");
  return m;
}

std::vector<float> RunAdd(Session& s) {
  float x[4] = {1, 2, 3, 4};
  auto in = Tensor::Borrow(DataType::kFloat, {4}, x, sizeof(x));
  auto out = s.Run({{"X", *in}});
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  if (!out.ok()) return {};
  return (*out)[0].value.tensor().ToVector<float>();
}

std::string ErrorOf(const StatusOr<std::unique_ptr<Session>>& s) {
  return s.ok() ? std::string("(loaded fine)") : s.status().ToString();
}

void ExpectError(const StatusOr<std::unique_ptr<Session>>& s, StatusCode code,
                 const std::string& needle) {
  ASSERT_FALSE(s.ok()) << "expected an error containing '" << needle << "'";
  EXPECT_EQ(s.status().code(), code) << s.status().ToString();
  EXPECT_NE(s.status().message().find(needle), std::string::npos) << s.status().ToString();
  EXPECT_EQ(s.status().message().find('\n'), std::string::npos) << "error must be one line";
}

// --- Data sources ---------------------------------------------------------------------------

TEST(Loader, TypedFieldsAndRawData) {
  auto m = AddModel();
  auto* w = m.mutable_graph()->add_initializer();
  w->set_name("W");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(4);
  for (float v : {10.f, 20.f, 30.f, 40.f}) w->add_float_data(v);
  auto s = LoadProto(m);
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(RunAdd(**s), (std::vector<float>{11, 22, 33, 44}));

  float raw[4] = {1, 1, 1, 1};
  w->clear_float_data();
  w->set_raw_data(raw, sizeof(raw));
  auto s2 = LoadProto(m);
  ASSERT_TRUE(s2.ok()) << ErrorOf(s2);
  EXPECT_EQ(RunAdd(**s2), (std::vector<float>{2, 3, 4, 5}));
}

TEST(Loader, Float16TypedFieldsUseInt32Data) {
  auto t = onnx::TensorProto();
  t.set_name("h");
  t.set_data_type(onnx::TensorProto::FLOAT16);
  t.add_dims(2);
  t.add_int32_data(Float16(1.5f).bits);
  t.add_int32_data(Float16(-2.f).bits);
  onnx_io::TensorLoadContext ctx;
  auto r = onnx_io::TensorFromProto(t, ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(static_cast<float>(r->data<Float16>()[0]), 1.5f);
  EXPECT_EQ(static_cast<float>(r->data<Float16>()[1]), -2.f);
}

TEST(Loader, ConstantNodeValueForms) {
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  auto add_const = [&](const std::string& out, auto fill) {
    auto* n = AddNode(g, "Constant", {}, {out});
    fill(n->add_attribute());
    AddOutput(g, out);
  };
  add_const("f", [](onnx::AttributeProto* a) {
    a->set_name("value_float");
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(2.5f);
  });
  add_const("ints", [](onnx::AttributeProto* a) {
    a->set_name("value_ints");
    a->set_type(onnx::AttributeProto::INTS);
    a->add_ints(3);
    a->add_ints(-4);
  });
  add_const("str", [](onnx::AttributeProto* a) {
    a->set_name("value_string");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s("hello");
  });
  add_const("sparse", [](onnx::AttributeProto* a) {
    a->set_name("sparse_value");
    a->set_type(onnx::AttributeProto::SPARSE_TENSOR);
    auto* sp = a->mutable_sparse_tensor();
    sp->add_dims(2);
    sp->add_dims(3);
    auto* v = sp->mutable_values();
    v->set_data_type(onnx::TensorProto::FLOAT);
    v->add_dims(2);
    v->add_float_data(7);
    v->add_float_data(9);
    auto* idx = sp->mutable_indices();
    idx->set_data_type(onnx::TensorProto::INT64);
    idx->add_dims(2);
    idx->add_int64_data(1);
    idx->add_int64_data(5);
  });
  auto s = LoadProto(m);
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  auto out = (*s)->Run({});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].value.tensor().ToVector<float>(), std::vector<float>{2.5f});
  EXPECT_EQ((*out)[0].value.tensor().rank(), 0u);
  EXPECT_EQ((*out)[1].value.tensor().ToVector<int64_t>(), (std::vector<int64_t>{3, -4}));
  EXPECT_EQ((*out)[2].value.tensor().data<std::string>()[0], "hello");
  EXPECT_EQ((*out)[3].value.tensor().ToVector<float>(), (std::vector<float>{0, 7, 0, 0, 0, 9}));
}

TEST(Loader, SparseInitializer) {
  auto m = AddModel();
  auto* sp = m.mutable_graph()->add_sparse_initializer();
  sp->add_dims(4);
  auto* v = sp->mutable_values();
  v->set_name("W");
  v->set_data_type(onnx::TensorProto::FLOAT);
  v->add_dims(1);
  v->add_float_data(100);
  auto* idx = sp->mutable_indices();
  idx->set_data_type(onnx::TensorProto::INT64);
  idx->add_dims(1);
  idx->add_int64_data(2);
  auto s = LoadProto(m);
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(RunAdd(**s), (std::vector<float>{1, 2, 103, 4}));
}

// --- External data --------------------------------------------------------------------------

void SetExternal(onnx::ModelProto* m, const std::string& location, int64_t offset,
                 int64_t length) {
  auto* w = m->mutable_graph()->add_initializer();
  w->set_name("W");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(4);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = w->add_external_data();
  kv->set_key("location");
  kv->set_value(location);
  if (offset >= 0) {
    kv = w->add_external_data();
    kv->set_key("offset");
    kv->set_value(std::to_string(offset));
  }
  if (length >= 0) {
    kv = w->add_external_data();
    kv->set_key("length");
    kv->set_value(std::to_string(length));
  }
}

std::string FloatBytes(std::vector<float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

TEST(Loader, ExternalDataWithOffsetAndLengthIsMapped) {
  TempDir dir;
  dir.Write("weights.bin", FloatBytes({-1, -1, 5, 6, 7, 8}));
  auto m = AddModel();
  SetExternal(&m, "weights.bin", 8, 16);
  dir.Write("model.onnx", Serialize(m));
  auto s = Session::Load(dir.File("model.onnx"));
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(RunAdd(**s), (std::vector<float>{6, 8, 10, 12}));
  // Zero-copy: the initializer views the mapping (it is not a heap copy owned by a Tensor block).
  const auto& init = (*s)->impl().model().graph->initializers.at("W");
  EXPECT_TRUE(init.owns_storage());
}

TEST(Loader, ExternalDataInSubfolderAndFromBufferWithBaseDir) {
  TempDir dir;
  std::filesystem::create_directory(dir.File("data"));
  dir.Write("data/w.bin", FloatBytes({1, 2, 3, 4}));
  auto m = AddModel();
  SetExternal(&m, "data/w.bin", -1, -1);
  auto s = LoadProto(m, {}, dir.path());
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(RunAdd(**s), (std::vector<float>{2, 4, 6, 8}));
  // Without a base folder a buffer cannot reference external data.
  ExpectError(LoadProto(m), StatusCode::kInvalidModel, "without a base folder");
}

TEST(Loader, ExternalDataRefusals) {
  TempDir outside;
  outside.Write("secret.bin", FloatBytes({1, 2, 3, 4}));
  TempDir dir;
  dir.Write("ok.bin", FloatBytes({1, 2, 3, 4}));
  auto load = [&](const std::string& location, int64_t offset = -1, int64_t length = -1) {
    auto m = AddModel();
    SetExternal(&m, location, offset, length);
    dir.Write("model.onnx", Serialize(m));
    return Session::Load(dir.File("model.onnx"));
  };
  ExpectError(load(outside.File("secret.bin")), StatusCode::kInvalidModel, "absolute path");
  ExpectError(load("../" + std::filesystem::path(outside.path()).filename().string() +
                   "/secret.bin"),
              StatusCode::kInvalidModel, "'..'");
  ASSERT_EQ(symlink(outside.File("secret.bin").c_str(), dir.File("link.bin").c_str()), 0);
  ExpectError(load("link.bin"), StatusCode::kInvalidModel, "outside the model folder");
  ASSERT_EQ(link(outside.File("secret.bin").c_str(), dir.File("hard.bin").c_str()), 0);
  ExpectError(load("hard.bin"), StatusCode::kInvalidModel, "hard links");
  ExpectError(load("ok.bin", 12, 16), StatusCode::kInvalidModel, "past the end");
  ExpectError(load("ok.bin", 100), StatusCode::kInvalidModel, "past the end");
  ExpectError(load("ok.bin", 0, 8), StatusCode::kInvalidModel, "does not match dims");
  ExpectError(load("missing.bin"), StatusCode::kInvalidModel, "does not exist");
  // A symlink that stays inside the folder is fine.
  ASSERT_EQ(symlink("ok.bin", dir.File("inside.bin").c_str()), 0);
  EXPECT_TRUE(load("inside.bin").ok()) << ErrorOf(load("inside.bin"));
}

// --- Malformed tensors and files ------------------------------------------------------------

TEST(Loader, MalformedTensorsAreRefusedBeforeAllocating) {
  auto with_w = [](auto fill) {
    auto m = AddModel();
    auto* w = m.mutable_graph()->add_initializer();
    w->set_name("W");
    w->set_data_type(onnx::TensorProto::FLOAT);
    fill(w);
    return LoadProto(m);
  };
  ExpectError(with_w([](onnx::TensorProto* w) {
                w->add_dims(4);
                w->set_raw_data(std::string(12, '\0'));
              }),
              StatusCode::kInvalidModel, "raw_data has 12 bytes");
  ExpectError(with_w([](onnx::TensorProto* w) {
                w->add_dims(-4);
                w->set_raw_data(std::string(16, '\0'));
              }),
              StatusCode::kInvalidModel, "negative dim");
  ExpectError(with_w([](onnx::TensorProto* w) {
                w->add_dims(int64_t{1} << 40);
                w->add_dims(int64_t{1} << 40);
              }),
              StatusCode::kInvalidModel, "overflows");
  // 1e12 elements with no data: refused by the element limit, nothing is allocated.
  ExpectError(with_w([](onnx::TensorProto* w) { w->add_dims(1000000000000); }),
              StatusCode::kInvalidModel, "more than the limit");
  ExpectError(with_w([](onnx::TensorProto* w) {
                w->add_dims(4);
                w->add_float_data(1);
              }),
              StatusCode::kInvalidModel, "has 1 values");
}

TEST(Loader, MemoryLimitRefusesLargeWeights) {
  auto m = AddModel();
  AddInitializer(m.mutable_graph(), "W", *Tensor::Allocate(DataType::kFloat, {4}));
  auto* big = m.mutable_graph()->add_initializer();
  onnx_io::TensorToProto(*Tensor::Allocate(DataType::kFloat, {1 << 16}), "big", big);
  SessionOptions opts;
  opts.memory_limit_bytes = 1 << 16;  // the 256 KiB tensor does not fit
  ExpectError(LoadProto(m, opts), StatusCode::kOutOfMemory, "memory limit");
}

TEST(Loader, GarbageFilesGetOneLineErrors) {
  TempDir dir;
  dir.Write("empty.onnx", "");
  ExpectError(Session::Load(dir.File("empty.onnx")), StatusCode::kInvalidModel, "empty");
  std::mt19937 rng(7);
  std::string noise(4096, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  dir.Write("noise.onnx", noise);
  auto s = Session::Load(dir.File("noise.onnx"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("noise.onnx"), std::string::npos) << s.status().ToString();
  auto m = AddModel();
  AddInitializer(m.mutable_graph(), "W", *Tensor::Allocate(DataType::kFloat, {4}));
  std::string bytes = Serialize(m);
  dir.Write("truncated.onnx", bytes.substr(0, bytes.size() / 2));
  ExpectError(Session::Load(dir.File("truncated.onnx")), StatusCode::kInvalidModel,
              "truncated: the field claims");
  ExpectError(Session::Load(dir.File("nope.onnx")), StatusCode::kNotFound, "nope.onnx");
}

TEST(Loader, WrongFieldTypeInProtobuf) {
  // Field 1 of ModelProto (ir_version, varint) encoded as a length-delimited string.
  std::string bytes = "\x0a\x03" "abc";
  ExpectError(Session::LoadFromBuffer(bytes.data(), bytes.size()), StatusCode::kInvalidModel,
              "wire type length-delimited, but the field is int64 (varint) (at byte 0, in "
              "ModelProto field ir_version)");
}

TEST(Loader, HeaderChecks) {
  auto m = AddModel();
  AddInitializer(m.mutable_graph(), "W", *Tensor::Allocate(DataType::kFloat, {4}));
  m.set_ir_version(2);
  ExpectError(LoadProto(m), StatusCode::kInvalidModel, "IR version 2");
  m.set_ir_version(11);
  ExpectError(LoadProto(m), StatusCode::kInvalidModel, "IR version 11");
  m.set_ir_version(8);
  m.mutable_opset_import(0)->set_version(22);
  ExpectError(LoadProto(m), StatusCode::kNotImplemented, "opset 22");
  m.mutable_opset_import(0)->set_version(21);
  EXPECT_TRUE(LoadProto(m).ok()) << "Add did not change after opset 14";
}

// --- Graph handling -------------------------------------------------------------------------

TEST(Loader, UnsortedGraphIsSortedAndRuns) {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "X", DataType::kFloat, {2});
  AddNode(g, "Relu", {"T"}, {"Y"});       // consumer first
  AddNode(g, "Add", {"X", "X"}, {"T"});   // producer second
  AddOutput(g, "Y");
  auto s = LoadProto(m);
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  float x[2] = {-1, 3};
  auto out = (*s)->Run({{"X", *Tensor::Borrow(DataType::kFloat, {2}, x, sizeof(x))}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].value.tensor().ToVector<float>(), (std::vector<float>{0, 6}));
}

TEST(Loader, GraphStructureErrors) {
  {
    auto m = NewModel();
    auto* g = m.mutable_graph();
    AddInput(g, "X", DataType::kFloat, {2});
    AddNode(g, "Add", {"X", "B"}, {"A"}, "first");
    AddNode(g, "Relu", {"A"}, {"B"}, "second");
    AddOutput(g, "B");
    ExpectError(LoadProto(m), StatusCode::kInvalidModel, "cycle");
  }
  {
    auto m = NewModel();
    auto* g = m.mutable_graph();
    AddInput(g, "X", DataType::kFloat, {2});
    AddNode(g, "Add", {"X", "ghost"}, {"Y"}, "adder");
    AddOutput(g, "Y");
    ExpectError(LoadProto(m), StatusCode::kInvalidModel, "'ghost' which no node");
  }
  {
    auto m = NewModel();
    auto* g = m.mutable_graph();
    AddInput(g, "X", DataType::kFloat, {2});
    AddNode(g, "Relu", {"X"}, {"Y"}, "r1");
    AddNode(g, "Relu", {"X"}, {"Y"}, "r2");
    AddOutput(g, "Y");
    ExpectError(LoadProto(m), StatusCode::kInvalidModel, "produced by both");
  }
  {
    auto m = NewModel();
    auto* g = m.mutable_graph();
    AddInput(g, "X", DataType::kFloat, {2});
    AddInput(g, "X", DataType::kFloat, {2});
    AddNode(g, "Relu", {"X"}, {"Y"});
    AddOutput(g, "Y");
    ExpectError(LoadProto(m), StatusCode::kInvalidModel, "duplicate input");
  }
}

TEST(Loader, DomainsAndUnknownOps) {
  auto m = NewModel();
  auto* unused = m.add_opset_import();
  unused->set_domain("com.example.unused");
  unused->set_version(3);
  auto* g = m.mutable_graph();
  AddInput(g, "X", DataType::kFloat, {2});
  AddNode(g, "Relu", {"X"}, {"Y"});
  AddOutput(g, "Y");
  EXPECT_TRUE(LoadProto(m).ok()) << "an imported but unused domain is fine";

  auto* n = AddNode(g, "Frobnicate", {"Y"}, {"Z"}, "frob");
  n->set_domain("com.example.unused");
  AddOutput(g, "Z");
  ExpectError(LoadProto(m), StatusCode::kNotImplemented,
              "op Frobnicate of domain com.example.unused (opset 3)");
  n->set_domain("com.example.missing");
  ExpectError(LoadProto(m), StatusCode::kInvalidModel,
              "domain 'com.example.missing', which the model does not import");
}

TEST(Loader, SchemaViolationsNameNodeAndAttribute) {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "X", DataType::kFloat, {2});
  auto* n = AddNode(g, "Relu", {"X"}, {"Y"}, "act");
  AddOutput(g, "Y");
  auto* a = n->add_attribute();
  a->set_name("bogus");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(1);
  ExpectError(LoadProto(m), StatusCode::kInvalidModel, "node 'act' (Relu)");
  ExpectError(LoadProto(m), StatusCode::kInvalidModel, "bogus");
  n->clear_attribute();
  n->add_input("X");  // Relu takes one input
  ExpectError(LoadProto(m), StatusCode::kInvalidModel, "node 'act' (Relu)");
}

TEST(Loader, NestedSubgraphsBeyondTheLimitAreRefused) {
  // Build If nodes nested 80 deep (the loader allows 64).
  auto m = NewModel();
  onnx::GraphProto leaf;
  leaf.set_name("leaf");
  AddNode(&leaf, "Identity", {"X"}, {"leaf_out"});
  leaf.add_output()->set_name("leaf_out");
  onnx::GraphProto inner = leaf;
  for (int depth = 0; depth < 80; ++depth) {
    onnx::GraphProto outer;
    outer.set_name("level" + std::to_string(depth));
    auto* n = AddNode(&outer, "If", {"C"}, {"out" + std::to_string(depth)});
    // Only the then-branch nests deeper, so the model stays small.
    for (const char* branch : {"then_branch", "else_branch"}) {
      auto* a = n->add_attribute();
      a->set_name(branch);
      a->set_type(onnx::AttributeProto::GRAPH);
      *a->mutable_g() = std::string(branch) == "then_branch" ? inner : leaf;
    }
    outer.add_output()->set_name("out" + std::to_string(depth));
    inner = outer;
  }
  *m.mutable_graph() = inner;
  AddInput(m.mutable_graph(), "X", DataType::kFloat, {1});
  AddInput(m.mutable_graph(), "C", DataType::kBool, {});
  std::string bytes = Serialize(m);
  auto s = Session::LoadFromBuffer(bytes.data(), bytes.size());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidModel) << s.status().ToString();
}

// --- Types, shapes and opsets ---------------------------------------------------------------

TEST(Loader, ShapeInferenceKeepsSymbolicDims) {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "X", DataType::kFloat, {-1, 3}, {"batch", ""});
  AddNode(g, "Relu", {"X"}, {"T"});
  AddNode(g, "Add", {"T", "T"}, {"Y"});
  AddOutput(g, "Y");  // no type declared: inference fills it in
  auto s = LoadProto(m);
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  const auto& in = (*s)->inputs()[0];
  ASSERT_EQ(in.dims.size(), 2u);
  EXPECT_EQ(in.dims[0].symbol, "batch");
  EXPECT_EQ(in.dims[1].value, 3);
  const auto& graph = *(*s)->impl().model().graph;
  ASSERT_TRUE(graph.value_info.count("T"));
  EXPECT_EQ(graph.value_info.at("T").ToString(), "float32[batch,3]");
  const auto& out = (*s)->outputs()[0];
  EXPECT_EQ(out.dtype, DataType::kFloat);
  ASSERT_EQ(out.dims.size(), 2u);
  EXPECT_EQ(out.dims[0].symbol, "batch");
  // Dims resolve at run time: two different batch sizes on one session.
  for (int64_t batch : {1, 5}) {
    auto x = Tensor::Allocate(DataType::kFloat, {batch, 3});
    auto r = (*s)->Run({{"X", *x}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].value.tensor().shape(), (Shape{batch, 3}));
  }
}

TEST(Loader, SinceVersionResolution) {
  EXPECT_EQ(onnx_io::ResolveSinceVersion("", "Relu", 21), 14);
  EXPECT_EQ(onnx_io::ResolveSinceVersion("", "Add", 12), 7);
  EXPECT_EQ(onnx_io::ResolveSinceVersion("", "ReduceMax", 21), 20);
  EXPECT_EQ(onnx_io::ResolveSinceVersion("", "ReduceMax", 19), 18);
  EXPECT_EQ(onnx_io::ResolveSinceVersion("", "Softmax", 15), 13);
  EXPECT_EQ(onnx_io::ResolveSinceVersion("", "Pad", 21), 21);
  EXPECT_EQ(onnx_io::ResolveSinceVersion("", "NoSuchOp", 17), -1);
}

TEST(Loader, FunctionOpsWithoutKernelsAreExpanded) {
  // GreaterOrEqual-12 is an ONNX function (Greater, Equal, Or). Expand it even if a kernel
  // exists later by asking the loader directly with a registry that knows nothing.
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "A", DataType::kFloat, {3});
  AddInput(g, "B", DataType::kFloat, {3});
  AddNode(g, "GreaterOrEqual", {"A", "B"}, {"Y"});
  AddOutput(g, "Y");
  std::string bytes = Serialize(m);
  onnx_io::LoadOptions lo;
  lo.has_kernel = [](const std::string&, const std::string& op, int) {
    return op != "GreaterOrEqual";
  };
  auto model = onnx_io::LoadModelFromBuffer(bytes.data(), bytes.size(), lo);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  std::vector<std::string> ops;
  for (const auto& n : model->graph->nodes) ops.push_back(n->op_type);
  EXPECT_EQ(ops, (std::vector<std::string>{"Greater", "Equal", "Or"}));
  // The expanded nodes read the caller's inputs and write the caller's output.
  EXPECT_EQ(model->graph->nodes.back()->outputs[0], "Y");
}

}  // namespace
}  // namespace onnxedge

namespace onnxedge {
namespace {

using namespace onnxedge::testing;  // NOLINT

TEST(Loader, OpWhoseDefinitionChangedNamesOpAndOpset) {
  // Upsample's kernel implements opsets 7-9; at opset 10 the op was deprecated (redefined), so
  // the error must name the op and the opset instead of running the old semantics.
  auto m = NewModel(10);
  auto* g = m.mutable_graph();
  AddInput(g, "X", DataType::kFloat, {1, 1, 2, 2});
  AddInitializer(g, "scales", Tensor::FromVector<float>({4}, {1, 1, 2, 2}));
  AddNode(g, "Upsample", {"X", "scales"}, {"Y"}, "up");
  AddOutput(g, "Y");
  auto s = LoadProto(m);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("Upsample"), std::string::npos) << s.status().ToString();
  EXPECT_NE(s.status().message().find("opset 10"), std::string::npos) << s.status().ToString();
  // The same model at opset 9 runs.
  m.mutable_opset_import(0)->set_version(9);
  auto ok = LoadProto(m);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto r = (*ok)->Run({{"X", Tensor::FromVector<float>({1, 1, 2, 2}, {1, 2, 3, 4})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().shape(), (Shape{1, 1, 4, 4}));
}

TEST(Loader, ShapeInferencePropagatesThroughConvAndReshape) {
  // X[N,3,32,32] -> Conv(8 filters 3x3, stride 2, pad 1) -> Reshape to [N, -1] via a Shape
  // subgraph: inference must give [N,8,16,16] and [N,2048].
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "X", DataType::kFloat, {-1, 3, 32, 32}, {"N", "", "", ""});
  AddInitializer(g, "W", *Tensor::Allocate(DataType::kFloat, {8, 3, 3, 3}));
  auto* conv = AddNode(g, "Conv", {"X", "W"}, {"C"});
  for (auto [name, v] : {std::pair<const char*, int64_t>{"strides", 2}, {"pads", 1}}) {
    auto* a = conv->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int i = 0; i < (std::string(name) == "pads" ? 4 : 2); ++i) a->add_ints(v);
  }
  AddInitializer(g, "shape", Tensor::FromVector<int64_t>({2}, {0, -1}));
  AddNode(g, "Reshape", {"C", "shape"}, {"Y"});
  AddOutput(g, "Y");
  auto s = LoadProto(m);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const auto& graph = *(*s)->impl().model().graph;
  ASSERT_TRUE(graph.value_info.count("C"));
  EXPECT_EQ(graph.value_info.at("C").ToString(), "float32[N,8,16,16]");
  EXPECT_EQ((*s)->outputs()[0].dims.size(), 2u);
  auto r = (*s)->Run({{"X", *Tensor::Allocate(DataType::kFloat, {2, 3, 32, 32})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().shape(), (Shape{2, 2048}));
}

}  // namespace
}  // namespace onnxedge

namespace onnxedge {
namespace {

using namespace onnxedge::testing;  // NOLINT

TEST(Loader, NestedContextDependentFunctionsExpandWithInferredTypes) {
  // SoftmaxCrossEntropyLoss's body contains NegativeLogLikelihoodLoss, whose body builder needs
  // the type of an intermediate value. Expand both (pretending neither has a kernel) and check
  // the result against the direct kernels.
  auto m = NewModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "scores", DataType::kFloat, {3, 5});
  AddInput(g, "labels", DataType::kInt64, {3});
  auto* n = AddNode(g, "SoftmaxCrossEntropyLoss", {"scores", "labels"}, {"loss"});
  auto* a = n->add_attribute();
  a->set_name("reduction");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s("mean");
  AddOutput(g, "loss");
  const std::string bytes = Serialize(m);
  onnx_io::LoadOptions lo;
  lo.has_kernel = [](const std::string& domain, const std::string& op, int opset) {
    if (op == "SoftmaxCrossEntropyLoss" || op == "NegativeLogLikelihoodLoss") return false;
    return OpRegistry::Get().Find(domain, op, opset) != nullptr;
  };
  auto model = onnx_io::LoadModelFromBuffer(bytes.data(), bytes.size(), lo);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  for (const auto& node : model->graph->nodes) {
    EXPECT_NE(node->op_type, "SoftmaxCrossEntropyLoss");
    EXPECT_NE(node->op_type, "NegativeLogLikelihoodLoss");
  }
  auto expanded = SessionImpl::Create(std::move(model).value(), SessionOptions{});
  ASSERT_TRUE(expanded.ok()) << expanded.status().ToString();
  auto direct = LoadProto(m);
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  std::vector<float> scores(15);
  for (int i = 0; i < 15; ++i) scores[i] = 0.1f * static_cast<float>((i * 7) % 11) - 0.4f;
  std::vector<NamedValue> feeds = {{"scores", Tensor::FromVector<float>({3, 5}, scores)},
                                   {"labels", Tensor::FromVector<int64_t>({3}, {0, 4, 2})}};
  auto r1 = (*expanded)->Run(feeds, {}, {});
  auto r2 = (*direct)->Run(feeds);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  // Independent value: mean over rows of -log_softmax(scores)[label].
  double expect = 0;
  const int labels[3] = {0, 4, 2};
  for (int r = 0; r < 3; ++r) {
    double mx = -1e30, sum = 0;
    for (int c = 0; c < 5; ++c) mx = std::max(mx, double(scores[r * 5 + c]));
    for (int c = 0; c < 5; ++c) sum += std::exp(scores[r * 5 + c] - mx);
    expect += -(scores[r * 5 + labels[r]] - mx - std::log(sum)) / 3;
  }
  EXPECT_NEAR((*r1)[0].value.tensor().data<float>()[0], expect, 1e-5);
  EXPECT_NEAR((*r2)[0].value.tensor().data<float>()[0], expect, 1e-5);
}

}  // namespace
}  // namespace onnxedge
