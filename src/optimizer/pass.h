// Copyright onnxedge authors.
// The graph optimizer's pass interface.
//
// A pass rewrites one graph through a GraphEditor (which keeps producer/consumer maps current
// while nodes are added, removed and rewired) and returns how many rewrites it applied. A pass
// that does not apply returns 0 and leaves the graph untouched. Passes are stateless: the
// same object may run on many graphs. Each pass lives in its own file under passes/, starting
// with a before -> after comment and the conditions under which it fires.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>

#include "ir/graph.h"
#include "onnxedge/options.h"
#include "onnxedge/status.h"

namespace onnxedge {
class ThreadPool;
}

namespace onnxedge::opt {

class GraphEditor;

/// Hands out value and node names that are unused anywhere in a model (all graphs).
class NameGenerator {
 public:
  /// Collects every name used by `model` (values of all graphs, node names).
  explicit NameGenerator(const ir::Model& model);
  /// `hint` itself when unused, else `hint` + "_oe" + a counter. The name is reserved.
  std::string Fresh(const std::string& hint);
  /// Marks a name as used (for names created without Fresh).
  void Reserve(const std::string& name) { used_.insert(name); }

 private:
  std::unordered_set<std::string> used_;
  int64_t counter_ = 0;
};

/// What every pass may consult while it runs on one model.
struct PassContext {
  ir::Model* model = nullptr;
  OptimizationLevel level = OptimizationLevel::kAll;
  /// The result will be saved as ONNX: only standard ONNX ops (at an opset the model can be
  /// saved at) and com.microsoft ops whose ONNX Runtime semantics are identical may be created.
  bool for_export = false;
  NameGenerator* names = nullptr;
  /// Single-threaded pool used to evaluate constant subgraphs.
  ThreadPool* pool = nullptr;
  /// Constant folding refuses to create a tensor with more elements than this when that
  /// also grows the model (e.g. ConstantOfShape/Expand/Tile of a large shape).
  int64_t max_folded_elements = int64_t{1} << 20;

  /// The opset the model imports for `domain` (0 when not imported).
  int Opset(const std::string& domain) const;
  /// True when a kernel exists for this op at this opset.
  static bool HasKernel(const std::string& domain, const std::string& op_type, int opset);
  /// True when a node of the default domain at `opset` may be created: always at run time;
  /// for export only when the model's default opset is at least `opset` or the model can be
  /// upgraded to it without changing the meaning of any node (the saver then bumps it).
  bool CanUseOnnxOpset(int opset) const;
  /// Records that `domain` must be imported at `version` (for created com.microsoft nodes).
  void RequireDomain(const std::string& domain, int version) const;
};

/// One optimization pass.
class Pass {
 public:
  virtual ~Pass() = default;
  /// Name used by --disable-pass, --dump-after and the statistics ("fuse_conv_bn").
  virtual const char* name() const = 0;
  /// Runs on one graph (the pass manager also calls it on every subgraph). Returns the number
  /// of rewrites applied (0: the graph is unchanged).
  virtual StatusOr<int> Run(GraphEditor& editor, const PassContext& ctx) const = 0;
};

}  // namespace onnxedge::opt
