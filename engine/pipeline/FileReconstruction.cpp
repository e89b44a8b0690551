#include "pipeline/FileReconstruction.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>

#include "geometry/ParallelGeometry.h"
#include "io/ScanFile.h"
#include "metrics/ImageMetrics.h"
#include "pipeline/MemoryBudget.h"
#include "preprocess/ScanPreparation.h"
#include "timing/Timing.h"

namespace tomolive {

namespace {

// InsufficientMemory, before anything large is read, when the raw frames of the selected rows,
// the volume and the SIRT buffers would not fit.
void requireMemoryForFile(const std::string& path, const FileReconOptions& options) {
  const DataExchangeInfo info = inspectDataExchange(path);
  if (!info.usable()) return;  // readDataExchange says what is wrong
  const int first = std::clamp(options.rows.begin, 0, info.rows);
  const int rows =
      (options.rows.end < 0 ? info.rows : std::min(options.rows.end, info.rows)) - first;
  const int b = std::max(options.binning, 1), slices = rows / b, columns = info.columns / b;
  if (slices < 1 || columns < 1) return;
  const std::uint64_t raw = std::uint64_t(info.projections + info.flats + info.darks) *
                            std::uint64_t(rows) * std::uint64_t(info.columns) * sizeof(float);
  requireMemory(raw + reconstructionBytes(slices, columns, columns, info.projections),
                path + ": SIRT on a " + std::to_string(columns) + "² grid × " +
                    std::to_string(slices) + " slices over " + std::to_string(info.projections) +
                    " projections (raw frames, volume, SIRT buffers)",
                "reconstruct fewer rows (--slices a:b) or bin the detector (--binning 2 needs "
                "a quarter of the volume)");
}

FileReconResult reconstruct(const std::string& path, const FileReconOptions& options) {
  if (options.iterations < 1)
    throw std::invalid_argument("iterations " + std::to_string(options.iterations) +
                                " must be at least 1");
  FileReconResult result;
  requireMemoryForFile(path, options);
  auto start = std::chrono::steady_clock::now();
  const RawScan raw = readScan(path, options.rows);
  if (atOneAngle(raw.thetaRad)) throw std::invalid_argument(path + ": " + raw.angleNote);
  const PreparedScan scan = prepareScan(raw, options.binning);
  result.readSeconds = secondsSince(start);
  result.projections = scan.lineIntegrals.projections();
  result.slices = scan.lineIntegrals.slices();
  result.columns = scan.lineIntegrals.columns();
  result.repairedPixels = scan.repairedPixels;
  result.deadDetectorPixels = scan.deadDetectorPixels;
  result.flatDarkZingers = scan.flatDarkZingers;
  result.emptyProjections = int(raw.emptyProjections.size());
  result.formatNote = raw.formatNote;
  result.angleNote = raw.angleNote;
  result.flatNote = scan.flatNote;

  // The rows the binned slices were made of (a partial block of rows is left out).
  const DetectorSelection selection{
      raw.firstRow, raw.firstRow + raw.rows / options.binning * options.binning, options.binning};
  double centre = 0.0;
  // Given, else the file's (as a replay of the file takes it), else estimated.
  if (const std::optional<double> stated = options.centre ? options.centre : raw.statedCentre()) {
    try {
      checkCentreOnDetector(*stated, raw.columns);
    } catch (const std::invalid_argument& e) {
      if (options.centre) throw;
      throw std::invalid_argument(path + ": the file's rotation_center: " + e.what());
    }
    centre = selection.binnedCentre(*stated);
    result.centreSource = options.centre ? "given" : "file";
  } else {
    try {  // as a live session chooses it
      result.estimate = chooseCentre(scan.lineIntegrals, scan.anglesRad);
    } catch (const std::invalid_argument& e) {
      if (raw.emptyProjections.empty()) {
        throw;
      } else {
        throw std::invalid_argument(std::string(e.what()) + " (" +
                                    std::to_string(raw.emptyProjections.size()) +
                                    " projections of the file were left out: nothing but zeros, "
                                    "never written)");
      }
    }
    centre = result.estimate.centre;
    result.centreEstimated = true;
    result.centreSource = result.estimate.fromMass ? "centre of mass" : "estimated";
  }
  result.centre = selection.unbinnedCentre(centre);
  result.centreNote = narrowFieldNote(result.centre, raw.columns, coversFullTurn(scan.anglesRad));

  const ParallelGeometry geometry = ParallelGeometry::make(scan.anglesRad, centre, result.columns);
  const std::unique_ptr<Sirt> solver = makeSirt(options.backend, result.columns, result.slices,
                                                {.circularMask = options.circularMask});
  result.projector = solver->name();
  std::vector<int> all(result.projections);
  std::iota(all.begin(), all.end(), 0);
  start = std::chrono::steady_clock::now();
  result.history = solver->iterate(geometry, scan.lineIntegrals, all, options.iterations);
  const VolumeStack estimate = solver->estimate();
  result.reconSeconds = secondsSince(start);

  if (scan.hasGroundTruth()) {
    const int n = scan.groundTruth.gridSize();
    const std::optional<std::string> why =
        n != result.columns ? "its " + std::to_string(n) + "² grid is not the reconstruction's " +
                                  std::to_string(result.columns) + "²"
                            : whyNotAReference(scan.groundTruth);
    if (why) {
      result.groundTruthNote = "ground truth not scored against: " + *why;
    } else {
      result.ssim = ssimVolume(estimate, scan.groundTruth);
      result.psnr = psnrVolume(estimate, scan.groundTruth);
      result.nrmse = nrmseVolume(estimate, scan.groundTruth);
    }
  }

  Reconstruction& recon = result.recon;
  recon.volume = estimate.toSliceMajor();
  recon.slices = result.slices;
  recon.size = result.columns;
  recon.attributes = {
      {"source_file", path},
      {"algorithm", std::string("SIRT")},
      {"projector", result.projector},
      {"iterations", std::int64_t(options.iterations)},
      {"projections", std::int64_t(result.projections)},
      {"center", result.centre},
      {"center_estimated", std::int64_t(result.centreEstimated)},
      {"center_source", result.centreSource},
      {"first_row", std::int64_t(raw.firstRow)},
      {"end_row", std::int64_t(selection.endRow)},
      {"binning", std::int64_t(options.binning)},
      {"circular_mask", std::int64_t(options.circularMask)},
      {"repaired_pixels", std::int64_t(result.repairedPixels)},
      {"empty_projections_left_out", std::int64_t(result.emptyProjections)},
      {"recon_seconds", result.reconSeconds},
      {"units", std::string("attenuation per pixel")},
  };
  if (!result.history.empty()) {
    std::vector<double> residuals;
    for (const auto& h : result.history) residuals.push_back(h.weightedResidual);
    recon.attributes["weighted_residuals"] = residuals;
  }
  if (result.ssim) {
    recon.attributes["ssim"] = *result.ssim;
    recon.attributes["psnr"] = *result.psnr;
    recon.attributes["nrmse"] = *result.nrmse;
  }
  return result;
}

}  // namespace

FileReconResult reconstructFile(const std::string& path, const FileReconOptions& options) {
  try {
    return reconstruct(path, options);
  } catch (const std::invalid_argument& e) {
    // What the file made impossible (no opposite pair, no usable flat, a centre off its
    // detector) says which file.
    if (std::string(e.what()).find(path) != std::string::npos) throw;
    throw std::invalid_argument(path + ": " + e.what());
  }
}

}  // namespace tomolive
