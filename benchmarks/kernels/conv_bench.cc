// Copyright onnxedge authors.
// Convolution layers of ResNet-18/50 and MobileNetV2 (batch 1, float32) through the Conv
// engine (ops::RunConvF32, weights prepared beforehand as at session creation). Dense layers
// are compared against im2col + OpenBLAS cblas_sgemm (the classic reference formulation, im2col
// time included); depthwise layers have no BLAS formulation and report GFLOP/s alone.
#include <cblas.h>

#include <memory>
#include <string>

#include "bench_util.h"
#include "ops/conv/conv_f32.h"
#include "runtime/thread_pool.h"

namespace onnxedge::bench {
namespace {

struct ConvLayer {
  const char* name;
  int64_t c, m, hw, k, stride, group;
  int64_t pad = -1;  ///< -1: k / 2
};

ops::WindowGeometry Geometry(const ConvLayer& l) {
  ops::WindowGeometry g;
  g.spatial_rank = 2;
  const int64_t pad = l.pad >= 0 ? l.pad : l.k / 2;
  g.in = {1, l.hw, l.hw};
  g.kernel = {1, l.k, l.k};
  g.stride = {1, l.stride, l.stride};
  g.pad_begin = {0, pad, pad};
  g.pad_end = {0, pad, pad};
  const int64_t out = (l.hw + 2 * pad - l.k) / l.stride + 1;
  g.out = {1, out, out};
  return g;
}

double Flops(const ConvLayer& l, const ops::WindowGeometry& g) {
  return 2.0 * static_cast<double>(l.m) * static_cast<double>(g.out_size()) *
         static_cast<double>(l.c / l.group) * static_cast<double>(l.k * l.k);
}

void RunOnnxedge(benchmark::State& state, ConvLayer l, int threads) {
  const ops::WindowGeometry g = Geometry(l);
  const auto x = RandomFloats(static_cast<size_t>(l.c * g.in_size()), 1);
  const auto w = RandomFloats(static_cast<size_t>(l.m * (l.c / l.group) * l.k * l.k), 2);
  const auto bias = RandomFloats(static_cast<size_t>(l.m), 3);
  std::vector<float> y(static_cast<size_t>(l.m * g.out_size()));
  ThreadPool pool(threads);
  ops::ConvF32Weights prepared;
  // The strides a session's hints give, so stems take the direct path as in a session
  // (ONNXEDGE_CONV_DIRECT=0 measures them on the GEMM path). Winograd is left to
  // winograd_bench: unit_stride_dilation stays false, so 3x3 layers here run im2col + GEMM.
  ops::ConvF32Hints hints;
  hints.stride_h = hints.stride_w = l.stride;
  ops::PrepareConvF32Weights(w.data(), {l.m, l.c / l.group, l.k, l.k}, l.group, &prepared, nullptr,
                             &hints);
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
  SetFlops(state, Flops(l, g));
}

// im2col into a [C*k*k, HW_out] matrix, then one cblas_sgemm (group 1 only), then bias + Relu.
void RunIm2colOpenblas(benchmark::State& state, ConvLayer l, int threads) {
  const ops::WindowGeometry g = Geometry(l);
  const auto x = RandomFloats(static_cast<size_t>(l.c * g.in_size()), 1);
  const auto w = RandomFloats(static_cast<size_t>(l.m * l.c * l.k * l.k), 2);
  const auto bias = RandomFloats(static_cast<size_t>(l.m), 3);
  const int64_t cols = g.out_size(), rows = l.c * l.k * l.k;
  std::vector<float> col(static_cast<size_t>(rows * cols));
  std::vector<float> y(static_cast<size_t>(l.m * cols));
  openblas_set_num_threads(threads);
  const int64_t oh_n = g.out[1], ow_n = g.out[2], pad = g.pad_begin[1];
  for (auto _ : state) {
    const float* b = x.data();
    if (l.k != 1 || l.stride != 1) {
      for (int64_t c = 0; c < l.c; ++c) {
        for (int64_t kh = 0; kh < l.k; ++kh) {
          for (int64_t kw = 0; kw < l.k; ++kw) {
            float* dst = col.data() + ((c * l.k + kh) * l.k + kw) * cols;
            for (int64_t oh = 0; oh < oh_n; ++oh) {
              const int64_t ih = oh * l.stride - pad + kh;
              for (int64_t ow = 0; ow < ow_n; ++ow) {
                const int64_t iw = ow * l.stride - pad + kw;
                dst[oh * ow_n + ow] = ih >= 0 && ih < l.hw && iw >= 0 && iw < l.hw
                                          ? x[static_cast<size_t>((c * l.hw + ih) * l.hw + iw)]
                                          : 0.f;
              }
            }
          }
        }
      }
      b = col.data();
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(l.m),
                static_cast<int>(cols), static_cast<int>(rows), 1.f, w.data(),
                static_cast<int>(rows), b, static_cast<int>(cols), 0.f, y.data(),
                static_cast<int>(cols));
    for (int64_t m = 0; m < l.m; ++m) {
      float* yr = y.data() + m * cols;
      for (int64_t j = 0; j < cols; ++j) yr[j] = std::max(0.f, yr[j] + bias[m]);
    }
    benchmark::DoNotOptimize(y.data());
  }
  SetFlops(state, Flops(l, g));
}

}  // namespace

void RegisterConvBenchmarks() {
  const ConvLayer layers[] = {
      {"resnet_conv1_7x7s2_3to64_224", 3, 64, 224, 7, 2, 1},
      // Stems with few input channels (the direct path, ops/conv/conv_direct.h).
      {"yolox_focus_3x3_12to16_208", 12, 16, 208, 3, 1, 1},
      {"yolox_stem_6x6s2p2_3to16_416", 3, 16, 416, 6, 2, 1, 2},
      {"mbv2_stem_3x3s2_3to32_224", 3, 32, 224, 3, 2, 1},
      {"resnet_3x3_64to64_56", 64, 64, 56, 3, 1, 1},
      {"resnet_3x3s2_64to128_56", 64, 128, 56, 3, 2, 1},
      {"resnet_3x3_128to128_28", 128, 128, 28, 3, 1, 1},
      {"resnet_3x3_256to256_14", 256, 256, 14, 3, 1, 1},
      {"resnet_3x3_512to512_7", 512, 512, 7, 3, 1, 1},
      {"resnet50_1x1_256to64_56", 256, 64, 56, 1, 1, 1},
      {"resnet50_1x1_64to256_56", 64, 256, 56, 1, 1, 1},
      {"mbv2_1x1_16to96_112", 16, 96, 112, 1, 1, 1},
      {"mbv2_1x1_144to24_56", 144, 24, 56, 1, 1, 1},
      {"mbv2_1x1_320to1280_7", 320, 1280, 7, 1, 1, 1},
      {"yolox_1x1_16to16_104", 16, 16, 104, 1, 1, 1},
      {"yolox_1x1_32to32_104", 32, 32, 104, 1, 1, 1},
      {"yolox_1x1_64to64_52", 64, 64, 52, 1, 1, 1},
      {"yolox_1x1_128to32_52", 128, 32, 52, 1, 1, 1},
      {"se_1x1_480to120_1", 480, 120, 1, 1, 1, 1},
      {"ppocr_3x3_96to24_160", 96, 24, 160, 3, 1, 1},
      {"c32_m16_3x3_104", 32, 16, 104, 3, 1, 1},
      {"c16_m16_3x3_104", 16, 16, 104, 3, 1, 1},
      {"se_1x1_120to480_1", 120, 480, 1, 1, 1, 1},
      {"mbv2_dw3x3_32_112", 32, 32, 112, 3, 1, 32},
      {"mbv2_dw3x3s2_96_112", 96, 96, 112, 3, 2, 96},
      {"mbv2_dw3x3_144_56", 144, 144, 56, 3, 1, 144},
      {"mbv2_dw3x3s2_144_56", 144, 144, 56, 3, 2, 144},
      {"mbv2_dw3x3_576_14", 576, 576, 14, 3, 1, 576},
      {"mbv2_dw3x3_960_7", 960, 960, 7, 3, 1, 960},
      {"mbv2_dw3x3s2_576_14", 576, 576, 14, 3, 2, 576},
      {"yolox_dw3x3_64_52", 64, 64, 52, 3, 1, 64},
      {"dw5x5_240_28", 240, 240, 28, 5, 1, 240},
      {"dw5x5s2_96_56", 96, 96, 56, 5, 2, 96},
  };
  for (int threads : {1, 2}) {
    for (const ConvLayer& l : layers) {
      const std::string suffix = std::string(l.name) + "/threads:" + std::to_string(threads);
      const std::string mine = "conv/onnxedge/" + suffix;
      Configure(benchmark::RegisterBenchmark(
                    mine.c_str(), [=](benchmark::State& st) { RunOnnxedge(st, l, threads); }),
                threads);
      if (l.group != 1) {
        AddPair("Conv + bias + Relu, " + std::to_string(threads) +
                    " thread(s), GFLOP/s (depthwise: no reference)",
                l.name, mine, "");
        continue;
      }
      const std::string ref = "conv/im2col_openblas/" + suffix;
      Configure(benchmark::RegisterBenchmark(
                    ref.c_str(), [=](benchmark::State& st) { RunIm2colOpenblas(st, l, threads); }),
                threads);
      AddPair("Conv + bias + Relu, " + std::to_string(threads) +
                  " thread(s), GFLOP/s (reference: im2col + OpenBLAS)",
              l.name, mine, ref);
    }
  }
}

}  // namespace onnxedge::bench
