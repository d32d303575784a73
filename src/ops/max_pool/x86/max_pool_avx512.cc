// Copyright onnxedge authors.
// The vector MaxPool rows (ops/max_pool/max_pool_rows_impl.h) built with this file's ISA flags.
#include "ops/conv/x86/simd.h"
#include "ops/max_pool/max_pool_rows_impl.h"

namespace onnxedge::ops {

MaxPoolRowFn SelectMaxPoolRowAvx512(int64_t sw) { return max_pool_rows::Select<simd::Avx512>(sw); }

MaxIntoFn MaxIntoAvx512() { return &max_pool_rows::MaxInto<simd::Avx512>; }

}  // namespace onnxedge::ops
