#pragma once
// Image quality metrics against a reference: SSIM, PSNR and NRMSE.
//
// 2-D functions take row-major float images (width × height). SSIM follows Wang et al. 2004
// exactly as scikit-image computes it with `gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False` (11 × 11 Gaussian window, K1 = 0.01, K2 = 0.03, population
// covariances, mean of the SSIM map over the image less a 5-pixel border), so numbers can be
// compared with published Python results.
// Volume helpers take [slice][row][column] data (or VolumeStacks) and return the mean of the
// per-slice values; their data range defaults to the reference volume's max − min, one range
// for all slices so that slices are scored on the same scale.
// Every function throws std::invalid_argument on mismatched sizes, empty or non-finite input,
// or a data range that is not positive.
#include <optional>
#include <span>
#include <string>

#include "geometry/ParallelGeometry.h"
#include "geometry/SliceStacks.h"

namespace tomolive {

/// max − min of the values (the data range scikit-image users usually pass).
double dataRange(std::span<const float> reference);

/// Why `reference` cannot score a volume by SSIM, PSNR and NRMSE ("it holds NaN or infinite
/// values", "it is constant", "its slice 3 is all zero", "its 8 × 8 grid is smaller than SSIM's
/// 11 × 11 window"), or none when it can: the callers that score against a ground truth skip the
/// scores with this note rather than fail.
std::optional<std::string> whyNotAReference(const VolumeStack& reference);

/// Mean structural similarity of `image` to `reference`; both images at least 11 × 11.
double ssim(std::span<const float> image, std::span<const float> reference, int width, int height,
            double dataRange);
/// 10·log10(L² / MSE); +infinity for identical images.
double psnr(std::span<const float> image, std::span<const float> reference, int width, int height,
            double dataRange);
/// ‖image − reference‖₂ / ‖reference‖₂ (the reference must not be all zero).
double nrmse(std::span<const float> image, std::span<const float> reference, int width, int height);

/// A reconstruction scored as the streaming literature does, independent of grey-level units:
/// `image` (n × n) is fitted to `reference` by least squares (a·image + b) inside the grid's
/// inscribed circle less its outermost 2 pixels (the field of view; SIRT leaves that ring bright
/// on data inconsistent at the detector's edges), then SSIM is averaged over it (windows inside
/// it) and PSNR computed there, both with the reference's range there. Beside it, the same SSIM
/// map averaged over the sample alone: the windows whose reference mean stands above the
/// field's lowest value by a tenth of its range. Where most of the field of view is air (a tooth:
/// 84 %), SSIM over all of it mostly compares the air's noise; over the sample it says whether
/// the sample looks the same.
struct FieldOfViewScore {
  double ssim = 0.0, psnr = 0.0;
  double scale = 1.0, offset = 0.0;  ///< the fit a, b
  double ssimSample = 0.0;           ///< SSIM over the sample (over all when none stands out)
  double sampleShare = 0.0;          ///< the sample's share of the scored windows
};
FieldOfViewScore scoreInFieldOfView(std::span<const float> image, std::span<const float> reference,
                                    int n);
/// The same for slice stacks: each field the mean over the slices of theirs.
FieldOfViewScore scoreInFieldOfView(const VolumeStack& image, const VolumeStack& reference);

/// Means over slices of [slice][row][column] volumes (slices × height × width values).
double ssimVolume(std::span<const float> image, std::span<const float> reference, int width,
                  int height, int slices, std::optional<double> dataRange = std::nullopt);
double psnrVolume(std::span<const float> image, std::span<const float> reference, int width,
                  int height, int slices, std::optional<double> dataRange = std::nullopt);
double nrmseVolume(std::span<const float> image, std::span<const float> reference, int width,
                   int height, int slices);

/// The same for slice stacks (slices are gridSize × gridSize images).
double ssimVolume(const VolumeStack& image, const VolumeStack& reference,
                  std::optional<double> dataRange = std::nullopt);
double psnrVolume(const VolumeStack& image, const VolumeStack& reference,
                  std::optional<double> dataRange = std::nullopt);
double nrmseVolume(const VolumeStack& image, const VolumeStack& reference);

}  // namespace tomolive
