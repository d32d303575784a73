// Copyright onnxedge authors.
#include "ir/onnx/proto_convert.h"

#include <unordered_set>

#include "ir/onnx/loader.h"
#include "onnx/onnx_pb.h"

namespace onnxedge::onnx_io {

ir::TypeInfo ConvertType(const onnx::TypeProto& type) {
  ir::TypeInfo t;
  switch (type.value_case()) {
    case onnx::TypeProto::kTensorType:
    case onnx::TypeProto::kSparseTensorType: {
      const bool sparse = type.value_case() == onnx::TypeProto::kSparseTensorType;
      t.kind = sparse ? ir::TypeInfo::Kind::kSparseTensor : ir::TypeInfo::Kind::kTensor;
      const int32_t elem = sparse ? type.sparse_tensor_type().elem_type()
                                  : type.tensor_type().elem_type();
      const bool has_shape =
          sparse ? type.sparse_tensor_type().has_shape() : type.tensor_type().has_shape();
      const auto& shape = sparse ? type.sparse_tensor_type().shape() : type.tensor_type().shape();
      t.elem_type = static_cast<DataType>(elem);
      if (elem < 0 || elem > 16) t.elem_type = DataType::kUndefined;
      t.has_shape = has_shape;
      for (const auto& d : shape.dim()) {
        ir::Dim dim;
        if (d.has_dim_value()) {
          dim.value = d.dim_value() >= 0 ? d.dim_value() : -1;
        } else if (d.has_dim_param()) {
          dim.symbol = d.dim_param();
        }
        t.dims.push_back(std::move(dim));
      }
      break;
    }
    case onnx::TypeProto::kSequenceType:
      t.kind = ir::TypeInfo::Kind::kSequence;
      t.elem = std::make_shared<ir::TypeInfo>(ConvertType(type.sequence_type().elem_type()));
      break;
    case onnx::TypeProto::kOptionalType:
      t.kind = ir::TypeInfo::Kind::kOptional;
      t.elem = std::make_shared<ir::TypeInfo>(ConvertType(type.optional_type().elem_type()));
      break;
    case onnx::TypeProto::kMapType:
      t.kind = ir::TypeInfo::Kind::kMap;
      break;
    default:
      break;
  }
  return t;
}

void TypeToProto(const ir::TypeInfo& type, onnx::TypeProto* proto) {
  proto->Clear();
  switch (type.kind) {
    case ir::TypeInfo::Kind::kTensor:
    case ir::TypeInfo::Kind::kSparseTensor: {
      auto* tt = type.kind == ir::TypeInfo::Kind::kTensor ? proto->mutable_tensor_type()
                                                           : nullptr;
      onnx::TypeProto_Tensor tmp;
      if (!tt) tt = &tmp;
      tt->set_elem_type(static_cast<int32_t>(type.elem_type));
      if (type.has_shape) {
        auto* shape = tt->mutable_shape();
        for (const auto& d : type.dims) {
          auto* dp = shape->add_dim();
          if (d.known()) {
            dp->set_dim_value(d.value);
          } else if (!d.symbol.empty()) {
            dp->set_dim_param(d.symbol);
          }
        }
      }
      if (type.kind == ir::TypeInfo::Kind::kSparseTensor) {
        auto* st = proto->mutable_sparse_tensor_type();
        st->set_elem_type(tmp.elem_type());
        if (tmp.has_shape()) *st->mutable_shape() = tmp.shape();
      }
      break;
    }
    case ir::TypeInfo::Kind::kSequence:
      if (type.elem) TypeToProto(*type.elem, proto->mutable_sequence_type()->mutable_elem_type());
      else proto->mutable_sequence_type();
      break;
    case ir::TypeInfo::Kind::kOptional:
      if (type.elem) TypeToProto(*type.elem, proto->mutable_optional_type()->mutable_elem_type());
      else proto->mutable_optional_type();
      break;
    default:
      break;
  }
}

namespace {

ir::Attribute::Type InferAttributeType(const onnx::AttributeProto& p) {
  if (p.has_f()) return ir::Attribute::Type::kFloat;
  if (p.has_i()) return ir::Attribute::Type::kInt;
  if (p.has_s()) return ir::Attribute::Type::kString;
  if (p.has_t()) return ir::Attribute::Type::kTensor;
  if (p.has_g()) return ir::Attribute::Type::kGraph;
  if (p.has_sparse_tensor()) return ir::Attribute::Type::kSparseTensor;
  if (p.has_tp()) return ir::Attribute::Type::kTypeProto;
  if (p.floats_size()) return ir::Attribute::Type::kFloats;
  if (p.ints_size()) return ir::Attribute::Type::kInts;
  if (p.strings_size()) return ir::Attribute::Type::kStrings;
  if (p.tensors_size()) return ir::Attribute::Type::kTensors;
  if (p.graphs_size()) return ir::Attribute::Type::kGraphs;
  return ir::Attribute::Type::kUndefined;
}

}  // namespace

StatusOr<ir::Attribute> ConvertAttribute(const onnx::AttributeProto& p, ConvertContext& ctx,
                                         int depth) {
  ir::Attribute a;
  a.name = p.name();
  a.ref_attr_name = p.ref_attr_name();
  a.type = static_cast<ir::Attribute::Type>(p.type());
  if (p.type() < 0 || p.type() > 14) {
    return MakeError(StatusCode::kInvalidModel, "attribute '", p.name(), "' has unknown type ",
                     p.type());
  }
  // Like ONNX's checker: at most one value field, and it must match the declared type.
  // Otherwise a type-confused attribute (declared INTS, holding a float) would read as empty.
  using T = ir::Attribute::Type;
  std::vector<T> held;
  if (p.has_f()) held.push_back(T::kFloat);
  if (p.has_i()) held.push_back(T::kInt);
  if (p.has_s()) held.push_back(T::kString);
  if (p.has_t()) held.push_back(T::kTensor);
  if (p.has_g()) held.push_back(T::kGraph);
  if (p.has_sparse_tensor()) held.push_back(T::kSparseTensor);
  if (p.has_tp()) held.push_back(T::kTypeProto);
  if (p.floats_size()) held.push_back(T::kFloats);
  if (p.ints_size()) held.push_back(T::kInts);
  if (p.strings_size()) held.push_back(T::kStrings);
  if (p.tensors_size()) held.push_back(T::kTensors);
  if (p.graphs_size()) held.push_back(T::kGraphs);
  if (p.sparse_tensors_size()) held.push_back(T::kSparseTensors);
  if (p.type_protos_size()) held.push_back(T::kTypeProtos);
  if (held.size() > 1) {
    std::string kinds;
    for (T t : held) kinds += std::string(kinds.empty() ? "" : ", ") + ir::AttributeTypeName(t);
    return MakeError(StatusCode::kInvalidModel, "attribute '", p.name(),
                     "' holds more than one value (", kinds, ")");
  }
  if (held.size() == 1 && a.type != T::kUndefined && held[0] != a.type) {
    return MakeError(StatusCode::kInvalidModel, "attribute '", p.name(), "' is declared as ",
                     ir::AttributeTypeName(a.type), " but holds a ",
                     ir::AttributeTypeName(held[0]));
  }
  if (a.type == ir::Attribute::Type::kUndefined) a.type = InferAttributeType(p);
  auto where = [&](const Status& s) { return s.WithContext("attribute '" + p.name() + "'"); };
  switch (a.type) {
    case ir::Attribute::Type::kFloat: a.f = p.f(); break;
    case ir::Attribute::Type::kInt: a.i = p.i(); break;
    case ir::Attribute::Type::kString: a.s = p.s(); break;
    case ir::Attribute::Type::kTensor: {
      auto t = TensorFromProto(p.t(), ctx.tensors);
      if (!t.ok()) return where(t.status());
      a.t = std::move(t).value();
      // The caller owns the proto as a mutable object (ConvertContext::release_large_payloads).
      if (ctx.release_large_payloads) {
        ReleaseLargePayload(const_cast<onnx::TensorProto*>(&p.t()));
      }
      break;
    }
    case ir::Attribute::Type::kSparseTensor: {
      auto t = TensorFromSparseProto(p.sparse_tensor(), ctx.tensors);
      if (!t.ok()) return where(t.status());
      a.t = std::move(t).value();
      break;
    }
    case ir::Attribute::Type::kGraph: {
      if (!p.has_g() && a.ref_attr_name.empty()) {
        return MakeError(StatusCode::kInvalidModel, "attribute '", p.name(),
                         "' is declared as a graph but holds none");
      }
      if (p.has_g()) {
        auto g = ConvertGraph(p.g(), ctx, depth + 1);
        if (!g.ok()) return where(g.status());
        a.g = std::move(g).value();
      }
      break;
    }
    case ir::Attribute::Type::kFloats: a.floats.assign(p.floats().begin(), p.floats().end()); break;
    case ir::Attribute::Type::kInts: a.ints.assign(p.ints().begin(), p.ints().end()); break;
    case ir::Attribute::Type::kStrings:
      a.strings.assign(p.strings().begin(), p.strings().end());
      break;
    case ir::Attribute::Type::kTensors:
      for (const auto& tp : p.tensors()) {
        auto t = TensorFromProto(tp, ctx.tensors);
        if (!t.ok()) return where(t.status());
        a.tensors.push_back(std::move(t).value());
      }
      break;
    case ir::Attribute::Type::kGraphs:
      for (const auto& gp : p.graphs()) {
        auto g = ConvertGraph(gp, ctx, depth + 1);
        if (!g.ok()) return where(g.status());
        a.graphs.push_back(std::move(g).value());
      }
      break;
    case ir::Attribute::Type::kSparseTensors:
      for (const auto& sp : p.sparse_tensors()) {
        auto t = TensorFromSparseProto(sp, ctx.tensors);
        if (!t.ok()) return where(t.status());
        a.tensors.push_back(std::move(t).value());
      }
      break;
    case ir::Attribute::Type::kTypeProto: a.type_protos.push_back(ConvertType(p.tp())); break;
    case ir::Attribute::Type::kTypeProtos:
      for (const auto& tp : p.type_protos()) a.type_protos.push_back(ConvertType(tp));
      break;
    case ir::Attribute::Type::kUndefined:
      if (a.ref_attr_name.empty()) {
        return MakeError(StatusCode::kInvalidModel, "attribute '", p.name(), "' has no value");
      }
      break;
  }
  return a;
}

void AttributeToProto(const ir::Attribute& a, onnx::AttributeProto* p,
                      const InitializerWriter* writer) {
  p->Clear();
  p->set_name(a.name);
  if (!a.ref_attr_name.empty()) p->set_ref_attr_name(a.ref_attr_name);
  p->set_type(static_cast<onnx::AttributeProto::AttributeType>(a.type));
  switch (a.type) {
    case ir::Attribute::Type::kFloat: p->set_f(a.f); break;
    case ir::Attribute::Type::kInt: p->set_i(a.i); break;
    case ir::Attribute::Type::kString: p->set_s(a.s); break;
    case ir::Attribute::Type::kTensor: TensorToProto(a.t, "", p->mutable_t()); break;
    case ir::Attribute::Type::kSparseTensor:
      // Densified at load; saved back as a dense tensor.
      p->set_type(onnx::AttributeProto::TENSOR);
      TensorToProto(a.t, "", p->mutable_t());
      break;
    case ir::Attribute::Type::kGraph:
      if (a.g) GraphToProto(*a.g, p->mutable_g(), writer);
      break;
    case ir::Attribute::Type::kFloats:
      for (float f : a.floats) p->add_floats(f);
      break;
    case ir::Attribute::Type::kInts:
      for (int64_t i : a.ints) p->add_ints(i);
      break;
    case ir::Attribute::Type::kStrings:
      for (const auto& s : a.strings) p->add_strings(s);
      break;
    case ir::Attribute::Type::kTensors:
    case ir::Attribute::Type::kSparseTensors:
      p->set_type(onnx::AttributeProto::TENSORS);
      for (const auto& t : a.tensors) TensorToProto(t, "", p->add_tensors());
      break;
    case ir::Attribute::Type::kGraphs:
      for (const auto& g : a.graphs) GraphToProto(*g, p->add_graphs(), writer);
      break;
    case ir::Attribute::Type::kTypeProto:
      if (!a.type_protos.empty()) TypeToProto(a.type_protos[0], p->mutable_tp());
      break;
    case ir::Attribute::Type::kTypeProtos:
      for (const auto& t : a.type_protos) TypeToProto(t, p->add_type_protos());
      break;
    case ir::Attribute::Type::kUndefined: break;
  }
}

StatusOr<std::unique_ptr<ir::Node>> ConvertNode(const onnx::NodeProto& p, ConvertContext& ctx,
                                                int depth,
                                                const std::map<std::string, int64_t>& imports) {
  auto node = std::make_unique<ir::Node>();
  node->name = p.name();
  node->op_type = p.op_type();
  node->domain = p.domain() == "ai.onnx" ? "" : p.domain();
  node->doc = p.doc_string();
  node->inputs.assign(p.input().begin(), p.input().end());
  node->outputs.assign(p.output().begin(), p.output().end());
  if (node->op_type.empty()) {
    return MakeError(StatusCode::kInvalidModel, node->Describe(), " has no op_type");
  }
  auto it = imports.find(node->domain);
  if (it == imports.end()) {
    return MakeError(StatusCode::kInvalidModel, node->Describe(), " uses domain '",
                     node->domain, "', which the model does not import");
  }
  node->opset = static_cast<int>(std::min<int64_t>(it->second, INT32_MAX));
  std::unordered_set<std::string> seen;
  for (const auto& ap : p.attribute()) {
    if (!seen.insert(ap.name()).second) {
      return MakeError(StatusCode::kInvalidModel, node->Describe(), " has attribute '", ap.name(),
                       "' twice");
    }
    auto a = ConvertAttribute(ap, ctx, depth);
    if (!a.ok()) return a.status().WithContext(node->Describe());
    node->attributes.push_back(std::move(a).value());
  }
  return node;
}

StatusOr<std::shared_ptr<ir::Graph>> ConvertGraph(const onnx::GraphProto& p, ConvertContext& ctx,
                                                  int depth) {
  if (depth > kMaxSubgraphDepth) {
    return MakeError(StatusCode::kInvalidModel, "subgraphs are nested deeper than ",
                     kMaxSubgraphDepth, " levels");
  }
  auto g = std::make_shared<ir::Graph>();
  g->name = p.name();
  g->doc = p.doc_string();
  auto ctx_graph = [&](const Status& s) {
    return s.WithContext(depth == 0 ? std::string("graph '") + p.name() + "'"
                                    : std::string("subgraph '") + p.name() + "'");
  };
  std::unordered_set<std::string> names;
  for (const auto& vi : p.input()) {
    if (vi.name().empty()) return ctx_graph(MakeError(StatusCode::kInvalidModel, "an input has no name"));
    if (!names.insert(vi.name()).second) {
      return ctx_graph(MakeError(StatusCode::kInvalidModel, "duplicate input name '", vi.name(), "'"));
    }
    g->inputs.push_back({vi.name(), ConvertType(vi.type()), vi.doc_string()});
  }
  for (const auto& vi : p.output()) {
    g->outputs.push_back({vi.name(), ConvertType(vi.type()), vi.doc_string()});
  }
  for (const auto& vi : p.value_info()) {
    ir::TypeInfo t = ConvertType(vi.type());
    if (t.kind != ir::TypeInfo::Kind::kUnknown) g->value_info[vi.name()] = std::move(t);
  }
  for (const auto& tp : p.initializer()) {
    if (tp.name().empty()) {
      return ctx_graph(MakeError(StatusCode::kInvalidModel, "an initializer has no name"));
    }
    if (g->initializers.count(tp.name())) {
      return ctx_graph(MakeError(StatusCode::kInvalidModel, "duplicate initializer '", tp.name(), "'"));
    }
    auto t = TensorFromProto(tp, ctx.tensors);
    if (!t.ok()) return ctx_graph(t.status());
    g->initializers.emplace(tp.name(), std::move(t).value());
    if (ctx.release_large_payloads) ReleaseLargePayload(const_cast<onnx::TensorProto*>(&tp));
  }
  for (const auto& sp : p.sparse_initializer()) {
    const std::string& name = sp.values().name();
    if (name.empty() || g->initializers.count(name)) {
      return ctx_graph(MakeError(StatusCode::kInvalidModel, "sparse initializer '", name,
                                 "' has no name or a duplicate name"));
    }
    auto t = TensorFromSparseProto(sp, ctx.tensors);
    if (!t.ok()) return ctx_graph(t.status());
    g->initializers.emplace(name, std::move(t).value());
  }
  for (int i = 0; i < p.node_size(); ++i) {
    auto n = ConvertNode(p.node(i), ctx, depth, *ctx.opset_imports);
    if (!n.ok()) return ctx_graph(n.status());
    (*n)->source_index = i;
    g->nodes.push_back(std::move(n).value());
  }
  return g;
}

void GraphToProto(const ir::Graph& g, onnx::GraphProto* p, const InitializerWriter* writer) {
  p->Clear();
  p->set_name(g.name);
  if (!g.doc.empty()) p->set_doc_string(g.doc);
  for (const auto& vi : g.inputs) {
    auto* v = p->add_input();
    v->set_name(vi.name);
    TypeToProto(vi.type, v->mutable_type());
  }
  for (const auto& vi : g.outputs) {
    auto* v = p->add_output();
    v->set_name(vi.name);
    TypeToProto(vi.type, v->mutable_type());
  }
  for (const auto& [name, t] : g.initializers) {
    onnx::TensorProto* tp = p->add_initializer();
    if (!writer || !(*writer)(name, t, tp)) TensorToProto(t, name, tp);
  }
  for (const auto& [name, type] : g.value_info) {
    auto* v = p->add_value_info();
    v->set_name(name);
    TypeToProto(type, v->mutable_type());
  }
  for (const auto& n : g.nodes) {
    auto* np = p->add_node();
    np->set_name(n->name);
    np->set_op_type(n->op_type);
    np->set_domain(n->domain);
    for (const auto& in : n->inputs) np->add_input(in);
    for (const auto& out : n->outputs) np->add_output(out);
    for (const auto& a : n->attributes) AttributeToProto(a, np->add_attribute(), writer);
  }
}

namespace {

StatusOr<Tensor> ConstantValue(const ir::Node& node) {
  if (node.attributes.size() != 1) {
    return MakeError(StatusCode::kInvalidModel, node.Describe(),
                     " must have exactly one value attribute, has ", node.attributes.size());
  }
  const ir::Attribute& a = node.attributes[0];
  using T = ir::Attribute::Type;
  auto expect = [&](T type) -> Status {
    if (a.type != type) {
      return MakeError(StatusCode::kInvalidModel, node.Describe(), " attribute '", a.name,
                       "' must be of type ", ir::AttributeTypeName(type), ", not ",
                       ir::AttributeTypeName(a.type));
    }
    return Status::Ok();
  };
  if (a.name == "value") {
    OE_RETURN_IF_ERROR(expect(T::kTensor));
    return a.t;
  }
  if (a.name == "sparse_value") {
    OE_RETURN_IF_ERROR(expect(T::kSparseTensor));
    return a.t;
  }
  if (a.name == "value_float") {
    OE_RETURN_IF_ERROR(expect(T::kFloat));
    return Tensor::Scalar<float>(a.f);
  }
  if (a.name == "value_floats") {
    OE_RETURN_IF_ERROR(expect(T::kFloats));
    return Tensor::FromVector<float>({static_cast<int64_t>(a.floats.size())}, a.floats);
  }
  if (a.name == "value_int") {
    OE_RETURN_IF_ERROR(expect(T::kInt));
    return Tensor::Scalar<int64_t>(a.i);
  }
  if (a.name == "value_ints") {
    OE_RETURN_IF_ERROR(expect(T::kInts));
    return Tensor::FromVector<int64_t>({static_cast<int64_t>(a.ints.size())}, a.ints);
  }
  if (a.name == "value_string") {
    OE_RETURN_IF_ERROR(expect(T::kString));
    return Tensor::Scalar<std::string>(a.s);
  }
  if (a.name == "value_strings") {
    OE_RETURN_IF_ERROR(expect(T::kStrings));
    return Tensor::FromVector<std::string>({static_cast<int64_t>(a.strings.size())}, a.strings);
  }
  return MakeError(StatusCode::kInvalidModel, node.Describe(), " has unknown attribute '", a.name,
                   "'");
}

}  // namespace

Status FoldConstantNodes(ir::Graph& graph) {
  std::vector<std::unique_ptr<ir::Node>> kept;
  kept.reserve(graph.nodes.size());
  for (auto& node : graph.nodes) {
    if (node->op_type == "Constant" && node->domain.empty()) {
      if (node->outputs.size() != 1 || node->outputs[0].empty()) {
        return MakeError(StatusCode::kInvalidModel, node->Describe(), " must have one output");
      }
      OE_ASSIGN_OR_RETURN(Tensor t, ConstantValue(*node));
      if (!graph.initializers.emplace(node->outputs[0], std::move(t)).second) {
        return MakeError(StatusCode::kInvalidModel, node->Describe(), " output '",
                         node->outputs[0], "' collides with an initializer");
      }
      continue;
    }
    for (auto& a : node->attributes) {
      if (a.g) OE_RETURN_IF_ERROR(FoldConstantNodes(*a.g));
      for (auto& g : a.graphs) OE_RETURN_IF_ERROR(FoldConstantNodes(*g));
    }
    kept.push_back(std::move(node));
  }
  graph.nodes = std::move(kept);
  return Status::Ok();
}

}  // namespace onnxedge::onnx_io
