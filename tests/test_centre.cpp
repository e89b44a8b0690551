// Preprocessing on real beamline scans: automatic rotation centre, bad-pixel repair, and SIRT
// with a decreasing residual; plus the guards of flat/dark correction on synthetic frames.
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>
#include <numeric>

#include "RealData.h"
#include "io/DataExchange.h"
#include "pipeline/FileReconstruction.h"
#include "preprocess/CentreFinder.h"
#include "preprocess/FlatDarkCorrection.h"
#include "preprocess/ScanPreparation.h"
#include "sim/Acquisition.h"
#include "sim/ScanFile.h"

using namespace tomolive;

namespace {
const std::string kData = realDataFile("");

void checkMonotone(const std::vector<SirtIteration>& history) {
  QVERIFY(history.size() >= 2);
  for (std::size_t i = 1; i < history.size(); ++i)
    QVERIFY2(history[i].weightedResidual <= history[i - 1].weightedResidual * (1 + 1e-9),
             qPrintable(QString("iteration %1: %2 after %3")
                            .arg(i)
                            .arg(history[i].weightedResidual)
                            .arg(history[i - 1].weightedResidual)));
  QVERIFY(history.back().weightedResidual < history.front().weightedResidual);
}
// The estimate from a simulated scan as a file holds it (raw counts, flats and darks).
CentreEstimate centreOfSimulatedScan(const ScanSpec& spec) {
  QTemporaryDir dir;
  const std::string path = dir.filePath("scan.h5").toStdString();
  writeSimulatedScan(spec, path);
  const PreparedScan scan = prepareScan(readDataExchange(path));
  return estimateCentre(scan.lineIntegrals, scan.anglesRad);
}
}  // namespace

class TestCentre : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { TOMOLIVE_REQUIRE_REAL_DATA(); }

  void toothCentre() {
    const PreparedScan scan = prepareScan(readDataExchange(kData + "tooth.h5"));
    const CentreEstimate e = estimateCentre(scan.lineIntegrals, scan.anglesRad);
    QVERIFY2(std::abs(e.centre - 296.0) <= 2.0,
             qPrintable(QString("tooth centre %1, expected 296 ± 2").arg(e.centre)));
  }

  void i13Centre() {
    const PreparedScan scan = prepareScan(readDataExchange(kData + "i13_crop.h5"));
    // One dead pixel per frame must have been repaired, not passed on as ±∞.
    QVERIFY(scan.repairedPixels >= scan.lineIntegrals.projections());
    for (float v : scan.lineIntegrals.raw()) QVERIFY(std::isfinite(v));
    const CentreEstimate e = estimateCentre(scan.lineIntegrals, scan.anglesRad);
    QVERIFY2(std::abs(e.centre - 85.9) <= 2.0,
             qPrintable(QString("i13 centre %1, expected 85.9 ± 2").arg(e.centre)));
  }

  // Every block of rows finds the same axis. Rows 60–75 once matched a short overlap of the
  // featureless tube wall at 31.7 px better than the sample at 85.8 (a mean squared mismatch,
  // not relative to the profiles' own variation).
  void i13CentreOfEveryBlockOfRows_data() {
    QTest::addColumn<int>("first");
    QTest::addColumn<int>("end");
    for (int first : {30, 60, 65, 100, 120})
      QTest::addRow("rows %d:%d", first, first + 10) << first << first + 10;
    QTest::newRow("row 65") << 65 << 66;
  }

  void i13CentreOfEveryBlockOfRows() {
    QFETCH(int, first);
    QFETCH(int, end);
    const PreparedScan scan = prepareScan(readDataExchange(kData + "i13_crop.h5", {first, end}));
    const CentreEstimate e = estimateCentre(scan.lineIntegrals, scan.anglesRad);
    QVERIFY2(std::abs(e.centre - 85.8) <= 0.5,
             qPrintable(QString("rows %1:%2: centre %3, expected 85.8 ± 0.5")
                            .arg(first)
                            .arg(end)
                            .arg(e.centre)));
  }

  // A detector a few pixels wide has a minimum a fraction of a pixel wide: the coarse search
  // must not step over it (16 columns, one row, one pair 2° off 180°: it once found 4.1).
  void narrowDetectorCentre_data() {
    QTest::addColumn<int>("columns");
    for (int columns : {16, 17, 24, 33}) QTest::addRow("%d columns", columns) << columns;
  }

  void narrowDetectorCentre() {
    QFETCH(int, columns);
    ScanSpec spec;
    spec.size = columns;
    spec.slices = 1;
    spec.phantom = PhantomKind::Glass;
    spec.acquisition = {AcquisitionOrder::Sequential, 90, 1};
    const CentreEstimate e = centreOfSimulatedScan(spec);
    const double truth = 0.5 * (columns - 1);
    QVERIFY2(std::abs(e.centre - truth) <= 0.25,
             qPrintable(QString("centre %1, expected %2").arg(e.centre).arg(truth)));
  }

  // An interlaced scan cut short of its last rotations (400 of a 512-angle plan, as a live
  // session records it) has no pair within 1.5 steps of 180° (the nearest is 2 steps off): the
  // estimate takes pairs up to 4 steps (at most 2°) off rather than refusing the scan.
  void scanStoppingShortOf180Degrees() {
    ScanSpec spec;
    spec.phantom = PhantomKind::Glass;
    spec.size = 64;
    spec.slices = 4;
    spec.acquisition = {AcquisitionOrder::Interlaced, 400, 32};
    const CentreEstimate e = centreOfSimulatedScan(spec);
    QVERIFY2(e.worstPairOffsetDeg > 0.6 && e.worstPairOffsetDeg <= 2.0,
             qPrintable(QString::number(e.worstPairOffsetDeg)));
    QVERIFY2(std::abs(e.centre - 31.5) <= 0.25, qPrintable(QString::number(e.centre)));
  }

  void toothReconstructs() {
    FileReconOptions o;
    o.iterations = 20;
    const FileReconResult r = reconstructFile(kData + "tooth.h5", o);
    QVERIFY(r.centreEstimated);
    QCOMPARE(r.slices, 2);
    QCOMPARE(r.columns, 640);
    checkMonotone(r.history);
    double sum = 0;
    for (float v : r.recon.volume) {
      QVERIFY(std::isfinite(v));
      sum += v;
    }
    QVERIFY(sum > 0);
  }

  void i13Reconstructs() {
    FileReconOptions o;
    o.iterations = 20;
    o.rows = {60, 76};
    const FileReconResult r = reconstructFile(kData + "i13_crop.h5", o);
    QCOMPARE(r.slices, 16);
    checkMonotone(r.history);
    // A manual centre overrides the estimate and is recorded as given.
    o.centre = 86.0;
    o.iterations = 2;
    const FileReconResult manual = reconstructFile(kData + "i13_crop.h5", o);
    QVERIFY(!manual.centreEstimated);
    QCOMPARE(manual.centre, 86.0);
  }

  void binningKeepsTheCentre() {
    FileReconOptions o;
    o.iterations = 1;
    o.binning = 2;
    const FileReconResult r = reconstructFile(kData + "tooth.h5", o);
    QCOMPARE(r.columns, 320);
    QCOMPARE(r.slices, 1);
    QVERIFY2(std::abs(r.centre - 296.0) <= 3.0,
             qPrintable(QString("binned centre %1 (unbinned px)").arg(r.centre)));
  }

  // −log((I − D)/(F − D)) with guards: zero, negative and NaN counts and a dead detector pixel
  // are interpolated from their row neighbours.
  void flatDarkGuards() {
    const int rows = 2, columns = 6;
    const std::vector<float> flat(rows * columns, 1100.0f), dark(rows * columns, 100.0f);
    std::vector<float> flats = flat, darks = dark;
    flats[3] = 100.0f;  // dead detector pixel: flat = dark
    const FlatDarkCorrection correction(flats, darks, rows, columns);
    QCOMPARE(correction.deadDetectorPixels(), std::int64_t(1));
    std::vector<float> raw(rows * columns, 100.0f + 1000.0f * std::exp(-0.5f));
    raw[1] = 0.0f;
    raw[7] = std::numeric_limits<float>::quiet_NaN();
    raw[8] = -5.0f;
    raw[9] = 100.0f + 1000.0f * std::exp(-1.0f);
    std::vector<float> out(rows * columns);
    QCOMPARE(correction.apply(raw, out), std::int64_t(4));
    QVERIFY(std::abs(out[0] - 0.5f) < 1e-5f);
    QVERIFY(std::abs(out[1] - 0.5f) < 1e-5f);
    QVERIFY(std::abs(out[3] - 0.5f) < 1e-5f);
    // Row 1: pixels 1 and 2 bad between 0.5 (pixel 0) and 1.0 (pixel 3): linear.
    QVERIFY(std::abs(out[7] - (0.5f + 1.0f / 6)) < 1e-5f);
    QVERIFY(std::abs(out[8] - (0.5f + 2.0f / 6)) < 1e-5f);
    // A saturated pixel or a zinger (a count above twice its flat: no sample transmits more than
    // the beam) is repaired likewise; a pixel at the flat's level (air) or a little above it
    // (noise, a beam 10 % brighter than at the flats) is not.
    std::vector<float> spiky(rows * columns, 100.0f + 1000.0f * std::exp(-0.5f));
    spiky[5] = 65535.0f;                                      // saturated
    spiky[6] = 100.0f + 1000.0f * 1.1f;                       // transmission 1.1: kept
    QCOMPARE(correction.apply(spiky, out), std::int64_t(2));  // pixel 3: the dead one
    QVERIFY(std::abs(out[5] - 0.5f) < 1e-5f);
    QVERIFY(std::abs(out[6] + std::log(1.1f)) < 1e-5f);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, FlatDarkCorrection({}, darks, rows, columns));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, correction.apply(std::vector<float>(5), out));
    // Zingers in the flats and darks (a spike in one frame of several) are left out of the
    // averages: with 10 flats of 1100 and 5 darks of 100, flats at 65535 and 2200 and a dark at
    // 5000 change nothing; a beam 10 % brighter in one flat still counts.
    {
      std::vector<float> tenFlats, fiveDarks;
      for (int f = 0; f < 10; ++f) tenFlats.insert(tenFlats.end(), flat.begin(), flat.end());
      for (int d = 0; d < 5; ++d) fiveDarks.insert(fiveDarks.end(), dark.begin(), dark.end());
      tenFlats[std::size_t(3) * rows * columns + 4] = 65535.0f;           // frame 3, pixel 4
      tenFlats[std::size_t(7) * rows * columns + 2] = 1100.0f + 1100.0f;  // frame 7, pixel 2
      fiveDarks[std::size_t(1) * rows * columns + 9] = 5000.0f;           // frame 1, pixel 9
      for (int p = 0; p < rows * columns; ++p) tenFlats[p] = 1210.0f;     // frame 0: 10 % brighter
      const FlatDarkCorrection robust(tenFlats, fiveDarks, rows, columns);
      QCOMPARE(robust.zingersLeftOut(), std::int64_t(3));
      // Air at each pixel's expected mean flat (frame 0 counted, the spikes not) reads 0.
      std::vector<float> air(rows * columns, (1210.0f + 9 * 1100.0f) / 10), lines(rows * columns);
      air[2] = air[4] = (1210.0f + 8 * 1100.0f) / 9;
      QCOMPARE(robust.apply(air, lines), std::int64_t(0));
      for (int p = 0; p < rows * columns; ++p)
        QVERIFY2(std::abs(lines[p]) < 1e-5f,
                 qPrintable(QString("pixel %1: %2").arg(p).arg(lines[p])));
    }
    // A beam that drifts between flats (80 %, 80 %, 120 % of 1000 above the dark, with a little
    // noise per pixel) is averaged, not taken for zingers: a probe's such flats lost the 120 %
    // frame in a quarter of the pixels and rang (SSIM to the truth 0.42 against 0.88).
    {
      std::vector<float> drifting;
      for (const float level : {0.8f, 0.8f, 1.2f})
        for (int p = 0; p < rows * columns; ++p)
          drifting.push_back(100.0f + 1000.0f * level + float((p * 7 + int(10 * level)) % 5) -
                             2.0f);
      QCOMPARE(FlatDarkCorrection(drifting, dark, rows, columns).zingersLeftOut(), std::int64_t(0));
    }
    // At a few counts (flats 20 above darks of 100, noise of ±12) the noise's tail is no zinger (a
    // probe's 20-photon scan lost 2021 of 15 360 values and came out 16 % too dark).
    {
      std::vector<float> dim, darkish;
      for (int f = 0; f < 10; ++f)
        for (int p = 0; p < rows * columns; ++p) {
          const int k = (f * 13 + p * 7) % 9 - 4;  // −4 … 4, spread over frames and pixels
          dim.push_back(120.0f + 3.0f * float(k));
          darkish.push_back(100.0f + 3.0f * float((k + 13) % 9 - 4));
        }
      QCOMPARE(FlatDarkCorrection(dim, darkish, rows, columns).zingersLeftOut(), std::int64_t(0));
    }
    // Flats with no beam anywhere (all zero): refused, not every pixel "repaired".
    try {
      FlatDarkCorrection(std::vector<float>(2 * rows * columns, 0.0f), darks, rows, columns);
      QFAIL("all-zero flats accepted");
    } catch (const std::invalid_argument& e) {
      QVERIFY2(QString(e.what()).contains("no pixel's flat field is above its dark (2 flat frames"),
               e.what());
    }
  }

  void noOppositePairIsAnError() {
    ProjectionStack p(3, 1, 16);
    const std::vector<double> angles{0.0, 0.1, 0.2};
    try {
      estimateCentre(p, angles);
      QFAIL("estimate without opposite projections accepted");
    } catch (const std::invalid_argument& e) {
      QVERIFY2(QString(e.what()).contains("180"), e.what());
    }
  }
};

QTEST_APPLESS_MAIN(TestCentre)
#include "test_centre.moc"
