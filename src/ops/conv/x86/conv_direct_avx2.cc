// Copyright onnxedge authors.
// The direct convolution's register-block kernel (ops/conv/conv_direct_impl.h) built with this
// file's ISA flags.
#include "ops/conv/conv_direct_impl.h"

namespace onnxedge::ops {

void DirectBlockAvx2(const DirectBlockArgs& a) { DirectBlock(a); }

void DirectPhaseRowsAvx2(const float* x, int64_t iw_n, int64_t pl, int64_t sw, float* const* dst,
                         int64_t wp) {
  DirectPhaseRows(x, iw_n, pl, sw, dst, wp);
}

}  // namespace onnxedge::ops
