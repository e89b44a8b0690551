// Scanner simulator: acquisition orders (exact angles, interlaced coverage), phantoms
// (invariants, the classic Shepp–Logan values, bead packing, determinism), detector frames
// (reproducibility, photon statistics, noise-free round trip to the projector's line
// integrals) and the errors impossible parameters raise.
#include <QTest>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <numeric>
#include <stdexcept>
#include <string>

#include "projector/JosephProjector.h"
#include "sim/ScanSimulator.h"

using namespace tomolive;

namespace {

constexpr double kPi = std::numbers::pi;

template <typename Exception = std::invalid_argument, typename F>
void expectThrow(F&& call, const char* fragment) {
  try {
    call();
    QFAIL(qPrintable(QString("no exception; expected one mentioning \"%1\"").arg(fragment)));
  } catch (const Exception& e) {
    QVERIFY2(std::string(e.what()).find(fragment) != std::string::npos, e.what());
  }
}

void compareAngles(const std::vector<double>& actual, const std::vector<double>& expected) {
  QCOMPARE(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i)
    QVERIFY2(std::abs(actual[i] - expected[i]) < 1e-12,
             qPrintable(QString("angle %1: %2 ≠ %3").arg(i).arg(actual[i]).arg(expected[i])));
}

// Sorted angles are k·step + start for k = 0, 1, …
void expectEvenlySpaced(std::vector<double> angles, double step) {
  std::sort(angles.begin(), angles.end());
  QVERIFY(angles.front() >= 0.0 && angles.front() < step);
  for (std::size_t i = 1; i < angles.size(); ++i)
    QVERIFY2(
        std::abs(angles[i] - angles[i - 1] - step) < 1e-9,
        qPrintable(
            QString("gap %1 at %2, expected %3").arg(angles[i] - angles[i - 1]).arg(i).arg(step)));
}

// Largest line integral along rows or columns of any slice.
double largestRowOrColumnSum(const VolumeStack& v) {
  double largest = 0.0;
  const int n = v.gridSize();
  for (int s = 0; s < v.slices(); ++s)
    for (int i = 0; i < n; ++i) {
      double row = 0.0, column = 0.0;
      for (int j = 0; j < n; ++j) {
        row += v.at(s, i, j);
        column += v.at(s, j, i);
      }
      largest = std::max({largest, row, column});
    }
  return largest;
}

void expectPhantomInvariants(const VolumeStack& v) {
  const int n = v.gridSize();
  const double centre = 0.5 * (n - 1), limit = 0.25 * n * n;
  float largest = 0.0f;
  for (int s = 0; s < v.slices(); ++s)
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        const float value = v.at(s, r, c);
        QVERIFY(std::isfinite(value) && value >= 0.0f);
        const double x = c - centre, y = r - centre;
        if (x * x + y * y > limit) QCOMPARE(value, 0.0f);
        largest = std::max(largest, value);
      }
  QVERIFY(largest > 0.0f);
  QVERIFY(std::abs(largestRowOrColumnSum(v) - kPhantomMaxLineIntegral) < 1e-3);
}

bool sameVolume(const VolumeStack& a, const VolumeStack& b) {
  return std::equal(a.raw().begin(), a.raw().end(), b.raw().begin(), b.raw().end());
}

ScanSpec smallSpec() {
  ScanSpec spec;
  spec.phantom = PhantomKind::SheppLogan;
  spec.size = 64;
  spec.slices = 3;
  spec.acquisition = parseAcquisitionOrder("interlaced:4", 12);
  spec.photons = 5000;
  spec.seed = 11;
  return spec;
}

struct Moments {
  double mean = 0.0, variance = 0.0;
  int count = 0;
};
Moments moments(const std::vector<double>& values) {
  Moments m;
  m.count = static_cast<int>(values.size());
  for (double v : values) m.mean += v;
  m.mean /= m.count;
  for (double v : values) m.variance += (v - m.mean) * (v - m.mean);
  m.variance /= m.count - 1;
  return m;
}

}  // namespace

class TestSimulator : public QObject {
  Q_OBJECT

 private slots:
  void sequentialAngles() {
    compareAngles(acquisitionAnglesRad(parseAcquisitionOrder("sequential", 4)),
                  {0, kPi / 4, kPi / 2, 3 * kPi / 4});
  }

  void interlacedAnglesExact() {
    // Rotations offset by 0, ½, ¼ of the spacing π/4; the third rotation stops after 2 angles.
    compareAngles(acquisitionAnglesRad(parseAcquisitionOrder("interlaced:4", 10)),
                  {0, kPi / 4, kPi / 2, 3 * kPi / 4, kPi / 8, 3 * kPi / 8, 5 * kPi / 8, 7 * kPi / 8,
                   kPi / 16, 5 * kPi / 16});
    QCOMPARE(vanDerCorput(0), 0.0);
    QCOMPARE(vanDerCorput(1), 0.5);
    QCOMPARE(vanDerCorput(6), 0.375);
  }

  void interlacedRotationsFillGaps() {
    const int w = 8, rotations = 16;
    const auto angles = acquisitionAnglesRad(parseAcquisitionOrder("interlaced:8", w * rotations));
    for (int r = 0; r < rotations; ++r)
      expectEvenlySpaced({angles.begin() + r * w, angles.begin() + (r + 1) * w}, kPi / w);
    for (int k = 0; (1 << k) <= rotations; ++k)
      expectEvenlySpaced({angles.begin(), angles.begin() + (w << k)}, kPi / (w << k));
    auto sorted = angles;
    std::sort(sorted.begin(), sorted.end());
    QVERIFY(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
    QVERIFY(sorted.front() >= 0.0 && sorted.back() < kPi);
  }

  void goldenAngles() {
    const auto angles = acquisitionAnglesRad(parseAcquisitionOrder("golden", 200));
    const double phi = (std::sqrt(5.0) - 1.0) / 2.0;
    compareAngles({angles.begin(), angles.begin() + 3}, {0.0, phi * kPi, (2 * phi - 1) * kPi});
    for (std::size_t k = 0; k < angles.size(); ++k) {
      QVERIFY(angles[k] >= 0.0 && angles[k] < kPi);
      const double expected = std::fmod(k * phi * kPi, kPi);
      QVERIFY(std::abs(angles[k] - expected) < 1e-9);
    }
  }

  void acquisitionParsing() {
    const AcquisitionPlan plan = parseAcquisitionOrder("interlaced:16", 100);
    QVERIFY(plan.order == AcquisitionOrder::Interlaced);
    QCOMPARE(plan.window, 16);
    QCOMPARE(plan.projections, 100);
    QVERIFY(parseAcquisitionOrder("golden", 5).order == AcquisitionOrder::Golden);
    expectThrow([] { parseAcquisitionOrder("spiral", 10); },
                "valid: sequential, golden, interlaced:W");
    expectThrow([] { parseAcquisitionOrder("interlaced:0", 10); }, "window 0");
    expectThrow([] { parseAcquisitionOrder("interlaced:11", 10); }, "window 11");
    expectThrow([] { parseAcquisitionOrder("interlaced:x8", 10); }, "window \"x8\"");
    expectThrow([] { parseAcquisitionOrder("interlaced:", 10); }, "window \"\"");
    expectThrow([] { parseAcquisitionOrder("sequential", 0); }, "projections 0");
  }

  void phantomNames() {
    QVERIFY(parsePhantomKind("shepp-logan") == PhantomKind::SheppLogan);
    QVERIFY(parsePhantomKind("glass") == PhantomKind::Glass);
    QVERIFY(parsePhantomKind("shale") == PhantomKind::Shale);
    expectThrow([] { parsePhantomKind("granite"); }, "valid: shepp-logan, glass, shale");
    expectThrow([] { makePhantom(PhantomKind::Glass, 4, 1, 0); }, "size 4");
    expectThrow([] { makePhantom(PhantomKind::Glass, 16, 0, 0); }, "slices 0");
  }

  void phantomInvariants_data() {
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("slices");
    for (int kind : {0, 1, 2}) {
      const auto name = phantomKindName(static_cast<PhantomKind>(kind));
      QTest::newRow((name + " 64×1").c_str()) << kind << 64 << 1;
      QTest::newRow((name + " 97×20").c_str()) << kind << 97 << 20;
    }
  }
  void phantomInvariants() {
    QFETCH(int, kind);
    QFETCH(int, size);
    QFETCH(int, slices);
    const auto k = static_cast<PhantomKind>(kind);
    const VolumeStack v = makePhantom(k, size, slices, 42);
    QCOMPARE(v.slices(), slices);
    QCOMPARE(v.gridSize(), size);
    expectPhantomInvariants(v);
    QVERIFY(sameVolume(v, makePhantom(k, size, slices, 42)));
    if (k != PhantomKind::SheppLogan) QVERIFY(!sameVolume(v, makePhantom(k, size, slices, 43)));
  }

  void sheppLoganIsTheClassic() {
    // Pixel (r, c) of a 128² slice sits at phantom (x, y) = ((c − 63.5)/64, (63.5 − r)/64).
    const VolumeStack v = makePhantom(PhantomKind::SheppLogan, 128, 1, 0);
    const double brain = v.at(0, 63, 63);  // 1 − 0.8
    QVERIFY(brain > 0.0);
    QVERIFY(std::abs(v.at(0, 6, 63) / brain - 5.0) < 1e-4);   // skull: 1
    QVERIFY(std::abs(v.at(0, 41, 63) / brain - 1.5) < 1e-4);  // upper ellipse: 0.3
    QVERIFY(v.at(0, 63, 78) < 1e-6 * brain);                  // right ventricle: 1 − 0.8 − 0.2
    QCOMPARE(v.at(0, 63, 0), 0.0f);                           // outside the head
    // Thin slabs through the middle: the brain keeps its value in every slice.
    const VolumeStack stack = makePhantom(PhantomKind::SheppLogan, 128, 8, 0);
    for (int s = 0; s < 8; ++s)
      QVERIFY(std::abs(stack.at(s, 63, 63) / stack.at(0, 6, 63) - 0.2) < 1e-4);
  }

  void glassBeadsDoNotOverlap() {
    const int size = 128, slices = 24;
    const auto beads = glassBeads(size, slices, 5);
    QVERIFY(beads.size() > 20);
    for (std::size_t i = 0; i < beads.size(); ++i) {
      const GlassBead& a = beads[i];
      QVERIFY(std::hypot(a.x, a.y) + a.radius <= 0.86 * size / 2);
      for (std::size_t j = i + 1; j < beads.size(); ++j) {
        const GlassBead& b = beads[j];
        QVERIFY2(std::sqrt((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y) +
                           (a.z - b.z) * (a.z - b.z)) >= a.radius + b.radius,
                 qPrintable(QString("beads %1 and %2 overlap").arg(i).arg(j)));
      }
    }
    // The volume shows the beads: voxels at two bead centres have the ratio of their densities.
    const VolumeStack v = makePhantom(PhantomKind::Glass, size, slices, 5);
    std::vector<std::array<double, 2>> seen;  // {value, density}
    for (const GlassBead& b : beads) {
      const double s = b.z + 0.5 * (slices - 1);
      if (s < 0 || s > slices - 1 || b.radius < 4) continue;
      const int slice = static_cast<int>(std::lround(s));
      const int r = static_cast<int>(std::lround(b.y + 0.5 * (size - 1)));
      const int c = static_cast<int>(std::lround(b.x + 0.5 * (size - 1)));
      seen.push_back({double(v.at(slice, r, c)), b.density});
    }
    QVERIFY(seen.size() >= 2);
    for (const auto& [value, density] : seen)
      QVERIFY(std::abs(value / seen[0][0] - density / seen[0][1]) < 1e-4);
  }

  void shaleHasPoresCracksAndGrains() {
    const int size = 128;
    const VolumeStack v = makePhantom(PhantomKind::Shale, size, 8, 9);
    std::vector<float> core;
    for (int s = 0; s < 8; ++s)
      for (int r = 0; r < size; ++r)
        for (int c = 0; c < size; ++c)
          if (std::hypot(r - 63.5, c - 63.5) < 0.85 * size / 2) core.push_back(v.at(s, r, c));
    std::vector<float> sorted = core;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    const float median = sorted[sorted.size() / 2];
    const auto fraction = [&](auto predicate) {
      return double(std::count_if(core.begin(), core.end(), predicate)) / core.size();
    };
    const double dark = fraction([&](float x) { return x < 0.3f * median; });
    const double dense = fraction([&](float x) { return x > 2.0f * median; });
    QVERIFY2(dark > 1e-3 && dark < 0.2, qPrintable(QString("low-density fraction %1").arg(dark)));
    QVERIFY2(dense > 1e-4 && dense < 0.1, qPrintable(QString("dense fraction %1").arg(dense)));
  }

  void geometryFollowsSpec() {
    const ScanSimulator scan(smallSpec());
    QCOMPARE(scan.projections(), 12);
    QCOMPARE(scan.geometry().centre, 31.5);
    QCOMPARE(scan.geometry().columns, 64);
    QCOMPARE(scan.geometry().gridSize, 64);
    QVERIFY(scan.geometry().anglesRad == acquisitionAnglesRad(smallSpec().acquisition));
    QVERIFY(sameVolume(scan.groundTruth(), makePhantom(PhantomKind::SheppLogan, 64, 3, 11)));
    QCOMPARE(scan.projection(0).size(), std::size_t(3 * 64));
  }

  void framesAreReproducible() {
    const ScanSimulator scan(smallSpec());
    const ScanSimulator again(smallSpec());
    ScanSpec other = smallSpec();
    other.seed = 12;
    const ScanSimulator reseeded(other);
    QVERIFY(scan.projection(5) == again.projection(5));
    QVERIFY(scan.projection(5) != reseeded.projection(5));
    QVERIFY(scan.flat(2) == again.flat(2) && scan.flat(2) != scan.flat(3));
    QVERIFY(scan.dark(1) == again.dark(1) && scan.dark(1) != reseeded.dark(1));
    // Batches give the same frames as single projections, in any order.
    const auto batch = scan.projections(2, 9);
    const std::size_t frame = 3 * 64;
    for (int k = 10; k >= 2; --k) {
      const auto single = scan.projection(k);
      QVERIFY2(std::equal(single.begin(), single.end(), batch.begin() + (k - 2) * frame),
               qPrintable(QString("projection %1 differs in the batch").arg(k)));
    }
  }

  void countsFollowPoissonStatistics_data() {
    QTest::addColumn<double>("photons");
    QTest::addColumn<double>("darkLevel");
    QTest::newRow("bright") << 20000.0 << 100.0;
    QTest::newRow("dim") << 40.0 << 12.0;
    QTest::newRow("starved") << 6.0 << 2.5;
  }
  void countsFollowPoissonStatistics() {
    QFETCH(double, photons);
    QFETCH(double, darkLevel);
    ScanSpec spec = smallSpec();
    spec.photons = photons;
    spec.darkLevel = darkLevel;
    spec.acquisition = parseAcquisitionOrder("golden", 40);
    const ScanSimulator scan(spec);
    const auto counts = scan.projections(0, 40);
    const auto lines = scan.lineIntegrals(0, 40);
    std::vector<double> open, flats, darks;
    // Rays that miss the object: the open beam.
    for (std::size_t i = 0; i < counts.size(); ++i)
      if (lines[i] == 0.0f) open.push_back(counts[i]);
    QVERIFY(open.size() > 1000);
    for (int i = 0; i < spec.flats; ++i)
      for (float v : scan.flat(i)) flats.push_back(v);
    for (int i = 0; i < spec.darks; ++i)
      for (float v : scan.dark(i)) darks.push_back(v);
    const double mean = photons + darkLevel;
    for (const auto& [values, expected] :
         {std::pair{open, mean}, std::pair{flats, mean}, std::pair{darks, darkLevel}}) {
      const Moments m = moments(values);
      const double sigma = std::sqrt(expected / m.count);  // of the mean; variance = mean
      QVERIFY2(std::abs(m.mean - expected) < 3.0 * sigma,
               qPrintable(
                   QString("mean %1, expected %2 ± %3").arg(m.mean).arg(expected).arg(3 * sigma)));
      // Standard error of a Poisson sample variance: √((λ + 2λ²)/n).
      const double spread = std::sqrt((expected + 2 * expected * expected) / m.count);
      QVERIFY2(std::abs(m.variance - expected) < 4.0 * spread,
               qPrintable(QString("variance %1, expected %2 ± %3")
                              .arg(m.variance)
                              .arg(expected)
                              .arg(4 * spread)));
    }
  }

  void noiseFreeRoundTrip() {
    for (auto kind : {PhantomKind::SheppLogan, PhantomKind::Shale}) {
      ScanSpec spec = smallSpec();
      spec.phantom = kind;
      spec.photons = 0;
      const ScanSimulator scan(spec);
      QVERIFY(scan.noiseFree());
      const JosephProjector projector(scan.geometry());
      ProjectionStack expected(scan.projections(), spec.slices, spec.size);
      std::vector<int> all(scan.projections());
      std::iota(all.begin(), all.end(), 0);
      projector.forward(scan.groundTruth(), all, expected);
      const auto counts = scan.projections(0, scan.projections());
      const auto flat = scan.flat(0), dark = scan.dark(0);
      QCOMPARE(double(flat[0]), kNoiseFreeFlatCounts + spec.darkLevel);
      double largest = 0.0, worst = 0.0;
      for (int k = 0; k < scan.projections(); ++k)
        for (int s = 0; s < spec.slices; ++s)
          for (int c = 0; c < spec.size; ++c) {
            const std::size_t i = (std::size_t(k) * spec.slices + s) * spec.size + c;
            const std::size_t d = std::size_t(s) * spec.size + c;
            const double p = -std::log((double(counts[i]) - dark[d]) / (double(flat[d]) - dark[d]));
            worst = std::max(worst, std::abs(p - expected.at(k, s, c)));
            largest = std::max(largest, p);
          }
      QVERIFY2(worst < 1e-4, qPrintable(QString("worst line-integral error %1").arg(worst)));
      QVERIFY(largest > 1.0 && largest < 1.1 * kPhantomMaxLineIntegral);
    }
  }

  // A sample tube: a wall at radius 0.47·N whose tangent chord integrates to `tube`, added to
  // the phantom in every slice; nothing changes inside it.
  void sampleTubeWall() {
    ScanSpec spec = smallSpec();
    spec.size = 128;
    spec.acquisition = {AcquisitionOrder::Sequential, 8, 8};
    const ScanSimulator bare(spec);
    spec.tube = 1.5;
    const ScanSimulator tubed(spec);
    const JosephProjector projector(tubed.geometry());
    VolumeStack wall = tubed.groundTruth();
    for (std::size_t i = 0; i < wall.raw().size(); ++i)
      wall.raw()[i] -= bare.groundTruth().raw()[i];
    ProjectionStack p(8, spec.slices, spec.size);
    std::vector<int> all(8);
    std::iota(all.begin(), all.end(), 0);
    projector.forward(wall, all, p);
    double largest = 0.0, centre = 0.0;
    for (int k = 0; k < 8; ++k)
      for (int c = 0; c < spec.size; ++c) largest = std::max(largest, double(p.at(k, 0, c)));
    centre = p.at(0, 0, spec.size / 2);
    // Tangent chord 1.5 by construction; the peak on the pixel grid lies within 15 % of it, the
    // centre ray crosses the wall twice (2 · thickness · μ, much less than the tangent).
    QVERIFY2(std::abs(largest - 1.5) < 0.15 * 1.5, qPrintable(QString::number(largest)));
    QVERIFY2(centre > 0.05 && centre < 0.5, qPrintable(QString::number(centre)));
    for (int y = 40; y < 88; ++y)  // inside the tube: the phantom unchanged
      for (int x = 40; x < 88; ++x) QCOMPARE(wall.at(0, y, x), 0.0f);
    spec.tube = -1;
    expectThrow([&] { ScanSimulator{spec}; }, "tube -1");
  }

  // Rings: after flat-field correction every projection of a noise-free scan is the true line
  // integral minus log(gain) of its pixel, the same offset in every projection (a stripe in the
  // sinogram, a ring in the slice); the gains spread as `rings` says.
  void ringsAreAFixedOffsetPerPixel() {
    ScanSpec spec = smallSpec();
    spec.photons = 0;
    spec.rings = 0.02;
    const ScanSimulator scan(spec);
    const auto counts = scan.projections(0, scan.projections());
    const auto lines = scan.lineIntegrals(0, scan.projections());
    const auto flat = scan.flat(0), dark = scan.dark(0);
    const std::size_t frame = std::size_t(spec.slices) * spec.size;
    std::vector<double> offsets(frame);
    double worst = 0.0;
    for (int k = 0; k < scan.projections(); ++k)
      for (std::size_t d = 0; d < frame; ++d) {
        const std::size_t i = k * frame + d;
        const double p = -std::log((double(counts[i]) - dark[d]) / (double(flat[d]) - dark[d]));
        const double offset = double(lines[i]) - p;  // = log(gain)
        if (k == 0) offsets[d] = offset;
        worst = std::max(worst, std::abs(offset - offsets[d]));
      }
    QVERIFY2(worst < 1e-4, qPrintable(QString("offset varies by %1 between projections").arg(worst)));
    const Moments m = moments(offsets);
    QVERIFY2(std::abs(m.mean) < 0.005, qPrintable(QString::number(m.mean)));
    QVERIFY2(std::abs(std::sqrt(m.variance) - 0.02) < 0.005,
             qPrintable(QString("gain spread %1, expected 0.02").arg(std::sqrt(m.variance))));
    // Off, the same scan has no offsets: the random streams of the rings are their own.
    spec.rings = 0;
    QVERIFY(ScanSimulator(spec).projection(3) != scan.projection(3));
    spec.photons = 10000;
    const ScanSimulator plain(spec);
    spec.rings = 0.02;
    const ScanSimulator ringed(spec);
    QVERIFY(plain.flat(1) == ringed.flat(1));  // the flats do not see the gains
  }

  // Zingers: a share `zingers` of projection pixels gains 1–10 times the open-beam counts; the
  // other pixels are the scan without zingers, bit for bit; flats and darks are untouched.
  void zingersAreRareBrightPixels() {
    ScanSpec spec = smallSpec();
    spec.size = 128;
    spec.acquisition = parseAcquisitionOrder("golden", 60);
    const ScanSimulator clean(spec);
    spec.zingers = 0.005;
    const ScanSimulator hit(spec);
    const auto a = clean.projections(0, 60), b = hit.projections(0, 60);
    int zingers = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] == b[i]) continue;
      ++zingers;
      const double extra = double(b[i]) - a[i];
      QVERIFY2(extra >= spec.photons * 0.999 && extra <= spec.photons * 10.001,
               qPrintable(QString("zinger adds %1 counts").arg(extra)));
    }
    const double expected = 0.005 * double(a.size());  // 115
    QVERIFY2(std::abs(zingers - expected) < 4.0 * std::sqrt(expected),
             qPrintable(QString("%1 zingers, expected %2").arg(zingers).arg(expected)));
    QVERIFY(clean.flat(0) == hit.flat(0) && clean.dark(0) == hit.dark(0));
  }

  // A truncated field of view: the detector sees the middle of a wider sample. Its line
  // integrals are those of the whole sample (more than the part inside the grid where the sample
  // extends beyond it); the ground truth is the part inside the grid.
  void truncatedFieldOfViewSeesTheMiddleOfAWiderSample() {
    ScanSpec spec = smallSpec();
    spec.size = 96;
    spec.photons = 0;
    spec.phantom = PhantomKind::Glass;
    spec.acquisition = {AcquisitionOrder::Sequential, 12, 12};
    spec.truncation = 0.5;  // the sample is 96 + 2·24 = 144 wide
    const ScanSimulator truncated(spec);
    const VolumeStack wide = makePhantom(PhantomKind::Glass, 144, spec.slices, spec.seed);
    for (int y = 0; y < 96; y += 7)
      for (int x = 0; x < 96; x += 5) QCOMPARE(truncated.groundTruth().at(1, y, x), wide.at(1, y + 24, x + 24));
    const ParallelGeometry g = ParallelGeometry::make(truncated.geometry().anglesRad, 71.5, 144);
    ProjectionStack full(12, spec.slices, 144), inside(12, spec.slices, 96);
    std::vector<int> all(12);
    std::iota(all.begin(), all.end(), 0);
    JosephProjector(g).forward(wide, all, full);
    JosephProjector(truncated.geometry()).forward(truncated.groundTruth(), all, inside);
    const auto lines = truncated.lineIntegrals(0, 12);
    double worst = 0.0, beyond = 0.0;
    for (int k = 0; k < 12; ++k)
      for (int s = 0; s < spec.slices; ++s)
        for (int c = 0; c < 96; ++c) {
          const double p = lines[(std::size_t(k) * spec.slices + s) * 96 + c];
          worst = std::max(worst, std::abs(p - full.at(k, s, c + 24)));
          beyond = std::max(beyond, p - inside.at(k, s, c));
        }
    QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
    QVERIFY2(beyond > 0.5, qPrintable(QString("the sample outside adds at most %1").arg(beyond)));
    QCOMPARE(truncated.geometry().columns, 96);
    QCOMPARE(truncated.geometry().centre, 47.5);
  }

  // A small sample in a wide field of view: the phantom drawn on a smaller grid, in the middle of
  // the reconstruction grid with air around it (the tooth fills 16 % of its circle).
  void smallSampleSitsInAir() {
    ScanSpec spec = smallSpec();
    spec.size = 96;
    spec.phantom = PhantomKind::Shale;
    spec.acquisition = {AcquisitionOrder::Sequential, 12, 12};
    spec.sampleScale = 0.5;  // a 48-pixel sample, 24 pixels of air on each side
    const ScanSimulator small(spec);
    const VolumeStack drawn = makePhantom(PhantomKind::Shale, 48, spec.slices, spec.seed);
    double inside = 0.0;
    for (int y = 0; y < 96; ++y)
      for (int x = 0; x < 96; ++x) {
        const bool sample = y >= 24 && y < 72 && x >= 24 && x < 72;
        const float v = small.groundTruth().at(1, y, x);
        if (!sample)
          QCOMPARE(v, 0.0f);
        else
          QCOMPARE(v, drawn.at(1, y - 24, x - 24));
        inside += v;
      }
    QVERIFY(inside > 0.0);
    spec.sampleScale = 0.0;
    expectThrow([&] { ScanSimulator{spec}; }, "sample scale 0");
    spec.sampleScale = 0.5;
    spec.truncation = 0.2;
    expectThrow([&] { ScanSimulator{spec}; }, "cannot also be truncated");
  }

  void impossibleParametersThrow() {
    const auto expectBad = [](auto change, const char* fragment) {
      ScanSpec spec = smallSpec();
      change(spec);
      expectThrow([&] { ScanSimulator{spec}; }, fragment);
    };
    expectBad([](ScanSpec& s) { s.size = 4; }, "size 4");
    expectBad([](ScanSpec& s) { s.slices = 0; }, "slices 0");
    expectBad([](ScanSpec& s) { s.acquisition.projections = 0; }, "projections 0");
    expectBad([](ScanSpec& s) { s.acquisition.window = 20; }, "window 20");
    expectBad([](ScanSpec& s) { s.photons = -1; }, "photons -1");
    expectBad([](ScanSpec& s) { s.photons = std::nan(""); }, "photons NaN");
    expectBad([](ScanSpec& s) { s.darkLevel = -3; }, "darkLevel -3");
    expectBad([](ScanSpec& s) { s.flats = 0; }, "flats 0");
    expectBad([](ScanSpec& s) { s.darks = -1; }, "darks -1");
    expectBad([](ScanSpec& s) { s.rings = 0.3; }, "rings 0.3");
    expectBad([](ScanSpec& s) { s.zingers = 0.5; }, "zingers 0.5");
    expectBad([](ScanSpec& s) { s.truncation = -0.1; }, "truncation -0.1");
    const ScanSimulator scan(smallSpec());
    expectThrow<std::out_of_range>([&] { scan.projection(12); }, "projection 12");
    expectThrow<std::out_of_range>([&] { scan.projections(10, 3); }, "projections 10 … 12");
    expectThrow<std::out_of_range>([&] { scan.flat(10); }, "flat 10");
    expectThrow<std::out_of_range>([&] { scan.dark(-1); }, "dark -1");
  }
};

QTEST_APPLESS_MAIN(TestSimulator)
#include "test_simulator.moc"
