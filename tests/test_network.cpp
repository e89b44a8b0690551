// The detector stream end to end on loopback: `tomolive-cli detector-sim` runs as a separate
// process and NetworkDetectorSource receives from it. Covers a burst faster than the receiver,
// malformed messages, stop reaching the detector, and a detector restarted mid-scan. Ports are
// chosen free at run time; every wait is bounded.
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <numbers>
#include <thread>

#include "io/DataExchange.h"
#include "pipeline/StreamingSession.h"
#include "sources/DetectorServer.h"
#include "sources/NetworkDetectorSource.h"

using namespace tomolive;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// The small simulated scan every test serves: 10 flats + 5 darks + 200 projections.
const QStringList kScan = {"--phantom", "glass",         "--size", "64",      "--slices",
                           "4",         "--projections", "200",    "--order", "interlaced:20",
                           "--photons", "1e4",           "--seed", "1"};
constexpr int kScanFrames = 215;

// A loopback port P, with P + 1 (the default control port) free too.
int freePortPair() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int a = ::socket(AF_INET, SOCK_STREAM, 0), b = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    int port = 0;
    if (::bind(a, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(a, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
      port = ntohs(addr.sin_port);
      addr.sin_port = htons(std::uint16_t(port + 1));
      if (port >= 65535 || ::bind(b, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        port = 0;
    }
    ::close(a);
    ::close(b);
    if (port) return port;
  }
  return 0;
}

QString address(int port) { return QStringLiteral("tcp://127.0.0.1:%1").arg(port); }

// detector-sim as a child process; killed if a test leaves it running.
class Detector {
 public:
  void start(const QStringList& args) {
    m_process.start(QStringLiteral(TOMOLIVE_CLI_PATH), QStringList{"detector-sim"} + args);
  }
  bool started() { return m_process.waitForStarted(10000); }
  bool running() {
    return !m_process.waitForFinished(0) && m_process.state() != QProcess::NotRunning;
  }
  void terminate() { m_process.terminate(); }  // SIGTERM
  void kill() { m_process.kill(); }            // SIGKILL: the detector vanishes mid-scan
  /// Waits for the exit and returns its JSON summary line (empty on failure, with a warning).
  QJsonObject summary(int timeoutMs = 15000) {
    if (m_process.state() != QProcess::NotRunning && !m_process.waitForFinished(timeoutMs)) {
      qWarning() << "detector-sim did not exit in" << timeoutMs << "ms";
      return {};
    }
    const QByteArray out = m_process.readAllStandardOutput().trimmed();
    const QByteArray err = m_process.readAllStandardError();
    if (m_process.exitStatus() != QProcess::NormalExit || m_process.exitCode() != 0)
      qWarning() << "detector-sim failed:" << m_process.exitCode() << err;
    return QJsonDocument::fromJson(out.split('\n').last()).object();
  }
  ~Detector() {
    if (m_process.state() != QProcess::NotRunning) {
      m_process.kill();
      m_process.waitForFinished(5000);
    }
  }

 private:
  QProcess m_process;
};

// Frame numbers received and how often each came.
struct Reception {
  std::map<std::int64_t, int> times;
  std::int64_t frames = 0;

  bool eachOnce(std::int64_t first, std::int64_t count) const {
    if (std::int64_t(times.size()) != count) return false;
    for (const auto& [number, n] : times)
      if (n != 1 || number < first || number >= first + count) return false;
    return true;
  }
};

// Takes frames until the source finishes, `more` returns false (called after each frame) or
// `budget` runs out. Returns whether the source finished.
template <typename More>
bool receive(NetworkDetectorSource& source, Reception& r, std::chrono::milliseconds budget,
             More more) {
  const auto deadline = Clock::now() + budget;
  while (!source.finished() && Clock::now() < deadline) {
    if (auto frame = source.next(100ms)) {
      ++r.times[frame->number];
      ++r.frames;
      if (!more(*frame)) return false;
    }
  }
  return source.finished();
}

// A detector's frames given one by one: `shapes` rows × 64 columns, numbered from 0.
class ListedFrames : public FrameSource {
 public:
  explicit ListedFrames(std::vector<int> rows) : m_rows(std::move(rows)) {}
  ScanDescription describe() const override {
    ScanDescription d;
    d.label = "listed frames";
    return d;
  }
  std::optional<Frame> next(std::chrono::milliseconds) override {
    if (m_next >= m_rows.size()) return std::nullopt;
    Frame f;
    f.number = std::int64_t(m_next);
    f.angleRad = 0.01 * double(m_next);
    f.rows = m_rows[m_next++];
    f.columns = 64;
    f.pixels.assign(std::size_t(f.rows) * 64, 100.0f);
    return f;
  }
  bool finished() const override { return m_next >= m_rows.size(); }
  void stop() override { m_next = m_rows.size(); }

 private:
  std::vector<int> m_rows;
  std::size_t m_next = 0;
};

int countContaining(const std::vector<std::string>& lines, const std::string& text) {
  int n = 0;
  for (const auto& line : lines) n += line.find(text) != std::string::npos;
  return n;
}

}  // namespace

class TestNetwork : public QObject {
  Q_OBJECT

 private slots:
  // The detector sends the whole scan at once while the receiver takes 5 ms per frame (a slow
  // reconstruction): the burst waits in the receive queue, nothing is lost or doubled.
  void burstFasterThanReceiverLosesNothing() {
    const int port = freePortPair();
    QVERIFY(port);
    NetworkDetectorSource source(address(port).toStdString());
    Detector detector;
    detector.start(kScan + QStringList{"--bind", address(port)});
    QVERIFY(detector.started());

    Reception r;
    std::int64_t receivedWhenDetectorExited = -1;
    const bool finished = receive(source, r, 30s, [&](const Frame&) {
      std::this_thread::sleep_for(5ms);
      if (receivedWhenDetectorExited < 0 && !detector.running())
        receivedWhenDetectorExited = r.frames;
      return true;
    });
    QVERIFY(finished);
    const QJsonObject s = detector.summary();
    QCOMPARE(s["sent"].toInt(), kScanFrames);
    QCOMPARE(s["stopped"].toBool(true), false);
    QCOMPARE(r.frames, std::int64_t(kScanFrames));
    QVERIFY(r.eachOnce(0, kScanFrames));
    QCOMPARE(source.framesReceived(), std::int64_t(kScanFrames));
    QCOMPARE(source.losses().rejected, std::int64_t(0));
    QCOMPARE(source.describe().rows, 4);
    QCOMPARE(source.describe().columns, 64);
    QCOMPARE(source.describe().projections, 200);  // the detector says the scan's length
    QCOMPARE(source.describe().label, address(port).toStdString());
    // The detector was done (all frames handed over) long before the receiver was.
    QVERIFY2(receivedWhenDetectorExited >= 0 && receivedWhenDetectorExited < kScanFrames,
             qPrintable(QString::number(receivedWhenDetectorExited)));
    QVERIFY(source.takeWarnings().empty());
  }

  void malformedMessagesAreRejectedAndTheStreamGoesOn() {
    const int port = freePortPair();
    QVERIFY(port);
    NetworkDetectorSource source(address(port).toStdString());
    Detector detector;
    detector.start(kScan + QStringList{"--bind", address(port), "--malformed", "5"});
    QVERIFY(detector.started());

    Reception r;
    QVERIFY(receive(source, r, 30s, [](const Frame&) { return true; }));
    const QJsonObject s = detector.summary();
    QCOMPARE(s["sent"].toInt(), kScanFrames);
    QCOMPARE(s["malformed"].toInt(), 5);
    QVERIFY(r.eachOnce(0, kScanFrames));
    QCOMPARE(source.losses().rejected, std::int64_t(5));

    const std::vector<std::string> warnings = source.takeWarnings();
    QCOMPARE(countContaining(warnings, "rejected message #"), 5);
    for (const char* reason : {"header is not JSON", "pixel payload is", "unknown kind 'bright'",
                               "exceeds the limit of 2^28 pixels", "'angle_deg'"})
      QVERIFY2(countContaining(warnings, reason) == 1, reason);
    QVERIFY(source.takeWarnings().empty());  // taken means gone
  }

  // stop() must reach the detector: it stops acquiring early, says so, and every frame it did
  // send is delivered before the source reports the end.
  void stopReachesTheDetector() {
    const int port = freePortPair();
    QVERIFY(port);
    NetworkSourceOptions options;
    options.quietAfterStop = 10s;  // finishing sooner proves the end message ended the scan
    NetworkDetectorSource source(address(port).toStdString(), options);
    Detector detector;
    detector.start(kScan + QStringList{"--bind", address(port), "--rate", "100"});
    QVERIFY(detector.started());

    Reception r;
    QVERIFY(!receive(source, r, 20s, [](const Frame& f) { return f.number < 29; }));
    QCOMPARE(r.frames, std::int64_t(30));
    const auto stopAt = Clock::now();
    source.stop();
    QVERIFY(receive(source, r, 20s, [](const Frame&) { return true; }));
    QVERIFY(Clock::now() - stopAt < options.quietAfterStop);

    const QJsonObject s = detector.summary();
    QCOMPARE(s["stopped"].toBool(), true);
    QCOMPARE(s["reason"].toString(), QStringLiteral("stopped"));
    const int sent = s["sent"].toInt();
    QVERIFY2(sent >= 30 && sent < kScanFrames, qPrintable(QString::number(sent)));
    QCOMPARE(r.frames, std::int64_t(sent));
    QVERIFY(r.eachOnce(0, sent));
    const auto warnings = source.takeWarnings();
    QVERIFY2(warnings.empty(), warnings.empty() ? "" : warnings.front().c_str());
  }

  // The detector is shut down (SIGTERM) mid-scan and a new process resumes on the same address a
  // few frames back: the source survives, drops the resent frames and gets every frame once.
  void detectorRestartIsSurvived() {
    const int port = freePortPair();
    QVERIFY(port);
    NetworkDetectorSource source(address(port).toStdString());
    Detector first;
    first.start(kScan + QStringList{"--bind", address(port), "--rate", "100"});
    QVERIFY(first.started());

    Reception r;
    QVERIFY(!receive(source, r, 20s, [](const Frame& f) { return f.number < 39; }));
    first.terminate();
    const QJsonObject s1 = first.summary();
    QCOMPARE(s1["reason"].toString(), QStringLiteral("shutdown"));
    const int sent1 = s1["sent"].toInt();
    QVERIFY2(sent1 >= 40 && sent1 < kScanFrames, qPrintable(QString::number(sent1)));
    // Drain what the first detector sent; its shutdown does not end the scan.
    QVERIFY(!receive(source, r, 1s, [](const Frame&) { return true; }));
    QCOMPARE(r.frames, std::int64_t(sent1));

    const int resumeAt = sent1 - 10;
    Detector second;
    second.start(kScan +
                 QStringList{"--bind", address(port), "--first-frame", QString::number(resumeAt)});
    QVERIFY(second.started());
    QVERIFY(receive(source, r, 30s, [](const Frame&) { return true; }));
    const QJsonObject s2 = second.summary();
    QCOMPARE(s2["reason"].toString(), QStringLiteral("complete"));
    QCOMPARE(s2["sent"].toInt(), kScanFrames - resumeAt);
    QVERIFY(r.eachOnce(0, kScanFrames));
    QCOMPARE(source.losses().duplicates, std::int64_t(10));
    const auto warnings = source.takeWarnings();
    // 10 duplicates: a line at the 1st, 2nd, 4th and 8th
    QCOMPARE(countContaining(warnings, "dropped duplicate frame"), 4);
    QCOMPARE(countContaining(warnings, ": 8 duplicates so far"), 1);
    QCOMPARE(countContaining(warnings, "shut down after"), 1);
  }

  // A stray first frame of another shape does not decide the scan's shape: it is dropped (and
  // said so) once the next frame disagrees with it, and every later frame is taken.
  void strayFirstFrameDoesNotDecideTheShape() {
    const int port = freePortPair();
    QVERIFY(port);
    NetworkDetectorSource source(address(port).toStdString());
    std::vector<int> rows(30, 4);
    rows[0] = 2;
    ListedFrames frames(rows);
    DetectorServerOptions options;
    options.bind = address(port).toStdString();
    DetectorServer server(options);
    std::thread serving([&] { server.serve(frames, "stray"); });
    Reception r;
    const bool finished = receive(source, r, 20s, [](const Frame& f) { return f.rows == 4; });
    serving.join();
    QVERIFY(finished);
    QCOMPARE(r.frames, std::int64_t(29));
    QVERIFY(r.eachOnce(1, 29));
    QCOMPARE(source.describe().rows, 4);
    QCOMPARE(source.losses().rejected, std::int64_t(1));
    QCOMPARE(source.losses().missing, std::int64_t(1));  // frame 0 never delivered
    const auto warnings = source.takeWarnings();
    QCOMPARE(countContaining(warnings,
                             "frame 0 of scan 'stray' (2×64) dropped: the frame after it, 1 of "
                             "scan 'stray', is 4×64"),
             1);
    // A scan of one frame is delivered at its end.
    const int port2 = freePortPair();
    QVERIFY(port2);
    NetworkDetectorSource single(address(port2).toStdString());
    ListedFrames one({3});
    options.bind = address(port2).toStdString();
    DetectorServer server2(options);
    std::thread serving2([&] { server2.serve(one, "one"); });
    Reception r1;
    QVERIFY(receive(single, r1, 20s, [](const Frame&) { return true; }));
    serving2.join();
    QCOMPARE(r1.frames, std::int64_t(1));
    QCOMPARE(single.describe().rows, 3);
  }

  // Two receivers connected to one detector each get some of the frames (PUSH hands each frame to
  // one of them): each counts the frame numbers it never got, says so early without a line per
  // frame, and the one that gets the end message names both counts.
  void framesTakenByAnotherReceiverAreCountedMissing() {
    const int port = freePortPair();
    QVERIFY(port);
    NetworkDetectorSource a(address(port).toStdString()), b(address(port).toStdString());
    Detector detector;
    detector.start(kScan + QStringList{"--bind", address(port), "--rate", "400"});
    QVERIFY(detector.started());
    Reception ra, rb;
    const auto deadline = Clock::now() + 30s;
    while (!a.finished() && !b.finished() && Clock::now() < deadline)
      for (auto [source, r] : {std::pair{&a, &ra}, std::pair{&b, &rb}})
        if (auto frame = source->next(10ms)) ++r->times[frame->number], ++r->frames;
    QVERIFY(a.finished() || b.finished());
    QCOMPARE(detector.summary()["sent"].toInt(), kScanFrames);
    // drain what the other one still holds
    for (auto [source, r] : {std::pair{&a, &ra}, std::pair{&b, &rb}})
      while (auto frame = source->next(200ms)) ++r->times[frame->number], ++r->frames;
    QCOMPARE(ra.frames + rb.frames, std::int64_t(kScanFrames));
    for (auto [source, r] : {std::pair{&a, &ra}, std::pair{&b, &rb}}) {
      QVERIFY2(r->frames > 0, "both receivers connected before the detector sent");
      const std::int64_t highest = r->times.rbegin()->first;
      QCOMPARE(source->losses().missing, highest + 1 - r->frames);
      QVERIFY(source->losses().missing > 0);
      const auto warnings = source->takeWarnings();
      const int reports = countContaining(warnings, "missing so far");
      QVERIFY2(reports >= 1 && reports <= 9, qPrintable(QString::number(reports)));  // doubling
      QCOMPARE(
          countContaining(warnings, "another receiver connected to " + address(port).toStdString()),
          reports);
      if (source->finished())
        QCOMPARE(countContaining(warnings, "ended (complete) with 215 frames, " +
                                               std::to_string(r->frames) + " received"),
                 1);
    }
  }

  // A Data Exchange file served as stored: uint16 projections at the file's angles, in file order.
  void fileIsServedInItsStoredType() {
    QTemporaryDir dir;
    const QString scan = dir.filePath("scan.h5");
    QProcess simulate;
    simulate.start(QStringLiteral(TOMOLIVE_CLI_PATH),
                   {"simulate", "--size", "32", "--slices", "2", "--projections", "20", "--order",
                    "sequential", "--photons", "1e4", "-o", scan});
    QVERIFY(simulate.waitForFinished(30000) && simulate.exitCode() == 0);

    const int port = freePortPair();
    QVERIFY(port);
    NetworkDetectorSource source(address(port).toStdString());
    Detector detector;
    detector.start({"--file", scan, "--bind", address(port)});
    QVERIFY(detector.started());
    Reception r;
    std::vector<double> angles;
    QVERIFY(receive(source, r, 20s, [&](const Frame& f) {
      if (f.kind == FrameKind::Projection && f.type == PixelType::UInt16)
        angles.push_back(f.angleRad);
      return true;
    }));
    QCOMPARE(detector.summary()["sent"].toInt(), 35);  // 10 flats, 5 darks, 20 projections
    QVERIFY(r.eachOnce(0, 35));
    QCOMPARE(source.scanId(), std::string("scan"));
    // the file's rotation_center ((32 − 1) / 2, as simulate writes it) reaches the receiver
    QCOMPARE(source.describe().centre, std::optional(15.5));
    QCOMPARE(angles.size(), std::size_t(20));
    for (std::size_t k = 0; k < angles.size(); ++k)  // sequential: k · 180° / 20
      QVERIFY(std::abs(angles[k] - double(k) * std::numbers::pi / 20) < 1e-6);
  }

  // A detector that never answers: stop() returns at once, records why, and the source ends after
  // its quiet period instead of waiting forever.
  void stopWithoutDetectorEndsAfterQuietPeriod() {
    const int port = freePortPair();
    QVERIFY(port);
    NetworkSourceOptions options;
    options.controlTimeout = 100ms;
    options.controlAttempts = 2;
    options.quietAfterStop = 300ms;
    NetworkDetectorSource source(address(port).toStdString(), options);
    const auto start = Clock::now();
    source.stop();
    QVERIFY(Clock::now() - start < 50ms);
    Reception r;
    QVERIFY(receive(source, r, 5s, [](const Frame&) { return true; }));
    QVERIFY(Clock::now() - start >= 500ms);  // 2 × 100 ms unanswered + 300 ms quiet
    QCOMPARE(countContaining(source.takeWarnings(), "did not confirm stop"), 1);
  }

  // The whole session over the network: a detector bursting faster than reconstruction (I = 20)
  // — every frame it sent is in the record file, and every projection is reconstructed.
  void sessionRecordsEveryFrameSent() {
    QTemporaryDir dir;
    const int port = freePortPair();
    QVERIFY(port);
    StreamOptions o;
    o.window = 16;
    o.iterations = 20;
    o.maxWindow = 100000;
    o.recordPath = dir.filePath("net.h5").toStdString();
    StreamingSession session(std::make_unique<NetworkDetectorSource>(address(port).toStdString()),
                             o);
    session.start();
    Detector detector;
    detector.start(kScan + QStringList{"--bind", address(port)});
    QVERIFY(detector.started());
    const QJsonObject sent = detector.summary();
    QVERIFY(session.waitFor(std::chrono::seconds(60)));
    const SessionSummary s = session.summary();
    QCOMPARE(s.state, SessionState::Finished);
    QCOMPARE(s.framesReceived, std::int64_t(sent["sent"].toInt()));
    QCOMPARE(s.framesRecorded, s.framesReceived);
    QCOMPARE(s.projectionsConsumed, s.projectionsReceived);
    const RawScan rec = readDataExchange(o.recordPath);
    QCOMPARE(rec.projections + rec.flatCount() + rec.darkCount(), sent["sent"].toInt());
  }

  // Stop acquisition in the session reaches the detector process, which stops early.
  void sessionStopReachesTheDetector() {
    QTemporaryDir dir;
    const int port = freePortPair();
    QVERIFY(port);
    StreamOptions o;
    o.window = 8;
    o.recordPath = dir.filePath("stopped.h5").toStdString();
    StreamingSession session(std::make_unique<NetworkDetectorSource>(address(port).toStdString()),
                             o);
    session.start();
    Detector detector;
    detector.start(kScan + QStringList{"--bind", address(port), "--rate", "100"});
    QVERIFY(detector.started());
    QTRY_VERIFY_WITH_TIMEOUT(session.summary().projectionsReceived >= 20, 20000);
    session.stopAcquisition();
    const QJsonObject sent = detector.summary();
    QVERIFY(sent["stopped"].toBool());
    QVERIFY(sent["sent"].toInt() < 215);
    QVERIFY(session.waitFor(std::chrono::seconds(20)));
    const SessionSummary s = session.summary();
    QCOMPARE(s.framesReceived, std::int64_t(sent["sent"].toInt()));
    QCOMPARE(s.framesRecorded, s.framesReceived);
    QVERIFY(s.stoppedEarly);
  }

  // A detector killed mid-scan: the session says the detector is silent and, with an idle
  // timeout, ends by itself with every frame received recorded.
  void silentDetectorEndsTheSessionAfterTheIdleTimeout() {
    QTemporaryDir dir;
    const int port = freePortPair();
    QVERIFY(port);
    StreamOptions o;
    o.window = 8;
    o.idleTimeoutSeconds = 6.0;
    o.recordPath = dir.filePath("silent.h5").toStdString();
    StreamingSession session(std::make_unique<NetworkDetectorSource>(address(port).toStdString()),
                             o);
    std::mutex mutex;
    std::vector<std::string> log;
    std::vector<double> silences;
    session.onLog([&](const std::string& line) {
      std::lock_guard lock(mutex);
      log.push_back(line);
    });
    session.onSilence([&](double seconds) {
      std::lock_guard lock(mutex);
      silences.push_back(seconds);
    });
    session.start();
    Detector detector;
    detector.start(kScan + QStringList{"--bind", address(port), "--rate", "100"});
    QVERIFY(detector.started());
    QTRY_VERIFY_WITH_TIMEOUT(session.summary().projectionsReceived >= 20, 20000);
    detector.kill();
    QVERIFY(session.waitFor(std::chrono::seconds(30)));
    const SessionSummary s = session.summary();
    QVERIFY(s.endedIdle);
    QCOMPARE(s.framesRecorded, s.framesReceived);
    QCOMPARE(readDataExchange(o.recordPath, {0, 1}).projections, int(s.projectionsReceived));
    std::lock_guard lock(mutex);
    QVERIFY(!silences.empty() && silences.front() >= 5.0);
    QVERIFY(std::any_of(log.begin(), log.end(), [](const std::string& l) {
      return l.starts_with("detector silent for 5 s");
    }));
    const auto ended = std::find_if(log.begin(), log.end(), [](const std::string& l) {
      return l.find("idle timeout") != std::string::npos;
    });
    QVERIFY(ended != log.end());
    // Once the session is ending, silence is no news.
    QVERIFY(std::none_of(ended, log.end(),
                         [](const std::string& l) { return l.starts_with("detector silent"); }));
  }

  void badAddressesAreRefused() {
    for (const char* bad : {"udp://127.0.0.1:5555", "tcp://127.0.0.1:0", "tcp://127.0.0.1"})
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, NetworkDetectorSource{bad});
  }
};

QTEST_GUILESS_MAIN(TestNetwork)
#include "test_network.moc"
