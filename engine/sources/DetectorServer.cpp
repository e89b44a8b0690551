#include "sources/DetectorServer.h"

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <optional>
#include <stdexcept>

namespace tomolive {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The serving loop wakes at least this often to notice requestStop() from a signal handler.
constexpr milliseconds kWakeInterval{50};
constexpr milliseconds kNoReceiverEndWait{1000};

// The four ways a sender goes wrong that the receiver must survive, cycled through, plus a
// projection without a usable angle. Built from a real frame so only the one fault differs.
MessageParts malformedMessage(const Frame& frame, const std::string& scanId, std::int64_t i) {
  MessageParts parts = encodeFrame(frame, scanId);
  nlohmann::json header = nlohmann::json::parse(parts[0]);
  switch (i % 5) {
    case 0:
      parts[0] = "{\"type\": \"frame\", \"scan_id\": ";
      return parts;
    case 1:
      parts[1].pop_back();
      return parts;
    case 2:
      header["kind"] = "bright";
      break;
    case 3:
      header["shape"] = {100000, 100000};
      break;
    default:
      header["kind"] = "projection";
      header["angle_deg"] = nullptr;  // how a NaN angle arrives: JSON has no NaN
      break;
  }
  parts[0] = header.dump();
  return parts;
}

// One poll over the data socket (ready to send) and the control socket (a request waits).
struct Readiness {
  bool canSend = false, request = false;
};

}  // namespace

struct DetectorServer::Impl {
  explicit Impl(const std::atomic<bool>& shutdownFlag) : shutdown(shutdownFlag) {}

  const std::atomic<bool>& shutdown;  // DetectorServer::requestStop()
  DetectorServerOptions options;
  std::string address, controlAddress;
  zmq::context_t context{1};
  zmq::socket_t data{context, zmq::socket_type::push};
  zmq::socket_t control{context, zmq::socket_type::rep};
  std::int64_t sent = 0;
  bool stopCommanded = false;
  bool stopReplyPending = false;  // the stop request is answered once the end message is out

  Readiness wait(milliseconds timeout, bool wantSend) {
    zmq::pollitem_t items[2] = {{control.handle(), 0, ZMQ_POLLIN, 0},
                                {data.handle(), 0, ZMQ_POLLOUT, 0}};
    try {
      zmq::poll(items, wantSend ? 2 : 1, timeout);
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;  // a signal: the caller looks at the stop flag
      return {};
    }
    return {wantSend && (items[1].revents & ZMQ_POLLOUT) != 0,
            (items[0].revents & ZMQ_POLLIN) != 0};
  }

  void reply(const ControlReply& r) {
    control.send(zmq::buffer(encodeReply(r)), zmq::send_flags::none);
  }

  void replyOk() {
    ControlReply r;
    r.ok = true;
    r.sent = sent;
    r.stopped = stopCommanded;
    reply(r);
  }

  void answerRequest() {
    zmq::message_t request;
    if (!control.recv(request, zmq::recv_flags::dontwait)) return;
    std::string text = request.to_string();
    while (request.more()) (void)control.recv(request);  // REP needs the whole request read
    try {
      if (decodeCommand(text) == ControlCommand::Stop) {
        stopCommanded = true;
        stopReplyPending = true;
        return;
      }
      replyOk();
    } catch (const ProtocolError& e) {
      ControlReply r;
      r.error = e.what();
      reply(r);
    }
  }

  bool stopping() const { return shutdown || stopCommanded; }

  // Waits until `parts` can go out, answering control requests meanwhile. Gives up (false) when
  // `deadline` passes or, if `interruptible`, when told to stop.
  bool send(const MessageParts& parts, bool interruptible,
            std::optional<Clock::time_point> deadline = std::nullopt) {
    for (;;) {
      if (interruptible && stopping()) return false;
      if (deadline && Clock::now() >= *deadline) return false;
      const Readiness r = wait(kWakeInterval, true);
      if (r.request) answerRequest();
      if (!r.canSend || (interruptible && stopping())) continue;
      const auto first = parts.size() > 1 ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                          : zmq::send_flags::dontwait;
      if (!data.send(zmq::buffer(parts[0]), first)) continue;
      // ZeroMQ delivers all parts or none: once the first is queued, the rest are accepted.
      for (std::size_t i = 1; i < parts.size(); ++i)
        data.send(zmq::buffer(parts[i]),
                  i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
      return true;
    }
  }
};

DetectorServer::DetectorServer(DetectorServerOptions options)
    : m_impl(std::make_unique<Impl>(m_shutdown)) {
  Impl& d = *m_impl;
  if (options.framesPerSecond < 0.0 || !std::isfinite(options.framesPerSecond))
    throw std::invalid_argument("frame rate " + std::to_string(options.framesPerSecond) +
                                " must be ≥ 0 (0 = as fast as possible)");
  if (options.firstFrame < 0)
    throw std::invalid_argument("first frame " + std::to_string(options.firstFrame) +
                                " must be ≥ 0");
  if (options.malformed < 0)
    throw std::invalid_argument("malformed count " + std::to_string(options.malformed) +
                                " must be ≥ 0");
  d.address = parseTcpAddress(options.bind).text();
  d.controlAddress = options.control.empty() ? defaultControlAddress(options.bind)
                                             : parseTcpAddress(options.control).text();
  d.options = std::move(options);
  d.data.set(zmq::sockopt::linger, int(d.options.linger.count()));
  d.control.set(zmq::sockopt::linger, 0);
  for (auto [socket, where] : {std::pair{&d.data, &d.address}, {&d.control, &d.controlAddress}}) {
    try {
      socket->bind(*where);
    } catch (const zmq::error_t& e) {
      throw std::runtime_error("cannot bind " + *where + ": " + e.what());
    }
  }
}

DetectorServer::~DetectorServer() = default;

const std::string& DetectorServer::address() const { return m_impl->address; }
const std::string& DetectorServer::controlAddress() const { return m_impl->controlAddress; }

DetectorServerResult DetectorServer::serve(FrameSource& source, const std::string& scanId) {
  Impl& d = *m_impl;
  const DetectorServerOptions& o = d.options;
  const auto period = o.framesPerSecond > 0.0
                          ? std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(1.0 / o.framesPerSecond))
                          : Clock::duration::zero();

  DetectorServerResult result;
  std::int64_t unsent = o.firstFrame;  // the first frame number not sent
  std::int64_t produced = 0;           // frame numbers 0 … produced − 1 came from the source
  auto due = Clock::now();
  while (!d.stopping() && !source.finished()) {
    if (d.wait(milliseconds(0), false).request) d.answerRequest();
    if (const auto now = Clock::now(); now < due) {
      const auto left = std::chrono::duration_cast<milliseconds>(due - now) + milliseconds(1);
      if (d.wait(std::min(left, kWakeInterval), false).request) d.answerRequest();
      continue;
    }
    const std::optional<Frame> frame = source.next(kWakeInterval);
    if (!frame) continue;
    produced = std::max(produced, frame->number + 1);
    if (frame->number < o.firstFrame) continue;  // sent before the restart
    const ScanDescription scan = source.describe();
    if (!d.send(encodeFrame(*frame, scanId, scan.projections, scan.centre), true)) break;
    d.sent = ++result.sent;
    unsent = frame->number + 1;
    if (result.malformed < o.malformed &&
        d.send(malformedMessage(*frame, scanId, result.malformed), true))
      ++result.malformed;
    // Keep the cadence, but after a stall do not burst to catch up.
    due = std::max(due + period, Clock::now() - period);
  }
  if (source.finished() && o.firstFrame > produced)
    throw std::invalid_argument("first frame " + std::to_string(o.firstFrame) +
                                " lies beyond the scan's " + std::to_string(produced) + " frames");

  result.stopped = !source.finished();
  result.reason = !result.stopped   ? EndReason::Complete
                  : d.stopCommanded ? EndReason::Stopped
                                    : EndReason::Shutdown;
  result.frames = result.stopped ? unsent : produced;
  // Not interruptible: the end message is what tells the receiver that a stop took effect. When
  // no receiver ever took a frame, waiting the full linger for one would only hold up the exit.
  const auto endWait = result.sent > 0 ? o.linger : std::min(o.linger, kNoReceiverEndWait);
  d.send(encodeEnd({scanId, result.frames, result.reason}), false, Clock::now() + endWait);
  if (d.stopReplyPending) d.replyOk();
  return result;
}

}  // namespace tomolive
