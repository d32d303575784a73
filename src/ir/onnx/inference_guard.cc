// Copyright onnxedge authors.
#include "ir/onnx/inference_guard.h"

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "onnx/defs/schema.h"
#include "onnx/defs/shape_inference.h"

namespace onnxedge::onnx_io {

namespace {

constexpr int kAbsent = -2;   // no type at all: an omitted optional input, or nothing produced it
constexpr int kNoShape = -1;  // a type without a shape

template <typename Ctx>
int InputRank(const Ctx& ctx, size_t i) {
  if (i >= ctx.getNumInputs()) return kAbsent;
  const onnx::TypeProto* t = ctx.getInputType(i);
  if (t == nullptr) return kAbsent;
  if (t->has_tensor_type() && t->tensor_type().has_shape()) {
    return t->tensor_type().shape().dim_size();
  }
  return kNoShape;
}

template <typename Ctx>
int64_t IntAttribute(const Ctx& ctx, const char* name, int64_t fallback) {
  const onnx::AttributeProto* a = ctx.getAttribute(name);
  return a != nullptr && a->has_i() ? a->i() : fallback;
}

// Whether libonnx's functions for `schema` may see this node's inputs. Ranks that are not known
// (no shape) pass: the functions check for a shape before they index it.
template <typename Ctx>
bool Usable(const onnx::OpSchema& schema, const Ctx& ctx) {
  // Every input that is there has a type (Shape-15, CategoryMapper, DictVectorizer and
  // LabelEncoder dereference it); only an optional formal input may be absent.
  const auto& formal = schema.inputs();
  for (size_t i = 0; i < ctx.getNumInputs(); ++i) {
    const onnx::TypeProto* t = ctx.getInputType(i);
    const size_t f = formal.empty() ? 0 : std::min(i, formal.size() - 1);
    const bool optional =
        !formal.empty() && formal[f].GetOption() == onnx::OpSchema::Optional;
    if (t == nullptr) {
      if (!optional) return false;
      continue;
    }
    if (t->value_case() == onnx::TypeProto::VALUE_NOT_SET) return false;
  }
  if (!schema.domain().empty()) return true;  // the rules below are for the ai.onnx domain
  const std::string& op = schema.Name();
  auto rank_is = [&](size_t i, int r) {
    const int k = InputRank(ctx, i);
    return k < 0 || k == r;
  };
  if (op == "Gemm") return rank_is(0, 2) && rank_is(1, 2);
  if (op == "RNN" || op == "GRU" || op == "LSTM") {
    return rank_is(0, 3) && rank_is(1, 3) && rank_is(2, 3) && rank_is(3, 2) && rank_is(4, 1) &&
           rank_is(5, 3) && rank_is(6, 3) && rank_is(7, 2);
  }
  if (op == "STFT") return rank_is(0, 3) && rank_is(1, 0) && rank_is(2, 1) && rank_is(3, 0);
  if (op == "LayerNormalization") {
    const int r = InputRank(ctx, 0);
    if (r < 0) return true;
    const int64_t axis = IntAttribute(ctx, "axis", -1);
    return r >= 1 && axis >= -r && axis < r;
  }
  // GatherND reads dims by batch_dims, which the spec bounds by both ranks.
  if (op == "GatherND") {
    const int64_t b = IntAttribute(ctx, "batch_dims", 0);
    const int r = InputRank(ctx, 0), q = InputRank(ctx, 1);
    return b >= 0 && (r < 0 || b < r) && (q < 0 || b < q);
  }
  // DepthToSpace divides by blocksize squared: 2^40 overflows to 0 (SIGFPE).
  if (op == "DepthToSpace" || op == "SpaceToDepth") {
    const int64_t b = IntAttribute(ctx, "blocksize", 1);
    return b >= 1 && b < (int64_t{1} << 31);
  }
  // MaxRoiPool reads pooled_shape[0] and [1].
  if (op == "MaxRoiPool") {
    const onnx::AttributeProto* a = ctx.getAttribute("pooled_shape");
    return a != nullptr && a->ints_size() == 2;
  }
  // The convolutions take the kernel dims from W without kernel_shape and index X's spatial
  // attributes with them; ConvTranspose reads W's dim 1 even with kernel_shape (a rank-1 W:
  // found by the shape-inference fuzzer). X and W have rank >= 3 and the same rank, and a
  // kernel_shape has one value per spatial dim.
  const bool conv = op == "Conv" || op == "ConvInteger" || op == "ConvTranspose";
  if (conv || op == "QLinearConv") {
    const int x = InputRank(ctx, 0), w = InputRank(ctx, conv ? 1 : 3);
    if ((x >= 0 && x < 3) || (w >= 0 && w < 3) || (x >= 0 && w >= 0 && x != w)) return false;
    const onnx::AttributeProto* k = ctx.getAttribute("kernel_shape");
    if (k != nullptr && x >= 0 && k->ints_size() != x - 2) return false;
    if (k != nullptr && w >= 0 && k->ints_size() != w - 2) return false;
  }
  return true;
}

std::unique_ptr<onnx::OpSchema> Wrap(const onnx::OpSchema* base) {
  auto s = std::make_unique<onnx::OpSchema>(*base);
  if (base->has_type_and_shape_inference_function()) {
    s->TypeAndShapeInferenceFunction(
        [base, fn = base->GetTypeAndShapeInferenceFunction()](onnx::InferenceContext& ctx) {
          if (Usable(*base, ctx)) fn(ctx);
        });
  }
  if (base->has_data_propagation_function()) {
    s->PartialDataPropagationFunction(
        [base, fn = base->GetDataPropagationFunction()](onnx::DataPropagationContext& ctx) {
          if (Usable(*base, ctx)) fn(ctx);
        });
  }
  return s;
}

class GuardedRegistry final : public onnx::ISchemaRegistry {
 public:
  const onnx::OpSchema* GetSchema(const std::string& key, const int max_inclusive_version,
                                  const std::string& domain) const override {
    const onnx::OpSchema* base =
        onnx::OpSchemaRegistry::Schema(key, max_inclusive_version, domain);
    if (base == nullptr) return nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = wrapped_[base];
    if (!slot) slot = Wrap(base);
    return slot.get();
  }

 private:
  mutable std::mutex mu_;
  mutable std::unordered_map<const onnx::OpSchema*, std::unique_ptr<onnx::OpSchema>> wrapped_;
};

}  // namespace

const onnx::ISchemaRegistry* GuardedSchemaRegistry() {
  static const GuardedRegistry* registry = new GuardedRegistry();
  return registry;
}

}  // namespace onnxedge::onnx_io
