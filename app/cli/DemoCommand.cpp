// `tomolive-cli demo`: a simulated interlaced scan reconstructed window by window, scored against
// its ground truth as rotations accumulate.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/Command.h"
#include "cli/Commands.h"
#include "cli/Options.h"
#include "metrics/ImageMetrics.h"
#include "pipeline/LiveReconstruction.h"
#include "preprocess/FlatDarkCorrection.h"
#include "sim/ScanSimulator.h"
#include "timing/Timing.h"

namespace tomolive::cli {

namespace {

struct DemoSettings {
  ScanSpec spec{
      .phantom = PhantomKind::Glass, .size = 256, .slices = 8, .acquisition = {}, .seed = 1};
  int window = 32, rotations = 8, iterations = 2;
  LiveMethod method = LiveMethod::filtered;
  ComputeBackend backend = ComputeBackend::automatic;
  bool json = false;
};

int runDemo(DemoSettings s) {
  ScanSpec& spec = s.spec;
  if (spec.size < 11)  // metrics/ImageMetrics.h: SSIM's window
    throw UsageError("demo --size " + std::to_string(spec.size) +
                     ": the demo scores every update by SSIM against the truth, whose window is "
                     "11 × 11 pixels: --size at least 11");
  spec.acquisition = {AcquisitionOrder::Interlaced, s.window * s.rotations, s.window};
  const ScanSimulator sim(spec);
  const int rows = sim.slices(), columns = sim.columns();
  const FlatDarkCorrection correction(sim.flats(), sim.darks(), rows, columns);
  const BackendChoice backend = resolveBackend(s.backend, s.json);
  LiveReconstruction recon(columns, rows, columns, sim.geometry().centre,
                           {.method = s.method, .backend = backend.backend});
  if (!s.json)
    std::printf(
        "Simulated %s scan: %d slices of %d², %d interlaced rotations of W = %d projections, "
        "%.0f photons/pixel; I = %d per update, %s\n\n"
        "| R | projections | refresh (s) | rate (proj/s) | SSIM | PSNR (dB) |\n"
        "|---|---|---|---|---|---|\n",
        phantomKindName(spec.phantom).c_str(), rows, columns, s.rotations, s.window, spec.photons,
        s.iterations, recon.description().c_str());
  nlohmann::json updates = nlohmann::json::array();
  const auto& angles = sim.geometry().anglesRad;
  for (int r = 0; r < s.rotations; ++r) {
    const int first = r * s.window;
    const std::vector<float> raw = sim.projections(first, s.window);
    const auto start = std::chrono::steady_clock::now();
    recon.receive(correction.lineIntegrals(raw), {angles.data() + first, std::size_t(s.window)});
    recon.update(s.iterations);
    const double refresh = secondsSince(start);
    const VolumeStack estimate = recon.estimate();
    const double ssim = ssimVolume(estimate, sim.groundTruth());
    const double psnr = psnrVolume(estimate, sim.groundTruth());
    if (s.json)
      updates.push_back({{"update", r + 1},
                         {"consumed", first + s.window},
                         {"refresh_seconds", refresh},
                         {"sustained_pps", s.window / refresh},
                         {"ssim", ssim},
                         {"psnr", psnr}});
    else
      std::printf("| %d | %d | %.3f | %.0f | %.4f | %.2f |\n", r + 1, first + s.window, refresh,
                  s.window / refresh, ssim, psnr);
  }
  if (s.json)
    std::puts(nlohmann::json({{"phantom", phantomKindName(spec.phantom)},
                              {"size", spec.size},
                              {"slices", spec.slices},
                              {"photons", spec.photons},
                              {"seed", spec.seed},
                              {"method", liveMethodName(s.method)},
                              {"compute", recon.description()},
                              {"backend", backend.description},
                              {"window", s.window},
                              {"rotations", s.rotations},
                              {"iterations", s.iterations},
                              {"updates", updates}})
                  .dump()
                  .c_str());
  return 0;
}

}  // namespace

Command addDemoCommand(CLI::App& app) {
  auto s = std::make_shared<DemoSettings>();
  CLI::App& command = addCommand(
      app, "demo",
      "Simulates an interlaced scan and reconstructs it window by window (the live method), "
      "printing refresh time, rate and SSIM against the ground truth per update. The default "
      "command.");
  addScanOptions(command, s->spec);
  command.add_option("--window", s->window, "W: projections per update and rotation")
      ->check(CLI::Range(1, 4096));
  command.add_option("--rotations", s->rotations, "interlaced rotations")
      ->check(CLI::Range(1, 1024));
  command.add_option("--iterations", s->iterations, "I: iterations per update")
      ->check(CLI::Range(1, 1000));
  addParsedOption(command, "--method", s->method, parseLiveMethod, "filtered|cgls|sirt|window",
                  liveMethodName(s->method));
  addBackendOption(command, s->backend);
  addJsonFlag(command, s->json);
  return {&command, [s] { return runDemo(*s); }};
}

}  // namespace tomolive::cli
