#include "cli/EnhanceCommand.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

#include "timing/Timing.h"
#include "io/DataExchange.h"
#include "nn/ModelLocation.h"
#include "nn/TomoGanDenoiser.h"
#include "nn/VolumeEnhancement.h"

namespace tomolive::cli {

BackendChoice backendFromArguments(const Arguments& a, bool quiet) {
  ComputeBackend requested = ComputeBackend::automatic;
  try {
    requested = parseComputeBackend(a.text("backend", "auto"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("option --backend: ") + e.what());
  }
  const BackendChoice choice = chooseBackend(requested);
  if (!quiet) std::printf("backend: %s\n", choice.description.c_str());
  return choice;
}

std::shared_ptr<Denoiser> denoiserFromArguments(const Arguments& a, ComputeBackend backend) {
  std::string model = a.text("model", "");
  if (model.empty()) model = defaultModelPath();
  if (model.empty())
    throw UsageError(
        "no TomoGAN model found (shipped resources/models/tomogan.h5 missing); "
        "give one with --model FILE or TOMOLIVE_MODEL");
  TomoGanModel weights = TomoGanModel::load(model);
  try {
    TomoGanChoice choice =
        makeTomoGanWithFallback(backend, std::move(weights), a.text("precision", "auto"));
    if (!choice.fallback.empty())
      std::fprintf(stderr, "enhancer: %s (%s)\n", choice.denoiser->name().c_str(),
                   choice.fallback.c_str());
    return std::move(choice.denoiser);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("option --precision: ") + e.what());
  }
}

int runEnhance(const Args& args) {
  std::set<std::string> options{"output"};
  options.insert(kDenoiserOptions.begin(), kDenoiserOptions.end());
  const Arguments a(args, options, {"json"});
  const std::string input = a.positional(0, "input file (tomolive-cli enhance recon.h5 -o out.h5)");
  if (a.positionals().size() > 1)
    throw UsageError("unexpected argument '" + a.positionals()[1] + "'");
  const std::string output = a.required("output");
  const Reconstruction recon = readReconstruction(input);
  const std::shared_ptr<Denoiser> denoiser =
      denoiserFromArguments(a, backendFromArguments(a, a.flag("json")).backend);

  const auto start = std::chrono::steady_clock::now();
  const VolumeStack volume = VolumeStack::fromSliceMajor(recon.volume, recon.slices, recon.size);
  const VolumeStack enhanced = enhanceVolume(*denoiser, volume);
  const double seconds = secondsSince(start);

  writeReconstruction(output, recon, "/exchange/recon");
  Reconstruction out{enhanced.toSliceMajor(), recon.slices, recon.size, recon.attributes};
  out.attributes["enhanced_from"] = input + ":/exchange/recon";
  out.attributes["enhancer"] = denoiser->name();
  out.attributes["model_recipe_hash"] = denoiser->modelRecipeHash();
  out.attributes["enhance_seconds"] = seconds;
  writeReconstruction(output, out, "/exchange/recon_enhanced");

  if (a.flag("json")) {
    std::printf("%s\n", nlohmann::json({{"input", input},
                                        {"output", output},
                                        {"slices", recon.slices},
                                        {"size", recon.size},
                                        {"enhancer", denoiser->name()},
                                        {"seconds", seconds},
                                        {"ms_per_slice", 1e3 * seconds / recon.slices}})
                            .dump()
                            .c_str());
  } else {
    std::printf(
        "enhanced %d slices of %d² with %s in %.2f s (%.0f ms per slice); wrote %s "
        "(/exchange/recon and /exchange/recon_enhanced)\n",
        recon.slices, recon.size, denoiser->name().c_str(), seconds, 1e3 * seconds / recon.slices,
        output.c_str());
  }
  return 0;
}

}  // namespace tomolive::cli
