#include "bench/AdviceEvaluation.h"

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <stdexcept>

#include "bench/QualityReplay.h"
#include "io/DataExchange.h"
#include "preprocess/ScanPreparation.h"
#include "sim/ScanFile.h"

namespace tomolive {

const std::vector<AdviceCase>& adviceValidationCases() {
  using enum PhantomKind;
  static const std::vector<AdviceCase> cases = {
      {Glass, 24, 1, 1e4}, {Glass, 16, 1, 1e5},      {Shale, 32, 1, 1e3},
      {Shale, 16, 2, 1e4}, {SheppLogan, 24, 1, 1e4}, {SheppLogan, 32, 2, 1e5},
      {Glass, 32, 1, 3e3}, {Shale, 24, 1, 1e5},      {SheppLogan, 16, 1, 1e3},
      {Glass, 20, 2, 3e4}, {Shale, 32, 1, 3e4},      {SheppLogan, 20, 1, 3e3},
      {Glass, 16, 1, 3e3}, {Shale, 20, 1, 1e4},      {SheppLogan, 32, 1, 3e4},
      {Glass, 32, 2, 1e3}, {Shale, 16, 1, 1e5},      {SheppLogan, 24, 2, 3e3}};
  return cases;
}

std::string adviceCaseName(const AdviceCase& c) {
  char photons[32];
  std::snprintf(photons, sizeof photons, "%.0e", c.photons);  // "1e+04"
  std::string p = photons;
  if (const auto e = p.find("e+0"); e != std::string::npos)
    p.erase(e + 1, 2);
  else if (const auto f = p.find("e+"); f != std::string::npos)
    p.erase(f + 1, 1);
  return phantomKindName(c.phantom) + " W=" + std::to_string(c.window) +
         " I=" + std::to_string(c.iterations) + " " + p;
}

AdviceResult runAdviceEvaluation(const AdviceBenchOptions& options) {
  if (options.order == AcquisitionOrder::Sequential)
    throw std::invalid_argument(
        "bench advice: a sequential scan leaves the half circle uncovered until its end, so the "
        "advice cannot fire before it; choose interlaced or golden");
  if (options.size < 16 || options.slices < 1 || options.projections < 8)
    throw std::invalid_argument("bench advice: grid " + std::to_string(options.size) +
                                " (≥ 16), slices " + std::to_string(options.slices) +
                                " (≥ 1) or projections " + std::to_string(options.projections) +
                                " (≥ 8) out of range");
  if (options.window < 0 || options.window > options.projections)
    throw std::invalid_argument("bench advice: window " + std::to_string(options.window) +
                                " must be 1 … " + std::to_string(options.projections));
  const std::filesystem::path directory = options.directory.empty()
                                              ? std::filesystem::temp_directory_path()
                                              : std::filesystem::path(options.directory);
  if (!std::filesystem::is_directory(directory))
    throw std::invalid_argument("bench advice: " + directory.string() +
                                " is not a folder to write the scans in");
  const std::filesystem::path path =
      directory / ("tomolive-advice-" + std::to_string(::getpid()) + ".h5");
  // Each scan is written, read and removed; a failure on the way removes it too.
  struct Removal {
    const std::filesystem::path& path;
    ~Removal() {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
  } removal{path};
  AdviceResult result;
  result.options = options;
  for (AdviceCase c : adviceValidationCases()) {
    if (options.window > 0) c.window = options.window;
    if (options.photons > 0.0) c.photons = options.photons;
    c.window = std::min(c.window, options.projections);
    ScanSpec spec;
    spec.phantom = c.phantom;
    spec.size = options.size;
    spec.slices = options.slices;
    spec.acquisition = {
        options.order, options.projections,
        options.order == AcquisitionOrder::Interlaced ? c.window : options.projections};
    spec.photons = c.photons;
    spec.seed = options.seed;
    writeSimulatedScan(spec, path.string());
    const PreparedScan scan = prepareScan(readDataExchange(path.string()));
    std::vector<int> order(scan.anglesRad.size());
    std::iota(order.begin(), order.end(), 0);  // the file holds the acquisition order
    const std::vector<ReplayStep> steps =
        replayWithQuality(scan.lineIntegrals, scan.anglesRad, order, c.window, c.iterations,
                          0.5 * (spec.size - 1), &scan.groundTruth, options.backend);
    AdviceRow row{.scan = c,
                  .updates = int(steps.size()),
                  .finalSsim = steps.back().reference,
                  .plateau = plateauUpdate(steps, 0.01),
                  .advice = adviceUpdate(steps),
                  .finalSampleSsim = steps.back().sampleReference.value_or(0.0),
                  .samplePlateau = plateauUpdate(steps, 0.01, ReplayScore::sample),
                  .stillFrom = plateauUpdate(steps, 0.01, ReplayScore::still)};
    result.whole.count(row.offset());
    result.sample.count(row.sampleOffset());
    result.still.count(row.stillOffset());
    result.rows.push_back(row);
  }
  return result;
}

std::string formatAdviceEvaluation(const AdviceResult& r) {
  const AdviceBenchOptions& o = r.options;
  char line[256];
  std::snprintf(
      line, sizeof line,
      "Stop advice against the truth: %d² × %d slices, %d projections (%s), seed %llu\n\n", o.size,
      o.slices, o.projections, o.order == AcquisitionOrder::Golden ? "golden angle" : "interlaced",
      static_cast<unsigned long long>(o.seed));
  std::string out = line;
  out +=
      "| scan | updates | final SSIM | plateau | advice | advice − plateau | over the sample: "
      "final SSIM | plateau | advice − plateau | image still from | advice − still |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const AdviceRow& row : r.rows) {
    std::snprintf(line, sizeof line,
                  "| %s | %d | %.4f | %d | %s | %+d | %.4f | %d | %+d | %d | %+d |\n",
                  adviceCaseName(row.scan).c_str(), row.updates, row.finalSsim, row.plateau,
                  row.advice > 0 ? std::to_string(row.advice).c_str() : "never", row.offset(),
                  row.finalSampleSsim, row.samplePlateau, row.sampleOffset(), row.stillFrom,
                  row.stillOffset());
    out += line;
  }
  const auto tally = [&](const char* against, const AdviceTally& t) {
    std::snprintf(line, sizeof line,
                  "%s: within 2 updates: %d of %zu; more than 2 early: %d; more than 2 late: %d\n",
                  against, t.within, r.rows.size(), t.early, t.late);
    return std::string(line);
  };
  out += '\n';
  out += tally("against SSIM over the slice", r.whole);
  out += tally("against SSIM over the sample", r.sample);
  out += tally("against the image still (within 0.01 SSIM of the last)", r.still);
  return out;
}

}  // namespace tomolive
