#pragma once
// Auto-steering of W and I (`--auto-steer --target-refresh S`): after each update, choose the
// window and iterations for the next so that reconstruction keeps up with the detector and an
// update takes at most S seconds.
//
// Cost model, measured online from each update (so it follows a busy machine, a GPU, another
// grid or another set of slices): an update over U projections at I iterations costs
//
//   t(I, U) = o + c · passes(I) · U
//
// with passes(I) the projector passes of the method (filtered 1 + 2I, cgls 2 + 2I, sirt and
// window 2I), c the seconds per projection-pass (a lower measurement replaces the estimate, a
// higher one is averaged with it) and o the
// update's fixed part (its time beyond the reconstruction work: quality, read-back, publishing).
// The next update uses U = U₀ + W projections (U₀ = those used now; 0 for `window`).
//
// Keeping up at detector rate r means a window takes at least as long to arrive as its update
// takes to compute, W ≥ r · t(I, U₀ + W), i.e. W ≥ r·(o + k·U₀) / (1 − r·k) with k = c·passes(I)
// (impossible when r·k ≥ 1), taken 25 % larger as headroom for a cost that grows with every
// projection received, at least r·S/4 (at most 4 updates per target time: tiny windows only add
// overhead and turn a hiccup into a lag of many windows) and at most 100 000. The decision is the
// largest I ≤ maxIterations for which that W also gives 1.25·t ≤ S and, above I = 1, r·k ≤ 0.5
// (so an update stays at least 10 % shorter than its window's arrival), with that W; when
// even I = 1 cannot meet S or keep up, I = 1 and the W that keeps up (or the current one), with the
// reason. Without a known rate (a lossless replay) only the target limits I and W stays.
//
// With the window kept (the scientist's W, I chosen: `--iterations auto`, the console's default)
// the decision is the largest I ≤ maxIterations whose update, 25 % larger, fits both the target
// and the time its window takes to arrive (W/r; unknown r: the target alone), else I = 1 with the
// reason. After the first decision an I above the one in force must fit with the margin twice
// over (1.25²): I comes down at once and does not flicker up and down with the machine's noise. For
// the filtered method every further iteration brings the image closer to the SIRT-K image of what
// was received (docs/quality.md), so the time a window leaves is spent on it.
#include <functional>
#include <optional>
#include <string>

#include "pipeline/LiveReconstruction.h"

namespace tomolive {

/// Projector passes over the projections used that one update of `method` makes at I.
int projectorPasses(LiveMethod method, int iterations);

/// What one update measured.
struct SteeringInput {
  LiveMethod method = LiveMethod::filtered;
  int window = 1, iterations = 1;
  int projectionsUsed = 0;          ///< projections the update computed with
  double workSeconds = 0.0;         ///< the reconstruction work (what scales with U and I)
  double updateSeconds = 0.0;       ///< the whole update, work included (≥ workSeconds)
  double projectionsPerSecond = 0;  ///< detector rate measured; 0: unknown (lossless replay)
  bool keepWindow = false;          ///< choose I only: W stays the scientist's
};

struct SteeringDecision {
  int window = 1, iterations = 1;
  double predictedSeconds = 0.0;  ///< t of the next update
  std::string reason;  ///< e.g. "W 48, I 3: keeps up with 400 proj/s, update 0.8 s ≤ 1 s"
};

class AutoSteering {
 public:
  /// Throws std::invalid_argument for a target that is not positive or maxIterations < 1.
  explicit AutoSteering(double targetRefreshSeconds, int maxIterations = 8);
  /// Learns from the update just made and decides the next W and I.
  SteeringDecision decide(const SteeringInput& update);
  double targetSeconds() const { return m_target; }

 private:
  SteeringDecision decideIterations(int window, int current, double rate,
                                    const std::function<double(int, double)>& seconds);

  double m_target;
  int m_maxIterations;
  std::optional<double> m_secondsPerPass, m_fixedSeconds;
  bool m_decided = false;  ///< I alone: a decision was made (I then rises with twice the margin)
};

}  // namespace tomolive
