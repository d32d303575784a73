// Copyright onnxedge authors.
// 3x3 stride-1 layers (ResNet-18's, and few-output-channel ones; batch 1, pad 1, bias + Relu)
// through the convolution engine
// twice in one process: the Winograd F(4x4, 3x3) path (weights prepared with hints that select
// it; NCHW <-> NHWC transposes included) against the im2col + GEMM path (no hints). GFLOP/s
// count the direct convolution's 2 * M * C * 9 * OH * OW for both, so the ratio is the speedup.
#include <string>

#include "bench_util.h"
#include "ops/conv/conv_f32.h"
#include "runtime/thread_pool.h"

namespace onnxedge::bench {
namespace {

struct Layer {
  const char* name;
  int64_t c, m, hw;
};

void RunLayer(benchmark::State& state, Layer l, bool winograd, int threads) {
  ops::WindowGeometry g;
  g.spatial_rank = 2;
  g.in = {1, l.hw, l.hw};
  g.out = {1, l.hw, l.hw};
  g.kernel = {1, 3, 3};
  g.pad_begin = {0, 1, 1};
  g.pad_end = {0, 1, 1};
  const auto x = RandomFloats(static_cast<size_t>(l.c * g.in_size()), 1);
  const auto w = RandomFloats(static_cast<size_t>(l.m * l.c * 9), 2);
  const auto bias = RandomFloats(static_cast<size_t>(l.m), 3);
  std::vector<float> y(static_cast<size_t>(l.m * g.out_size()));
  ThreadPool pool(threads);
  ops::ConvF32Hints hints;
  hints.unit_stride_dilation = true;
  // Output dims left unknown, so only the channel part of WinogradWorthIt applies and every
  // layer here runs Winograd (with them, the 7x7 512-channel layer would keep im2col).
  ops::ConvF32Weights prepared;
  ops::PrepareConvF32Weights(w.data(), {l.m, l.c, 3, 3}, 1, &prepared, nullptr,
                             winograd ? &hints : nullptr);
  if (winograd && !prepared.winograd) {
    state.SkipWithError("Winograd not chosen (cost rule or ONNXEDGE_WINOGRAD=0)");
    return;
  }
  ops::ConvF32Args args;
  args.geometry = &g;
  args.batch = 1;
  args.in_channels = l.c;
  args.x = x.data();
  args.bias = bias.data();
  args.y = y.data();
  args.activation = kernels::Activation::Relu();
  for (auto _ : state) {
    ops::RunConvF32(prepared, args, &pool);
    benchmark::DoNotOptimize(y.data());
  }
  SetFlops(state, 2.0 * static_cast<double>(l.m * l.c * 9 * l.hw * l.hw));
}

}  // namespace

void RegisterWinogradBenchmarks() {
  const Layer layers[] = {{"resnet18_3x3_64_56", 64, 64, 56},
                          {"resnet18_3x3_128_28", 128, 128, 28},
                          {"resnet18_3x3_256_14", 256, 256, 14},
                          {"resnet18_3x3_512_7", 512, 512, 7},
                          // PP-OCRv4 detector neck (96 -> 24 channels) at 640x640 input.
                          {"ppocr_3x3_96to24_160", 96, 24, 160},
                          {"ppocr_3x3_96to24_80", 96, 24, 80},
                          {"c32_m16_3x3_104", 32, 16, 104},
                          {"c32_m8_3x3_104", 32, 8, 104},
                          {"c16_m32_3x3_104", 16, 32, 104},
                          {"c16_m16_3x3_104", 16, 16, 104}};
  for (int threads : {1, 2}) {
    for (const Layer& l : layers) {
      const std::string suffix = std::string(l.name) + "/threads:" + std::to_string(threads);
      const std::string wino = "winograd/f4x4/" + suffix;
      const std::string ref = "winograd/im2col_gemm/" + suffix;
      Configure(benchmark::RegisterBenchmark(
                    wino.c_str(), [=](benchmark::State& st) { RunLayer(st, l, true, threads); }),
                threads);
      Configure(benchmark::RegisterBenchmark(
                    ref.c_str(), [=](benchmark::State& st) { RunLayer(st, l, false, threads); }),
                threads);
      AddPair("3x3 stride-1 Conv + bias + Relu, " + std::to_string(threads) +
                  " thread(s), direct-equivalent GFLOP/s (reference: im2col + GEMM, same engine)",
              l.name, wino, ref);
    }
  }
}

}  // namespace onnxedge::bench
