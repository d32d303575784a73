// Copyright onnxedge authors.
// Small helpers to build ONNX models in memory for tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ir/onnx/tensor_proto.h"
#include "onnx/onnx_pb.h"
#include "onnxedge/session.h"

namespace onnxedge::testing {

inline onnx::ModelProto NewModel(int opset = 17, int64_t ir_version = 8) {
  onnx::ModelProto m;
  m.set_ir_version(ir_version);
  m.set_producer_name("onnxedge-test");
  auto* os = m.add_opset_import();
  os->set_domain("");
  os->set_version(opset);
  m.mutable_graph()->set_name("g");
  return m;
}

inline onnx::NodeProto* AddNode(onnx::GraphProto* g, const std::string& op,
                                const std::vector<std::string>& inputs,
                                const std::vector<std::string>& outputs,
                                const std::string& name = "") {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name.empty() ? op + "_" + (outputs.empty() ? "" : outputs[0]) : name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return n;
}

/// Declares a tensor value: dims >= 0 are fixed, -1 unknown; `symbols[i]` non-empty names dim i.
inline void SetTensorType(onnx::ValueInfoProto* vi, const std::string& name, DataType type,
                          const std::vector<int64_t>& dims,
                          const std::vector<std::string>& symbols = {}) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(static_cast<int>(type));
  auto* shape = tt->mutable_shape();
  for (size_t i = 0; i < dims.size(); ++i) {
    auto* d = shape->add_dim();
    if (i < symbols.size() && !symbols[i].empty()) {
      d->set_dim_param(symbols[i]);
    } else if (dims[i] >= 0) {
      d->set_dim_value(dims[i]);
    }
  }
}

inline void AddInput(onnx::GraphProto* g, const std::string& name, DataType type,
                     const std::vector<int64_t>& dims,
                     const std::vector<std::string>& symbols = {}) {
  SetTensorType(g->add_input(), name, type, dims, symbols);
}

inline void AddOutput(onnx::GraphProto* g, const std::string& name) {
  g->add_output()->set_name(name);
}

inline void AddInitializer(onnx::GraphProto* g, const std::string& name, const Tensor& t) {
  onnx_io::TensorToProto(t, name, g->add_initializer());
}

inline std::string Serialize(const onnx::ModelProto& m) { return m.SerializeAsString(); }

inline StatusOr<std::unique_ptr<Session>> LoadProto(const onnx::ModelProto& m,
                                                    const SessionOptions& options = {},
                                                    const std::string& base_dir = "") {
  std::string bytes = m.SerializeAsString();
  return Session::LoadFromBuffer(bytes.data(), bytes.size(), options, base_dir);
}

/// A fresh empty folder under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/onnxedge_test_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  void Write(const std::string& name, const std::string& bytes) const {
    std::ofstream(File(name), std::ios::binary) << bytes;
  }

 private:
  std::string path_;
};

struct OptimizeCliResult {
  int code = -1;
  std::string out;  ///< stdout and stderr together.
};

/// Runs `build/onnxedge optimize ARGS` (build/onnxedge is next to build/tests/), with stderr
/// folded into stdout.
inline OptimizeCliResult RunOptimizeCli(const std::string& args) {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  OptimizeCliResult r;
  if (n <= 0) return r;
  buf[n] = '\0';
  const std::string exe =
      (std::filesystem::path(buf).parent_path().parent_path() / "onnxedge").string();
  FILE* f = popen((exe + " optimize " + args + " 2>&1").c_str(), "r");
  if (!f) return r;
  char chunk[4096];
  size_t got;
  while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) r.out.append(chunk, got);
  const int status = pclose(f);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace onnxedge::testing
