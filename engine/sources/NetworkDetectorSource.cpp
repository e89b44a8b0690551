#include "sources/NetworkDetectorSource.h"

#include <zmq.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_set>

#include "sources/DetectorProtocol.h"

namespace tomolive {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Warnings wait for the caller to take them; past this many only a count is kept, so a detector
// that floods us with garbage cannot grow memory without bound.
constexpr std::size_t kMaxPendingWarnings = 1000;
// The control thread re-checks for shutdown this often while it waits for the detector.
constexpr milliseconds kControlSlice{50};

milliseconds remaining(Clock::time_point deadline) {
  return std::max(milliseconds(0),
                  std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

// zmq::poll on one socket; false on time-out or on a signal interrupting the wait (the caller
// loops on its own deadline).
bool pollIn(zmq::socket_t& socket, milliseconds timeout) {
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  try {
    zmq::poll(&item, 1, timeout);
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    throw;
  }
  return (item.revents & ZMQ_POLLIN) != 0;
}

}  // namespace

struct NetworkDetectorSource::Impl {
  std::string address, controlAddress;
  NetworkSourceOptions options;
  zmq::context_t context{1};
  zmq::socket_t data{context, zmq::socket_type::pull};

  // Shared between the consumer, stop() callers and the control thread.
  mutable std::mutex mutex;
  std::condition_variable wake;
  std::vector<std::string> warnings;
  std::int64_t suppressedWarnings = 0;
  std::string scanId;
  int rows = 0, columns = 0;
  std::int64_t scanProjections = 0;  ///< the scan's length, once a frame has said it
  std::optional<double> rotationCentre;  ///< the scan's centre, once a frame has said it
  bool stopRequested = false, closing = false;
  std::optional<Clock::time_point> stopSettled;  ///< stop answered, refused or given up
  Clock::time_point lastFrame = Clock::now();

  std::atomic<bool> finished{false};
  std::atomic<std::int64_t> received{0}, rejected{0}, duplicates{0}, missing{0};

  // Consumer thread only.
  std::unordered_set<std::int64_t> seen;  ///< frame numbers delivered or held
  /// The first frame, held until a second frame of its scan and shape confirms them: a stray
  /// first frame of another shape (or scan) must not decide what every later frame is held to.
  std::optional<Frame> held;
  std::string heldScanId;
  std::int64_t heldScanProjections = 0;
  std::optional<double> heldCentre;
  bool settled = false;              ///< the scan's id and frame shape are decided
  std::deque<Frame> ready;           ///< accepted frames next() has not handed over yet
  std::int64_t highest = -1;         ///< highest frame number received
  std::int64_t missingReported = 0;  ///< missing count at the last warning about it

  std::thread controlThread;

  void warn(std::string text) {
    std::lock_guard lock(mutex);
    if (warnings.size() < kMaxPendingWarnings)
      warnings.push_back(std::move(text));
    else
      ++suppressedWarnings;
  }

  void reject(const std::string& why) {
    const std::int64_t n = ++rejected;
    warn("rejected message #" + std::to_string(n) + " from " + address + ": " + why);
  }

  // Sends stop until the detector answers, each attempt on a fresh REQ socket: a REQ socket whose
  // request went unanswered cannot send again.
  void sendStop() {
    std::string problem;
    for (int attempt = 1; attempt <= options.controlAttempts; ++attempt) {
      zmq::socket_t req(context, zmq::socket_type::req);
      req.set(zmq::sockopt::linger, 0);
      req.set(zmq::sockopt::sndtimeo, int(options.controlTimeout.count()));
      req.set(zmq::sockopt::rcvtimeo, int(options.controlTimeout.count()));
      req.connect(controlAddress);
      if (!req.send(zmq::buffer(encodeCommand(ControlCommand::Stop)), zmq::send_flags::none)) {
        problem = "could not send within " + std::to_string(options.controlTimeout.count()) + " ms";
        continue;
      }
      const auto deadline = Clock::now() + options.controlTimeout;
      bool answered = false;
      while (!answered && Clock::now() < deadline) {
        if (std::lock_guard lock(mutex); closing) return;
        answered = pollIn(req, std::min(kControlSlice, remaining(deadline)));
      }
      if (!answered) {
        problem = "no answer within " + std::to_string(options.controlTimeout.count()) + " ms";
        continue;
      }
      zmq::message_t reply;
      if (!req.recv(reply)) continue;
      try {
        const ControlReply r = decodeReply(reply.to_string());
        if (r.ok) return;
        problem = "refused: " + r.error;
      } catch (const ProtocolError& e) {
        problem = std::string("unreadable reply: ") + e.what();
      }
      break;
    }
    if (!finished)
      warn("detector control " + controlAddress + " did not confirm stop after " +
           std::to_string(options.controlAttempts) + " attempt(s) (" + problem +
           "); the scan ends after " + std::to_string(options.quietAfterStop.count()) +
           " ms without frames");
  }

  void controlLoop() {
    {
      std::unique_lock lock(mutex);
      wake.wait(lock, [&] { return stopRequested || closing; });
      if (closing) return;
    }
    try {
      sendStop();
    } catch (const zmq::error_t& e) {
      warn("detector control " + controlAddress + ": " + e.what());
    }
    std::lock_guard lock(mutex);
    stopSettled = Clock::now();
  }

  // When the quiet period after a settled stop ends; nullopt while stop is not settled.
  std::optional<Clock::time_point> quietDeadline() const {
    std::lock_guard lock(mutex);
    if (!stopSettled) return std::nullopt;
    return std::max(*stopSettled, lastFrame) + options.quietAfterStop;
  }

  std::optional<MessageParts> receive() {
    MessageParts parts;
    zmq::message_t part;
    do {
      if (!data.recv(part, zmq::recv_flags::dontwait)) return std::nullopt;
      parts.push_back(part.to_string());
    } while (part.more());
    return parts;
  }

  // Takes one message: an accepted frame joins `ready`.
  void handle(const MessageParts& parts) {
    DetectorMessage message;
    try {
      message = decodeMessage(parts);
    } catch (const ProtocolError& e) {
      reject(e.what());
      return;
    }
    if (auto* f = std::get_if<FrameMessage>(&message))
      accept(*f);
    else
      handleEnd(std::get<EndMessage>(message));
  }

  std::string shapeText(int r, int c) const { return std::to_string(r) + "×" + std::to_string(c); }

  void accept(FrameMessage& m) {
    const std::int64_t number = m.frame.number;
    if (!settled) {
      if (held && (m.scanId != heldScanId || m.frame.rows != held->rows ||
                   m.frame.columns != held->columns)) {
        reject("frame " + std::to_string(held->number) + " of scan '" + heldScanId + "' (" +
               shapeText(held->rows, held->columns) + ") dropped: the frame after it, " +
               std::to_string(number) + " of scan '" + m.scanId + "', is " +
               shapeText(m.frame.rows, m.frame.columns) +
               " — the scan and its shape are those of the first two frames that agree");
        seen.erase(held->number);
        held.reset();
      }
      if (!seen.insert(number).second) return dropDuplicate(number, m.scanId);
      if (!held) {
        held = std::move(m.frame);
        heldScanId = m.scanId;
        heldScanProjections = m.scanProjections;
        heldCentre = m.rotationCentre;
        return;
      }
      settle();
    } else {
      if (m.scanId != scanId)
        return reject("frame " + std::to_string(number) + " of scan '" + m.scanId +
                      "' while receiving scan '" + scanId + "'");
      if (m.frame.rows != rows || m.frame.columns != columns)
        return reject("frame " + std::to_string(number) + " has shape " +
                      shapeText(m.frame.rows, m.frame.columns) + ", the scan's frames are " +
                      shapeText(rows, columns));
      if (!seen.insert(number).second) return dropDuplicate(number, scanId);
    }
    noteScanLength(m.scanProjections);
    noteCentre(m.rotationCentre);
    deliver(std::move(m.frame));
  }

  // The held first frame decides the scan's id and shape, and is delivered.
  void settle() {
    {
      std::lock_guard lock(mutex);
      scanId = heldScanId;
      rows = held->rows;
      columns = held->columns;
    }
    settled = true;
    noteScanLength(heldScanProjections);
    noteCentre(heldCentre);
    deliver(std::move(*held));
    held.reset();
  }

  void noteScanLength(std::int64_t projections) {
    if (projections <= 0) return;
    std::lock_guard lock(mutex);
    scanProjections = projections;
  }

  void noteCentre(std::optional<double> centre) {
    if (!centre) return;
    std::lock_guard lock(mutex);
    rotationCentre = centre;
  }

  // A restarted detector resends a run of frames: a line for the first and as their count
  // doubles, not one per frame (the summary has the count).
  void dropDuplicate(std::int64_t number, const std::string& scan) {
    const std::int64_t n = ++duplicates;
    if (n & (n - 1)) return;  // not a power of two
    warn("dropped duplicate frame " + std::to_string(number) + " of scan '" + scan +
         "' (already received; a restarted detector resending?)" +
         (n > 1 ? ": " + std::to_string(n) + " duplicates so far" : std::string()));
  }

  void deliver(Frame frame) {
    ++received;
    {
      std::lock_guard lock(mutex);
      lastFrame = Clock::now();
    }
    countMissing(frame.number);
    ready.push_back(std::move(frame));
  }

  // Frame numbers below the highest received that never came; a resent frame fills its gap.
  void countMissing(std::int64_t number) {
    const std::int64_t before = highest;
    highest = std::max(highest, number);
    const std::int64_t now = highest + 1 - std::int64_t(seen.size());
    missing = now;
    if (now > 0 && now >= 2 * missingReported) {
      warn(std::to_string(now) + " frame number(s) of scan '" + scanId +
           "' missing so far (frame " + std::to_string(number) + " came after " +
           std::to_string(before) + "): lost, or taken by another receiver connected to " +
           address + " — a detector hands each frame to one receiver");
      missingReported = now;
    }
  }

  void handleEnd(const EndMessage& end) {
    if (held && end.scanId == heldScanId) settle();  // a scan of one frame, or its last
    const std::string current = settled ? scanId : heldScanId;
    if (!current.empty() && end.scanId != current) {
      reject("end of scan '" + end.scanId + "' while receiving scan '" + current + "'");
      return;
    }
    if (end.reason == EndReason::Shutdown) {
      warn("detector " + address + " shut down after " + std::to_string(end.frames) +
           " frames of scan '" + end.scanId + "'; waiting for it to resume");
      return;
    }
    const auto got = std::int64_t(seen.size());
    if (got != end.frames)
      warn("scan '" + end.scanId + "' ended (" + endReasonName(end.reason) + ") with " +
           std::to_string(end.frames) + " frames, " + std::to_string(got) + " received");
    finished = true;
  }
};

NetworkDetectorSource::NetworkDetectorSource(const std::string& address,
                                             NetworkSourceOptions options)
    : m_impl(std::make_unique<Impl>()) {
  Impl& d = *m_impl;
  d.address = parseTcpAddress(address).text();
  d.controlAddress = options.control.empty() ? defaultControlAddress(address)
                                             : parseTcpAddress(options.control).text();
  if (options.controlAttempts < 1 || options.controlTimeout.count() < 1 ||
      options.quietAfterStop.count() < 0)
    throw std::invalid_argument(
        "network source: control attempts and time-out must be ≥ 1, quiet period ≥ 0");
  d.options = std::move(options);
  d.data.set(zmq::sockopt::rcvhwm, 0);  // unbounded: a burst is buffered, never refused
  d.data.set(zmq::sockopt::linger, 0);
  try {
    d.data.connect(d.address);
  } catch (const zmq::error_t& e) {
    throw std::invalid_argument("address '" + d.address + "': " + e.what());
  }
  d.controlThread = std::thread([&d] { d.controlLoop(); });
}

NetworkDetectorSource::~NetworkDetectorSource() {
  {
    std::lock_guard lock(m_impl->mutex);
    m_impl->closing = true;
  }
  m_impl->wake.notify_all();
  m_impl->controlThread.join();
}

ScanDescription NetworkDetectorSource::describe() const {
  std::lock_guard lock(m_impl->mutex);
  ScanDescription d;
  d.rows = m_impl->rows;
  d.columns = m_impl->columns;
  d.projections =
      int(std::min<std::int64_t>(m_impl->scanProjections, std::numeric_limits<int>::max()));
  d.label = m_impl->address;
  d.centre = m_impl->rotationCentre;
  return d;
}

std::optional<Frame> NetworkDetectorSource::next(std::chrono::milliseconds timeout) {
  Impl& d = *m_impl;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (!d.ready.empty()) {
      Frame frame = std::move(d.ready.front());
      d.ready.pop_front();
      return frame;
    }
    if (d.finished) break;
    const auto quiet = d.quietDeadline();
    if (quiet && Clock::now() >= *quiet) {
      if (d.held) d.settle();  // stopped after its first frame: that frame is the scan
      d.finished = true;
      continue;
    }
    const milliseconds wait =
        quiet ? std::min(remaining(deadline), remaining(*quiet) + milliseconds(1))
              : remaining(deadline);
    try {
      if (pollIn(d.data, wait)) {
        if (auto parts = d.receive()) d.handle(*parts);
      }
    } catch (const zmq::error_t& e) {
      throw std::runtime_error("detector stream " + d.address + ": " + e.what());
    }
    if (Clock::now() >= deadline) break;
  }
  return std::nullopt;
}

bool NetworkDetectorSource::finished() const { return m_impl->finished && m_impl->ready.empty(); }

void NetworkDetectorSource::stop() {
  {
    std::lock_guard lock(m_impl->mutex);
    if (m_impl->stopRequested) return;
    m_impl->stopRequested = true;
  }
  m_impl->wake.notify_all();
}

std::vector<std::string> NetworkDetectorSource::takeWarnings() {
  std::lock_guard lock(m_impl->mutex);
  std::vector<std::string> taken = std::move(m_impl->warnings);
  m_impl->warnings.clear();
  if (m_impl->suppressedWarnings)
    taken.push_back(std::to_string(m_impl->suppressedWarnings) +
                    " more warnings dropped (too many pending)");
  m_impl->suppressedWarnings = 0;
  return taken;
}

const std::string& NetworkDetectorSource::controlAddress() const { return m_impl->controlAddress; }

std::string NetworkDetectorSource::scanId() const {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->scanId;
}

std::int64_t NetworkDetectorSource::framesReceived() const { return m_impl->received; }
SourceLosses NetworkDetectorSource::losses() const {
  return {
      .rejected = m_impl->rejected, .duplicates = m_impl->duplicates, .missing = m_impl->missing};
}

}  // namespace tomolive
