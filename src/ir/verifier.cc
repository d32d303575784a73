// Copyright onnxedge authors.
#include "ir/verifier.h"

#include <map>
#include <unordered_map>
#include <unordered_set>

namespace onnxedge::ir {

namespace {

// Ops whose first `n` inputs (-1: all inputs) share one element type with output 0.
const std::map<std::string, int>& SameTypeOps() {
  static const auto* table = new std::map<std::string, int>{
      {"Abs", -1}, {"Add", -1}, {"AveragePool", 1}, {"BatchNormalization", 1},
      {"Clip", -1}, {"Concat", -1}, {"Conv", -1}, {"ConvTranspose", -1}, {"Div", -1},
      {"Dropout", 1}, {"Elu", 1}, {"Erf", 1}, {"Exp", 1}, {"Expand", 1},
      {"FastGelu", -1}, {"Flatten", 1}, {"Gather", 1}, {"Gelu", 1}, {"Gemm", -1},
      {"GlobalAveragePool", 1}, {"GlobalMaxPool", 1}, {"HardSigmoid", 1}, {"HardSwish", 1},
      {"Identity", 1}, {"LayerNormalization", 1}, {"LeakyRelu", 1}, {"Log", 1},
      {"MatMul", -1}, {"MaxPool", 1}, {"Mul", -1}, {"Neg", 1}, {"Pad", 1},
      {"Reciprocal", 1}, {"ReduceMax", 1}, {"ReduceMean", 1}, {"ReduceMin", 1},
      {"ReduceSum", 1}, {"Relu", 1}, {"Reshape", 1}, {"Resize", 1}, {"Sigmoid", 1},
      {"SkipLayerNormalization", 2}, {"Slice", 1}, {"Softmax", 1}, {"Sqrt", 1},
      {"Squeeze", 1}, {"Sub", -1}, {"Tanh", 1}, {"Tile", 1}, {"Transpose", 1},
      {"Unsqueeze", 1}, {"Where", 0},
  };
  return *table;
}

class Verifier {
 public:
  Status Graph(const ir::Graph& g, const std::unordered_set<std::string>& outer) {
    std::unordered_set<std::string> defined;
    std::unordered_map<std::string, const Node*> producer;
    for (const auto& in : g.inputs) {
      if (!defined.insert(in.name).second) {
        return Err(g, "input '" + in.name + "' is declared twice");
      }
    }
    for (const auto& [name, t] : g.initializers) {
      defined.insert(name);
      auto vi = g.value_info.find(name);
      if (vi != g.value_info.end()) OE_RETURN_IF_ERROR(CheckTensorType(g, name, t, vi->second));
    }
    auto visible = [&](const std::string& v) { return defined.count(v) || outer.count(v); };
    for (const auto& n : g.nodes) {
      if (n->op_type.empty()) return Err(g, n->Describe() + " has no op type");
      if (n->opset <= 0) return Err(g, n->Describe() + " has no opset");
      for (const auto& in : n->inputs) {
        if (in.empty() || visible(in)) continue;
        if (producer.count(in) == 0) {
          bool later = false;
          for (const auto& m : g.nodes) {
            for (const auto& o : m->outputs) later |= o == in;
          }
          return Err(g, n->Describe() + " reads '" + in + "', which " +
                            (later ? "is produced only after it (not topologically sorted)"
                                   : "nothing defines"));
        }
      }
      for (const auto& o : n->outputs) {
        if (o.empty()) continue;
        if (defined.count(o)) {
          auto p = producer.find(o);
          return Err(g, n->Describe() + " writes '" + o + "', which " +
                            (p != producer.end() ? p->second->Describe() + " also produces"
                                                 : std::string("is a graph input or initializer")));
        }
        defined.insert(o);
        producer[o] = n.get();
      }
      OE_RETURN_IF_ERROR(CheckTypes(g, *n));
      bool has_subgraphs = false;
      for (const auto& a : n->attributes) has_subgraphs |= a.g || !a.graphs.empty();
      if (!has_subgraphs) continue;
      std::unordered_set<std::string> inner = outer;
      inner.insert(defined.begin(), defined.end());
      for (const auto& a : n->attributes) {
        if (a.g) OE_RETURN_IF_ERROR(Sub(*a.g, inner, *n, a.name));
        for (const auto& sg : a.graphs) OE_RETURN_IF_ERROR(Sub(*sg, inner, *n, a.name));
      }
    }
    for (const auto& o : g.outputs) {
      if (!visible(o.name)) return Err(g, "output '" + o.name + "' is not defined");
    }
    return Status::Ok();
  }

 private:
  Status Sub(const ir::Graph& sub, const std::unordered_set<std::string>& scope, const Node& n,
             const std::string& attr) {
    return Graph(sub, scope).WithContext(n.Describe() + " attribute '" + attr + "'");
  }

  static Status Err(const ir::Graph& g, const std::string& msg) {
    return MakeError(StatusCode::kInternal, "graph verification failed: graph '", g.name, "': ",
                     msg);
  }

  static Status CheckTensorType(const ir::Graph& g, const std::string& name, const Tensor& t,
                                const TypeInfo& type) {
    if (type.kind != TypeInfo::Kind::kTensor) return Status::Ok();
    if (type.elem_type != DataType::kUndefined && type.elem_type != t.dtype()) {
      return Err(g, "initializer '" + name + "' is " + DataTypeName(t.dtype()) +
                        " but its recorded type is " + type.ToString());
    }
    if (type.has_shape) {
      bool ok = type.dims.size() == t.rank();
      for (size_t i = 0; ok && i < type.dims.size(); ++i) {
        ok = !type.dims[i].known() || type.dims[i].value == t.dim(i);
      }
      if (!ok) {
        return Err(g, "initializer '" + name + "' has shape " + ShapeToString(t.shape()) +
                          " but its recorded type is " + type.ToString());
      }
    }
    return Status::Ok();
  }

  static DataType ElemType(const ir::Graph& g, const std::string& v) {
    if (v.empty()) return DataType::kUndefined;
    auto it = g.initializers.find(v);
    if (it != g.initializers.end()) return it->second.dtype();
    const TypeInfo* t = g.FindType(v);
    return t && t->kind == TypeInfo::Kind::kTensor ? t->elem_type : DataType::kUndefined;
  }

  static Status CheckTypes(const ir::Graph& g, const Node& n) {
    if (n.op_type == "Cast" && n.domain.empty() && !n.outputs.empty()) {
      const Attribute* to = n.FindAttribute("to");
      const DataType out = ElemType(g, n.outputs[0]);
      if (to && out != DataType::kUndefined && static_cast<int64_t>(out) != to->i) {
        return Err(g, n.Describe() + " casts to type " + std::to_string(to->i) + " but its " +
                          "output is recorded as " + DataTypeName(out));
      }
      return Status::Ok();
    }
    auto it = SameTypeOps().find(n.op_type);
    if (it == SameTypeOps().end() || n.outputs.empty()) return Status::Ok();
    if (!n.domain.empty() && n.domain != "com.microsoft" && n.domain != "com.onnxedge") {
      return Status::Ok();
    }
    const size_t count = it->second < 0 ? n.inputs.size()
                                        : std::min<size_t>(n.inputs.size(), it->second);
    DataType t = ElemType(g, n.outputs[0]);
    std::string first = n.outputs[0];
    for (size_t i = 0; i < count; ++i) {
      const DataType ti = ElemType(g, n.inputs[i]);
      if (ti == DataType::kUndefined) continue;
      if (t == DataType::kUndefined) {
        t = ti;
        first = n.inputs[i];
      } else if (ti != t) {
        return Err(g, n.Describe() + " mixes element types: '" + n.inputs[i] + "' is " +
                          DataTypeName(ti) + " but '" + first + "' is " + DataTypeName(t));
      }
    }
    return Status::Ok();
  }
};

}  // namespace

Status VerifyGraph(const Graph& graph, const std::vector<std::string>& outer_scope) {
  std::unordered_set<std::string> outer(outer_scope.begin(), outer_scope.end());
  return Verifier().Graph(graph, outer);
}

}  // namespace onnxedge::ir
