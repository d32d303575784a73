// Copyright onnxedge authors.
#include "ops/common/rnn_util.h"

#include <algorithm>
#include <cctype>

namespace onnxedge::ops::rnn {

namespace {

struct ActivationSpec {
  const char* name;  // lower case
  ActivationKind kind;
  bool uses_alpha, uses_beta;
  float default_alpha, default_beta;
};

// Defaults follow the standalone ONNX ops of the same name (LeakyRelu alpha 0.01, HardSigmoid
// 0.2/0.5, ...); Affine and ScaledTanh have no standalone op and default to identity scaling.
constexpr ActivationSpec kActivations[] = {
    {"sigmoid", ActivationKind::kSigmoid, false, false, 0.f, 0.f},
    {"tanh", ActivationKind::kTanh, false, false, 0.f, 0.f},
    {"relu", ActivationKind::kRelu, false, false, 0.f, 0.f},
    {"affine", ActivationKind::kAffine, true, true, 1.f, 0.f},
    {"leakyrelu", ActivationKind::kLeakyRelu, true, false, 0.01f, 0.f},
    {"thresholdedrelu", ActivationKind::kThresholdedRelu, true, false, 1.f, 0.f},
    {"scaledtanh", ActivationKind::kScaledTanh, true, true, 1.f, 1.f},
    {"hardsigmoid", ActivationKind::kHardSigmoid, true, true, 0.2f, 0.5f},
    {"elu", ActivationKind::kElu, true, false, 1.f, 0.f},
    {"softsign", ActivationKind::kSoftsign, false, false, 0.f, 0.f},
    {"softplus", ActivationKind::kSoftplus, false, false, 0.f, 0.f},
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

StatusOr<Attributes> ParseAttributes(const KernelInfo& info,
                                     const std::vector<std::string>& defaults) {
  Attributes a;
  a.per_direction = static_cast<int>(defaults.size());
  OE_ASSIGN_OR_RETURN(std::string direction, info.GetString("direction", "forward"));
  if (direction == "forward") {
    a.direction = Direction::kForward;
  } else if (direction == "reverse") {
    a.direction = Direction::kReverse;
  } else if (direction == "bidirectional") {
    a.direction = Direction::kBidirectional;
  } else {
    return info.Error(StatusCode::kInvalidModel,
                      "attribute 'direction' must be forward, reverse "
                      "or bidirectional, got '",
                      direction, "'");
  }
  a.num_directions = a.direction == Direction::kBidirectional ? 2 : 1;

  if (info.HasAttribute("hidden_size")) {
    OE_ASSIGN_OR_RETURN(a.hidden_size, info.GetInt("hidden_size"));
    if (a.hidden_size < 0) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'hidden_size' must be >= 0, got ",
                        a.hidden_size);
    }
  }
  OE_ASSIGN_OR_RETURN(a.layout, info.GetInt("layout", 0));
  if (a.layout != 0 && a.layout != 1) {
    return info.Error(StatusCode::kInvalidModel, "attribute 'layout' must be 0 or 1, got ",
                      a.layout);
  }
  if (info.HasAttribute("clip")) {
    OE_ASSIGN_OR_RETURN(a.clip, info.GetFloat("clip"));
    if (!(a.clip > 0.f)) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'clip' must be > 0, got ", a.clip);
    }
    a.has_clip = true;
  }

  OE_ASSIGN_OR_RETURN(std::vector<std::string> names, info.GetStrings("activations", {}));
  OE_ASSIGN_OR_RETURN(std::vector<float> alphas, info.GetFloats("activation_alpha", {}));
  OE_ASSIGN_OR_RETURN(std::vector<float> betas, info.GetFloats("activation_beta", {}));
  const size_t per_dir = defaults.size();
  const size_t total = per_dir * static_cast<size_t>(a.num_directions);
  if (names.empty()) {
    for (int d = 0; d < a.num_directions; ++d)
      names.insert(names.end(), defaults.begin(), defaults.end());
  } else if (names.size() == per_dir && total != per_dir) {
    // One direction's list given for a bidirectional op: use it for both directions.
    std::vector<std::string> twice = names;
    twice.insert(twice.end(), names.begin(), names.end());
    names = std::move(twice);
  } else if (names.size() != total) {
    return info.Error(StatusCode::kInvalidModel, "attribute 'activations' must list ", total,
                      " functions (", per_dir, " per direction), got ", names.size());
  }
  // alpha/beta values are consumed in order by the functions that take them.
  size_t next_alpha = 0, next_beta = 0;
  for (const std::string& name : names) {
    const std::string key = Lower(name);
    const ActivationSpec* spec = nullptr;
    for (const auto& s : kActivations) {
      if (key == s.name) spec = &s;
    }
    if (!spec) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'activations': unknown function '",
                        name, "'");
    }
    Activation act;
    act.kind = spec->kind;
    act.alpha = spec->default_alpha;
    act.beta = spec->default_beta;
    if (spec->uses_alpha && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
    if (spec->uses_beta && next_beta < betas.size()) act.beta = betas[next_beta++];
    a.activations.push_back(act);
  }
  return a;
}

StatusOr<Dims> CheckInputs(const KernelContext& ctx, const Attributes& attrs, int gates,
                           bool lstm) {
  OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
  OE_ASSIGN_OR_RETURN(const Tensor* w, ctx.RequiredInput(1));
  OE_ASSIGN_OR_RETURN(const Tensor* r, ctx.RequiredInput(2));
  const int64_t dirs = attrs.num_directions;
  if (x->rank() != 3) {
    return ctx.Error(StatusCode::kInvalidArgument, "input 'X' must have rank 3, got shape ",
                     ShapeToString(x->shape()));
  }
  Dims d;
  d.dirs = attrs.num_directions;
  d.seq = attrs.layout == 0 ? x->dim(0) : x->dim(1);
  d.batch = attrs.layout == 0 ? x->dim(1) : x->dim(0);
  d.input = x->dim(2);
  if (r->rank() != 3) {
    return ctx.Error(StatusCode::kInvalidArgument, "input 'R' must have rank 3, got shape ",
                     ShapeToString(r->shape()));
  }
  d.hidden = attrs.hidden_size >= 0 ? attrs.hidden_size : r->dim(2);
  const int64_t gh = gates * d.hidden;
  auto expect = [&](const Tensor* t, const char* name, const Shape& shape) -> Status {
    if (!t) return Status::Ok();
    if (t->shape() != shape) {
      return ctx.Error(StatusCode::kInvalidArgument, "input '", name, "' must have shape ",
                       ShapeToString(shape), ", got ", ShapeToString(t->shape()));
    }
    if (t->dtype() != x->dtype() && std::string(name) != "sequence_lens") {
      return ctx.Error(StatusCode::kInvalidArgument, "input '", name, "' has type ",
                       DataTypeName(t->dtype()), " but X has type ", DataTypeName(x->dtype()));
    }
    return Status::Ok();
  };
  OE_RETURN_IF_ERROR(expect(w, "W", {dirs, gh, d.input}));
  OE_RETURN_IF_ERROR(expect(r, "R", {dirs, gh, d.hidden}));
  OE_RETURN_IF_ERROR(expect(ctx.Input(3), "B", {dirs, 2 * gh}));
  const Tensor* lens = ctx.Input(4);
  OE_RETURN_IF_ERROR(expect(lens, "sequence_lens", {d.batch}));
  if (lens && lens->dtype() != DataType::kInt32 && lens->dtype() != DataType::kInt64) {
    return ctx.Error(StatusCode::kInvalidArgument, "input 'sequence_lens' must be int32, got ",
                     DataTypeName(lens->dtype()));
  }
  const Shape state =
      attrs.layout == 0 ? Shape{dirs, d.batch, d.hidden} : Shape{d.batch, dirs, d.hidden};
  OE_RETURN_IF_ERROR(expect(ctx.Input(5), "initial_h", state));
  if (lstm) {
    OE_RETURN_IF_ERROR(expect(ctx.Input(6), "initial_c", state));
    OE_RETURN_IF_ERROR(expect(ctx.Input(7), "P", {dirs, 3 * d.hidden}));
  }
  return d;
}

Status ReadSequenceLengthsInto(const KernelContext& ctx, const Dims& d,
                               std::vector<int64_t>* out) {
  const Tensor* t = ctx.Input(4);
  if (!t) {
    out->assign(static_cast<size_t>(d.batch), d.seq);
    return Status::Ok();
  }
  if (t->dtype() != DataType::kInt64 && t->dtype() != DataType::kInt32) {
    return MakeError(StatusCode::kInvalidArgument, ctx.Describe(),
                     ": expected an int32 or int64 tensor, got ", DataTypeName(t->dtype()));
  }
  out->resize(static_cast<size_t>(t->size()));
  for (int64_t i = 0; i < t->size(); ++i) {
    (*out)[static_cast<size_t>(i)] =
        t->dtype() == DataType::kInt64 ? t->data<int64_t>()[i] : t->data<int32_t>()[i];
  }
  const std::vector<int64_t>& lens = *out;
  for (size_t b = 0; b < lens.size(); ++b) {
    if (lens[b] < 0 || lens[b] > d.seq) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'sequence_lens'[", b, "] = ", lens[b],
                       " is outside [0, ", d.seq, "]");
    }
  }
  return Status::Ok();
}


void PrepackConstant(const KernelInfo& info, size_t index, int dirs, int64_t rows,
                     const std::vector<std::pair<int64_t, int64_t>>& row_blocks,
                     PrepackedWeights* out) {
  const Tensor* t = info.ConstantInput(index);
  if (!t || t->rank() != 3 || t->dim(0) != dirs || t->dim(1) != rows) return;
  if (t->dtype() != DataType::kFloat && t->dtype() != DataType::kFloat16) return;
  const int64_t cols = t->dim(2);
  std::vector<float> converted;
  const float* w = nullptr;
  if (t->dtype() == DataType::kFloat) {
    w = t->data<float>();
  } else {
    converted.resize(static_cast<size_t>(t->size()));
    const Float16* src = t->data<Float16>();
    for (int64_t i = 0; i < t->size(); ++i) {
      converted[static_cast<size_t>(i)] = static_cast<float>(src[i]);
    }
    w = converted.data();
  }
  out->num_blocks = static_cast<int>(row_blocks.size());
  out->blocks.resize(static_cast<size_t>(dirs) * row_blocks.size());
  for (int d = 0; d < dirs; ++d) {
    for (size_t bi = 0; bi < row_blocks.size(); ++bi) {
      const auto [first, count] = row_blocks[bi];
      out->blocks[static_cast<size_t>(d) * row_blocks.size() + bi].Init(
          w + (d * rows + first) * cols, count, cols, cols, nullptr);
    }
  }
}

}  // namespace onnxedge::ops::rnn
