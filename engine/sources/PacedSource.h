#pragma once
// Base of the sources that produce a known list of frames (the simulator, a file replay):
// flats, darks, then projections, released at a chosen frame rate (0 = as fast as possible),
// stoppable at any moment. Subclasses only say how to make frame i.
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>

#include "sources/FrameSource.h"

namespace tomolive {

/// The fastest pacing a source takes (frames per second); 0 means no pacing.
inline constexpr double kMostFramesPerSecond = 1e7;

class PacedSource : public FrameSource {
 public:
  std::optional<Frame> next(std::chrono::milliseconds timeout) override;
  bool finished() const override { return m_finished; }
  void stop() override { m_stopRequested = true; }

  /// Frames released so far (flats and darks included).
  std::int64_t released() const { return m_next; }

 protected:
  /// `frames`: how many frames the scan has; `framesPerSecond` ≤ 0: no pacing.
  PacedSource(std::int64_t frames, double framesPerSecond);
  double framesPerSecond() const { return m_framesPerSecond; }
  /// Frame i of the scan, 0 ≤ i < frames, or none where the scan holds no frame there (a
  /// file's projection never written: next() goes on to the following one); called from
  /// next()'s thread, in order.
  virtual std::optional<Frame> makeFrame(std::int64_t i) = 0;

 private:
  std::int64_t m_frames;
  double m_framesPerSecond;
  std::int64_t m_next = 0;
  std::chrono::steady_clock::time_point m_start;
  std::atomic<bool> m_stopRequested{false}, m_finished{false};
};

}  // namespace tomolive
