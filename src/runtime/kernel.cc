// Copyright onnxedge authors.
#include "runtime/kernel.h"

#include <algorithm>
#include <mutex>

namespace onnxedge {

KernelInfo::KernelInfo(
    const ir::Node& node, int since_version,
    std::function<const Tensor*(const std::string&)> find_constant,
    std::function<const ir::TypeInfo*(const std::string&)> find_type,
    std::function<StatusOr<std::shared_ptr<const GraphPlan>>(const ir::Graph&)> compile_subgraph)
    : node_(node),
      since_version_(since_version),
      find_constant_(std::move(find_constant)),
      find_type_(std::move(find_type)),
      compile_subgraph_(std::move(compile_subgraph)) {}

const Tensor* KernelInfo::ConstantInput(size_t i) const {
  if (!HasInput(i) || !find_constant_) return nullptr;
  return find_constant_(node_.inputs[i]);
}

const ir::TypeInfo* KernelInfo::InputType(size_t i) const {
  if (!HasInput(i) || !find_type_) return nullptr;
  return find_type_(node_.inputs[i]);
}

const ir::TypeInfo* KernelInfo::OutputType(size_t i) const {
  if (!HasOutput(i) || !find_type_) return nullptr;
  return find_type_(node_.outputs[i]);
}

StatusOr<const ir::Attribute*> KernelInfo::Find(const std::string& name, ir::Attribute::Type type,
                                                bool required) const {
  const ir::Attribute* a = node_.FindAttribute(name);
  if (!a) {
    if (required) {
      return MakeError(StatusCode::kInvalidModel, Describe(), ": required attribute '", name,
                       "' is missing");
    }
    return static_cast<const ir::Attribute*>(nullptr);
  }
  if (a->type != type) {
    // Accept an int where a float is expected (some exporters write 1 for 1.0).
    if (!(type == ir::Attribute::Type::kFloat && a->type == ir::Attribute::Type::kInt)) {
      return MakeError(StatusCode::kInvalidModel, Describe(), ": attribute '", name,
                       "' must be of type ", ir::AttributeTypeName(type), ", not ",
                       ir::AttributeTypeName(a->type));
    }
  }
  return a;
}

#define OE_ATTR_GETTERS(Name, Ret, TypeEnum, Field)                                        \
  StatusOr<Ret> KernelInfo::Get##Name(const std::string& name) const {                      \
    OE_ASSIGN_OR_RETURN(const ir::Attribute* a, Find(name, ir::Attribute::Type::TypeEnum, true)); \
    return static_cast<Ret>(a->Field);                                                      \
  }                                                                                         \
  StatusOr<Ret> KernelInfo::Get##Name(const std::string& name, const Ret& def) const {      \
    OE_ASSIGN_OR_RETURN(const ir::Attribute* a, Find(name, ir::Attribute::Type::TypeEnum, false)); \
    if (!a) return def;                                                                     \
    return static_cast<Ret>(a->Field);                                                      \
  }

StatusOr<float> KernelInfo::GetFloat(const std::string& name) const {
  OE_ASSIGN_OR_RETURN(const ir::Attribute* a, Find(name, ir::Attribute::Type::kFloat, true));
  return a->type == ir::Attribute::Type::kInt ? static_cast<float>(a->i) : a->f;
}
StatusOr<float> KernelInfo::GetFloat(const std::string& name, float def) const {
  OE_ASSIGN_OR_RETURN(const ir::Attribute* a, Find(name, ir::Attribute::Type::kFloat, false));
  if (!a) return def;
  return a->type == ir::Attribute::Type::kInt ? static_cast<float>(a->i) : a->f;
}

StatusOr<int64_t> KernelInfo::GetInt(const std::string& name) const {
  OE_ASSIGN_OR_RETURN(const ir::Attribute* a, Find(name, ir::Attribute::Type::kInt, true));
  return a->i;
}
StatusOr<int64_t> KernelInfo::GetInt(const std::string& name, int64_t def) const {
  OE_ASSIGN_OR_RETURN(const ir::Attribute* a, Find(name, ir::Attribute::Type::kInt, false));
  if (!a) return def;
  return a->i;
}

OE_ATTR_GETTERS(String, std::string, kString, s)
OE_ATTR_GETTERS(Ints, std::vector<int64_t>, kInts, ints)
OE_ATTR_GETTERS(Floats, std::vector<float>, kFloats, floats)
OE_ATTR_GETTERS(Strings, std::vector<std::string>, kStrings, strings)
#undef OE_ATTR_GETTERS

StatusOr<Tensor> KernelInfo::GetTensor(const std::string& name) const {
  OE_ASSIGN_OR_RETURN(const ir::Attribute* a, Find(name, ir::Attribute::Type::kTensor, true));
  return a->t;
}

StatusOr<std::shared_ptr<const GraphPlan>> KernelInfo::GetSubgraph(const std::string& name) const {
  OE_ASSIGN_OR_RETURN(const ir::Attribute* a, Find(name, ir::Attribute::Type::kGraph, true));
  if (!a->g) return Error(StatusCode::kInvalidModel, "graph attribute '", name, "' is empty");
  auto plan = compile_subgraph_(*a->g);
  if (!plan.ok()) return plan.status().WithContext(Describe() + " attribute '" + name + "'");
  return plan;
}

// ---------------------------------------------------------------------------------------------

void RegisterAllOps(OpRegistry& registry);  // Generated from the op folders.

const OpRegistry& OpRegistry::Get() {
  static const OpRegistry* registry = [] {
    auto* r = new OpRegistry();
    RegisterAllOps(*r);
    return r;
  }();
  return *registry;
}

void OpRegistry::Register(KernelDef def) {
  auto& list = defs_[{def.domain, def.op_type}];
  list.push_back(std::move(def));
}

const KernelDef* OpRegistry::Find(const std::string& domain, const std::string& op_type,
                                  int opset) const {
  auto it = defs_.find({domain, op_type});
  if (it == defs_.end()) return nullptr;
  for (const auto& d : it->second) {
    if (opset >= d.min_opset && opset <= d.max_opset) return &d;
  }
  return nullptr;
}

bool OpRegistry::Knows(const std::string& domain, const std::string& op_type) const {
  return defs_.count({domain, op_type}) > 0;
}

std::vector<const KernelDef*> OpRegistry::All() const {
  std::vector<const KernelDef*> out;
  for (const auto& [key, list] : defs_) {
    for (const auto& d : list) out.push_back(&d);
  }
  return out;
}

}  // namespace onnxedge
