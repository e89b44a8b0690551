#include "sim/ScanFile.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "io/DataExchange.h"

namespace tomolive {

namespace {
constexpr int kBatch = 32;  // projections simulated per projector call

std::string orderName(const AcquisitionPlan& plan) {
  switch (plan.order) {
    case AcquisitionOrder::Sequential:
      return "sequential";
    case AcquisitionOrder::Golden:
      return "golden";
    case AcquisitionOrder::Interlaced:
      return "interlaced:" + std::to_string(plan.window);
  }
  return "unknown";
}
}  // namespace

SimulatedScanSummary writeSimulatedScan(const ScanSpec& spec, const std::string& path,
                                        ScanFormat format) {
  const ScanSimulator sim(spec);
  const int projections = sim.projections(), rows = sim.slices(), columns = sim.columns();
  const std::size_t frame = std::size_t(rows) * columns;

  ScanToWrite scan;
  scan.projections = projections;
  scan.rows = rows;
  scan.columns = columns;
  std::vector<float> counts;
  counts.reserve(frame * projections);
  for (int first = 0; first < projections; first += kBatch) {
    const auto batch = sim.projections(first, std::min(kBatch, projections - first));
    counts.insert(counts.end(), batch.begin(), batch.end());
  }
  scan.flats = sim.flats();
  scan.darks = sim.darks();
  // Noisy counts are integers: uint16 when all fit. Noise-free counts are exact means: float32.
  const float maxCount = std::max(*std::max_element(counts.begin(), counts.end()),
                                  *std::max_element(scan.flats.begin(), scan.flats.end()));
  SimulatedScanSummary summary;
  if (!sim.noiseFree() && maxCount <= 65535.0f) {
    summary.dataType = "uint16";
    scan.dataU16.resize(counts.size());
    std::transform(counts.begin(), counts.end(), scan.dataU16.begin(), [](float v) {
      return static_cast<std::uint16_t>(std::lround(std::max(v, 0.0f)));
    });
  } else {
    summary.dataType = "float32";
    scan.dataF32 = std::move(counts);
  }
  for (double a : sim.geometry().anglesRad) scan.thetaDeg.push_back(a * 180.0 / std::numbers::pi);
  scan.groundTruth = sim.groundTruth().toSliceMajor();
  scan.groundTruthSize = columns;
  scan.attributes = {
      {"simulated_phantom", phantomKindName(spec.phantom)},
      {"simulated_order", orderName(spec.acquisition)},
      {"simulated_photons", spec.photons},
      {"simulated_seed", std::int64_t(spec.seed)},
      {"simulated_dark_level", spec.darkLevel},
      {"rotation_center", sim.geometry().centre},
      {"ground_truth_units", std::string("attenuation per pixel")},
  };
  writeScan(path, scan, format);
  return summary;
}

}  // namespace tomolive
