// `tomolive-cli methods`: the live reconstruction methods compared after a share of a recorded
// scan (docs/quality.md).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

#include "bench/BenchJson.h"
#include "cli/Commands.h"
#include "cli/Options.h"

namespace tomolive::cli {

namespace {

struct MethodsSettings {
  MethodComparisonOptions options;
  std::string order = "interlaced";
  ComputeBackend backend = ComputeBackend::automatic;
  bool json = false, overwrite = false;
};

int runMethods(MethodsSettings s) {
  MethodComparisonOptions& o = s.options;
  checkOutputFile("--images", o.imagesPath, s.overwrite, {{o.path, "the scan read"}});
  o.interlaced = s.order == "interlaced";
  o.backend = resolveBackend(s.backend, s.json).backend;
  const MethodComparison r = compareLiveMethods(o);
  if (s.json)
    std::puts(nlohmann::json(r).dump().c_str());
  else
    std::fputs(formatMethodComparison(r).c_str(), stdout);
  return 0;
}

}  // namespace

Command addMethodsCommand(CLI::App& app) {
  auto s = std::make_shared<MethodsSettings>();
  MethodComparisonOptions& o = s->options;
  const std::string candidates = "window:1,window:5,sirt:1,cgls:1,cgls:4,filtered:1,filtered:2";
  o.candidates = parseMethodCandidates(candidates);
  CLI::App& command = addCommand(
      app, "methods",
      "The live methods compared after a share of a recorded scan: SSIM/PSNR against SIRT-100 "
      "over the received projections and over all of them, refresh time (docs/quality.md).");
  command.add_option("input", o.path, "scan file")->required();
  command.add_option("--window", o.window, "W: projections per update")
      ->check(CLI::Range(1, 100000));
  command.add_option("--fraction", o.fraction, "share of the projections received at the cut")
      ->check(kPositive)
      ->check(CLI::Range(0.0, 1.0));
  command.add_option("--order", s->order, "replay order")
      ->check(CLI::IsMember({"interlaced", "recorded"}));
  addParsedOption(command, "--candidates", o.candidates, parseMethodCandidates,
                  "method:iterations,… compared", candidates);
  command.add_option("--reference-iterations", o.referenceIterations, "SIRT-K of the reference")
      ->check(CLI::Range(1, 100000));
  addRowRange(command, "--slices", o.rows);
  command.add_option("--center,--centre", o.centre, "rotation centre; estimated when absent")
      ->check(kFinite);
  command.add_option("--images", o.imagesPath, "HDF5 file for the middle slice of each image");
  addOverwriteFlag(command, s->overwrite);
  addBackendOption(command, s->backend);
  addJsonFlag(command, s->json);
  return {&command, [s] { return runMethods(*s); }};
}

}  // namespace tomolive::cli
