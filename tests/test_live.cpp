// The live reconstruction on real and simulated scans: the filtered method reaches what the
// received projections allow, sequential scans end where the offline reconstruction does, and
// the rotation centre is found as soon as the received data allow it.
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numbers>
#include <numeric>
#include <random>
#include <set>

#include "RealData.h"
#include "bench/LiveMethodComparison.h"
#include "io/DataExchange.h"
#include "io/ScanFile.h"
#include "metrics/ImageMetrics.h"
#include "nn/EnhancementGuard.h"
#include "nn/SampleSupport.h"
#include "pipeline/FileReconstruction.h"
#include "pipeline/LiveReconstruction.h"
#include "pipeline/StreamingSession.h"
#include "preprocess/CentreFinder.h"
#include "preprocess/FlatDarkCorrection.h"
#include "preprocess/ScanPreparation.h"
#include "projector/JosephProjector.h"
#include "sim/Acquisition.h"
#include "sim/ScanFile.h"
#include "sim/ScanSimulator.h"
#include "sirt/Cgls.h"
#include "sirt/SirtFilter.h"
#include "sirt/SirtSolver.h"
#include "sources/FileReplaySource.h"

using namespace tomolive;

namespace {

// Noisy Shepp–Logan line integrals, 2 slices of n², `angles` evenly over 180°.
struct Problem {
  ParallelGeometry geometry;
  ProjectionStack p;
};

// Line integrals of a simulated scan (all its projections, in acquisition order).
Problem simulate(const ScanSpec& spec) {
  const ScanSimulator sim(spec);
  const int n = spec.size, slices = spec.slices, count = sim.projections();
  return {sim.geometry(), FlatDarkCorrection(sim.flats(), sim.darks(), slices, n)
                              .lineIntegrals(sim.projections(0, count))};
}

Problem sheppLogan(int n, int angles) {
  ScanSpec spec;
  spec.size = n;
  spec.slices = 2;
  spec.acquisition = {AcquisitionOrder::Sequential, angles, angles};
  spec.photons = 3e3;
  spec.seed = 3;
  return simulate(spec);
}

}  // namespace

class TestLive : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

 private slots:
  void initTestCase() { QVERIFY(m_dir.isValid()); }

  // The guard's ratio on a simulated interlaced scan after 1 and 3 windows: the ground truth and
  // SIRT-100 over the whole scan (what enhancement aims at) explain the received projections
  // almost as well as the live image does; an image with an invented feature does not.
  void guardTellsInventionFromDenoising() {
    ScanSpec spec;
    spec.phantom = PhantomKind::Glass;
    spec.size = 192;
    spec.slices = 1;
    spec.acquisition = {AcquisitionOrder::Interlaced, 256, 32};
    spec.seed = 21;
    const ScanSimulator sim(spec);  // for its ground truth
    const Problem scan = simulate(spec);
    const ProjectionStack& all = scan.p;
    const double centre = sim.geometry().centre;
    LiveReconstruction full(192, 1, 192, centre), live(192, 1, 192, centre);
    full.receive(all, sim.geometry().anglesRad);
    full.update(1);
    const std::vector<float> target = full.estimate().slice(0), truth = sim.groundTruth().slice(0);
    std::vector<int> order(256);
    std::iota(order.begin(), order.end(), 0);
    for (int r = 1; r <= 3; ++r) {
      replayInWindows(live, all, sim.geometry().anglesRad, {order.data() + (r - 1) * 32, 32}, 32,
                      1);
      if (r == 2) continue;
      SliceSinogram measured;
      measured.centre = centre;
      measured.columns = 192;
      for (int p = 0; p < live.receivedCount(); ++p) {
        measured.anglesRad.push_back(live.receivedAngles()[p]);
        const std::vector<float> row = live.received().projection(p);
        measured.lineIntegrals.insert(measured.lineIntegrals.end(), row.begin(), row.end());
      }
      const std::vector<float> image = live.estimate().slice(0);
      std::vector<float> invented = target;
      for (int y = 80; y < 100; ++y)
        for (int x = 80; x < 100; ++x) invented[std::size_t(y) * 192 + x] += 0.05f;
      const double rTruth = enhancedResidualRatio(measured, truth, image, 192);
      const double rTarget = enhancedResidualRatio(measured, target, image, 192);
      const double rInvented = enhancedResidualRatio(measured, invented, image, 192);
      qInfo(
          "R %d: residual ratio of the truth %.2f, of SIRT-100 over all %.2f, of an invented "
          "feature %.2f",
          r, rTruth, rTarget, rInvented);
      QVERIFY2(rTarget < kAgreementRatio, qPrintable(QString::number(rTarget)));
      QVERIFY2(rInvented > kDisagreementRatio, qPrintable(QString::number(rInvented)));
      QCOMPARE(enhancedResidualRatio(measured, image, image, 192), 1.0);
    }
    QCOMPARE(enhancementWeight(1.0, std::nullopt), 1.0);
    QCOMPARE(enhancementWeight(kDisagreementRatio, 0.5), 0.0);
    QCOMPARE(enhancementWeight(1.0, kConvergedChange), 0.0);
    QVERIFY(enhancementWeight(1.0, 0.5 * (kConvergedChange + kMovingChange)) > 0.4);
  }

  // The held-out weight: images of two halves of the received projections judged on the half
  // they did not see. Moving to the ground truth or to SIRT-100 over the whole scan predicts the
  // unseen projections better (w near 1); an invented feature gets next to nothing, a change
  // they cannot see w = 0; overshooting the truth fourfold is best taken a quarter of the way.
  void heldOutWeightFollowsUnseenProjections() {
    ScanSpec spec;
    spec.phantom = PhantomKind::Glass;
    spec.size = 160;
    spec.slices = 1;
    spec.acquisition = {AcquisitionOrder::Interlaced, 240, 24};
    spec.seed = 22;
    const ScanSimulator sim(spec);
    const Problem scan = simulate(spec);
    const int n = 160;
    const double centre = sim.geometry().centre;
    const std::vector<double>& angles = sim.geometry().anglesRad;
    LiveReconstruction full(n, 1, n, centre);
    full.receive(scan.p, angles);
    full.update(1);
    const std::vector<float> target = full.estimate().slice(0), truth = sim.groundTruth().slice(0);
    HeldOutHalf half[2];
    for (int h = 0; h < 2; ++h) {
      std::vector<int> order;
      for (int k = h; k < 72; k += 2) order.push_back(k);  // 3 windows of 24 received
      LiveReconstruction live(n, 1, n, centre);
      replayInWindows(live, scan.p, angles, order, 12, 1);
      half[h].reconstruction = live.estimate().slice(0);
      half[h].measured = live.sinogram(0, 1000);
    }
    const auto weightFor = [&](auto enhance) {
      HeldOutHalf a = half[0], b = half[1];
      a.enhanced = enhance(a.reconstruction), b.enhanced = enhance(b.reconstruction);
      return heldOutWeight(a, b, n);
    };
    const auto towards = [](const std::vector<float>& goal, double factor) {
      return [&goal, factor](const std::vector<float>& x) {
        std::vector<float> e(x.size());
        for (std::size_t i = 0; i < x.size(); ++i) e[i] = float(x[i] + factor * (goal[i] - x[i]));
        return e;
      };
    };
    const double wTruth = weightFor(towards(truth, 1.0));
    const double wTarget = weightFor(towards(target, 1.0));
    const double wOvershoot = weightFor(towards(truth, 4.0));
    const double wInvented = weightFor([](std::vector<float> x) {
      for (int y = 60; y < 80; ++y)
        for (int c = 60; c < 80; ++c) x[std::size_t(y) * 160 + c] += 0.05f;
      return x;
    });
    const double wOutside = weightFor([](std::vector<float> x) {  // a corner, outside the circle
      x[0] += 1.0f;
      return x;
    });
    const double wNothing = weightFor([](std::vector<float> x) { return x; });
    qInfo("held-out weight: truth %.3f, SIRT-100 over all %.3f, 4× overshoot %.3f, invented %.3f",
          wTruth, wTarget, wOvershoot, wInvented);
    QVERIFY2(wTruth > 0.8, qPrintable(QString::number(wTruth)));
    QVERIFY2(wTarget > 0.8, qPrintable(QString::number(wTarget)));
    QVERIFY2(std::abs(wOvershoot - 0.25) < 0.1, qPrintable(QString::number(wOvershoot)));
    QVERIFY2(wInvented < 0.1, qPrintable(QString::number(wInvented)));
    QVERIFY2(wOutside < 0.1, qPrintable(QString::number(wOutside)));
    QCOMPARE(wNothing, 0.0);
    // Shown only beyond break-even on the unseen projections (w* = 0.5): 2w* − 1.
    QCOMPARE(enhancementWeight(1.0, std::nullopt, true, 0.3), 0.0);
    QCOMPARE(enhancementWeight(1.0, std::nullopt, true, 0.5), 0.0);
    QVERIFY(std::abs(enhancementWeight(1.0, std::nullopt, true, 0.8) - 0.6) < 1e-12);
    QCOMPARE(enhancementWeight(1.0, std::nullopt, true, 1.0), 1.0);
    // The note names the limit that sets the weight (it named "disagrees" at ratio 1.6 while the
    // held-out check had set w = 0, and "not supported" while 39 % was shown).
    QCOMPARE(enhancementLimit(1.0, std::nullopt, 1.0), std::string());
    QCOMPARE(enhancementLimit(2.3, std::nullopt, 0.9),
             std::string("disagrees with the data (residual ratio 2.30)"));
    QCOMPARE(enhancementLimit(1.6, std::nullopt, 0.9),
             std::string("partly disagrees with the data (residual ratio 1.60)"));
    QCOMPARE(enhancementLimit(1.6, std::nullopt, 0.0),
             std::string("not supported by held-out projections (w* 0.00)"));
    QCOMPARE(enhancementLimit(1.0, std::nullopt, 0.7),
             std::string("partly supported by held-out projections (w* 0.70)"));
    QCOMPARE(enhancementLimit(1.0, kConvergedChange, 1.0), std::string("converged"));
    QCOMPARE(enhancementLimit(1.0, 0.5 * (kConvergedChange + kMovingChange), 1.0),
             std::string("converging"));
    QCOMPARE(heldOutCap(wOvershoot), 0.0);  // a fourfold overshoot is not shown at all
    QVERIFY2(heldOutCap(wTruth) > 0.6 && heldOutCap(wTarget) > 0.6,
             qPrintable(QString("%1, %2").arg(heldOutCap(wTruth)).arg(heldOutCap(wTarget))));
    HeldOutHalf wrong = half[0];
    wrong.enhanced.resize(10);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, heldOutWeight(wrong, half[1], n));
  }

  // The enhancement is kept to the pixels SIRT reconstructs: with the axis 6 px left of the
  // detector's middle over a half turn, the circle's outer ring on the short side is zero (a
  // network's output there is invention); over a full turn all of the inscribed circle stays.
  void enhancementIsKeptToTheMeasuredPixels() {
    const int n = 64;
    SliceSinogram half;
    half.columns = n;
    half.centre = 0.5 * (n - 1) - 6.0;
    for (int k = 0; k < 90; ++k) half.anglesRad.push_back(k * std::numbers::pi / 90);
    SliceSinogram full = half;
    full.anglesRad.clear();
    for (int k = 0; k < 180; ++k) full.anglesRad.push_back(k * std::numbers::pi / 90);
    const std::vector<float> ones(std::size_t(n) * n, 1.0f);
    const auto count = [](const std::vector<float>& x) {
      return std::count_if(x.begin(), x.end(), [](float v) { return v != 0.0f; });
    };
    const auto kept = keptToMeasured(ones, half, n), keptFull = keptToMeasured(ones, full, n);
    std::ptrdiff_t circle = 0;
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) circle += insideFieldOfView(n, r, c);
    qInfo("kept %td (half turn), %td (full turn) of the circle's %td pixels", count(kept),
          count(keptFull), circle);
    // a circle of radius 26 px of the circle's 32: about (26/32)² of it
    QVERIFY(count(kept) > 0.6 * circle && count(kept) < 0.7 * circle);
    QCOMPARE(count(keptFull), circle);
    QCOMPARE(kept[std::size_t(n / 2) * n + n / 2], 1.0f);  // the middle stays
    QCOMPARE(kept[std::size_t(n / 2) * n + 1], 0.0f);      // the short side's edge goes
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             keptToMeasured(std::vector<float>(10), half, n));
  }

  // The air's level and spread come from the rows' edges; a lone noisy value does not widen a
  // row's shadow, an unknown (NaN) one does, a faint plateau no single ray tells from noise does
  // (a run of 8 columns above level + spread; 7 do not), a row of air has none; no level where no
  // air stands clear at the edges (noise only, a sample filling the field, a plateau far from 0).
  void airLevelAndRowShadows() {
    std::mt19937 random(11);
    std::normal_distribution<float> noise(0.0f, 0.01f);
    std::vector<float> sinogram;  // 40 rows of 200 columns: air at 0.005, a sample 60–139
    for (int p = 0; p < 40; ++p)
      for (int j = 0; j < 200; ++j)
        sinogram.push_back(
            0.005f + noise(random) +
            (j >= 60 && j < 140 ? 1.5f * float(std::sin((j - 59) * 3.14159 / 81)) : 0.0f));
    const std::optional<AirLevel> air = airLevel(sinogram, 200);
    QVERIFY(air.has_value());
    qInfo("air level %.4f, spread %.4f (0.005, 0.01)", air->level, air->spread);
    QVERIFY2(std::abs(air->level - 0.005f) < 0.003f && std::abs(air->spread - 0.01f) < 0.0025f,
             qPrintable(QString("%1 %2").arg(air->level).arg(air->spread)));
    std::vector<float> row(200, air->level);
    for (int j = 60; j < 140; ++j) row[std::size_t(j)] = 1.0f;
    row[20] = 1.0f;  // alone: noise, a zinger
    Shadow s = rowShadow(row, *air);
    QCOMPARE(s.first, 60);
    QCOMPARE(s.last, 139);
    for (int j = 150; j < 157; ++j) row[std::size_t(j)] = air->level + 2.0f * air->spread;
    QCOMPARE(rowShadow(row, *air).last, 139);  // a run of 7: not enough
    row[157] = air->level + 2.0f * air->spread;
    QCOMPARE(rowShadow(row, *air).last, 157);  // of 8: faint, below one ray's threshold
    row[195] = row[196] = std::numeric_limits<float>::quiet_NaN();  // not known: may be sample
    QCOMPARE(rowShadow(row, *air).last, 196);
    s = rowShadow(std::vector<float>(200, air->level), *air);
    QVERIFY(s.first > s.last);
    std::vector<float> noiseOnly, filled, plateau;
    for (int k = 0; k < 8000; ++k) {
      const float v = noise(random);
      noiseOnly.push_back(v);
      filled.push_back(0.8f + v + (k % 200 >= 100 ? 0.5f : 0.0f));
      plateau.push_back(k % 200 < 60 ? 0.3f + v : 2.0f + v);  // no ray below the tube's 0.3
    }
    QVERIFY(!airLevel(noiseOnly, 200));
    QVERIFY(!airLevel(filled, 200));
    QVERIFY(!airLevel(plateau, 200));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, airLevel(plateau, 300));
  }

  // The window method keeps its memory bounded on a long scan: the shadows of at most
  // kMostShadowedProjections received projections, spread over the scan (every other one let
  // go past the bound), so the support still sees every direction.
  void shadowsStayBoundedOnALongScan() {
    ScanSpec spec;
    spec.phantom = PhantomKind::Glass;
    spec.size = 48;
    spec.slices = 1;
    spec.acquisition = {AcquisitionOrder::Sequential, 2500, 2500};
    spec.sampleScale = 0.5;
    spec.seed = 4;
    const Problem pr = simulate(spec);
    std::vector<int> order(2500);
    std::iota(order.begin(), order.end(), 0);
    LiveReconstruction live(48, 1, 48, pr.geometry.centre, {.method = LiveMethod::window});
    replayInWindows(live, pr.p, pr.geometry.anglesRad, order, 100, 1);
    const SliceShadows all = live.shadows(0, 100000);
    qInfo("%zu of 2500 projections' shadows kept", all.shadows.size());
    QVERIFY(all.shadows.size() <= std::size_t(LiveReconstruction::kMostShadowedProjections));
    QVERIFY(all.shadows.size() > std::size_t(LiveReconstruction::kMostShadowedProjections / 2));
    std::vector<double> folded;
    for (const double a : all.anglesRad) folded.push_back(foldedAngle(a));
    std::sort(folded.begin(), folded.end());
    double gap = folded.front() + std::numbers::pi - folded.back();
    for (std::size_t k = 1; k < folded.size(); ++k) gap = std::max(gap, folded[k] - folded[k - 1]);
    // every direction kept: no gap above 1.1° (the earliest projections were halved most often)
    QVERIFY2(gap < 0.02, qPrintable(QString::number(gap)));
  }

  // A faint mount around a dense core (0.0006 per pixel, radius 60 px; 0.01 noise per ray), 120
  // angles: its rays 50–52 px out read 3.6–4 spreads above air, below one ray's threshold (four
  // spreads: 279 of its pixels there were given up) and found by the runs of faint columns; only
  // its outermost rim is given up (an outside probe's mount was cleared whole); the air beyond it
  // is cleared.
  void sampleSupportKeepsAFaintMount() {
    const int n = 192, angles = 120;
    std::vector<float> truth(std::size_t(n) * n, 0.0f);
    const double h = 0.5 * (n - 1);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        const double d = std::hypot(c - h, r - h);
        truth[std::size_t(r) * n + c] = d < 15 ? 0.05f : d < 60 ? 0.0006f : 0.0f;
      }
    SliceSinogram measured;
    measured.columns = n;
    measured.centre = h;
    for (int k = 0; k < angles; ++k) measured.anglesRad.push_back(k * std::numbers::pi / angles);
    const JosephProjector projector(
        ParallelGeometry{measured.anglesRad, measured.centre, measured.columns, n});
    VolumeStack image(1, n);
    image.setSlice(0, truth);
    ProjectionStack sinogram(angles, 1, n);
    std::vector<int> all(angles);
    std::iota(all.begin(), all.end(), 0);
    projector.forward(image, all, sinogram);
    std::mt19937 random(5);
    std::normal_distribution<float> noise(0.0f, 0.01f);
    for (int p = 0; p < angles; ++p)
      for (int j = 0; j < n; ++j)
        measured.lineIntegrals.push_back(sinogram.at(p, 0, j) + noise(random));
    const std::vector<float> support = sampleSupport(sliceShadows(measured), n);
    std::ptrdiff_t inner = 0, lost = 0, rim = 0, air = 0, clear = 0;
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        if (!insideFieldOfView(n, r, c)) continue;
        const std::size_t k = std::size_t(r) * n + c;
        const double d = std::hypot(c - h, r - h);
        if (d <= 52)
          ++inner, lost += support[k] < 1.0f;
        else if (truth[k] > 0.0f)
          rim += support[k] < 1.0f;
        else
          ++air, clear += support[k] == 0.0f;
      }
    qInfo(
        "%td of %td mount pixels within 52 px below full weight, %td of the rim; %td of %td "
        "air pixels cleared",
        lost, inner, rim, clear, air);
    QCOMPARE(lost, std::ptrdiff_t(0));
    QVERIFY(clear > air / 2);
  }

  // The sample's support from the received projections alone (nn/SampleSupport.h), as a live
  // session keeps them (the shadows of each window, whatever the method): a small glass sample
  // in a wide field, and the same in a tube, with rings and zingers, 1000 photons. The support
  // keeps every pixel of the sample and clears most of the air around it; a sample wider than
  // the field (no ray reads air) keeps everything.
  void sampleSupportKeepsTheSampleAndClearsTheAir_data() {
    QTest::addColumn<double>("scale");
    QTest::addColumn<double>("tube");
    QTest::addColumn<double>("truncation");
    QTest::addColumn<double>("cleared");  // the least share of the air cleared
    QTest::newRow("small sample") << 0.4 << 0.0 << 0.0 << 0.6;
    QTest::newRow("small sample in a tube") << 0.4 << 0.4 << 0.0 << 0.0;
    QTest::newRow("wider than the field") << 1.0 << 0.0 << 0.3 << 0.0;
  }
  void sampleSupportKeepsTheSampleAndClearsTheAir() {
    QFETCH(double, scale);
    QFETCH(double, tube);
    QFETCH(double, truncation);
    QFETCH(double, cleared);
    ScanSpec spec;
    spec.phantom = PhantomKind::Glass;
    spec.size = 128;
    spec.slices = 2;
    spec.acquisition = {AcquisitionOrder::Interlaced, 90, 10};
    spec.photons = 1000;
    spec.rings = 0.01;
    spec.zingers = 0.001;
    spec.sampleScale = scale;
    spec.tube = tube;
    spec.truncation = truncation;
    spec.seed = 8;
    const ScanSimulator sim(spec);
    const Problem pr = simulate(spec);
    const int n = spec.size;
    std::vector<int> order(90);
    std::iota(order.begin(), order.end(), 0);
    LiveReconstruction live(n, 2, n, pr.geometry.centre, {.method = LiveMethod::window});
    replayInWindows(live, pr.p, pr.geometry.anglesRad, order, 10, 1);
    for (int s = 0; s < 2; ++s) {
      const SliceShadows shadows = live.shadows(s, kSupportProjections);
      QCOMPARE(shadows.shadows.size(), truncation > 0 ? std::size_t(0) : std::size_t(90));
      const std::vector<float> support = sampleSupport(shadows, n);
      const std::vector<float> truth = sim.groundTruth().slice(s);
      std::ptrdiff_t sample = 0, lost = 0, air = 0, clear = 0;
      for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) {
          const std::size_t k = std::size_t(r) * n + c;
          if (!insideFieldOfView(n, r, c)) continue;
          if (truth[k] > 0.0f) {
            ++sample;
            lost += support[k] < 1.0f;
          } else {
            ++air;
            clear += support[k] == 0.0f;
          }
        }
      qInfo("slice %d: %td of %td sample pixels below full weight, %td of %td air pixels cleared",
            s, lost, sample, clear, air);
      QCOMPARE(lost, std::ptrdiff_t(0));
      QVERIFY(clear >= cleared * air);
      if (truncation > 0) QCOMPARE(clear, std::ptrdiff_t(0));
      const std::vector<float> kept = keptToSample(truth, shadows, n);
      for (std::size_t k = 0; k < kept.size(); ++k) QCOMPARE(kept[k], truth[k] * support[k]);
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             keptToSample(std::vector<float>(10), live.shadows(0, 8), n));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, live.shadows(2, 8));
  }

  // One filtered step from zero stands for K plain iterations; more steps follow the discrete
  // operator more closely.
  void filteredStepsReachSirtK() {
    const Problem pr = sheppLogan(128, 60);
    std::vector<int> all(60);
    std::iota(all.begin(), all.end(), 0);
    const JosephProjector projector(pr.geometry);
    SirtSolver plain(128, 2, {.circularMask = true});
    plain.iterate(projector, pr.p, all, 100);
    SirtSolver one(128, 2, {.circularMask = true}), five(128, 2, {.circularMask = true});
    SirtSolver few(128, 2, {.circularMask = true});
    one.iterate(projector, pr.p, all, 1, nullptr);
    five.iterate(projector, pr.p, all, 5, nullptr);
    const SirtFilter twoSteps(pr.geometry.anglesRad, 128, 128, 50.0);
    few.iterate(projector, pr.p, all, 2, &twoSteps);
    const double s1 = scoreInFieldOfView(one.estimate(), plain.estimate()).ssim;
    const double s5 = scoreInFieldOfView(five.estimate(), plain.estimate()).ssim;
    const double sf = scoreInFieldOfView(few.estimate(), plain.estimate()).ssim;
    qInfo("SSIM against SIRT-100: SIRT-1 %.3f, SIRT-5 %.3f, 2 filtered steps %.3f", s1, s5, sf);
    QVERIFY2(sf >= 0.9, qPrintable(QString::number(sf)));
    QVERIFY(sf > s5 + 0.1);
  }

  // From 1–8 projections (the first update of a small window) two filtered steps stay close to
  // SIRT-100 over them and fit the data better than an empty image: a component finer than the
  // gaps between angles gets the 1/P gain of its own projection, not an amplified step (before:
  // SSIM −0.02 from 8, residual 3.4 from 1).
  void filteredFromAHandfulOfProjections() {
    const Problem pr = sheppLogan(128, 256);
    const JosephProjector projector(pr.geometry);
    for (const int count : {1, 2, 4, 8}) {
      std::vector<int> few;  // evenly spread, as an interlaced scan's first arrivals
      for (int k = 0; k < count; ++k) few.push_back(k * 256 / count);
      std::vector<double> angles;
      for (int i : few) angles.push_back(pr.geometry.anglesRad[std::size_t(i)]);
      SirtSolver reference(128, 2, {.circularMask = true}),
          filtered(128, 2, {.circularMask = true});
      reference.iterate(projector, pr.p, few, 100);
      const SirtFilter twoSteps(angles, 128, 128, 50.0);
      // the filter indexes the projections in use: give it a stack of just those
      ProjectionStack used(count, pr.p.slices(), pr.p.columns());
      for (int k = 0; k < count; ++k)
        std::copy_n(pr.p.row(few[std::size_t(k)], 0), pr.p.projectionStride(), used.row(k, 0));
      std::vector<int> local(static_cast<std::size_t>(count), 0);
      std::iota(local.begin(), local.end(), 0);
      ParallelGeometry g = pr.geometry;
      g.anglesRad = angles;
      const JosephProjector usedProjector(g);
      filtered.iterate(usedProjector, used, local, 2, &twoSteps);
      const double ssim = scoreInFieldOfView(filtered.estimate(), reference.estimate()).ssim;
      ProjectionStack ax(count, pr.p.slices(), pr.p.columns());
      usedProjector.forward(filtered.estimate(), local, ax);
      double r = 0.0, d = 0.0;
      for (int k = 0; k < count; ++k)
        for (int s = 0; s < used.slices(); ++s)
          for (int j = 0; j < used.columns(); ++j) {
            const double e = used.at(k, s, j) - ax.at(k, s, j);
            r += e * e, d += double(used.at(k, s, j)) * used.at(k, s, j);
          }
      const double residual = std::sqrt(r / d);
      qInfo("%d projections: SSIM against SIRT-100 %.3f, residual %.3f", count, ssim, residual);
      QVERIFY2(ssim >= 0.6, qPrintable(QString::number(ssim)));  // noise-free: 0.68 from 8
      QVERIFY2(residual < 0.2, qPrintable(QString::number(residual)));
    }
  }

  // Angles crowded into a 10° wedge (the first windows of a slow sequential scan): each
  // projection's step is set by its nearest neighbours, not by the empty 170° beside the wedge's
  // two ends (those two once got steps amplified up to 50-fold: the image then fitted the data
  // worse than an empty image in a live session). Two plain SIRT steps are the bound.
  void filteredStepsOnAWedge() {
    const Problem pr = sheppLogan(64, 1800);  // 0.1° apart: the first 100 span 10°
    std::vector<int> wedge(100);
    std::iota(wedge.begin(), wedge.end(), 0);
    const JosephProjector projector(pr.geometry);
    const std::vector<double> angles(pr.geometry.anglesRad.begin(),
                                     pr.geometry.anglesRad.begin() + 100);
    const SirtFilter twoSteps(angles, 64, 64, 50.0);
    SirtSolver filtered(64, 2, {.circularMask = true}), plain(64, 2, {.circularMask = true});
    filtered.iterate(projector, pr.p, wedge, 2, &twoSteps);
    plain.iterate(projector, pr.p, wedge, 2);
    // ‖p − A·x‖ / ‖p‖ over the wedge's projections.
    const auto misfit = [&](const VolumeStack& x) {
      ProjectionStack ax(pr.p.projections(), pr.p.slices(), pr.p.columns());
      projector.forward(x, wedge, ax);
      double r = 0.0, d = 0.0;
      for (int i : wedge)
        for (int s = 0; s < pr.p.slices(); ++s)
          for (int j = 0; j < pr.p.columns(); ++j) {
            const double p = pr.p.at(i, s, j);
            r += (p - ax.at(i, s, j)) * (p - ax.at(i, s, j));
            d += p * p;
          }
      return std::sqrt(r / d);
    };
    const double f = misfit(filtered.estimate()), sirt = misfit(plain.estimate());
    qInfo("10° wedge, ‖p − Ax‖/‖p‖ after 2 steps: filtered %.3f, plain SIRT %.3f", f, sirt);
    QVERIFY2(f < sirt, qPrintable(QString("filtered %1, SIRT %2").arg(f).arg(sirt)));  // 0.213 once
  }

  void filterRejectsImpossibleParameters() {
    const std::vector<double> none, some{0.0, 1.0};
    const auto message = [](auto f) {
      try {
        f();
      } catch (const std::invalid_argument& e) {
        return QString(e.what());
      }
      return QString();
    };
    QVERIFY(message([&] { SirtFilter(none, 10, 10, 5.0); }).contains("no projections"));
    QVERIFY(message([&] { SirtFilter(some, 0, 10, 5.0); }).contains("0 columns"));
    QVERIFY(message([&] { SirtFilter(some, 10, 10, 0.5); }).contains("at least 1"));
    ProjectionStack wrong(2, 1, 11);
    QVERIFY(message([&] {
              SirtFilter(some, 10, 10, 5.0).apply(wrong, std::vector<int>{0});
            }).contains("11 columns"));
    QVERIFY(
        message([] { parseLiveMethod("fbp"); }).contains("valid: filtered, cgls, sirt, window"));
  }

  // CGLS decreases the data residual at every iteration (on the masked grid, from zero).
  void cglsResidualFalls() {
    const Problem pr = sheppLogan(96, 45);
    std::vector<int> all(45);
    std::iota(all.begin(), all.end(), 0);
    SirtSolver masks(96, 2, {.circularMask = true});
    VolumeStack x(2, 96);
    const auto history =
        cglsIterate(JosephProjector(pr.geometry), pr.p, all, 8, masks.mask(), false, x);
    QCOMPARE(int(history.size()), 8);
    for (std::size_t i = 1; i < history.size(); ++i)
      QVERIFY2(history[i].residual < history[i - 1].residual,
               qPrintable(QString("iteration %1: %2 → %3")
                              .arg(i)
                              .arg(history[i - 1].residual)
                              .arg(history[i].residual)));
  }

  // Interlaced replay of a recorded scan: a permutation whose whole rotations spread evenly.
  void interlacedReplayOrderDealsRotations() {
    std::vector<double> angles(181);
    for (int i = 0; i < 181; ++i) angles[i] = i * std::numbers::pi / 181;
    const std::vector<int> order = interlacedReplayOrder(angles, 20);
    QCOMPARE(std::set<int>(order.begin(), order.end()).size(), std::size_t(181));
    // The first rotation: every 10th sorted angle (R = 10 rotations); the second fills the middle.
    for (int k = 0; k < 19; ++k) QCOMPARE(order[k], 10 * k);
    QCOMPARE(order[19], 5);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, interlacedReplayOrder(angles, 0));
  }

  // The centre of mass finds the tooth's centre from the first 60° of its sequential scan, and
  // refuses where it would guess: a narrow wedge, a truncated field of view.
  void centreOfMassNeedsNoOpposingPair() {
    TOMOLIVE_REQUIRE_REAL_DATA();
    const PreparedScan tooth = prepareScan(readDataExchange(realDataFile("tooth.h5")));
    const std::span<const double> first60(tooth.anglesRad.data(), 60);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, estimateCentre(tooth.lineIntegrals, first60));
    const auto e = estimateCentreFromMass(tooth.lineIntegrals, first60);
    QVERIFY(e.has_value());
    QVERIFY2(std::abs(e->centre - 295.6) < 1.0, qPrintable(QString::number(e->centre)));
    QVERIFY(!estimateCentreFromMass(tooth.lineIntegrals, {tooth.anglesRad.data(), 8}));
    ProjectionStack cropped(60, tooth.lineIntegrals.slices(), 240);  // the tooth overflows it
    for (int p = 0; p < 60; ++p)
      for (int s = 0; s < cropped.slices(); ++s)
        for (int j = 0; j < 240; ++j) cropped.at(p, s, j) = tooth.lineIntegrals.at(p, s, j + 200);
    QVERIFY(!estimateCentreFromMass(cropped, first60));
    // i13's tube reaches past both edges (they absorb a quarter of the peak): no fit, and the
    // choice every reader makes is its one exact pair (−88.2°, 91.8°; the others are 2° off)
    const PreparedScan i13 = prepareScan(readDataExchange(realDataFile("i13_crop.h5"), {60, 70}));
    QVERIFY(!estimateCentreFromMass(i13.lineIntegrals, i13.anglesRad));
    const CentreEstimate chosen = chooseCentre(i13.lineIntegrals, i13.anglesRad);
    QVERIFY(!chosen.fromMass);
    QVERIFY2(std::abs(chosen.centre - 85.83) < 0.05, qPrintable(QString::number(chosen.centre)));
    // the same projections stored in another order: the same pairs, the same centre (an
    // interlaced record of i13 once gave one pair where the file gives two, 0.08 px apart)
    const std::vector<int> order = interlacedReplayOrder(i13.anglesRad, 16);
    ProjectionStack shuffled(int(order.size()), i13.lineIntegrals.slices(),
                             i13.lineIntegrals.columns());
    std::vector<double> shuffledAngles;
    for (std::size_t k = 0; k < order.size(); ++k) {
      std::copy_n(i13.lineIntegrals.row(order[k], 0), i13.lineIntegrals.projectionStride(),
                  shuffled.row(int(k), 0));
      shuffledAngles.push_back(i13.anglesRad[std::size_t(order[k])]);
    }
    QCOMPARE(chooseCentre(shuffled, shuffledAngles).centre, chosen.centre);
    QCOMPARE(estimateCentre(shuffled, shuffledAngles).centre,
             estimateCentre(i13.lineIntegrals, i13.anglesRad).centre);
    // the tooth's first 60°: no pair, so the fit; all of it: its close pairs
    QVERIFY(chooseCentre(tooth.lineIntegrals, first60).fromMass);
    QVERIFY(!chooseCentre(tooth.lineIntegrals, tooth.anglesRad).fromMass);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             chooseCentre(cropped, first60));  // neither: the pairs' reason
  }

  // The detector's edges say when the flats do not match the projections' beam, or the sample
  // is wider than the field of view (preprocess/FlatDarkCorrection.h flatFieldNote): not on the
  // tooth (air at its edges), on the tooth with flats 10 % brighter or dimmer, on i13 (a tube
  // wider than the field of view: 0.68).
  void flatFieldMismatchIsSaid() {
    TOMOLIVE_REQUIRE_REAL_DATA();
    RawScan tooth = readScan(realDataFile("tooth.h5"));
    QVERIFY2(prepareScan(tooth).flatNote.empty(), prepareScan(tooth).flatNote.c_str());
    const std::vector<float> flats = tooth.flats;
    for (const auto& [scale, says] : {std::pair{1.1, "transmit 0.91 of the flat field"},
                                      std::pair{0.9, "transmit 1.11 of the flat field"}}) {
      tooth.flats = flats;
      for (std::size_t i = 0; i < flats.size(); ++i)  // a beam brighter or dimmer at the flats
        tooth.flats[i] = float(flats[i] * scale);
      const std::string note = prepareScan(tooth).flatNote;
      QVERIFY2(note.find(says) != std::string::npos, note.c_str());
    }
    // Nor on a simulated scan whose air is noisy (30 photons: 18 % per pixel), where a median of
    // four edge columns once read 0.94.
    ScanSpec noisy;
    noisy.phantom = PhantomKind::Glass;
    noisy.size = 256;
    noisy.slices = 2;
    noisy.acquisition = {AcquisitionOrder::Sequential, 90, 90};
    noisy.photons = 30;
    noisy.seed = 3;
    const std::string path = m_dir.filePath("noisy.h5").toStdString();
    writeSimulatedScan(noisy, path);
    const std::string simulated = prepareScan(readScan(path)).flatNote;
    QVERIFY2(simulated.empty(), simulated.c_str());
    const std::string i13 = prepareScan(readScan(realDataFile("i13_crop.h5"), {60, 64})).flatNote;
    QVERIFY2(i13.find("transmit 0.68 of the flat field") != std::string::npos &&
                 i13.find("wider than the field of view") != std::string::npos,
             i13.c_str());
  }

  // A 360° scan replayed interlaced: its first windows fold their angles 9°, 4°, 2°, 1° apart, so
  // their "pairs 180° apart" are that far off; the estimate must go on until exact pairs arrive
  // (it used to settle on 8 pairs < 1° off and keep their centre to the end: W 40 0.2 px off,
  // W 24 0.16 px, and with 9° pairs, W 20, 0.11 px).
  void interlaced360ScanRefinesItsCentre_data() {
    QTest::addColumn<int>("window");
    for (int w : {20, 24, 40}) QTest::addRow("W %d", w) << w;
  }

  void interlaced360ScanRefinesItsCentre() {
    TOMOLIVE_REQUIRE_REAL_DATA();
    QFETCH(int, window);
    const RawScan tooth = readScan(realDataFile("tooth.h5"));
    const int p = tooth.projections, rows = tooth.rows, n = tooth.columns;
    const double axis = 295.6;  // the tooth's (0°/180° registration: 295.6)
    ScanToWrite full;
    full.projections = 2 * p, full.rows = rows, full.columns = n;
    full.flats = tooth.flats, full.darks = tooth.darks;
    full.dataF32 = tooth.data;
    // θ + 180°: the transmission at θ mirrored about the axis, under the same flat and dark.
    const auto mean = [&](const std::vector<float>& frames, int r, int j) {
      const std::size_t frame = std::size_t(rows) * n, count = frames.size() / frame;
      double sum = 0.0;
      for (std::size_t f = 0; f < count; ++f) sum += frames[f * frame + std::size_t(r) * n + j];
      return count ? sum / double(count) : 0.0;
    };
    for (int a = 0; a < p; ++a)
      for (int r = 0; r < rows; ++r) {
        std::vector<double> transmission(n), dark(n), range(n);
        for (int j = 0; j < n; ++j) {
          dark[j] = mean(tooth.darks, r, j), range[j] = mean(tooth.flats, r, j) - dark[j];
          transmission[j] = (tooth.data[(std::size_t(a) * rows + r) * n + j] - dark[j]) / range[j];
        }
        for (int j = 0; j < n; ++j) {
          const double x = std::clamp(2.0 * axis - j, 0.0, n - 1.0);
          const int left = std::min(int(x), n - 2);
          const double t = x - left;
          const double mirrored = (1 - t) * transmission[left] + t * transmission[left + 1];
          full.dataF32.push_back(float(mirrored * range[j] + dark[j]));
        }
      }
    for (int pass = 0; pass < 2; ++pass)
      for (double rad : tooth.thetaRad)
        full.thetaDeg.push_back(rad * 180 / std::numbers::pi + 180.0 * pass);
    const std::string path = m_dir.filePath("tooth360.h5").toStdString();
    writeDataExchange(path, full);
    StreamOptions o;
    o.window = window;
    o.iterations = 1;
    o.liveQuality = false;
    StreamingSession session(
        std::make_unique<FileReplaySource>(path, 0.0, "interlaced:" + std::to_string(window)), o);
    std::mutex mutex;
    std::vector<double> centres;
    session.onSnapshot([&](std::shared_ptr<const Snapshot> s) {
      std::lock_guard lock(mutex);
      centres.push_back(s->metrics.centre);
    });
    session.start();
    QVERIFY(session.waitFor(std::chrono::seconds(240)));
    QVERIFY2(session.summary().error.empty(), session.summary().error.c_str());
    QVERIFY(centres.size() >= 9);
    const PreparedScan prepared = prepareScan(readScan(path));
    const double offline = estimateCentre(prepared.lineIntegrals, prepared.anglesRad).centre;
    qInfo("centre at the first update %.2f, at the last %.2f; offline %.2f", centres.front(),
          centres.back(), offline);
    QVERIFY2(std::abs(centres.back() - offline) <= 0.06,
             qPrintable(QString("%1 live, %2 offline").arg(centres.back()).arg(offline)));
  }

  // A sequential scan replayed live: every update reconstructs everything received so far, the
  // centre comes from the data, and the last update equals the offline reconstruction.
  // The closing polish (LiveReconstruction::finish from the live image): on noisy scans the
  // filtered image of everything received ends below SSIM 0.95 to SIRT-100 over the same
  // projections (the texture its few clamped steps leave in the air); ten plain iterations from
  // it reach 0.96 or more. Not from zero: the live image is where it starts.
  void closingPolishTakesTheLiveImageToRecon_data() {
    QTest::addColumn<int>("phantom");
    QTest::addColumn<int>("iterations");
    QTest::newRow("glass, I 1") << int(PhantomKind::Glass) << 1;
    QTest::newRow("glass, I 3") << int(PhantomKind::Glass) << 3;
    QTest::newRow("shepp-logan, I 1") << int(PhantomKind::SheppLogan) << 1;
    QTest::newRow("shepp-logan, I 3") << int(PhantomKind::SheppLogan) << 3;
  }

  void closingPolishTakesTheLiveImageToRecon() {
    QFETCH(int, phantom);
    QFETCH(int, iterations);
    ScanSpec spec;
    spec.phantom = PhantomKind(phantom);
    spec.size = 192;
    spec.slices = 2;
    spec.acquisition = {AcquisitionOrder::Sequential, 181, 1};
    spec.photons = 300;
    spec.seed = 5;
    const Problem scan = simulate(spec);
    const int n = spec.size;
    const double centre = scan.geometry.centre;
    LiveReconstruction recon(n, 2, n, centre, {.method = LiveMethod::sirt});
    recon.receive(scan.p, scan.geometry.anglesRad);
    recon.update(100);
    const VolumeStack reference = recon.estimate();
    LiveReconstruction live(n, 2, n, centre);
    std::vector<int> order(181);
    std::iota(order.begin(), order.end(), 0);
    replayInWindows(live, scan.p, scan.geometry.anglesRad, order, 16, iterations);
    const VolumeStack before = live.estimate();
    const double ssimBefore = scoreInFieldOfView(before.slice(0), reference.slice(0), n).ssim;
    const LiveUpdate polish = live.finish(10, false);
    QCOMPARE(int(polish.history.size()), 10);
    const double ssimAfter =
        scoreInFieldOfView(live.estimate().slice(0), reference.slice(0), n).ssim;
    qInfo("SSIM to SIRT-100 over the same projections: live %.3f, polished %.3f", ssimBefore,
          ssimAfter);
    QVERIFY2(ssimBefore < 0.95, qPrintable(QString::number(ssimBefore)));  // the case it is for
    QVERIFY2(ssimAfter >= 0.96 && ssimAfter > ssimBefore + 0.02,
             qPrintable(QString::number(ssimAfter)));
    // From zero it is the finishing pass: recon's own iterations, the same image.
    live.finish(100);
    QVERIFY(scoreInFieldOfView(live.estimate().slice(0), reference.slice(0), n).ssim > 0.999);
  }

  void sequentialReplayEndsAtTheOfflineRecon_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("firstRow");
    QTest::addColumn<int>("endRow");
    QTest::newRow("tooth") << "tooth.h5" << 0 << -1;
    QTest::newRow("i13") << "i13_crop.h5" << 30 << 42;
    // a centre-of-mass fit there would put the axis 0.4 px from the pairs recon uses (the tube
    // is wider than the field of view): the session ended at SSIM 0.82 against recon
    QTest::newRow("i13, rows 60:70") << "i13_crop.h5" << 60 << 70;
    QTest::newRow("simulated glass") << "" << 0 << -1;  // the file states its centre
  }

  void sequentialReplayEndsAtTheOfflineRecon() {
    QFETCH(QString, file);
    QFETCH(int, firstRow);
    QFETCH(int, endRow);
    std::string path;
    if (file.isEmpty()) {
      ScanSpec spec;
      spec.phantom = PhantomKind::Glass;
      spec.size = 192;
      spec.slices = 4;
      spec.acquisition = {AcquisitionOrder::Sequential, 240, 240};
      spec.seed = 12;
      path = m_dir.filePath("sequential.h5").toStdString();
      writeSimulatedScan(spec, path);
    } else {
      TOMOLIVE_REQUIRE_REAL_DATA();
      path = realDataFile(file.toLatin1().constData());
    }
    StreamOptions o;
    o.window = 20;
    o.slices = {firstRow, endRow};
    o.finishIterations = 100;  // the finishing pass: what recon computes
    StreamingSession session(std::make_unique<FileReplaySource>(path, 400.0), o);
    std::mutex mutex;
    std::vector<UpdateMetrics> updates;
    session.onSnapshot([&](std::shared_ptr<const Snapshot> s) {
      std::lock_guard lock(mutex);
      if (updates.empty() || updates.back().update != s->metrics.update)
        updates.push_back(s->metrics);
    });
    session.start();
    QVERIFY(session.waitFor(std::chrono::seconds(240)));
    QVERIFY2(session.summary().error.empty(), session.summary().error.c_str());
    QVERIFY(updates.size() >= 2);
    for (const UpdateMetrics& m : updates) {
      QCOMPARE(m.method, std::string("filtered"));
      QCOMPARE(std::int64_t(m.projectionsUsed), m.consumed);  // everything received, not a wedge
    }
    FileReconOptions offlineOptions;
    offlineOptions.rows = {firstRow, endRow};
    const FileReconResult offline = reconstructFile(path, offlineOptions);
    const UpdateMetrics& last = updates.back();
    QCOMPARE(last.centreSource, std::string(file.isEmpty() ? "source" : "estimated"));
    QVERIFY2(std::abs(last.centre - offline.centre) <= 1.0,
             qPrintable(QString("%1 live, %2 offline").arg(last.centre).arg(offline.centre)));
    const VolumeStack reference =
        VolumeStack::fromSliceMajor(offline.recon.volume, offline.recon.slices, offline.recon.size);
    const double s = scoreInFieldOfView(*session.latest()->volume, reference).ssim;
    qInfo("%s: %zu updates, centre %.2f (offline %.2f), SSIM to the offline SIRT-100 %.3f",
          qPrintable(file.isEmpty() ? "simulated" : file), updates.size(), last.centre,
          offline.centre, s);
    QVERIFY2(s >= 0.95, qPrintable(QString::number(s)));
  }

  // The window method keeps only its newest window, but its centre is estimated from every
  // projection received, as recon's is (it stayed at the detector middle on i13, 6 px off, and
  // swung between its windows' loose pairs).
  void windowMethodCentreUsesEverythingReceived() {
    TOMOLIVE_REQUIRE_REAL_DATA();
    const std::string path = realDataFile("i13_crop.h5");
    StreamOptions o;
    o.window = 8;
    o.method = LiveMethod::window;
    o.slices = {30, 42};
    o.qualityMetrics = false;
    StreamingSession session(std::make_unique<FileReplaySource>(path, 0.0, "interlaced:8"), o);
    session.start();
    QVERIFY(session.waitFor(std::chrono::seconds(120)));
    const UpdateMetrics& last = session.latest()->metrics;
    FileReconOptions offline;
    offline.rows = {30, 42};
    const double recon = reconstructFile(path, offline).centre;
    QCOMPARE(last.centreSource, std::string("estimated"));
    QVERIFY2(std::abs(last.centre - recon) < 0.01,
             qPrintable(QString("%1 live, %2 recon").arg(last.centre).arg(recon)));
  }

  // After a third of an interlaced real scan, the default method is closer than the seed's to what
  // the received projections allow (SIRT-100 over them) and to the full scan, and on the sample
  // alone it already looks like SIRT-100 at I = 1. The live image's target, SSIM ≥ 0.85 over the
  // whole field of view against SIRT-100 over the received projections at the console's default
  // settings: there I is chosen for the time each window leaves (`auto`; the tooth at its
  // 15 proj/s gets I = 7–8 on the 2-core development machine); asserted here at I = 3, the
  // least that reaches it on the tooth, so that a slow machine cannot make the test pass or fail.
  void aThirdOfARealScanIsCloseToConverged_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("window");
    QTest::addColumn<int>("firstRow");
    QTest::addColumn<int>("endRow");
    QTest::newRow("tooth W=20") << "tooth.h5" << 20 << 0 << -1;
    QTest::newRow("i13 W=16") << "i13_crop.h5" << 16 << 30 << 42;
  }

  void aThirdOfARealScanIsCloseToConverged() {
    TOMOLIVE_REQUIRE_REAL_DATA();
    QFETCH(QString, file);
    QFETCH(int, window);
    QFETCH(int, firstRow);
    QFETCH(int, endRow);
    MethodComparisonOptions o;
    o.path = realDataFile(file.toLatin1().constData());
    o.rows = {firstRow, endRow};
    o.window = window;
    o.candidates = parseMethodCandidates("filtered:1,window:1,filtered:3");
    const MethodComparison r = compareLiveMethods(o);
    QCOMPARE(r.scores.size(), std::size_t(3));
    const MethodScore& filtered = r.scores[0];
    const MethodScore& seed = r.scores[1];
    const MethodScore& more = r.scores[2];
    qInfo(
        "%s: filtered SSIM %.3f (sample %.3f) vs converged, %.3f vs full; I = 3: %.3f; "
        "window %.3f, %.3f; the sample covers %.0f %% of the field of view",
        qPrintable(file), filtered.ssimReceived, filtered.ssimSampleReceived, filtered.ssimFull,
        more.ssimReceived, seed.ssimReceived, seed.ssimFull, 100.0 * r.sampleShare);
    // Always: closer than the seed's sliding window to both references.
    QVERIFY(filtered.ssimReceived >= seed.ssimReceived);
    QVERIFY(filtered.ssimFull >= seed.ssimFull);
    QVERIFY(filtered.ssimSampleReceived >= seed.ssimSampleReceived);
    // i13's rows 30–42 hold no sample: the "sample" windows there are the brighter part of the
    // field's texture (SIRT's answer to line integrals that never fall to zero at the detector's
    // edges; docs/quality.md), on which the filtered image scores 0.66.
    if (file == "i13_crop.h5")
      QEXPECT_FAIL("",
                   "known: i13's rows 30-42 hold no sample; the sample score there measures the "
                   "field's texture (docs/quality.md)",
                   Continue);
    QVERIFY2(filtered.ssimSampleReceived >= 0.95,
             qPrintable(QString::number(filtered.ssimSampleReceived)));
    QVERIFY2(more.ssimReceived >= 0.85, qPrintable(QString::number(more.ssimReceived)));
  }
};

QTEST_GUILESS_MAIN(TestLive)
#include "test_live.moc"
