// Copyright onnxedge authors.
// Registers every op folder listed in the generated ops_list.inc. An explicit call (not static
// initializers) so static libraries on edge targets keep every op.
#include "runtime/kernel.h"

namespace onnxedge {
namespace ops {
#define ONNXEDGE_OP(name) void RegisterOp_##name(OpRegistry& registry);
#include "ops_list.inc"
#undef ONNXEDGE_OP
}  // namespace ops

void RegisterAllOps(OpRegistry& registry) {
#define ONNXEDGE_OP(name) ops::RegisterOp_##name(registry);
#include "ops_list.inc"
#undef ONNXEDGE_OP
}

}  // namespace onnxedge
