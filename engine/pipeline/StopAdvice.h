#pragma once
// When has the live image stopped improving? A rule over the per-update readings that need no
// ground truth (pipeline/LiveQuality.h): the FRC resolution of two half reconstructions and the
// relative change of the image between updates.
//
// The advice is "stop" at update R when, for the last `stableUpdates` updates,
//   - the resolution, smoothed as the median of the last 3 updates, improved by less than
//     `resolutionTolerance` (relative) per update, and
//   - the relative change of the image stayed below its limit per update: `changeLimit` where
//     the resolution is within `gridLimitedPixels` of the grid's Nyquist limit (2 px: more
//     projections cannot sharpen it, what still changes is mostly noise being resampled), the
//     stricter `dataLimitedChangeLimit` where it is coarser (the data limit it: noise still
//     averages out as projections arrive, and structure-sensitive measures such as SSIM keep
//     rising while the FRC, noisy from update to update, hardly moves),
// and at least `minimumUpdates` updates have been made. Otherwise "continue", with what is still
// moving as the reason. The reason of a "stop" names the resolution, since which update it is
// stable and, when the scan's length and the acquisition rate are known, what stopping saves:
//   "resolution stable at 3.1 px since update 9 — stopping now saves 640 projections, 38 % of
//    the scan, about 6 s of beam"
// The thresholds were calibrated on simulated scans against SSIM to the ground truth
// (docs/quality.md, "Live resolution (FRC) and stop advice"; test_advice).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tomolive {

struct StopRule {
  double resolutionTolerance = 0.05;     ///< most relative improvement per update still "stable"
  double changeLimit = 0.02;             ///< most relative change per update, grid-limited
  double dataLimitedChangeLimit = 0.01;  ///< the same where the resolution is data-limited
  double gridLimitedPixels = 3.0;        ///< resolutions up to this are grid-limited
  int stableUpdates = 2;                 ///< updates both must hold for
  int minimumUpdates = 4;                ///< no advice to stop before this update
  /// The change limit at this (smoothed) resolution.
  double changeLimitAt(double resolutionPixels) const {
    return resolutionPixels <= gridLimitedPixels ? changeLimit : dataLimitedChangeLimit;
  }
};

/// What one update measured (none where it could not be measured).
struct QualityReading {
  int update = 0;
  std::optional<double> resolutionPixels;
  std::optional<double> change;
  std::int64_t received = 0;  ///< projections received when the update was made
};

/// Where the scan stands, for the savings in the reason.
struct ScanProgress {
  std::int64_t received = 0;
  int scanProjections = 0;            ///< the whole scan; 0 when unknown
  double projectionsPerSecond = 0.0;  ///< acquisition rate; 0 when unknown
};

struct StopAdvice {
  bool stop = false;
  std::string reason;
  int stableSince = 0;  ///< the first update of the stable run (stop only)
  const char* word() const { return stop ? "stop" : "continue"; }
};

class StopAdvisor {
 public:
  /// Throws std::invalid_argument for a rule with negative tolerances or counts below 1.
  explicit StopAdvisor(StopRule rule = {});
  /// Adds the reading of the next update and advises.
  StopAdvice advise(const QualityReading& reading, const ScanProgress& progress);
  const StopRule& rule() const { return m_rule; }

 private:
  struct Step {
    QualityReading reading;
    std::optional<double> smoothedResolution;
  };
  bool stable(std::size_t i) const;  ///< whether update i (into m_steps) met both limits
  StopRule m_rule;
  std::vector<Step> m_steps;
};

}  // namespace tomolive
