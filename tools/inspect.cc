// Copyright onnxedge authors.
// `onnxedge inspect MODEL [--json]`: what a model contains, without creating a session, so a
// model with ops onnxedge cannot run can still be inspected and those ops listed.
//
// The model is loaded without function expansion so the histogram shows the ops of the file.
// Only when some op has no kernel is it loaded a second time with expansion (as Session::Load
// does) to tell ops that run through their ONNX function body from ops that cannot run at all.
// Constant nodes are folded into initializers by the loader: they count as parameters and do
// not appear in the histogram.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <tuple>

#include "cli_util.h"
#include "ir/graph.h"
#include "ir/onnx/loader.h"
#include "runtime/kernel.h"
#include "verbs.h"

namespace onnxedge::cli {

const char kInspectUsage[] =
    R"(usage: onnxedge inspect MODEL [--json] [--plan [--shape NAME=DIMS ...]]

Shows what an ONNX model contains without running it: IR version, opset imports, producer,
inputs and outputs with element types and shapes (symbolic dims by name, '?' when unknown),
node count and op histogram (including the bodies of If/Loop/Scan), parameter count and bytes
(initializers and folded Constant nodes, subgraphs included), and the ops onnxedge cannot run.
Ops without a kernel that onnxedge runs by expanding their ONNX function body are listed apart.

options:
  --json       print one JSON line instead of text
  --plan       also create a session, run it once on seeded random inputs and report the
               arena the memory planner lays out for those input shapes
  --shape NAME=DIMS  with --plan: shape of an input with symbolic dims (e.g. x=1x3x224x224)
  -h, --help   show this help
)";

namespace {

struct OpKey {
  std::string domain;
  std::string op_type;
  int opset = 0;
  bool operator<(const OpKey& o) const {
    return std::tie(domain, op_type, opset) < std::tie(o.domain, o.op_type, o.opset);
  }
};

struct GraphStats {
  int64_t nodes = 0;           // In the main graph.
  int64_t subgraph_nodes = 0;  // In If/Loop/Scan bodies, at any depth.
  int64_t subgraphs = 0;
  std::map<std::string, int64_t> histogram;
  std::map<OpKey, int64_t> unsupported;
};

std::string OpName(const std::string& domain, const std::string& op_type) {
  return domain.empty() ? op_type : domain + ":" + op_type;
}

void Walk(const ir::Graph& g, int depth, GraphStats* s) {
  const OpRegistry& registry = OpRegistry::Get();
  for (const auto& n : g.nodes) {
    (depth == 0 ? s->nodes : s->subgraph_nodes) += 1;
    s->histogram[OpName(n->domain, n->op_type)] += 1;
    // Constant nodes become initializers when a session loads the model.
    const bool is_constant = n->domain.empty() && n->op_type == "Constant";
    if (!is_constant && !registry.Find(n->domain, n->op_type, n->opset)) {
      s->unsupported[{n->domain, n->op_type, n->opset}] += 1;
    }
    for (const auto& a : n->attributes) {
      if (a.g) {
        ++s->subgraphs;
        Walk(*a.g, depth + 1, s);
      }
      for (const auto& sg : a.graphs) {
        ++s->subgraphs;
        Walk(*sg, depth + 1, s);
      }
    }
  }
}

std::string HumanBytes(int64_t bytes) {
  char buf[64];
  if (bytes >= (int64_t{1} << 30)) {
    std::snprintf(buf, sizeof(buf), "%.2f GiB", static_cast<double>(bytes) / (1 << 30));
  } else if (bytes >= (1 << 20)) {
    std::snprintf(buf, sizeof(buf), "%.2f MiB", static_cast<double>(bytes) / (1 << 20));
  } else if (bytes >= (1 << 10)) {
    std::snprintf(buf, sizeof(buf), "%.2f KiB", static_cast<double>(bytes) / (1 << 10));
  } else {
    std::snprintf(buf, sizeof(buf), "%lld B", static_cast<long long>(bytes));
  }
  return buf;
}

std::string Grouped(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ",";
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}

void JsonType(JsonWriter& w, const ir::ValueInfo& vi) {
  w.BeginObject().Key("name").String(vi.name).Key("type").String(vi.type.ToString());
  const ir::TypeInfo* t = &vi.type;
  while ((t->kind == ir::TypeInfo::Kind::kSequence || t->kind == ir::TypeInfo::Kind::kOptional) &&
         t->elem) {
    t = t->elem.get();
  }
  w.Key("dtype").String(DataTypeName(t->elem_type));
  w.Key("shape");
  if (!t->has_shape) {
    w.Null();
  } else {
    w.BeginArray();
    for (const auto& d : t->dims) {
      if (d.known()) {
        w.Int(d.value);
      } else if (!d.symbol.empty()) {
        w.String(d.symbol);
      } else {
        w.Null();
      }
    }
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

int InspectMain(const std::vector<std::string>& args) {
  const std::string verb = "inspect";
  ArgParser p(verb, {{"--json"}, {"--plan"}, {"--shape", true, true}});
  if (Status st = p.Parse(args); !st.ok()) return ReportError(verb, st.message());
  if (p.help()) {
    std::cout << kInspectUsage;
    return kExitOk;
  }
  if (p.positionals().size() != 1) {
    return ReportError(verb, "expected exactly one MODEL argument (see 'onnxedge inspect --help')");
  }
  const std::string path = p.positionals()[0];
  const bool json = p.Has("--json");

  onnx_io::LoadOptions lo;  // No has_kernel: keep function ops as they are in the file.
  lo.fold_constants = false;  // Show Constant nodes in the histogram.
  auto model = onnx_io::LoadModel(path, lo);
  if (!model.ok()) return ReportError(verb, model.status());
  const ir::Graph& g = *model->graph;
  GraphStats stats;
  Walk(g, 0, &stats);
  int64_t params = 0, param_bytes = 0;
  g.CountParameters(&params, &param_bytes);

  // Which unsupported ops the session would expand into their function body.
  std::map<OpKey, int64_t> cannot_run = stats.unsupported;
  std::map<OpKey, int64_t> expanded;
  std::string expansion_error;
  if (!stats.unsupported.empty()) {
    onnx_io::LoadOptions elo;
    elo.has_kernel = [](const std::string& domain, const std::string& op, int opset) {
      return OpRegistry::Get().Find(domain, op, opset) != nullptr;
    };
    auto em = onnx_io::LoadModel(path, elo);
    if (em.ok()) {
      GraphStats es;
      Walk(*em->graph, 0, &es);
      // What the session would fail on; ops that disappeared were expanded.
      cannot_run = es.unsupported;
      for (const auto& [k, n] : stats.unsupported) {
        bool still = false;
        for (const auto& [ek, en] : es.unsupported) {
          still = still || (ek.op_type == k.op_type && ek.domain == k.domain);
        }
        if (!still) expanded[k] = n;
      }
    } else {
      expansion_error = em.status().ToString();
    }
  }

  // --plan: the arena planned for one run on seeded random inputs.
  int64_t arena_bytes = -1;
  std::string plan_error;
  if (p.Has("--plan")) {
    auto session = LoadSession(path, 0);
    if (!session.ok()) {
      plan_error = session.status().ToString();
    } else {
      InputOptions io;
      io.shape_flags = p.GetAll("--shape");
      auto feeds = PrepareInputs(**session, io, verb);
      auto run = feeds.ok() ? (*session)->Run(*feeds) : StatusOr<std::vector<NamedValue>>(
                                                            feeds.status());
      if (run.ok()) {
        arena_bytes = static_cast<int64_t>((*session)->memory_info().planned_arena_bytes);
      } else {
        plan_error = run.status().ToString();
      }
    }
  }

  std::vector<const ir::ValueInfo*> inputs;
  int64_t inputs_with_defaults = 0;
  for (const auto& vi : g.inputs) {
    if (g.initializers.count(vi.name)) {
      ++inputs_with_defaults;
    } else {
      inputs.push_back(&vi);
    }
  }
  std::vector<std::pair<std::string, int64_t>> hist(stats.histogram.begin(), stats.histogram.end());
  std::stable_sort(hist.begin(), hist.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });

  if (json) {
    JsonWriter w;
    w.BeginObject();
    w.Key("model").String(path);
    w.Key("ir_version").Int(model->ir_version);
    w.Key("opset_imports").BeginObject();
    for (const auto& [domain, version] : model->opset_imports) {
      w.Key(domain.empty() ? "ai.onnx" : domain).Int(version);
    }
    w.EndObject();
    w.Key("producer_name").String(model->producer_name);
    w.Key("producer_version").String(model->producer_version);
    w.Key("graph_name").String(g.name);
    w.Key("inputs").BeginArray();
    for (const auto* vi : inputs) JsonType(w, *vi);
    w.EndArray();
    w.Key("inputs_with_defaults").Int(inputs_with_defaults);
    w.Key("outputs").BeginArray();
    for (const auto& vi : g.outputs) JsonType(w, vi);
    w.EndArray();
    w.Key("nodes").Int(stats.nodes);
    w.Key("subgraph_nodes").Int(stats.subgraph_nodes);
    w.Key("subgraphs").Int(stats.subgraphs);
    w.Key("op_histogram").BeginObject();
    for (const auto& [op, n] : hist) w.Key(op).Int(n);
    w.EndObject();
    w.Key("parameters").Int(params);
    w.Key("parameter_bytes").Int(param_bytes);
    if (arena_bytes >= 0) w.Key("planned_arena_bytes").Int(arena_bytes);
    if (!plan_error.empty()) w.Key("plan_error").String(plan_error);
    auto op_list = [&](const char* key, const std::map<OpKey, int64_t>& ops) {
      w.Key(key).BeginArray();
      for (const auto& [k, n] : ops) {
        w.BeginObject()
            .Key("domain")
            .String(k.domain.empty() ? "ai.onnx" : k.domain)
            .Key("op_type")
            .String(k.op_type)
            .Key("opset")
            .Int(k.opset)
            .Key("count")
            .Int(n)
            .EndObject();
      }
      w.EndArray();
    };
    op_list("unsupported_ops", cannot_run);
    op_list("expanded_ops", expanded);
    if (!expansion_error.empty()) w.Key("expansion_error").String(expansion_error);
    w.Key("metadata").BeginObject();
    for (const auto& [k, v] : model->metadata) w.Key(k).String(v);
    w.EndObject();
    w.EndObject();
    std::cout << w.str() << std::endl;
    return kExitOk;
  }

  std::ostream& o = std::cout;
  o << "model:      " << path << "\n";
  o << "ir_version: " << model->ir_version << "\n";
  o << "opsets:     ";
  bool first = true;
  for (const auto& [domain, version] : model->opset_imports) {
    o << (first ? "" : ", ") << (domain.empty() ? "ai.onnx" : domain) << " " << version;
    first = false;
  }
  o << "\n";
  o << "producer:   " << (model->producer_name.empty() ? "(unknown)" : model->producer_name)
    << (model->producer_version.empty() ? "" : " " + model->producer_version) << "\n";
  for (const auto& [k, v] : model->metadata) o << "metadata:   " << k << " = " << v << "\n";
  size_t width = 4;
  for (const auto* vi : inputs) width = std::max(width, vi->name.size());
  for (const auto& vi : g.outputs) width = std::max(width, vi.name.size());
  o << "inputs (" << inputs.size() << "):\n";
  for (const auto* vi : inputs) {
    o << "  " << vi->name << std::string(width - vi->name.size() + 2, ' ') << vi->type.ToString()
      << "\n";
  }
  if (inputs_with_defaults) {
    o << "  (+" << inputs_with_defaults << " inputs with initializer defaults)\n";
  }
  o << "outputs (" << g.outputs.size() << "):\n";
  for (const auto& vi : g.outputs) {
    o << "  " << vi.name << std::string(width - vi.name.size() + 2, ' ') << vi.type.ToString()
      << "\n";
  }
  o << "nodes:      " << stats.nodes;
  if (stats.subgraphs) {
    o << " (+" << stats.subgraph_nodes << " in " << stats.subgraphs << " subgraphs)";
  }
  o << "\n";
  o << "parameters: " << Grouped(params) << " (" << HumanBytes(param_bytes) << ")\n";
  if (arena_bytes >= 0) {
    o << "arena:      " << HumanBytes(arena_bytes) << " (planned for one run)\n";
  }
  if (!plan_error.empty()) o << "arena:      not planned: " << plan_error << "\n";
  o << "ops (" << hist.size() << " types):\n";
  size_t op_width = 4;
  for (const auto& [op, n] : hist) op_width = std::max(op_width, op.size());
  for (const auto& [op, n] : hist) {
    o << "  " << op << std::string(op_width - op.size() + 2, ' ') << n << "\n";
  }
  auto print_ops = [&](const std::map<OpKey, int64_t>& ops) {
    for (const auto& [k, n] : ops) {
      o << "  " << OpName(k.domain, k.op_type) << " (opset " << k.opset << ", " << n
        << (n == 1 ? " node" : " nodes") << ")\n";
    }
  };
  if (!expanded.empty()) {
    o << "run via function expansion:\n";
    print_ops(expanded);
  }
  if (cannot_run.empty()) {
    o << "unsupported ops: none\n";
  } else {
    o << "unsupported ops (" << cannot_run.size() << "):\n";
    print_ops(cannot_run);
  }
  if (!expansion_error.empty()) o << "note: function expansion failed: " << expansion_error << "\n";
  return kExitOk;
}

}  // namespace onnxedge::cli
