// Copyright onnxedge authors.
// Systematic sweep of libonnx's type and shape inference: every operator schema libonnx
// registers (every version, every domain) runs as a one-node model whose inputs take each
// rank from 0 to 5, no shape, no type, or no producer at all, with concrete and symbolic dims.
// libonnx 1.12's inference functions index input dims without checking ranks, so many of these
// cases read out of bounds when run straight through libonnx; with onnxedge's guarded registry
// (src/ir/onnx/inference_guard.h) none may.
//
//   inference_sweep            guarded registry, in process: any crash fails (ctest runs this)
//   inference_sweep --list     each crash caught in a child process and listed as
//                              "domain op since_version case"
//   --raw                      libonnx's own registry instead (with --list: what the guard's
//                              rules in inference_guard.cc were derived from)
//   --op NAME                  only that operator
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ir/onnx/inference_guard.h"
#include "onnx/defs/data_type_utils.h"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

namespace {

// What one actual input looks like in a case.
enum Spec : int { kMissing = -3, kUntyped = -2, kNoShape = -1 };  // >= 0: a tensor of that rank

struct Case {
  const onnx::OpSchema* schema;
  std::vector<int> specs;  // one per actual input; empty name where the input is left out
  std::vector<bool> present;
  bool symbolic = false;
  onnx::AttributeProto extra;  // one attribute set to an edge value, where extra.name() is set
  std::string Describe() const {
    std::string s = symbolic ? "symbolic" : "concrete";
    if (!extra.name().empty()) {
      s += " " + extra.name() + "=";
      if (extra.type() == onnx::AttributeProto::INT) s += std::to_string(extra.i());
      for (int64_t v : extra.ints()) s += std::to_string(v) + ",";
      if (extra.type() == onnx::AttributeProto::STRING) s += "'" + extra.s() + "'";
    }
    for (size_t i = 0; i < specs.size(); ++i) {
      s += " in" + std::to_string(i) + "=";
      if (!present[i]) s += "absent";
      else if (specs[i] == kMissing) s += "no-producer";
      else if (specs[i] == kUntyped) s += "untyped";
      else if (specs[i] == kNoShape) s += "no-shape";
      else s += "rank" + std::to_string(specs[i]);
    }
    return s;
  }
};

bool HasGraphAttribute(const onnx::OpSchema& s) {
  for (const auto& [name, a] : s.attributes()) {
    if (a.required && (a.type == onnx::AttributeProto::GRAPH ||
                       a.type == onnx::AttributeProto::GRAPHS ||
                       a.type == onnx::AttributeProto::SPARSE_TENSOR ||
                       a.type == onnx::AttributeProto::TYPE_PROTO ||
                       a.type == onnx::AttributeProto::TYPE_PROTOS)) {
      return true;
    }
  }
  return false;
}

// The formal parameter behind each actual input: a variadic last parameter gets two.
std::vector<int> ActualInputs(const onnx::OpSchema& s) {
  std::vector<int> formal;
  for (size_t i = 0; i < s.inputs().size(); ++i) {
    formal.push_back(static_cast<int>(i));
    if (s.inputs()[i].GetOption() == onnx::OpSchema::Variadic) formal.push_back(static_cast<int>(i));
  }
  return formal;
}

onnx::TypeProto InputType(const onnx::OpSchema::FormalParameter& p) {
  const auto& types = p.GetTypes();
  const std::string* pick = nullptr;
  for (const char* preferred : {"tensor(float)", "tensor(int64)", "tensor(int32)"}) {
    for (const auto* t : types) {
      if (*t == preferred) pick = t;
    }
    if (pick) break;
  }
  if (!pick && !types.empty()) {
    for (const auto* t : types) {
      if (!pick || *t < *pick) pick = t;
    }
  }
  if (!pick) return {};
  return onnx::Utils::DataTypeUtils::ToTypeProto(pick);
}

void SetShape(onnx::TypeProto* t, int rank, bool symbolic) {
  onnx::TensorShapeProto* shape = nullptr;
  if (t->has_tensor_type()) shape = t->mutable_tensor_type()->mutable_shape();
  else if (t->has_sequence_type() && t->sequence_type().elem_type().has_tensor_type())
    shape = t->mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type()->mutable_shape();
  if (!shape) return;
  for (int d = 0; d < rank; ++d) {
    if (symbolic) shape->add_dim()->set_dim_param("d" + std::to_string(d));
    else shape->add_dim()->set_dim_value(2);
  }
}

void AddRequiredAttributes(const onnx::OpSchema& s, onnx::NodeProto* n) {
  for (const auto& [name, a] : s.attributes()) {
    if (!a.required) continue;
    auto* ap = n->add_attribute();
    ap->set_name(name);
    ap->set_type(a.type);
    switch (a.type) {
      case onnx::AttributeProto::INT: ap->set_i(1); break;
      case onnx::AttributeProto::FLOAT: ap->set_f(1.0f); break;
      case onnx::AttributeProto::STRING: ap->set_s("a"); break;
      case onnx::AttributeProto::INTS: ap->add_ints(1); break;
      case onnx::AttributeProto::FLOATS: ap->add_floats(1.0f); break;
      case onnx::AttributeProto::STRINGS: ap->add_strings("a"); break;
      case onnx::AttributeProto::TENSOR: {
        auto* t = ap->mutable_t();
        t->set_data_type(onnx::TensorProto::FLOAT);
        t->add_float_data(1.0f);
        break;
      }
      default: break;
    }
  }
}

onnx::ModelProto BuildModel(const Case& c) {
  const onnx::OpSchema& s = *c.schema;
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* opset = m.add_opset_import();
  opset->set_domain(s.domain());
  opset->set_version(s.SinceVersion());
  if (!s.domain().empty()) {
    auto* onnx_opset = m.add_opset_import();
    onnx_opset->set_domain("");
    onnx_opset->set_version(17);
  }
  auto* g = m.mutable_graph();
  g->set_name("sweep");
  auto* n = g->add_node();
  n->set_op_type(s.Name());
  n->set_domain(s.domain());
  const std::vector<int> formal = ActualInputs(s);
  for (size_t i = 0; i < formal.size(); ++i) {
    if (!c.present[i]) {
      n->add_input("");
      continue;
    }
    const std::string name = "x" + std::to_string(i);
    n->add_input(name);
    if (c.specs[i] == kMissing) continue;
    auto* vi = g->add_input();
    vi->set_name(name);
    if (c.specs[i] == kUntyped) continue;
    *vi->mutable_type() = InputType(s.inputs()[formal[i]]);
    if (c.specs[i] >= 0) SetShape(vi->mutable_type(), c.specs[i], c.symbolic);
  }
  int outputs = 0;
  for (const auto& p : s.outputs()) outputs += p.GetOption() == onnx::OpSchema::Variadic ? 2 : 1;
  for (int o = 0; o < outputs; ++o) {
    n->add_output("y" + std::to_string(o));
    g->add_output()->set_name("y" + std::to_string(o));
  }
  AddRequiredAttributes(s, n);
  if (!c.extra.name().empty()) {
    onnx::AttributeProto* slot = nullptr;
    for (auto& a : *n->mutable_attribute()) {
      if (a.name() == c.extra.name()) slot = &a;
    }
    *(slot ? slot : n->add_attribute()) = c.extra;
  }
  return m;
}

std::vector<Case> CasesFor(const onnx::OpSchema& s) {
  std::vector<Case> cases;
  const std::vector<int> formal = ActualInputs(s);
  const size_t n = formal.size();
  auto optional = [&](size_t i) {
    return s.inputs()[formal[i]].GetOption() == onnx::OpSchema::Optional;
  };
  for (bool symbolic : {false, true}) {
    // Every input alike, with the optional ones present and absent.
    for (int v = kNoShape; v <= 5; ++v) {
      for (bool with_optional : {true, false}) {
        Case c{&s, std::vector<int>(n, v), std::vector<bool>(n, true), symbolic};
        for (size_t i = 0; i < n; ++i) c.present[i] = with_optional || !optional(i);
        cases.push_back(c);
      }
    }
    // One input varied, the others at a base.
    for (size_t p = 0; p < n; ++p) {
      for (int base : {int{kNoShape}, 1, 4}) {
        for (int v = kMissing; v <= 5; ++v) {
          Case c{&s, std::vector<int>(n, base), std::vector<bool>(n, true), symbolic};
          c.specs[p] = v;
          cases.push_back(c);
        }
      }
    }
  }
  // Each integer or string attribute at edge values, every input at one rank. Integer lists
  // come in lengths 0, 1, 2, 4 and 6 (more than any input's rank).
  for (const auto& entry : s.attributes()) {
    const std::string& name = entry.first;
    const onnx::OpSchema::Attribute& a = entry.second;
    std::vector<onnx::AttributeProto> values;
    auto add = [&](auto fill) {
      onnx::AttributeProto v;
      v.set_name(name);
      v.set_type(a.type);
      fill(&v);
      values.push_back(v);
    };
    if (a.type == onnx::AttributeProto::INT) {
      for (int64_t x : {int64_t{-7}, int64_t{-1}, int64_t{0}, int64_t{2}, int64_t{7},
                        int64_t{1} << 40, -(int64_t{1} << 40)}) {
        add([x](onnx::AttributeProto* v) { v->set_i(x); });
      }
    } else if (a.type == onnx::AttributeProto::INTS) {
      add([](onnx::AttributeProto*) {});
      for (int64_t x : {int64_t{-7}, int64_t{0}, int64_t{7}}) {
        add([x](onnx::AttributeProto* v) { v->add_ints(x); });
        add([x](onnx::AttributeProto* v) {
          for (int k = 0; k < 6; ++k) v->add_ints(x);
        });
      }
      add([](onnx::AttributeProto* v) {
        v->add_ints(1);
        v->add_ints(-1);
      });
      add([](onnx::AttributeProto* v) {
        for (int k = 0; k < 4; ++k) v->add_ints(0);
      });
    } else if (a.type == onnx::AttributeProto::STRING) {
      for (const char* x : {"", "zz", "->", "i,j->k"}) {
        add([x](onnx::AttributeProto* v) { v->set_s(x); });
      }
    }
    for (const auto& v : values) {
      for (int r : {0, 1, 2, 4}) {
        Case c{&s, std::vector<int>(n, r), std::vector<bool>(n, true), false, v};
        cases.push_back(c);
      }
      // And one input at rank 1 among rank-4 ones (ConvTranspose reads W's dims even when
      // kernel_shape is given).
      for (size_t p = 0; p < n; ++p) {
        Case c{&s, std::vector<int>(n, 4), std::vector<bool>(n, true), false, v};
        c.specs[p] = 1;
        cases.push_back(c);
      }
    }
  }
  return cases;
}

// Cases whose inference produced at least one output type: a sweep in which libonnx refuses
// everything up front would prove nothing, so main() requires most cases to infer.
size_t g_inferred = 0;

void RunCase(const Case& c, const onnx::ISchemaRegistry* registry) {
  onnx::ModelProto m = BuildModel(c);
  onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0,
                                      /*enable_data_propagation=*/true);
  try {
    onnx::shape_inference::InferShapes(m, registry, options);
    for (const auto& vi : m.graph().output()) {
      const onnx::TypeProto& t = vi.type();
      if ((t.has_tensor_type() && t.tensor_type().elem_type() != 0) ||
          (t.value_case() != onnx::TypeProto::VALUE_NOT_SET && !t.has_tensor_type())) {
        ++g_inferred;
        break;
      }
    }
  } catch (const std::exception&) {
    // A refusal is fine; only a crash is a finding.
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool raw = false, list = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--raw") == 0) raw = true;
    else if (std::strcmp(argv[i], "--list") == 0) list = true;
    else if (std::strcmp(argv[i], "--op") == 0 && i + 1 < argc) only = argv[++i];
    else {
      std::fprintf(stderr, "usage: inference_sweep [--list] [--raw] [--op NAME]\n");
      return 2;
    }
  }
  const onnx::ISchemaRegistry* registry =
      raw ? static_cast<const onnx::ISchemaRegistry*>(onnx::OpSchemaRegistry::Instance())
          : onnxedge::onnx_io::GuardedSchemaRegistry();
  std::vector<Case> cases;
  const std::vector<onnx::OpSchema> schemas = onnx::OpSchemaRegistry::get_all_schemas_with_history();
  int skipped = 0;
  for (const auto& s : schemas) {
    if (!only.empty() && s.Name() != only) continue;
    if (HasGraphAttribute(s)) {
      ++skipped;
      continue;
    }
    for (auto& c : CasesFor(s)) cases.push_back(std::move(c));
  }
  std::fprintf(stderr, "inference_sweep: %zu cases over %zu schemas (%d with graph attributes "
               "left out), %s registry\n", cases.size(), schemas.size(), skipped,
               raw ? "libonnx's" : "the guarded");
  if (!list) {
    for (const auto& c : cases) RunCase(c, registry);
    std::fprintf(stderr, "inference_sweep: no crash; %zu of %zu cases inferred an output type\n",
                 g_inferred, cases.size());
    // Today 41,521 of 79,151: most cases are meant to be refused (wrong ranks), but a guard
    // that skipped every node would also never crash.
    if (only.empty() && g_inferred * 5 < cases.size() * 2) {
      std::fprintf(stderr, "inference_sweep: fewer than 40% of the cases inferred a type: the "
                   "guard skips nodes it should not\n");
      return 1;
    }
    return 0;
  }
  // A child runs the cases in order and reports each index before it starts; when it
  // dies, the case it was on is a finding and a new child continues after it.
  int crashes = 0;
  size_t next = 0;
  while (next < cases.size()) {
    int fds[2];
    if (pipe(fds) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      for (size_t i = next; i < cases.size(); ++i) {
        uint64_t idx = i;
        if (write(fds[1], &idx, sizeof idx) != sizeof idx) _exit(3);
        RunCase(cases[i], registry);
      }
      _exit(0);
    }
    close(fds[1]);
    uint64_t idx = 0, last = next;
    bool started = false;
    while (read(fds[0], &idx, sizeof idx) == sizeof idx) {
      last = idx;
      started = true;
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
    if (!started) last = next;
    const Case& c = cases[last];
    std::printf("%s %s %d %s\n", c.schema->domain().empty() ? "ai.onnx" : c.schema->domain().c_str(),
                c.schema->Name().c_str(), c.schema->SinceVersion(), c.Describe().c_str());
    std::fflush(stdout);
    ++crashes;
    next = last + 1;
  }
  std::fprintf(stderr, "inference_sweep: %d crashing cases\n", crashes);
  return 0;
}
