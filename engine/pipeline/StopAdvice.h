#pragma once
// When has the live image stopped improving? A rule over the per-update readings that need no
// ground truth (pipeline/LiveQuality.h): the structural change of the image between updates,
// c = 1 − SSIM(x_R, x_{R−1}), turned into the gain still to come, beside the FRC resolution of two
// half reconstructions, which the reason names.
//
// The expected gain. While noise and under-sampling streaks average out, an image of n received
// projections approaches its limit as S(n) ≈ S∞ − a/n (the variance of an average falls as 1/n).
// An update that took the image from m = n − Δn projections to n then changed it by
// c = a/m − a/n = a·Δn/(m·n) (for noise exactly: the two images share m projections' average),
// and what the rest of a scan of P projections still brings is a/n − a/P = c · (m/Δn) · (1 − n/P)
// (the differential form c ≈ a·Δn/n² reads n/m times as much: 25 % more at the fifth update,
// late advice on clean scans). So the same change means more still to come the more the image
// already holds: a fixed limit on c alone fires early on long scans and fine grids and late on
// short ones. Where the scan's length is unknown (a detector that does not say) the gain is that
// of receiving as many projections again (P = 2n). SSIM is computed exactly as the scores
// against a ground truth compute it, so noise still averaging out of flat regions counts where a
// relative L2 change hides it under edges.
//
// Below the angular sampling the grid needs (π/2 · N projections for N pixels across), the
// under-sampling streaks fade too, faster than noise averages out: S(n) ≈ S∞ − a/n − b/n², whose
// changes are c = a·(1/m − 1/n) + b·(1/m² − 1/n²). There a and b ≥ 0 are fitted to the changes of
// the last `fittedUpdates` updates (relative errors, at least 3), and the gain still to come is
// a·(1/n − 1/P) + b·(1/n² − 1/P²): on scans of high photon count, whose streaks fade while
// their noise is already low, the 1/n model alone waited 3–9 updates too long. Past the grid's
// angular sampling the streaks are gone and b would only read noise in the changes as settling
// (on a scan 4× finer in angle than the grid needs it advised stopping up to 9 updates early):
// the 1/n model alone.
//
// A second reading of the same gain comes from the two half reconstructions (every other received
// projection in angle order, LiveQuality.h): the change d = 1 − SSIM between the image of all n
// projections and each half's image of n/2 is what the second half of the data did, with the
// angles of both spread as evenly as the received ones. Under the same model that is a change
// from m = n/2 to n, so the same fit turns it into a gain. The change between successive updates
// follows the arrival order: an interlaced or golden-angle scan fills the half circle level by
// level, and within a level successive images differ by patterns that the next windows undo, so
// it reads high there and low where a level starts; on finely sampled noisy scans it read half
// the noise still to average out. The halves compare evenly spread sets and see more of that
// noise, but on the real scans said "settled" an update before the image stopped changing. Each
// errs where the other does not, so the advice asks both to be low.
//
// Changes that cancel. An interlaced (or golden-angle) order fills the half circle level by level;
// within a level a pattern of uneven angular density comes and goes, so successive changes stay
// about flat and partly undo each other while the image, over the level, moves little: on clean
// scans the change between updates then read up to 8 times what was still to come. Where the
// FRC resolution is at the grid's limit (2 px: the halves agree at every frequency the grid
// holds, so no detail is still arriving), the change fitted is c · min(1, ρ), with ρ the share
// of the last kMadeGoodUpdates updates' path the image made good (QualityReading::
// changeMadeGood; squared distances, which add up for independent steps, unlike 1 − SSIM). Where
// the resolution is coarser, as on the real under-sampled scans (5–6 px), new projections still
// bring detail and the change counts whole: applied there too, ρ said stop where the image was
// still 0.016–0.023 SSIM from its final look (docs/quality.md).
//
// Where the halves are sure. Near the grid's limit (a resolution of kNearGridLimitPixels = 2.5 px
// or finer: the halves agree up to 80 % of the finest frequency the grid holds) and with the
// halves' gain at most `sureHalvesGainLimit` (half their limit), the expected gain may be up to
// `sureExpectedGainLimit` (twice its limit). There, on clean scans, the change between updates
// reads mostly an interlaced level's patterns coming and going, which ρ above discounts only from 2
// px on: on held-out glass W = 16, 10⁵ it read 0.043 still to come where the image changed by 0.006
// more to its end, and the advice came 6 updates after the image had settled. The real scans at
// full resolution (5–6 px) never come near; without the resolution condition the same looser limit
// said stop on the tooth (W = 6) an update before its image stopped changing, and from 3 px on one
// simulated scan 3 updates before its image did (docs/quality.md).
//
// The advice is "stop" at update R when the received angles cover the half circle (below:
// AngularCoverage), the expected gain is at most `expectedGainLimit` (or the looser limit where the
// halves are sure) and the halves' at most `halvesGainLimit` (where measured), at least
// `minimumUpdates` updates have been made and more projections are still to come than the last
// update added (at the scan's very end stopping saves nothing). Otherwise "continue", with the
// expected gains as the reason. An update whose image cannot be compared with the last (other
// slices in view, another I) keeps the gain of the last change measured, and the reason says why
// ("… as the last update measured it (I changed from 3 to 2)"): read as a change, a new I gave
// 0.13–0.46 where the data gave 0.009. The reason of a "stop" names since when the advice has said
// so, the gains, the resolution and, when the scan's length and the acquisition rate are known,
// what stopping saves:
//   "image settled since update 9: expected gain to the end of the scan 0.004 SSIM (limit
//    0.015), by the halves 0.006 (limit 0.010), resolution 3.1 px — stopping now saves 640
//    projections, 38 % of the scan, about 6 s of beam"
// ("at update 9" on the first update of the run).
// The limits were chosen on simulated scans against SSIM to the ground truth (within 0.01 of its
// final value), the halves' on six sets of such scans, and checked on five sets held out from
// that choice and on real scans (docs/quality.md, "Live resolution (FRC) and stop advice";
// test_advice).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tomolive {

/// The updates over which QualityReading::changeMadeGood compares the path with the distance.
inline constexpr int kMadeGoodUpdates = 4;

/// The resolution at or below which the halves' reading can make the limit on the expected gain
/// looser (StopRule::sureHalvesGainLimit), in pixels: 1.25 × the grid's limit (2 px).
inline constexpr double kNearGridLimitPixels = 2.5;

struct StopRule {
  double expectedGainLimit = 0.015;  ///< most SSIM still to come for a "stop"
  double halvesGainLimit = 0.010;    ///< most SSIM still to come by the halves' reading
  /// Where the resolution is at most kNearGridLimitPixels and the halves' gain at most
  /// `sureHalvesGainLimit`, the expected gain may be up to `sureExpectedGainLimit`.
  double sureHalvesGainLimit = 0.005;
  double sureExpectedGainLimit = 0.03;
  int minimumUpdates = 4;            ///< no advice to stop before this update
  int fittedUpdates = 4;             ///< the last updates whose changes the two terms fit
};

/// How evenly the received angles cover the half circle. A resolution measured by two half
/// reconstructions says how well their images agree, not what the angles leave unmeasured: one
/// angle repeated, or a 10° wedge, gives two equally degenerate halves that agree to the grid's
/// limit. Enough coverage: the largest gap between the received angles, folded onto [0°, 180°),
/// is at most 8 mean spacings (180°/n for n projections: an interlaced or golden-angle scan has
/// gaps of 1–2 spacings, a sequential one a gap of what is still to come) and at most 90°.
struct AngularCoverage {
  double largestGapDegrees = 180.0;
  double limitDegrees = 0.0;
  bool enough() const { return largestGapDegrees <= limitDegrees; }
};
AngularCoverage angularCoverage(std::span<const double> anglesRad);

/// What one update measured (none where it could not be measured; a change that is not a number
/// counts as not measured, never as settled).
struct QualityReading {
  int update = 0;
  std::optional<double> resolutionPixels;
  /// 1 − SSIM between this update's image and the one before
  std::optional<double> structuralChange;
  std::int64_t received = 0;        ///< projections in this update's image
  std::int64_t receivedBefore = 0;  ///< projections in the image the change compares with
  std::optional<AngularCoverage> coverage;  ///< of the received angles; not enough: "continue"
  /// 1 − SSIM between this update's image and each half reconstruction's (half the received
  /// projections each), the mean of the two
  std::optional<double> halvesChange;
  /// Why there is no structural change though an image came before (its slices or its I differ:
  /// "I changed from 3 to 2"): the gain of the last change measured stands, and the reason says
  /// why. None: the first image, or compared.
  std::optional<std::string> whyNoChange;
  /// How much of its path over the last kMadeGoodUpdates updates the image made good:
  /// ‖x_R − x_{R−k}‖² / Σ_j ‖x_{R−j} − x_{R−j−1}‖² over a run of comparable images (the same
  /// slices and I): 1 for noise averaging out (independent steps add up), below 1 where the
  /// changes cancel, above where they align. None before such a run is k updates long.
  std::optional<double> changeMadeGood;
};

/// Where the scan stands, for the expected gain and the savings in the reason.
struct ScanProgress {
  std::int64_t received = 0;
  int scanProjections = 0;            ///< the whole scan; 0 when unknown
  double projectionsPerSecond = 0.0;  ///< acquisition rate; 0 when unknown
  int gridSize = 0;  ///< pixels across the reconstructed slice; 0 when unknown (the 1/n model)
  /// The acquisition was stopped early: the scan is what was received (scanProjections then
  /// counts those), and the advice says so rather than "all … of the scan received".
  bool stopped = false;
};

/// One update's change, for the fit of the approach: the image of `received` projections,
/// `added` of them new since the image it is compared with, changed by c = 1 − SSIM.
struct ChangePoint {
  double received = 0.0, added = 0.0, change = 0.0;
};

struct StopAdvice {
  bool stop = false;
  std::string reason;
  /// SSIM still to come by the rule's model (none before the change can be measured)
  std::optional<double> expectedGain;
  /// the same from the halves' change (none without it)
  std::optional<double> halvesGain;
  /// Every projection of the scan has arrived (or the acquisition was stopped): stopping saves
  /// nothing, there is nothing left to advise and the advice stays "continue".
  bool scanComplete = false;
  const char* word() const { return stop ? "stop" : "continue"; }
};

/// The gain in SSIM that the rest of the scan is expected to bring (above), at most 1; none
/// without a change, without new projections between the two images, or where the image
/// compared with holds none (m = 0: the model says nothing).
std::optional<double> expectedGain(const QualityReading& reading, int scanProjections);
/// The gain still to come from the changes of the last updates (the newest last): the two-term
/// fit while the newest image holds fewer projections than π/2 · gridSize and at least 3 changes
/// are known, else the 1/n model on the newest change. None without a change.
std::optional<double> expectedGain(std::span<const ChangePoint> recent, int scanProjections,
                                   int gridSize);

class StopAdvisor {
 public:
  /// Throws std::invalid_argument for a negative limit, a minimum below 1 or fewer than 3 fitted
  /// updates.
  explicit StopAdvisor(StopRule rule = {});
  /// Adds the reading of the next update and advises. A reading with no more projections
  /// received than the last (a finishing pass after the scan's end) repeats the last advice.
  StopAdvice advise(const QualityReading& reading, const ScanProgress& progress);
  const StopRule& rule() const { return m_rule; }

 private:
  StopAdvice decide(const QualityReading& reading, const ScanProgress& progress) const;
  StopRule m_rule;
  /// the last rule.fittedUpdates changes between updates and to the halves, the newest last
  std::vector<ChangePoint> m_recent, m_recentHalves;
  std::int64_t m_lastReceived = 0;
  std::optional<StopAdvice> m_last;
  int m_settledSince = 0;  ///< the update that began the present run of "stop" advice
};

}  // namespace tomolive
