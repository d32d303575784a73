// Copyright onnxedge authors.
// The saver's external data (src/ir/onnx/saver.h): the data file's layout checked byte by byte
// against the weights the test generated, round trips through the loader and a Session, models
// loaded from external data saved again, automatic external data above the inline limit, and
// refusals (bad locations, unwritable paths, the input's own data file) that leave no file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "core/file_util.h"
#include "ir/onnx/loader.h"
#include "ir/onnx/saver.h"
#include "runtime/kernel.h"
#include "unit/model_builder.h"

namespace onnxedge {
namespace {

using namespace onnxedge::testing;  // NOLINT
namespace fs = std::filesystem;

Tensor RandomFloats(const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(ShapeElementCount(shape)));
  for (float& x : v) x = u(rng);
  return Tensor::FromVector<float>(shape, v);
}

// y = MatMul(Relu(MatMul(x, w1) + b1), w2) + b2, plus an int64 shape constant and an If whose
// branches read a large initializer of their own (subgraph initializers go external too).
// Sizes: w1 64x96 floats (24576 B), w2 96x33 (12672 B), b1 96 (384 B), b2 33 (132 B),
// then_w 40x33 (5280 B).
struct TestModel {
  onnx::ModelProto proto;
  std::map<std::string, Tensor> weights;  // every initializer, by name, as generated
};

TestModel MakeModel() {
  TestModel t;
  t.weights = {{"w1", RandomFloats({64, 96}, 1)}, {"b1", RandomFloats({96}, 2)},
               {"w2", RandomFloats({96, 33}, 3)}, {"b2", RandomFloats({33}, 4)},
               {"shape", Tensor::FromVector<int64_t>({2}, {2, 33})},
               {"flag", Tensor::FromVector<bool>({}, {true})}};
  auto& m = t.proto = NewModel(17);
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 64});
  for (const auto& [name, w] : t.weights) AddInitializer(g, name, w);
  AddNode(g, "MatMul", {"x", "w1"}, {"h0"});
  AddNode(g, "Add", {"h0", "b1"}, {"h1"});
  AddNode(g, "Relu", {"h1"}, {"h2"});
  AddNode(g, "MatMul", {"h2", "w2"}, {"h3"});
  AddNode(g, "Add", {"h3", "b2"}, {"h4"});
  AddNode(g, "Reshape", {"h4", "shape"}, {"h5"});
  // If(flag): then = h5 + x[:, :40] @ then_w (an initializer of the branch), else = h5.
  Tensor then_w = RandomFloats({40, 33}, 5);
  t.weights["then_w"] = then_w;
  auto* n = AddNode(g, "If", {"flag"}, {"y"});
  auto* a_then = n->add_attribute();
  a_then->set_name("then_branch");
  a_then->set_type(onnx::AttributeProto::GRAPH);
  auto* tb = a_then->mutable_g();
  tb->set_name("then");
  AddInitializer(tb, "then_w", then_w);
  AddInitializer(tb, "starts", Tensor::FromVector<int64_t>({1}, {0}));
  AddInitializer(tb, "ends", Tensor::FromVector<int64_t>({1}, {40}));
  AddInitializer(tb, "axes", Tensor::FromVector<int64_t>({1}, {1}));
  AddNode(tb, "Slice", {"x", "starts", "ends", "axes"}, {"xs"});
  AddNode(tb, "MatMul", {"xs", "then_w"}, {"p"});
  AddNode(tb, "Add", {"h5", "p"}, {"then_y"});
  AddOutput(tb, "then_y");
  auto* a_else = n->add_attribute();
  a_else->set_name("else_branch");
  a_else->set_type(onnx::AttributeProto::GRAPH);
  auto* eb = a_else->mutable_g();
  eb->set_name("else");
  AddNode(eb, "Identity", {"h5"}, {"else_y"});
  AddOutput(eb, "else_y");
  AddOutput(g, "y");
  return t;
}

onnx_io::LoadOptions LoadOpts() {
  onnx_io::LoadOptions lo;
  lo.has_kernel = [](const std::string& domain, const std::string& op, int opset) {
    return OpRegistry::Get().Find(domain, op, opset) != nullptr;
  };
  return lo;
}

ir::Model LoadIr(const onnx::ModelProto& m) {
  const std::string bytes = m.SerializeAsString();
  auto model = onnx_io::LoadModelFromBuffer(bytes.data(), bytes.size(), LoadOpts());
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return std::move(model).value();
}

// Output y of a session on a fixed input.
std::vector<float> Run(Session& s) {
  Tensor x = RandomFloats({2, 64}, 99);
  auto out = s.Run({{"x", x}});
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  if (!out.ok()) return {};
  const Tensor& y = (*out)[0].value.tensor();
  return std::vector<float>(y.data<float>(), y.data<float>() + y.size());
}

std::vector<float> RunFile(const std::string& path) {
  auto s = Session::Load(path);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? Run(**s) : std::vector<float>();
}

std::vector<float> RunProto(const onnx::ModelProto& m) {
  auto s = LoadProto(m);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? Run(**s) : std::vector<float>();
}

std::set<std::string> Files(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

onnx::ModelProto ParseFile(const std::string& path) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(ReadAll(path))) << path;
  return m;
}

struct ExternalEntry {
  std::string location;
  uint64_t offset = 0;
  uint64_t length = 0;
};

// The initializers of `g` and of its subgraphs, by name.
void CollectInitializers(const onnx::GraphProto& g,
                         std::map<std::string, const onnx::TensorProto*>* out) {
  for (const auto& t : g.initializer()) (*out)[t.name()] = &t;
  for (const auto& n : g.node()) {
    for (const auto& a : n.attribute()) {
      if (a.has_g()) CollectInitializers(a.g(), out);
    }
  }
}

ExternalEntry Entry(const onnx::TensorProto& t) {
  ExternalEntry e;
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location") e.location = kv.value();
    if (kv.key() == "offset") e.offset = std::stoull(kv.value());
    if (kv.key() == "length") e.length = std::stoull(kv.value());
  }
  return e;
}

// Checks the layout of `model_path` + its data file against the generated weights: which
// tensors are external (>= threshold bytes), each range holds exactly the tensor's bytes, the
// documented alignment (4096 for >= 4096 bytes, else 64), no overlap, zeros in between.
void CheckLayout(const std::string& model_path, const std::string& location,
                 const std::map<std::string, Tensor>& weights, uint64_t threshold) {
  const onnx::ModelProto m = ParseFile(model_path);
  std::map<std::string, const onnx::TensorProto*> inits;
  CollectInitializers(m.graph(), &inits);
  const std::string data =
      ReadAll((fs::path(model_path).parent_path() / location).string());
  std::string covered(data.size(), 0);
  for (const auto& [name, w] : weights) {
    ASSERT_TRUE(inits.count(name)) << name;
    const onnx::TensorProto& t = *inits[name];
    const std::string bytes(static_cast<const char*>(w.raw_data()), w.bytes());
    if (w.bytes() < threshold) {
      EXPECT_NE(t.data_location(), onnx::TensorProto::EXTERNAL) << name;
      EXPECT_EQ(t.raw_data(), bytes) << name;
      continue;
    }
    ASSERT_EQ(t.data_location(), onnx::TensorProto::EXTERNAL) << name;
    EXPECT_FALSE(t.has_raw_data()) << name;
    const ExternalEntry e = Entry(t);
    EXPECT_EQ(e.location, location) << name;
    EXPECT_EQ(e.length, w.bytes()) << name;
    EXPECT_EQ(e.offset % (w.bytes() >= 4096 ? 4096 : 64), 0u) << name << " at " << e.offset;
    ASSERT_LE(e.offset + e.length, data.size()) << name;
    EXPECT_EQ(data.compare(e.offset, e.length, bytes), 0) << name;
    for (uint64_t i = e.offset; i < e.offset + e.length; ++i) {
      ASSERT_EQ(covered[i], 0) << name << " overlaps another tensor at byte " << i;
      covered[i] = 1;
    }
  }
  for (size_t i = 0; i < data.size(); ++i) {
    if (!covered[i]) {
      ASSERT_EQ(data[i], 0) << "padding byte " << i << " is not zero";
    }
  }
  // The file ends with the last tensor.
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(covered.back(), 1);
}

TEST(ExternalData, RoundTripLayoutAndOutputs) {
  const TestModel t = MakeModel();
  const std::vector<float> want = RunProto(t.proto);
  ASSERT_EQ(want.size(), 66u);
  TempDir dir;
  const std::string out = dir.File("out.onnx");
  onnx_io::SaveOptions so;
  so.external_data = true;
  so.external_data_threshold = 256;  // w1, w2, then_w (>= 4096 B), b1 (384 B); b2 stays inline
  onnx_io::SaveReport rep;
  Status st = onnx_io::SaveModel(LoadIr(t.proto), out, so, &rep);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Files(dir.path()), (std::set<std::string>{"out.onnx", "out.onnx.data"}));
  EXPECT_TRUE(rep.external_data);
  EXPECT_FALSE(rep.automatic);
  EXPECT_EQ(rep.external_tensors, 4);
  EXPECT_EQ(rep.data_bytes, fs::file_size(dir.File("out.onnx.data")));
  EXPECT_EQ(rep.model_bytes, fs::file_size(out));
  CheckLayout(out, "out.onnx.data", t.weights, 256);
  EXPECT_EQ(RunFile(out), want);

  // Default threshold (1024 B): b1 stays inline; a named file in a subfolder.
  fs::create_directory(dir.File("w"));
  so = onnx_io::SaveOptions();
  so.external_data = true;
  so.external_data_file = "w/weights.bin";
  ASSERT_TRUE(onnx_io::SaveModel(LoadIr(t.proto), dir.File("named.onnx"), so).ok());
  CheckLayout(dir.File("named.onnx"), "w/weights.bin", t.weights, 1024);
  EXPECT_EQ(RunFile(dir.File("named.onnx")), want);
  EXPECT_EQ(Files(dir.File("w")), (std::set<std::string>{"weights.bin"}));
}

TEST(ExternalData, ModelLoadedFromExternalDataSavedAgain) {
  const TestModel t = MakeModel();
  const std::vector<float> want = RunProto(t.proto);
  TempDir a, b;
  onnx_io::SaveOptions ext;
  ext.external_data = true;
  ext.external_data_threshold = 256;
  ASSERT_TRUE(onnx_io::SaveModel(LoadIr(t.proto), a.File("m.onnx"), ext).ok());
  const std::string a_data = ReadAll(a.File("m.onnx.data"));

  auto loaded = onnx_io::LoadModel(a.File("m.onnx"), LoadOpts());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->external_data_files.size(), 1u);
  EXPECT_TRUE(fs::equivalent(loaded->external_data_files[0], a.File("m.onnx.data")));

  // Inline (the mmapped weights are written into the model), and external again elsewhere.
  ASSERT_TRUE(onnx_io::SaveModel(*loaded, b.File("inline.onnx")).ok());
  EXPECT_EQ(Files(b.path()), (std::set<std::string>{"inline.onnx"}));
  EXPECT_EQ(RunFile(b.File("inline.onnx")), want);
  ASSERT_TRUE(onnx_io::SaveModel(*loaded, b.File("ext.onnx"), ext).ok());
  CheckLayout(b.File("ext.onnx"), "ext.onnx.data", t.weights, 256);
  EXPECT_EQ(RunFile(b.File("ext.onnx")), want);
  // Beside the input, under another name.
  ASSERT_TRUE(onnx_io::SaveModel(*loaded, a.File("m2.onnx"), ext).ok());
  EXPECT_EQ(RunFile(a.File("m2.onnx")), want);

  // Over the input's own data file: refused (as data file or as model), nothing changes.
  const std::set<std::string> before = Files(a.path());
  onnx_io::SaveOptions clash = ext;
  clash.external_data_file = "m.onnx.data";
  Status st = onnx_io::SaveModel(*loaded, a.File("other.onnx"), clash);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("m.onnx.data"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("loaded from"), std::string::npos) << st.message();
  st = onnx_io::SaveModel(*loaded, a.File("m.onnx.data"));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("loaded from"), std::string::npos) << st.message();
  EXPECT_EQ(Files(a.path()), before);
  EXPECT_EQ(ReadAll(a.File("m.onnx.data")), a_data);
  EXPECT_EQ(RunFile(a.File("m.onnx")), want);
}

TEST(ExternalData, AutomaticAboveTheInlineLimit) {
  const TestModel t = MakeModel();
  TempDir dir;
  const ir::Model model = LoadIr(t.proto);
  // The inline size is what the inline file really takes.
  onnx_io::SaveReport rep;
  ASSERT_TRUE(onnx_io::SaveModel(model, dir.File("inline.onnx"), {}, &rep).ok());
  EXPECT_FALSE(rep.external_data);
  EXPECT_EQ(rep.model_bytes, fs::file_size(dir.File("inline.onnx")));
  EXPECT_GE(rep.inline_bytes, rep.model_bytes);
  EXPECT_LE(rep.inline_bytes, rep.model_bytes + 10 * t.weights.size());
  fs::remove(dir.File("inline.onnx"));

  onnx_io::SaveOptions so;
  so.inline_limit_bytes = rep.model_bytes - 1;
  ASSERT_TRUE(onnx_io::SaveModel(model, dir.File("auto.onnx"), so, &rep).ok());
  EXPECT_TRUE(rep.external_data);
  EXPECT_TRUE(rep.automatic);
  CheckLayout(dir.File("auto.onnx"), "auto.onnx.data", t.weights, 1024);
  EXPECT_EQ(RunFile(dir.File("auto.onnx")), RunProto(t.proto));

  so.automatic_external_data = false;
  Status st = onnx_io::SaveModel(model, dir.File("refused.onnx"), so);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("external data"), std::string::npos) << st.message();
  EXPECT_EQ(Files(dir.path()), (std::set<std::string>{"auto.onnx", "auto.onnx.data"}));
}

TEST(ExternalData, BadLocationsAndUnwritablePathsLeaveNoFiles) {
  const TestModel t = MakeModel();
  const ir::Model model = LoadIr(t.proto);
  TempDir dir;
  fs::create_directory(dir.File("sub"));
  const std::string out = dir.File("out.onnx");
  struct Case {
    std::string location;
    std::string model;  // relative to dir
    std::string expect;
  };
  const Case cases[] = {
      {"/tmp/abs.data", "out.onnx", "absolute"},
      {"../up.data", "out.onnx", "'..'"},
      {"sub/../x.data", "out.onnx", "'..'"},
      {"sub/", "out.onnx", "not a file name"},
      {"out.onnx", "out.onnx", "model file itself"},
      {"sub", "out.onnx", "folder"},
      {"missing/w.data", "out.onnx", "missing"},
      {"", "missing/out.onnx", "missing"},
      {"", "sub", "folder"},
  };
  for (const auto& c : cases) {
    onnx_io::SaveOptions so;
    so.external_data = true;
    so.external_data_file = c.location;
    Status st = onnx_io::SaveModel(model, dir.File(c.model), so);
    ASSERT_FALSE(st.ok()) << c.location;
    EXPECT_NE(st.message().find(c.expect), std::string::npos) << st.message();
    EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
    EXPECT_EQ(Files(dir.path()), (std::set<std::string>{"sub"})) << c.location;
    EXPECT_TRUE(fs::is_empty(dir.File("sub"))) << c.location;
  }
  // A read-only folder (not for root, who writes anyway).
  if (::geteuid() != 0) {
    fs::create_directory(dir.File("ro"));
    fs::permissions(dir.File("ro"), fs::perms::owner_read | fs::perms::owner_exec);
    onnx_io::SaveOptions so;
    so.external_data = true;
    Status st = onnx_io::SaveModel(model, dir.File("ro/out.onnx"), so);
    EXPECT_FALSE(st.ok());
    fs::permissions(dir.File("ro"), fs::perms::owner_all);
    EXPECT_TRUE(fs::is_empty(dir.File("ro")));
  }
}

TEST(AtomicFile, UncommittedFilesVanishAndCommitRenames) {
  TempDir dir;
  {
    auto f = AtomicFile::Create(dir.File("a.bin"));
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f->Write("abc", 3).ok());
    ASSERT_TRUE(f->WriteZeros(5000).ok());
    EXPECT_EQ(f->size(), 5003u);
    EXPECT_EQ(Files(dir.path()).size(), 1u);  // the temporary file
  }
  EXPECT_TRUE(Files(dir.path()).empty());
  auto f = AtomicFile::Create(dir.File("a.bin"));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->Write("abc", 3).ok());
  ASSERT_TRUE(f->WriteZeros(2).ok());
  ASSERT_TRUE(f->Finish().ok());
  EXPECT_EQ(Files(dir.path()).size(), 1u);
  EXPECT_FALSE(fs::exists(dir.File("a.bin")));
  ASSERT_TRUE(f->Commit().ok());
  EXPECT_EQ(ReadAll(dir.File("a.bin")), std::string("abc\0\0", 5));
  EXPECT_EQ(Files(dir.path()), (std::set<std::string>{"a.bin"}));
}

// --- `onnxedge optimize --external-data` -------------------------------------------------------

TEST(OptimizeCliExternalData, WritesDataFilesAndRefusesBadArguments) {
  const TestModel t = MakeModel();
  const std::vector<float> want = RunProto(t.proto);
  TempDir dir;
  dir.Write("in.onnx", t.proto.SerializeAsString());
  const std::string in = dir.File("in.onnx");

  auto r = RunOptimizeCli(in + " " + dir.File("a.onnx") + " --level basic --external-data");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("external data: 3 initializers"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir.File("a.onnx.data")));
  EXPECT_EQ(RunFile(dir.File("a.onnx")), want);

  r = RunOptimizeCli(in + " " + dir.File("b.onnx") +
             " --external-data=b.weights --external-data-threshold 0 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"tensors\":"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("b.weights"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir.File("b.weights")));
  EXPECT_EQ(RunFile(dir.File("b.onnx")), want);

  const std::set<std::string> before = Files(dir.path());
  const std::pair<std::string, std::string> bad[] = {
      {"--external-data-threshold 100", "needs --external-data"},
      {"--external-data --external-data-threshold -1", "--external-data-threshold"},
      {"--external-data --external-data-threshold lots", "--external-data-threshold"},
      {"--external-data=../x.data", "'..'"},
      {"--external-data=/tmp/x.data", "absolute"},
      {"--external-data=in.onnx", "must differ from IN"},
      {"--external-data=c.onnx", "model file itself"},
      {"--external-data=nowhere/x.data", "nowhere"},
      {"--external-data x.data", "--external-data=FILE"},
  };
  for (const auto& [flags, expect] : bad) {
    auto e = RunOptimizeCli(in + " " + dir.File("c.onnx") + " " + flags);
    EXPECT_EQ(e.code, 2) << flags << ": " << e.out;
    EXPECT_NE(e.out.find(expect), std::string::npos) << flags << ": " << e.out;
    EXPECT_EQ(std::count(e.out.begin(), e.out.end(), '\n'), 1) << flags << ": " << e.out;
    EXPECT_EQ(Files(dir.path()), before) << flags;
  }
}

}  // namespace
}  // namespace onnxedge
