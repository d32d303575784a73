// Copyright onnxedge authors.
// Tests of the onnxedge CLI: the .npy reader/writer in-process, and every verb by running the
// built binary (build/onnxedge, found next to build/tests/) in a child process and checking
// exit codes, stdout and stderr. Models are built here with the ONNX protobuf API; the .npy
// fixtures in tests/data/cli/ were written by NumPy (make_fixtures.py there).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/compare.h"
#include "ir/onnx/tensor_proto.h"
#include "onnx/onnx_pb.h"
#include "onnxedge/session.h"
#include "onnxedge/tensor.h"

// tests/CMakeLists.txt links the unit tests against the library only, and tools/ is not part of
// it; compile the .npy codec into this test directly (the CLI binary compiles its own copy).
#include "npy.h"

namespace onnxedge {
namespace {

namespace fs = std::filesystem;

const std::string kDataDir = std::string(ONNXEDGE_TEST_DATA_DIR) + "/cli";
const std::string kNodeTests = "/usr/share/libonnx-testdata/data/node";

// --- Running the CLI ---------------------------------------------------------------------------

std::string CliPath() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "onnxedge";
  buf[n] = '\0';
  // build/tests/onnxedge_unit_tests -> build/onnxedge
  return (fs::path(buf).parent_path().parent_path() / "onnxedge").string();
}

struct CliResult {
  int code = -1;  // Exit status, or 128 + signal when the process was killed.
  std::string out;
  std::string err;
  // stderr as lines (without the trailing newline).
  std::vector<std::string> ErrLines() const {
    std::vector<std::string> lines;
    std::istringstream is(err);
    for (std::string l; std::getline(is, l);) lines.push_back(l);
    return lines;
  }
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

CliResult RunCli(const std::vector<std::string>& args) {
  CliResult r;
  const std::string exe = CliPath();
  if (access(exe.c_str(), X_OK) != 0) {
    ADD_FAILURE() << exe << " not found: build the onnxedge_cli target (plain `ninja -C build`)";
    return r;
  }
  char out_path[] = "/tmp/onnxedge_cli_outXXXXXX";
  char err_path[] = "/tmp/onnxedge_cli_errXXXXXX";
  const int out_fd = mkstemp(out_path);
  const int err_fd = mkstemp(err_path);
  if (out_fd < 0 || err_fd < 0) {
    ADD_FAILURE() << "mkstemp failed";
    return r;
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(out_fd);
  close(err_fd);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  unlink(out_path);
  unlink(err_path);
  return r;
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// An error must be exactly one line on stderr naming `what`, with exit code 2.
void ExpectOneLineError(const CliResult& r, const std::string& what) {
  EXPECT_EQ(r.code, 2) << r.err;
  const auto lines = r.ErrLines();
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_TRUE(Contains(lines[0], what)) << "'" << what << "' not in: " << lines[0];
  EXPECT_TRUE(Contains(lines[0], "error")) << lines[0];
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/onnxedge_cli_testXXXXXX";
    path_ = mkdtemp(tmpl) ? tmpl : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    if (path_ != "/tmp") fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (fs::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// --- Building models ---------------------------------------------------------------------------

void AddTensorValueInfo(onnx::ValueInfoProto* vi, const std::string& name, int elem_type,
                        const std::vector<std::string>& dims) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (!d.empty() && std::isdigit(static_cast<unsigned char>(d[0]))) {
      dim->set_dim_value(std::stoll(d));
    } else if (!d.empty()) {
      dim->set_dim_param(d);
    }
  }
}

onnx::NodeProto* AddNode(onnx::GraphProto* g, const std::string& op,
                         const std::vector<std::string>& ins, const std::vector<std::string>& outs,
                         const std::string& name = "") {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name.empty() ? op + "_" + std::to_string(g->node_size()) : name);
  for (const auto& i : ins) n->add_input(i);
  for (const auto& o : outs) n->add_output(o);
  return n;
}

onnx::ModelProto NewModel(int opset = 17) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("cli_test");
  m.set_producer_version("1.0");
  auto* os = m.add_opset_import();
  os->set_domain("");
  os->set_version(opset);
  m.mutable_graph()->set_name("g");
  return m;
}

std::string SaveModel(const onnx::ModelProto& m, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  out << m.SerializeAsString();
  return path;
}

// A[batch,3] + B[batch,3] -> "sum/0:x" (a name that needs sanitizing), Relu -> "relu".
std::string AddReluModel(const TempDir& dir) {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddTensorValueInfo(g->add_input(), "A", onnx::TensorProto::FLOAT, {"batch", "3"});
  AddTensorValueInfo(g->add_input(), "B", onnx::TensorProto::FLOAT, {"batch", "3"});
  AddNode(g, "Add", {"A", "B"}, {"sum/0:x"}, "add");
  AddNode(g, "Relu", {"sum/0:x"}, {"relu"}, "relu");
  AddTensorValueInfo(g->add_output(), "sum/0:x", onnx::TensorProto::FLOAT, {"batch", "3"});
  AddTensorValueInfo(g->add_output(), "relu", onnx::TensorProto::FLOAT, {"batch", "3"});
  return SaveModel(m, dir / "add_relu.onnx");
}

// If(cond) then Relu(Add(x, x)) else Identity(x); plus a MatMul with a [2,2] weight outside.
std::string IfModel(const TempDir& dir) {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddTensorValueInfo(g->add_input(), "cond", onnx::TensorProto::BOOL, {});
  AddTensorValueInfo(g->add_input(), "x", onnx::TensorProto::FLOAT, {"2"});
  auto* node = AddNode(g, "If", {"cond"}, {"y"}, "if");
  auto* then_attr = node->add_attribute();
  then_attr->set_name("then_branch");
  then_attr->set_type(onnx::AttributeProto::GRAPH);
  auto* tg = then_attr->mutable_g();
  tg->set_name("then");
  AddNode(tg, "Add", {"x", "x"}, {"t1"}, "then_add");
  AddNode(tg, "Relu", {"t1"}, {"then_out"}, "then_relu");
  AddTensorValueInfo(tg->add_output(), "then_out", onnx::TensorProto::FLOAT, {"2"});
  auto* else_attr = node->add_attribute();
  else_attr->set_name("else_branch");
  else_attr->set_type(onnx::AttributeProto::GRAPH);
  auto* eg = else_attr->mutable_g();
  eg->set_name("else");
  AddNode(eg, "Identity", {"x"}, {"else_out"}, "else_identity");
  AddTensorValueInfo(eg->add_output(), "else_out", onnx::TensorProto::FLOAT, {"2"});
  auto* w = g->add_initializer();
  w->set_name("W");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(2);
  w->add_dims(2);
  for (float v : {1.f, 2.f, 3.f, 4.f}) w->add_float_data(v);
  AddNode(g, "MatMul", {"y", "W"}, {"z"}, "matmul");
  AddTensorValueInfo(g->add_output(), "z", onnx::TensorProto::FLOAT, {"2"});
  return SaveModel(m, dir / "if.onnx");
}

// Relu followed by an op of a custom domain that no kernel implements.
std::string UnsupportedModel(const TempDir& dir) {
  auto m = NewModel();
  auto* os = m.add_opset_import();
  os->set_domain("test.nosuch");
  os->set_version(1);
  auto* g = m.mutable_graph();
  AddTensorValueInfo(g->add_input(), "x", onnx::TensorProto::FLOAT, {"2"});
  AddNode(g, "Relu", {"x"}, {"r"}, "relu");
  AddNode(g, "NoSuchOp", {"r"}, {"y"}, "mystery")->set_domain("test.nosuch");
  AddTensorValueInfo(g->add_output(), "y", onnx::TensorProto::FLOAT, {"2"});
  return SaveModel(m, dir / "unsupported.onnx");
}

std::vector<float> Floats(const Tensor& t) {
  EXPECT_EQ(t.dtype(), DataType::kFloat);
  return t.ToVector<float>();
}

// The fixture values of make_fixtures.py: a[i] = i * 0.5 - 1, b[i] = 2 - i.
std::vector<float> FixtureA() {
  std::vector<float> v;
  for (int i = 0; i < 6; ++i) v.push_back(static_cast<float>(i) * 0.5f - 1.f);
  return v;
}
std::vector<float> FixtureB() {
  std::vector<float> v;
  for (int i = 0; i < 6; ++i) v.push_back(2.f - static_cast<float>(i));
  return v;
}

// --- .npy codec ------------------------------------------------------------------------------

TEST(Npy, ReadsFilesWrittenByNumpy) {
  for (const char* f : {"a_f32_2x3.npy", "v2_f32_2x3.npy", "v3_f32_2x3.npy"}) {
    auto t = npy::Read(kDataDir + "/" + f);
    ASSERT_TRUE(t.ok()) << f << ": " << t.status().ToString();
    EXPECT_EQ(t->shape(), (Shape{2, 3})) << f;
    EXPECT_EQ(Floats(*t), FixtureA()) << f;
  }
  auto i64 = npy::Read(kDataDir + "/i64_4.npy");
  ASSERT_TRUE(i64.ok()) << i64.status().ToString();
  EXPECT_EQ(i64->ToVector<int64_t>(), (std::vector<int64_t>{-3, 0, 7, int64_t{1} << 40}));
  auto f16 = npy::Read(kDataDir + "/f16_3.npy");
  ASSERT_TRUE(f16.ok()) << f16.status().ToString();
  ASSERT_EQ(f16->dtype(), DataType::kFloat16);
  EXPECT_EQ(static_cast<float>(f16->data<Float16>()[0]), 0.5f);
  EXPECT_EQ(static_cast<float>(f16->data<Float16>()[1]), -2.f);
  EXPECT_EQ(static_cast<float>(f16->data<Float16>()[2]), 65504.f);
  auto scalar = npy::Read(kDataDir + "/f64_scalar.npy");
  ASSERT_TRUE(scalar.ok()) << scalar.status().ToString();
  EXPECT_EQ(scalar->rank(), 0u);
  EXPECT_EQ(scalar->ToVector<double>(), (std::vector<double>{3.25}));
  auto b = npy::Read(kDataDir + "/bool_4.npy");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->ToVector<bool>(), (std::vector<bool>{true, false, false, true}));
  auto u8 = npy::Read(kDataDir + "/u8_2x2.npy");
  ASSERT_TRUE(u8.ok());
  EXPECT_EQ(u8->ToVector<uint8_t>(), (std::vector<uint8_t>{0, 255, 7, 128}));
  auto i8 = npy::Read(kDataDir + "/i8_3.npy");
  ASSERT_TRUE(i8.ok());
  EXPECT_EQ(i8->ToVector<int8_t>(), (std::vector<int8_t>{-128, 0, 127}));
  auto i32 = npy::Read(kDataDir + "/i32_2.npy");
  ASSERT_TRUE(i32.ok());
  EXPECT_EQ(i32->ToVector<int32_t>(), (std::vector<int32_t>{-5, 2147483647}));
  auto empty = npy::Read(kDataDir + "/empty_f32_0x3.npy");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->shape(), (Shape{0, 3}));
  auto str = npy::Read(kDataDir + "/str_3.npy");
  ASSERT_TRUE(str.ok()) << str.status().ToString();
  EXPECT_EQ(str->ToVector<std::string>(), (std::vector<std::string>{"ab", "", "h\xc3\xa9llo"}));
}

template <typename T>
void ExpectRoundTrip(DataType type, const Shape& shape, const std::vector<T>& values) {
  Tensor t = Tensor::FromVector<T>(shape, values);
  ASSERT_EQ(t.dtype(), type);
  auto bytes = npy::Encode(t);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  // Header: magic, version 1.0, and data aligned to 64 bytes like NumPy writes it.
  ASSERT_GE(bytes->size(), 10u);
  EXPECT_EQ(bytes->substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header_len = static_cast<uint8_t>((*bytes)[8]) |
                            (static_cast<size_t>(static_cast<uint8_t>((*bytes)[9])) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_EQ((*bytes)[10 + header_len - 1], '\n');
  auto back = npy::Decode(bytes->data(), bytes->size(), "mem");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->dtype(), type);
  EXPECT_EQ(back->shape(), shape);
  EXPECT_EQ(back->ToVector<T>(), values) << DataTypeName(type);
}

TEST(Npy, RoundTripsEveryType) {
  ExpectRoundTrip<float>(DataType::kFloat, {2, 2}, {1.5f, -0.f, 1e30f, -7.f});
  ExpectRoundTrip<double>(DataType::kDouble, {3}, {1e-300, -2.0, 0.1});
  ExpectRoundTrip<int8_t>(DataType::kInt8, {2}, {-128, 127});
  ExpectRoundTrip<uint8_t>(DataType::kUint8, {1, 2}, {0, 255});
  ExpectRoundTrip<int16_t>(DataType::kInt16, {2}, {-32768, 32767});
  ExpectRoundTrip<uint16_t>(DataType::kUint16, {2}, {0, 65535});
  ExpectRoundTrip<int32_t>(DataType::kInt32, {2}, {-2147483647 - 1, 5});
  ExpectRoundTrip<uint32_t>(DataType::kUint32, {1}, {4294967295u});
  ExpectRoundTrip<int64_t>(DataType::kInt64, {}, {-(int64_t{1} << 62)});
  ExpectRoundTrip<uint64_t>(DataType::kUint64, {1}, {~uint64_t{0}});
  ExpectRoundTrip<bool>(DataType::kBool, {3}, {true, false, true});
  ExpectRoundTrip<float>(DataType::kFloat, {0, 4}, {});
  ExpectRoundTrip<std::string>(DataType::kString, {2}, {"x", "\xe2\x82\xac uro"});

  Tensor h = Tensor::FromVector<Float16>({2}, {Float16(1.5f), Float16(-3.f)});
  auto hb = npy::Encode(h);
  ASSERT_TRUE(hb.ok());
  EXPECT_TRUE(Contains(*hb, "'descr': '<f2'"));
  auto hback = npy::Decode(hb->data(), hb->size(), "mem");
  ASSERT_TRUE(hback.ok());
  EXPECT_EQ(static_cast<float>(hback->data<Float16>()[1]), -3.f);

  // bfloat16 has no NumPy type: it is stored as float32.
  Tensor bf = Tensor::FromVector<BFloat16>({1}, {BFloat16(2.5f)});
  auto bfb = npy::Encode(bf);
  ASSERT_TRUE(bfb.ok());
  auto bfback = npy::Decode(bfb->data(), bfb->size(), "mem");
  ASSERT_TRUE(bfback.ok());
  EXPECT_EQ(Floats(*bfback), (std::vector<float>{2.5f}));
}

TEST(Npy, RefusesMalformedFilesNamingThem) {
  const std::pair<const char*, const char*> cases[] = {
      {"bad_fortran.npy", "fortran_order"}, {"bad_bigendian.npy", "big-endian"},
      {"bad_object.npy", "object"},         {"bad_structured.npy", "structured"},
      {"bad_complex.npy", "<c8"},           {"bad_truncated.npy", "truncated"},
      {"bad_magic.npy", "magic"},
  };
  for (const auto& [file, why] : cases) {
    const std::string path = kDataDir + "/" + file;
    auto t = npy::Read(path);
    ASSERT_FALSE(t.ok()) << file;
    EXPECT_TRUE(Contains(t.status().message(), path)) << t.status().message();
    EXPECT_TRUE(Contains(t.status().message(), why)) << t.status().message();
  }
  auto missing = npy::Read(kDataDir + "/does_not_exist.npy");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(Contains(missing.status().message(), "does_not_exist.npy"));
}

// A version 1.0 file with the given header text and `data_bytes` zero bytes of data.
std::string MakeNpy(const std::string& header, size_t data_bytes, char major = 1) {
  std::string out("\x93NUMPY", 6);
  out.push_back(major);
  out.push_back(0);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(data_bytes, '\0');
  return out;
}

TEST(Npy, RefusesMalformedHeaders) {
  const std::pair<std::string, const char*> cases[] = {
      {"[1, 2]", "not a Python dict"},
      {"{'descr': '<f4', 'shape': (2,), }", "lacks"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "extra"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "non-negative"},
      {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", "fortran_order"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", "tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } junk", "after"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }", "expected"},
      {"{'descr': '<q9', 'fortran_order': False, 'shape': (2,), }", "unsupported dtype"},
      {"{'descr': '<U', 'fortran_order': False, 'shape': (2,), }", "unsupported dtype"},
      {"{'descr': '<U0', 'fortran_order': False, 'shape': (99999999999,), }", "unsupported dtype"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 8), }",
       "too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", "too large"},
  };
  for (const auto& [header, why] : cases) {
    const std::string bytes = MakeNpy(header, 8);
    auto t = npy::Decode(bytes.data(), bytes.size(), "hdr.npy");
    ASSERT_FALSE(t.ok()) << header;
    EXPECT_TRUE(Contains(t.status().message(), why)) << header << " -> " << t.status().message();
    EXPECT_TRUE(Contains(t.status().message(), "hdr.npy"));
  }
  const std::string ok = MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
  EXPECT_TRUE(npy::Decode(ok.data(), ok.size(), "ok.npy").ok());
  // Header length beyond the end of the file, and unknown format versions.
  std::string cut = ok.substr(0, 20);
  EXPECT_FALSE(npy::Decode(cut.data(), cut.size(), "cut.npy").ok());
  const std::string v9 = MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, 9);
  auto r9 = npy::Decode(v9.data(), v9.size(), "v9.npy");
  ASSERT_FALSE(r9.ok());
  EXPECT_TRUE(Contains(r9.status().message(), "version 9"));
  EXPECT_FALSE(npy::Decode("", 0, "empty.npy").ok());
}

TEST(Npy, WriteIsAtomicAndLeavesNoTemporaryFiles) {
  TempDir dir;
  const std::string path = dir / "t.npy";
  Tensor t = Tensor::FromVector<float>({3}, {1, 2, 3});
  ASSERT_TRUE(npy::Write(path, t).ok());
  Tensor t2 = Tensor::FromVector<float>({2}, {9, 8});
  ASSERT_TRUE(npy::Write(path, t2).ok());  // Replaces the old file.
  auto back = npy::Read(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(Floats(*back), (std::vector<float>{9, 8}));
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
  EXPECT_FALSE(npy::Write(dir / "no/such/dir/t.npy", t).ok());
}

// --- CLI: general --------------------------------------------------------------------------------

TEST(Cli, VersionAndHelp) {
  auto v = RunCli({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out, std::string("onnxedge ") + Version() + "\n");
  auto h = RunCli({"--help"});
  EXPECT_EQ(h.code, 0);
  for (const char* part : {"inspect", "run", "check", "bench", "exit status", "0 ", "1 ", "2 "}) {
    EXPECT_TRUE(Contains(h.out, part)) << part;
  }
  for (const char* verb : {"inspect", "run", "check", "bench"}) {
    auto r = RunCli({verb, "--help"});
    EXPECT_EQ(r.code, 0) << verb;
    EXPECT_TRUE(Contains(r.out, std::string("usage: onnxedge ") + verb)) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
  }
  EXPECT_EQ(RunCli({}).code, 2);
}

TEST(Cli, UsageErrorsNameTheArgument) {
  ExpectOneLineError(RunCli({"frobnicate"}), "frobnicate");
  ExpectOneLineError(RunCli({"--frobnicate"}), "--frobnicate");
  ExpectOneLineError(RunCli({"run", "m.onnx", "--bogus-flag"}), "--bogus-flag");
  ExpectOneLineError(RunCli({"inspect", "m.onnx", "--bogus=1"}), "--bogus");
  ExpectOneLineError(RunCli({"bench", "m.onnx", "--iterations"}), "--iterations");
  ExpectOneLineError(RunCli({"bench", "m.onnx", "--iterations", "abc"}), "abc");
  ExpectOneLineError(RunCli({"bench", "m.onnx", "--iterations", "0"}), "--iterations");
  ExpectOneLineError(RunCli({"run", "m.onnx", "--threads", "-1"}), "--threads");
  ExpectOneLineError(RunCli({"check", "m.onnx", "--rtol", "x"}), "--rtol");
  ExpectOneLineError(RunCli({"run", "m.onnx", "--seed", "1", "--seed", "2"}), "--seed");
  ExpectOneLineError(RunCli({"inspect"}), "MODEL");
  ExpectOneLineError(RunCli({"inspect", "a.onnx", "b.onnx"}), "MODEL");
}

TEST(Cli, BadModelFilesAreOneLineErrors) {
  TempDir dir;
  const std::string garbage = dir / "garbage.onnx";
  {
    std::ofstream out(garbage, std::ios::binary);
    out << "this is not a protobuf \xff\xff\xff\x01\x02";
  }
  for (const char* verb : {"inspect", "run", "bench"}) {
    ExpectOneLineError(RunCli({verb, garbage}), garbage);
    ExpectOneLineError(RunCli({verb, dir / "missing.onnx"}), "missing.onnx");
  }
  ExpectOneLineError(RunCli({"check", garbage, "--inputs", dir.path(), "--expected", dir.path()}),
                     garbage);
  ExpectOneLineError(RunCli({"check", dir.path()}), "model.onnx");
}

// --- CLI: run ------------------------------------------------------------------------------------

TEST(Cli, RunReadsNumpyFilesAndWritesOutputs) {
  TempDir dir;
  const std::string model = AddReluModel(dir);
  const std::string out_dir = dir / "out";  // Created by the CLI.
  auto r = RunCli({"run", model, "--input", "A=" + kDataDir + "/a_f32_2x3.npy", "--input",
                   "B=" + kDataDir + "/b_f32_2x3.npy", "--output-dir", out_dir});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "sum/0:x  float32[2,3]")) << r.out;
  EXPECT_TRUE(Contains(r.out, "relu  float32[2,3]")) << r.out;
  // '/' and ':' in output names become '_'.
  auto sum = npy::Read(out_dir + "/sum_0_x.npy");
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  auto relu = npy::Read(out_dir + "/relu.npy");
  ASSERT_TRUE(relu.ok()) << relu.status().ToString();
  const auto a = FixtureA(), b = FixtureB();
  std::vector<float> want_sum, want_relu;
  for (size_t i = 0; i < a.size(); ++i) {
    want_sum.push_back(a[i] + b[i]);
    want_relu.push_back(std::max(0.f, a[i] + b[i]));
  }
  EXPECT_EQ(sum->shape(), (Shape{2, 3}));
  EXPECT_EQ(Floats(*sum), want_sum);
  EXPECT_EQ(Floats(*relu), want_relu);
  // Only the two outputs: no temporary files left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(out_dir)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 2);

  // Round trip: an output file fed back as input gives back the same bytes.
  Tensor zeros = Tensor::FromVector<float>({2, 3}, std::vector<float>(6, 0.f));
  ASSERT_TRUE(npy::Write(dir / "zeros.npy", zeros).ok());
  const std::string out2 = dir / "out2";
  auto r2 = RunCli({"run", model, "--input", "A=" + out_dir + "/sum_0_x.npy", "--input",
                    "B=" + dir / "zeros.npy", "--output-dir", out2});
  ASSERT_EQ(r2.code, 0) << r2.err;
  EXPECT_EQ(ReadFile(out2 + "/sum_0_x.npy"), ReadFile(out_dir + "/sum_0_x.npy"));
}

TEST(Cli, RunRandomInputsUseSeedAndDefaultSymbolicDims) {
  TempDir dir;
  const std::string model = AddReluModel(dir);
  auto r = RunCli({"run", model, "--output-dir", dir / "o1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "note")) << r.err;
  EXPECT_TRUE(Contains(r.err, "batch")) << r.err;
  auto relu = npy::Read(dir / "o1/relu.npy");
  ASSERT_TRUE(relu.ok());
  EXPECT_EQ(relu->shape(), (Shape{1, 3}));
  // Random floats are in [0, 1): the sum of two is in [0, 2) and not all equal.
  auto sum = npy::Read(dir / "o1/sum_0_x.npy");
  ASSERT_TRUE(sum.ok());
  const auto v = Floats(*sum);
  for (float x : v) {
    EXPECT_GE(x, 0.f);
    EXPECT_LT(x, 2.f);
  }
  EXPECT_NE(v[0], v[1]);

  // --shape fixes 'batch' for A, and B (same symbol) follows without a note.
  auto r4 = RunCli({"run", model, "--shape", "A=4x3", "--output-dir", dir / "o4"});
  ASSERT_EQ(r4.code, 0) << r4.err;
  EXPECT_FALSE(Contains(r4.err, "note")) << r4.err;
  auto relu4 = npy::Read(dir / "o4/relu.npy");
  ASSERT_TRUE(relu4.ok());
  EXPECT_EQ(relu4->shape(), (Shape{4, 3}));

  // Same seed -> same data; another seed -> different data.
  ASSERT_EQ(RunCli({"run", model, "--output-dir", dir / "o1b"}).code, 0);
  EXPECT_EQ(ReadFile(dir / "o1/sum_0_x.npy"), ReadFile(dir / "o1b/sum_0_x.npy"));
  ASSERT_EQ(RunCli({"run", model, "--seed", "7", "--output-dir", dir / "o7"}).code, 0);
  EXPECT_NE(ReadFile(dir / "o1/sum_0_x.npy"), ReadFile(dir / "o7/sum_0_x.npy"));

  // Bad --shape values name the flag.
  ExpectOneLineError(RunCli({"run", model, "--shape", "A=4x5"}), "--shape");
  ExpectOneLineError(RunCli({"run", model, "--shape", "A=4"}), "rank");
  ExpectOneLineError(RunCli({"run", model, "--shape", "A=axb"}), "--shape");
  ExpectOneLineError(RunCli({"run", model, "--shape", "Q=1x3"}), "Q=1x3");
}

TEST(Cli, RunRefusesBadInputFilesNamingThem) {
  TempDir dir;
  const std::string model = AddReluModel(dir);
  for (const char* f : {"bad_fortran.npy", "bad_bigendian.npy", "bad_object.npy",
                        "bad_truncated.npy", "bad_magic.npy", "bad_structured.npy"}) {
    const std::string path = kDataDir + "/" + f;
    ExpectOneLineError(RunCli({"run", model, "--input", "A=" + path}), path);
  }
  // Wrong dtype or shape for the input: the file is named too.
  const std::string i64 = kDataDir + "/i64_4.npy";
  ExpectOneLineError(RunCli({"run", model, "--input", "A=" + i64}), i64);
  const std::string f16 = kDataDir + "/f16_3.npy";
  ExpectOneLineError(RunCli({"run", model, "--input", "A=" + f16}), f16);
  const std::string missing = dir / "nope.npy";
  ExpectOneLineError(RunCli({"run", model, "--input", "A=" + missing}), missing);
  ExpectOneLineError(RunCli({"run", model, "--input", "C=" + i64}), "C=");
  ExpectOneLineError(RunCli({"run", model, "--input", "A=x.npy", "--input", "A=y.npy"}), "'A'");
}

TEST(Cli, RunReadsTensorProtoInputs) {
  TempDir dir;
  const std::string c = kNodeTests + "/test_add";
  if (!fs::exists(c)) GTEST_SKIP() << "libonnx-testdata not installed";
  auto r =
      RunCli({"run", c + "/model.onnx", "--input", "x=" + c + "/test_data_set_0/input_0.pb",
              "--input", "y=" + c + "/test_data_set_0/input_1.pb", "--output-dir", dir.path()});
  ASSERT_EQ(r.code, 0) << r.err;
  auto got = npy::Read(dir / "sum.npy");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  auto want = onnx_io::ValueFromProtoFile(c + "/test_data_set_0/output_0.pb", "tensor");
  ASSERT_TRUE(want.ok());
  EXPECT_TRUE(CompareTensors(*got, want->tensor(), 0, 0).match);
}

TEST(Cli, RunFailureOnUnsupportedOpNamesTheNode) {
  TempDir dir;
  ExpectOneLineError(RunCli({"run", UnsupportedModel(dir)}), "mystery");
}

// --- CLI: check ----------------------------------------------------------------------------------

TEST(Cli, CheckConformanceCaseMatches) {
  const std::string c = kNodeTests + "/test_add";
  if (!fs::exists(c)) GTEST_SKIP() << "libonnx-testdata not installed";
  auto r = RunCli({"check", c});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_EQ(r.out.rfind("{\"match\":true,\"outputs\":[{\"name\":\"sum\"", 0), 0u) << r.out;
  for (const char* key : {"\"max_abs_error\":0", "\"max_rel_error\":0", "\"rtol\":0.001",
                          "\"atol\":1e-05", "\"data_set\":\"test_data_set_0\""}) {
    EXPECT_TRUE(Contains(r.out, key)) << key << " in " << r.out;
  }
}

TEST(Cli, CheckDetectsWrongExpectedOutput) {
  const std::string c = kNodeTests + "/test_add";
  if (!fs::exists(c)) GTEST_SKIP() << "libonnx-testdata not installed";
  TempDir dir;
  fs::copy(c, dir.path(), fs::copy_options::recursive);
  const std::string out_pb = dir / "test_data_set_0/output_0.pb";
  auto expected = onnx_io::ValueFromProtoFile(out_pb, "tensor");
  ASSERT_TRUE(expected.ok());
  auto changed = expected->tensor().Clone();
  ASSERT_TRUE(changed.ok());
  changed->data<float>()[7] += 0.5f;
  {
    std::ofstream out(out_pb, std::ios::binary | std::ios::trunc);
    out << onnx_io::TensorToProtoBytes(*changed, "sum");
  }
  auto r = RunCli({"check", dir.path()});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.out.rfind("{\"match\":false,", 0), 0u) << r.out;
  EXPECT_TRUE(Contains(r.out, "\"max_abs_error\":0.5")) << r.out;
  EXPECT_TRUE(Contains(r.out, "\"mismatches\":1")) << r.out;
  // A loose enough tolerance accepts it.
  EXPECT_EQ(RunCli({"check", dir.path(), "--atol", "0.6"}).code, 0);
}

TEST(Cli, CheckModelAgainstNumpyFolders) {
  TempDir dir;
  const std::string model = AddReluModel(dir);
  fs::create_directories(dir / "in");
  fs::create_directories(dir / "exp");
  // Inputs by name (A.npy) and by position (input_1.npy).
  fs::copy_file(kDataDir + "/a_f32_2x3.npy", dir / "in/A.npy");
  fs::copy_file(kDataDir + "/b_f32_2x3.npy", dir / "in/input_1.npy");
  const auto a = FixtureA(), b = FixtureB();
  std::vector<float> relu;
  for (size_t i = 0; i < a.size(); ++i) relu.push_back(std::max(0.f, a[i] + b[i]));
  ASSERT_TRUE(npy::Write(dir / "exp/relu.npy", Tensor::FromVector<float>({2, 3}, relu)).ok());
  auto r = RunCli({"check", model, "--inputs", dir / "in", "--expected", dir / "exp"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_TRUE(Contains(r.out, "\"name\":\"relu\"")) << r.out;
  EXPECT_FALSE(Contains(r.out, "sum/0:x")) << "no expected file: skipped";

  // A wrong value -> exit 1; a wrong shape -> exit 1 with a message.
  relu[0] += 1;
  ASSERT_TRUE(npy::Write(dir / "exp/relu.npy", Tensor::FromVector<float>({2, 3}, relu)).ok());
  EXPECT_EQ(RunCli({"check", model, "--inputs", dir / "in", "--expected", dir / "exp"}).code, 1);
  ASSERT_TRUE(npy::Write(dir / "exp/relu.npy", Tensor::FromVector<float>({6}, relu)).ok());
  auto shape = RunCli({"check", model, "--inputs", dir / "in", "--expected", dir / "exp"});
  EXPECT_EQ(shape.code, 1);
  EXPECT_TRUE(Contains(shape.out, "\"message\":")) << shape.out;

  // Missing input file -> exit 2 naming the input; the MODEL form needs both folders.
  fs::remove(dir / "in/A.npy");
  ExpectOneLineError(RunCli({"check", model, "--inputs", dir / "in", "--expected", dir / "exp"}),
                     "'A'");
  ExpectOneLineError(RunCli({"check", model, "--inputs", dir / "in"}), "--expected");
}

// --- CLI: bench ----------------------------------------------------------------------------------

TEST(Cli, BenchJsonHasEveryField) {
  TempDir dir;
  const std::string model = AddReluModel(dir);
  auto r = RunCli({"bench", model, "--iterations", "4", "--warmup", "1", "--threads", "1",
                   "--shape", "A=8x3", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_EQ(r.out.front(), '{');
  for (const char* key : {"\"model\":", "\"threads\":1,", "\"iterations\":4,", "\"warmup\":1,",
                          "\"load_ms\":", "\"first_run_ms\":", "\"latency_ms\":{",
                          "\"min\":", "\"mean\":", "\"p50\":", "\"p90\":", "\"p99\":", "\"max\":",
                          "\"throughput_per_s\":", "\"peak_rss_mib\":"}) {
    EXPECT_TRUE(Contains(r.out, key)) << key << " in " << r.out;
  }
  EXPECT_FALSE(Contains(r.out, "null")) << r.out;
  auto human = RunCli({"bench", model, "--iterations", "2", "--warmup", "0"});
  ASSERT_EQ(human.code, 0) << human.err;
  for (const char* part : {"load:", "first run:", "p50", "p99", "throughput:", "peak RSS:"}) {
    EXPECT_TRUE(Contains(human.out, part)) << part << " in " << human.out;
  }
}

// --- CLI: inspect --------------------------------------------------------------------------------

TEST(Cli, InspectCountsOpsInsideSubgraphs) {
  TempDir dir;
  auto r = RunCli({"inspect", IfModel(dir), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  for (const char* part :
       {"\"ir_version\":8", "\"opset_imports\":{\"ai.onnx\":17}", "\"producer_name\":\"cli_test\"",
        "\"producer_version\":\"1.0\"", "\"If\":1", "\"Add\":1", "\"Relu\":1", "\"Identity\":1",
        "\"MatMul\":1", "\"nodes\":2", "\"subgraph_nodes\":3", "\"subgraphs\":2",
        "\"parameters\":4", "\"parameter_bytes\":16",
        "{\"name\":\"cond\",\"type\":\"bool[]\",\"dtype\":\"bool\",\"shape\":[]}"}) {
    EXPECT_TRUE(Contains(r.out, part)) << part << " in " << r.out;
  }
  auto text = RunCli({"inspect", IfModel(dir)});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_TRUE(Contains(text.out, "(+3 in 2 subgraphs)")) << text.out;

  const std::string test_if = kNodeTests + "/test_if/model.onnx";
  if (fs::exists(test_if)) {
    auto t = RunCli({"inspect", test_if, "--json"});
    ASSERT_EQ(t.code, 0) << t.err;
    EXPECT_TRUE(Contains(t.out, "\"If\":1")) << t.out;
    EXPECT_TRUE(Contains(t.out, "\"subgraphs\":2")) << t.out;
    // Each branch holds one Constant node of 5 floats; both count as parameters.
    EXPECT_TRUE(Contains(t.out, "\"Constant\":2")) << t.out;
    EXPECT_TRUE(Contains(t.out, "\"parameters\":10")) << t.out;
  }
}

TEST(Cli, InspectShowsSymbolicDimsAndUnsupportedOps) {
  TempDir dir;
  auto r = RunCli({"inspect", AddReluModel(dir)});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "float32[batch,3]")) << r.out;
  EXPECT_TRUE(Contains(r.out, "unsupported ops: none")) << r.out;
  auto j = RunCli({"inspect", AddReluModel(dir), "--json"});
  EXPECT_TRUE(Contains(j.out, "\"shape\":[\"batch\",3]")) << j.out;
  EXPECT_TRUE(Contains(j.out, "\"unsupported_ops\":[]")) << j.out;

  // A model that cannot run can still be inspected; the unsupported op is listed.
  const std::string bad = UnsupportedModel(dir);
  auto u = RunCli({"inspect", bad, "--json"});
  ASSERT_EQ(u.code, 0) << u.err;
  EXPECT_TRUE(Contains(u.out,
                       "\"unsupported_ops\":[{\"domain\":\"test.nosuch\","
                       "\"op_type\":\"NoSuchOp\",\"opset\":1,\"count\":1}]"))
      << u.out;
  EXPECT_TRUE(Contains(u.out, "\"test.nosuch:NoSuchOp\":1")) << u.out;
  auto ut = RunCli({"inspect", bad});
  EXPECT_TRUE(Contains(ut.out, "unsupported ops (1):")) << ut.out;
  EXPECT_TRUE(Contains(ut.out, "test.nosuch:NoSuchOp (opset 1, 1 node)")) << ut.out;
}

}  // namespace
}  // namespace onnxedge
