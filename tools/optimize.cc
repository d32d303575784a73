// Copyright onnxedge authors.
// `onnxedge optimize IN OUT ...`: optimizes a model offline and saves it as ONNX, printing
// what every pass did.
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>

#include "cli_util.h"
#include "ir/onnx/loader.h"
#include "ir/onnx/saver.h"
#include "optimizer/pass_manager.h"
#include "optimizer/pipelines.h"
#include "runtime/kernel.h"
#include "verbs.h"

namespace onnxedge::cli {

const char kOptimizeUsage[] =
    R"(usage: onnxedge optimize IN OUT [--level L] [--disable-pass NAME ...]
                              [--enable-pass NAME ...] [--dump-after PASS] [--json]

Optimizes the model IN and saves the result as OUT (written atomically). Prints, for each pass
that ran, the rewrites it applied, the nodes it removed and its time, then the node counts
before and after.

Levels:
  basic     semantics-preserving ONNX rewrites: constant folding (including shape
            computations), dead nodes, Identity/Dropout, redundant Cast/Transpose/Reshape,
            Slices -> Split, Conv+BatchNorm, Mul/Add into Conv, Gemm+Add, MatMul+Add -> Gemm
  extended  basic + fusions: GELU, LayerNormalization, SkipLayerNormalization, transpose
            sinking, SiLU -> QuickGelu (Conv/Gemm+activation, an onnxedge-private op, only
            at level all)
  all       extended + onnxedge-private ops and layouts (default)
At basic and extended the saved model is standard ONNX plus com.microsoft ops that ONNX Runtime
implements identically (Gelu, FastGelu, QuickGelu, SkipLayerNormalization), so ONNX Runtime and
the ONNX checker accept it. At 'all' it may contain com.onnxedge ops: only onnxedge can load it.

options:
  --level L             disabled, basic, extended or all (default all)
  --disable-pass NAME   skip this pass; repeatable (names as printed in the statistics)
  --enable-pass NAME    run this opt-in pass (layout_nhwc: channels-last convolutions at
                        level all); repeatable. Sessions: ONNXEDGE_ENABLE_PASSES=NAME,...
  --dump-after PASS     print the graph (one line per node) after PASS ran
  --json                print the statistics as one JSON line
  -h, --help            show this help
)";

namespace {

void DumpGraph(const ir::Graph& g, const std::string& indent, std::ostream& os) {
  for (const auto& n : g.nodes) {
    os << indent;
    for (size_t i = 0; i < n->outputs.size(); ++i) os << (i ? ", " : "") << n->outputs[i];
    os << " = " << (n->domain.empty() ? "" : n->domain + ".") << n->op_type << "(";
    for (size_t i = 0; i < n->inputs.size(); ++i) os << (i ? ", " : "") << n->inputs[i];
    os << ")";
    if (!n->name.empty()) os << "  # " << n->name;
    os << "\n";
    for (const auto& a : n->attributes) {
      if (a.g) DumpGraph(*a.g, indent + "    ", os);
      for (const auto& sg : a.graphs) DumpGraph(*sg, indent + "    ", os);
    }
  }
}

}  // namespace

int OptimizeMain(const std::vector<std::string>& args) {
  const std::string verb = "optimize";
  ArgParser p(verb, {{"--level", true},
                     {"--disable-pass", true, true},
                     {"--enable-pass", true, true},
                     {"--dump-after", true},
                     {"--json"}});
  if (Status st = p.Parse(args); !st.ok()) return ReportError(verb, st.message());
  if (p.help()) {
    std::cout << kOptimizeUsage;
    return kExitOk;
  }
  if (p.positionals().size() != 2) {
    return ReportError(verb, "expected IN and OUT model paths (see 'onnxedge optimize --help')");
  }
  const std::string in = p.positionals()[0];
  const std::string out = p.positionals()[1];
  auto level = GetLevelFlag(p);
  if (!level.ok()) return ReportError(verb, level.status().message());
  std::error_code ec;
  if (!std::filesystem::exists(in, ec)) return ReportError(verb, "'" + in + "' does not exist");
  if (std::filesystem::equivalent(in, out, ec)) {
    return ReportError(verb, "OUT must differ from IN (external data of IN would be lost)");
  }
  const std::string dump_after = p.Get("--dump-after");
  if (!dump_after.empty()) {
    bool known = false;
    for (const auto& e : opt::Pipeline()) known |= dump_after == e.pass->name();
    if (!known) return ReportError(verb, "--dump-after: unknown pass '" + dump_after + "'");
  }

  onnx_io::LoadOptions lo;
  lo.has_kernel = [](const std::string& domain, const std::string& op, int opset) {
    return OpRegistry::Get().Find(domain, op, opset) != nullptr;
  };
  auto model = onnx_io::LoadModel(in, lo);
  if (!model.ok()) return ReportError(verb, model.status());

  opt::OptimizeOptions options;
  options.level = *level;
  options.disabled_passes = p.GetAll("--disable-pass");
  options.enabled_passes = p.GetAll("--enable-pass");
  options.for_export = true;
  if (!dump_after.empty()) {
    options.after_pass = [&](const std::string& pass, const ir::Model& m) -> Status {
      if (pass == dump_after) {
        std::cout << "--- graph after " << pass << " ---\n";
        DumpGraph(*m.graph, "", std::cout);
      }
      return Status::Ok();
    };
  }
  opt::OptimizeReport report;
  if (Status st = opt::Optimize(*model, options, &report); !st.ok()) {
    return ReportError(verb, st.WithContext("'" + in + "'"));
  }
  if (Status st = onnx_io::SaveModel(*model, out); !st.ok()) {
    return ReportError(verb, st.WithContext("'" + out + "'"));
  }

  if (p.Has("--json")) {
    JsonWriter j;
    j.BeginObject().Key("model").String(in).Key("output").String(out);
    j.Key("level").String(opt::LevelName(*level));
    j.Key("nodes_before").Int(report.nodes_before).Key("nodes_after").Int(report.nodes_after);
    j.Key("ms").Number(report.ms).Key("passes").BeginArray();
    for (const auto& ps : report.passes) {
      j.BeginObject().Key("name").String(ps.name).Key("rewrites").Int(ps.rewrites);
      j.Key("nodes_removed").Int(ps.nodes_before - ps.nodes_after).Key("ms").Number(ps.ms);
      j.EndObject();
    }
    j.EndArray().EndObject();
    std::cout << j.str() << "\n";
    return kExitOk;
  }
  std::cout << "optimize " << in << " -> " << out << " (level " << opt::LevelName(*level)
            << ")\n";
  std::cout << std::left << std::setw(26) << "pass" << std::right << std::setw(10) << "rewrites"
            << std::setw(15) << "nodes removed" << std::setw(10) << "ms" << "\n";
  for (const auto& ps : report.passes) {
    std::ostringstream ms;
    ms << std::fixed << std::setprecision(2) << ps.ms;
    std::cout << std::left << std::setw(26) << ps.name << std::right << std::setw(10)
              << ps.rewrites << std::setw(15) << (ps.nodes_before - ps.nodes_after)
              << std::setw(10) << ms.str() << "\n";
  }
  std::ostringstream total;
  total << std::fixed << std::setprecision(2) << report.ms;
  std::cout << "nodes: " << report.nodes_before << " -> " << report.nodes_after << " in "
            << total.str() << " ms\n";
  if (model->opset_imports.count("com.onnxedge")) {
    Note(verb, "the model uses onnxedge-private ops (level 'all'): only onnxedge can load " +
                   out + " (use --level extended for a model other runtimes accept)");
  }
  return kExitOk;
}

}  // namespace onnxedge::cli
