#pragma once
// The guard between the enhancer and the scientist: an enhanced slice is re-projected and
// compared with the measured projections of the received data. A learned denoiser that invents
// structure, or renders a scan it was not trained for in the wrong grey levels, explains the
// measurements worse than the reconstruction it started from; the ratio of the two data
// residuals says by how much:
//
//   enhanced_residual_ratio = ‖p − A·x_enhanced‖ / ‖p − A·x_reconstruction‖   (one slice)
//
// Near 1 the enhancement agrees with the data as well as the reconstruction does (below 1 it
// agrees better: a denoised image no longer fits the noise); above kDisagreementRatio the console
// marks it "disagrees with the data".
//
// A network is only trusted on the kind of image it was trained on: one trained on another live
// method's images gets weight 0 (the model file names its input method).
//
// What is shown is a blend w·x_enhanced + (1 − w)·x_reconstruction whose weight w falls to 0
// where the enhancement disagrees with the data, and fades out as the live image converges
// (its relative change between updates falls below kConvergedChange): enhancement helps an
// under-sampled image, and is only a risk once the measurements speak for themselves.
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tomolive {

// Calibrated on simulated scans (test_live): SIRT-100 over the whole scan, the image an
// enhancement aims at, scores 1.1–1.45 against the live image after 1–3 windows; the ground truth
// 0.5–0.6; an invented 20 × 20 feature 7–9.
inline constexpr double kDisagreementRatio = 2.0;  ///< the ratio above which w is 0
inline constexpr double kAgreementRatio = 1.5;     ///< the ratio below which the guard allows w = 1
inline constexpr double kConvergedChange = 0.002;  ///< change per update at which w is 0
inline constexpr double kMovingChange = 0.02;      ///< change per update above which w may be 1

/// One slice's measured line integrals: `anglesRad.size()` rows of `columns` values.
struct SliceSinogram {
  std::vector<double> anglesRad;
  double centre = 0.0;
  int columns = 0;
  std::vector<float> lineIntegrals;  ///< [angle][column]
};

/// The rows of a and then of b (one geometry). Throws std::invalid_argument where the columns or
/// centres differ.
SliceSinogram joinedSinogram(const SliceSinogram& a, const SliceSinogram& b);

/// `enhanced` (n × n) with zero where the sinogram's projections do not all measure a pixel
/// (geometry/ParallelGeometry.h seenByEveryProjection): where SIRT reconstructs nothing, a
/// network's output is invention. On i13 (axis 6 px off the detector's middle, sample wider than
/// the field of view) v5 filled that ring with mass the projections do hold, and the held-out
/// check then supported the whole output (w* 5.5 before clamping; kept to the measured pixels
/// −4.4), which scored 1.2 dB below the live image against SIRT-100 over all.
std::vector<float> keptToMeasured(std::vector<float> enhanced, const SliceSinogram& measured,
                                  int n);

/// ‖p − A·image‖ / ‖p‖ of an n × n slice on the sinogram's geometry (0 for an all-zero
/// sinogram). Throws std::invalid_argument for mismatched sizes.
double relativeResidual(const SliceSinogram& measured, std::span<const float> image, int n);

/// ‖p − A·enhanced‖ / ‖p − A·reconstruction‖ for n × n slices on the sinogram's geometry.
/// Throws std::invalid_argument for mismatched sizes or a reconstruction that fits the data
/// exactly (no residual to compare with).
double enhancedResidualRatio(const SliceSinogram& measured, std::span<const float> enhanced,
                             std::span<const float> reconstruction, int n);

/// One half of a slice's received projections, the live method's image of that half alone, and
/// that image enhanced (n × n each).
struct HeldOutHalf {
  SliceSinogram measured;
  std::vector<float> reconstruction, enhanced;
};

/// w* of the formula above from the halves A and B (each predicts the other's projections),
/// each half's enhancement kept to the pixels its projections measure (keptToMeasured).
/// 0 where the enhancement changes nothing the held-out projections can see. Throws
/// std::invalid_argument for mismatched sizes or geometries.
double heldOutWeight(const HeldOutHalf& a, const HeldOutHalf& b, int n);

/// The most of the enhancement the held-out weight w* allows: 2w* − 1, clamped to [0, 1]. The
/// blend's error on the unseen projections is a parabola in w with its minimum at w*, equal at 0
/// and at 2w*: w* ≥ 0.5 exactly when the full enhancement predicts the projections it never saw
/// at least as well as the live image. Below that the enhancement is not shown at all (a partial
/// blend of a network that loses on unseen data is still the network's structure); above, the
/// share beyond break-even, reaching 1 at w* = 1.
double heldOutCap(double heldOutWeight);

/// What is shown: w·enhanced + (1 − w)·reconstruction (equal sizes).
std::vector<float> blendEnhancement(std::span<const float> enhanced,
                                    std::span<const float> reconstruction, double weight);

/// The blend weight w ∈ [0, 1] from the residual ratio, the live image's relative change at
/// this update (none: the first update, still moving) and the held-out weight w* (none: not
/// measured, no limit; else w ≤ heldOutCap(w*)); 0 when the network was not trained on images of the live method (its
/// output on other inputs is out of distribution).
double enhancementWeight(double residualRatio, std::optional<double> change,
                         bool trainedForTheInput = true,
                         std::optional<double> heldOut = std::nullopt);

/// Which limit sets enhancementWeight below 1 for a network trained for the input, in words:
/// "disagrees with the data (residual ratio 2.31)", "partly disagrees with the data (…)", "not
/// supported by held-out projections (w* 0.21)", "partly supported by held-out projections
/// (w* 0.68)", "converging" (faded out in part) or "converged"; "" when the whole enhancement
/// is shown.
std::string enhancementLimit(double residualRatio, std::optional<double> change,
                             std::optional<double> heldOut);

}  // namespace tomolive
