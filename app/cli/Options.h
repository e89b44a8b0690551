#pragma once
// Options several tomolive-cli commands share, and the checks CLI11 lacks: finite numbers (CLI11
// alone takes "nan" and "inf") with bounds, and the engine's parsers as option checks, so that
// every bad value is reported with the option's name.
#include <CLI/CLI.hpp>

#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backend/ComputeBackend.h"
#include "io/DataExchange.h"
#include "nn/Denoiser.h"
#include "sim/ScanSimulator.h"

namespace tomolive::cli {

/// Finite numbers; finite and > 0; finite and ≥ 0.
extern const CLI::Validator kFinite, kPositive, kNonNegative;

/// An option whose text `parse` (an engine parser that throws std::invalid_argument) turns into
/// `target`; the parser's message becomes a usage error naming the option.
template <class T, class Parse>
CLI::Option* addParsedOption(CLI::App& app, const std::string& name, T& target, Parse parse,
                             const std::string& description, const std::string& defaultText) {
  return app
      .add_option_function<std::string>(
          name,
          [&target, parse, name](const std::string& text) {
            try {
              target = parse(text);
            } catch (const std::invalid_argument& e) {
              throw CLI::ValidationError(name, e.what());
            }
          },
          description)
      ->default_str(defaultText);
}

/// `--name N,N,…`: integers in min … max.
CLI::Option* addIntegerList(CLI::App& app, const std::string& name, std::vector<int>& target,
                            const std::string& description, int max = 1 << 20, int min = 1);

/// `--name a:b`: detector rows (slices) [a, b), either side may be empty.
CLI::Option* addRowRange(CLI::App& app, const std::string& name, RowRange& target);

/// A UsageError when `output` names the file `input` (`role`, e.g. "the scan read") is: writing
/// would change or replace it. Nothing when either does not exist.
void refuseToWriteOver(const std::string& option, const std::string& output,
                       const std::string& input, const char* role);

/// An output file, checked before any work: a UsageError when it names one of `inputs` (each
/// with its role, as refuseToWriteOver), a folder, a file in a folder that does not exist or
/// cannot be written, something that is not an HDF5 file, or an existing file without
/// `overwrite`. With it the existing file is replaced by a new one once the output is complete,
/// never added to. Nothing when `output` is empty.
void checkOutputFile(const std::string& option, const std::string& output, bool overwrite,
                     std::initializer_list<std::pair<std::string, const char*>> inputs = {});

/// --overwrite: replace an existing output file (checkOutputFile).
CLI::Option* addOverwriteFlag(CLI::App& app, bool& overwrite);

/// --json: one machine-readable JSON object on stdout.
CLI::Option* addJsonFlag(CLI::App& app, bool& json);

/// --backend auto|cpu|cuda.
CLI::Option* addBackendOption(CLI::App& app, ComputeBackend& backend);

/// `requested` resolved: a forced cuda without a GPU is an error naming the reason. Prints the
/// choice ("backend: …") on stdout unless `quiet` (JSON output).
BackendChoice resolveBackend(ComputeBackend requested, bool quiet);

/// The TomoGAN denoiser's options: --model FILE (default: the shipped model), --precision
/// auto|f32|bf16|tf32|fp16 and --backend.
struct DenoiserSettings {
  std::string model;
  std::string precision = "auto";
  ComputeBackend backend = ComputeBackend::automatic;
};
void addDenoiserOptions(CLI::App& app, DenoiserSettings& settings);

/// The TomoGAN denoiser the settings ask for, on `backend` (resolved); without --model the
/// shipped model for live method `method` ("": the general one; nn/ModelLocation.h).
std::shared_ptr<Denoiser> makeDenoiser(const DenoiserSettings& settings, ComputeBackend backend,
                                       std::string_view method = {});

/// --phantom, --size, --slices, --photons and --seed of a simulated scan, defaults from `spec`;
/// returns the options (to exclude them where a file replaces the simulation).
std::vector<CLI::Option*> addScanOptions(CLI::App& app, ScanSpec& spec);

}  // namespace tomolive::cli
