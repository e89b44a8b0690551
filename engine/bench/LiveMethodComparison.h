#pragma once
// `tomolive-cli methods`: which live reconstruction gets closest to what the received projections
// allow? A recorded scan is replayed window by window (in interlaced order by default, as a
// beamline scanning rotations of W angles would record it) and cut after a share of its
// projections; each candidate (method and I) is scored after the cut, by SSIM and PSNR in the
// field of view after a least-squares grey-level fit (metrics/ImageMetrics.h), against SIRT-K
// over the same received projections ("converged on what was received") and against SIRT-K over
// all projections (the full scan), with its refresh time per update.
#include <optional>
#include <string>
#include <vector>

#include "backend/ComputeBackend.h"
#include "io/DataExchange.h"
#include "pipeline/LiveReconstruction.h"

namespace tomolive {

struct MethodCandidate {
  LiveMethod method = LiveMethod::filtered;
  int iterations = 1;
};

/// "filtered:1,cgls:4,window:1" → candidates; throws std::invalid_argument naming a bad entry.
std::vector<MethodCandidate> parseMethodCandidates(const std::string& text);

struct MethodComparisonOptions {
  std::string path;  ///< Data Exchange scan
  RowRange rows;
  bool interlaced = true;  ///< replay in interlaced order (else in the file's order)
  int window = 20;
  double fraction = 1.0 / 3.0;  ///< share of the projections received at the cut
  std::vector<MethodCandidate> candidates;
  int referenceIterations = 100;
  std::optional<double> centre;  ///< else estimated from all projections
  ComputeBackend backend = ComputeBackend::cpu;
  std::string imagesPath;  ///< HDF5 file for the middle slice of each image ("" = none)
};

struct MethodScore {
  MethodCandidate candidate;
  int updates = 0, received = 0;
  double ssimReceived = 0, psnrReceived = 0;  ///< against SIRT-K over the received projections
  double ssimFull = 0, psnrFull = 0;          ///< against SIRT-K over all projections
  /// SSIM over the sample alone (metrics/ImageMetrics.h, FieldOfViewScore::ssimSample)
  double ssimSampleReceived = 0, ssimSampleFull = 0;
  double medianRefresh = 0, lastRefresh = 0;  ///< seconds of reconstruction work per update
};

struct MethodComparison {
  std::string scan;
  int projections = 0, received = 0, slices = 0, columns = 0;
  int referenceIterations = 0;  ///< K of the SIRT-K references
  double centre = 0.0;
  std::string compute;  ///< the projector every candidate ran on
  /// SIRT-K over the received projections against SIRT-K over all: what the cut itself costs.
  double ssimReceivedVsFull = 0, psnrReceivedVsFull = 0;
  double ssimSampleReceivedVsFull = 0;
  double sampleShare = 0;  ///< the sample's share of the field of view (received reference)
  std::vector<MethodScore> scores;
};

MethodComparison compareLiveMethods(const MethodComparisonOptions& options);
std::string formatMethodComparison(const MethodComparison& comparison);

}  // namespace tomolive
