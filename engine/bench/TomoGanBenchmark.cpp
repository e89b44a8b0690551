#include "bench/TomoGanBenchmark.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include "backend/ComputeBackend.h"
#include "timing/Timing.h"
#include "nn/TomoGanDenoiser.h"

namespace tomolive {

namespace {

// 12 independent accumulators hide the FMA latency (4 cycles × 2 ports needs ≥ 8 in flight);
// inline assembly so that no compiler spills them or folds the loop away. Each iteration is
// 12 instructions on 16 float lanes.
#define TOMOLIVE_TWELVE(op)                                                \
  op " %%zmm12, %%zmm13, %%zmm0\n\t" op " %%zmm12, %%zmm13, %%zmm1\n\t" op \
     " %%zmm12, %%zmm13, %%zmm2\n\t" op " %%zmm12, %%zmm13, %%zmm3\n\t" op \
     " %%zmm12, %%zmm13, %%zmm4\n\t" op " %%zmm12, %%zmm13, %%zmm5\n\t" op \
     " %%zmm12, %%zmm13, %%zmm6\n\t" op " %%zmm12, %%zmm13, %%zmm7\n\t" op \
     " %%zmm12, %%zmm13, %%zmm8\n\t" op " %%zmm12, %%zmm13, %%zmm9\n\t" op \
     " %%zmm12, %%zmm13, %%zmm10\n\t" op " %%zmm12, %%zmm13, %%zmm11\n\t"
#define TOMOLIVE_PEAK_LOOP(op) \
  asm volatile("vpxord %%zmm12, %%zmm12, %%zmm12\n\t"                                        \
               "vpxord %%zmm13, %%zmm13, %%zmm13\n\t"                                        \
               "1:\n\t" TOMOLIVE_TWELVE(op) "dec %0\n\t"                                     \
               "jnz 1b\n\t"                                                                  \
               "vzeroupper\n\t"                                                              \
               : "+r"(iterations)                                                            \
               :                                                                             \
               : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",     \
                 "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "cc")

void fmaLoop(long iterations) { TOMOLIVE_PEAK_LOOP("vfmadd231ps"); }
void dpbf16Loop(long iterations) { TOMOLIVE_PEAK_LOOP("vdpbf16ps"); }

constexpr long kPeakIterations = 100'000'000;  // ≈ 0.5 s per core at 2.5 GHz

// FLOP/s of `loop` on `threads` threads at once; `flopsPerIteration` per thread. The fastest of
// at least 3 runs: a ceiling is what the machine can do, and a busy moment only slows a run (a
// median of one disturbed run once put a network at 160 % of "peak").
double peakGflops(void (*loop)(long), double flopsPerIteration, int threads, int repeats) {
  double seconds = std::numeric_limits<double>::infinity();
  for (int r = 0; r < std::max(3, repeats); ++r)
    seconds = std::min(seconds, medianSeconds(1, [&] {
                         std::vector<std::thread> workers;
                         for (int t = 0; t < threads; ++t)
                           workers.emplace_back(loop, kPeakIterations);
                         for (std::thread& w : workers) w.join();
                       }));
  return flopsPerIteration * kPeakIterations * threads / seconds / 1e9;
}

int oneDnnThreads() {
  // libdnnl's OpenMP runtime uses OMP_NUM_THREADS when set, else every core.
  if (const char* text = std::getenv("OMP_NUM_THREADS")) {
    const int n = std::atoi(text);
    if (n > 0) return n;
  }
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs bench_torch.py; returns its seconds per slice, or sets `skipped` to the reason.
double torchSeconds(const TomoGanBenchOptions& o, int size, int threads, std::string& version,
                    std::string& skipped) {
  const std::string command = quoted(o.python) + " " + quoted(o.torchScript) + " --model " +
                              quoted(o.modelPath) + " --size " + std::to_string(size) +
                              " --repeats " + std::to_string(o.repeats) + " --threads " +
                              std::to_string(threads) + " 2>&1";
  const auto closer = [](FILE* f) { pclose(f); };
  std::unique_ptr<FILE, decltype(closer)> pipe(popen(command.c_str(), "r"), closer);
  if (!pipe) {
    skipped = "cannot start " + o.python;
    return 0.0;
  }
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) output += buffer;
  const int status = pclose(pipe.release());
  const std::size_t lastLine =
      output.find_last_of('\n', output.size() >= 2 ? output.size() - 2 : 0);
  const std::string last = output.substr(lastLine == std::string::npos ? 0 : lastLine + 1);
  if (status != 0) {
    skipped = o.torchScript + " failed: " + (last.empty() ? "no output" : last);
    return 0.0;
  }
  try {
    const nlohmann::json reply = nlohmann::json::parse(last);
    version = reply.at("torch").get<std::string>();
    return reply.at("ms_per_slice").get<double>() / 1e3;
  } catch (const nlohmann::json::exception&) {
    skipped = o.torchScript + " printed no result: " + last;
    return 0.0;
  }
}

std::vector<float> benchInput(int size) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> value(0.0f, 0.08f);
  std::vector<float> slices(3 * std::size_t(size) * size);
  for (float& v : slices) v = value(rng);
  return slices;
}

}  // namespace

TomoGanBenchResult runTomoGanBenchmark(const TomoGanBenchOptions& o) {
  TomoGanBenchResult r;
  const TomoGanModel model = TomoGanModel::load(o.modelPath);
  r.model = o.modelPath;
  r.threads = oneDnnThreads();
  r.multiplyAddsPerPixel = tomoGanMultiplyAddsPerPixel(model.depth());
  double load[1] = {0.0};
  if (getloadavg(load, 1) == 1) r.loadAverage = load[0];

  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    r.peakF32Gflops = peakGflops(fmaLoop, 12 * 16 * 2, r.threads, o.repeats);
  }
  const bool bf16 = TomoGanDenoiser::cpuSupportsBf16();
  if (bf16 && __builtin_cpu_supports("avx512bf16")) {
    r.peakBf16Gflops = peakGflops(dpbf16Loop, 12 * 16 * 4, r.threads, o.repeats);
  }

  std::vector<TomoGanPrecision> precisions{TomoGanPrecision::f32};
  if (bf16) precisions.push_back(TomoGanPrecision::bf16);
  for (const TomoGanPrecision precision : precisions) {
    TomoGanOptions options;
    options.precision = precision;
    options.tileSize = o.tileSize;
    TomoGanDenoiser denoiser(model, options);
    (precision == TomoGanPrecision::f32 ? r.denoiserF32 : r.denoiserBf16) = denoiser.name();
    // AMX runs bf16 far beyond the vector units' ceiling: no fraction of a peak not measured.
    const bool amx = denoiser.name().find("AMX") != std::string::npos;
    const double peak = precision == TomoGanPrecision::f32 ? r.peakF32Gflops
                        : amx                              ? 0.0
                                                           : r.peakBf16Gflops;
    for (const int size : o.sizes) {
      const std::vector<float> slices = benchInput(size);
      TomoGanBenchRow row;
      row.size = size;
      row.precision = precision == TomoGanPrecision::f32 ? "f32" : "bf16";
      const TomoGanTiling t = denoiser.tiling(size, size);
      row.tiles = t.tilesY * t.tilesX;
      row.tileHeight = t.tileHeight;
      row.tileWidth = t.tileWidth;
      row.seconds = medianSeconds(o.repeats, [&] { denoiser.enhance(slices, size, size); });
      row.gflops = 2.0 * r.multiplyAddsPerPixel * double(size) * size / row.seconds / 1e9;
      row.fractionOfPeak = peak > 0 ? row.gflops / peak : 0.0;
      r.rows.push_back(row);
    }
  }

  if (o.gpu) {
    // cuDNN in each precision it offers; a precision the device lacks is left out.
    for (const char* precision : {"f32", "tf32", "fp16", "bf16"}) {
      std::shared_ptr<Denoiser> denoiser;
      try {
        denoiser = makeTomoGan(ComputeBackend::cuda, model, precision);
      } catch (const std::invalid_argument&) {
        continue;
      }
      r.denoiserGpu = denoiser->name();
      for (const int size : o.sizes) {
        const std::vector<float> slices = benchInput(size);
        denoiser->enhance(slices, size, size);  // warm-up: algorithm choice and workspace
        TomoGanBenchRow row;
        row.size = size;
        row.precision = std::string("cuDNN ") + precision;
        row.tiles = 1;
        row.tileHeight = row.tileWidth = size;
        row.seconds = medianSeconds(o.repeats, [&] { denoiser->enhance(slices, size, size); });
        row.gflops = 2.0 * r.multiplyAddsPerPixel * double(size) * size / row.seconds / 1e9;
        r.rows.push_back(row);
      }
    }
  }

  std::error_code error;
  if (!std::filesystem::exists(o.python, error)) {
    r.torchSkipped = o.python + " not found";
  } else if (!std::filesystem::exists(o.torchScript, error)) {
    r.torchSkipped = o.torchScript + " not found";
  }
  for (const int size : o.sizes) {
    if (!r.torchSkipped.empty()) break;
    const double seconds = torchSeconds(o, size, r.threads, r.torchVersion, r.torchSkipped);
    if (r.torchSkipped.empty()) r.torch.push_back({size, seconds});
  }
  return r;
}

std::string formatTomoGanBenchmark(const TomoGanBenchResult& r) {
  std::ostringstream out;
  char line[1024];
  std::snprintf(line, sizeof line,
                "Model %s, depth 3, %.0f multiply-adds per output pixel, %d threads (load average "
                "before the run: %.2f).\nPeak (12 independent 512-bit chains per thread, all "
                "threads): f32 FMA %.1f GFLOP/s, bf16 vdpbf16ps %s.\n\n",
                r.model.c_str(), r.multiplyAddsPerPixel, r.threads, r.loadAverage, r.peakF32Gflops,
                r.peakBf16Gflops > 0
                    ? (std::to_string(int(r.peakBf16Gflops + 0.5)) + " GFLOP/s").c_str()
                    : "not available");
  out << line;
  out << "| slice | engine | tiles | ms / slice | GFLOP/s | of peak | reference ms / slice | "
         "speed-up |\n|---|---|---|---|---|---|---|---|\n";
  for (const TomoGanBenchRow& row : r.rows) {
    // CPU rows beside PyTorch (CPU); GPU rows beside oneDNN f32 of the same run.
    const bool gpu = row.precision.starts_with("cuDNN");
    double torch = 0.0;
    for (const TomoGanTorchRow& t : r.torch) {
      if (t.size == row.size && !gpu) torch = t.seconds;
    }
    for (const TomoGanBenchRow& cpu : r.rows) {
      if (gpu && cpu.size == row.size && cpu.precision == "f32") torch = cpu.seconds;
    }
    const std::string engine = gpu                      ? "TomoGAN (" + row.precision + ")"
                               : row.precision == "f32" ? r.denoiserF32
                                                        : r.denoiserBf16;
    std::snprintf(
        line, sizeof line, "| %d² | %s | %d × %d² | %.1f | %.1f | %s | %s | %s |\n", row.size,
        engine.c_str(), row.tiles, row.tileHeight, row.seconds * 1e3, row.gflops,
        row.fractionOfPeak > 0 ? (std::to_string(int(row.fractionOfPeak * 100 + 0.5)) + "%").c_str()
                               : "—",
        torch > 0 ? std::to_string(int(torch * 1e3 + 0.5)).c_str() : "—",
        torch > 0 ? (std::to_string(torch / row.seconds).substr(0, 4) + "×").c_str() : "—");
    out << line;
  }
  out << "\nReference: PyTorch on the CPU for the oneDNN rows, oneDNN f32 (same run) for the cuDNN "
         "rows.\n";
  if (!r.denoiserGpu.empty()) out << "GPU: " << r.denoiserGpu << " (last precision listed).\n";
  if (!r.torchSkipped.empty()) {
    out << "\nPyTorch not measured: " << r.torchSkipped << "\n";
  } else {
    out << "\nPyTorch " << r.torchVersion << " (float32, same weights, same " << r.threads
        << " threads, torch.no_grad).\n";
  }
  return out.str();
}

}  // namespace tomolive
