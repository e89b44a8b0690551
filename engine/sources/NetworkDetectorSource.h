#pragma once
// Frames from a detector streaming over ZeroMQ (sources/DetectorProtocol.h, docs/protocol.md).
//
// TomoLive is the stable side: it connects, the detector binds, so a detector that dies and is
// restarted on the same address is reconnected to by ZeroMQ and the scan goes on. The receive
// queue is unbounded (ZMQ_RCVHWM = 0) and PUSH/PULL never drops, so a burst faster than the
// reconstruction is buffered here, never lost, and the detector never waits for us.
//
// The scan's id and frame shape are those of the first two frames that agree: the first frame is
// held until the next one confirms it (or the scan ends), so a stray first frame of another shape
// or scan is dropped, with a warning, instead of having every later frame rejected against it.
// Malformed messages and frames of another scan are rejected, duplicate frame numbers (a restarted
// detector resending) are dropped; each is counted and reported by takeWarnings(), and the stream
// goes on. Frame numbers skipped (below the highest received) are counted as missing and reported
// when they first appear and each time their count doubles: a frame lost, or a second receiver
// connected to the same detector (PUSH hands each frame to one of them). The scan ends with the
// detector's end message ("complete" or "stopped"; "shutdown" only means that detector process went
// away), or, once stop() was answered or gave up, after a quiet period without frames.
//
// Threads: next(), describe(), finished() and the counters from one consumer thread; stop() and
// takeWarnings() from any. stop() returns at once: a control thread owned by the source sends
// the request, with bounded time-outs, so a dead detector never blocks the caller.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sources/FrameSource.h"

namespace tomolive {

struct NetworkSourceOptions {
  std::string control;  ///< control address; empty: the data address with port + 1
  std::chrono::milliseconds controlTimeout{1000};  ///< per stop request attempt
  int controlAttempts = 3;                         ///< stop requests before giving up
  std::chrono::milliseconds quietAfterStop{2000};  ///< no frames this long after stop → finished
};

class NetworkDetectorSource : public FrameSource {
 public:
  /// `address` is tcp://HOST:PORT (port 1 … 65535); throws std::invalid_argument otherwise.
  explicit NetworkDetectorSource(const std::string& address, NetworkSourceOptions options = {});
  ~NetworkDetectorSource() override;
  NetworkDetectorSource(const NetworkDetectorSource&) = delete;
  NetworkDetectorSource& operator=(const NetworkDetectorSource&) = delete;

  /// rows/columns once the scan's shape is settled (above); label is the data address.
  ScanDescription describe() const override;
  std::optional<Frame> next(std::chrono::milliseconds timeout) override;
  bool finished() const override;
  void stop() override;
  std::vector<std::string> takeWarnings() override;

  const std::string& controlAddress() const;
  /// The scan id of the first frame received; empty before.
  std::string scanId() const;
  std::int64_t framesReceived() const;  ///< frames delivered by next()
  SourceLosses losses() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace tomolive
