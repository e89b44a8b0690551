#pragma once
// The recording stage of a live session: a queue of frames bounded in bytes, and the thread
// that appends them to the record file (io/FrameRecorder.h) while watching the room left for it.
//
// Policies (docs/streaming.md, "Recording: a slow disk, a full disk"):
// - A disk slower than the source. The queue holds at most `bufferBytes` of frames (one frame
//   when a frame is larger). When it is full, a source that can wait (file replay) waits in
//   offer() until the disk has made room: nothing is lost. A detector cannot wait: the frame is
//   left out of the record (it is still reconstructed), counted in `dropped`, logged, and the
//   finalised record says how many frames it misses (frames_dropped on /exchange).
// - Room for the file: the free space of its filesystem and the process's file-size limit
//   (RLIMIT_FSIZE), checked before every frame. Where the scan length is known, a warning when
//   the rest of the scan will not fit; when less than `reserveBytes` would be left after the next
//   frame, recording stops and the file is finalised at once with what it holds
//   (record_stopped on /exchange): the reserve is what the last flush and the attributes need.
// - A write error (ENOSPC, EFBIG, I/O) stops recording too; the frames of the last flush stay on
//   disk and `tomolive-cli recover FILE` makes them readable.
// Whatever stops recording, the session goes on reconstructing; later frames are counted as
// `notRecorded`. The stage never throws from offer() or run().
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "io/DataExchange.h"
#include "io/Frame.h"

namespace tomolive {

struct RecordingOptions {
  std::string path;
  bool overwrite = false;
  std::size_t bufferBytes = std::size_t(512) << 20;  ///< most frame bytes waiting for the disk
  /// Room kept free for the finalisation; 0 turns the watch off (a write error stops recording).
  std::uint64_t reserveBytes = std::uint64_t(64) << 20;
  std::int64_t expectedFrames = 0;              ///< frames the scan will deliver (0: unknown)
  std::map<std::string, Attribute> attributes;  ///< written on /exchange at creation
  std::optional<PixelType> projectionType{};    ///< RecorderOptions::projectionType
  /// Extra time spent on every frame written: emulates a disk slower than the source (tests).
  std::chrono::microseconds delayPerFrame{0};
};

struct RecordingStatus {
  std::int64_t recorded = 0;     ///< frames in the record (after a write error: those flushed)
  std::int64_t dropped = 0;      ///< frames left out because the queue was full (detector)
  std::int64_t notRecorded = 0;  ///< frames received after recording stopped
  std::size_t queuedBytes = 0, peakQueuedBytes = 0;
  std::string warning;  ///< e.g. that the rest of the scan will not fit ("" when none)
  std::string stopped;  ///< why recording stopped before the scan ended ("" when it did not)
};

class FrameRecorder;

class RecordingStage {
 public:
  /// Creates the file (FrameRecorder's errors); `log` receives the stage's warnings.
  RecordingStage(RecordingOptions options, std::function<void(const std::string&)> log);
  ~RecordingStage();
  RecordingStage(const RecordingStage&) = delete;
  RecordingStage& operator=(const RecordingStage&) = delete;

  /// Acquisition thread: queues a frame for the record. With `canWait`, waits while the queue is
  /// full; otherwise a frame that does not fit is dropped (and counted).
  void offer(std::shared_ptr<const Frame> frame, bool canWait);
  /// No more frames will come: run() writes what is queued, finalises the file and returns.
  /// `statedCentre`: the rotation centre the source stated by the end (a detector says it with
  /// its frames), written as rotation_center where the record did not state one from the start.
  void close(std::int64_t framesReceived, bool stoppedEarly,
             std::optional<double> statedCentre = std::nullopt);
  /// The recorder thread's body: appends queued frames, flushes when the queue is quiet for
  /// 0.5 s, and returns after close() with the file finalised (or once recording has stopped).
  void run();

  RecordingStatus status() const;
  const std::string& path() const;

 private:
  struct State;
  std::unique_ptr<State> m;
};

}  // namespace tomolive
