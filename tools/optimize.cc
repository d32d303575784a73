// Copyright onnxedge authors.
// `onnxedge optimize IN OUT ...`: optimizes a model offline and saves it as ONNX, printing
// what every pass did.
#include <cstdint>
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
                              [--enable-pass NAME ...] [--dump-after PASS]
                              [--external-data[=FILE]] [--external-data-threshold BYTES]
                              [--json]

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
  --enable-pass NAME    run this opt-in pass (none is opt-in today; naming a default pass
                        changes nothing); repeatable. Sessions: ONNXEDGE_ENABLE_PASSES=NAME,...
                        (and ONNXEDGE_DISABLE_PASSES=NAME,... to skip passes)
  --dump-after PASS     print the graph (one line per node) after PASS ran
  --external-data[=FILE]
                        write initializers to the data file FILE (relative to OUT's folder;
                        default: OUT's file name + ".data") as ONNX external data; offsets of
                        tensors of 4096 bytes or more are multiples of 4096, smaller ones of 64.
                        Without it, a model that would exceed protobuf's 2 GiB limit inline
                        gets external data anyway (with a note)
  --external-data-threshold BYTES
                        smallest initializer written to the data file (default 1024)
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
                     {"--external-data", true, false, true},
                     {"--external-data-threshold", true},
                     {"--json"}});
  if (Status st = p.Parse(args); !st.ok()) return ReportError(verb, st.message());
  if (p.help()) {
    std::cout << kOptimizeUsage;
    return kExitOk;
  }
  if (p.positionals().size() != 2) {
    if (p.positionals().size() == 3 && p.Has("--external-data")) {
      return ReportError(verb,
                         "expected IN and OUT model paths; name the data file with "
                         "--external-data=FILE");
    }
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
  onnx_io::SaveOptions save;
  save.external_data = p.Has("--external-data");
  save.external_data_file = p.Get("--external-data");
  auto threshold = p.GetInt("--external-data-threshold", 1024, 0, INT64_MAX);
  if (!threshold.ok()) return ReportError(verb, threshold.status().message());
  if (p.Has("--external-data-threshold") && !save.external_data) {
    return ReportError(verb, "--external-data-threshold needs --external-data");
  }
  save.external_data_threshold = static_cast<uint64_t>(*threshold);
  auto data_path = onnx_io::ExternalDataPath(out, save);
  if (!data_path.ok()) return ReportError(verb, data_path.status().message());
  if (std::filesystem::equivalent(in, *data_path, ec)) {
    return ReportError(verb, "the external data file '" + *data_path + "' must differ from IN");
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
  onnx_io::SaveReport saved;
  if (Status st = onnx_io::SaveModel(*model, out, save, &saved); !st.ok()) {
    return ReportError(verb, st.WithContext("'" + out + "'"));
  }
  if (saved.automatic) {
    Note(verb, "the model would be " + std::to_string(saved.inline_bytes) +
                   " bytes inline, above protobuf's 2 GiB limit: its " +
                   std::to_string(saved.external_tensors) + " initializers of at least " +
                   std::to_string(save.external_data_threshold) + " bytes were written to '" +
                   saved.data_path + "' (external data)");
  }

  if (p.Has("--json")) {
    JsonWriter j;
    j.BeginObject().Key("model").String(in).Key("output").String(out);
    j.Key("level").String(opt::LevelName(*level));
    j.Key("nodes_before").Int(report.nodes_before).Key("nodes_after").Int(report.nodes_after);
    j.Key("model_bytes").Int(static_cast<int64_t>(saved.model_bytes)).Key("external_data");
    if (saved.external_data) {
      j.BeginObject().Key("file").String(saved.data_path);
      j.Key("tensors").Int(saved.external_tensors);
      j.Key("bytes").Int(static_cast<int64_t>(saved.data_bytes)).EndObject();
    } else {
      j.Null();
    }
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
  if (saved.external_data) {
    std::cout << "external data: " << saved.external_tensors << " initializers, "
              << saved.data_bytes << " bytes -> " << saved.data_path << "\n";
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
