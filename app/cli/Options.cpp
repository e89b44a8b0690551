#include "cli/Options.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include <unistd.h>

#include "cli/Command.h"
#include "io/DataExchange.h"
#include "nn/ModelLocation.h"
#include "nn/TomoGanModel.h"

namespace tomolive::cli {

namespace {

// A finite number for which `accept` holds; `bound` says which ("> 0") in the message.
CLI::Validator finiteNumber(const std::string& bound, bool (*accept)(double)) {
  return CLI::Validator(
      [bound, accept](std::string& text) -> std::string {
        double value = 0.0;
        if (!CLI::detail::lexical_cast(text, value) || !std::isfinite(value))
          return "'" + text + "' is not a finite number";
        if (!accept(value)) return text + " must be " + bound;
        return {};
      },
      bound.empty() ? "FINITE" : bound);
}

}  // namespace

const CLI::Validator kFinite = finiteNumber("", [](double) { return true; });
const CLI::Validator kPositive = finiteNumber("> 0", [](double v) { return v > 0.0; });
const CLI::Validator kNonNegative = finiteNumber("≥ 0", [](double v) { return v >= 0.0; });

CLI::Option* addIntegerList(CLI::App& app, const std::string& name, std::vector<int>& target,
                            const std::string& description, int max, int min) {
  return app.add_option(name, target, description)->delimiter(',')->check(CLI::Range(min, max));
}

CLI::Option* addRowRange(CLI::App& app, const std::string& name, RowRange& target) {
  const auto parse = [name](const std::string& text) {
    const auto colon = text.find(':');
    const auto bound = [&](const std::string& side, int absent) {
      int value = absent;
      if (!side.empty() && !CLI::detail::lexical_cast(side, value))
        throw std::invalid_argument("'" + side + "' is not an integer");
      return value;
    };
    if (colon == std::string::npos || text.find_first_of(":,", colon + 1) != std::string::npos)
      throw std::invalid_argument("'" + text + "' is not one range a:b");
    const RowRange range{bound(text.substr(0, colon), 0), bound(text.substr(colon + 1), -1)};
    if (range.begin < 0 || (range.end != -1 && range.end <= range.begin))
      throw std::invalid_argument("range '" + text + "' is empty or negative");
    return range;
  };
  return addParsedOption(app, name, target, parse,
                         "detector rows (slices) a:b, half-open; either side may be empty", "all");
}

void refuseToWriteOver(const std::string& option, const std::string& output,
                       const std::string& input, const char* role) {
  std::error_code error;
  if (!output.empty() && !input.empty() && std::filesystem::equivalent(output, input, error))
    throw UsageError(option + " " + output + " is " + role +
                     ": writing there would change it; name another file");
}

void checkOutputFile(const std::string& option, const std::string& output, bool overwrite,
                     std::initializer_list<std::pair<std::string, const char*>> inputs) {
  if (output.empty()) return;
  for (const auto& [input, role] : inputs) refuseToWriteOver(option, output, input, role);
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path file(output);
  if (fs::is_directory(file, error))
    throw UsageError(option + " " + output + " is a folder: name a file");
  const fs::path folder = file.has_parent_path() ? file.parent_path() : fs::path(".");
  if (!fs::is_directory(folder, error))
    throw UsageError(option + " " + output + ": the folder " + folder.string() + " does not exist");
  if (::access(folder.c_str(), W_OK | X_OK) != 0)
    throw UsageError(option + " " + output + ": the folder " + folder.string() +
                     " cannot be written to");
  if (fs::exists(file, error)) {
    if (!overwrite)
      throw UsageError(option + " " + output + " exists: give --overwrite to replace it");
    try {
      refuseToOverwriteNonHdf5(output);
    } catch (const DataExchangeError&) {
      throw UsageError(option + " " + output +
                       " exists and is not an HDF5 file: refusing to replace it");
    }
  }
}

CLI::Option* addOverwriteFlag(CLI::App& app, bool& overwrite) {
  return app.add_flag("--overwrite", overwrite,
                      "replace an existing output file (by a new one, once complete)");
}

CLI::Option* addJsonFlag(CLI::App& app, bool& json) {
  return app.add_flag("--json", json, "one machine-readable JSON object on stdout");
}

CLI::Option* addBackendOption(CLI::App& app, ComputeBackend& backend) {
  return addParsedOption(app, "--backend", backend, parseComputeBackend,
                         "auto|cpu|cuda: auto takes a CUDA GPU when one answers, else the CPU "
                         "(the first line of output says which and why)",
                         computeBackendName(backend));
}

BackendChoice resolveBackend(ComputeBackend requested, bool quiet) {
  const BackendChoice choice = chooseBackend(requested);
  if (!quiet) std::printf("backend: %s\n", choice.description.c_str());
  return choice;
}

void addDenoiserOptions(CLI::App& app, DenoiserSettings& settings) {
  app.add_option("--model", settings.model, "TomoGAN weights (default: the shipped model)");
  app.add_option("--precision", settings.precision,
                 "auto|f32|bf16|tf32|fp16 (tf32 and fp16 are for the GPU)");
  addBackendOption(app, settings.backend);
}

std::shared_ptr<Denoiser> makeDenoiser(const DenoiserSettings& settings, ComputeBackend backend,
                                       std::string_view method) {
  const std::string model = settings.model.empty() ? defaultModelPath(method) : settings.model;
  if (model.empty())
    throw UsageError(
        "no TomoGAN model found (shipped resources/models/tomogan.h5 missing); "
        "give one with --model FILE or TOMOLIVE_MODEL");
  TomoGanModel weights = TomoGanModel::load(model);
  try {
    TomoGanChoice choice = makeTomoGanWithFallback(backend, std::move(weights), settings.precision);
    if (!choice.fallback.empty())
      std::fprintf(stderr, "enhancer: %s (%s)\n", choice.denoiser->name().c_str(),
                   choice.fallback.c_str());
    return std::move(choice.denoiser);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--precision: ") + e.what());
  }
}

std::vector<CLI::Option*> addScanOptions(CLI::App& app, ScanSpec& spec) {
  return {
      addParsedOption(app, "--phantom", spec.phantom, parsePhantomKind, "glass|shale|shepp-logan",
                      phantomKindName(spec.phantom)),
      app.add_option("--size", spec.size, "detector columns = grid N")->check(CLI::Range(8, 8192)),
      app.add_option("--slices", spec.slices, "detector rows = slices")->check(CLI::Range(1, 4096)),
      app.add_option("--photons", spec.photons, "open-beam counts per pixel (0: noise-free)")
          ->check(kNonNegative),
      app.add_option("--seed", spec.seed, "random seed")->check(CLI::Range(0, 2147483647))};
}

}  // namespace tomolive::cli
