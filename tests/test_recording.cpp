// The recording stage under a disk slower than the source and a disk that fills, and the
// memory check before a session or a file reconstruction allocates (pipeline/RecordingStage.h,
// pipeline/MemoryBudget.h).
#include <QTemporaryDir>
#include <QTest>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <mutex>

#include "SessionLog.h"
#include "io/DataExchange.h"
#include "pipeline/FileReconstruction.h"
#include "pipeline/MemoryBudget.h"
#include "pipeline/StreamingSession.h"
#include "sim/ScanFile.h"
#include "sources/FileReplaySource.h"
#include "sources/SimulatorSource.h"

using namespace tomolive;

namespace {

ScanSpec glassScan(int size, int rows, int projections) {
  ScanSpec s;
  s.phantom = PhantomKind::Glass;
  s.size = size;
  s.slices = rows;
  s.acquisition = {AcquisitionOrder::Interlaced, projections, 16};
  s.seed = 7;
  return s;
}

std::int64_t int64Attribute(const RawScan& scan, const std::string& key) {
  const auto it = scan.attributes.find(key);
  if (it == scan.attributes.end()) return -1;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return *i;
  if (const auto* d = std::get_if<double>(&it->second)) return std::int64_t(*d);
  return -1;
}

// A detector of 16 rows × 60000 columns: a 60000² grid that no machine's memory holds.
class HugeDetector final : public FrameSource {
 public:
  ScanDescription describe() const override {
    return {16, 60000, 100, std::nullopt, "huge", std::nullopt};
  }
  std::optional<Frame> next(std::chrono::milliseconds) override {
    ++calls;
    return std::nullopt;
  }
  bool finished() const override { return true; }
  void stop() override {}
  int calls = 0;
};

// Lowers the file-size limit of this process for its lifetime (SIGXFSZ ignored, so a write past
// it fails with EFBIG instead of killing the test).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &m_saved);
    m_previous = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lower = m_saved;
    lower.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lower);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &m_saved);
    std::signal(SIGXFSZ, m_previous);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit m_saved{};
  void (*m_previous)(int) = SIG_DFL;
};

}  // namespace

class TestRecording : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;
  std::string path(const char* name) const { return m_dir.filePath(name).toStdString(); }

 private slots:
  // A detector faster than the disk (each frame written 10 ms late): the queue never holds more
  // than its bound, the overflow is counted, logged, in the metrics and on the record, and
  // dropped = received − recorded exactly.
  void slowDiskDropsTheDetectorsOverflowAndSaysSo() {
    StreamOptions o;
    o.window = 16;
    o.recordPath = path("slow.h5");
    const std::size_t frameBytes = 4 * 64 * sizeof(float);  // a frame in memory
    o.recordBufferBytes = 32 * frameBytes;
    o.recordDelayPerFrame = std::chrono::milliseconds(10);
    StreamingSession session(std::make_unique<SimulatorSource>(glassScan(64, 4, 320), 0.0), o);
    SessionLog log;
    log.attach(session);
    std::mutex mutex;
    UpdateMetrics last;
    session.onSnapshot([&](std::shared_ptr<const Snapshot> s) {
      std::lock_guard lock(mutex);
      last = s->metrics;
    });
    session.start();
    QVERIFY(session.waitFor(std::chrono::seconds(120)));
    const SessionSummary s = session.summary();
    QCOMPARE(s.state, SessionState::Finished);
    QCOMPARE(s.framesReceived, std::int64_t(320 + 15));
    QCOMPARE(s.projectionsConsumed, std::int64_t(320));  // reconstruction lost nothing
    QVERIFY2(s.record.dropped > 0, "the detector was faster than the disk, yet nothing dropped");
    QCOMPARE(s.record.dropped, s.framesReceived - s.framesRecorded);
    QVERIFY2(s.record.peakQueuedBytes <= o.recordBufferBytes,
             qPrintable(QString("%1 bytes queued, bound %2")
                            .arg(s.record.peakQueuedBytes)
                            .arg(o.recordBufferBytes)));
    QVERIFY(s.record.peakQueuedBytes >= o.recordBufferBytes - frameBytes);  // it did fill
    QVERIFY(log.has("record buffer"));
    {
      std::lock_guard lock(mutex);
      QCOMPARE(last.recordDropped, s.record.dropped);
    }
    const RawScan rec = readDataExchange(o.recordPath);
    QCOMPARE(std::int64_t(rec.projections + rec.flatCount() + rec.darkCount()), s.framesRecorded);
    QCOMPARE(int64Attribute(rec, "frames_dropped"), s.record.dropped);
    QCOMPARE(int64Attribute(rec, "frames_received"), s.framesReceived);
    qInfo("slow disk: %lld of %lld frames dropped, peak queue %zu of %zu bytes",
          static_cast<long long>(s.record.dropped), static_cast<long long>(s.framesReceived),
          s.record.peakQueuedBytes, o.recordBufferBytes);
  }

  // A file replay can wait: with the same slow disk and bound it waits for room and loses
  // nothing.
  void slowDiskMakesAReplayWaitLosingNothing() {
    const std::string scan = path("replayed.h5");
    writeSimulatedScan(glassScan(64, 4, 160), scan);
    StreamOptions o;
    o.window = 16;
    o.recordPath = path("replay-record.h5");
    const std::size_t frameBytes = 4 * 64 * sizeof(float);
    o.recordBufferBytes = 8 * frameBytes;
    o.recordDelayPerFrame = std::chrono::milliseconds(10);
    StreamingSession session(std::make_unique<FileReplaySource>(scan, 0.0), o);
    session.start();
    QVERIFY(session.waitFor(std::chrono::seconds(120)));
    const SessionSummary s = session.summary();
    QCOMPARE(s.state, SessionState::Finished);
    QCOMPARE(s.record.dropped, std::int64_t(0));
    QCOMPARE(s.framesRecorded, s.framesReceived);
    QCOMPARE(s.framesReceived, std::int64_t(160 + 15));
    QVERIFY(s.record.peakQueuedBytes <= o.recordBufferBytes);
    const RawScan rec = readDataExchange(o.recordPath);
    QCOMPARE(rec.projections, 160);
    QCOMPARE(int64Attribute(rec, "frames_dropped"), std::int64_t(0));
  }

  // The file may grow by 600 KiB (RLIMIT_FSIZE, as `ulimit -f` sets it): recording stops with
  // 128 KiB to spare, the record is finalised and readable with every frame it took,
  // reconstruction sees the whole scan, and the session does not fail.
  void fileSizeLimitStopsRecordingCleanly() {
    StreamOptions o;
    o.window = 32;
    o.recordPath = path("limited.h5");
    o.recordReserveBytes = 128 << 10;
    SessionSummary s;
    {
      const FileSizeLimit limit(600 << 10);
      // 64 × 16 uint16 = 2 KiB a frame: 400 projections need 800 KiB.
      StreamingSession session(std::make_unique<SimulatorSource>(glassScan(64, 16, 400), 0.0), o);
      SessionLog log;
      log.attach(session);
      session.start();
      QVERIFY(session.waitFor(std::chrono::seconds(120)));
      s = session.summary();
      QVERIFY(log.has("RECORDING STOPPED: " + o.recordPath));
      QVERIFY(log.has("will not fit"));
    }
    QCOMPARE(s.state, SessionState::Finished);
    QCOMPARE(s.projectionsConsumed, std::int64_t(400));
    QVERIFY2(s.record.stopped.find("file-size limit") != std::string::npos,
             s.record.stopped.c_str());
    QVERIFY(!s.record.warning.empty());
    QVERIFY(s.framesRecorded > 100 && s.framesRecorded < 300);
    QCOMPARE(s.framesRecorded + s.record.notRecorded + s.record.dropped, s.framesReceived);
    QVERIFY(std::filesystem::file_size(o.recordPath) <= 600u << 10);
    const RawScan rec = readDataExchange(o.recordPath);
    QCOMPARE(std::int64_t(rec.projections + rec.flatCount() + rec.darkCount()), s.framesRecorded);
    QVERIFY(rec.attributes.count("record_stopped"));
    qInfo("file-size limit 600 KiB: %lld frames recorded, %lld not, file %llu bytes",
          static_cast<long long>(s.framesRecorded), static_cast<long long>(s.record.notRecorded),
          static_cast<unsigned long long>(std::filesystem::file_size(o.recordPath)));
  }

  // A 60000² grid: refused before anything is allocated or created, with the numbers.
  void sessionTooLargeIsRefusedUpFront() {
    StreamOptions o;
    o.recordPath = path("never.h5");
    auto source = std::make_unique<HugeDetector>();
    const HugeDetector* detector = source.get();
    StreamingSession session(std::move(source), o);
    try {
      session.start();
      QFAIL("a session on a 60000² grid was started");
    } catch (const InsufficientMemory& e) {
      const QString what = e.what();
      QVERIFY2(what.contains("60000² × 16 slices") && what.contains("GiB available") &&
                   what.contains("--slices"),
               e.what());
    }
    QCOMPARE(detector->calls, 0);
    QVERIFY(!std::filesystem::exists(o.recordPath));
    QCOMPARE(session.state(), SessionState::Idle);
  }

  void fileReconstructionTooLargeIsRefusedUpFront() {
    const std::string file = path("wide.h5");
    ScanToWrite scan;
    scan.projections = 4, scan.rows = 2, scan.columns = 60000;
    scan.dataU16.assign(std::size_t(4) * 2 * 60000, 1000);
    scan.flats.assign(std::size_t(2) * 60000, 2000.0f);
    scan.thetaDeg = {0.0, 45.0, 90.0, 135.0};
    writeDataExchange(file, scan);
    try {
      reconstructFile(file, {});
      QFAIL("a 60000² reconstruction was attempted");
    } catch (const InsufficientMemory& e) {
      const QString what = e.what();
      QVERIFY2(what.contains(QString::fromStdString(file)) && what.contains("60000² grid") &&
                   what.contains("--binning"),
               e.what());
    }
  }
};

QTEST_GUILESS_MAIN(TestRecording)
#include "test_recording.moc"
