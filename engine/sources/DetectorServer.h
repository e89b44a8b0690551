#pragma once
// The detector side of the stream protocol (sources/DetectorProtocol.h): serves the frames of any
// FrameSource — a file replay or the live simulator, unpaced — on the network at a chosen rate,
// obeys stop from the control socket, and ends with an end-of-scan message. Runs
// `tomolive-cli detector-sim` and the network tests.
//
// Frame numbers are the source's (flats, darks, then projections, from 0). A restarted detector
// resumes with firstFrame; the receiver drops frames it already has. Nothing is dropped here: the
// detector waits for the first receiver to connect, and after the end message the sockets linger
// until queued frames are flushed.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sources/DetectorProtocol.h"
#include "sources/FrameSource.h"

namespace tomolive {

struct DetectorServerOptions {
  std::string bind = kDefaultDetectorAddress;
  std::string control;           ///< empty: the bind address with port + 1
  double framesPerSecond = 0.0;  ///< 0: as fast as the receiver takes them
  std::int64_t firstFrame = 0;   ///< frames below this are not sent (resuming after a restart)
  int malformed = 0;  ///< deliberately malformed messages sent after the first frames (tests)
  std::chrono::milliseconds linger{10000};  ///< longest wait at exit to flush queued frames
};

struct DetectorServerResult {
  std::int64_t sent = 0;       ///< frames sent by this process
  std::int64_t frames = 0;     ///< as in the end message: frame numbers 0 … frames − 1
  std::int64_t malformed = 0;  ///< malformed messages sent
  bool stopped = false;        ///< ended early: a stop command or requestStop()
  EndReason reason = EndReason::Complete;
};

class DetectorServer {
 public:
  /// Binds both sockets; throws std::invalid_argument for a bad address or option and
  /// std::runtime_error naming the address when it cannot be bound.
  explicit DetectorServer(DetectorServerOptions options);
  /// Closes the sockets, waiting up to options.linger for queued frames to leave.
  ~DetectorServer();
  DetectorServer(const DetectorServer&) = delete;
  DetectorServer& operator=(const DetectorServer&) = delete;

  const std::string& address() const;
  const std::string& controlAddress() const;

  /// Serves `source` (pacing it to framesPerSecond) until it finishes, a stop command or
  /// requestStop(), then sends the end message. Throws std::invalid_argument when firstFrame
  /// lies beyond the scan.
  DetectorServerResult serve(FrameSource& source, const std::string& scanId);

  /// Ends serve() as a shutdown (the end message says "shutdown", so a receiver waits for a
  /// restarted detector). Only sets a lock-free atomic flag: safe from a signal handler.
  void requestStop() noexcept { m_shutdown.store(true); }

 private:
  static_assert(std::atomic<bool>::is_always_lock_free);
  std::atomic<bool> m_shutdown{false};
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace tomolive
