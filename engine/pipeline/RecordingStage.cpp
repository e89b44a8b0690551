#include "pipeline/RecordingStage.h"

#include <sys/resource.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "io/FrameRecorder.h"
#include "pipeline/MemoryBudget.h"

namespace tomolive {

using Clock = std::chrono::steady_clock;

namespace {

// A recorder queue quiet this long gets flushed without waiting for more frames.
constexpr auto kQuietFlush = std::chrono::milliseconds(500);
// The room is compared with the rest of the scan every this many frames.
constexpr std::int64_t kForecastEvery = 32;
// Drops are reported at once, then at most this often.
constexpr auto kDropReportEvery = std::chrono::seconds(1);

std::size_t memoryBytes(const Frame& f) { return f.pixels.size() * sizeof(float); }
std::uint64_t storedBytes(const Frame& f) {
  return std::uint64_t(f.pixels.size()) * std::uint64_t(pixelTypeSize(f.type));
}

struct Room {
  std::uint64_t bytes = std::numeric_limits<std::uint64_t>::max();
  std::string limit;  ///< which limit it is
};

// The filesystem's free space, capped by RLIMIT_FSIZE less the file's size.
Room roomFor(const std::string& path) {
  Room room;
  std::error_code error;
  const std::filesystem::path file(path);
  const auto directory = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  const std::filesystem::space_info space = std::filesystem::space(directory, error);
  if (!error) room = {space.available, "free space on its filesystem"};
  rlimit limit{};
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    const std::uintmax_t size = std::filesystem::file_size(file, error);
    const std::uint64_t used = error ? 0 : std::uint64_t(size);
    const std::uint64_t left = limit.rlim_cur > used ? limit.rlim_cur - used : 0;
    if (left < room.bytes) room = {left, "the process's file-size limit, ulimit -f"};
  }
  return room;
}

}  // namespace

struct RecordingStage::State {
  RecordingOptions options;
  std::function<void(const std::string&)> log;
  std::unique_ptr<FrameRecorder> recorder;

  mutable std::mutex mutex;
  std::condition_variable queued, room;  ///< a frame came (or close); a frame left the queue
  std::deque<std::shared_ptr<const Frame>> queue;
  RecordingStatus status;
  std::int64_t offered = 0;
  bool closed = false, stopped = false;
  std::int64_t framesReceived = 0;
  bool stoppedEarly = false;
  std::optional<double> statedCentre;
  Clock::time_point lastDropReport{};
  std::int64_t droppedReported = 0;

  void report(const std::string& line) {
    if (log) log(line);
  }
  // Recorder thread: the room check and the append of one frame; stops recording on failure.
  void write(const Frame& frame);
  // Stops recording: the queue is emptied (counted as not recorded), waiting offers return, the
  // file is finalised when it can be, and the log says loudly what the record holds.
  void stop(const std::string& why, bool tryFinalize);
  std::map<std::string, Attribute> finalAttributes() const;
};

std::map<std::string, Attribute> RecordingStage::State::finalAttributes() const {
  std::lock_guard lock(mutex);
  std::map<std::string, Attribute> a{{"frames_dropped", status.dropped},
                                     {"stopped_early", std::int64_t(stoppedEarly)}};
  a["frames_received"] = closed ? framesReceived : offered;
  if (!status.stopped.empty()) a["record_stopped"] = status.stopped;
  if (statedCentre && !options.attributes.contains("rotation_center"))
    a["rotation_center"] = *statedCentre;
  return a;
}

void RecordingStage::State::stop(const std::string& why, bool tryFinalize) {
  const std::string file = recorder->path();
  {
    std::lock_guard lock(mutex);
    status.stopped = why;
    stopped = true;
    status.notRecorded += std::int64_t(queue.size());
    queue.clear();
    status.queuedBytes = 0;
  }
  room.notify_all();
  bool finalised = false;
  if (tryFinalize) {
    try {
      recorder->finalize(finalAttributes());
      finalised = true;
    } catch (const std::exception& e) {
      report("recorder: " + file + ": finalising failed too: " + e.what());
    }
  }
  std::int64_t kept = 0;
  for (FrameKind k : {FrameKind::Projection, FrameKind::Flat, FrameKind::Dark})
    kept += finalised ? recorder->frames(k) : recorder->flushedFrames(k);
  {
    std::lock_guard lock(mutex);  // frames appended after the last flush are not in the record
    status.notRecorded += status.recorded - kept;
    status.recorded = kept;
  }
  report("RECORDING STOPPED: " + file + ": " + why + "; " +
         (finalised ? "the record is finalised with its " + std::to_string(kept) + " frames"
                    : "the record keeps the " + std::to_string(kept) +
                          " frames of its last flush: 'tomolive-cli recover " + file +
                          "' makes them readable once there is room") +
         ". Reconstruction goes on; later frames are not recorded.");
}

void RecordingStage::State::write(const Frame& frame) {
  if (options.delayPerFrame.count() > 0) std::this_thread::sleep_for(options.delayPerFrame);
  const Room left = roomFor(recorder->path());
  const std::uint64_t frameBytes = storedBytes(frame);
  if (options.reserveBytes > 0 && left.bytes < options.reserveBytes + frameBytes) {
    stop("only " + byteText(left.bytes) + " left for the file (" + left.limit + "), below the " +
             byteText(options.reserveBytes) + " kept for finalising it",
         true);
    return;
  }
  std::int64_t remaining = 0;
  {
    std::lock_guard lock(mutex);
    if (options.expectedFrames > 0 && status.warning.empty() &&
        status.recorded % kForecastEvery == 0)
      remaining = options.expectedFrames - offered + std::int64_t(queue.size());
  }
  if (remaining > 0 &&
      double(remaining) * double(frameBytes) > double(left.bytes) - double(options.reserveBytes)) {
    const std::string warning =
        "the rest of the scan (" + std::to_string(remaining) + " frames, " +
        byteText(std::uint64_t(remaining) * frameBytes) +
        ") will not fit: " + byteText(left.bytes) + " left for " + recorder->path() + " (" +
        left.limit + ")" +
        (options.reserveBytes > 0
             ? "; recording stops when " + byteText(options.reserveBytes) + " are left"
             : "");
    {
      std::lock_guard lock(mutex);
      status.warning = warning;
    }
    report("recorder: warning: " + warning);
  }
  try {
    recorder->append(frame);
    std::lock_guard lock(mutex);
    ++status.recorded;
  } catch (const std::invalid_argument& e) {
    report(std::string("recorder: frame rejected: ") + e.what());
  } catch (const std::exception& e) {
    stop(std::string("writing failed: ") + e.what(), true);
  }
}

RecordingStage::RecordingStage(RecordingOptions options,
                               std::function<void(const std::string&)> log)
    : m(std::make_unique<State>()) {
  m->options = std::move(options);
  m->log = std::move(log);
  m->recorder =
      std::make_unique<FrameRecorder>(m->options.path, m->options.attributes,
                                      RecorderOptions{.overwrite = m->options.overwrite,
                                                      .projectionType = m->options.projectionType});
}

RecordingStage::~RecordingStage() = default;

const std::string& RecordingStage::path() const { return m->options.path; }

void RecordingStage::offer(std::shared_ptr<const Frame> frame, bool canWait) {
  const std::size_t bytes = memoryBytes(*frame);
  std::unique_lock lock(m->mutex);
  ++m->offered;
  const auto fits = [&] {
    return m->queue.empty() || m->status.queuedBytes + bytes <= m->options.bufferBytes;
  };
  if (canWait) m->room.wait(lock, [&] { return m->stopped || fits(); });
  if (m->stopped) {
    ++m->status.notRecorded;
    return;
  }
  if (!fits()) {
    ++m->status.dropped;
    const auto now = Clock::now();
    if (m->droppedReported == 0 || now - m->lastDropReport >= kDropReportEvery) {
      const std::string line =
          "recorder: the disk is slower than the detector: the record buffer (" +
          byteText(m->options.bufferBytes) + ") is full; " + std::to_string(m->status.dropped) +
          " frame(s) so far left out of the record (latest: frame " +
          std::to_string(frame->number) + "; still reconstructed)";
      m->droppedReported = m->status.dropped, m->lastDropReport = now;
      lock.unlock();
      m->report(line);
    }
    return;
  }
  m->status.queuedBytes += bytes;
  m->status.peakQueuedBytes = std::max(m->status.peakQueuedBytes, m->status.queuedBytes);
  m->queue.push_back(std::move(frame));
  m->queued.notify_one();
}

void RecordingStage::close(std::int64_t framesReceived, bool stoppedEarly,
                           std::optional<double> statedCentre) {
  std::lock_guard lock(m->mutex);
  m->closed = true;
  m->framesReceived = framesReceived;
  m->stoppedEarly = stoppedEarly;
  m->statedCentre = statedCentre;
  m->queued.notify_all();
}

void RecordingStage::run() {
  State& s = *m;
  for (;;) {
    std::shared_ptr<const Frame> frame;
    {
      std::unique_lock lock(s.mutex);
      const bool woken = s.queued.wait_for(
          lock, kQuietFlush, [&] { return !s.queue.empty() || s.closed || s.stopped; });
      if (s.stopped) return;
      if (!woken) {  // a quiet stream: make what was appended durable without waiting for more
        lock.unlock();
        try {
          s.recorder->flush();
        } catch (const std::exception& e) {
          s.stop(std::string("flushing failed: ") + e.what(), true);
          return;
        }
        continue;
      }
      if (s.queue.empty()) break;  // closed, everything written
      frame = s.queue.front();
    }
    s.write(*frame);
    std::lock_guard lock(s.mutex);
    if (s.stopped) return;
    s.queue.pop_front();
    s.status.queuedBytes -= memoryBytes(*frame);
    s.room.notify_all();
  }
  try {
    s.recorder->finalize(s.finalAttributes());
  } catch (const std::exception& e) {
    s.stop(std::string("finalising failed: ") + e.what(), false);
  }
}

RecordingStatus RecordingStage::status() const {
  std::lock_guard lock(m->mutex);
  return m->status;
}

}  // namespace tomolive
