#pragma once
// When has the live image stopped improving? A rule over the per-update readings that need no
// ground truth (pipeline/LiveQuality.h): the structural change of the image between updates,
// 1 − SSIM(x_R, x_{R−1}), beside the FRC resolution of two half reconstructions, which the
// reason names.
//
// The advice is "stop" at update R when, for the last `stableUpdates` updates, the structural
// change stayed at or below `structuralChangeLimit`, and at least `minimumUpdates` updates have
// been made. Otherwise "continue", with what is still moving as the reason. The structural change
// weighs what changes as SSIM does, against each neighbourhood's own contrast, so noise still
// averaging out of flat regions counts where a relative L2 change hides it under the image's
// edges and texture. The reason of a "stop" names the resolution, since which update the image
// is stable and, when the scan's length and the acquisition rate are known, what stopping saves:
//   "image stable since update 9, resolution 3.1 px — stopping now saves 640 projections, 38 %
//    of the scan, about 6 s of beam"
// The limit was calibrated on simulated scans against SSIM to the ground truth and checked on
// scans held out from that choice and on real scans (docs/quality.md, "Live resolution (FRC) and
// stop advice"; test_advice).
#include <cstdint>
#include <optional>
#include <string>

namespace tomolive {

struct StopRule {
  double structuralChangeLimit = 0.005;  ///< most 1 − SSIM between successive updates
  int stableUpdates = 1;                 ///< updates in a row it must hold for
  int minimumUpdates = 4;                ///< no advice to stop before this update
};

/// What one update measured (none where it could not be measured).
struct QualityReading {
  int update = 0;
  std::optional<double> resolutionPixels;
  std::optional<double> structuralChange;
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
  /// Throws std::invalid_argument for a negative limit or counts below 1.
  explicit StopAdvisor(StopRule rule = {});
  /// Adds the reading of the next update and advises. A reading with no more projections
  /// received than the last (a finishing pass after the scan's end) repeats the last advice.
  StopAdvice advise(const QualityReading& reading, const ScanProgress& progress);
  const StopRule& rule() const { return m_rule; }

 private:
  StopAdvice decide(const QualityReading& reading, const ScanProgress& progress);
  StopRule m_rule;
  int m_stableRun = 0;  ///< updates in a row, up to the last, within the limit
  std::int64_t m_lastReceived = 0;
  std::optional<StopAdvice> m_last;
};

}  // namespace tomolive
