// Copyright onnxedge authors.
// StringNormalizer (opset 10-21): drops the elements of a [C] or [1, C] string tensor found in
// `stopwords` (compared after lower-casing both sides unless is_case_sensitive), then applies
// case_change_action LOWER / UPPER / NONE. When every element is dropped the output is [""]
// with shape [1] (or [1, 1]). Case mapping is locale independent (utf8_case.h: ASCII, Latin-1,
// Latin Extended-A, Greek, Cyrillic); `locale` is accepted and not used.
#include <unordered_set>

#include "ops/common/op_util.h"
#include "ops/string_normalizer/utf8_case.h"

namespace onnxedge::ops {

namespace {

enum class CaseAction { kNone, kLower, kUpper };

class StringNormalizerKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<StringNormalizerKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<StringNormalizerKernel>();
    OE_ASSIGN_OR_RETURN(std::string action, info.GetString("case_change_action", "NONE"));
    if (action == "NONE") {
      k->action_ = CaseAction::kNone;
    } else if (action == "LOWER") {
      k->action_ = CaseAction::kLower;
    } else if (action == "UPPER") {
      k->action_ = CaseAction::kUpper;
    } else {
      return info.Error(StatusCode::kInvalidModel,
                        "attribute 'case_change_action' must be LOWER, "
                        "UPPER or NONE, got '",
                        action, "'");
    }
    OE_ASSIGN_OR_RETURN(int64_t sensitive, info.GetInt("is_case_sensitive", 0));
    k->case_sensitive_ = sensitive != 0;
    OE_ASSIGN_OR_RETURN(std::string locale, info.GetString("locale", ""));
    (void)locale;
    OE_ASSIGN_OR_RETURN(std::vector<std::string> stopwords, info.GetStrings("stopwords", {}));
    for (const auto& w : stopwords) {
      k->stopwords_.insert(k->case_sensitive_ ? w : utf8::ToLower(w));
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    if (x->dtype() != DataType::kString) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'X' must be a string tensor, got ",
                       DataTypeName(x->dtype()));
    }
    const bool two_dim = x->rank() == 2;
    if (!(x->rank() == 1 || (two_dim && x->dim(0) == 1))) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'X' must have shape [C] or [1, C], "
                       "got ",
                       ShapeToString(x->shape()));
    }
    const std::string* in = x->data<std::string>();
    std::vector<const std::string*> kept;
    kept.reserve(static_cast<size_t>(x->size()));
    for (int64_t i = 0; i < x->size(); ++i) {
      if (!stopwords_.empty()) {
        const bool stop = case_sensitive_ ? stopwords_.count(in[i]) > 0
                                          : stopwords_.count(utf8::ToLower(in[i])) > 0;
        if (stop) continue;
      }
      kept.push_back(&in[i]);
    }
    const int64_t c = std::max<int64_t>(1, static_cast<int64_t>(kept.size()));
    OE_ASSIGN_OR_RETURN(Tensor * y,
                        ctx.AllocateOutput(0, DataType::kString, two_dim ? Shape{1, c} : Shape{c}));
    std::string* out = y->data<std::string>();  // Already "" where nothing is kept.
    for (size_t i = 0; i < kept.size(); ++i) {
      switch (action_) {
        case CaseAction::kNone:
          out[i] = *kept[i];
          break;
        case CaseAction::kLower:
          out[i] = utf8::ToLower(*kept[i]);
          break;
        case CaseAction::kUpper:
          out[i] = utf8::ToUpper(*kept[i]);
          break;
      }
    }
    return Status::Ok();
  }

 private:
  CaseAction action_ = CaseAction::kNone;
  bool case_sensitive_ = false;
  std::unordered_set<std::string> stopwords_;
};

}  // namespace

void RegisterOp_string_normalizer(OpRegistry& registry) {
  registry.Register({"", "StringNormalizer", 10, 21, MakeFactory<StringNormalizerKernel>()});
}

}  // namespace onnxedge::ops
