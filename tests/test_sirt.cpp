// SIRT: residual decreases monotonically, converges to the phantom, honours the mask,
// non-negativity and warm start, and works on windows (subsets of projections).
#include <QTest>

#include <cmath>
#include <numbers>
#include <numeric>

#include "metrics/ImageMetrics.h"
#include "projector/JosephProjector.h"
#include "sim/Phantom.h"
#include "sirt/SirtSolver.h"

using namespace tomolive;

namespace {

std::vector<double> evenAngles(int count) {
  std::vector<double> a(count);
  for (int i = 0; i < count; ++i) a[i] = i * std::numbers::pi / count;
  return a;
}

std::vector<int> range(int count) {
  std::vector<int> v(count);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

}  // namespace

class TestSirt : public QObject {
  Q_OBJECT

 private slots:
  // Shepp–Logan 256², 180 angles, noise-free, 100 iterations → SSIM ≥ 0.90, with the weighted
  // residual (the quantity SIRT minimises) decreasing at every iteration.
  void sheppLoganConverges() {
    const int n = 256, angles = 180;
    const VolumeStack phantom = makePhantom(PhantomKind::SheppLogan, n, 1, 0);
    const JosephProjector projector(ParallelGeometry::make(evenAngles(angles), 0.5 * (n - 1), n));
    ProjectionStack sinogram(angles, 1, n);
    const std::vector<int> all = range(angles);
    projector.forward(phantom, all, sinogram);

    SirtSolver solver(n, 1, {.circularMask = true});
    const auto history = solver.iterate(projector, sinogram, all, 100);
    QCOMPARE(int(history.size()), 100);
    for (std::size_t i = 1; i < history.size(); ++i)
      QVERIFY2(history[i].weightedResidual <= history[i - 1].weightedResidual * (1 + 1e-9),
               qPrintable(QString("iteration %1: residual %2 > %3")
                              .arg(i)
                              .arg(history[i].weightedResidual)
                              .arg(history[i - 1].weightedResidual)));
    QVERIFY(history.back().weightedResidual < 0.05 * history.front().weightedResidual);
    const double s = ssimVolume(solver.estimate(), phantom);
    QVERIFY2(s >= 0.90, qPrintable(QString("SSIM %1 < 0.90").arg(s)));
  }

  // Warm start: 2 × 10 iterations give the same image as 20 in one call.
  void warmStartContinues() {
    const int n = 64, angles = 60;
    const VolumeStack phantom = makePhantom(PhantomKind::SheppLogan, n, 3, 0);
    const JosephProjector projector(ParallelGeometry::make(evenAngles(angles), 31.5, n));
    ProjectionStack sinogram(angles, 3, n);
    const std::vector<int> all = range(angles);
    projector.forward(phantom, all, sinogram);
    SirtSolver once(n, 3), twice(n, 3);
    once.iterate(projector, sinogram, all, 20);
    twice.iterate(projector, sinogram, all, 10);
    const auto second = twice.iterate(projector, sinogram, all, 10);
    QCOMPARE(int(second.size()), 10);
    const auto a = once.estimate().toSliceMajor(), b = twice.estimate().toSliceMajor();
    for (std::size_t i = 0; i < a.size(); ++i) QVERIFY(std::abs(a[i] - b[i]) < 1e-5f);
  }

  // On a grid whose slice groups go by tiles (760² × 16 slices, 37 MB), each step but the last
  // of a call is fused with the next iteration's forward projection: 3 iterations in one call give
  // what 3 calls of one give (no fusion), image and residuals, to float rounding.
  void fusedStepsIterateAsSeparateOnes() {
    const int n = 760, slices = 16, angles = 24;
    const VolumeStack phantom = makePhantom(PhantomKind::SheppLogan, n, slices, 0);
    const JosephProjector projector(ParallelGeometry::make(evenAngles(angles), 0.5 * (n - 1), n));
    ProjectionStack sinogram(angles, slices, n);
    const std::vector<int> all = range(angles);
    projector.forward(phantom, all, sinogram);
    SirtSolver fused(n, slices), separate(n, slices);
    const auto history = fused.iterate(projector, sinogram, all, 3);
    std::vector<SirtIteration> steps;
    for (int i = 0; i < 3; ++i) steps.push_back(separate.iterate(projector, sinogram, all, 1)[0]);
    QCOMPARE(int(history.size()), 3);
    for (int i = 0; i < 3; ++i)
      QVERIFY2(std::abs(history[i].weightedResidual - steps[i].weightedResidual) <=
                   1e-5 * steps[i].weightedResidual,
               qPrintable(QString("iteration %1: %2 vs %3")
                              .arg(i)
                              .arg(history[i].weightedResidual)
                              .arg(steps[i].weightedResidual)));
    const auto a = fused.estimate().raw(), b = separate.estimate().raw();
    float scale = 0.0f;
    for (float v : b) scale = std::max(scale, std::abs(v));
    for (std::size_t i = 0; i < a.size(); ++i) QVERIFY(std::abs(a[i] - b[i]) <= 1e-5f * scale);
  }

  // Windows: iterating over interlaced subsets improves the image as more windows are used,
  // and every slice lane is reconstructed independently (slices differ, results differ).
  void windowsSharpenTheImage() {
    const int n = 96, slices = 5, windowSize = 16, windows = 6;
    const VolumeStack phantom = makePhantom(PhantomKind::SheppLogan, n, slices, 0);
    std::vector<double> angles;
    for (int w = 0; w < windows; ++w)
      for (int k = 0; k < windowSize; ++k)
        angles.push_back((k + double(w) / windows) * std::numbers::pi / windowSize);
    const JosephProjector projector(ParallelGeometry::make(angles, 0.5 * (n - 1), n));
    ProjectionStack sinogram(int(angles.size()), slices, n);
    projector.forward(phantom, range(int(angles.size())), sinogram);
    SirtSolver solver(n, slices, {.circularMask = true});
    std::vector<double> quality;
    std::vector<int> seen;
    for (int w = 0; w < windows; ++w) {
      std::vector<int> window(windowSize);
      std::iota(window.begin(), window.end(), w * windowSize);
      seen.insert(seen.end(), window.begin(), window.end());
      solver.iterate(projector, sinogram, seen, 5);
      quality.push_back(ssimVolume(solver.estimate(), phantom));
    }
    QVERIFY2(quality.back() > quality.front() + 0.05,
             qPrintable(QString("SSIM %1 after one window, %2 after all")
                            .arg(quality.front())
                            .arg(quality.back())));
  }

  void maskAndNonNegativity() {
    const int n = 64;
    const JosephProjector projector(ParallelGeometry::make(evenAngles(30), 31.5, n));
    ProjectionStack sinogram(30, 1, n);
    for (int p = 0; p < 30; ++p)
      for (int j = 0; j < n; ++j)
        sinogram.at(p, 0, j) = (j % 7) - 3.0f;  // inconsistent, partly negative
    SirtSolver solver(n, 1, {.circularMask = true, .nonNegative = true});
    solver.iterate(projector, sinogram, range(30), 10);
    bool anyPositive = false;
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        const float v = solver.estimate().at(0, r, c);
        QVERIFY(v >= 0.0f);
        QVERIFY(std::isfinite(v));
        anyPositive |= v > 0.0f;
        const double dx = c - 31.5, dy = r - 31.5;
        if (dx * dx + dy * dy > 33.0 * 33.0) QCOMPARE(v, 0.0f);
      }
    QVERIFY(anyPositive);
  }

  // What the projections measure every line of: the inscribed circle for a centred axis; with
  // the axis 10 px off the middle of a 64-column detector, a half-turn scan leaves the ring beyond
  // the short side's reach (22 px) alone, and SIRT keeps it at zero, while a full turn measures
  // every line out to the circle (from the long side half a turn later).
  void reconstructsOnlyWhatIsMeasured() {
    const int n = 64;
    QVERIFY(!coversFullTurn(evenAngles(180)));  // 0 … 179° (evenAngles spans half a turn)
    std::vector<double> turn(360), sparse(8);
    for (int i = 0; i < 360; ++i) turn[std::size_t(i)] = i * std::numbers::pi / 180.0;
    for (int i = 0; i < 8; ++i) sparse[std::size_t(i)] = i * std::numbers::pi / 4.0;
    QVERIFY(coversFullTurn(turn));
    QVERIFY(!coversFullTurn(sparse));  // 45° gaps
    const std::vector<float> centred = seenByEveryProjection(n, 31.5, n);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c)
        QCOMPARE(centred[std::size_t(r) * n + c], insideFieldOfView(n, r, c) ? 1.0f : 0.0f);
    const double axis = 21.5;  // 10 px left of the middle: reach 22 px left, 42 px right
    const std::vector<float> half = seenByEveryProjection(n, axis, n),
                             full = seenByEveryProjection(n, axis, n, true);
    const std::size_t ring = std::size_t(31) * n + 31 + 27;  // 27 px right of the grid's centre
    QCOMPARE(half[ring], 0.0f);
    QCOMPARE(full[ring], 1.0f);
    QCOMPARE(half[std::size_t(31) * n + 31 + 20], 1.0f);
    ProjectionStack sinogram(180, 1, n);
    for (int p = 0; p < 180; ++p)
      for (int j = 0; j < n; ++j) sinogram.at(p, 0, j) = 1.0f;  // inconsistent everywhere
    const JosephProjector projector(ParallelGeometry::make(evenAngles(180), axis, n));
    SirtSolver solver(n, 1, {.circularMask = true});
    solver.iterate(projector, sinogram, range(180), 5);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c)
        if (half[std::size_t(r) * n + c] == 0.0f) QCOMPARE(solver.estimate().at(0, r, c), 0.0f);
  }

  void rejectsBadParameters() {
    const JosephProjector projector(ParallelGeometry::make(evenAngles(10), 15.5, 32));
    SirtSolver solver(32, 2);
    ProjectionStack wrongSlices(10, 3, 32);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             solver.iterate(projector, wrongSlices, range(10), 1));
    ProjectionStack p(10, 2, 32);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, solver.iterate(projector, p, range(10), -1));
  }
};

QTEST_APPLESS_MAIN(TestSirt)
#include "test_sirt.moc"
