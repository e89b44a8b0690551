// `tomolive-cli quality`: does TomoGAN help? SSIM/PSNR of the live reconstruction and of its
// enhancement against SIRT-100 (docs/quality.md).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

#include "bench/BenchJson.h"
#include "cli/Commands.h"
#include "cli/Options.h"

namespace tomolive::cli {

namespace {

struct QualitySettings {
  QualityOptions options;
  DenoiserSettings denoiser;
  bool realOnly = false, json = false, overwrite = false;
};

int runQuality(QualitySettings s) {
  s.options.simulated = !s.realOnly;
  if (s.realOnly && s.options.realScans.empty())
    throw UsageError("--real-only needs --real SCAN.h5: there is nothing else to evaluate");
  for (const std::string& scan : s.options.realScans)
    refuseToWriteOver("--images", s.options.imagesPath, scan, "a real scan read");
  checkOutputFile("--images", s.options.imagesPath, s.overwrite);
  const std::shared_ptr<Denoiser> denoiser =
      makeDenoiser(s.denoiser, resolveBackend(s.denoiser.backend, s.json).backend,
                   liveMethodName(s.options.method));
  const QualityResult r = runQualityEvaluation(s.options, *denoiser);
  if (s.json)
    std::puts(nlohmann::json(r).dump().c_str());
  else
    std::fputs(formatQualityEvaluation(r).c_str(), stdout);
  return 0;
}

}  // namespace

Command addQualityCommand(CLI::App& app) {
  auto s = std::make_shared<QualitySettings>();
  QualityOptions& o = s->options;
  CLI::App& command = addCommand(
      app, "quality",
      "Does TomoGAN help? SSIM/PSNR of streaming SIRT and of its enhancement against SIRT-100 on "
      "held-out simulated scans and on real ones (docs/quality.md).");
  command.add_option("--size", o.size, "grid size N")->check(CLI::Range(16, 4096));
  command.add_option("--slices", o.slices, "slices")->check(CLI::Range(1, 1024));
  command.add_option("--projections", o.projections, "projections of a simulated scan")
      ->check(CLI::Range(16, 100000));
  command.add_option("--seed", o.seed, "seed of the first scan")->check(CLI::Range(0, 2147483647));
  addIntegerList(command, "--windows", o.windows, "windows W");
  addIntegerList(command, "--iterations", o.iterations, "iterations I per update");
  addIntegerList(command, "--rotations", o.rotations, "rotations R");
  command
      .add_option(
          "--real", o.realScans,
          "real scans a.h5,b.h5, replayed interlaced with W = " + std::to_string(o.realWindow) +
              " and scored after " + std::to_string(o.realRotations) +
              " rotations whatever --windows and --rotations say; the --iterations apply")
      ->delimiter(',');
  command.add_flag("--real-only", s->realOnly, "only the real scans");
  command.add_option("--images", o.imagesPath, "HDF5 file for the before/after/reference slices");
  addOverwriteFlag(command, s->overwrite);
  addParsedOption(command, "--method", o.method, parseLiveMethod,
                  "the live method enhanced: filtered|cgls|sirt|window", liveMethodName(o.method));
  addDenoiserOptions(command, s->denoiser);
  addJsonFlag(command, s->json);
  return {&command, [s] { return runQuality(*s); }};
}

}  // namespace tomolive::cli
