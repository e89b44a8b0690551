#include "sources/DetectorProtocol.h"

#include <nlohmann/json.hpp>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>

namespace tomolive {

// Pixels are copied as host bytes; every platform TomoLive builds for (x86-64, aarch64) is
// little-endian like the wire. A big-endian port must byte-swap in putPixels/getPixels.
static_assert(std::endian::native == std::endian::little, "the wire format is little-endian");

namespace {

using nlohmann::json;

constexpr double kDegPerRad = 180.0 / std::numbers::pi;

std::string shapeText(std::int64_t rows, std::int64_t columns) {
  return std::to_string(rows) + "×" + std::to_string(columns);
}

std::string valueText(const json& value) {
  const std::string text = value.dump();
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

template <typename T>
void putPixels(const Frame& frame, std::string& payload) {
  payload.resize(frame.pixels.size() * sizeof(T));
  char* out = payload.data();
  for (std::size_t i = 0; i < frame.pixels.size(); ++i, out += sizeof(T)) {
    const float v = frame.pixels[i];
    T wire;
    if constexpr (std::is_integral_v<T>) {
      if (!(v >= 0.0f && double(v) <= double(std::numeric_limits<T>::max())))
        throw std::invalid_argument("frame " + std::to_string(frame.number) + ": pixel " +
                                    std::to_string(i) + " = " + std::to_string(v) +
                                    " does not fit " + pixelTypeName(frame.type));
      wire = static_cast<T>(std::lround(v));
    } else {
      wire = static_cast<T>(v);
    }
    std::memcpy(out, &wire, sizeof(T));
  }
}

template <typename T>
void getPixels(const std::string& payload, std::vector<float>& pixels) {
  const char* in = payload.data();
  for (std::size_t i = 0; i < pixels.size(); ++i, in += sizeof(T)) {
    T wire;
    std::memcpy(&wire, in, sizeof(T));
    pixels[i] = static_cast<float>(wire);
  }
}

const json& field(const json& header, const char* name) {
  const auto it = header.find(name);
  if (it == header.end()) throw ProtocolError(std::string("missing field '") + name + "'");
  return *it;
}

std::string stringField(const json& header, const char* name) {
  const json& value = field(header, name);
  if (!value.is_string())
    throw ProtocolError(std::string("field '") + name + "' must be a string, got " +
                        valueText(value));
  return value.get<std::string>();
}

std::int64_t countField(const json& header, const char* name) {
  const json& value = field(header, name);
  const bool negative =
      value.is_number_integer() && !value.is_number_unsigned() && value.get<std::int64_t>() < 0;
  if (!value.is_number_integer() || negative)
    throw ProtocolError(std::string("field '") + name + "' must be an integer ≥ 0, got " +
                        valueText(value));
  if (value.is_number_unsigned() &&
      value.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
    throw ProtocolError(std::string("field '") + name + "' is too large: " + valueText(value));
  return value.get<std::int64_t>();
}

json parseObject(const std::string& text, const char* what) {
  json header;
  try {
    header = json::parse(text);
  } catch (const json::exception& e) {  // syntax errors, and numbers such as 1e999 (overflow)
    throw ProtocolError(std::string(what) + " is not JSON: " + e.what());
  }
  if (!header.is_object())
    throw ProtocolError(std::string(what) + " must be a JSON object, got " + valueText(header));
  return header;
}

FrameKind parseKind(const std::string& kind) {
  for (FrameKind k : {FrameKind::Projection, FrameKind::Flat, FrameKind::Dark})
    if (kind == frameKindName(k)) return k;
  throw ProtocolError("unknown kind '" + kind + "' (known: projection, flat, dark)");
}

PixelType parseDtype(const std::string& dtype) {
  for (PixelType t : {PixelType::UInt8, PixelType::UInt16, PixelType::UInt32, PixelType::Float32,
                      PixelType::Float64})
    if (dtype == pixelTypeName(t)) return t;
  throw ProtocolError("unknown dtype '" + dtype +
                      "' (known: uint8, uint16, uint32, float32, float64)");
}

std::string scanIdField(const json& header) {
  std::string id = stringField(header, "scan_id");
  if (id.empty()) throw ProtocolError("field 'scan_id' is empty");
  return id;
}

FrameMessage decodeFrame(const json& header, const MessageParts& parts) {
  if (parts.size() != 2)
    throw ProtocolError("a frame message has 2 parts (header, pixels), got " +
                        std::to_string(parts.size()));
  FrameMessage m;
  m.scanId = scanIdField(header);
  Frame& f = m.frame;
  f.number = countField(header, "frame");
  f.kind = parseKind(stringField(header, "kind"));
  if (header.contains("scan_projections")) {
    m.scanProjections = countField(header, "scan_projections");
    if (m.scanProjections < 1)
      throw ProtocolError("field 'scan_projections' must be at least 1, got 0");
  }
  // (null: not said, as the field left out)
  if (const auto centre = header.find("rotation_center");
      centre != header.end() && !centre->is_null()) {
    if (!centre->is_number())
      throw ProtocolError(
          "field 'rotation_center' must be a finite number (a detector column), "
          "got " +
          valueText(*centre));
    m.rotationCentre = centre->get<double>();
  }
  const auto angle = header.find("angle_deg");
  const bool hasAngle =
      angle != header.end() && !(f.kind != FrameKind::Projection && angle->is_null());
  if (f.kind == FrameKind::Projection && angle == header.end())
    throw ProtocolError("missing field 'angle_deg' (required for projections)");
  if (hasAngle) {
    if (!angle->is_number())
      throw ProtocolError("field 'angle_deg' must be a finite number, got " + valueText(*angle) +
                          (angle->is_null() ? " (NaN and infinity are not JSON numbers)" : ""));
    f.angleRad = angle->get<double>() / kDegPerRad;  // finite: JSON cannot carry NaN or ∞
  }

  const json& shape = field(header, "shape");
  if (!shape.is_array() || shape.size() != 2 || !shape[0].is_number_integer() ||
      !shape[1].is_number_integer())
    throw ProtocolError("field 'shape' must be [rows, columns] (two integers), got " +
                        valueText(shape));
  const std::int64_t rows = shape[0].get<std::int64_t>(), columns = shape[1].get<std::int64_t>();
  if (rows < 0 || columns < 0)
    throw ProtocolError("shape " + shapeText(rows, columns) + " has a negative size");
  if (rows == 0 || columns == 0)
    throw ProtocolError("shape " + shapeText(rows, columns) + " is empty");
  // Checked one factor at a time so that the product cannot overflow.
  if (rows > kMaxFramePixels || columns > kMaxFramePixels / rows)
    throw ProtocolError("shape " + shapeText(rows, columns) + " exceeds the limit of 2^28 pixels");
  f.rows = static_cast<int>(rows);
  f.columns = static_cast<int>(columns);
  f.type = parseDtype(stringField(header, "dtype"));

  const std::size_t pixels = std::size_t(rows) * std::size_t(columns);
  const std::size_t needed = pixels * std::size_t(pixelTypeSize(f.type));
  if (parts[1].size() != needed)
    throw ProtocolError("pixel payload is " + std::to_string(parts[1].size()) + " bytes, shape " +
                        shapeText(rows, columns) + " " + pixelTypeName(f.type) + " needs " +
                        std::to_string(needed));
  f.pixels.resize(pixels);
  switch (f.type) {
    case PixelType::UInt8:
      getPixels<std::uint8_t>(parts[1], f.pixels);
      break;
    case PixelType::UInt16:
      getPixels<std::uint16_t>(parts[1], f.pixels);
      break;
    case PixelType::UInt32:
      getPixels<std::uint32_t>(parts[1], f.pixels);
      break;
    case PixelType::Float32:
      getPixels<float>(parts[1], f.pixels);
      break;
    case PixelType::Float64:
      getPixels<double>(parts[1], f.pixels);
      break;
  }
  return m;
}

EndMessage decodeEnd(const json& header, const MessageParts& parts) {
  if (parts.size() != 1)
    throw ProtocolError("an end message has 1 part, got " + std::to_string(parts.size()));
  EndMessage m;
  m.scanId = scanIdField(header);
  m.frames = countField(header, "frames");
  if (header.contains("reason")) {
    const std::string reason = stringField(header, "reason");
    if (reason == "complete")
      m.reason = EndReason::Complete;
    else if (reason == "stopped")
      m.reason = EndReason::Stopped;
    else if (reason == "shutdown")
      m.reason = EndReason::Shutdown;
    else
      throw ProtocolError("unknown end reason '" + reason +
                          "' (known: complete, stopped, shutdown)");
  }
  return m;
}

}  // namespace

const char* endReasonName(EndReason reason) {
  switch (reason) {
    case EndReason::Complete:
      return "complete";
    case EndReason::Stopped:
      return "stopped";
    case EndReason::Shutdown:
      return "shutdown";
  }
  return "unknown";
}

MessageParts encodeFrame(const Frame& frame, const std::string& scanId,
                         std::int64_t scanProjections, std::optional<double> rotationCentre) {
  if (frame.rows <= 0 || frame.columns <= 0 ||
      std::int64_t(frame.rows) * frame.columns > kMaxFramePixels ||
      frame.pixels.size() != std::size_t(frame.rows) * std::size_t(frame.columns))
    throw std::invalid_argument("frame " + std::to_string(frame.number) + ": " +
                                std::to_string(frame.pixels.size()) + " pixels for shape " +
                                shapeText(frame.rows, frame.columns));
  if (frame.number < 0)
    throw std::invalid_argument("frame number " + std::to_string(frame.number) + " is negative");
  json header = {{"type", "frame"},
                 {"scan_id", scanId},
                 {"frame", frame.number},
                 {"kind", frameKindName(frame.kind)},
                 {"shape", {frame.rows, frame.columns}},
                 {"dtype", pixelTypeName(frame.type)}};
  if (scanProjections > 0) header["scan_projections"] = scanProjections;
  if (rotationCentre) {
    if (!std::isfinite(*rotationCentre))
      throw std::invalid_argument("rotation centre is not finite");
    header["rotation_center"] = *rotationCentre;
  }
  if (frame.kind == FrameKind::Projection) {
    if (!std::isfinite(frame.angleRad))
      throw std::invalid_argument("frame " + std::to_string(frame.number) +
                                  ": angle is not finite");
    header["angle_deg"] = frame.angleRad * kDegPerRad;
  }
  MessageParts parts{header.dump(), {}};
  switch (frame.type) {
    case PixelType::UInt8:
      putPixels<std::uint8_t>(frame, parts[1]);
      break;
    case PixelType::UInt16:
      putPixels<std::uint16_t>(frame, parts[1]);
      break;
    case PixelType::UInt32:
      putPixels<std::uint32_t>(frame, parts[1]);
      break;
    case PixelType::Float32:
      putPixels<float>(frame, parts[1]);
      break;
    case PixelType::Float64:
      putPixels<double>(frame, parts[1]);
      break;
  }
  return parts;
}

MessageParts encodeEnd(const EndMessage& end) {
  const json header = {{"type", "end"},
                       {"scan_id", end.scanId},
                       {"frames", end.frames},
                       {"reason", endReasonName(end.reason)}};
  return {header.dump()};
}

DetectorMessage decodeMessage(const MessageParts& parts) {
  if (parts.empty() || parts.size() > 2)
    throw ProtocolError("a message has 1 or 2 parts, got " + std::to_string(parts.size()));
  const json header = parseObject(parts[0], "header");
  const std::string type = stringField(header, "type");
  if (type == "frame") return decodeFrame(header, parts);
  if (type == "end") return decodeEnd(header, parts);
  throw ProtocolError("unknown message type '" + type + "' (known: frame, end)");
}

std::string encodeCommand(ControlCommand command) {
  return json{{"command", command == ControlCommand::Stop ? "stop" : "status"}}.dump();
}

ControlCommand decodeCommand(const std::string& request) {
  const json j = parseObject(request, "request");
  const std::string command = stringField(j, "command");
  if (command == "stop") return ControlCommand::Stop;
  if (command == "status") return ControlCommand::Status;
  throw ProtocolError("unknown command '" + command + "' (known: stop, status)");
}

std::string encodeReply(const ControlReply& reply) {
  json j = {{"ok", reply.ok}};
  if (reply.ok) {
    j["sent"] = reply.sent;
    j["stopped"] = reply.stopped;
  } else {
    j["error"] = reply.error;
  }
  return j.dump();
}

ControlReply decodeReply(const std::string& text) {
  const json j = parseObject(text, "reply");
  const json& ok = field(j, "ok");
  if (!ok.is_boolean())
    throw ProtocolError("field 'ok' must be true or false, got " + valueText(ok));
  ControlReply reply;
  reply.ok = ok.get<bool>();
  if (!reply.ok) {
    reply.error = j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>()
                                                                : valueText(j);
    return reply;
  }
  if (j.contains("sent")) reply.sent = countField(j, "sent");
  if (j.contains("stopped") && j["stopped"].is_boolean()) reply.stopped = j["stopped"].get<bool>();
  return reply;
}

TcpAddress parseTcpAddress(const std::string& address) {
  const std::string scheme = "tcp://";
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument("address '" + address + "': " + why);
  };
  if (address.rfind(scheme, 0) != 0) throw bad("only tcp://HOST:PORT is supported");
  const std::string rest = address.substr(scheme.size());
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) throw bad("expected tcp://HOST:PORT");
  TcpAddress a;
  a.host = rest.substr(0, colon);
  const std::string port = rest.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    throw bad("port '" + port + "' is not a number");
  a.port = std::stoi(port);
  if (a.port < 1 || a.port > 65535)
    throw bad("port " + std::to_string(a.port) + " is outside 1 … 65535");
  return a;
}

std::string defaultControlAddress(const std::string& dataAddress) {
  TcpAddress a = parseTcpAddress(dataAddress);
  if (a.port == 65535)
    throw std::invalid_argument("address '" + dataAddress +
                                "': port 65535 leaves no port + 1 for the control socket");
  ++a.port;
  return a.text();
}

}  // namespace tomolive
