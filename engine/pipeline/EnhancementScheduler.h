#pragma once
// Enhancement scheduling: the streaming session's enhancer works through each published update
// one slice at a time — the slices in view first, then outwards from the view — so that what the
// scientist looks at is enhanced first, and starts over as soon as a newer update is out.
//
// Per update it runs the enhancement guard on the guard slice (nn/EnhancementGuard.h: residual
// ratio against the received projections, and the held-out check on the live quality's halves)
// and blends what it shows by the guard's weight. It hands back a new version of the update (a
// Snapshot sharing its volumes) when the view is done, when the update is done, and otherwise at
// most every `publishEvery`. With only the view read back (large volumes) the neighbours are
// context: it enhances the slices whose neighbours are all there.
//
// Not thread-safe: the session's enhancer thread owns it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nn/Denoiser.h"
#include "pipeline/LiveReconstruction.h"

namespace tomolive {

struct Snapshot;

class EnhancementScheduler {
 public:
  using Clock = std::chrono::steady_clock;

  /// `liveMethod`: what the session reconstructs with; a model trained on another method's
  /// images is shown with weight 0 (the after view shows the reconstruction).
  EnhancementScheduler(Denoiser& denoiser, LiveMethod liveMethod,
                       Clock::duration publishEvery = std::chrono::milliseconds(250));

  /// The log line for a model trained on another method's images ("" when it fits).
  std::string mismatch() const;

  /// Whether `latest` is a new reconstruction, not one of the versions of the update in hand
  /// (always, when there is none).
  bool isNew(const Snapshot& latest) const;
  /// Starts on `update` (the one in hand, if any, is dropped).
  void begin(std::shared_ptr<const Snapshot> update);
  /// Every slice of the update in hand that is to be enhanced is (true when there is none).
  bool finished() const { return m_count == m_wantedCount; }

  struct Step {
    double seconds = 0.0;                      ///< the enhancer's (and guard's) time
    std::shared_ptr<const Snapshot> version;   ///< to publish, or null
    std::string log;                           ///< a guard failure, once ("" otherwise)
  };
  /// Enhances the next slice of the update in hand — the first of `view` (slice indices) still
  /// to do, else the nearest to the view — and, on the guard slice, runs the guard. Throws
  /// std::logic_error when finished().
  Step step(std::span<const int> view, Clock::time_point now = Clock::now());

 private:
  std::shared_ptr<const Snapshot> version() const;

  Denoiser& m_denoiser;
  std::string m_trainedOn, m_liveMethod;
  bool m_trainedForTheInput;
  Clock::duration m_publishEvery;
  std::shared_ptr<const Snapshot> m_base;  ///< the update in hand
  std::shared_ptr<VolumeStack> m_work;     ///< the network's output so far
  std::vector<std::uint8_t> m_done, m_wanted;  ///< per slice of the enhanced stack
  int m_count = 0, m_wantedCount = 0;
  double m_spent = 0.0;
  std::optional<double> m_ratio, m_heldOut;  ///< the guard's verdicts on the guard slice
  std::optional<double> m_guardSeconds;      ///< and what they cost
  bool m_guardFailed = false;
  Clock::time_point m_lastVersion;  ///< when a version was last handed back
};

}  // namespace tomolive
