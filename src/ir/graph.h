// Copyright onnxedge authors.
// The intermediate representation: Model, Graph, Node, Attribute and type information.
//
// Values are identified by name, as in ONNX. The IR owns constant tensors (initializers and
// tensor attributes) as onnxedge::Tensor, which may view mmapped external data. Nothing here
// knows protobuf; src/ir/onnx/ converts to and from it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "onnxedge/status.h"
#include "onnxedge/tensor.h"

namespace onnxedge::ir {

/// One dimension of a static type: a known size, a named symbol, or unknown.
struct Dim {
  int64_t value = -1;  ///< >= 0 when known.
  std::string symbol;  ///< Non-empty for a symbolic dim such as "batch".
  bool known() const { return value >= 0; }
};

/// The static type of a value: tensor, sequence, optional or map, with element type and shape.
struct TypeInfo {
  enum class Kind { kUnknown, kTensor, kSparseTensor, kSequence, kOptional, kMap };
  Kind kind = Kind::kUnknown;
  DataType elem_type = DataType::kUndefined;  ///< For tensors.
  bool has_shape = false;                     ///< False: rank unknown.
  std::vector<Dim> dims;
  std::shared_ptr<TypeInfo> elem;  ///< Element type of a sequence or optional.

  static TypeInfo Tensor(DataType type) {
    TypeInfo t;
    t.kind = Kind::kTensor;
    t.elem_type = type;
    return t;
  }
  /// "float32[batch,3,224,224]", "seq(int64[?])", "optional(float32)".
  std::string ToString() const;
};

/// A named, typed value (graph input, output or annotated intermediate).
struct ValueInfo {
  std::string name;
  TypeInfo type;
  std::string doc;
};

class Graph;

/// A node attribute. Exactly one payload is meaningful, chosen by `type`.
struct Attribute {
  enum class Type {
    kUndefined = 0,
    kFloat = 1,
    kInt = 2,
    kString = 3,
    kTensor = 4,
    kGraph = 5,
    kFloats = 6,
    kInts = 7,
    kStrings = 8,
    kTensors = 9,
    kGraphs = 10,
    kSparseTensor = 11,
    kSparseTensors = 12,
    kTypeProto = 13,
    kTypeProtos = 14,
  };
  std::string name;
  Type type = Type::kUndefined;
  float f = 0;
  int64_t i = 0;
  std::string s;
  onnxedge::Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<onnxedge::Tensor> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;
  std::vector<TypeInfo> type_protos;
  /// Inside a function body: the name of the caller's attribute this one refers to.
  std::string ref_attr_name;
};

/// "float", "ints", "graph", ...
const char* AttributeTypeName(Attribute::Type type);

/// One operator application.
class Node {
 public:
  std::string name;
  std::string op_type;
  std::string domain;  ///< "" for the default ONNX domain ("ai.onnx" is normalised to "").
  std::vector<std::string> inputs;   ///< "" marks an omitted optional input.
  std::vector<std::string> outputs;  ///< "" marks an omitted optional output.
  std::vector<Attribute> attributes;
  std::string doc;
  /// The opset version imported for this node's domain (set by the loader).
  int opset = 0;
  /// Position of the node in the file's node list (-1 for nodes created later).
  int source_index = -1;

  const Attribute* FindAttribute(const std::string& attr_name) const;
  Attribute* FindAttribute(const std::string& attr_name);
  /// "node 'conv1' (Conv)" or "node #3 (Conv)" when unnamed; used in error messages.
  std::string Describe() const;
};

/// A computation graph. Subgraphs (If/Loop/Scan bodies) are Graphs owned by attributes and may
/// read values of enclosing graphs by name.
class Graph {
 public:
  std::string name;
  std::string doc;
  std::vector<std::unique_ptr<Node>> nodes;  ///< Topologically sorted after loading.
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  /// Constant tensors by name. A name that is also a graph input acts as its default value.
  std::map<std::string, onnxedge::Tensor> initializers;
  /// Inferred or annotated types of intermediate values.
  std::unordered_map<std::string, TypeInfo> value_info;

  /// Type of a value known to this graph (input, output, initializer or value_info), or nullptr.
  const TypeInfo* FindType(const std::string& value_name) const;
  /// Total elements and bytes of initializers, including those in subgraphs.
  void CountParameters(int64_t* elements, int64_t* bytes) const;
};

/// A loaded model.
struct Model {
  int64_t ir_version = 0;
  std::map<std::string, int64_t> opset_imports;  ///< Domain ("" = ai.onnx) to version.
  std::string producer_name;
  std::string producer_version;
  std::string domain;
  int64_t model_version = 0;
  std::string doc;
  std::vector<std::pair<std::string, std::string>> metadata;
  std::shared_ptr<Graph> graph;
  /// The external data files the loader mapped (resolved paths). Initializers may view them, so
  /// the saver refuses to write over them.
  std::vector<std::string> external_data_files;
};

/// Sorts `graph.nodes` so every node follows the producers of its inputs. Inputs may come from
/// graph inputs, initializers, or `outer_scope` names (for subgraphs). Fails on a cycle or on an
/// input that nothing produces. Recurses into subgraphs.
Status TopologicalSort(Graph& graph, const std::vector<std::string>& outer_scope = {});

}  // namespace onnxedge::ir
