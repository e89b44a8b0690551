// The row team over MPI: runs under mpirun (CTest starts it with 2 and with 3 ranks). Rank 0 runs
// the tests; the other ranks serve rows until it dismisses them. Every comparison is with the
// same work done by rank 0 alone, update for update.
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

#include "UpdateLog.h"
#include "cluster/MpiTeam.h"
#include "pipeline/LiveReconstruction.h"
#include "pipeline/RegionOfInterest.h"
#include "pipeline/RowShare.h"
#include "pipeline/StreamingSession.h"
#include "sim/ScanSimulator.h"
#include "sources/SimulatorSource.h"

using namespace tomolive;

namespace {

std::shared_ptr<MpiTeam> g_team;

ScanSpec glassScan(int size, int rows, int window, int rotations) {
  ScanSpec s;
  s.phantom = PhantomKind::Glass;
  s.size = size;
  s.slices = rows;
  s.acquisition = {AcquisitionOrder::Interlaced, window * rotations, window};
  s.photons = 1e4;
  s.seed = 11;
  return s;
}

// Largest |a − b| over the largest |a| (1 where a is zero).
double relativeDifference(std::span<const float> a, std::span<const float> b) {
  double most = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    most = std::max(most, double(std::abs(a[i] - b[i])));
    scale = std::max(scale, double(std::abs(a[i])));
  }
  return most / (scale > 0.0 ? scale : 1.0);
}

constexpr double kFloatTolerance = 2e-5;  // float rounding of sums taken in another order

}  // namespace

class TestMpi : public QObject {
  Q_OBJECT

 private slots:
  void teamHasSeveralRanks() {
    QVERIFY2(g_team->members() >= 2, "run under mpirun -np 2 or more");
    qInfo("%s", g_team->describe().c_str());
  }

  void updatesEqualOneProcess_data() {
    QTest::addColumn<QString>("method");
    QTest::addColumn<int>("slices");
    for (const char* m : {"filtered", "cgls", "sirt", "window"}) {
      QTest::addRow("%s, 11 slices", m) << m << 11;
      // 16 per rank: the blocks' stores are the whole volume's, gathered as they are
      QTest::addRow("%s, 16 slices per rank", m) << m << 16 * g_team->members();
    }
  }

  // Every method, 11 slices (an uneven split for 2 and 3 ranks) and 16 per rank, a centre change
  // and a restart on the way: each update's image, residual and slices asked for equal rank 0's
  // alone.
  void updatesEqualOneProcess() {
    QFETCH(QString, method);
    QFETCH(int, slices);
    const ScanSimulator sim(glassScan(48, slices, 16, 5));
    const int n = sim.projections(), columns = sim.columns();
    const std::vector<float> values = sim.lineIntegrals(0, n);
    ProjectionStack p(n, slices, columns);
    for (int k = 0; k < n; ++k)
      p.setProjection(k, std::span(values).subspan(std::size_t(k) * slices * columns,
                                                   std::size_t(slices) * columns));
    const std::vector<double>& angles = sim.geometry().anglesRad;
    const LiveOptions options{.method = parseLiveMethod(method.toStdString()),
                              .sirt = {.circularMask = true}};
    const double centre = 0.5 * (columns - 1);
    LiveReconstruction alone(columns, slices, columns, centre, options);
    LiveReconstruction shared(columns, slices, columns, centre, options, g_team);
    QVERIFY(shared.description().find("rows split over") != std::string::npos);
    VolumeStack kept;  // the read-back's volume, reused from update to update
    for (int first = 0, update = 1; first < n; first += 16, ++update) {
      ProjectionStack window(16, slices, columns);
      for (int k = 0; k < 16; ++k)
        std::copy_n(p.row(first + k, 0), p.projectionStride(), window.row(k, 0));
      const std::span<const double> a(angles.data() + first, 16);
      alone.receive(window, a);
      shared.receive(window, a);
      if (update == 3) {
        alone.setCentre(centre + 0.5);
        shared.setCentre(centre + 0.5);
      }
      if (update == 4) {
        alone.restart();
        shared.restart();
      }
      const LiveUpdate one = alone.update(2), team = shared.update(2);
      QCOMPARE(team.update, one.update);
      QCOMPARE(team.projections, one.projections);
      QCOMPARE(team.used, one.used);
      QCOMPARE(team.history.size(), one.history.size());
      QVERIFY(one.relativeResidual && team.relativeResidual);
      QVERIFY2(std::abs(*team.relativeResidual - *one.relativeResidual) <=
                   1e-4 * *one.relativeResidual,
               qPrintable(QString("update %1: residual %2 vs %3")
                              .arg(update)
                              .arg(*team.relativeResidual)
                              .arg(*one.relativeResidual)));
      const double d = relativeDifference(alone.estimate().raw(), shared.estimate().raw());
      QVERIFY2(d < kFloatTolerance, qPrintable(QString("update %1: %2").arg(update).arg(d)));
      // Read back into the volume of the update before: the same values, and where the blocks'
      // stores are gathered as they are, the same memory (no volume allocated per update).
      const float* before = kept.raw().data();
      shared.readEstimate(kept);
      QVERIFY(relativeDifference(alone.estimate().raw(), kept.raw()) < kFloatTolerance);
      if (update > 1 && slices == 16 * g_team->members()) QCOMPARE(kept.raw().data(), before);
      const std::vector<int> asked{10, 0, 5, 6};
      QVERIFY(relativeDifference(alone.slices(asked), shared.slices(asked)) < kFloatTolerance);
    }
    // The finishing pass after the scan's end, on every rank's rows (not for the window method).
    if (options.method == LiveMethod::window) {
      QVERIFY_THROWS_EXCEPTION(std::logic_error, shared.finish(5));
      QVERIFY_THROWS_EXCEPTION(std::logic_error, alone.finish(5));
      return;
    }
    const LiveUpdate one = alone.finish(10), team = shared.finish(10);
    QCOMPARE(team.used, one.used);
    QCOMPARE(team.history.size(), one.history.size());
    for (std::size_t i = 0; i < one.history.size(); ++i)
      QVERIFY(std::abs(team.history[i].residual - one.history[i].residual) <=
              1e-4 * one.history[i].residual);
    const double d = relativeDifference(alone.estimate().raw(), shared.estimate().raw());
    QVERIFY2(d < kFloatTolerance, qPrintable(QString("finishing pass: %1").arg(d)));
  }

  // A region of interest of a shared session is shared too (its own blocks; the whole selection
  // goes on receiving beside it on every rank), unless it has fewer rows than ranks; either way
  // each update equals rank 0's alone, and dropping the region goes back to the whole.
  void regionIsSharedLikeTheWhole() {
    const int slices = 11, size = 48;
    const ScanSimulator sim(glassScan(size, slices, 16, 4));
    const int n = sim.projections(), columns = sim.columns();
    const std::vector<float> values = sim.lineIntegrals(0, n);
    const std::vector<double>& angles = sim.geometry().anglesRad;
    const double centre = 0.5 * (columns - 1);
    const LiveOptions options{.method = LiveMethod::filtered};
    RegionalReconstruction alone(
        std::make_unique<LiveReconstruction>(columns, slices, columns, centre, options), 0,
        columns);
    RegionalReconstruction shared(
        std::make_unique<LiveReconstruction>(columns, slices, columns, centre, options, g_team), 0,
        columns);
    const Region wide{2, 9, 8, 40}, thin{5, 6, 8, 40};
    for (int first = 0, update = 1; first < n; first += 16, ++update) {
      ProjectionStack window(16, slices, columns);
      for (int k = 0; k < 16; ++k)
        window.setProjection(k, std::span(values).subspan(std::size_t(first + k) * slices * columns,
                                                          std::size_t(slices) * columns));
      const std::span<const double> a(angles.data() + first, 16);
      const std::optional<Region> region = update == 2   ? std::optional(wide)
                                           : update == 3 ? std::optional(thin)
                                                         : std::nullopt;
      if (update > 1) alone.setRegion(region), shared.setRegion(region);
      alone.receive(window, a);
      shared.receive(window, a);
      QCOMPARE(shared.active().rowShare() != nullptr, update != 3);  // thin: 1 row, rank 0 alone
      const LiveUpdate one = alone.active().update(2), team = shared.active().update(2);
      QCOMPARE(team.used, one.used);
      const double d =
          relativeDifference(alone.active().estimate().raw(), shared.active().estimate().raw());
      QVERIFY2(d < kFloatTolerance, qPrintable(QString("update %1: %2").arg(update).arg(d)));
    }
  }

  // More ranks than slices: refused before any rank is asked for anything.
  void moreRanksThanSlicesAreRefused() {
    try {
      LiveReconstruction tooFew(32, 1, 32, 15.5, {}, g_team);
      QFAIL("no error");
    } catch (const std::invalid_argument& e) {
      QVERIFY2(std::string(e.what()).find("members for 1 slice;") != std::string::npos, e.what());
    }
    LiveReconstruction afterwards(32, g_team->members(), 32, 15.5, {}, g_team);  // still in step
    QCOMPARE(afterwards.sliceCount(), g_team->members());
  }

  // A whole session (file-like lossless source, recorded, an enhancer-free default): the same
  // snapshots update for update as one process, every frame recorded once.
  void sessionEqualsOneProcessAndRecordsEveryFrame() {
    const ScanSpec scan = glassScan(64, 7, 16, 6);
    QTemporaryDir dir;
    std::map<int, std::shared_ptr<const Snapshot>> snapshots[2];
    SessionSummary summaries[2];
    for (int run = 0; run < 2; ++run) {
      StreamOptions o;
      o.window = 16;
      o.recordPath = dir.filePath(QString("record%1.h5").arg(run)).toStdString();
      if (run == 1) o.rowTeam = g_team;
      StreamingSession session(std::make_unique<SimulatorSource>(scan, 500.0, true), o);
      std::mutex mutex;
      session.onSnapshot([&](std::shared_ptr<const Snapshot> s) {
        std::lock_guard lock(mutex);
        snapshots[run][s->metrics.update] = s;
      });
      session.start();
      QVERIFY(session.waitFor(std::chrono::minutes(3)));
      summaries[run] = session.summary();
      QCOMPARE(summaries[run].state, SessionState::Finished);
    }
    QCOMPARE(summaries[1].updates, 6);
    QCOMPARE(summaries[1].framesReceived, summaries[0].framesReceived);
    QCOMPARE(summaries[1].framesRecorded, summaries[1].framesReceived);
    QCOMPARE(summaries[1].framesReceived, std::int64_t(16 * 6 + scan.flats + scan.darks));
    QCOMPARE(snapshots[1].size(), snapshots[0].size());
    for (const auto& [update, one] : snapshots[0]) {
      const Snapshot& team = *snapshots[1].at(update);
      QCOMPARE(team.metrics.projectionsUsed, one->metrics.projectionsUsed);
      QVERIFY(std::abs(team.metrics.centre - one->metrics.centre) < 1e-3);
      const double d = relativeDifference(one->volume->raw(), team.volume->raw());
      QVERIFY2(d < kFloatTolerance, qPrintable(QString("update %1: %2").arg(update).arg(d)));
      QVERIFY(team.metrics.ssim && std::abs(*team.metrics.ssim - *one->metrics.ssim) < 1e-4);
    }
  }

  // Steering and stop at a window boundary: W changed mid-scan reaches every rank (the next
  // update takes the new W), the stop reaches the source, and the record holds every frame.
  void steeringAndStopReachEveryRank() {
    const ScanSpec scan = glassScan(64, 6, 16, 100);  // 1600 projections: far more than needed
    QTemporaryDir dir;
    StreamOptions o;
    o.window = 16;
    o.rowTeam = g_team;
    o.recordPath = dir.filePath("record.h5").toStdString();
    StreamingSession session(std::make_unique<SimulatorSource>(scan, 400.0, false), o);
    UpdateLog log;
    log.attach(session);
    session.start();
    QTRY_VERIFY_WITH_TIMEOUT(session.summary().updates >= 2, 60000);
    session.setWindow(24);
    QTRY_VERIFY_WITH_TIMEOUT(session.summary().updates >= 5, 60000);
    session.stopAcquisition();
    QVERIFY(session.waitFor(std::chrono::minutes(2)));
    const SessionSummary s = session.summary();
    QCOMPARE(s.state, SessionState::Finished);
    QVERIFY(s.stoppedEarly);
    QVERIFY2(s.projectionsReceived < 1600, "the source did not stop");
    QCOMPARE(s.projectionsConsumed, s.projectionsReceived);
    QCOMPARE(s.framesRecorded, s.framesReceived);
    const std::vector<UpdateMetrics>& updates = log.updates;
    QVERIFY(std::any_of(updates.begin(), updates.end(),
                        [](const UpdateMetrics& m) { return m.window == 24; }));
  }
};

int main(int argc, char** argv) {
  g_team = MpiTeam::join();
  int rc = 0;
  if (g_team->member() != 0) {
    serveRows(*g_team);
  } else {
    TestMpi tests;
    rc = QTest::qExec(&tests, argc, argv);
    dismissRows(*g_team);
  }
  g_team.reset();  // MPI_Finalize
  return rc;
}

#include "test_mpi.moc"
