// The CUDA Joseph kernels' per-thread arithmetic (engine/gpu/JosephDevice.h), run on the host:
// one call per (ray, slice) for the forward projector and per (pixel, slice) for the back
// projector, exactly as the kernels launch them. They must agree with the CPU projector and be
// each other's adjoint — checked here on every machine, GPU or not (test_gpu runs the real
// kernels where a GPU answers).
#include <QTest>

#include <cmath>
#include <numbers>
#include <numeric>
#include <random>

#include "backend/JosephWindow.h"
#include "gpu/JosephDevice.h"
#include "projector/JosephProjector.h"
#include "RandomStacks.h"

using namespace tomolive;
using tomolive::testing::randomProjections;
using tomolive::testing::randomVolume;

namespace {

// Angles in any order and range, with the cases where the principal axis flips.
std::vector<double> testAngles(int count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> angle(-std::numbers::pi, 2 * std::numbers::pi);
  std::vector<double> a(count);
  for (double& v : a) v = angle(rng);
  const double pi = std::numbers::pi;
  const double special[] = {0.0, pi / 2, pi / 4, 3 * pi / 4, pi / 4 + 1e-12, pi / 4 - 1e-12, pi,
                            -pi / 4};
  for (std::size_t i = 0; i < std::size(special) && i < a.size(); ++i) a[i] = special[i];
  return a;
}

// The forward kernel, one thread at a time.
void emulatedForward(const gpu::JosephWindow& w, const VolumeStack& x, ProjectionStack& y) {
  const int n = w.gridSize;
  for (int p = 0; p < int(w.projections.size()); ++p)
    for (int s = 0; s < x.slices(); ++s)
      for (int j = 0; j < w.columns; ++j)
        y.at(p, s, j) = gpu::joseph::forwardRay(
            w.projections[p], w.rayBegin.data() + p * n, w.rayEnd.data() + p * n, n, j,
            [&](int pixel) { return x.at(s, pixel / n, pixel % n); });
}

// The back kernel, one thread at a time.
void emulatedBack(const gpu::JosephWindow& w, const ProjectionStack& y, VolumeStack& x) {
  const int n = w.gridSize;
  for (int s = 0; s < x.slices(); ++s)
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        float sum = 0.0f;
        for (int p = 0; p < int(w.projections.size()); ++p) {
          const gpu::JosephProjection& proj = w.projections[p];
          const int line = proj.alongColumns ? c : r, k = proj.alongColumns ? r : c;
          sum += gpu::joseph::backPixel(proj, w.rayBegin.data() + p * n, w.rayEnd.data() + p * n,
                                        line, k, [&](int j) { return y.at(p, s, j); });
        }
        x.at(s, r, c) = sum;
      }
}

double maxAbs(std::span<const float> v) {
  double m = 0;
  for (float f : v) m = std::max(m, double(std::abs(f)));
  return m;
}

}  // namespace

class TestGpuMath : public QObject {
  Q_OBJECT

 private slots:
  void matchesCpuProjector_data() {
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("columns");
    QTest::addColumn<int>("slices");
    QTest::addColumn<double>("centreOffset");
    QTest::addColumn<int>("angles");
    QTest::newRow("even 64, 1 slice, centred") << 64 << 64 << 1 << 0.0 << 37;
    QTest::newRow("odd 63, 5 slices, off-centre") << 63 << 63 << 5 << 3.7 << 40;
    QTest::newRow("odd 81, 9 slices, wide detector") << 81 << 101 << 9 << -2.25 << 33;
    QTest::newRow("even 40, 17 slices, narrow detector") << 40 << 31 << 17 << 1.5 << 24;
  }

  // Forward and back agree with the CPU Joseph projector to float rounding.
  void matchesCpuProjector() {
    QFETCH(int, size);
    QFETCH(int, columns);
    QFETCH(int, slices);
    QFETCH(double, centreOffset);
    QFETCH(int, angles);
    ParallelGeometry g;
    g.anglesRad = testAngles(angles, 11);
    g.centre = 0.5 * (columns - 1) + centreOffset;
    g.columns = columns;
    g.gridSize = size;
    const JosephProjector cpu(g);
    std::vector<int> all(angles);
    std::iota(all.begin(), all.end(), 0);
    const gpu::JosephWindow window = traceJosephWindow(g, all);

    const VolumeStack x = randomVolume(slices, size, 3);
    ProjectionStack expected(angles, slices, columns), emulated(angles, slices, columns);
    cpu.forward(x, all, expected);
    emulatedForward(window, x, emulated);
    const double scale = maxAbs(expected.raw());
    QVERIFY(scale > 1.0);
    for (std::size_t i = 0; i < expected.raw().size(); ++i)
      QVERIFY2(std::abs(expected.raw()[i] - emulated.raw()[i]) <= 2e-6 * scale,
               qPrintable(QString("forward value %1: CPU %2, GPU arithmetic %3")
                              .arg(i)
                              .arg(expected.raw()[i])
                              .arg(emulated.raw()[i])));

    const ProjectionStack y = randomProjections(angles, slices, columns, 5);
    VolumeStack backExpected(slices, size), backEmulated(slices, size);
    cpu.back(y, all, backExpected);
    emulatedBack(window, y, backEmulated);
    const double backScale = maxAbs(backExpected.raw());
    QVERIFY(backScale > 1.0);
    for (std::size_t i = 0; i < backExpected.raw().size(); ++i)
      QVERIFY2(std::abs(backExpected.raw()[i] - backEmulated.raw()[i]) <= 2e-6 * backScale,
               qPrintable(QString("back value %1: CPU %2, GPU arithmetic %3")
                              .arg(i)
                              .arg(backExpected.raw()[i])
                              .arg(backEmulated.raw()[i])));
  }

  // The kernels' threads themselves (forwardThread / backThread, with their stack addressing and
  // lane vectors), run over real stacks for every lane width: equal to the CPU projector.
  void kernelThreadsMatchCpuProjector_data() {
    QTest::addColumn<int>("slices");
    QTest::newRow("3 slices: 4 lanes") << 3;
    QTest::newRow("7 slices: 8 lanes") << 7;
    QTest::newRow("16 slices: 16 lanes") << 16;
    QTest::newRow("37 slices: 3 groups of 16") << 37;
  }

  void kernelThreadsMatchCpuProjector() {
    QFETCH(int, slices);
    ParallelGeometry g;
    g.anglesRad = testAngles(30, 5);
    g.columns = 45;
    g.gridSize = 41;
    g.centre = 22.6;
    const std::vector<int> window{29, 0, 7, 1, 2, 18};
    const int count = int(window.size());
    const gpu::JosephWindow w = traceJosephWindow(g, window);
    const JosephProjector cpu(g);
    const VolumeStack x = randomVolume(slices, g.gridSize, 12);
    const int lanes = x.lanes(), groups = x.groups();
    const gpu::joseph::StackGeometry sg{w.projections.data(), w.rayBegin.data(), w.rayEnd.data(),
                                        g.gridSize, g.columns, lanes, groups};

    // Forward: one thread per (projection, group, ray) writing the window's projection stack.
    ProjectionStack expected(30, slices, g.columns), gpuY(count, slices, g.columns);
    cpu.forward(x, window, expected);
    const auto forward = [&]<int L>() {
      for (int p = 0; p < count; ++p)
        for (int group = 0; group < groups; ++group)
          for (int j = 0; j < g.columns; ++j)
            gpu::joseph::storeLanes<L>(
                gpuY.raw().data() + gpu::joseph::rayOffset(sg, p, group, j),
                gpu::joseph::forwardThread<L>(sg, x.raw().data(), p, group, j));
    };
    lanes == 4 ? forward.template operator()<4>()
    : lanes == 8 ? forward.template operator()<8>()
                 : forward.template operator()<16>();
    double scale = 0, worst = 0;
    for (int i = 0; i < count; ++i)
      for (int s = 0; s < slices; ++s)
        for (int j = 0; j < g.columns; ++j) {
          scale = std::max(scale, double(std::abs(expected.at(window[i], s, j))));
          worst = std::max(worst, double(std::abs(expected.at(window[i], s, j) - gpuY.at(i, s, j))));
        }
    QVERIFY(scale > 1.0);
    QVERIFY2(worst <= 2e-6 * scale, qPrintable(QString("forward: %1 of %2").arg(worst).arg(scale)));

    // Back: one thread per (group, pixel) over the window's projections.
    ProjectionStack y = randomProjections(30, slices, g.columns, 13);
    ProjectionStack windowY(count, slices, g.columns);
    for (int i = 0; i < count; ++i) windowY.setProjection(i, y.projection(window[i]));
    VolumeStack backExpected(slices, g.gridSize), gpuX(slices, g.gridSize);
    cpu.back(y, window, backExpected);
    const auto back = [&]<int L>() {
      for (int group = 0; group < groups; ++group)
        for (int pixel = 0; pixel < g.gridSize * g.gridSize; ++pixel)
          gpu::joseph::storeLanes<L>(
              gpuX.raw().data() + gpu::joseph::pixelOffset(sg, group, pixel),
              gpu::joseph::backThread<L>(sg, count, windowY.raw().data(), group, pixel));
    };
    lanes == 4 ? back.template operator()<4>()
    : lanes == 8 ? back.template operator()<8>()
                 : back.template operator()<16>();
    QVERIFY2(maxAbs(gpuX.raw()) > 1.0, "nothing back-projected");
    double backWorst = 0;
    for (std::size_t i = 0; i < gpuX.raw().size(); ++i)
      backWorst = std::max(backWorst, double(std::abs(gpuX.raw()[i] - backExpected.raw()[i])));
    QVERIFY2(backWorst <= 2e-6 * maxAbs(backExpected.raw()),
             qPrintable(QString("back: %1").arg(backWorst)));
  }

  // ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ for the GPU pair on a window of a larger scan (indices out of order).
  void emulatedPairIsAdjoint() {
    ParallelGeometry g;
    g.anglesRad = testAngles(60, 21);
    g.columns = 57;
    g.gridSize = 57;
    g.centre = 29.3;
    const std::vector<int> subset{41, 3, 17, 0, 59, 2, 33};
    const gpu::JosephWindow window = traceJosephWindow(g, subset);
    const int count = int(subset.size());
    const VolumeStack x = randomVolume(3, g.gridSize, 8);
    const ProjectionStack y = randomProjections(count, 3, g.columns, 9);
    ProjectionStack ax(count, 3, g.columns);
    VolumeStack aty(3, g.gridSize);
    emulatedForward(window, x, ax);
    emulatedBack(window, y, aty);
    double left = 0, right = 0;
    for (int p = 0; p < count; ++p)
      for (int s = 0; s < 3; ++s)
        for (int j = 0; j < g.columns; ++j) left += double(ax.at(p, s, j)) * y.at(p, s, j);
    for (int s = 0; s < 3; ++s)
      for (int r = 0; r < g.gridSize; ++r)
        for (int c = 0; c < g.gridSize; ++c) right += double(x.at(s, r, c)) * aty.at(s, r, c);
    QVERIFY2(std::abs(left - right) <= 1e-5 * std::abs(left),
             qPrintable(QString("<Ax,y> %1 vs <x,Aty> %2").arg(left, 0, 'g', 12).arg(right, 0, 'g', 12)));
  }

  // The back projector's five candidate rays per pixel and line cover every ray the forward
  // projector scatters to that pixel, at every slope |alpha| ∈ [1, √2].
  void backCandidatesCoverEveryRay() {
    const int n = 33;
    for (double theta = 0.0; theta < std::numbers::pi; theta += std::numbers::pi / 97) {
      ParallelGeometry g;
      g.anglesRad = {theta};
      g.columns = n;
      g.gridSize = n;
      g.centre = 16.4;
      const gpu::JosephWindow w = traceJosephWindow(g, std::vector<int>{0});
      const gpu::JosephProjection& p = w.projections[0];
      for (int line = 0; line < n; ++line) {
        // Every (ray, pixel) pair the forward projector touches, with its weight…
        std::vector<double> scattered(n, 0.0);
        for (int j = w.rayBegin[line]; j < w.rayEnd[line]; ++j) {
          const auto s = gpu::joseph::sample(p, line, j);
          if (s.k >= 0 && s.k < n) scattered[s.k] += (1.0 - s.w) * (j + 1);
          if (s.k + 1 >= 0 && s.k + 1 < n) scattered[s.k + 1] += s.w * (j + 1);
        }
        // …is what the back projector gathers for that pixel (ray j carries the value j + 1).
        for (int k = 0; k < n; ++k) {
          const float gathered = gpu::joseph::backPixel(
              p, w.rayBegin.data(), w.rayEnd.data(), line, k, [](int j) { return float(j + 1); });
          QVERIFY2(std::abs(gathered - p.weight * scattered[k]) <= 1e-4 * (1 + scattered[k]),
                   qPrintable(QString("θ %1 line %2 pixel %3: gathered %4, scattered %5")
                                  .arg(theta)
                                  .arg(line)
                                  .arg(k)
                                  .arg(gathered)
                                  .arg(p.weight * scattered[k])));
        }
      }
    }
  }
};

QTEST_GUILESS_MAIN(TestGpuMath)
#include "test_gpu_math.moc"
