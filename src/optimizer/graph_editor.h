// Copyright onnxedge authors.
// GraphEditor: the one way passes read and change a graph.
//
// It indexes the graph (producer of each value, consumers of each value, values read by
// subgraphs, graph outputs) and keeps that index current through every mutation, so a pass
// can apply many rewrites in one sweep without rebuilding it. Removed nodes stay in memory
// until Commit(), so Node pointers held by a pass stay valid during the pass. Commit() drops
// removed nodes, places added nodes after their anchors, sorts the graph topologically, and
// prunes initializers and value_info entries that no longer name a live value.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/graph.h"
#include "onnxedge/status.h"
#include "onnxedge/tensor.h"

namespace onnxedge::opt {

struct PassContext;

/// One input slot that reads a value.
struct Use {
  ir::Node* node = nullptr;
  size_t index = 0;
};

class GraphEditor {
 public:
  /// `outer_scope`: names visible from enclosing graphs (empty for the main graph);
  /// `outer_graphs`: those graphs, innermost last, consulted for the static types of values a
  /// subgraph reads from them.
  GraphEditor(ir::Graph& graph, const PassContext& ctx,
              std::vector<std::string> outer_scope = {},
              std::vector<const ir::Graph*> outer_graphs = {});

  ir::Graph& graph() { return graph_; }
  const ir::Graph& graph() const { return graph_; }
  const PassContext& ctx() const { return ctx_; }

  // --- Queries --------------------------------------------------------------------------------

  /// Live nodes: the graph's nodes in order, then nodes added since the last Commit.
  std::vector<ir::Node*> Nodes() const;
  size_t NumLiveNodes() const;
  bool IsRemoved(const ir::Node* node) const { return removed_.count(node) > 0; }
  /// The node producing `value`, or nullptr (graph input, initializer, outer value, omitted).
  ir::Node* Producer(const std::string& value) const;
  /// Node inputs reading `value` (not counting subgraph reads or graph outputs).
  const std::vector<Use>& Consumers(const std::string& value) const;
  bool IsGraphOutput(const std::string& value) const { return graph_outputs_.count(value) > 0; }
  bool IsGraphInput(const std::string& value) const { return graph_inputs_.count(value) > 0; }
  /// True when some node's subgraph reads `value` from this graph.
  bool HasImplicitUses(const std::string& value) const;
  /// Consumers + subgraph readers + (1 if a graph output).
  size_t NumUses(const std::string& value) const;
  /// True when `value`'s only reader is one input of one node (no subgraph, not an output).
  bool HasSingleUse(const std::string& value) const;
  /// The tensor of `value` when it is an initializer that no graph input can override (in this
  /// graph or, for a value read from outside, in the enclosing graph that defines it).
  const Tensor* Constant(const std::string& value) const;
  /// Static type of `value` (inputs, outputs, value_info, or derived from an initializer; for
  /// a value read from an enclosing graph, its type there).
  std::optional<ir::TypeInfo> Type(const std::string& value) const;
  DataType ElemType(const std::string& value) const;
  /// Rank when known, else -1.
  int Rank(const std::string& value) const;
  /// Fully known static shape, or nullopt when the rank or any dim is unknown.
  std::optional<Shape> StaticShape(const std::string& value) const;
  /// Dims (value >= 0 known, else -1) when the rank is known.
  std::optional<std::vector<int64_t>> PartialShape(const std::string& value) const;

  // --- Mutations ------------------------------------------------------------------------------

  /// A fresh value name derived from `hint`.
  std::string NewName(const std::string& hint);
  /// Adds an initializer under a fresh name derived from `hint`; returns the name.
  std::string AddConstant(const std::string& hint, Tensor tensor);
  /// Replaces the tensor of an existing initializer (same name).
  void SetConstant(const std::string& name, Tensor tensor);
  /// Creates a node in `domain` at the model's opset for that domain (override node->opset
  /// afterwards for newer definitions). It is placed after `anchor` on Commit (at the end when
  /// `anchor` is null). Returns the node, owned by the editor.
  ir::Node* AddNode(const std::string& op_type, std::vector<std::string> inputs,
                    std::vector<std::string> outputs, const std::string& domain = "",
                    const ir::Node* anchor = nullptr, const std::string& name = "");
  /// Marks a node removed; its inputs no longer count as uses and its outputs lose their
  /// producer. The caller makes sure nothing reads its outputs any more.
  void RemoveNode(ir::Node* node);
  /// Points every node input and subgraph read of `from` to `to`. Graph outputs are not
  /// renamed: check !IsGraphOutput(from) first (see ReplaceValue).
  void ReplaceAllUses(const std::string& from, const std::string& to);
  /// Makes `from` disappear in favour of `to` (both tensors of one type and value): every use
  /// of `from` reads `to`. When `from` is a graph output, the producer of `to` instead renames
  /// its output to `from` (requires `to` to be produced by a node of this graph and to be no
  /// graph output or input itself). Returns false, changing nothing, when impossible.
  bool ReplaceValue(const std::string& from, const std::string& to);
  /// True when ReplaceValue(from, to) will succeed once the producer of `from` is removed.
  bool CanReplaceValue(const std::string& from, const std::string& to) const;
  /// Sets input `index` of `node` (growing the input list with "" when needed).
  void SetInput(ir::Node* node, size_t index, const std::string& value);
  /// Renames output `index` of `node` (the old name must have no readers).
  void SetOutput(ir::Node* node, size_t index, const std::string& value);
  /// Records a static type for a value created by a pass.
  void SetType(const std::string& value, ir::TypeInfo type);

  /// Applies pending structural changes (see the file comment). Fails only if the graph is no
  /// longer a DAG, which means a pass is broken.
  Status Commit();
  bool modified() const { return modified_; }

 private:
  void Index();
  void AddUses(ir::Node* node);
  void DropUses(ir::Node* node);
  void NoteMaybeUnused(const std::string& value);

  ir::Graph& graph_;
  const PassContext& ctx_;
  std::vector<std::string> outer_scope_;
  std::vector<const ir::Graph*> outer_graphs_;
  std::unordered_map<std::string, std::pair<ir::Node*, size_t>> producer_;
  std::unordered_map<std::string, std::vector<Use>> consumers_;
  /// Per node: names its subgraphs read from this graph (or further out).
  std::unordered_map<const ir::Node*, std::vector<std::string>> implicit_reads_;
  std::unordered_map<std::string, int> implicit_count_;
  std::unordered_set<std::string> graph_outputs_;
  std::unordered_set<std::string> graph_inputs_;
  std::unordered_set<const ir::Node*> removed_;
  struct Added {
    std::unique_ptr<ir::Node> node;
    const ir::Node* anchor;
  };
  std::vector<Added> added_;
  /// Initializers whose last reader may have gone (pruned on Commit when unused).
  std::unordered_set<std::string> maybe_unused_;
  bool modified_ = false;
};

/// Names a graph reads from enclosing scopes (node inputs and nested subgraph reads that the
/// graph does not define itself).
void CollectOuterReads(const ir::Graph& graph, std::unordered_set<std::string>* out);

/// Renames every read of `from` as `to` inside `graph` and its subgraphs, stopping where a
/// graph defines `from` itself.
void RenameOuterReads(ir::Graph& graph, const std::string& from, const std::string& to);

}  // namespace onnxedge::opt
