#pragma once
// Offline reconstruction of a scan file (Data Exchange or NeXus NXtomo) with SIRT over all projections: what
// `tomolive-cli recon` runs, and the reference the streaming results are compared with.
#include <optional>
#include <string>
#include <vector>

#include "backend/ComputeBackend.h"
#include "io/DataExchange.h"
#include "preprocess/CentreFinder.h"
#include "sirt/Sirt.h"

namespace tomolive {

struct FileReconOptions {
  int iterations = 100;
  std::optional<double> centre;  ///< detector column (unbinned); estimated when absent
  RowRange rows;                 ///< detector rows to reconstruct
  int binning = 1;
  bool circularMask = true;
  ComputeBackend backend = ComputeBackend::cpu;  ///< resolved: cpu or cuda
};

struct FileReconResult {
  Reconstruction recon;  ///< volume plus every parameter as attributes
  double centre = 0.0;   ///< unbinned detector column used
  bool centreEstimated = false;
  /// "given", "file" (its rotation_center), "estimated" (opposite pairs), "centre of mass"
  std::string centreSource;
  CentreEstimate estimate;  ///< valid when centreEstimated
  int projections = 0, slices = 0, columns = 0;
  std::int64_t repairedPixels = 0, deadDetectorPixels = 0;
  std::int64_t flatDarkZingers = 0;  ///< PreparedScan::flatDarkZingers
  int emptyProjections = 0;  ///< left out: nothing but zeros (RawScan::emptyProjections)
  std::string formatNote;    ///< RawScan::formatNote
  std::string angleNote;     ///< RawScan::angleNote
  std::string centreNote;    ///< narrowFieldNote of the centre used (geometry/ParallelGeometry.h)
  std::string flatNote;      ///< PreparedScan::flatNote
  std::string projector;
  double readSeconds = 0.0, reconSeconds = 0.0;
  std::vector<SirtIteration> history;
  std::optional<double> ssim, psnr, nrmse;  ///< against the file's ground truth, if any
  /// Why a ground truth the file holds gave no scores ("" when it did or there is none).
  std::string groundTruthNote;
};

/// Throws DataExchangeError for file problems and std::invalid_argument for bad options.
FileReconResult reconstructFile(const std::string& path, const FileReconOptions& options);

}  // namespace tomolive
