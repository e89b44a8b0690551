#pragma once
// A scan replayed update by update into the live reconstruction with the live quality assessed
// after each update, as a streaming session does, beside a reference score only hindsight or the
// simulator knows: what the stop advice is checked against (test_advice, `bench advice`).
#include <optional>
#include <span>
#include <vector>

#include "backend/ComputeBackend.h"
#include "geometry/SliceStacks.h"
#include "pipeline/LiveQuality.h"

namespace tomolive {

/// One update's readings beside its reference score.
struct ReplayStep {
  double reference = 0.0;  ///< SSIM against the ground truth, or against the last image
  /// SSIM over the sample against the ground truth (metrics/ImageMetrics.h, FieldOfViewScore::
  /// ssimSample: in the field of view, the windows whose truth stands above its lowest value);
  /// none without a truth
  std::optional<double> sampleReference;
  /// SSIM against the image after the last update: how still the image is, the only score a
  /// real scan has (its `reference` then)
  double stillReference = 0.0;
  QualityAssessment quality;
};

/// Replays `p` in arrival order `order` (indices into p and `angles`) in windows of `window` into
/// the filtered live reconstruction, I = `iterations` per update, and assesses every update as
/// the streaming session does (LiveQuality, the middle slice in view). The reference score is
/// SSIM against `truth`, or (no truth) against the image after the last update. `backend` must
/// be resolved (cpu or cuda).
std::vector<ReplayStep> replayWithQuality(const ProjectionStack& p, std::span<const double> angles,
                                          std::span<const int> order, int window, int iterations,
                                          double centre, const VolumeStack* truth,
                                          ComputeBackend backend = ComputeBackend::cpu);

/// Which score a plateau is read from: the reference, SSIM over the sample, or SSIM against the
/// last image (the image still).
enum class ReplayScore { whole, sample, still };

/// First update (1-based) from which the score stays within `tolerance` of its last. Throws
/// std::invalid_argument for the sample's score of a replay without a truth.
int plateauUpdate(std::span<const ReplayStep> steps, double tolerance,
                  ReplayScore score = ReplayScore::whole);
/// First update (1-based) advised "stop", or 0.
int adviceUpdate(std::span<const ReplayStep> steps);

}  // namespace tomolive
