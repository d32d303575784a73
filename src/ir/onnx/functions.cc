// Copyright onnxedge authors.
// Function expansion:
//   Y = F(A, B) {attr=v}   with F's body  { T = Op1(X1); Y1 = Op2(T, X2) {a=@attr} }
//   becomes  fn7_T = Op1(A); Y = Op2(fn7_T, B) {a=v}
// Formal inputs/outputs map to the caller's names, every other body name gets a unique prefix
// (also inside the body's subgraphs), and attribute references take the caller's value or the
// schema default.
#include "ir/onnx/functions.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "ir/onnx/inference_guard.h"
#include "ir/onnx/opset.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

namespace onnxedge::onnx_io {

namespace {

constexpr int kMaxExpansionDepth = kMaxFunctionNesting;

using NameMap = std::unordered_map<std::string, std::string>;

struct Renamer {
  const NameMap* formals;
  std::string prefix;
  std::string operator()(const std::string& name) const {
    if (name.empty()) return name;
    auto it = formals->find(name);
    if (it != formals->end()) return it->second;
    return prefix + name;
  }
};

void RenameGraph(ir::Graph& g, const Renamer& rename);

void RenameNode(ir::Node& n, const Renamer& rename) {
  for (auto& in : n.inputs) in = rename(in);
  for (auto& out : n.outputs) out = rename(out);
  for (auto& a : n.attributes) {
    if (a.g) RenameGraph(*a.g, rename);
    for (auto& g : a.graphs) RenameGraph(*g, rename);
  }
}

void RenameGraph(ir::Graph& g, const Renamer& rename) {
  for (auto& v : g.inputs) v.name = rename(v.name);
  for (auto& v : g.outputs) v.name = rename(v.name);
  std::map<std::string, Tensor> inits;
  for (auto& [name, t] : g.initializers) inits.emplace(rename(name), t);
  g.initializers = std::move(inits);
  std::unordered_map<std::string, ir::TypeInfo> vi;
  for (auto& [name, t] : g.value_info) vi.emplace(rename(name), t);
  g.value_info = std::move(vi);
  for (auto& n : g.nodes) RenameNode(*n, rename);
}

// Resolves attribute references (ref_attr_name) against the caller's attributes and the
// schema's defaults. Recurses into subgraphs of the body.
void SubstituteAttributes(ir::Node& n, const ir::Node& caller,
                          const std::map<std::string, ir::Attribute>& defaults) {
  std::vector<ir::Attribute> out;
  for (auto& a : n.attributes) {
    if (!a.ref_attr_name.empty()) {
      const ir::Attribute* src = caller.FindAttribute(a.ref_attr_name);
      if (!src) {
        auto it = defaults.find(a.ref_attr_name);
        if (it == defaults.end()) continue;  // Unset optional attribute: drop it.
        src = &it->second;
      }
      ir::Attribute copy = *src;
      copy.name = a.name;
      copy.ref_attr_name.clear();
      out.push_back(std::move(copy));
      continue;
    }
    if (a.g) {
      for (auto& sn : a.g->nodes) SubstituteAttributes(*sn, caller, defaults);
    }
    for (auto& g : a.graphs) {
      for (auto& sn : g->nodes) SubstituteAttributes(*sn, caller, defaults);
    }
    out.push_back(std::move(a));
  }
  n.attributes = std::move(out);
}

// Finds the static type of a value visible from the current graph (scope chain).
struct Scope {
  const ir::Graph* graph;
  const Scope* parent;
  const ir::TypeInfo* Find(const std::string& name, ir::TypeInfo* scratch) const {
    for (const Scope* s = this; s; s = s->parent) {
      if (const auto* t = s->graph->FindType(name)) return t;
      auto it = s->graph->initializers.find(name);
      if (it != s->graph->initializers.end()) {
        *scratch = ir::TypeInfo::Tensor(it->second.dtype());
        scratch->has_shape = true;
        for (int64_t d : it->second.shape()) scratch->dims.push_back(ir::Dim{d, ""});
        return scratch;
      }
    }
    return nullptr;
  }
};

// Runs ONNX type inference over an expanded body whose inputs are the caller's (typed) inputs,
// and records the inferred types of the body's values in `body->value_info`.
void InferBodyTypes(const ir::Node& caller, const Scope& scope, ir::Graph* body) {
  onnx::GraphProto gp;
  GraphToProto(*body, &gp);
  std::unordered_map<std::string, int> opsets;
  for (const auto& n : body->nodes) opsets[n->domain] = n->opset;
  for (const auto& in : caller.inputs) {
    ir::TypeInfo scratch;
    const ir::TypeInfo* t = in.empty() ? nullptr : scope.Find(in, &scratch);
    if (!t) continue;
    auto* vi = gp.add_input();
    vi->set_name(in);
    TypeToProto(*t, vi->mutable_type());
  }
  try {
    onnx::shape_inference::InferShapes(&gp, opsets, GuardedSchemaRegistry(),
                                       onnx::ShapeInferenceOptions(false, 0, false));
  } catch (const std::exception&) {
    return;  // Expansion then proceeds without types; a failure surfaces as a missing kernel.
  }
  for (const auto& vi : gp.value_info()) {
    ir::TypeInfo t = ConvertType(vi.type());
    if (t.kind != ir::TypeInfo::Kind::kUnknown) body->value_info[vi.name()] = std::move(t);
  }
}

class Expander {
 public:
  Expander(const onnx::ModelProto& mp, const KernelQuery& has_kernel, ConvertContext& ctx,
           ir::Model* model)
      : has_kernel_(has_kernel), ctx_(ctx), model_(model) {
    for (const auto& f : mp.functions()) local_[{f.domain(), f.name()}] = &f;
  }

  Status ExpandGraph(ir::Graph& g, const Scope* parent, int depth) {
    Scope scope{&g, parent};
    std::vector<std::unique_ptr<ir::Node>> out;
    out.reserve(g.nodes.size());
    for (auto& node : g.nodes) {
      for (auto& a : node->attributes) {
        if (a.g) OE_RETURN_IF_ERROR(ExpandGraph(*a.g, &scope, 0));
        for (auto& sg : a.graphs) OE_RETURN_IF_ERROR(ExpandGraph(*sg, &scope, 0));
      }
      if (has_kernel_(node->domain, node->op_type, node->opset)) {
        out.push_back(std::move(node));
        continue;
      }
      std::vector<std::unique_ptr<ir::Node>> body;
      bool expanded = false;
      OE_RETURN_IF_ERROR(Expand(*node, g, scope, &body, &expanded));
      if (!expanded) {
        out.push_back(std::move(node));
        continue;
      }
      if (depth >= kMaxExpansionDepth) {
        return MakeError(StatusCode::kInvalidModel, node->Describe(),
                         ": function bodies nest deeper than ", kMaxExpansionDepth, " levels");
      }
      // The body may itself use function ops; expand it as a small graph of its own. Nested
      // context-dependent functions (e.g. NegativeLogLikelihoodLoss inside
      // SoftmaxCrossEntropyLoss) need the types of the body's intermediate values.
      ir::Graph tmp;
      tmp.nodes = std::move(body);
      InferBodyTypes(*node, scope, &tmp);
      OE_RETURN_IF_ERROR(ExpandGraph(tmp, &scope, depth + 1));
      for (auto& [name, t] : tmp.initializers) g.initializers.emplace(name, t);
      for (auto& bn : tmp.nodes) out.push_back(std::move(bn));
    }
    g.nodes = std::move(out);
    return Status::Ok();
  }

 private:
  Status Expand(const ir::Node& node, ir::Graph& g, const Scope& scope,
                std::vector<std::unique_ptr<ir::Node>>* body, bool* expanded) {
    onnx::FunctionProto built;
    const onnx::FunctionProto* fn = nullptr;
    std::map<std::string, ir::Attribute> defaults;

    auto local = local_.find({node.domain, node.op_type});
    if (local != local_.end()) {
      fn = local->second;
    } else {
      if (!NewerVersions(node.op_type, node.opset).empty()) return Status::Ok();
      const auto* schema = ::onnx::OpSchemaRegistry::Schema(
          node.op_type, std::min(node.opset, node.domain.empty() ? kMaxSchemaOpset : node.opset),
          node.domain);
      if (!schema) return Status::Ok();
      for (const auto& [name, attr] : schema->attributes()) {
        if (!attr.default_value.has_type() && attr.default_value.name().empty()) continue;
        auto converted = ConvertAttribute(attr.default_value, ctx_, 0);
        if (converted.ok() && converted->type != ir::Attribute::Type::kUndefined) {
          defaults[name] = std::move(converted).value();
        }
      }
      if (schema->HasFunction() && schema->GetFunction() != nullptr) {
        fn = schema->GetFunction();
      } else if (schema->HasContextDependentFunction()) {
        onnx::NodeProto np;
        np.set_op_type(node.op_type);
        np.set_domain(node.domain);
        for (const auto& in : node.inputs) np.add_input(in);
        for (const auto& out : node.outputs) np.add_output(out);
        for (const auto& a : node.attributes) {
          if (a.type == ir::Attribute::Type::kGraph || a.type == ir::Attribute::Type::kGraphs) {
            continue;
          }
          AttributeToProto(a, np.add_attribute());
        }
        std::vector<onnx::TypeProto> types;
        for (const auto& in : node.inputs) {
          onnx::TypeProto tp;
          ir::TypeInfo scratch;
          if (!in.empty()) {
            if (const auto* t = scope.Find(in, &scratch)) TypeToProto(*t, &tp);
          }
          types.push_back(std::move(tp));
        }
        onnx::FunctionBodyBuildContextImpl build_ctx(np, types);
        bool ok = false;
        try {
          ok = schema->BuildContextDependentFunction(build_ctx, built);
        } catch (const std::exception&) {
          ok = false;
        }
        if (!ok) return Status::Ok();  // Reported later as a missing kernel.
        fn = &built;
      } else {
        return Status::Ok();
      }
    }

    // Opsets for the body: the function's own imports, falling back to the model's.
    std::map<std::string, int64_t> imports = model_->opset_imports;
    for (const auto& op : fn->opset_import()) {
      imports[op.domain() == "ai.onnx" ? "" : op.domain()] = op.version();
    }
    if (!imports.count("")) imports[""] = node.opset;

    NameMap formals;
    for (int i = 0; i < fn->input_size(); ++i) {
      formals[fn->input(i)] =
          i < static_cast<int>(node.inputs.size()) ? node.inputs[static_cast<size_t>(i)] : "";
    }
    for (int i = 0; i < fn->output_size(); ++i) {
      formals[fn->output(i)] =
          i < static_cast<int>(node.outputs.size()) ? node.outputs[static_cast<size_t>(i)] : "";
    }
    Renamer rename{&formals, "_fn" + std::to_string(ctx_.next_id++) + "_"};
    for (const auto& np : fn->node()) {
      auto converted = ConvertNode(np, ctx_, 1, imports);
      if (!converted.ok()) {
        return converted.status().WithContext(node.Describe() + " function body");
      }
      auto bn = std::move(converted).value();
      SubstituteAttributes(*bn, node, defaults);
      RenameNode(*bn, rename);
      if (bn->name.empty()) bn->name = rename(bn->op_type);
      else bn->name = rename(bn->name);
      body->push_back(std::move(bn));
    }
    *expanded = true;
    return Status::Ok();
  }

  const KernelQuery& has_kernel_;
  ConvertContext& ctx_;
  ir::Model* model_;
  std::map<std::pair<std::string, std::string>, const onnx::FunctionProto*> local_;
};

using FunctionKey = std::pair<std::string, std::string>;

std::string NormalizeDomain(const std::string& domain) {
  return domain == "ai.onnx" ? std::string() : domain;
}

std::string FunctionName(const FunctionKey& key) {
  return key.first.empty() ? key.second : key.first + "." + key.second;
}

// Counts the nodes of `nodes` (and of their subgraphs): calls of local functions go to `calls`,
// every other node to `plain`. Recursion depth is bounded by protobuf's nesting limit.
void CollectCalls(const google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes,
                  const std::map<FunctionKey, size_t>& index, std::vector<size_t>* calls,
                  uint64_t* plain) {
  for (const auto& n : nodes) {
    auto it = index.find({NormalizeDomain(n.domain()), n.op_type()});
    if (it != index.end()) {
      calls->push_back(it->second);
    } else {
      ++*plain;
    }
    for (const auto& a : n.attribute()) {
      if (a.has_g()) CollectCalls(a.g().node(), index, calls, plain);
      for (const auto& g : a.graphs()) CollectCalls(g.node(), index, calls, plain);
    }
  }
}

}  // namespace

Status CheckLocalFunctions(const onnx::ModelProto& mp, uint64_t max_nodes) {
  if (mp.functions_size() == 0) return Status::Ok();
  std::map<FunctionKey, size_t> index;
  std::vector<FunctionKey> keys;
  for (const auto& f : mp.functions()) {
    FunctionKey key{NormalizeDomain(f.domain()), f.name()};
    if (!index.emplace(key, keys.size()).second) {
      return MakeError(StatusCode::kInvalidModel, "model-local function '", FunctionName(key),
                       "' is defined twice");
    }
    keys.push_back(std::move(key));
  }
  const size_t n = keys.size();
  std::vector<std::vector<size_t>> calls(n);
  std::vector<uint64_t> own(n, 0);
  for (size_t i = 0; i < n; ++i) {
    CollectCalls(mp.functions(static_cast<int>(i)).node(), index, &calls[i], &own[i]);
  }
  // Iterative depth-first search: finds cycles and computes, per function, the nodes it
  // expands to (saturating just above the limit) and the depth of its call chains.
  const uint64_t cap = max_nodes + 1;
  std::vector<int> state(n, 0);  // 0 new, 1 on the stack, 2 done
  std::vector<uint64_t> size(n, 0);
  std::vector<int> depth(n, 0);
  for (size_t root = 0; root < n; ++root) {
    if (state[root]) continue;
    std::vector<std::pair<size_t, size_t>> stack{{root, 0}};
    state[root] = 1;
    while (!stack.empty()) {
      auto& [f, next] = stack.back();
      if (next < calls[f].size()) {
        const size_t callee = calls[f][next++];
        if (state[callee] == 1) {
          std::string cycle;
          bool on = false;
          for (const auto& [g, unused] : stack) {
            on = on || g == callee;
            if (on) cycle += FunctionName(keys[g]) + " -> ";
          }
          return MakeError(StatusCode::kInvalidModel, "model-local function '",
                           FunctionName(keys[callee]), "' is recursive (", cycle,
                           FunctionName(keys[callee]), ")");
        }
        if (state[callee] == 0) {
          state[callee] = 1;
          stack.push_back({callee, 0});
        }
        continue;
      }
      uint64_t total = own[f];
      int d = 0;
      for (size_t callee : calls[f]) {
        total = std::min(cap, total + size[callee]);
        d = std::max(d, depth[callee]);
      }
      size[f] = total;
      depth[f] = d + 1;
      state[f] = 2;
      if (depth[f] > kMaxFunctionNesting) {
        return MakeError(StatusCode::kInvalidModel, "model-local function '",
                         FunctionName(keys[f]), "' nests function calls ", depth[f],
                         " deep, more than ", kMaxFunctionNesting);
      }
      if (size[f] > max_nodes) {
        return MakeError(StatusCode::kInvalidModel, "model-local function '",
                         FunctionName(keys[f]), "' expands to more than ", max_nodes,
                         " nodes");
      }
      stack.pop_back();
    }
  }
  std::vector<size_t> graph_calls;
  uint64_t total = 0;
  CollectCalls(mp.graph().node(), index, &graph_calls, &total);
  for (size_t callee : graph_calls) total = std::min(cap, total + size[callee]);
  if (total > max_nodes) {
    return MakeError(StatusCode::kInvalidModel, "the graph expands to more than ", max_nodes,
                     " nodes through model-local functions");
  }
  return Status::Ok();
}

Status ExpandFunctions(const onnx::ModelProto& model_proto, const KernelQuery& has_kernel,
                       ConvertContext& ctx, ir::Model* model) {
  Expander expander(model_proto, has_kernel, ctx, model);
  OE_RETURN_IF_ERROR(expander.ExpandGraph(*model->graph, nullptr, 0));
  return ir::TopologicalSort(*model->graph);
}

}  // namespace onnxedge::onnx_io
