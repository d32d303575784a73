// Copyright onnxedge authors.
#include "optimizer/pass_manager.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>

#include "core/logging.h"
#include "ir/onnx/opset_upgrade.h"
#include "ir/verifier.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pipelines.h"
#include "runtime/kernel.h"
#include "runtime/thread_pool.h"

namespace onnxedge::opt {

// --- NameGenerator and PassContext ------------------------------------------------------------

namespace {

void CollectNames(const ir::Graph& g, std::unordered_set<std::string>* used) {
  for (const auto& v : g.inputs) used->insert(v.name);
  for (const auto& v : g.outputs) used->insert(v.name);
  for (const auto& [name, t] : g.initializers) used->insert(name);
  for (const auto& [name, t] : g.value_info) used->insert(name);
  for (const auto& n : g.nodes) {
    used->insert(n->name);
    for (const auto& v : n->inputs) used->insert(v);
    for (const auto& v : n->outputs) used->insert(v);
    for (const auto& a : n->attributes) {
      if (a.g) CollectNames(*a.g, used);
      for (const auto& sg : a.graphs) CollectNames(*sg, used);
    }
  }
}

}  // namespace

NameGenerator::NameGenerator(const ir::Model& model) {
  if (model.graph) CollectNames(*model.graph, &used_);
}

std::string NameGenerator::Fresh(const std::string& hint) {
  std::string base = hint.empty() ? std::string("v") : hint;
  if (used_.insert(base).second) return base;
  for (;;) {
    std::string name = base + "_oe" + std::to_string(counter_++);
    if (used_.insert(name).second) return name;
  }
}

int PassContext::Opset(const std::string& domain) const {
  auto it = model->opset_imports.find(domain);
  return it == model->opset_imports.end() ? 0 : static_cast<int>(it->second);
}

bool PassContext::HasKernel(const std::string& domain, const std::string& op_type, int opset) {
  return OpRegistry::Get().Find(domain, op_type, opset) != nullptr;
}

bool PassContext::CanUseOnnxOpset(int opset) const {
  const int have = Opset("");
  if (have >= opset || !for_export) return true;
  return have > 0 && onnx_io::CanUpgradeOnnxOpset(*model->graph, have, opset, nullptr);
}

void PassContext::RequireDomain(const std::string& domain, int version) const {
  auto& v = model->opset_imports[domain];
  if (v < version) v = version;
}

// --- Pass manager -----------------------------------------------------------------------------

int64_t CountNodes(const ir::Graph& g) {
  int64_t n = static_cast<int64_t>(g.nodes.size());
  for (const auto& node : g.nodes) {
    for (const auto& a : node->attributes) {
      if (a.g) n += CountNodes(*a.g);
      for (const auto& sg : a.graphs) n += CountNodes(*sg);
    }
  }
  return n;
}

const char* LevelName(OptimizationLevel level) {
  switch (level) {
    case OptimizationLevel::kDisabled: return "disabled";
    case OptimizationLevel::kBasic: return "basic";
    case OptimizationLevel::kExtended: return "extended";
    case OptimizationLevel::kAll: return "all";
  }
  return "all";
}

StatusOr<OptimizationLevel> ParseLevel(const std::string& name) {
  for (auto l : {OptimizationLevel::kDisabled, OptimizationLevel::kBasic,
                 OptimizationLevel::kExtended, OptimizationLevel::kAll}) {
    if (name == LevelName(l)) return l;
  }
  return MakeError(StatusCode::kInvalidArgument, "unknown optimization level '", name,
                   "' (expected disabled, basic, extended or all)");
}

namespace {

// Runs `pass` on `graph` and then on each of its subgraphs (which see `scope` plus everything
// this graph defines).
StatusOr<int> RunOnGraph(const Pass& pass, ir::Graph& graph, const PassContext& ctx,
                         const std::vector<std::string>& scope,
                         const std::vector<const ir::Graph*>& outer) {
  GraphEditor editor(graph, ctx, scope, outer);
  OE_ASSIGN_OR_RETURN(int rewrites, pass.Run(editor, ctx));
  OE_RETURN_IF_ERROR(editor.Commit());
  bool has_subgraphs = false;
  for (const auto& n : graph.nodes) {
    for (const auto& a : n->attributes) has_subgraphs |= a.g || !a.graphs.empty();
  }
  if (!has_subgraphs) return rewrites;
  std::vector<std::string> inner = scope;
  std::vector<const ir::Graph*> inner_graphs = outer;
  inner_graphs.push_back(&graph);
  for (const auto& v : graph.inputs) inner.push_back(v.name);
  for (const auto& [name, t] : graph.initializers) inner.push_back(name);
  for (const auto& n : graph.nodes) {
    for (const auto& o : n->outputs) {
      if (!o.empty()) inner.push_back(o);
    }
  }
  for (auto& n : graph.nodes) {
    for (auto& a : n->attributes) {
      if (a.g) {
        OE_ASSIGN_OR_RETURN(int r, RunOnGraph(pass, *a.g, ctx, inner, inner_graphs));
        rewrites += r;
      }
      for (auto& sg : a.graphs) {
        OE_ASSIGN_OR_RETURN(int r, RunOnGraph(pass, *sg, ctx, inner, inner_graphs));
        rewrites += r;
      }
    }
  }
  return rewrites;
}

bool VerifyRequested(const OptimizeOptions& options) {
#ifndef NDEBUG
  return true;
#else
  if (options.verify) return true;
  // Testing only (CI sets it for the whole test suite); not a user-facing switch.
  const char* env = std::getenv("ONNXEDGE_VERIFY_PASSES");
  return env && std::strcmp(env, "1") == 0;
#endif
}

}  // namespace

Status Optimize(ir::Model& model, const OptimizeOptions& options, OptimizeReport* report) {
  OptimizeReport local;
  OptimizeReport& rep = report ? *report : local;
  rep = OptimizeReport();
  if (!model.graph) return Status::Ok();
  rep.nodes_before = rep.nodes_after = CountNodes(*model.graph);
  const auto& pipeline = Pipeline();
  std::set<std::string> known;
  for (const auto& e : pipeline) known.insert(e.pass->name());
  std::vector<std::string> named = options.disabled_passes;
  named.insert(named.end(), options.enabled_passes.begin(), options.enabled_passes.end());
  for (const auto& name : named) {
    if (!known.count(name)) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return MakeError(StatusCode::kInvalidArgument, "unknown optimizer pass '", name,
                       "' (known passes: ", list, ")");
    }
  }
  if (options.level == OptimizationLevel::kDisabled) return Status::Ok();
  const std::set<std::string> disabled(options.disabled_passes.begin(),
                                       options.disabled_passes.end());
  const std::set<std::string> enabled(options.enabled_passes.begin(),
                                      options.enabled_passes.end());
  // A model that is already inconsistent (mixed element types the kernels will reject with
  // their own messages) cannot be blamed on a pass: verify only graphs that start out valid.
  const bool verify = VerifyRequested(options) && ir::VerifyGraph(*model.graph).ok();
  NameGenerator names(model);
  ThreadPool pool(1);
  PassContext ctx;
  ctx.model = &model;
  ctx.level = options.level;
  ctx.for_export = options.for_export;
  ctx.names = &names;
  ctx.pool = &pool;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& entry : pipeline) {
    if (static_cast<int>(entry.level) > static_cast<int>(options.level)) continue;
    const std::string name = entry.pass->name();
    if (disabled.count(name)) continue;
    if (entry.group && disabled.count(entry.group)) continue;
    if (entry.opt_in && !enabled.count(entry.group ? entry.group : name.c_str())) continue;
    PassStats st;
    st.name = name;
    st.nodes_before = CountNodes(*model.graph);
    const auto t0 = std::chrono::steady_clock::now();
    auto rewrites = RunOnGraph(*entry.pass, *model.graph, ctx, {}, {});
    if (!rewrites.ok()) return rewrites.status().WithContext("optimizer pass '" + name + "'");
    st.rewrites = *rewrites;
    st.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
    st.nodes_after = CountNodes(*model.graph);
    if (verify) {
      Status v = ir::VerifyGraph(*model.graph);
      if (!v.ok()) return v.WithContext("after optimizer pass '" + name + "'");
    }
    rep.passes.push_back(st);
    if (options.after_pass) OE_RETURN_IF_ERROR(options.after_pass(name, model));
  }
  rep.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
               .count();
  rep.nodes_after = CountNodes(*model.graph);
  return Status::Ok();
}

Status OptimizeForSession(ir::Model& model, const SessionOptions& options) {
  OptimizeOptions o;
  o.level = options.optimization_level;
  o.disabled_passes = options.disabled_passes;
  o.enabled_passes = options.enabled_passes;
  // Environment switches for A/B measurements of whole programs (benchmarks, tools) whose
  // SessionOptions cannot be changed: comma-separated pass names, added to the options'.
  auto append_env = [](const char* var, std::vector<std::string>* names) {
    const char* env = std::getenv(var);
    if (!env) return;
    const std::string list = env;
    size_t start = 0;
    while (start <= list.size()) {
      const size_t comma = std::min(list.find(',', start), list.size());
      if (comma > start) names->push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
  };
  append_env("ONNXEDGE_ENABLE_PASSES", &o.enabled_passes);
  append_env("ONNXEDGE_DISABLE_PASSES", &o.disabled_passes);
  o.verify = options.verify_optimizer_passes;
  OptimizeReport report;
  OE_RETURN_IF_ERROR(Optimize(model, o, &report));
  if (options.log_level <= LogLevel::kVerbose) {
    for (const auto& p : report.passes) {
      Log(options.log_level, LogLevel::kVerbose,
          "optimizer: " + p.name + ": " + std::to_string(p.rewrites) + " rewrites, nodes " +
              std::to_string(p.nodes_before) + " -> " + std::to_string(p.nodes_after));
    }
  }
  Log(options.log_level, LogLevel::kInfo,
      std::string("optimizer (") + LevelName(options.optimization_level) + "): nodes " +
          std::to_string(report.nodes_before) + " -> " + std::to_string(report.nodes_after) +
          " in " + std::to_string(report.ms) + " ms");
  return Status::Ok();
}

}  // namespace onnxedge::opt
