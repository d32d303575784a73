// Copyright onnxedge authors.
#include "ir/graph.h"

#include <queue>
#include <unordered_set>

namespace onnxedge::ir {

std::string TypeInfo::ToString() const {
  switch (kind) {
    case Kind::kTensor:
    case Kind::kSparseTensor: {
      std::string s = DataTypeName(elem_type);
      if (kind == Kind::kSparseTensor) s = "sparse(" + s + ")";
      if (!has_shape) return s + "[...]";
      s += "[";
      for (size_t i = 0; i < dims.size(); ++i) {
        if (i) s += ",";
        if (dims[i].known()) {
          s += std::to_string(dims[i].value);
        } else if (!dims[i].symbol.empty()) {
          s += dims[i].symbol;
        } else {
          s += "?";
        }
      }
      return s + "]";
    }
    case Kind::kSequence: return "seq(" + (elem ? elem->ToString() : std::string("?")) + ")";
    case Kind::kOptional:
      return "optional(" + (elem ? elem->ToString() : std::string("?")) + ")";
    case Kind::kMap: return "map";
    case Kind::kUnknown: return "unknown";
  }
  return "unknown";
}

const char* AttributeTypeName(Attribute::Type type) {
  switch (type) {
    case Attribute::Type::kFloat: return "float";
    case Attribute::Type::kInt: return "int";
    case Attribute::Type::kString: return "string";
    case Attribute::Type::kTensor: return "tensor";
    case Attribute::Type::kGraph: return "graph";
    case Attribute::Type::kFloats: return "floats";
    case Attribute::Type::kInts: return "ints";
    case Attribute::Type::kStrings: return "strings";
    case Attribute::Type::kTensors: return "tensors";
    case Attribute::Type::kGraphs: return "graphs";
    case Attribute::Type::kSparseTensor: return "sparse_tensor";
    case Attribute::Type::kSparseTensors: return "sparse_tensors";
    case Attribute::Type::kTypeProto: return "type_proto";
    case Attribute::Type::kTypeProtos: return "type_protos";
    case Attribute::Type::kUndefined: return "undefined";
  }
  return "undefined";
}

const Attribute* Node::FindAttribute(const std::string& attr_name) const {
  for (const auto& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

Attribute* Node::FindAttribute(const std::string& attr_name) {
  for (auto& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

std::string Node::Describe() const {
  std::string op = domain.empty() ? op_type : domain + "." + op_type;
  if (!name.empty()) return "node '" + name + "' (" + op + ")";
  std::string first_out = outputs.empty() ? std::string() : outputs[0];
  return "node producing '" + first_out + "' (" + op + ")";
}

const TypeInfo* Graph::FindType(const std::string& value_name) const {
  for (const auto& v : inputs) {
    if (v.name == value_name) return &v.type;
  }
  for (const auto& v : outputs) {
    if (v.name == value_name && v.type.kind != TypeInfo::Kind::kUnknown) return &v.type;
  }
  auto it = value_info.find(value_name);
  if (it != value_info.end()) return &it->second;
  return nullptr;
}

void Graph::CountParameters(int64_t* elements, int64_t* bytes) const {
  for (const auto& [name, t] : initializers) {
    *elements += t.size();
    *bytes += static_cast<int64_t>(t.dtype() == DataType::kString ? 0 : t.bytes());
  }
  for (const auto& n : nodes) {
    for (const auto& a : n->attributes) {
      if (a.type == Attribute::Type::kTensor) {
        *elements += a.t.size();
        *bytes += static_cast<int64_t>(a.t.dtype() == DataType::kString ? 0 : a.t.bytes());
      }
      if (a.g) a.g->CountParameters(elements, bytes);
      for (const auto& g : a.graphs) g->CountParameters(elements, bytes);
    }
  }
}

namespace {

// Names a subgraph (recursively) reads from enclosing scopes: every node input that the
// subgraph itself does not define.
void CollectOuterReads(const Graph& g, std::unordered_set<std::string>* out) {
  std::unordered_set<std::string> defined;
  for (const auto& in : g.inputs) defined.insert(in.name);
  for (const auto& [name, t] : g.initializers) defined.insert(name);
  for (const auto& n : g.nodes) {
    for (const auto& o : n->outputs) defined.insert(o);
  }
  std::unordered_set<std::string> reads;
  for (const auto& n : g.nodes) {
    for (const auto& in : n->inputs) reads.insert(in);
    for (const auto& a : n->attributes) {
      if (a.g) CollectOuterReads(*a.g, &reads);
      for (const auto& sg : a.graphs) CollectOuterReads(*sg, &reads);
    }
  }
  for (const auto& o : g.outputs) reads.insert(o.name);
  for (const auto& r : reads) {
    if (!r.empty() && !defined.count(r)) out->insert(r);
  }
}

}  // namespace

Status TopologicalSort(Graph& graph, const std::vector<std::string>& outer_scope) {
  std::unordered_set<std::string> available(outer_scope.begin(), outer_scope.end());
  for (const auto& in : graph.inputs) available.insert(in.name);
  for (const auto& [name, t] : graph.initializers) available.insert(name);

  std::unordered_set<std::string> graph_inputs;
  for (const auto& in : graph.inputs) graph_inputs.insert(in.name);
  // Map each produced value to its producing node; a value produced twice is an error.
  std::unordered_map<std::string, size_t> producer;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& out : graph.nodes[i]->outputs) {
      if (out.empty()) continue;
      if (!producer.emplace(out, i).second) {
        return MakeError(StatusCode::kInvalidModel, "value '", out, "' is produced by both ",
                         graph.nodes[producer[out]]->Describe(), " and ",
                         graph.nodes[i]->Describe());
      }
      if (graph_inputs.count(out)) {
        return MakeError(StatusCode::kInvalidModel, graph.nodes[i]->Describe(),
                         " writes to graph input '", out, "'");
      }
      if (graph.initializers.count(out)) {
        return MakeError(StatusCode::kInvalidModel, graph.nodes[i]->Describe(),
                         " writes to initializer '", out, "'");
      }
    }
  }

  // Kahn's algorithm, stable with respect to the original order.
  const size_t n = graph.nodes.size();
  std::vector<int> pending(n, 0);
  std::vector<std::vector<size_t>> consumers(n);
  for (size_t i = 0; i < n; ++i) {
    std::unordered_set<size_t> deps;
    // A node depends on its inputs and on outer values its subgraphs read.
    std::vector<std::string> reads = graph.nodes[i]->inputs;
    std::unordered_set<std::string> sub_reads;
    for (const auto& a : graph.nodes[i]->attributes) {
      if (a.g) CollectOuterReads(*a.g, &sub_reads);
      for (const auto& sg : a.graphs) CollectOuterReads(*sg, &sub_reads);
    }
    for (const auto& r : sub_reads) {
      if (producer.count(r)) reads.push_back(r);  // Names from further out need no ordering.
    }
    for (const auto& in : reads) {
      if (in.empty()) continue;
      auto it = producer.find(in);
      if (it != producer.end()) {
        if (it->second == i) {
          return MakeError(StatusCode::kInvalidModel, graph.nodes[i]->Describe(),
                           " consumes its own output '", in, "' (graph cycle)");
        }
        deps.insert(it->second);
      } else if (!available.count(in)) {
        return MakeError(StatusCode::kInvalidModel, graph.nodes[i]->Describe(), " reads '", in,
                         "' which no node, graph input or initializer produces");
      }
    }
    pending[i] = static_cast<int>(deps.size());
    for (size_t d : deps) consumers[d].push_back(i);
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<size_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (size_t c : consumers[i]) {
      if (--pending[c] == 0) ready.push(c);
    }
  }
  if (order.size() != n) {
    for (size_t i = 0; i < n; ++i) {
      if (pending[i] > 0) {
        return MakeError(StatusCode::kInvalidModel, "graph '", graph.name,
                         "' has a cycle through ", graph.nodes[i]->Describe());
      }
    }
  }
  std::vector<std::unique_ptr<Node>> sorted;
  sorted.reserve(n);
  for (size_t i : order) sorted.push_back(std::move(graph.nodes[i]));
  graph.nodes = std::move(sorted);

  for (const auto& out : graph.outputs) {
    if (!producer.count(out.name) && !available.count(out.name)) {
      return MakeError(StatusCode::kInvalidModel, "graph '", graph.name, "' output '", out.name,
                       "' is not produced by any node");
    }
  }

  // Subgraphs see everything visible here.
  std::vector<std::string> scope(available.begin(), available.end());
  for (const auto& [name, idx] : producer) scope.push_back(name);
  for (auto& node : graph.nodes) {
    for (auto& a : node->attributes) {
      auto sort_sub = [&](Graph& sub) -> Status {
        return TopologicalSort(sub, scope).WithContext(node->Describe() + " attribute '" +
                                                       a.name + "'");
      };
      if (a.g) OE_RETURN_IF_ERROR(sort_sub(*a.g));
      for (auto& g : a.graphs) OE_RETURN_IF_ERROR(sort_sub(*g));
    }
  }
  return Status::Ok();
}

}  // namespace onnxedge::ir
