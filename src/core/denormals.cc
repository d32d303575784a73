// Copyright onnxedge authors.
#include "core/denormals.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace onnxedge {

namespace {

#if defined(__x86_64__) || defined(__i386__)
constexpr uint32_t kFlushBits = 0x8040;  // MXCSR FTZ (bit 15) | DAZ (bit 6)
uint64_t ReadMode() { return _mm_getcsr(); }
void WriteMode(uint64_t mode) { _mm_setcsr(static_cast<unsigned int>(mode)); }
#elif defined(__aarch64__)
constexpr uint64_t kFlushBits = uint64_t{1} << 24;  // FPCR.FZ
uint64_t ReadMode() {
  uint64_t fpcr;
  asm volatile("mrs %0, fpcr" : "=r"(fpcr));
  return fpcr;
}
void WriteMode(uint64_t mode) { asm volatile("msr fpcr, %0" : : "r"(mode)); }
#else
constexpr uint64_t kFlushBits = 0;
uint64_t ReadMode() { return 0; }
void WriteMode(uint64_t) {}
#endif

}  // namespace

void FlushDenormalsOnThisThread() {
  const uint64_t mode = ReadMode();
  if ((mode & kFlushBits) != kFlushBits) WriteMode(mode | kFlushBits);
}

ScopedFlushDenormals::ScopedFlushDenormals() : saved_(ReadMode()) {
  if ((saved_ & kFlushBits) != kFlushBits) WriteMode(saved_ | kFlushBits);
}

ScopedFlushDenormals::~ScopedFlushDenormals() {
  if (ReadMode() != saved_) WriteMode(saved_);
}

}  // namespace onnxedge
