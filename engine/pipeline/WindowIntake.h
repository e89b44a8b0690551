#pragma once
// Window assembly: the streaming session's hand-over from the acquisition thread to the
// reconstructor. Frames come in one at a time (flats and darks kept for the correction,
// projections queued with their arrival time); the reconstructor takes a batch once W
// projections are waiting and a flat field has arrived — or the scan has ended — and takes *all*
// that are waiting (the window grows when reconstruction falls behind, so latency stays bounded).
//
// Overload (window method): its batches are capped at maxWindow projections; beyond, the oldest
// are left out of the reconstruction (never out of the record) and counted as skipped. The other
// methods take every projection waiting.
//
// A source that can wait (a file) is handed over one window at a time: roomForMore() holds it
// while W projections are already waiting.
//
// Steering is read at every wait: W, a pause (no batch, even after the scan has ended, until
// resumed or stopped) and a stop. wake() after changing them. Thread-safe.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "io/Frame.h"

namespace tomolive {

class WindowIntake {
 public:
  using Clock = std::chrono::steady_clock;
  using FramePtr = std::shared_ptr<const Frame>;

  /// The session's steering, read at every wait (it outlives the intake).
  struct Steering {
    const std::atomic<int>& window;
    const std::atomic<bool>& paused;
    const std::atomic<bool>& stopped;
  };
  /// `capOverload`: the window method's cap (maxWindow; 0: 8·W); false: take every projection.
  WindowIntake(Steering steering, bool capOverload, int maxWindow);

  // The acquisition thread.
  /// For a source that can wait: waits up to `timeout` for fewer than W projections to be
  /// waiting; true when there is room (or a stop), false when it is still full.
  bool roomForMore(std::chrono::milliseconds timeout);
  void add(FramePtr frame);  ///< a flat, a dark or a projection (arrival: now)
  /// The source has ended (or was stopped): the reconstructor takes what is left. Returns the
  /// frames received in all.
  std::int64_t finish();

  struct Pending {
    FramePtr frame;
    Clock::time_point arrival;
  };
  struct Batch {
    std::vector<Pending> projections;  ///< empty: the scan is over and everything is taken
    int window = 0;                    ///< W in force when it was taken
    std::int64_t skipped = 0;          ///< older projections left out of it (overload)
    /// The flats and darks, when any arrived since the last batch (the correction to rebuild).
    bool flatsDarksChanged = false;
    std::vector<FramePtr> flats, darks;
    /// When its W-th projection arrived (the last one, for a shorter batch at the end).
    Clock::time_point complete() const {
      return projections[std::min<std::size_t>(std::size_t(window), projections.size()) - 1]
          .arrival;
    }
  };
  // The reconstructor.
  /// Waits for a batch (see above). Throws std::runtime_error when the scan ended without any
  /// flat field (its projections cannot be normalised; they are recorded).
  Batch take();
  struct Counts {
    std::int64_t frames = 0, projections = 0, consumed = 0, skipped = 0;
    bool updating = false;  ///< a batch taken, its update not yet published
    std::int64_t lag() const { return projections - consumed - skipped; }
  };
  /// The last batch's update is ready: its projections count as consumed. Returns the counts.
  Counts consumed(std::size_t projections);
  /// The last batch's update is published (or abandoned).
  void updated();
  /// After a reconstruction failure: releases projections as they arrive until the source ends
  /// (memory stays bounded while recording goes on).
  void discardUntilFinished();

  Counts counts() const;
  /// False once the source has ended or was stopped and no projection waits: no further update.
  bool moreToCome() const;
  /// Steering changed: the waits look again.
  void wake();

 private:
  Steering m_steering;
  bool m_capOverload;
  int m_maxWindow;
  mutable std::mutex m_mutex;
  std::condition_variable m_reconCv, m_acquireCv;
  std::deque<Pending> m_pending;
  std::vector<FramePtr> m_flats, m_darks;
  int m_flatDarkVersion = 0, m_takenVersion = -1;
  Counts m_counts;
  bool m_finished = false;
};

}  // namespace tomolive
