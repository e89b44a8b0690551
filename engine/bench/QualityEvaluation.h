#pragma once
// `tomolive-cli quality`: does TomoGAN help? The seed's comparison on scans the model never saw.
//
// Simulated: for glass and shale scans with seeds outside the training recipe, each W gets its
// own interlaced scan of `projections` projections; the reference is SIRT with 100 iterations
// over all of them; the streaming reconstruction (I iterations per window, warm start) is
// scored after each listed R, before and after enhancement, by SSIM and PSNR against the
// reference (mean over slices, data range of the reference).
// Real: the shared beamline scans, reference SIRT-100 over all projections, input streaming SIRT
// over the first R windows of W projections taken in interlaced (bit-reversed) order.
#include <memory>
#include <string>
#include <vector>

#include "nn/Denoiser.h"
#include "pipeline/LiveReconstruction.h"

namespace tomolive {

struct QualityOptions {
  int size = 256, slices = 8, projections = 480;
  std::uint64_t seed = 20000;  ///< outside the training (1000 + k) and validation (9000 + k) seeds
  std::vector<int> windows{16, 32, 64};
  std::vector<int> iterations{1, 5};
  std::vector<int> rotations{3, 5, 8};
  int referenceIterations = 100;
  std::vector<std::string> realScans;  ///< Data Exchange files (tooth.h5, i13_crop.h5)
  int realWindow = 20, realRotations = 3;
  std::string imagesPath;  ///< HDF5 file for before/after/reference slices ("" = none)
  LiveMethod method = LiveMethod::filtered;  ///< the live reconstruction enhanced
  bool simulated = true;                     ///< the simulated scans (else only the real ones)
};

struct QualityCell {
  std::string scan;  ///< "glass", "shale", or the real file's name
  int window = 0, iterations = 0, rotations = 0, projectionsUsed = 0;
  double centre = 0.0;  ///< the rotation centre used (detector column)
  double ssimBefore = 0, ssimAfter = 0, psnrBefore = 0, psnrAfter = 0;
};

struct QualityResult {
  std::string enhancer;
  std::vector<QualityCell> cells;
};

QualityResult runQualityEvaluation(const QualityOptions& options, Denoiser& denoiser);
std::string formatQualityEvaluation(const QualityResult& result);

}  // namespace tomolive
