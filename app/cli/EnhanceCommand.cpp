// `tomolive-cli enhance`: TomoGAN on every slice of a reconstruction file.
//
// Volume copies (docs/performance.md): the input volume is read once and written once, as read;
// the denoiser reads it in place, gathering only the edge slices' repeated neighbours; each
// enhanced slice is copied once, into the enhanced volume, which is written once. So one copy of
// a volume in memory, and the output is a new file: nothing of an existing one is copied.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include "cli/Commands.h"
#include "cli/Options.h"
#include "io/DataExchange.h"
#include "nn/VolumeEnhancement.h"
#include "timing/Timing.h"

namespace tomolive::cli {

namespace {

struct EnhanceSettings {
  std::string input, output;
  DenoiserSettings denoiser;
  bool json = false, overwrite = false;
};

int runEnhance(const EnhanceSettings& s) {
  checkOutputFile("-o", s.output, s.overwrite, {{s.input, "the reconstruction read"}});
  const Reconstruction recon = readReconstruction(s.input);
  // The network's 3 × 3 convolutions would spread a NaN over its neighbourhood, layer by layer.
  if (const auto bad = std::count_if(recon.volume.begin(), recon.volume.end(),
                                     [](float v) { return !std::isfinite(v); }))
    throw std::invalid_argument(
        s.input + ": /exchange/recon holds " + std::to_string(bad) + " NaN or infinite values of " +
        std::to_string(recon.volume.size()) +
        ": TomoGAN would spread them over their neighbourhoods; enhance a finite volume");
  const std::shared_ptr<Denoiser> denoiser =
      makeDenoiser(s.denoiser, resolveBackend(s.denoiser.backend, s.json).backend);

  const auto start = std::chrono::steady_clock::now();
  Reconstruction enhanced{enhanceSliceMajor(*denoiser, recon.volume, recon.slices, recon.size),
                          recon.slices, recon.size, recon.attributes};
  const double seconds = secondsSince(start);
  enhanced.attributes["enhanced_from"] = s.input + ":/exchange/recon";
  enhanced.attributes["enhancer"] = denoiser->name();
  enhanced.attributes["model_recipe_hash"] = denoiser->modelRecipeHash();
  enhanced.attributes["enhance_seconds"] = seconds;
  writeReconstructionFile(s.output,
                          {{"/exchange/recon", recon}, {"/exchange/recon_enhanced", enhanced}});

  const double msPerSlice = 1e3 * seconds / recon.slices;
  if (s.json) {
    std::puts(nlohmann::json({{"input", s.input},
                              {"output", s.output},
                              {"slices", recon.slices},
                              {"size", recon.size},
                              {"enhancer", denoiser->name()},
                              {"seconds", seconds},
                              {"ms_per_slice", msPerSlice}})
                  .dump()
                  .c_str());
  } else {
    std::printf(
        "enhanced %d slices of %d² with %s in %.2f s (%.0f ms per slice); wrote %s "
        "(/exchange/recon and /exchange/recon_enhanced)\n",
        recon.slices, recon.size, denoiser->name().c_str(), seconds, msPerSlice, s.output.c_str());
  }
  return 0;
}

}  // namespace

Command addEnhanceCommand(CLI::App& app) {
  auto s = std::make_shared<EnhanceSettings>();
  CLI::App& command = addCommand(
      app, "enhance",
      "TomoGAN on every slice of /exchange/recon; writes a new file with /exchange/recon (as read) "
      "and /exchange/recon_enhanced.");
  command.add_option("input", s->input, "reconstruction file (/exchange/recon)")->required();
  command.add_option("-o,--output", s->output, "file to write")->required();
  addOverwriteFlag(command, s->overwrite);
  addDenoiserOptions(command, s->denoiser);
  addJsonFlag(command, s->json);
  return {&command, [s] { return runEnhance(*s); }};
}

}  // namespace tomolive::cli
