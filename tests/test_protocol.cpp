// The detector wire format (docs/protocol.md): frames survive encode → decode for every pixel
// type and kind, and every malformed message is a ProtocolError that names what was wrong.
#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>

#include "sources/DetectorProtocol.h"

using namespace tomolive;
using nlohmann::json;

namespace {

Frame sampleFrame(FrameKind kind, PixelType type) {
  Frame f;
  f.kind = kind;
  f.number = 42;
  f.angleRad = kind == FrameKind::Projection ? 1.234 : 0.0;
  f.rows = 3;
  f.columns = 5;
  f.type = type;
  const bool isFloat = type == PixelType::Float32 || type == PixelType::Float64;
  const float top = type == PixelType::UInt8 ? 255.0f : 4000.0f;
  for (int i = 0; i < f.rows * f.columns; ++i)
    f.pixels.push_back(isFloat ? -1.5f + 0.37f * float(i) : std::fmod(float(i) * 97.0f, top));
  return f;
}

// A valid projection message whose header `edit` then changes.
template <typename Edit>
MessageParts editedFrame(Edit edit) {
  MessageParts parts = encodeFrame(sampleFrame(FrameKind::Projection, PixelType::UInt16), "s1");
  json header = json::parse(parts[0]);
  edit(header);
  parts[0] = header.dump();
  return parts;
}

struct Malformed {
  const char* expected;  // a fragment the error message must contain
  MessageParts parts;
};

std::vector<Malformed> malformedCases() {
  const MessageParts valid =
      encodeFrame(sampleFrame(FrameKind::Projection, PixelType::UInt16), "s1");
  MessageParts shortPayload = valid;
  shortPayload[1].pop_back();
  MessageParts hugeAngle = valid;
  hugeAngle[0].replace(hugeAngle[0].find("\"angle_deg\":"), 12, "\"angle_deg\":1e999,\"x\":");
  const std::string end = encodeEnd({"s1", 3, EndReason::Complete})[0];
  return {
      {"header is not JSON", {R"({"type": "frame", "scan_id": )", valid[1]}},
      {"pixel payload is 29 bytes, shape 3×5 uint16 needs 30", shortPayload},
      {"unknown kind 'bright'", editedFrame([](json& h) { h["kind"] = "bright"; })},
      {"shape 0×5 is empty", editedFrame([](json& h) {
         h["shape"] = {0, 5};
       })},
      {"shape 100000×100000 exceeds the limit of 2^28 pixels", editedFrame([](json& h) {
         h["shape"] = {100000, 100000};
       })},
      {"shape -3×5 has a negative size", editedFrame([](json& h) {
         h["shape"] = {-3, 5};
       })},
      {"missing field 'scan_id'", editedFrame([](json& h) { h.erase("scan_id"); })},
      {"field 'scan_id' is empty", editedFrame([](json& h) { h["scan_id"] = ""; })},
      {"field 'scan_projections' must be at least 1, got 0",
       editedFrame([](json& h) { h["scan_projections"] = 0; })},
      {"field 'scan_projections' must be an integer ≥ 0, got \"many\"",
       editedFrame([](json& h) { h["scan_projections"] = "many"; })},
      {"missing field 'angle_deg'", editedFrame([](json& h) { h.erase("angle_deg"); })},
      {"field 'frame' must be an integer ≥ 0, got \"7\"",
       editedFrame([](json& h) { h["frame"] = "7"; })},
      {"field 'frame' must be an integer ≥ 0, got -1",
       editedFrame([](json& h) { h["frame"] = -1; })},
      {"field 'frame' must be an integer ≥ 0, got 2.5",
       editedFrame([](json& h) { h["frame"] = 2.5; })},
      // A NaN angle: JSON has no NaN, so encoders write null.
      {"field 'angle_deg' must be a finite number, got null",
       editedFrame([](json& h) { h["angle_deg"] = std::nan(""); })},
      {"header is not JSON: [json.exception.out_of_range.406] number overflow parsing '1e999'",
       hugeAngle},
      {"field 'shape' must be [rows, columns]", editedFrame([](json& h) {
         h["shape"] = {3, 5, 1};
       })},
      {"unknown dtype 'int7'", editedFrame([](json& h) { h["dtype"] = "int7"; })},
      {"a frame message has 2 parts (header, pixels), got 1", {valid[0]}},
      {"an end message has 1 part, got 2", {end, "extra"}},
      {"a message has 1 or 2 parts, got 3", {valid[0], valid[1], valid[1]}},
      {"a message has 1 or 2 parts, got 0", {}},
      {"unknown message type 'hello'", editedFrame([](json& h) { h["type"] = "hello"; })},
      {"header must be a JSON object, got [1,2]", {"[1,2]", valid[1]}},
      {"missing field 'frames'", {R"({"type":"end","scan_id":"s1"})"}},
  };
}

// The ProtocolError text for `parts`, or "" when decoding wrongly succeeded.
QString decodeError(const MessageParts& parts) {
  try {
    decodeMessage(parts);
  } catch (const ProtocolError& e) {
    return QString::fromUtf8(e.what());
  }
  return {};
}

}  // namespace

class TestProtocol : public QObject {
  Q_OBJECT

 private slots:
  void roundTripEveryTypeAndKind_data() {
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("type");
    for (FrameKind k : {FrameKind::Projection, FrameKind::Flat, FrameKind::Dark})
      for (PixelType t : {PixelType::UInt8, PixelType::UInt16, PixelType::UInt32,
                          PixelType::Float32, PixelType::Float64})
        QTest::addRow("%s-%s", frameKindName(k), pixelTypeName(t)) << int(k) << int(t);
  }
  void roundTripEveryTypeAndKind() {
    QFETCH(int, kind);
    QFETCH(int, type);
    const Frame in = sampleFrame(FrameKind(kind), PixelType(type));
    const MessageParts parts = encodeFrame(in, "scan-7");
    QCOMPARE(parts.size(), std::size_t(2));
    QCOMPARE(parts[1].size(), in.pixels.size() * std::size_t(pixelTypeSize(in.type)));

    const auto message = decodeMessage(parts);
    QVERIFY(std::holds_alternative<FrameMessage>(message));
    const FrameMessage& m = std::get<FrameMessage>(message);
    QCOMPARE(m.scanId, std::string("scan-7"));
    QCOMPARE(int(m.frame.kind), kind);
    QCOMPARE(int(m.frame.type), type);
    QCOMPARE(m.frame.number, in.number);
    QCOMPARE(m.frame.rows, in.rows);
    QCOMPARE(m.frame.columns, in.columns);
    QVERIFY(std::abs(m.frame.angleRad - in.angleRad) < 1e-12);
    QVERIFY(m.frame.pixels == in.pixels);  // every sample value is exact in every type
    QCOMPARE(m.scanProjections, std::int64_t(0));  // not said
    // The scan's length, when the detector says it (optional).
    const MessageParts said = encodeFrame(in, "scan-7", 360);
    QCOMPARE(json::parse(said[0])["scan_projections"].get<std::int64_t>(), std::int64_t(360));
    QCOMPARE(std::get<FrameMessage>(decodeMessage(said)).scanProjections, std::int64_t(360));
    // The rotation centre likewise (a file served by detector-sim states it); not a number:
    // refused.
    QVERIFY(!m.rotationCentre);
    MessageParts centred = encodeFrame(in, "scan-7", 0, 278.5);
    QCOMPARE(std::get<FrameMessage>(decodeMessage(centred)).rotationCentre, std::optional(278.5));
    json header = json::parse(centred[0]);
    header["rotation_center"] = nullptr;  // null: not said (a sender's empty optional)
    centred[0] = header.dump();
    QVERIFY(!std::get<FrameMessage>(decodeMessage(centred)).rotationCentre);
    header["rotation_center"] = "middle";
    centred[0] = header.dump();
    try {
      decodeMessage(centred);
      QFAIL("a rotation_center that is not a number was accepted");
    } catch (const ProtocolError& e) {
      QVERIFY2(std::string(e.what()).find("'rotation_center' must be a finite number") !=
                   std::string::npos,
               e.what());
    }
  }

  void pixelsAreLittleEndianRowMajor() {
    Frame f = sampleFrame(FrameKind::Flat, PixelType::UInt16);
    f.pixels.assign(15, 0.0f);
    f.pixels[1 * 5 + 2] = 258.0f;  // row 1, column 2 = 0x0102
    const MessageParts parts = encodeFrame(f, "s");
    QCOMPARE(int(std::uint8_t(parts[1][2 * 7])), 0x02);
    QCOMPARE(int(std::uint8_t(parts[1][2 * 7 + 1])), 0x01);
    const json header = json::parse(parts[0]);
    QVERIFY(header["shape"] == json({3, 5}));
    QVERIFY(header["dtype"] == "uint16");
    QVERIFY(!header.contains("angle_deg"));  // flats carry no angle
  }

  void angleTravelsInDegrees() {
    Frame f = sampleFrame(FrameKind::Projection, PixelType::Float32);
    f.angleRad = std::numbers::pi / 2;
    QCOMPARE(json::parse(encodeFrame(f, "s")[0])["angle_deg"].get<double>(), 90.0);
  }

  void endRoundTrip() {
    const MessageParts parts = encodeEnd({"scan-7", 215, EndReason::Stopped});
    QCOMPARE(parts.size(), std::size_t(1));
    const auto message = decodeMessage(parts);
    QVERIFY(std::holds_alternative<EndMessage>(message));
    const EndMessage& e = std::get<EndMessage>(message);
    QCOMPARE(e.scanId, std::string("scan-7"));
    QCOMPARE(e.frames, std::int64_t(215));
    QCOMPARE(int(e.reason), int(EndReason::Stopped));
    // A detector that only knows the required fields means a complete scan.
    const auto bare = decodeMessage({R"({"type":"end","scan_id":"x","frames":3})"});
    QCOMPARE(int(std::get<EndMessage>(bare).reason), int(EndReason::Complete));
  }

  void flatsMayOmitTheAngle() {
    const auto parts = editedFrame([](json& h) {
      h["kind"] = "dark";
      h.erase("angle_deg");
    });
    QCOMPARE(int(std::get<FrameMessage>(decodeMessage(parts)).frame.kind), int(FrameKind::Dark));
  }

  void malformedMessagesNameTheProblem() {
    for (const auto& [expected, parts] : malformedCases()) {
      const QString error = decodeError(parts);
      QVERIFY2(error.contains(QString::fromUtf8(expected)),
               qPrintable(QStringLiteral("expected '%1', got '%2'").arg(expected, error)));
    }
  }

  void encodeRefusesFramesItCannotSend() {
    Frame f = sampleFrame(FrameKind::Projection, PixelType::UInt8);
    f.pixels[3] = 300.0f;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, encodeFrame(f, "s"));
    f = sampleFrame(FrameKind::Projection, PixelType::Float32);
    f.pixels.pop_back();
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, encodeFrame(f, "s"));
    f = sampleFrame(FrameKind::Projection, PixelType::Float32);
    f.angleRad = std::numeric_limits<double>::quiet_NaN();
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, encodeFrame(f, "s"));
  }

  void controlMessages() {
    QCOMPARE(int(decodeCommand(encodeCommand(ControlCommand::Stop))), int(ControlCommand::Stop));
    QCOMPARE(int(decodeCommand(R"({"command":"status"})")), int(ControlCommand::Status));
    QVERIFY_THROWS_EXCEPTION(ProtocolError, decodeCommand(R"({"command":"explode"})"));
    QVERIFY_THROWS_EXCEPTION(ProtocolError, decodeCommand("stop"));
    ControlReply r;
    r.ok = true;
    r.sent = 17;
    r.stopped = true;
    const ControlReply back = decodeReply(encodeReply(r));
    QVERIFY(back.ok);
    QCOMPARE(back.sent, std::int64_t(17));
    QVERIFY(back.stopped);
    const ControlReply refused = decodeReply(R"({"ok":false,"error":"unknown command"})");
    QVERIFY(!refused.ok);
    QCOMPARE(refused.error, std::string("unknown command"));
    QVERIFY_THROWS_EXCEPTION(ProtocolError, decodeReply(R"({"ok":"yes"})"));
  }

  void addresses() {
    QCOMPARE(parseTcpAddress("tcp://127.0.0.1:5555").port, 5555);
    QCOMPARE(parseTcpAddress("tcp://[::1]:7000").host, std::string("[::1]"));
    QCOMPARE(defaultControlAddress(kDefaultDetectorAddress), std::string("tcp://127.0.0.1:5556"));
    for (const char* bad : {"ipc:///tmp/x", "tcp://host", "tcp://:5555", "tcp://h:0",
                            "tcp://h:65536", "tcp://h:55a", "127.0.0.1:5555"})
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseTcpAddress(bad));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, defaultControlAddress("tcp://h:65535"));
  }
};

QTEST_APPLESS_MAIN(TestProtocol)
#include "test_protocol.moc"
