// Copyright onnxedge authors.
// L2Prefetch: brings a range of 64-byte lines into L2 over a tile's k steps, one line at a time
// and spread evenly over them, for micro-kernels whose next weights are still in memory (a
// model's weights are read once per run). The lines are spread rather than issued on the first
// steps: each prefetch holds a fill buffer until its line arrives, and from DRAM a burst of one
// per step runs out of them and stalls the tile's loads. Plain SSE prefetches: usable from any
// x86 file (the AVX2 and AVX-512 GEMM tiles, the channels-last convolution tiles).
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace onnxedge::kernels::x86 {

class L2Prefetch {
 public:
  /// `lines` lines from `p`, one every (steps / lines) calls of Step(); none when lines <= 0.
  L2Prefetch(const void* p, int64_t lines, int64_t steps)
      : p_(static_cast<const char*>(p)),
        left_(std::max<int64_t>(0, lines)),
        every_(left_ > 0 ? std::max<int64_t>(1, steps / left_) : 1) {}

  void Step() {
    if (left_ > 0 && --wait_ == 0) {
      wait_ = every_;
      _mm_prefetch(p_, _MM_HINT_T1);
      p_ += 64;
      --left_;
    }
  }

 private:
  const char* p_;
  int64_t left_;
  int64_t every_;
  int64_t wait_ = 1;
};

}  // namespace onnxedge::kernels::x86
