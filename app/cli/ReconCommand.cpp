// `tomolive-cli recon`: SIRT over every projection of a scan file.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

#include "cli/Commands.h"
#include "cli/Options.h"
#include "pipeline/FileReconstruction.h"
#include "pipeline/PipelineJson.h"

namespace tomolive::cli {

namespace {

struct ReconSettings {
  std::string input, output;
  FileReconOptions options;
  bool noMask = false, json = false, overwrite = false;
  ComputeBackend backend = ComputeBackend::automatic;
};

void printSummary(const std::string& input, const FileReconResult& r, int iterations) {
  std::printf("%s: %d projections, %d slices × %d columns\n", input.c_str(), r.projections,
              r.slices, r.columns);
  if (r.centreEstimated && r.estimate.fromMass)
    std::printf(
        "centre %.2f px (sinogram centre of mass, ±%.2f px: no two projections 180° "
        "apart)\n",
        r.centre, r.estimate.standardError);
  else if (r.centreEstimated)
    std::printf("centre %.2f px (estimated from %d opposite pairs, worst %.2f° off 180°)\n",
                r.centre, r.estimate.pairs, r.estimate.worstPairOffsetDeg);
  else
    std::printf("centre %.2f px (%s)\n", r.centre,
                r.centreSource == "file" ? "the file's rotation_center" : "given");
  if (!r.formatNote.empty()) std::printf("note: %s\n", r.formatNote.c_str());
  if (!r.angleNote.empty()) std::printf("note: %s\n", r.angleNote.c_str());
  if (!r.centreNote.empty()) std::printf("note: %s\n", r.centreNote.c_str());
  if (!r.flatNote.empty()) std::printf("note: %s\n", r.flatNote.c_str());
  if (r.emptyProjections)
    std::printf(
        "left out %d projections that hold nothing but zeros (never written: an aborted "
        "scan?)\n",
        r.emptyProjections);
  if (r.repairedPixels)
    std::printf("repaired %lld bad pixels\n", static_cast<long long>(r.repairedPixels));
  if (r.flatDarkZingers)
    std::printf("left %lld zinger values out of the flat and dark averages\n",
                static_cast<long long>(r.flatDarkZingers));
  if (!r.groundTruthNote.empty()) std::printf("note: %s\n", r.groundTruthNote.c_str());
  std::printf("SIRT %d iterations in %.2f s on %s; weighted residual %.4g → %.4g\n", iterations,
              r.reconSeconds, r.projector.c_str(), r.history.front().weightedResidual,
              r.history.back().weightedResidual);
  if (r.ssim)
    std::printf("against ground truth: SSIM %.4f, PSNR %.2f dB, NRMSE %.4f\n", *r.ssim, *r.psnr,
                *r.nrmse);
}

int runRecon(ReconSettings s) {
  s.options.circularMask = !s.noMask;
  checkOutputFile("-o", s.output, s.overwrite, {{s.input, "the scan read"}});
  const BackendChoice backend = resolveBackend(s.backend, s.json);
  s.options.backend = backend.backend;
  const FileReconResult r = reconstructFile(s.input, s.options);
  if (!s.output.empty()) writeReconstructionFile(s.output, {{"/exchange/recon", r.recon}});
  if (s.json) {
    nlohmann::json j = r;
    j["input"] = s.input;
    j["iterations"] = s.options.iterations;
    j["binning"] = s.options.binning;
    j["backend"] = backend.description;
    if (!s.output.empty()) j["output"] = s.output;
    std::puts(j.dump().c_str());
    return 0;
  }
  printSummary(s.input, r, s.options.iterations);
  if (!s.output.empty()) std::printf("wrote %s:/exchange/recon\n", s.output.c_str());
  return 0;
}

}  // namespace

Command addReconCommand(CLI::App& app) {
  auto s = std::make_shared<ReconSettings>();
  CLI::App& command = addCommand(
      app, "recon",
      "SIRT over all projections of a Data Exchange or NeXus NXtomo scan (.h5, .nxs); prints the "
      "centre used, time and, with a ground truth, SSIM/PSNR.");
  command.add_option("input", s->input, "scan file")->required();
  command.add_option("--iterations", s->options.iterations, "SIRT iterations")
      ->check(CLI::Range(1, 100000));
  command
      .add_option("--center,--centre", s->options.centre,
                  "rotation centre (detector column, unbinned); "
                  "estimated when absent")
      ->check(kFinite);
  addRowRange(command, "--slices", s->options.rows);
  command.add_option("--binning", s->options.binning, "B × B detector pixels averaged")
      ->check(CLI::Range(1, 64));
  command.add_flag("--no-mask", s->noMask, "no circular field-of-view mask");
  command.add_option("-o,--output", s->output, "reconstruction file (/exchange/recon)");
  addOverwriteFlag(command, s->overwrite);
  addBackendOption(command, s->backend);
  addJsonFlag(command, s->json);
  return {&command, [s] { return runRecon(*s); }};
}

}  // namespace tomolive::cli
