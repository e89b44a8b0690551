// Auto-steering of W and I: its decisions keep a modelled machine up with a modelled detector
// at a target refresh, where a fixed W = 32, I = 1 falls behind.
#include <QTest>

#include <algorithm>
#include <cmath>

#include "pipeline/AutoSteering.h"

using namespace tomolive;

namespace {

// A detector delivering `rate` projections/s and a machine whose update over U projections at
// I iterations costs o + c·passes(I)·U; updates start once W projections are pending and take
// everything pending, as StreamingSession does.
struct Machine {
  LiveMethod method;
  double rate, secondsPerPass, fixedSeconds;
  int projections;  ///< the scan's length
};

struct Outcome {
  double worstLagInWindows = 0.0;  ///< max lag / W at the end of an update (after the first 3)
  double worstRefresh = 0.0;       ///< max refresh (after the first 3), seconds
  int updates = 0;
  int lastWindow = 0, lastIterations = 0;
};

// Runs the scan with auto-steering towards `target` (0: fixed W = 32, I = 1).
Outcome run(const Machine& m, double target) {
  std::optional<AutoSteering> steering;
  if (target > 0.0) steering.emplace(target);
  int window = 32, iterations = 1;
  long consumed = 0;
  double now = 0.0;
  Outcome out;
  const auto received = [&](double t) { return std::min<long>(m.projections, long(m.rate * t)); };
  while (consumed < m.projections) {
    const long next = std::min<long>(m.projections, consumed + window);
    const double complete = double(next) / m.rate;  // the window's last projection arrives
    const double start = std::max(now, complete);
    const long taken = received(start) - consumed;
    const long used = m.method == LiveMethod::window ? taken : consumed + taken;
    const double work = m.secondsPerPass * projectorPasses(m.method, iterations) * double(used);
    const double end = start + m.fixedSeconds + work;
    consumed += taken;
    ++out.updates;
    if (out.updates > 3) {
      out.worstLagInWindows =
          std::max(out.worstLagInWindows, double(received(end) - consumed) / window);
      out.worstRefresh = std::max(out.worstRefresh, end - complete);
    }
    now = end;
    out.lastWindow = window, out.lastIterations = iterations;
    if (steering) {
      const SteeringDecision d = steering->decide({.method = m.method,
                                                   .window = window,
                                                   .iterations = iterations,
                                                   .projectionsUsed = int(used),
                                                   .workSeconds = work,
                                                   .updateSeconds = m.fixedSeconds + work,
                                                   .projectionsPerSecond = m.rate});
      window = d.window, iterations = d.iterations;
    }
  }
  return out;
}

}  // namespace

class TestSteering : public QObject {
  Q_OBJECT

 private slots:
  void passesPerMethod() {
    QCOMPARE(projectorPasses(LiveMethod::filtered, 1), 3);
    QCOMPARE(projectorPasses(LiveMethod::cgls, 2), 6);
    QCOMPARE(projectorPasses(LiveMethod::sirt, 3), 6);
    QCOMPARE(projectorPasses(LiveMethod::window, 1), 2);
  }

  void refusesBadTargets() {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, AutoSteering(0.0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, AutoSteering(-1.0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, AutoSteering(1.0, 0));
  }

  // Costs per projection-pass as measured on the 2-core development machine (AVX2): about 5e-5 s
  // for a few slices of 256², 2e-4 s at 1024² (docs/performance.md); 20 ms fixed per update.
  void keepsUpAtTheTargetRefresh_data() {
    QTest::addColumn<int>("method");
    QTest::addColumn<double>("rate");
    QTest::addColumn<double>("secondsPerPass");
    QTest::addColumn<int>("projections");
    const int filtered = int(LiveMethod::filtered), window = int(LiveMethod::window);
    for (double rate : {50.0, 200.0, 1000.0, 2000.0}) {
      QTest::addRow("filtered 256², %.0f proj/s", rate) << filtered << rate << 5e-5 << 6000;
      QTest::addRow("window 1024², %.0f proj/s", rate) << window << rate << 2e-4 << 8000;
    }
  }

  void keepsUpAtTheTargetRefresh() {
    QFETCH(int, method);
    QFETCH(double, rate);
    QFETCH(double, secondsPerPass);
    QFETCH(int, projections);
    const Machine m{LiveMethod(method), rate, secondsPerPass, 0.02, projections};
    const double target = 1.0;
    const Outcome automatic = run(m, target), fixed = run(m, 0.0);
    qInfo(
        "%s: auto W %d I %d, lag ≤ %.2f W, refresh ≤ %.2f s; fixed W 32 I 1: lag ≤ %.2f W, "
        "refresh ≤ %.2f s",
        QTest::currentDataTag(), automatic.lastWindow, automatic.lastIterations,
        automatic.worstLagInWindows, automatic.worstRefresh, fixed.worstLagInWindows,
        fixed.worstRefresh);
    QVERIFY2(automatic.worstLagInWindows <= 2.0,
             qPrintable(QString::number(automatic.worstLagInWindows)));
    QVERIFY2(automatic.worstRefresh <= 1.5 * target,
             qPrintable(QString::number(automatic.worstRefresh)));
    if (rate >= 2000.0)  // where a fixed W = 32, I = 1 cannot keep up
      QVERIFY2(fixed.worstLagInWindows > 2.0, qPrintable(QString::number(fixed.worstLagInWindows)));
  }

  void saysWhyWhenTheDetectorOutrunsTheMachine() {
    AutoSteering steering(1.0);
    // One pass over one projection costs 1 ms; 2 passes per window projection at I = 1: at
    // 1000 proj/s a window method cannot keep up.
    const SteeringDecision d = steering.decide({.method = LiveMethod::window,
                                                .window = 32,
                                                .iterations = 1,
                                                .projectionsUsed = 32,
                                                .workSeconds = 0.064,
                                                .updateSeconds = 0.064,
                                                .projectionsPerSecond = 1000.0});
    QCOMPARE(d.iterations, 1);
    QVERIFY2(d.reason.find("falling behind") != std::string::npos, d.reason.c_str());
  }
};

QTEST_GUILESS_MAIN(TestSteering)
#include "test_steering.moc"
