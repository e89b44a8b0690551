#pragma once
// The wire format between a detector and TomoLive (docs/protocol.md is the reference):
//   data     detector binds PUSH, TomoLive connects PULL (default tcp://127.0.0.1:5555);
//            a frame is [JSON header, raw little-endian row-major pixels], the end of a scan is
//            [JSON header] alone.
//   control  detector binds REP, TomoLive connects REQ (default: data port + 1);
//            {"command":"stop"|"status"} → {"ok":true,...}.
// Decoding never trusts the sender: every malformed message is a ProtocolError whose text names
// the field and the value that was wrong, so a receiver can log it and carry on.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "io/Frame.h"

namespace tomolive {

struct ProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr int kDefaultDetectorPort = 5555;
inline constexpr const char* kDefaultDetectorAddress = "tcp://127.0.0.1:5555";
/// Largest frame accepted: 2^28 pixels (1 GiB of float32) is far beyond any detector and keeps
/// a hostile header from making the receiver allocate without bound.
inline constexpr std::int64_t kMaxFramePixels = std::int64_t(1) << 28;

/// One message as its parts (bytes), in order.
using MessageParts = std::vector<std::string>;

struct FrameMessage {
  std::string scanId;
  Frame frame;  ///< pixels converted to float; frame.type is the wire dtype
  /// Projections the whole scan will send, when the detector says (0: not said).
  std::int64_t scanProjections = 0;
  /// The rotation centre (a detector column) when the detector says, e.g. from a scan file.
  std::optional<double> rotationCentre;
};

/// Why a detector sent the end of a scan: every frame was sent, TomoLive asked it to stop, or the
/// detector process was shut down (a restarted detector may resume the same scan).
enum class EndReason { Complete, Stopped, Shutdown };
const char* endReasonName(EndReason reason);

struct EndMessage {
  std::string scanId;
  std::int64_t frames = 0;  ///< frame numbers 0 … frames − 1 make up the scan so far
  EndReason reason = EndReason::Complete;
};

using DetectorMessage = std::variant<FrameMessage, EndMessage>;

/// Header + payload of one frame. Throws std::invalid_argument when the frame cannot be sent as
/// it is (pixel count ≠ rows × columns, a pixel that does not fit frame.type, a non-finite angle).
/// `scanProjections` > 0 is sent as the scan's length (the optional field scan_projections), a
/// `rotationCentre` as rotation_center.
MessageParts encodeFrame(const Frame& frame, const std::string& scanId,
                         std::int64_t scanProjections = 0,
                         std::optional<double> rotationCentre = std::nullopt);
MessageParts encodeEnd(const EndMessage& end);
/// Throws ProtocolError naming the problem.
DetectorMessage decodeMessage(const MessageParts& parts);

enum class ControlCommand { Stop, Status };
std::string encodeCommand(ControlCommand command);
/// Throws ProtocolError for anything but {"command":"stop"|"status"}.
ControlCommand decodeCommand(const std::string& request);

struct ControlReply {
  bool ok = false;
  std::string error;      ///< why not ok
  std::int64_t sent = 0;  ///< frames sent so far by this detector process
  bool stopped = false;   ///< the detector has stopped acquiring
};
std::string encodeReply(const ControlReply& reply);
/// Throws ProtocolError when the reply is not a JSON object with a boolean "ok".
ControlReply decodeReply(const std::string& reply);

/// A tcp://HOST:PORT address; HOST may be a name, an IPv4 address, [IPv6] or * (bind).
struct TcpAddress {
  std::string host;
  int port = 0;
  std::string text() const { return "tcp://" + host + ":" + std::to_string(port); }
};
/// Throws std::invalid_argument naming the address when it is not tcp://HOST:PORT with a port in
/// 1 … 65535.
TcpAddress parseTcpAddress(const std::string& address);
/// The default control address of a data address: same host, port + 1.
std::string defaultControlAddress(const std::string& dataAddress);

}  // namespace tomolive
