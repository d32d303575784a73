// Copyright onnxedge authors.
// Builds a one-node ONNX model in memory, loads it with onnxedge and runs it. For op unit tests.
//
//   auto r = OpTest("Gather", 13).Attr("axis", int64_t{1})
//                .Input("x", Tensor::FromVector<float>({2, 3}, {...}))
//                .Input("i", Tensor::FromVector<int64_t>({2}, {0, 2}))
//                .Output("y").Run();
//   ASSERT_TRUE(r.ok()) << r.status().ToString();
//   EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), ...);
#pragma once

#include <string>
#include <vector>

#include "ir/onnx/tensor_proto.h"
#include "onnx/onnx_pb.h"
#include "onnxedge/session.h"

namespace onnxedge::testing {

class OpTest {
 public:
  explicit OpTest(std::string op_type, int opset = 17, std::string domain = "") {
    model_.set_ir_version(8);
    auto* os = model_.add_opset_import();
    os->set_domain("");
    os->set_version(domain.empty() ? opset : 17);
    if (!domain.empty()) {
      auto* o2 = model_.add_opset_import();
      o2->set_domain(domain);
      o2->set_version(opset);
    }
    auto* g = model_.mutable_graph();
    g->set_name("op_test");
    node_ = g->add_node();
    node_->set_op_type(std::move(op_type));
    node_->set_domain(std::move(domain));
    node_->set_name("node");
  }

  OpTest& Attr(const std::string& name, int64_t v) {
    auto* a = NewAttr(name, onnx::AttributeProto::INT);
    a->set_i(v);
    return *this;
  }
  OpTest& Attr(const std::string& name, float v) {
    auto* a = NewAttr(name, onnx::AttributeProto::FLOAT);
    a->set_f(v);
    return *this;
  }
  OpTest& Attr(const std::string& name, const std::string& v) {
    auto* a = NewAttr(name, onnx::AttributeProto::STRING);
    a->set_s(v);
    return *this;
  }
  OpTest& Attr(const std::string& name, const char* v) { return Attr(name, std::string(v)); }
  OpTest& Attr(const std::string& name, const std::vector<int64_t>& v) {
    auto* a = NewAttr(name, onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
    return *this;
  }
  OpTest& Attr(const std::string& name, const std::vector<float>& v) {
    auto* a = NewAttr(name, onnx::AttributeProto::FLOATS);
    for (auto x : v) a->add_floats(x);
    return *this;
  }
  OpTest& Attr(const std::string& name, const std::vector<std::string>& v) {
    auto* a = NewAttr(name, onnx::AttributeProto::STRINGS);
    for (const auto& x : v) a->add_strings(x);
    return *this;
  }
  OpTest& Attr(const std::string& name, const Tensor& t) {
    auto* a = NewAttr(name, onnx::AttributeProto::TENSOR);
    onnx_io::TensorToProto(t, "", a->mutable_t());
    return *this;
  }
  /// A raw attribute (e.g. a graph) built by the caller.
  OpTest& Attr(const onnx::AttributeProto& a) {
    *node_->add_attribute() = a;
    return *this;
  }

  /// A graph input fed at run time (declared with its element type and no fixed shape).
  OpTest& Input(const std::string& name, const Tensor& t) {
    node_->add_input(name);
    auto* vi = model_.mutable_graph()->add_input();
    vi->set_name(name);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(static_cast<int>(t.dtype()));
    feeds_.push_back({name, t});
    return *this;
  }
  /// An input held as an initializer (a constant the kernel may prepack).
  OpTest& ConstantInput(const std::string& name, const Tensor& t) {
    node_->add_input(name);
    onnx_io::TensorToProto(t, name, model_.mutable_graph()->add_initializer());
    return *this;
  }
  /// An omitted optional input ("").
  OpTest& OmittedInput() {
    node_->add_input("");
    return *this;
  }
  /// An omitted optional output ("").
  OpTest& OmittedOutput() {
    node_->add_output("");
    return *this;
  }
  OpTest& Output(const std::string& name) {
    node_->add_output(name);
    model_.mutable_graph()->add_output()->set_name(name);
    return *this;
  }

  onnx::ModelProto& model() { return model_; }

  StatusOr<std::unique_ptr<Session>> Load(SessionOptions options = {}) const {
    std::string bytes = model_.SerializeAsString();
    if (options.intra_op_threads == 0) options.intra_op_threads = 2;
    return Session::LoadFromBuffer(bytes.data(), bytes.size(), options);
  }

  StatusOr<std::vector<NamedValue>> Run(SessionOptions options = {}) const {
    auto s = Load(options);
    if (!s.ok()) return s.status();
    return (*s)->Run(feeds_);
  }

 private:
  onnx::AttributeProto* NewAttr(const std::string& name, onnx::AttributeProto::AttributeType t) {
    auto* a = node_->add_attribute();
    a->set_name(name);
    a->set_type(t);
    return a;
  }

  onnx::ModelProto model_;
  onnx::NodeProto* node_;
  std::vector<NamedValue> feeds_;
};

}  // namespace onnxedge::testing
