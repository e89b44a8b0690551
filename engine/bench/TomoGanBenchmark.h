#pragma once
// `tomolive-cli bench tomogan`: TomoGAN inference time per slice (depth 3) with oneDNN in f32
// and bf16, the achieved GFLOP/s (2 × multiply-adds of the architecture, tomoGanMultiplyAdds…)
// against the machine's peak measured in the same run, and PyTorch's CPU inference of the same
// weights on the same threads (resources/models/training/bench_torch.py, run as a child
// process; skipped with the reason when Python or torch is missing). Every time is the median
// of repeats after one warm-up.
//
// Peak: every core runs a loop of 12 independent AVX-512 FMA chains (vfmadd231ps zmm: 32 FLOP)
// and, where AVX-512 BF16 exists, of vdpbf16ps (64 FLOP); peak = all FLOPs / wall time. AMX
// (which oneDNN's bf16 convolutions use where present) has a far higher ceiling, not measured.
#include <string>
#include <vector>

namespace tomolive {

struct TomoGanBenchOptions {
  std::string modelPath = "resources/models/tomogan.h5";
  std::vector<int> sizes{1024, 2560};
  int repeats = 3;
  int tileSize = 1024;  ///< largest tile edge (TomoGanOptions::tileSize)
  std::string python = "/usr/bin/python3";
  std::string torchScript = "resources/models/training/bench_torch.py";
  /// Also time the cuDNN backend (CUDA available) in every precision it offers.
  bool gpu = false;
};

struct TomoGanBenchRow {
  int size = 0;
  std::string precision;  ///< "f32" or "bf16" (oneDNN), "cuDNN f32|tf32|fp16|bf16"
  int tiles = 0, tileHeight = 0, tileWidth = 0;
  double seconds = 0;         ///< per slice
  double gflops = 0;          ///< 2 · MACs/pixel · size² / seconds
  double fractionOfPeak = 0;  ///< of the same precision's peak; 0 for bf16 on AMX (no peak)
};

struct TomoGanTorchRow {
  int size = 0;
  double seconds = 0;  ///< per slice; 0 when skipped
};

struct TomoGanBenchResult {
  std::string model;
  std::string denoiserF32, denoiserBf16;  ///< bf16 empty when the CPU lacks AVX-512 BF16
  std::string denoiserGpu;                ///< the cuDNN backend's name, when measured
  int threads = 0;
  double multiplyAddsPerPixel = 0;
  double peakF32Gflops = 0, peakBf16Gflops = 0;  ///< bf16 0 when not measured
  double loadAverage = 0;  ///< 1-minute load before the run: other work competing for cores
  std::vector<TomoGanBenchRow> rows;
  std::vector<TomoGanTorchRow> torch;
  std::string torchVersion;
  std::string torchSkipped;  ///< why PyTorch was not measured; empty when it was
};

TomoGanBenchResult runTomoGanBenchmark(const TomoGanBenchOptions& options);

/// Markdown table of the result, as published in docs/performance.md.
std::string formatTomoGanBenchmark(const TomoGanBenchResult& result);

}  // namespace tomolive
