// Live quality without a ground truth: the Fourier ring correlation and its half-bit resolution,
// the stop advice checked where the truth is known (simulated scans: it fires within 2 updates
// of where SSIM against the ground truth comes within 0.01 of its final value) and on the real
// scans (it does not fire before the image has stopped changing), and --stop-when-stable.
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numbers>
#include <numeric>
#include <random>

#include "CliRun.h"
#include "RealData.h"
#include "UpdateLog.h"
#include "bench/AdviceEvaluation.h"
#include "bench/QualityReplay.h"
#include "io/DataExchange.h"
#include "metrics/FourierRingCorrelation.h"
#include "metrics/ImageMetrics.h"
#include "pipeline/LiveQuality.h"
#include "pipeline/PipelineJson.h"
#include "pipeline/StreamingSession.h"
#include "preprocess/CentreFinder.h"
#include "preprocess/ScanPreparation.h"
#include "sim/Acquisition.h"
#include "sim/ScanFile.h"
#include "sources/FileReplaySource.h"

using namespace tomolive;

namespace {

std::vector<float> whiteNoise(std::size_t count, unsigned seed) {
  std::mt19937 random(seed);
  std::normal_distribution<float> normal;
  std::vector<float> out(count);
  for (float& v : out) v = normal(random);
  return out;
}

// A random image whose spectrum is confined to rings |k| ≤ band (random phases and amplitudes).
std::vector<float> bandLimited(int n, int band, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> phase(0.0, 2.0 * std::numbers::pi), amplitude(0.5, 1.0);
  std::vector<double> image(std::size_t(n) * n, 0.0);
  for (int ky = 0; ky <= band; ++ky)
    for (int kx = -band; kx <= band; ++kx) {
      if ((ky == 0 && kx <= 0) || std::hypot(kx, ky) > band - 0.5) continue;
      const double a = amplitude(random), f = phase(random);
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
          image[std::size_t(y) * n + x] +=
              a * std::cos(2.0 * std::numbers::pi * (kx * x + ky * y) / n + f);
    }
  return {image.begin(), image.end()};
}

void report(const char* label, const std::vector<ReplayStep>& steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const QualityAssessment& q = steps[i].quality;
    qInfo(
        "%s R %2zu  ref SSIM %.4f  still %.4f  resolution %6.2f px  change %.4f  1-SSIM %.4f  "
        "made good %.2f  halves %.4f  gains %.4f %.4f  residual %.4f  %s  %.3f s",
        label, i + 1, steps[i].reference, steps[i].stillReference, q.resolutionPixels.value_or(0.0),
        q.change.value_or(0.0), q.structuralChange.value_or(0.0), q.changeMadeGood.value_or(0.0),
        q.halvesChange.value_or(0.0),
        q.advice && q.advice->expectedGain ? *q.advice->expectedGain : 0.0,
        q.advice && q.advice->halvesGain ? *q.advice->halvesGain : 0.0, q.residual.value_or(0.0),
        q.advice ? q.advice->word() : "-", q.seconds);
  }
}

// The scan spec of a simulated phantom (size² × slices), as these tests write it.
ScanSpec scanOf(PhantomKind phantom, int size, int slices, AcquisitionPlan acquisition,
                double photons, std::uint64_t seed) {
  ScanSpec spec;
  spec.phantom = phantom;
  spec.size = size;
  spec.slices = slices;
  spec.acquisition = acquisition;
  spec.photons = photons;
  spec.seed = seed;
  return spec;
}

// The reading of update 5 of a scan of 1000 projections (kUpdate5Of1000): 200 received, 20 of
// them new since the image compared with, so the 1/n model reads a change c as the gain
// c · 9 · 0.8 and the halves' change d as d · 0.8.
QualityReading update5(std::optional<double> resolution, std::optional<double> change,
                       std::optional<double> halves = {}, std::optional<double> madeGood = {}) {
  return {.update = 5,
          .resolutionPixels = resolution,
          .structuralChange = change,
          .received = 200,
          .receivedBefore = 180,
          .coverage = {},
          .halvesChange = halves,
          .whyNoChange = {},
          .changeMadeGood = madeGood};
}
constexpr ScanProgress kUpdate5Of1000{.received = 200, .scanProjections = 1000};

// A scan whose advice says stop before its end (384 projections, W = 24): for --stop-when-stable.
ScanSpec stoppingScan() {
  return scanOf(PhantomKind::SheppLogan, 128, 4, {AcquisitionOrder::Interlaced, 384, 24}, 1e4, 31);
}

}  // namespace

class TestAdvice : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

  // `spec` simulated and written to the test's folder as `name`; its path.
  std::string written(const ScanSpec& spec, const QString& name) const {
    const std::string path = m_dir.filePath(name).toStdString();
    writeSimulatedScan(spec, path);
    return path;
  }

 private slots:
  void initTestCase() { QVERIFY(m_dir.isValid()); }

  void halfBitThresholdFollowsVanHeelAndSchatz() {
    // T(N) = (0.2071 + 1.9102/√N) / (1.2071 + 0.9102/√N): 1 for a single pixel, → 0.1716.
    QVERIFY(std::abs(halfBitThreshold(1.0) - 1.0) < 1e-3);
    QVERIFY(std::abs(halfBitThreshold(100.0) - (0.2071 + 0.19102) / (1.2071 + 0.09102)) < 1e-12);
    QVERIFY(std::abs(halfBitThreshold(1e12) - 0.2071 / 1.2071) < 1e-5);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, halfBitThreshold(0.0));
  }

  // Any grid size: 96 = 4³·… and sizes whose factors are primes above 3 (17, 25, 1260 = 4·9·35 —
  // the width of the real scan in docs/quality.md; these once looped forever factorising).
  void frcOfIdenticalImagesIsOne_data() {
    QTest::addColumn<int>("n");
    for (int n : {96, 17, 25, 121, 1260}) QTest::addRow("%d²", n) << n;
  }

  void frcOfIdenticalImagesIsOne() {
    QFETCH(int, n);
    const std::vector<float> image = whiteNoise(std::size_t(n) * n * 2, 1);
    const FrcCurve c = fourierRingCorrelation(image, image, n, 2);
    QCOMPARE(int(c.correlation.size()), n / 2 + 1);
    for (std::size_t r = 0; r < c.correlation.size(); ++r)
      QVERIFY2(std::abs(c.correlation[r] - 1.0) < 1e-9, qPrintable(QString::number(r)));
    QCOMPARE(frcResolutionPixels(c), 2.0);  // the Nyquist limit
  }

  void frcOfIndependentNoiseIsNearZero() {
    const int n = 128;
    const std::vector<float> a = whiteNoise(std::size_t(n) * n, 2), b = whiteNoise(a.size(), 3);
    const FrcCurve c = fourierRingCorrelation(a, b, n);
    // Each ring's FRC of independent noise has a standard deviation of about 1/√(N/2) (N/2
    // independent complex pixels: the other half are their conjugates).
    double sum = 0.0;
    for (std::size_t r = 4; r < c.correlation.size(); ++r) {
      QVERIFY2(std::abs(c.correlation[r]) < 4.0 / std::sqrt(0.5 * double(c.pixels[r])),
               qPrintable(QStringLiteral("ring %1: %2").arg(r).arg(c.correlation[r])));
      sum += c.correlation[r];
    }
    QVERIFY(std::abs(sum / double(c.correlation.size() - 4)) < 0.02);
    QVERIFY2(frcResolutionPixels(c) > n / 4.0, qPrintable(QString::number(frcResolutionPixels(c))));
  }

  void frcResolutionOfABandLimitedPair_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("band");
    QTest::newRow("128², band 16 (8 px)") << 128 << 16;
    QTest::newRow("160², band 40 (4 px)") << 160 << 40;
    QTest::newRow("90², band 9 (10 px)") << 90 << 9;  // sizes of any factors
    QTest::newRow("100², band 10 (10 px)") << 100 << 10;
    QTest::newRow("101², band 10 (10.1 px)") << 101 << 10;  // a prime
  }

  void frcResolutionOfABandLimitedPair() {
    QFETCH(int, n);
    QFETCH(int, band);
    // One band-limited signal, plus independent white noise at a tenth of its amplitude per
    // pixel: correlated up to ring `band`, noise beyond.
    const std::vector<float> signal = bandLimited(n, band, 4);
    double power = 0.0;
    for (float v : signal) power += double(v) * v;
    const float sigma = float(0.1 * std::sqrt(power / double(signal.size())));
    std::vector<float> a = whiteNoise(signal.size(), 5), b = whiteNoise(signal.size(), 6);
    for (std::size_t i = 0; i < signal.size(); ++i) {
      a[i] = signal[i] + sigma * a[i];
      b[i] = signal[i] + sigma * b[i];
    }
    // The signal fills the periodic grid: no field-of-view taper (it would leak the band's
    // correlation a few rings outwards and bias the resolution finer: measured below).
    const double resolution =
        frcResolutionPixels(fourierRingCorrelation(a, b, n, 1, FrcWindow::none));
    const double tapered = frcResolutionPixels(fourierRingCorrelation(a, b, n));
    const double expected = double(n) / band;
    qInfo("n %d, band %d: resolution %.2f px, with the field-of-view taper %.2f px (expected %.2f)",
          n, band, resolution, tapered, expected);
    QVERIFY(tapered <= resolution);
    QVERIFY2(std::abs(resolution - expected) < 0.1 * expected,
             qPrintable(QString::number(resolution)));
  }

  void frcRefusesBadInput() {
    std::vector<float> a(64), b(64);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fourierRingCorrelation(a, b, 8, 2));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fourierRingCorrelation(a, b, 4, 4));
    a[3] = std::nanf("");
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fourierRingCorrelation(a, b, 8));
  }

  void adviceSaysWhyAndWhatStoppingSaves() {
    StopAdvisor advisor;
    // 120 projections per update of a 1680-projection scan; the expected gain
    // c · (m/Δn) · (1 − n/P) falls to the 0.015 limit at update 9 (2.86 · 0.004).
    const double resolution[] = {9.0, 6.0, 4.5, 3.6, 2.8, 2.6, 2.6, 2.6, 2.6};
    const double change[] = {0.0, 0.2, 0.1, 0.05, 0.03, 0.015, 0.012, 0.008, 0.004};
    std::vector<StopAdvice> advice;
    for (int r = 1; r <= 9; ++r)
      advice.push_back(advisor.advise(
          {.update = r,
           .resolutionPixels = resolution[r - 1],
           .structuralChange = r > 1 ? std::optional<double>(change[r - 1]) : std::nullopt,
           .received = 120 * r,
           .receivedBefore = 120 * (r - 1),
           .coverage = {},
           .halvesChange = {},
           .whyNoChange = {},
           .changeMadeGood = {}},
          {.received = 120 * r, .scanProjections = 1680, .projectionsPerSecond = 100.0}));
    for (int r = 1; r <= 8; ++r) QVERIFY2(!advice[r - 1].stop, advice[r - 1].reason.c_str());
    QCOMPARE(advice[0].reason, std::string("image change not measured yet, resolution 9.0 px"));
    QVERIFY(!advice[0].expectedGain);
    QCOMPARE(advice[1].reason,
             std::string("image still improving: expected gain to the end of the scan 0.171 SSIM "
                         "(limit 0.015), resolution 6.0 px"));
    QCOMPARE(advice[7].reason,
             std::string("image still improving: expected gain to the end of the scan 0.024 SSIM "
                         "(limit 0.015), resolution 2.6 px"));
    QVERIFY(advice[8].stop);
    QCOMPARE(advice[8].reason,
             std::string("image settled at update 9: expected gain to the end of the scan 0.011 "
                         "SSIM (limit 0.015), resolution 2.6 px — stopping now saves 600 "
                         "projections, 36 % of the scan, about 6 s of beam"));
    QVERIFY(std::abs(*advice[8].expectedGain - 0.004 * 8.0 * (1.0 - 1080.0 / 1680.0)) < 1e-12);
    // A finishing pass (no new projections) repeats the last advice, whatever it measured.
    const StopAdvice finishing = advisor.advise({.update = 10,
                                                 .resolutionPixels = 2.6,
                                                 .structuralChange = 0.3,
                                                 .received = 1080,
                                                 .receivedBefore = 1080,
                                                 .coverage = {},
                                                 .halvesChange = {},
                                                 .whyNoChange = {},
                                                 .changeMadeGood = {}},
                                                {.received = 1080, .scanProjections = 1680});
    QVERIFY(finishing.stop);
    QCOMPARE(finishing.reason, advice[8].reason);
    // The next update still settled: the reason says since when.
    const StopAdvice next =
        advisor.advise({.update = 11,
                        .resolutionPixels = 2.6,
                        .structuralChange = 0.003,
                        .received = 1200,
                        .receivedBefore = 1080,
                        .coverage = {},
                        .halvesChange = {},
                        .whyNoChange = {},
                        .changeMadeGood = {}},
                       {.received = 1200, .scanProjections = 1680, .projectionsPerSecond = 100.0});
    QVERIFY(next.stop);
    QCOMPARE(next.reason,
             std::string("image settled since update 9: expected gain to the end of the scan "
                         "0.008 SSIM (limit 0.015), resolution 2.6 px — stopping now saves 480 "
                         "projections, 29 % of the scan, about 5 s of beam"));
    // A "continue" between ends the run: the next "stop" is settled at its own update.
    const auto after = [&advisor](int update, std::int64_t received, double change) {
      return advisor.advise({.update = update,
                             .resolutionPixels = 2.6,
                             .structuralChange = change,
                             .received = received,
                             .receivedBefore = received - 120,
                             .coverage = {},
                             .halvesChange = {},
                             .whyNoChange = {},
                             .changeMadeGood = {}},
                            {.received = received, .scanProjections = 1680});
    };
    QVERIFY(!after(12, 1320, 0.05).stop);
    const StopAdvice again = after(13, 1440, 0.001);
    QVERIFY(again.stop);
    QVERIFY2(again.reason.starts_with("image settled at update 13: "), again.reason.c_str());
    StopAdvisor quick({.minimumUpdates = 1});
    QCOMPARE(quick
                 .advise({.update = 1,
                          .resolutionPixels = 2.0,
                          .structuralChange = 0.003,
                          .received = 100,
                          .receivedBefore = 50,
                          .coverage = {},
                          .halvesChange = {},
                          .whyNoChange = {},
                          .changeMadeGood = {}},
                         {.received = 100, .scanProjections = 150, .projectionsPerSecond = 100.0})
                 .reason,
             std::string("image settled at update 1: expected gain to the end of the scan 0.001 "
                         "SSIM (limit 0.015), resolution 2.0 px — stopping now saves 50 "
                         "projections, 33 % of the scan, less than 1 s of beam"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, StopAdvisor({.expectedGainLimit = -0.1}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, StopAdvisor({.minimumUpdates = 0}));
  }

  // Changes that cancel: at the grid's resolution limit (2 px) the change fitted is c · min(1, ρ),
  // ρ the share of its recent path the image made good; at a coarser resolution, or with ρ ≥ 1,
  // the change counts whole.
  void changeMadeGoodCountsAtTheGridLimitOnly() {
    const auto gain = [](double resolution, std::optional<double> madeGood) {
      return *StopAdvisor()
                  .advise(update5(resolution, 0.004, {}, madeGood), kUpdate5Of1000)
                  .expectedGain;
    };
    const double whole = gain(2.0, std::nullopt);
    QVERIFY(std::abs(whole - 0.004 * 9.0 * 0.8) < 1e-12);
    QVERIFY(std::abs(gain(2.0, 0.25) - 0.25 * whole) < 1e-12);
    QCOMPARE(gain(2.0, 1.6), whole);
    QCOMPARE(gain(3.0, 0.25), whole);
    QCOMPARE(gain(2.0, std::numeric_limits<double>::quiet_NaN()), whole);
  }

  // Where the halves are sure near the grid's limit (resolution ≤ 2.5 px, halves' gain ≤ 0.005),
  // the expected gain may be up to 0.03; elsewhere the limit stays 0.015, and the reason names
  // the limit in force.
  void halvesSureLoosenTheLimitNearTheGridLimit() {
    const auto advise = [](double resolution, double change, std::optional<double> halves,
                           StopRule rule = {}) {
      return StopAdvisor(rule).advise(update5(resolution, change, halves), kUpdate5Of1000);
    };
    // g = c · 9 · 0.8 and g_h = d · 0.8: g = 0.025, g_h = 0.004.
    const double c = 0.025 / 7.2, d = 0.005;
    const StopAdvice sure = advise(2.3, c, d);
    QVERIFY(sure.stop);
    QCOMPARE(sure.reason,
             std::string("image settled at update 5: expected gain to the end of the scan 0.025 "
                         "SSIM (limit 0.030 where the halves' gain is at most 0.005 at 2.5 px or "
                         "finer), by the halves 0.004 (limit 0.010), resolution 2.3 px — stopping "
                         "now saves 800 projections, 80 % of the scan"));
    QVERIFY(advise(2.5, c, d).stop);  // the bound is inclusive
    const StopAdvice coarse = advise(2.7, c, d);
    QVERIFY(!coarse.stop);
    QCOMPARE(coarse.reason, std::string("image still improving: expected gain to the end of the "
                                        "scan 0.025 SSIM (limit 0.015), by the halves 0.004 "
                                        "(limit 0.010), resolution 2.7 px"));
    QVERIFY(!advise(2.3, c, 0.0075).stop);        // g_h = 0.006: the halves not sure enough
    QVERIFY(!advise(2.3, 1.5 * c, d).stop);       // g = 0.0375: above even the looser limit
    QVERIFY(!advise(2.3, c, std::nullopt).stop);  // no halves: nothing to be sure by
    QVERIFY(!advise(2.3, c, std::nan("")).stop);  // nor halves that are not a number
    // A "looser" limit below the plain one changes nothing: the plain limit stands.
    const StopAdvice plain = advise(2.3, 0.012 / 7.2, d, {.sureExpectedGainLimit = 0.01});
    QVERIFY(plain.stop);
    QVERIFY(plain.reason.find("0.012 SSIM (limit 0.015), by the halves") != std::string::npos);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, StopAdvisor({.sureHalvesGainLimit = -0.001}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             StopAdvisor({.sureExpectedGainLimit = std::nan("")}));
  }

  // The expected gain c · (m/Δn) · (1 − n/P) of an image of n projections changed by c since
  // the image of m = n − Δn, or with an unknown length as many projections
  // again (P = 2n); the limit is inclusive; none before the minimum update; nothing to advise
  // when less than one more update's projections are left.
  void expectedGainAndItsLimit() {
    const QualityReading r = update5(std::nullopt, 0.01);
    QVERIFY(std::abs(*expectedGain(r, 1000) - 0.01 * 9.0 * 0.8) < 1e-12);
    QVERIFY(std::abs(*expectedGain(r, 0) - 0.01 * 9.0 * 0.5) < 1e-12);
    QCOMPARE(*expectedGain(r, 200), 0.0);
    QualityReading unmeasured = r, nothingNew = r, fromNothing = r;
    unmeasured.structuralChange.reset();
    nothingNew.receivedBefore = nothingNew.received;
    fromNothing.receivedBefore = 0;  // compared with an image of no projections: no model
    QVERIFY(!expectedGain(unmeasured, 1000));
    QVERIFY(!expectedGain(nothingNew, 1000));
    QVERIFY(!expectedGain(fromNothing, 1000));
    const double gain = *expectedGain(r, 1000);
    QVERIFY(StopAdvisor({.expectedGainLimit = gain})
                .advise(r, {.received = 200, .scanProjections = 1000})
                .stop);
    const StopAdvice above = StopAdvisor({.expectedGainLimit = gain * (1.0 - 1e-9)})
                                 .advise(r, {.received = 200, .scanProjections = 1000});
    QVERIFY(!above.stop);
    QCOMPARE(above.reason, std::string("image still improving: expected gain to the end of the "
                                       "scan 0.072 SSIM (limit 0.072)"));
    QCOMPARE(StopAdvisor({.expectedGainLimit = 1.0}).advise(r, {.received = 200}).reason,
             std::string("image settled at update 5: expected gain from as many projections "
                         "again 0.045 SSIM (limit 1.000)"));
    QualityReading early = r;
    early.update = 2;
    QCOMPARE(StopAdvisor({.expectedGainLimit = 1.0})
                 .advise(early, {.received = 200, .scanProjections = 1000})
                 .reason,
             std::string("image settling, too early to judge (update 2 of at least 4)"));
    const StopAdvice ending = StopAdvisor({.expectedGainLimit = 1.0})
                                  .advise(r, {.received = 210, .scanProjections = 220});
    QCOMPARE(ending.reason,
             std::string("the scan ends with the next update (10 projections left)"));
    QVERIFY(!ending.scanComplete);
    const StopAdvice all = StopAdvisor({.expectedGainLimit = 1.0})
                               .advise(r, {.received = 200, .scanProjections = 200});
    QVERIFY(!all.stop && all.scanComplete);
    QCOMPARE(all.reason, std::string("all 200 projections of the scan received"));
    const StopAdvice stopped =
        StopAdvisor({.expectedGainLimit = 1.0})
            .advise(r, {.received = 200, .scanProjections = 200, .stopped = true});
    QVERIFY(!stopped.stop && stopped.scanComplete);
    QCOMPARE(stopped.reason,
             std::string("acquisition stopped after 200 projections, all in the image"));
  }

  // Below the grid's angular sampling (π/2 · N projections) the gain comes from a·(1/n − 1/P) +
  // b·(1/n² − 1/P²) fitted to the last changes: changes made exactly by such an approach give its
  // a and b back; changes of noise alone (b = 0) give the 1/n model's gain; past the grid's
  // sampling, with fewer than 3 changes, or with a change of zero, the 1/n model on the newest.
  void expectedGainFitsStreaksAndNoise() {
    const double a = 3.0, b = 400.0, added = 20.0;
    std::vector<ChangePoint> points;
    for (double n : {100.0, 120.0, 140.0, 160.0})
      points.push_back({n, added,
                        a * (1.0 / (n - added) - 1.0 / n) +
                            b * (1.0 / ((n - added) * (n - added)) - 1.0 / (n * n))});
    const double n = 160.0, whole = 1000.0;
    const double twoTerms =
        a * (1.0 / n - 1.0 / whole) + b * (1.0 / (n * n) - 1.0 / (whole * whole));
    QVERIFY(std::abs(*expectedGain(points, 1000, 200) - twoTerms) < 1e-9 * twoTerms);
    // A detector that does not say the scan's length: as many projections again.
    const double again = a * (0.5 / n) + b * (0.75 / (n * n));
    QVERIFY(std::abs(*expectedGain(points, 0, 200) - again) < 1e-9 * again);
    QualityReading newest;
    newest.structuralChange = points.back().change;
    newest.received = 160;
    newest.receivedBefore = 140;
    const double oneTerm = *expectedGain(newest, 1000);
    QVERIFY(twoTerms < 0.8 * oneTerm);  // the streaks fade faster than the 1/n model says (0.71)
    QCOMPARE(*expectedGain(points, 1000, 64), oneTerm);  // 160 ≥ π/2 · 64: past the sampling
    QCOMPARE(*expectedGain(std::span(points).last(2), 1000, 200), oneTerm);
    std::vector<ChangePoint> still = points;
    still[1].change = 0.0;
    QCOMPARE(*expectedGain(still, 1000, 200), oneTerm);
    std::vector<ChangePoint> noise;
    for (double m : {100.0, 120.0, 140.0, 160.0})
      noise.push_back({m, added, a * (1.0 / (m - added) - 1.0 / m)});
    newest.structuralChange = noise.back().change;
    QVERIFY(std::abs(*expectedGain(noise, 1000, 200) - *expectedGain(newest, 1000)) < 1e-9);
    QVERIFY(!expectedGain(std::span<const ChangePoint>(), 1000, 200));

    // The advisor keeps the last changes itself: on these readings, at a limit between the two
    // gains, it says stop on the grid of 200 pixels and continue where the grid is unknown.
    const double limit = 0.5 * (twoTerms + oneTerm);
    for (int grid : {200, 0}) {
      StopAdvisor advisor({.expectedGainLimit = limit});
      StopAdvice last;
      for (std::size_t i = 0; i < points.size(); ++i) {
        QualityReading r;
        r.update = int(i) + 5;
        r.structuralChange = points[i].change;
        r.received = std::int64_t(points[i].received);
        r.receivedBefore = r.received - std::int64_t(added);
        last =
            advisor.advise(r, {.received = r.received, .scanProjections = 1000, .gridSize = grid});
      }
      QCOMPARE(last.stop, grid > 0);
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, StopAdvisor({.fittedUpdates = 2}));
  }

  // The halves' reading must be low too. A change d between the image of n projections and each
  // half's (n/2) reads the gain d · (1 − n/P) by the 1/n model, or from the two terms fitted to
  // the last changes below the grid's sampling, as the changes between updates do; either reading
  // above its limit keeps "continue", and a reading without halves leaves the decision to the
  // change between updates.
  void halvesGainMustBeLowToo() {
    QualityReading r = update5(3.0, 0.001, 0.02);
    const ScanProgress progress = kUpdate5Of1000;
    const StopAdvice high = StopAdvisor().advise(r, progress);
    QVERIFY(!high.stop);
    QVERIFY(std::abs(*high.expectedGain - 0.001 * 9.0 * 0.8) < 1e-12);
    QVERIFY(std::abs(*high.halvesGain - 0.02 * 0.8) < 1e-12);
    QCOMPARE(high.reason, std::string("image still improving: expected gain to the end of the "
                                      "scan 0.007 SSIM (limit 0.015), by the halves 0.016 "
                                      "(limit 0.010), resolution 3.0 px"));
    r.halvesChange = 0.01;
    const StopAdvice low = StopAdvisor().advise(r, progress);
    QVERIFY(low.stop);
    QCOMPARE(low.reason, std::string("image settled at update 5: expected gain to the end of the "
                                     "scan 0.007 SSIM (limit 0.015), by the halves 0.008 (limit "
                                     "0.010), resolution 3.0 px — stopping now saves 800 "
                                     "projections, 80 % of the scan"));
    r.halvesChange.reset();
    const StopAdvice alone = StopAdvisor().advise(r, progress);
    QVERIFY(alone.stop);
    QVERIFY(!alone.halvesGain);
    // A reading that is not a number counts as not measured, never as settled.
    r.halvesChange = std::nan("");
    const StopAdvice nanHalves = StopAdvisor().advise(r, progress);
    QVERIFY(nanHalves.stop && !nanHalves.halvesGain);
    r.structuralChange = std::nan("");
    const StopAdvice nanChange = StopAdvisor().advise(r, progress);
    QVERIFY(!nanChange.stop && !nanChange.expectedGain);
    QCOMPARE(nanChange.reason, std::string("image change not measured yet, resolution 3.0 px"));
    // Not comparable with the image before, and no change measured before it: the reason says why.
    r.structuralChange.reset();
    r.whyNoChange = "I changed from 1 to 6";
    QCOMPARE(
        StopAdvisor().advise(r, progress).reason,
        std::string("image change not measured yet (I changed from 1 to 6), resolution 3.0 px"));
    r.whyNoChange.reset();
    r.structuralChange = 0.001;

    // Halves' changes made exactly by S(n) ≈ S∞ − a/n − b/n² (from n/2 to n: a/n + 3b/n²)
    // give its gain back below the grid's sampling.
    const double a = 3.0, b = 400.0;
    StopAdvisor advisor;
    StopAdvice last;
    for (int n : {100, 120, 140, 160})
      last = advisor.advise({.update = n / 20,
                             .resolutionPixels = {},
                             .structuralChange = 0.0001,
                             .received = n,
                             .receivedBefore = n - 20,
                             .coverage = {},
                             .halvesChange = a / n + 3.0 * b / (double(n) * n),
                             .whyNoChange = {},
                             .changeMadeGood = {}},
                            {.received = n, .scanProjections = 1000, .gridSize = 200});
    const double n = 160.0, whole = 1000.0;
    const double twoTerms =
        a * (1.0 / n - 1.0 / whole) + b * (1.0 / (n * n) - 1.0 / (whole * whole));
    QVERIFY2(std::abs(*last.halvesGain - twoTerms) < 1e-9 * twoTerms,
             qPrintable(QString("%1 vs %2").arg(*last.halvesGain).arg(twoTerms)));
    QVERIFY(!last.stop);  // 0.031 to come by the halves
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, StopAdvisor({.halvesGainLimit = -0.01}));
  }

  // Where the truth is known: the advice fires within 2 updates of where SSIM against the ground
  // truth comes (and stays) within 0.01 of its final value, and never more than 2 early. The
  // limit on the expected gain was chosen on 18 cases at 128² × 384 projections (these rows) and
  // at 256² × 480; the 192² × 600 rows were held out from that choice, not from the halves'
  // limit's (docs/quality.md, which also gives five sets held out from both). Where it errs, it
  // errs late: the expected failures below.
  void adviceFiresWhereSsimPlateaus_data() {
    QTest::addColumn<int>("phantom");
    QTest::addColumn<int>("window");
    QTest::addColumn<int>("iterations");
    QTest::addColumn<double>("photons");
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("projections");
    const std::vector<AdviceCase>& cases = adviceValidationCases();
    for (const AdviceCase& c : cases)
      QTest::newRow(("128² " + adviceCaseName(c)).c_str())
          << int(c.phantom) << c.window << c.iterations << c.photons << 128 << 384;
    // Held out: a finer grid, more projections (the first six cases).
    for (int i = 0; i < 6; ++i)
      QTest::newRow(("held out 192² " + adviceCaseName(cases[std::size_t(i)])).c_str())
          << int(cases[std::size_t(i)].phantom) << cases[std::size_t(i)].window
          << cases[std::size_t(i)].iterations << cases[std::size_t(i)].photons << 192 << 600;
  }

  void adviceFiresWhereSsimPlateaus() {
    QFETCH(int, phantom);
    QFETCH(int, window);
    QFETCH(int, iterations);
    QFETCH(double, photons);
    QFETCH(int, size);
    QFETCH(int, projections);
    const ScanSpec spec =
        scanOf(PhantomKind(phantom), size, 4, {AcquisitionOrder::Interlaced, projections, window},
               photons, size == 128 ? 31 : 7);
    const PreparedScan scan =
        prepareScan(readDataExchange(written(spec, QTest::currentDataTag() + QString(".h5"))));
    QVERIFY(scan.hasGroundTruth());
    std::vector<int> order(scan.anglesRad.size());
    std::iota(order.begin(), order.end(), 0);  // the file holds the acquisition order
    const std::vector<ReplayStep> steps =
        replayWithQuality(scan.lineIntegrals, scan.anglesRad, order, window, iterations,
                          0.5 * (spec.size - 1), &scan.groundTruth);
    report(QTest::currentDataTag(), steps);
    const int plateau = plateauUpdate(steps, 0.01), advice = adviceUpdate(steps);
    const int still = plateauUpdate(steps, 0.01, ReplayScore::still);
    qInfo(
        "%s: SSIM within 0.01 of its final %.4f from update %d (over the sample: %.4f, from %d; "
        "image within 0.01 SSIM of the last from %d); advice to stop at update %d of %zu",
        QTest::currentDataTag(), steps.back().reference, plateau, *steps.back().sampleReference,
        plateauUpdate(steps, 0.01, ReplayScore::sample), still, advice, steps.size());
    // An advice that never comes counts as coming after the last update.
    const int fired = advice > 0 ? advice : int(steps.size()) + 1;
    QVERIFY2(
        fired >= plateau - 2,
        qPrintable(QStringLiteral("early: advice at %1, plateau at %2").arg(fired).arg(plateau)));
    // Nor before the image itself has settled (the real scans' criterion, within the same 2
    // updates): on 216 simulated scans the advice was never more than 2 updates before it.
    QVERIFY2(fired >= still - 2,
             qPrintable(
                 QStringLiteral("early: advice at %1, image still from %2").arg(fired).arg(still)));
    QEXPECT_FAIL("128² shale W=16 I=1 1e5",
                 "known: 5 updates late against the truth, none against the image's own "
                 "settling (still from update 13, advice at 13): SSIM against the truth settles "
                 "at update 8 while the image still changes by more than 0.01 SSIM to its end, so "
                 "no advice meets both (by update 10 and from update 11; docs/quality.md)",
                 Continue);
    QEXPECT_FAIL("held out 192² shale W=16 I=2 1e4",
                 "known: 3 updates late against the truth (within 0.01 from update 28), none "
                 "against the image's own settling (still from update 31, advice at 31): where the "
                 "truth is flat, SSIM against it gains less than the image still changes "
                 "(docs/quality.md)",
                 Continue);
    QVERIFY2(std::abs(fired - plateau) <= 2,
             qPrintable(QStringLiteral("advice at %1, plateau at %2").arg(fired).arg(plateau)));
  }

  // The halves are dealt in angle order, so the resolution is the data's, not the arrival
  // order's: the same projections received in two interlaced orders give the same resolution
  // (dealt by arrival, interlaced:8 gave one half only the angles in [0°, 22.5°) + 45°k: the
  // tooth read 14.2 px interlaced and 5.8 px sequential from identical images).
  void resolutionDoesNotDependOnTheArrivalOrder() {
    // noisy (100 photons): a resolution above the grid's 2 px
    const ScanSpec spec =
        scanOf(PhantomKind::Glass, 128, 4, {AcquisitionOrder::Sequential, 256, 32}, 100, 0);
    const PreparedScan scan = prepareScan(readDataExchange(written(spec, "orders.h5")));
    const double centre = 0.5 * (spec.size - 1);
    std::vector<double> last;
    for (const int rotation : {8, 32}) {
      const std::vector<int> order = interlacedReplayOrder(scan.anglesRad, rotation);
      const std::vector<ReplayStep> steps =
          replayWithQuality(scan.lineIntegrals, scan.anglesRad, order, 32, 1, centre, nullptr);
      QVERIFY(steps.back().quality.resolutionPixels);
      last.push_back(*steps.back().quality.resolutionPixels);
      qInfo("interlaced:%d: resolution at the end %.3f px", rotation, last.back());
    }
    QVERIFY2(std::abs(last[0] - last[1]) < 0.01,
             qPrintable(QString("%1 vs %2 px").arg(last[0]).arg(last[1])));
  }

  // A resolution from two half reconstructions needs angles that cover the half circle: one
  // angle repeated or a wedge gives equally degenerate halves that agree to the grid's limit.
  void angularCoverageOfTheReceivedAngles() {
    const double pi = std::numbers::pi;
    auto spread = [](int n, double from, double to) {
      std::vector<double> a;
      for (int k = 0; k < n; ++k) a.push_back(from + (to - from) * k / n);
      return a;
    };
    const AngularCoverage even = angularCoverage(spread(32, 0.0, pi));
    QVERIFY(std::abs(even.largestGapDegrees - 180.0 / 32) < 1e-9);
    QVERIFY(std::abs(even.limitDegrees - 8 * 180.0 / 32) < 1e-9);
    QVERIFY(even.enough());
    QVERIFY(angularCoverage(spread(64, 0.0, 2 * pi)).enough());          // a 360° scan folds
    QVERIFY(angularCoverage(spread(16, -0.5 * pi, 0.5 * pi)).enough());  // across 0°
    std::vector<double> golden;
    for (int k = 0; k < 50; ++k) golden.push_back(std::fmod(k * pi * 0.6180339887, pi));
    QVERIFY(angularCoverage(golden).enough());
    const AngularCoverage sequential = angularCoverage(spread(60, 0.0, pi / 3));  // a third
    QVERIFY(std::abs(sequential.largestGapDegrees - (180.0 - 59.0)) < 1e-9);
    QVERIFY(!sequential.enough());
    QVERIFY(!angularCoverage(spread(60, 0.0, 10.0 * pi / 180.0)).enough());  // 10° wedge
    QVERIFY(!angularCoverage(std::vector<double>(60, 0.3)).enough());        // a stuck stage
    QVERIFY(!angularCoverage(std::vector<double>{0.0, 0.0}).enough());
    QVERIFY(angularCoverage(std::vector<double>{0.0, 0.5 * pi}).enough());  // 90°: the most
    QVERIFY(!angularCoverage({}).enough());
  }

  // Live: a stuck stage (every projection at one angle) and a sequential scan before its end get
  // no resolution and a "continue" that says why; the sequential scan's last update gets one.
  void degenerateCoverageGetsNoResolution() {
    const ScanSpec spec =
        scanOf(PhantomKind::SheppLogan, 64, 2, {AcquisitionOrder::Sequential, 96, 16}, 1e4, 0);
    const PreparedScan scan = prepareScan(readDataExchange(written(spec, "sequential.h5")));
    std::vector<int> order(scan.anglesRad.size());
    std::iota(order.begin(), order.end(), 0);
    const double centre = 0.5 * (spec.size - 1);
    const std::vector<ReplayStep> sequential =
        replayWithQuality(scan.lineIntegrals, scan.anglesRad, order, 16, 1, centre, nullptr);
    QCOMPARE(sequential.size(), std::size_t(6));
    for (std::size_t i = 0; i + 1 < sequential.size(); ++i) {
      const QualityAssessment& q = sequential[i].quality;
      QVERIFY(!q.resolutionPixels);
      QVERIFY(q.coverage && !q.coverage->enough());
      QVERIFY(q.advice && !q.advice->stop);
      QVERIFY2(q.advice->reason.starts_with("angular coverage incomplete: the " +
                                            std::to_string(16 * (i + 1)) + " angles received"),
               q.advice->reason.c_str());
    }
    QVERIFY(sequential.back().quality.resolutionPixels);
    QVERIFY(sequential.back().quality.coverage->enough());

    const std::vector<double> stuck(scan.anglesRad.size(), 0.7);
    const std::vector<ReplayStep> still =
        replayWithQuality(scan.lineIntegrals, stuck, order, 16, 1, centre, nullptr);
    for (const ReplayStep& s : still) {
      QVERIFY(!s.quality.resolutionPixels);
      QVERIFY(s.quality.advice && !s.quality.advice->stop);
      QVERIFY2(s.quality.advice->reason.find("leave a 180° gap") != std::string::npos,
               s.quality.advice->reason.c_str());
    }
  }

  // On real scans replayed interlaced: the advice does not fire before the image has stopped
  // changing — where it fires, the image already looks like the one at the end of the scan.
  void adviceOnRealScansWaitsForAStillImage_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("window");
    QTest::addColumn<int>("firstRow");
    QTest::addColumn<int>("endRow");
    QTest::addColumn<int>("binning");
    QTest::newRow("tooth W=12") << "tooth.h5" << 12 << 0 << -1 << 1;
    QTest::newRow("i13 W=8") << "i13_crop.h5" << 8 << 60 << 64 << 1;
    // 40 columns from 91 projections: sampled finely enough in angle to settle before its end.
    QTest::newRow("i13 binned 4x, W=8") << "i13_crop.h5" << 8 << 32 << 64 << 4;
  }

  void adviceOnRealScansWaitsForAStillImage() {
    TOMOLIVE_REQUIRE_REAL_DATA();
    QFETCH(QString, file);
    QFETCH(int, window);
    QFETCH(int, firstRow);
    QFETCH(int, endRow);
    QFETCH(int, binning);
    const PreparedScan scan = prepareScan(
        readDataExchange(realDataFile(file.toLatin1().constData()), {firstRow, endRow}), binning);
    const double centre = estimateCentre(scan.lineIntegrals, scan.anglesRad).centre;
    const std::vector<int> order = interlacedReplayOrder(scan.anglesRad, window);
    const std::vector<ReplayStep> steps =
        replayWithQuality(scan.lineIntegrals, scan.anglesRad, order, window, 1, centre, nullptr);
    report(QTest::currentDataTag(), steps);
    const int advice = adviceUpdate(steps), still = plateauUpdate(steps, 0.01);
    // Without a truth there is no sample's score to read a plateau from.
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             plateauUpdate(steps, 0.01, ReplayScore::sample));
    qInfo(
        "%s: image within 0.01 SSIM of the last from update %d; advice to stop at update %d of "
        "%zu",
        QTest::currentDataTag(), still, advice, steps.size());
    if (advice > 0) QVERIFY2(advice >= still, qPrintable(QString::number(advice)));
    for (const ReplayStep& s : steps) QVERIFY(s.quality.resolutionPixels.has_value());
  }

  // A session told to stop when stable stops its source at the first "stop" advice: the replay
  // ends early, every frame received is recorded, and the metrics carry the readings.
  void sessionStopsWhenStable() {
    const std::string path = written(stoppingScan(), "stop.h5");
    StreamOptions o;
    o.window = 24;
    o.stopWhenStable = true;
    o.pixelSizeMicrometres = 0.65;
    o.recordPath = m_dir.filePath("stop_record.h5").toStdString();
    StreamingSession session(std::make_unique<FileReplaySource>(path, 0.0), o);
    UpdateLog log;
    log.attach(session);
    session.start();
    QVERIFY(session.waitFor(std::chrono::seconds(240)));
    const std::vector<UpdateMetrics>& updates = log.updates;
    const SessionSummary summary = session.summary();
    QVERIFY2(summary.error.empty(), summary.error.c_str());
    QVERIFY(summary.stoppedEarly);
    QVERIFY2(summary.projectionsReceived < 384,
             qPrintable(QString::number(summary.projectionsReceived)));
    QCOMPARE(summary.framesRecorded, summary.framesReceived);
    std::size_t firstStop = updates.size();
    for (std::size_t i = 0; i < updates.size(); ++i) {
      const UpdateMetrics& m = updates[i];
      QVERIFY(m.resolutionPixels && *m.resolutionPixels >= 2.0);
      QVERIFY(std::abs(*m.resolutionMicrometres - 0.65 * *m.resolutionPixels) < 1e-9);
      QVERIFY(m.residual && *m.residual > 0.0 && *m.residual < 1.0);
      // 1 − SSIM to the last update from the second update on, in the metrics JSON line too
      QCOMPARE(m.structuralChange.has_value(), i > 0);
      const nlohmann::json line = m;
      if (i > 0) {
        QVERIFY(*m.structuralChange >= 0.0 && *m.structuralChange < 1.0);
        QCOMPARE(line.at("structural_change").get<double>(), *m.structuralChange);
      } else {
        QVERIFY(!line.contains("structural_change"));
      }
      // the change made good once 5 comparable images are in, in the JSON line too
      QCOMPARE(m.changeMadeGood.has_value(), i >= 4);
      if (m.changeMadeGood)
        QCOMPARE(line.at("change_made_good").get<double>(), *m.changeMadeGood);
      else
        QVERIFY(!line.contains("change_made_good"));
      // the halves' change and both gains from every update with halves on
      QVERIFY(m.halvesChange && *m.halvesChange > 0.0 && *m.halvesChange < 1.0);
      QCOMPARE(line.at("halves_change").get<double>(), *m.halvesChange);
      QVERIFY(m.halvesGain && *m.halvesGain >= 0.0);
      QCOMPARE(line.at("expected_gain_halves").get<double>(), *m.halvesGain);
      QCOMPARE(m.expectedGain.has_value(), i > 0);
      QVERIFY(m.advice == "stop" || m.advice == "continue");
      QVERIFY(!m.adviceReason.empty());
      if (m.advice == "stop" && firstStop == updates.size()) firstStop = i;
    }
    QVERIFY(firstStop < updates.size());
    QVERIFY2(
        updates.size() - firstStop <= 2,  // the update advised, and one with what was pending
        qPrintable(QStringLiteral("%1 updates after the advice").arg(updates.size() - firstStop)));
    // An update after the stop says the acquisition stopped, not that the scan was all received.
    if (firstStop + 1 < updates.size() && updates.back().projections > 0)
      QVERIFY2(updates.back().adviceReason.starts_with("acquisition stopped after "),
               updates.back().adviceReason.c_str());
    qInfo("stopped at the advice of update %zu: %s (%lld of 384 projections received)",
          firstStop + 1, updates[firstStop].adviceReason.c_str(),
          static_cast<long long>(summary.projectionsReceived));
  }

  // The same from the command line, as a script at the beamline runs it: `stream
  // --stop-when-stable` on a file replayed losslessly stops the acquisition at the first "stop"
  // advice, records every frame received, says why on stderr, and its metrics lines carry the
  // readings the advice came from.
  void cliStopsWhenStable() {
    const std::string scan = written(stoppingScan(), "cli_stop.h5");
    const QString record = m_dir.filePath("cli_stop_record.h5");
    const QString metrics = m_dir.filePath("cli_stop.jsonl");
    const CliRun r =
        runCli({"stream", "--source", QString::fromStdString("file:" + scan), "--window", "24",
                "--stop-when-stable", "--record", record, "--metrics", metrics, "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject summary = json(r);
    QVERIFY(summary["stopped_early"].toBool());
    const int received = summary["projections_received"].toInt();
    QVERIFY2(received > 0 && received < 384, qPrintable(QString::number(received)));
    QCOMPARE(summary["frames_recorded"].toInt(), summary["frames_received"].toInt());
    QCOMPARE(readDataExchange(record.toStdString()).projections, received);
    QVERIFY2(r.err.contains("stop advice: image settled at update ") &&
                 r.err.contains("; stopping the acquisition"),
             qPrintable(r.err));

    QFile file(metrics);
    QVERIFY(file.open(QIODevice::ReadOnly));
    std::vector<nlohmann::json> lines;
    for (const QByteArray& line : file.readAll().split('\n')) {
      if (line.isEmpty()) continue;
      lines.push_back(nlohmann::json::parse(line.toStdString(), nullptr, false));
      QVERIFY2(lines.back().is_object(), line.constData());  // (not JSON: discarded, no object)
    }
    QCOMPARE(int(lines.size()), summary["updates"].toInt());
    std::size_t firstStop = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const nlohmann::json& m = lines[i];
      for (const char* key : {"resolution_px", "residual", "advice", "advice_reason"})
        QVERIFY2(m.contains(key), key);
      QCOMPARE(m.contains("change"), i > 0);  // the change to the image before
      QVERIFY(m.at("resolution_px").get<double>() >= 2.0);
      const std::string advice = m.at("advice").get<std::string>();
      QVERIFY(advice == "stop" || advice == "continue");
      if (advice == "stop" && firstStop == lines.size()) firstStop = i;
    }
    // the update advised, and at most one with what was pending when the detector stopped
    QVERIFY(firstStop < lines.size());
    QVERIFY2(lines.size() - firstStop <= 2, qPrintable(QString::number(lines.size() - firstStop)));
    QVERIFY(lines[firstStop].at("advice_reason").get<std::string>().starts_with("image settled"));
  }

  // The resolution on every k-th update only: updates 1, 4, 7 … have it, the others none, and
  // they carry the last advice and the last halves (for the enhancement guard); the change and
  // residual are there on every update. By cost instead: a share no assessment can stay within
  // after the first gives the resolution on update 1 only, an unbounded one on every update.
  // every < 1 and a share ≤ 0 are refused.
  // An image made with another I than the last (auto-steering changed it: the filtered method's
  // I sets how close it comes to SIRT-K), or of other slices, is not compared with the last: their
  // difference is the method's, not the new projections'. The last change's gain stands, the
  // reason says why, and the next update of the same I and slices is compared again. (In the
  // default session each change of I read as "expected gain 0.13–0.46", from 0.009 before.)
  void changeOfIterationsOrSlicesIsNotReadAsChange() {
    const PreparedScan scan = prepareScan(readDataExchange(
        written(scanOf(PhantomKind::Glass, 64, 4, {AcquisitionOrder::Interlaced, 192, 16}, 1e4, 3),
                "iterations.h5")));
    LiveReconstruction live(64, 4, 64, 31.5);
    LiveQuality quality;
    const std::vector<int> middle = {2}, other = {0};
    // (I, view) per update: 5 at I = 1, one at I = 2, one more at I = 2, then other slices, then
    // the same slices again
    const std::vector<std::pair<int, std::vector<int>>> plan = {
        {1, middle}, {1, middle}, {1, middle}, {1, middle}, {1, middle},
        {2, middle}, {2, middle}, {2, other},  {2, other}};
    std::vector<QualityAssessment> q;
    for (std::size_t u = 0; u < plan.size(); ++u) {
      ProjectionStack w(16, 4, 64);
      std::vector<double> angles;
      for (int k = 0; k < 16; ++k) {
        const int p = int(u) * 16 + k;
        std::copy_n(scan.lineIntegrals.row(p, 0), scan.lineIntegrals.projectionStride(),
                    w.row(k, 0));
        angles.push_back(scan.anglesRad[std::size_t(p)]);
      }
      live.receive(w, angles);
      const LiveUpdate done = live.update(plan[u].first);
      q.push_back(quality.assess(live, done, plan[u].second,
                                 {.received = live.receivedCount(), .scanProjections = 192}));
    }
    for (std::size_t u : {1u, 2u, 3u, 4u, 6u, 8u}) {
      QVERIFY2(q[u].structuralChange, qPrintable(QString("update %1").arg(u + 1)));
      QVERIFY(q[u].advice &&
              q[u].advice->reason.find("as the last update measured it") == std::string::npos);
    }
    for (const auto& [u, why] :
         {std::pair{5u, "(I changed from 1 to 2)"}, std::pair{7u, "(other slices in view)"}}) {
      QVERIFY2(!q[u].structuralChange, qPrintable(QString("update %1").arg(u + 1)));
      const StopAdvice& a = *q[u].advice;
      // the gain of the update before, as it stood
      QVERIFY(a.expectedGain && q[u - 1].advice->expectedGain);
      QCOMPARE(*a.expectedGain, *q[u - 1].advice->expectedGain);
      QVERIFY2(
          a.reason.find(std::string("as the last update measured it ") + why) != std::string::npos,
          a.reason.c_str());
      QVERIFY(a.halvesGain);  // the halves are measured afresh
    }
    // The change made good needs a run of 5 comparable images: from the 5th update on, until
    // another I or other slices start a new run.
    for (std::size_t u = 0; u < q.size(); ++u)
      QVERIFY2(q[u].changeMadeGood.has_value() == (u == 4),
               qPrintable(QString("update %1").arg(u + 1)));
    QVERIFY2(*q[4].changeMadeGood > 0.0 && *q[4].changeMadeGood <= 4.0,
             qPrintable(QString::number(*q[4].changeMadeGood)));
  }

  void qualityEveryKthUpdateOrWithinAShare() {
    const std::string path =
        written(scanOf(PhantomKind::Glass, 64, 4, {AcquisitionOrder::Interlaced, 160, 16}, 1e4, 5),
                "every.h5");
    const auto run = [&](int every, std::optional<double> share) {
      StreamOptions o;
      o.window = 16;
      o.qualityEvery = every;
      o.qualityShare = share;
      StreamingSession session(std::make_unique<FileReplaySource>(path, 0.0), o);
      UpdateLog log;
      log.attach(session);
      session.start();
      session.wait();
      return log.updates;
    };
    for (const auto& [every, share] : {std::pair{3, std::optional<double>()}, {1, 1e-12}, {1, 1e12}}) {
      const std::vector<UpdateMetrics> updates = run(every, share);
      QCOMPARE(int(updates.size()), 10);
      int last = 0;  // the last assessed update
      for (const UpdateMetrics& m : updates) {
        const bool assessed = share ? (*share > 1.0 || m.update == 1) : (m.update - 1) % every == 0;
        QVERIFY2(m.resolutionPixels.has_value() == assessed,
                 qPrintable(QString("every %1, update %2").arg(every).arg(m.update)));
        QVERIFY(m.residual.has_value());
        if (m.update > 1) QVERIFY(m.change.has_value());
        QVERIFY(m.advice == "stop" || m.advice == "continue");
        if (assessed)
          last = m.update;
        else  // the advice of the last assessed update, word for word
          QCOMPARE(m.adviceReason, updates[std::size_t(last - 1)].adviceReason);
      }
    }
    QualityOptions never;
    never.every = 0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, LiveQuality{never});
    QualityOptions nothing;
    nothing.share = 0.0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, LiveQuality{nothing});
  }

  void stopWhenStableRefusesTheWindowMethod() {
    StreamOptions o;
    o.method = LiveMethod::window;
    o.stopWhenStable = true;
    ScanSpec spec;
    spec.size = 32;
    spec.acquisition = {AcquisitionOrder::Sequential, 8, 8};
    const std::string path = m_dir.filePath("window.h5").toStdString();
    writeSimulatedScan(spec, path);
    try {
      StreamingSession session(std::make_unique<FileReplaySource>(path, 0.0), o);
      QFAIL("a window-method session accepted stop-when-stable");
    } catch (const std::invalid_argument& e) {
      QVERIFY2(std::string(e.what()).find("window method") != std::string::npos, e.what());
    }
    const CliRun r = runCli({"stream", "--source", "sim:glass", "--size", "32", "--rows", "1",
                             "--method", "window", "--stop-when-stable"});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("--stop-when-stable cannot work with --method window"),
             qPrintable(r.err));
  }
};

QTEST_GUILESS_MAIN(TestAdvice)
#include "test_advice.moc"
