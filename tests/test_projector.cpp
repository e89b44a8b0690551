// Joseph projector: exact adjoint, agreement with the plain scalar loop, every lane width,
// odd and even grids, off-centre axis, unordered angles, window subsets, shape errors; the
// across-rays kernels for few slices in every variant this CPU runs.
#include <QTest>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <numeric>
#include <random>
#include <string>

#include "RandomStacks.h"
#include "projector/JosephProjector.h"
#include "projector/ReferenceJoseph.h"

using namespace tomolive;
using tomolive::testing::randomProjections;
using tomolive::testing::randomVolume;

namespace {

std::vector<double> shuffledAngles(int count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> angle(-std::numbers::pi, 2 * std::numbers::pi);
  std::vector<double> a(count);
  for (double& v : a) v = angle(rng);
  a[0] = 0.0;  // exact axis-aligned cases, where the principal axis flips
  if (count > 1) a[1] = std::numbers::pi / 2;
  if (count > 2) a[2] = std::numbers::pi / 4;
  return a;
}

double dotVolumes(const VolumeStack& a, const VolumeStack& b) {
  double sum = 0;
  for (int s = 0; s < a.slices(); ++s)
    for (int r = 0; r < a.gridSize(); ++r)
      for (int c = 0; c < a.gridSize(); ++c) sum += double(a.at(s, r, c)) * b.at(s, r, c);
  return sum;
}

double dotProjections(const ProjectionStack& a, const ProjectionStack& b,
                      const std::vector<int>& window) {
  double sum = 0;
  for (int p : window)
    for (int s = 0; s < a.slices(); ++s)
      for (int c = 0; c < a.columns(); ++c) sum += double(a.at(p, s, c)) * b.at(p, s, c);
  return sum;
}

// <A x, y> = <x, Aᵀ y> to 1e-5 relative for random non-negative x and y (so neither side is
// a near-cancelling sum), on the whole set and on an unordered window subset.
void checkAdjoint(const JosephProjector& projector, int slices) {
  const ParallelGeometry& g = projector.geometry();
  const int size = g.gridSize, columns = g.columns, angles = g.projections();
  const VolumeStack x = randomVolume(slices, size, 1);
  const ProjectionStack y = randomProjections(angles, slices, columns, 2);

  std::vector<int> all(angles);
  std::iota(all.begin(), all.end(), 0);
  std::vector<int> window;
  for (int p = angles - 1; p >= 0; p -= 3) window.push_back(p);  // unordered subset

  for (const auto& subset : {all, window}) {
    ProjectionStack ax(angles, slices, columns);
    projector.forward(x, subset, ax);
    VolumeStack aty(slices, size);
    projector.back(y, subset, aty);
    const double lhs = dotProjections(ax, y, subset), rhs = dotVolumes(x, aty);
    const double scale = std::max(std::abs(lhs), std::abs(rhs));
    QVERIFY2(std::abs(lhs - rhs) <= 1e-5 * scale,
             qPrintable(QString("%1: <Ax,y> = %2, <x,Aty> = %3, relative gap %4")
                            .arg(QString::fromStdString(projector.name()))
                            .arg(lhs, 0, 'g', 12)
                            .arg(rhs, 0, 'g', 12)
                            .arg(std::abs(lhs - rhs) / scale)));
  }
}

// Every slice gives what the scalar, per-slice reference loop gives, forward and back.
void checkMatchesReferenceLoop(const JosephProjector& projector, int slices) {
  const ParallelGeometry& g = projector.geometry();
  const int n = g.gridSize, columns = g.columns, angles = g.projections();
  const VolumeStack x = randomVolume(slices, n, 3);
  std::vector<int> all(angles);
  std::iota(all.begin(), all.end(), 0);
  ProjectionStack ax(angles, slices, columns);
  projector.forward(x, all, ax);
  const ProjectionStack y = randomProjections(angles, slices, columns, 4);
  VolumeStack aty(slices, n);
  projector.back(y, all, aty);

  for (int s = 0; s < slices; ++s) {
    const std::vector<float> slice = x.slice(s);
    std::vector<float> back(std::size_t(n) * n, 0.0f);
    for (int p = 0; p < angles; ++p) {
      const std::vector<float> ref = referenceForward(g, slice, p);
      for (int j = 0; j < columns; ++j)
        QVERIFY2(std::abs(ref[j] - ax.at(p, s, j)) < 2e-4f * (1.0f + std::abs(ref[j])),
                 qPrintable(QString("%1: slice %2 projection %3 column %4: %5 vs reference %6")
                                .arg(QString::fromStdString(projector.name()))
                                .arg(s)
                                .arg(p)
                                .arg(j)
                                .arg(ax.at(p, s, j))
                                .arg(ref[j])));
      std::vector<float> row(columns);
      for (int j = 0; j < columns; ++j) row[j] = y.at(p, s, j);
      referenceBackAdd(g, row, p, back);
    }
    const std::vector<float> fast = aty.slice(s);
    for (std::size_t i = 0; i < back.size(); ++i)
      QVERIFY2(std::abs(back[i] - fast[i]) < 2e-4f * (1.0f + std::abs(back[i])),
               qPrintable(QString("%1: slice %2 pixel %3: %4 vs reference %5")
                              .arg(QString::fromStdString(projector.name()))
                              .arg(s)
                              .arg(i)
                              .arg(fast[i])
                              .arg(back[i])));
  }
}

// Each instruction set's preferred kernels, then every across-rays variant applied to every
// group thinner than a vector (1, 2, 4 and 8 packed slices), for the sets this CPU runs.
struct KernelVariant {
  QString name;
  joseph::KernelSet kernels;
};

// One instruction set's kernels: its preferred set, and the set for a given across-rays choice.
struct IsaKernels {
  joseph::KernelSet (*preferred)();
  joseph::KernelSet (*withChoice)(joseph::AcrossRays);
};
constexpr IsaKernels kAvx512{&joseph::avx512::kernels, &joseph::avx512::kernels};
constexpr IsaKernels kAvx2{&joseph::avx2::kernels, &joseph::avx2::kernels};
constexpr IsaKernels kBaseline{&joseph::baseline::kernels, &joseph::baseline::kernels};

std::vector<KernelVariant> kernelVariants(const IsaKernels& isa) {
  const auto preferred = isa.preferred();
  std::vector<KernelVariant> variants{{QString(preferred.isa) + " preferred", preferred}};
  for (bool windowGather : {false, true})
    for (bool gatherBack : {false, true}) {
      const joseph::AcrossRays choice{windowGather, gatherBack};
      variants.push_back({QString("%1 %2 loads, %3 back")
                              .arg(preferred.isa)
                              .arg(windowGather ? "window" : "element")
                              .arg(gatherBack ? "gather" : "scatter"),
                          isa.withChoice(choice)});
    }
  return variants;
}

bool cpuRunsAvx512() { return std::string(joseph::bestKernels().isa) == "avx512"; }
bool cpuRunsAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("x86-64-v3");
}

// A size² grid, `columns` detector columns with the axis `centreOffset` off their middle, and
// `angles` shuffled angles drawn from `seed`.
ParallelGeometry testGeometry(int size, int columns, double centreOffset, int angles,
                              std::uint64_t seed) {
  ParallelGeometry g;
  g.anglesRad = shuffledAngles(angles, seed);
  g.centre = 0.5 * (columns - 1) + centreOffset;
  g.columns = columns;
  g.gridSize = size;
  return g;
}

ParallelGeometry fewSliceGeometry() { return testGeometry(53, 58, 2.3, 31, 11); }

// The preferred kernel set of every instruction set this CPU runs.
std::vector<joseph::KernelSet> kernelSetsThisCpuRuns() {
  std::vector<joseph::KernelSet> sets{joseph::baseline::kernels()};
  if (cpuRunsAvx2()) sets.push_back(joseph::avx2::kernels());
  if (cpuRunsAvx512()) sets.push_back(joseph::avx512::kernels());
  return sets;
}

// Adjoint and reference loop for every variant of one instruction set and each slice count.
void checkVariants(const IsaKernels& isa, std::initializer_list<int> sliceCounts) {
  for (const auto& variant : kernelVariants(isa))
    for (int slices : sliceCounts) {
      const JosephProjector projector(fewSliceGeometry(), variant.kernels);
      checkAdjoint(projector, slices);
      if (!QTest::currentTestFailed()) checkMatchesReferenceLoop(projector, slices);
      if (QTest::currentTestFailed())
        return qWarning("failed for %s, %d slices", qPrintable(variant.name), slices);
    }
}

}  // namespace

Q_DECLARE_METATYPE(joseph::KernelSet)

class TestProjector : public QObject {
  Q_OBJECT

 private slots:
  void adjoint_data() {
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("columns");
    QTest::addColumn<int>("slices");
    QTest::addColumn<double>("centreOffset");
    QTest::addColumn<int>("angles");
    QTest::newRow("even 64, 1 slice, centred") << 64 << 64 << 1 << 0.0 << 37;
    QTest::newRow("odd 63, 5 slices, off-centre") << 63 << 63 << 5 << 3.7 << 40;
    QTest::newRow("even 96, 16 slices, off-centre") << 96 << 96 << 16 << -5.25 << 29;
    QTest::newRow("odd 81, 20 slices, wide detector") << 81 << 101 << 20 << 1.5 << 33;
    QTest::newRow("even 50, 3 slices, narrow detector") << 50 << 40 << 3 << -0.5 << 45;
  }

  void adjoint() {
    QFETCH(int, size);
    QFETCH(int, columns);
    QFETCH(int, slices);
    QFETCH(double, centreOffset);
    QFETCH(int, angles);
    checkAdjoint(JosephProjector(testGeometry(size, columns, centreOffset, angles,
                                              std::uint64_t(size * 7 + slices))),
                 slices);
  }

  // Volumes are zeroed, aligned for vector loads, and from 4 MB on start on a 2 MB huge page
  // (copies too), so the kernel can back them with huge pages.
  void largeVolumesStartOnHugePages() {
    const auto offset = [](const VolumeStack& v, std::size_t alignment) {
      return reinterpret_cast<std::uintptr_t>(v.group(0)) % alignment;
    };
    const VolumeStack small(3, 40);
    QCOMPARE(offset(small, 64), std::uintptr_t(0));
    VolumeStack large(16, 256);  // 4 MB
    QCOMPARE(offset(large, AlignedBuffer::kHugePageBytes), std::uintptr_t(0));
    QVERIFY(std::all_of(large.raw().begin(), large.raw().end(), [](float v) { return v == 0.0f; }));
    large.raw()[12345] = 2.5f;
    const VolumeStack copy = large;
    QCOMPARE(offset(copy, AlignedBuffer::kHugePageBytes), std::uintptr_t(0));
    QCOMPARE(copy.raw()[12345], 2.5f);
  }

  // Every slice lane gives what the scalar, per-slice reference loop gives.
  void matchesReferenceLoop() {
    checkMatchesReferenceLoop(JosephProjector(testGeometry(47, 53, 1.3, 23, 5)), 11);
  }

  // Kernel sets by name (bench projector --kernels): "best" is the one this CPU uses, each set
  // this CPU runs is given by its name, an unknown name or one this CPU cannot run is refused
  // naming it.
  void kernelSetsByName() {
    QVERIFY(&joseph::kernelsNamed("best") == &joseph::bestKernels());
    QCOMPARE(std::string(joseph::kernelsNamed("baseline").isa), std::string("baseline"));
    for (const char* isa : {"avx2", "avx512"}) {
      const bool runs = std::string(isa) == "avx2" ? cpuRunsAvx2() : cpuRunsAvx512();
      try {
        QCOMPARE(std::string(joseph::kernelsNamed(isa).isa), std::string(isa));
        QVERIFY2(runs, isa);
      } catch (const std::invalid_argument& e) {
        QVERIFY2(!runs && std::string(e.what()).find(isa) != std::string::npos, e.what());
      }
    }
    try {
      joseph::kernelsNamed("avx3");
      QFAIL("an unknown kernel set was taken");
    } catch (const std::invalid_argument& e) {
      QVERIFY2(std::string(e.what()).find("\"avx3\"") != std::string::npos, e.what());
    }
  }

  void forwardMatchesReferenceLoopOnALargeGrid_data() {
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("slices");
    QTest::addColumn<int>("projections");
    // 340 projections of 790 columns × 16 lanes are more than one batch of the tiles' detector
    // rows holds (16 MB per thread: 331 projections).
    QTest::newRow("760², 16 slices, two batches") << 760 << 16 << 340;
    QTest::newRow("1200², 8 slices (across slices on AVX2)") << 1200 << 8 << 7;
  }

  // A grid whose slice groups exceed the last-level cache (760² × 16 lanes, 37 MB; 1200² × 8,
  // 46 MB) is projected forward by tiles of 64² pixels (the last ones partial), the projections
  // in batches: the result equals the reference loop, for every kernel set this CPU runs, on a
  // detector wider than the grid, in every batch.
  void forwardMatchesReferenceLoopOnALargeGrid() {
    QFETCH(int, size);
    QFETCH(int, slices);
    QFETCH(int, projections);
    const ParallelGeometry g = testGeometry(size, size + 30, -2.6, projections, 9);
    const VolumeStack x = randomVolume(slices, g.gridSize, 3);
    std::vector<int> all(g.projections()), checked;
    std::iota(all.begin(), all.end(), 0);
    for (int p : all)
      if (p < 4 || p % 23 == 0 || p >= projections - 4) checked.push_back(p);
    const std::array sliceChecked{0, slices / 2 + 1, slices - 1};
    std::vector<std::vector<float>> reference;
    for (int s : sliceChecked)
      for (int p : checked) reference.push_back(referenceForward(g, x.slice(s), p));
    for (const joseph::KernelSet& kernels : kernelSetsThisCpuRuns()) {
      ProjectionStack ax(g.projections(), slices, g.columns);
      JosephProjector(g, kernels).forward(x, all, ax);
      auto next = reference.begin();
      for (int s : sliceChecked)
        for (int p : checked) {
          const std::vector<float>& ref = *next++;
          for (int j = 0; j < g.columns; ++j)
            QVERIFY2(std::abs(ref[j] - ax.at(p, s, j)) < 2e-4f * (1.0f + std::abs(ref[j])),
                     qPrintable(QString("%1: slice %2 projection %3 column %4: %5 vs %6")
                                    .arg(kernels.isa)
                                    .arg(s)
                                    .arg(p)
                                    .arg(j)
                                    .arg(ax.at(p, s, j))
                                    .arg(ref[j])));
        }
    }
  }

  void backAndStepMatchReferenceLoopOnALargeGrid_data() {
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("slices");
    QTest::newRow("760², 16 slices") << 760 << 16;
    QTest::newRow("1200², 8 slices (across slices on AVX2)") << 1200 << 8;
  }

  // A group this large (760² × 16 slices, 37 MB; 1200² × 8, 46 MB, where a kernel set takes 8
  // slices across slices) is back-projected by tiles of 64² pixels (the last ones partial), each
  // tile's rows and columns as segments: the back projection and SIRT's fused step equal the
  // reference loop's, for every kernel set.
  void backAndStepMatchReferenceLoopOnALargeGrid() {
    QFETCH(int, size);
    QFETCH(int, slices);
    const ParallelGeometry g = testGeometry(size, size + 30, 3.1, 9, 4);
    const int n = g.gridSize;
    std::vector<int> all(g.projections());
    std::iota(all.begin(), all.end(), 0);
    ProjectionStack y = randomProjections(g.projections(), slices, g.columns, 5);
    for (float& v : y.raw()) v -= 0.5f;
    VolumeStack x = randomVolume(slices, n, 6);
    for (float& v : x.raw()) v -= 0.5f;
    const std::vector<float> weights = randomVolume(1, n, 7).slice(0);
    const std::vector<int> checked{0, slices / 2 + 1, slices - 1};
    std::vector<std::vector<float>> reference;
    for (int s : checked) {
      std::vector<float> image(std::size_t(n) * n, 0.0f), row(g.columns);
      for (int p : all) {
        for (int j = 0; j < g.columns; ++j) row[j] = y.at(p, s, j);
        referenceBackAdd(g, row, p, image);
      }
      reference.push_back(std::move(image));
    }
    for (const joseph::KernelSet& kernels : kernelSetsThisCpuRuns()) {
      const JosephProjector projector(g, kernels);
      VolumeStack aty(slices, n), stepped(slices, n);
      projector.back(y, all, aty);
      QVERIFY(projector.addBack(y, all, weights, true, x, stepped));
      QString mismatch;
      for (std::size_t i = 0; i < checked.size() && mismatch.isEmpty(); ++i)
        for (int r = 0; r < n && mismatch.isEmpty(); ++r)
          for (int c = 0; c < n && mismatch.isEmpty(); ++c) {
            const int s = checked[i];
            const float ref = reference[i][std::size_t(r) * n + c];
            const float step =
                std::max(0.0f, x.at(s, r, c) + weights[std::size_t(r) * n + c] * ref);
            if (!(std::abs(aty.at(s, r, c) - ref) < 2e-4f * (1.0f + std::abs(ref)) &&
                  std::abs(stepped.at(s, r, c) - step) < 2e-4f * (1.0f + std::abs(step))))
              mismatch = QString("%1: slice %2 pixel (%3, %4): back %5 vs %6, step %7 vs %8")
                             .arg(kernels.isa)
                             .arg(s)
                             .arg(r)
                             .arg(c)
                             .arg(aty.at(s, r, c))
                             .arg(ref)
                             .arg(stepped.at(s, r, c))
                             .arg(step);
          }
      QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    }
  }

  // SIRT's step fused with the next forward projection (tiles, 760² × 16 slices): `to` is the
  // step's, element for element, and y then holds A·to for the projections, as a forward
  // projection after the step gives it (to float rounding: the threads' sums add up in another
  // order); into another volume and in place. A group that does not go by tiles (80² × 16) is
  // not fused: false, nothing written.
  void stepThenForwardEqualsStepAndForward() {
    const ParallelGeometry g = testGeometry(760, 790, 1.4, 9, 6);
    const int n = g.gridSize;
    std::vector<int> window{8, 1, 5, 2, 7};
    const std::vector<float> weights = randomVolume(1, n, 4).slice(0);
    VolumeStack x = randomVolume(16, n, 2);
    for (float& v : x.raw()) v -= 0.5f;
    ProjectionStack y = randomProjections(9, 16, g.columns, 3);
    for (const joseph::KernelSet& kernels : kernelSetsThisCpuRuns())
      for (bool inPlace : {false, true}) {
        const JosephProjector projector(g, kernels);
        VolumeStack stepped(16, n);
        QVERIFY(projector.addBack(y, window, weights, true, x, stepped));
        ProjectionStack expected = y;
        projector.forward(stepped, window, expected);
        VolumeStack fromTo = x, to(16, n);
        ProjectionStack fused = y;
        QVERIFY(projector.addBackThenForward(fused, window, weights, true, fromTo,
                                             inPlace ? fromTo : to));
        const VolumeStack& got = inPlace ? fromTo : to;
        QVERIFY2(got.raw().size() == stepped.raw().size() &&
                     std::equal(got.raw().begin(), got.raw().end(), stepped.raw().begin()),
                 kernels.isa);
        float scale = 0.0f;
        for (float v : expected.raw()) scale = std::max(scale, std::abs(v));
        for (std::size_t i = 0; i < fused.raw().size(); ++i)
          QVERIFY2(std::abs(fused.raw()[i] - expected.raw()[i]) <= 1e-5f * scale,
                   qPrintable(QString("%1, in place %2: element %3: %4 vs %5")
                                  .arg(kernels.isa)
                                  .arg(inPlace)
                                  .arg(i)
                                  .arg(fused.raw()[i])
                                  .arg(expected.raw()[i])));
      }
    const ParallelGeometry small = testGeometry(80, 84, 0.3, 9, 6);
    const JosephProjector projector(small);
    const VolumeStack from = randomVolume(16, 80, 2);
    VolumeStack to(16, 80);
    ProjectionStack ys = randomProjections(9, 16, small.columns, 3);
    const ProjectionStack before = ys;
    QVERIFY(!projector.addBackThenForward(ys, window, std::vector<float>(80 * 80, 1.0f), false,
                                          from, to));
    QVERIFY(std::all_of(to.raw().begin(), to.raw().end(), [](float v) { return v == 0.0f; }));
    QVERIFY(std::equal(ys.raw().begin(), ys.raw().end(), before.raw().begin()));
  }

  void fewSlices_data() {
    QTest::addColumn<int>("slices");
    QTest::addColumn<joseph::KernelSet>("kernels");
    for (const auto& variant : kernelVariants(kBaseline))
      for (int slices = 1; slices <= 5; ++slices)
        QTest::newRow(qPrintable(QString("%1 slices, %2").arg(slices).arg(variant.name)))
            << slices << variant.kernels;
  }

  // 1–5 slices (packed to 1, 2, 4, 4 and 8 slices per pixel): adjoint and reference loop, for
  // every across-rays variant of the baseline set.
  void fewSlices() {
    QFETCH(int, slices);
    QFETCH(joseph::KernelSet, kernels);
    const JosephProjector projector(fewSliceGeometry(), kernels);
    checkAdjoint(projector, slices);
    if (QTest::currentTestFailed()) return;
    checkMatchesReferenceLoop(projector, slices);
  }

  // The same for the AVX-512 set, which only a CPU with AVX-512 can run.
  void fewSlicesAvx512() {
    if (!cpuRunsAvx512()) QSKIP("this CPU has no AVX-512: the avx512 kernel set cannot run here");
    checkVariants(kAvx512, {1, 2, 3, 4, 5});
  }

  // The same for the AVX2 set (8-float registers), with its across-slices kernels too (16 and 20
  // slices: a 16-lane group, then a group of 4 packed slices), which an AVX-512 CPU would not
  // otherwise run.
  void fewSlicesAvx2() {
    if (!cpuRunsAvx2())
      QSKIP("this CPU lacks AVX2, FMA or BMI2 (x86-64-v3): the avx2 kernel set cannot run here");
    checkVariants(kAvx2, {1, 2, 3, 4, 5, 8, 16, 20});
  }

  // SIRT's sums (row sums A·mask from the mask's runs, column sums Aᵀ·1 without reading ones)
  // equal a forward projection of the mask and a back projection of ones, to 1e-5 of the
  // largest sum, for every kernel set this CPU runs, on even and odd grids, off-centre axes,
  // wide and narrow detectors; masks that are not one run per line fall back to a projection.
  void sirtSumsEqualProjections_data() {
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("columns");
    QTest::addColumn<double>("centreOffset");
    QTest::newRow("even 64, centred") << 64 << 64 << 0.0;
    QTest::newRow("odd 63, off-centre") << 63 << 63 << 3.7;
    QTest::newRow("odd 81, wide detector") << 81 << 101 << -6.5;
    QTest::newRow("even 50, narrow detector") << 50 << 40 << 1.25;
  }

  void sirtSumsEqualProjections() {
    QFETCH(int, size);
    QFETCH(int, columns);
    QFETCH(double, centreOffset);
    const ParallelGeometry g =
        testGeometry(size, columns, centreOffset, 41, std::uint64_t(size + columns));
    std::vector<int> window;  // unordered, leaving some projections out
    for (int p = 40; p >= 0; p -= 3) window.push_back(p);
    window.insert(window.end(), {0, 1, 2});

    VolumeStack disc(1, size), grid(1, size), twoRuns(1, size), grey(1, size);
    for (int r = 0; r < size; ++r)
      for (int c = 0; c < size; ++c) {
        disc.at(0, r, c) = insideFieldOfView(size, r, c) ? 1.0f : 0.0f;
        grid.at(0, r, c) = 1.0f;
        twoRuns.at(0, r, c) = disc.at(0, r, c) * (c == size / 2 ? 0.0f : 1.0f);
        grey.at(0, r, c) = 0.5f * disc.at(0, r, c);
      }
    const std::vector<joseph::KernelSet> sets = kernelSetsThisCpuRuns();
    const auto close = [](float a, float b, float scale) {
      return std::abs(a - b) <= 1e-5f * scale;
    };
    for (const joseph::KernelSet& kernels : sets) {
      const JosephProjector projector(g, kernels);
      for (const VolumeStack* mask : {&disc, &grid, &twoRuns, &grey}) {
        ProjectionStack sums(41, 1, columns), expected(41, 1, columns);
        projector.rowSums(*mask, window, sums);
        projector.forward(*mask, window, expected);
        float scale = 0.0f;
        for (float v : expected.raw()) scale = std::max(scale, std::abs(v));
        QVERIFY(scale > 1.0f);
        for (int p : window)
          for (int j = 0; j < columns; ++j)
            QVERIFY2(close(sums.at(p, 0, j), expected.at(p, 0, j), scale),
                     qPrintable(QString("%1: row sum of projection %2, ray %3: %4, forward %5")
                                    .arg(kernels.isa)
                                    .arg(p)
                                    .arg(j)
                                    .arg(sums.at(p, 0, j))
                                    .arg(expected.at(p, 0, j))));
      }
      std::vector<float> sums(std::size_t(size) * size, -1.0f), expected(sums.size());
      projector.columnSums(window, sums);
      projector.Projector::columnSums(window, expected);  // a back projection of ones
      float scale = 0.0f;
      for (float v : expected) scale = std::max(scale, v);
      QVERIFY(scale > 1.0f);
      for (int r = 0; r < size; ++r)
        for (int c = 0; c < size; ++c) {
          const std::size_t i = std::size_t(r) * size + c;
          QVERIFY2(close(sums[i], expected[i], scale),
                   qPrintable(QString("%1: column sum at (%2, %3): %4, back projection %5")
                                  .arg(kernels.isa)
                                  .arg(r)
                                  .arg(c)
                                  .arg(sums[i])
                                  .arg(expected[i])));
        }
    }
    std::vector<float> wrongSize(std::size_t(size) * size + 1);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             JosephProjector(g).columnSums(window, wrongSize));
  }

  // SIRT's step fused into the back projection (addBack) equals a back projection followed by
  // x ← x + C ⊙ Aᵀy, clamped at zero or not, to 1e-5 of the largest value, for every kernel set
  // this CPU runs and slice counts that take the across-rays (1, 3), whole-group (16) and mixed
  // (20) layouts, in place and into another volume; padding lanes stay zero.
  void addBackEqualsBackThenAdd() {
    const ParallelGeometry g = testGeometry(57, 61, 1.7, 29, 3);
    std::vector<int> window;
    for (int p = 28; p >= 0; p -= 2) window.push_back(p);
    const std::vector<joseph::KernelSet> sets = kernelSetsThisCpuRuns();
    const int n = g.gridSize;
    const std::vector<float> weights = randomVolume(1, n, 5).slice(0);
    for (const joseph::KernelSet& kernels : sets)
      for (int slices : {1, 3, 16, 20})
        for (bool nonNegative : {false, true}) {
          const JosephProjector projector(g, kernels);
          // Values of both signs (for the clamp) in the real slices; padding lanes zero.
          VolumeStack x = randomVolume(slices, g.gridSize, 7);
          for (int s = 0; s < slices; ++s)
            for (int r = 0; r < g.gridSize; ++r)
              for (int c = 0; c < g.gridSize; ++c) x.at(s, r, c) -= 0.5f;
          ProjectionStack y = randomProjections(29, slices, g.columns, 8);
          for (int p = 0; p < 29; ++p)
            for (int s = 0; s < slices; ++s)
              for (int j = 0; j < g.columns; ++j) y.at(p, s, j) -= 0.5f;
          VolumeStack expected = x, update(slices, g.gridSize);
          projector.back(y, window, update);
          for (int s = 0; s < slices; ++s)
            for (int r = 0; r < g.gridSize; ++r)
              for (int c = 0; c < g.gridSize; ++c) {
                float& v = expected.at(s, r, c);
                v += weights[std::size_t(r) * n + c] * update.at(s, r, c);
                if (nonNegative && v < 0.0f) v = 0.0f;
              }
          float scale = 0.0f;
          for (float v : expected.raw()) scale = std::max(scale, std::abs(v));
          const auto matches = [&](const VolumeStack& got, const char* how) {
            for (std::size_t i = 0; i < got.raw().size(); ++i)
              if (!(std::abs(got.raw()[i] - expected.raw()[i]) <= 1e-5f * scale)) {
                qWarning("%s, %d slices, clamp %d, %s: element %zu: %g, expected %g", kernels.isa,
                         slices, int(nonNegative), how, i, got.raw()[i], expected.raw()[i]);
                return false;
              }
            return true;
          };
          // Into another volume (every element written, padding lanes included; the source
          // untouched), then in place.
          const VolumeStack before = x;
          VolumeStack to(slices, g.gridSize);
          std::fill(to.raw().begin(), to.raw().end(), 7.0f);
          QVERIFY(projector.addBack(y, window, weights, nonNegative, x, to));
          QVERIFY(matches(to, "into another volume"));
          QVERIFY(std::ranges::equal(x.raw(), before.raw()));
          QVERIFY(projector.addBack(y, window, weights, nonNegative, x, x));
          QVERIFY(matches(x, "in place"));
        }
    VolumeStack x(2, g.gridSize), other(3, g.gridSize);
    const std::vector<float> wrong(2 * weights.size());
    ProjectionStack y(29, 2, g.columns);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             JosephProjector(g).addBack(y, window, wrong, true, x, x));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             JosephProjector(g).addBack(y, window, weights, true, x, other));
  }

  // A constant disc projects to its chord length: 2·sqrt(R² − u²) at every angle.
  void discProjectsToChordLength() {
    const int n = 128;
    ParallelGeometry g = ParallelGeometry::make({0.0, 0.3, 1.1, 2.0, 2.9}, 63.5, n);
    const JosephProjector projector(g);
    VolumeStack disc(1, n);
    const double radius = 40.0;
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        double inside = 0;  // 4×4 supersampled coverage
        for (int a = 0; a < 4; ++a)
          for (int b = 0; b < 4; ++b) {
            const double x = c - 63.5 + (a + 0.5) / 4 - 0.5, y = r - 63.5 + (b + 0.5) / 4 - 0.5;
            inside += x * x + y * y <= radius * radius ? 1.0 / 16 : 0.0;
          }
        disc.at(0, r, c) = float(inside);
      }
    ProjectionStack y(5, 1, n);
    const std::vector<int> all{0, 1, 2, 3, 4};
    projector.forward(disc, all, y);
    for (int p = 0; p < 5; ++p)
      for (int j = 0; j < n; j += 7) {
        const double u = j - 63.5;
        const double chord = std::abs(u) < radius ? 2 * std::sqrt(radius * radius - u * u) : 0.0;
        QVERIFY2(std::abs(y.at(p, 0, j) - chord) < 0.6,
                 qPrintable(QString("projection %1 column %2: %3, chord %4")
                                .arg(p)
                                .arg(j)
                                .arg(y.at(p, 0, j))
                                .arg(chord)));
      }
  }

  // Forward projection of a window leaves the other projections untouched.
  void windowLeavesOtherProjections() {
    ParallelGeometry g = ParallelGeometry::make({0.0, 0.5, 1.0, 1.5}, 15.5, 32);
    const JosephProjector projector(g);
    const VolumeStack x = randomVolume(2, 32, 9);
    ProjectionStack y(4, 2, 32);
    for (float& v : y.raw()) v = 7.0f;
    const std::vector<int> window{2};
    projector.forward(x, window, y);
    QCOMPARE(y.at(0, 0, 5), 7.0f);
    QCOMPARE(y.at(3, 1, 20), 7.0f);
    QVERIFY(y.at(2, 0, 5) != 7.0f);
  }

  void rejectsMismatchedShapes() {
    ParallelGeometry g = ParallelGeometry::make({0.0, 1.0}, 15.5, 32);
    const JosephProjector projector(g);
    VolumeStack wrongGrid(1, 31);
    ProjectionStack y(2, 1, 32);
    const std::vector<int> all{0, 1};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, projector.forward(wrongGrid, all, y));
    VolumeStack x(1, 32);
    const std::vector<int> outside{0, 2};
    try {
      projector.forward(x, outside, y);
      QFAIL("index outside the stack accepted");
    } catch (const std::invalid_argument& e) {
      QVERIFY2(QString(e.what()).contains("projection index 2"), e.what());
    }
    ProjectionStack wrongSlices(2, 3, 32);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, projector.back(wrongSlices, all, x));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             ParallelGeometry::make({0.0, std::nan("")}, 15.5, 32));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ParallelGeometry::make({0.0}, 40.0, 32));
  }

  void countsRayPixelUpdates() {
    // At θ = 0 every ray of a centred square grid crosses all n rows: n × n updates.
    ParallelGeometry g = ParallelGeometry::make({0.0}, 31.5, 64);
    const JosephProjector projector(g);
    const std::vector<int> one{0};
    QCOMPARE(projector.rayPixelUpdates(one), std::int64_t(64 * 64));
  }
};

QTEST_APPLESS_MAIN(TestProjector)
#include "test_projector.moc"
