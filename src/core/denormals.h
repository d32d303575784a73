// Copyright onnxedge authors.
// Denormal (subnormal) floats flushed to zero while onnxedge computes.
//
// On x86 an arithmetic instruction that reads or produces a subnormal float takes a microcode
// assist of about a hundred cycles. Activations that decay towards zero (squeeze-excitation
// branches, long attention tails) make whole layers crawl: in the PP-OCRv4 recognizer one
// 480 -> 120 1x1 convolution on a 1x1 map took 630 us instead of 51 us. Values below 2^-126
// carry no information a network uses, so, as onnxruntime's session.set_denormal_as_zero and
// most inference engines do, onnxedge runs with flush-to-zero and denormals-are-zero:
//   x86-64: MXCSR FTZ (results) and DAZ (inputs); AArch64: FPCR.FZ; elsewhere nothing.
// The pool's worker threads set it once when they start; Session::Run sets it on the calling
// thread for the duration of the run and restores the caller's setting afterwards.
#pragma once

#include <cstdint>

namespace onnxedge {

/// Turns flushing on for the calling thread (for threads onnxedge owns).
void FlushDenormalsOnThisThread();

/// Flushing on the calling thread from construction to destruction, then the previous mode.
class ScopedFlushDenormals {
 public:
  ScopedFlushDenormals();
  ~ScopedFlushDenormals();
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

 private:
  uint64_t saved_ = 0;
};

}  // namespace onnxedge
