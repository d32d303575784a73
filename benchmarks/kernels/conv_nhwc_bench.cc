// Copyright onnxedge authors.
// Channels-last group-1 convolution layers (YOLO-style detectors, batch 1, float32, SiLU):
// the in-place broadcast tiles (ops/conv/conv_nhwc_direct.h) against the packing GEMM path
// (RunConvNhwcGemm) on the same prepared weights, so the ratio is the gain of not packing.
#include <string>

#include "bench_util.h"
#include "ops/conv/conv_nhwc.h"
#include "ops/conv/conv_nhwc_direct.h"
#include "runtime/thread_pool.h"

namespace onnxedge::bench {
namespace {

struct NhwcLayer {
  const char* name;
  int64_t c, m, hw, k, stride;
};

enum class Path { kDirect, kGemm, kWinograd };

void RunNhwc(benchmark::State& state, NhwcLayer l, int threads, Path path) {
  const int64_t pad = l.k / 2, out = (l.hw + 2 * pad - l.k) / l.stride + 1;
  const auto x = RandomFloats(static_cast<size_t>(l.hw * l.hw * l.c), 1);
  const auto w = RandomFloats(static_cast<size_t>(l.m * l.c * l.k * l.k), 2);
  const auto bias = RandomFloats(static_cast<size_t>(l.m), 3);
  std::vector<float> y(static_cast<size_t>(out * out * l.m));
  ThreadPool pool(threads);
  // Without unit_stride_dilation no Winograd: the direct and GEMM sides multiply the same
  // packed weights.
  ops::ConvF32Hints hints;
  if (path == Path::kWinograd) {
    hints.unit_stride_dilation = true;
    hints.out_h = hints.out_w = out;
  }
  ops::ConvNhwcWeights prepared;
  ops::PrepareConvNhwcWeights(w.data(), {l.m, l.c, l.k, l.k}, 1, &prepared, nullptr, &hints);
  ops::ConvNhwcArgs args;
  args.batch = 1;
  args.h = args.w = l.hw;
  args.c = l.c;
  args.m = l.m;
  args.stride_h = args.stride_w = l.stride;
  args.pad_top = args.pad_left = pad;
  args.oh = args.ow = out;
  args.x = x.data();
  args.bias = bias.data();
  args.activation = kernels::Activation::Silu();
  args.y = y.data();
  if (path == Path::kDirect && !ops::UseConvNhwcDirect(prepared, args)) {
    state.SkipWithError("no in-place tile kernel on this CPU");
    return;
  }
  if (path == Path::kWinograd && !prepared.winograd) {
    state.SkipWithError("not a Winograd layer");
    return;
  }
  for (auto _ : state) {
    if (path == Path::kDirect) {
      ops::RunConvNhwcDirect(prepared, args, &pool);
    } else if (path == Path::kGemm) {
      ops::RunConvNhwcGemm(prepared, args, &pool);
    } else {
      ops::RunConvNhwc(prepared, args, &pool);
    }
    benchmark::DoNotOptimize(y.data());
  }
  SetFlops(state, 2.0 * static_cast<double>(out * out * l.m * l.c * l.k * l.k));
}

}  // namespace

void RegisterConvNhwcBenchmarks() {
  const NhwcLayer layers[] = {
      {"yolo_3x3s2_16to32_160", 16, 32, 160, 3, 2},
      {"yolo_3x3s2_32to64_80", 32, 64, 80, 3, 2},
      {"yolo_3x3s2_64to128_40", 64, 128, 40, 3, 2},
      {"yolo_3x3s2_64to64_40", 64, 64, 40, 3, 2},
      {"yolo_3x3s2_128to256_20", 128, 256, 20, 3, 2},
      {"yolo_3x3_16to16_80", 16, 16, 80, 3, 1},
      {"yolo_3x3_128to128_10", 128, 128, 10, 3, 1},
      {"yolo_1x1_16to16_80", 16, 16, 80, 1, 1},
      {"yolo_1x1_32to16_80", 32, 16, 80, 1, 1},
      {"yolo_1x1_32to32_80", 32, 32, 80, 1, 1},
      {"yolo_1x1_32to32_40", 32, 32, 40, 1, 1},
      {"yolo_1x1_64to32_40", 64, 32, 40, 1, 1},
      {"yolo_1x1_128to32_40", 128, 32, 40, 1, 1},
      {"yolo_1x1_64to64_40", 64, 64, 40, 1, 1},
      {"yolo_1x1_64to255_40", 64, 255, 40, 1, 1},
      {"yolo_1x1_128to64_20", 128, 64, 20, 1, 1},
      {"yolo_1x1_128to128_20", 128, 128, 20, 1, 1},
      {"yolo_1x1_512to256_10", 512, 256, 10, 1, 1},
      {"mbv2_1x1_32to192_28", 32, 192, 28, 1, 1},
      {"mbv2_1x1_576to96_14", 576, 96, 14, 1, 1},
      {"mbv2_1x1_160to960_7", 160, 960, 7, 1, 1},
      {"mbv2_1x1_960to160_7", 960, 160, 7, 1, 1},
      {"mbv2_1x1_320to1280_7", 320, 1280, 7, 1, 1},
  };
  // 3x3 stride-1 layers that ChooseWinograd takes: the in-place tiles against Winograd.
  const NhwcLayer wino[] = {
      {"yolo_3x3_128to128_10", 128, 128, 10, 3, 1}, {"yolo_3x3_64to64_20", 64, 64, 20, 3, 1},
      {"yolo_3x3_32to32_40", 32, 32, 40, 3, 1},     {"resnet_3x3_256to256_14", 256, 256, 14, 3, 1},
      {"resnet_3x3_128to128_28", 128, 128, 28, 3, 1}, {"resnet_3x3_64to64_56", 64, 64, 56, 3, 1},
      {"resnet_3x3_512to512_7", 512, 512, 7, 3, 1},
  };
  // The tiles ("conv_nhwc/<mine>/...") against `ref` as one pair of the ratio table.
  auto add = [](const NhwcLayer& l, int threads, const std::string& mine_name, Path ref_path,
                const std::string& ref_name, const std::string& group) {
    const std::string suffix = std::string(l.name) + "/threads:" + std::to_string(threads);
    const std::string mine = "conv_nhwc/" + mine_name + "/" + suffix;
    const std::string ref = "conv_nhwc/" + ref_name + "/" + suffix;
    Configure(benchmark::RegisterBenchmark(
                  mine.c_str(),
                  [=](benchmark::State& st) { RunNhwc(st, l, threads, Path::kDirect); }),
              threads);
    Configure(benchmark::RegisterBenchmark(
                  ref.c_str(), [=](benchmark::State& st) { RunNhwc(st, l, threads, ref_path); }),
              threads);
    AddPair(group + ", " + std::to_string(threads) + " thread(s), GFLOP/s (reference: " +
                (ref_path == Path::kGemm ? "the packing GEMM path" : "Winograd F(4x4, 3x3)") + ")",
            l.name, mine, ref);
  };
  for (int threads : {1, 2}) {
    for (const NhwcLayer& l : layers) {
      add(l, threads, "direct", Path::kGemm, "gemm", "Channels-last conv + bias + SiLU");
    }
    for (const NhwcLayer& l : wino) {
      add(l, threads, "direct_vs_winograd", Path::kWinograd, "winograd",
          "Channels-last 3x3 conv + bias + SiLU");
    }
  }
}

}  // namespace onnxedge::bench
