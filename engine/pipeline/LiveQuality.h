#pragma once
// Live quality without a ground truth, measured after each update of a LiveReconstruction:
//
// - change:     ‖x_R − x_{R−1}‖ / ‖x_R‖ of the first slice in view between successive updates;
// - structural change: 1 − SSIM(x_R, x_{R−1}) on the slices the resolution uses, SSIM as the
//               scores against a ground truth compute it (metrics/ImageMetrics.h, ssimVolume):
//               the stop advice's measure of what still changes; with the resolution only;
//               none where x_{R−1} was of other slices or made with another I (auto-steering):
//               the two differ by the method, not by the new projections;
// - change made good: of the first slice in view, ‖x_R − x_{R−4}‖² over the sum of the last 4
//               updates' squared changes, over a run of comparable images (StopAdvice.h,
//               QualityReading::changeMadeGood); not for the window method;
// - halves' change: 1 − SSIM between each half reconstruction's image (below) and x_R on the
//               same slices, the mean of the two: what the second half of the data changed, the
//               stop advice's second reading; with the resolution only;
// - residual:   ‖p − A·x‖ / ‖p‖ of the first slice in view as shown, over the projections the
//               live reconstruction holds (every one received; the window method: its newest
//               window), at most 512 of them spread evenly (one slice's forward
//               projection; the update's own steps measure the residual before their last step);
// - resolution: the Fourier ring correlation (metrics/FourierRingCorrelation.h) of two half
//               reconstructions — every other received projection in angle order —
//               on the slices in view and their neighbours, each recomputed at every update as
//               the filtered method does (the SIRT-K image of its half, I = 1), in pixels and,
//               when the pixel size is known, in µm; none while the received angles leave a
//               gap too wide for one (pipeline/StopAdvice.h, AngularCoverage: one angle
//               repeated, a wedge, a sequential scan before its end), the advice then "continue";
// - advice:     "stop" or "continue" by the StopAdvisor's rule (pipeline/StopAdvice.h).
//
// The half reconstructions are filtered images of everything received; their cost (two filtered
// updates on a few slices, two FRCs) is reported. They hold copies of the line integrals of their
// few slices; a new set of slices in view rebuilds them from what the live reconstruction holds.
//
// The `window` method gets the change only (no resolution, no advice: whyNoResolution). With
// `heldOutHalves` it also gets halves for the enhancement guard's held-out check: two window-method
// reconstructions of the same few slices, fed the even and the odd projections of each window
// (W/2 each, I iterations) before the live reconstruction forgets it, each keeping its newest
// line integrals of the first slice in view. A new set of slices in view starts them afresh.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "geometry/SliceStacks.h"
#include "nn/EnhancementGuard.h"
#include "pipeline/LiveReconstruction.h"
#include "pipeline/StopAdvice.h"

namespace tomolive {

struct QualityOptions {
  bool resolution = true;  ///< half reconstructions and FRC (false: change and residual only)
  int neighbours = 1;      ///< slices on either side of each slice in view the FRC also uses
  int maxSlices = 8;       ///< most slices the half reconstructions hold
  bool heldOutHalves = false;  ///< window method: halves for the held-out check (an enhancer on)
  std::optional<double> pixelSizeMicrometres;
  StopRule rule;
  /// The halves and the FRC on every k-th update only (the first, the (k+1)-th, …), to save
  /// their cost; the updates between report no resolution and carry the last advice and halves
  /// (the held-out check keeps its verdict's basis). ≥ 1. Not for the window method's held-out
  /// halves, which must see every window.
  int every = 1;
  /// Or by cost: the halves and FRC run on an update only while the time they have taken so far
  /// is at most this share of the reconstruction's own (the updates' seconds); the updates
  /// between are as with `every`. > 0; none: no limit.
  std::optional<double> share;
};

/// The half reconstructions' images of the slices they hold and their received line integrals
/// of the first slice in view: what the enhancement guard's held-out check needs
/// (nn/EnhancementGuard.h, heldOutWeight).
struct HalfReconstructions {
  VolumeStack image[2];  ///< per half, the slices the halves hold
  int viewIndex = 0;     ///< the first slice in view, as an index into those slices
  SliceSinogram measured[2];
};

struct QualityAssessment {
  std::optional<double> change, residual;
  std::optional<double> structuralChange;  ///< 1 − SSIM to the last update (with the resolution)
  std::optional<double> changeMadeGood;    ///< QualityReading::changeMadeGood (not for window)
  /// 1 − SSIM of each half reconstruction's image to this update's, the mean (with the resolution)
  std::optional<double> halvesChange;
  /// none where the received angles leave a gap too wide for one (AngularCoverage)
  std::optional<double> resolutionPixels, resolutionMicrometres;
  std::optional<AngularCoverage> coverage;  ///< of the received angles (not for window)
  std::optional<StopAdvice> advice;  ///< none without a resolution measure (window method)
  double seconds = 0.0;              ///< wall time of the assessment (halves, FRC, change)
  /// none without a resolution measure (window: without heldOutHalves)
  std::shared_ptr<const HalfReconstructions> halves;
};

class LiveQuality {
 public:
  /// Throws std::invalid_argument for a pixel size that is not positive, neighbours < 0,
  /// maxSlices < 1, every < 1 or a share that is not positive (and what StopAdvisor throws).
  explicit LiveQuality(QualityOptions options = {});
  ~LiveQuality();
  LiveQuality(const LiveQuality&) = delete;
  LiveQuality& operator=(const LiveQuality&) = delete;

  /// Whether resolution and advice can be had with `method` (all but window), else why not.
  static std::optional<std::string> whyNoResolution(LiveMethod method);

  /// After `update` of `live`: the readings with `view` the slices in view (indices into
  /// live's slices, first is the one whose change is measured; empty: the middle slice).
  QualityAssessment assess(const LiveReconstruction& live, const LiveUpdate& update,
                           std::span<const int> view, const ScanProgress& progress);

 private:
  struct Halves;
  /// Adds this update's first slice in view to the run of comparable images (a new run where
  /// `comparable` is false) and returns the change it made good, once the run is long enough.
  std::optional<double> madeGood(const std::vector<float>& image, bool comparable);
  QualityOptions m_options;
  StopAdvisor m_advisor;
  std::unique_ptr<Halves> m_halves;
  std::vector<float> m_previousImage;
  int m_previousSlice = -1;
  std::vector<float> m_previousStructure;  ///< the last update's slices of the resolution
  std::vector<int> m_previousStructureSlices;
  std::int64_t m_previousStructureReceived = 0;  ///< projections in the last update's image
  int m_previousIterations = 0;                  ///< the I the last update's image was made with
  /// The first slice in view of the last comparable updates (oldest first, at most
  /// kMadeGoodUpdates + 1) and their successive squared differences
  std::deque<std::vector<float>> m_run;
  std::deque<double> m_runSteps;
  int m_assessments = 0;  ///< updates seen so far (for `every`)
  double m_spentSeconds = 0.0, m_workSeconds = 0.0;  ///< halves' and updates' time (for `share`)
  std::optional<StopAdvice> m_lastAdvice;
  std::shared_ptr<const HalfReconstructions> m_lastHalves;
};

}  // namespace tomolive
