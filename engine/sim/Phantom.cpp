#include "sim/Phantom.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <numeric>
#include <random>
#include <stdexcept>

namespace tomolive {

namespace {

constexpr double kPi = std::numbers::pi;

// Uniform numbers straight from mt19937_64 bits: the algorithms of the standard distributions
// are unspecified, so this keeps phantoms identical across standard libraries.
class Random {
 public:
  explicit Random(std::uint64_t seed) : m_engine(seed) {}
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(m_engine() >> 11) * 0x1.0p-53;
  }
  int integer(int lo, int hi) {
    return lo + static_cast<int>(m_engine() % static_cast<std::uint64_t>(hi - lo + 1));
  }

 private:
  std::mt19937_64 m_engine;
};

// Shapes in one slice, in pixel units (x right, y down, origin on the rotation axis). Each
// gives the x-range it covers on a horizontal line, so painting fills whole runs of samples.
class Ellipse {
 public:
  Ellipse(double cx, double cy, double a, double b, double angle) : m_cx(cx), m_cy(cy) {
    const double c = std::cos(angle), s = std::sin(angle);
    const double ia = 1.0 / (a * a), ib = 1.0 / (b * b);
    m_p = c * c * ia + s * s * ib;
    m_q = c * s * (ia - ib);
    m_r = s * s * ia + c * c * ib;
    m_halfHeight = std::sqrt(a * a * s * s + b * b * c * c);
  }
  double top() const { return m_cy - m_halfHeight; }
  double bottom() const { return m_cy + m_halfHeight; }
  bool span(double y, double& lo, double& hi) const {
    const double dy = y - m_cy;
    const double disc = m_q * m_q * dy * dy - m_p * (m_r * dy * dy - 1.0);
    if (disc < 0.0) return false;
    const double root = std::sqrt(disc);
    lo = m_cx + (-m_q * dy - root) / m_p;
    hi = m_cx + (-m_q * dy + root) / m_p;
    return true;
  }

 private:
  double m_cx, m_cy, m_p, m_q, m_r, m_halfHeight;
};

// A thin rotated rectangle: |along| ≤ halfLength, |across| ≤ halfWidth.
class Band {
 public:
  Band(double cx, double cy, double angle, double halfLength, double halfWidth)
      : m_cx(cx),
        m_cy(cy),
        m_c(std::cos(angle)),
        m_s(std::sin(angle)),
        m_length(halfLength),
        m_width(halfWidth) {}
  double top() const { return m_cy - halfHeight(); }
  double bottom() const { return m_cy + halfHeight(); }
  bool span(double y, double& lo, double& hi) const {
    const double dy = y - m_cy;
    lo = -1e300;
    hi = 1e300;
    if (!clip(m_c, -m_length - dy * m_s, m_length - dy * m_s, lo, hi) ||
        !clip(-m_s, -m_width - dy * m_c, m_width - dy * m_c, lo, hi) || lo > hi)
      return false;
    lo += m_cx;
    hi += m_cx;
    return true;
  }

 private:
  double halfHeight() const { return m_length * std::abs(m_s) + m_width * std::abs(m_c); }
  // Narrows [lo, hi] (offsets from cx) to the dx with k·dx ∈ [m1, m2].
  bool clip(double k, double m1, double m2, double& lo, double& hi) const {
    if (std::abs(k) < 1e-12) return m1 <= 0.0 && 0.0 <= m2;
    double a = m1 / k, b = m2 / k;
    if (a > b) std::swap(a, b);
    lo = std::max(lo, a);
    hi = std::min(hi, b);
    return true;
  }
  double m_cx, m_cy, m_c, m_s, m_length, m_width;
};

// One slice sampled 2 × 2 per pixel: sample i sits at (i + ½)/2 − size/2 along either axis.
class Canvas {
 public:
  explicit Canvas(int size)
      : m_size(size), m_width(2 * size), m_values(std::size_t(m_width) * m_width) {}

  int width() const { return m_width; }
  double position(int i) const { return (i + 0.5) * 0.5 - 0.5 * m_size; }
  float* row(int i) { return m_values.data() + std::size_t(i) * m_width; }
  void clear() { std::fill(m_values.begin(), m_values.end(), 0.0f); }

  /// First sample at or after v, and last at or before v, clamped to the canvas.
  int first(double v) const {
    return static_cast<int>(
        std::clamp(std::ceil(2.0 * (v + 0.5 * m_size) - 0.5), 0.0, double(m_width)));
  }
  int last(double v) const {
    return static_cast<int>(
        std::clamp(std::floor(2.0 * (v + 0.5 * m_size) - 0.5), -1.0, double(m_width - 1)));
  }

  /// Applies op(value) to every sample inside the shape.
  template <typename Shape, typename Op>
  void paint(const Shape& shape, Op op) {
    for (int i = first(shape.top()), end = last(shape.bottom()); i <= end; ++i) {
      double lo = 0.0, hi = 0.0;
      if (!shape.span(position(i), lo, hi)) continue;
      float* r = row(i);
      for (int j = first(lo), jEnd = last(hi); j <= jEnd; ++j) op(r[j]);
    }
  }
  void set(const auto& shape, float value) {
    paint(shape, [value](float& v) { v = value; });
  }
  void add(const auto& shape, float value) {
    paint(shape, [value](float& v) { v += value; });
  }

  /// Zeroes every sample farther than `radius` from the axis.
  void clipOutside(double radius) {
    for (int i = 0; i < m_width; ++i) {
      const double y = position(i);
      float* r = row(i);
      if (std::abs(y) >= radius) {
        std::fill(r, r + m_width, 0.0f);
        continue;
      }
      const double half = std::sqrt(radius * radius - y * y);
      std::fill(r, r + first(-half), 0.0f);
      std::fill(r + last(half) + 1, r + m_width, 0.0f);
    }
  }

  /// Averages 2 × 2 samples into size × size pixels, zeroes pixels whose centre lies outside
  /// the inscribed circle and returns the largest row or column sum.
  double downsample(std::vector<float>& image) const {
    const double limit = 0.25 * m_size * m_size;
    std::vector<double> columnSums(m_size, 0.0);
    double largest = 0.0;
    for (int r = 0; r < m_size; ++r) {
      const float* a = m_values.data() + std::size_t(2 * r) * m_width;
      const float* b = a + m_width;
      const double y = r - 0.5 * (m_size - 1);
      double rowSum = 0.0;
      for (int c = 0; c < m_size; ++c) {
        const double x = c - 0.5 * (m_size - 1);
        float v = 0.25f * (a[2 * c] + a[2 * c + 1] + b[2 * c] + b[2 * c + 1]);
        if (x * x + y * y > limit || v < 0.0f) v = 0.0f;  // v < 0 only by rounding
        image[std::size_t(r) * m_size + c] = v;
        rowSum += v;
        columnSums[c] += v;
      }
      largest = std::max(largest, rowSum);
    }
    return std::max(largest, *std::max_element(columnSums.begin(), columnSums.end()));
  }

 private:
  int m_size, m_width;
  std::vector<float> m_values;
};

struct Ellipsoid {
  double cx, cy, cz, a, b, c, angle, value;
  /// Its section by the plane at height z; false when the plane misses it.
  bool section(double z, Ellipse& out) const {
    const double t = (z - cz) / c;
    if (std::abs(t) >= 1.0) return false;
    const double k = std::sqrt(1.0 - t * t);
    out = Ellipse(cx, cy, a * k, b * k, angle);
    return true;
  }
};

// Paints a phantom's slice at height z (pixel units) onto a cleared canvas.
using SlicePainter = std::function<void(Canvas&, double z)>;

VolumeStack rasterise(int size, int slices, double sliceSpacing, const SlicePainter& paint) {
  VolumeStack volume(slices, size);
  std::vector<double> largest(slices, 0.0);
  tbb::parallel_for(tbb::blocked_range<int>(0, slices), [&](const tbb::blocked_range<int>& r) {
    Canvas canvas(size);
    std::vector<float> image(std::size_t(size) * size);
    for (int s = r.begin(); s < r.end(); ++s) {
      canvas.clear();
      paint(canvas, (s - 0.5 * (slices - 1)) * sliceSpacing);
      largest[s] = canvas.downsample(image);
      volume.setSlice(s, image);
    }
  });
  const double peak = *std::max_element(largest.begin(), largest.end());
  if (peak > 0.0) {
    const float scale = static_cast<float>(kPhantomMaxLineIntegral / peak);
    for (float& v : volume.raw()) v *= scale;
  }
  return volume;
}

// --- Shepp–Logan ---------------------------------------------------------------------------

struct SheppLoganEllipsoid {
  double value, a, b, c, x0, y0, phiDeg;
};
// Toft's modified intensities with the Kak–Slaney semi-axes (c: the 3-D phantom's z axis, the
// five small features' stretched from 0.02–0.05 to 0.1 so that every slice keeps them);
// coordinates in units of the half-width, y pointing up as in the published tables.
constexpr SheppLoganEllipsoid kSheppLogan[] = {
    {1.0, 0.69, 0.92, 0.81, 0.0, 0.0, 0.0},     {-0.8, 0.6624, 0.874, 0.78, 0.0, -0.0184, 0.0},
    {-0.2, 0.11, 0.31, 0.22, 0.22, 0.0, -18.0}, {-0.2, 0.16, 0.41, 0.28, -0.22, 0.0, 18.0},
    {0.1, 0.21, 0.25, 0.41, 0.0, 0.35, 0.0},    {0.1, 0.046, 0.046, 0.1, 0.0, 0.1, 0.0},
    {0.1, 0.046, 0.046, 0.1, 0.0, -0.1, 0.0},   {0.1, 0.046, 0.023, 0.1, -0.08, -0.605, 0.0},
    {0.1, 0.023, 0.023, 0.1, 0.0, -0.606, 0.0}, {0.1, 0.023, 0.046, 0.1, 0.06, -0.605, 0.0},
};

VolumeStack makeSheppLogan(int size, int slices) {
  const double half = 0.5 * size;
  std::vector<Ellipsoid> parts;
  for (const auto& e : kSheppLogan)
    parts.push_back({e.x0 * half, -e.y0 * half, 0.0, e.a * half, e.b * half, e.c * half,
                     -e.phiDeg * kPi / 180.0, e.value});
  // Slices within z ∈ [−0.05, 0.05] (half-widths): every slice keeps the classic features.
  const double spacing = std::min(1.0, 0.1 * half / slices);
  return rasterise(size, slices, spacing, [parts](Canvas& canvas, double z) {
    Ellipse section(0, 0, 1, 1, 0);
    for (const Ellipsoid& e : parts)
      if (e.section(z, section)) canvas.add(section, static_cast<float>(e.value));
  });
}

// --- Glass beads ---------------------------------------------------------------------------

struct GlassDesign {
  double tubeOuter, tubeInner, wallDensity, beadMin, beadMax, gap, zLow, zHigh;
};

GlassDesign glassDesign(int size, int slices) {
  const double half = 0.5 * size;
  const double beadMax = 0.14 * half;
  const double slab = 0.5 * slices;
  return {0.93 * half,     0.86 * half,   0.45, 0.05 * half, beadMax, std::max(1.0, 0.01 * half),
          -slab - beadMax, slab + beadMax};
}

std::vector<GlassBead> drawBeads(const GlassDesign& d, std::uint64_t seed) {
  Random random(seed);
  // Random sequential packing, largest beads first: more candidates than can fit, so the tube
  // ends up densely and irregularly packed.
  const double height = d.zHigh - d.zLow;
  const double meanRadius = 0.5 * (d.beadMin + d.beadMax);
  const double candidates = 2.5 * (kPi * d.tubeInner * d.tubeInner * height) /
                            (4.0 / 3.0 * kPi * std::pow(meanRadius, 3));
  std::vector<double> radii(static_cast<std::size_t>(std::ceil(candidates)));
  for (double& r : radii) r = random.uniform(d.beadMin, d.beadMax);
  std::sort(radii.begin(), radii.end(), std::greater<>());

  // Beads bucketed by height: a bead can only touch beads in its own or the adjacent buckets.
  const double bucketHeight = 2.0 * d.beadMax + d.gap;
  std::vector<std::vector<int>> buckets(static_cast<std::size_t>(height / bucketHeight) + 1);
  const auto bucketOf = [&](double z) {
    return std::min<int>(static_cast<int>((z - d.zLow) / bucketHeight), int(buckets.size()) - 1);
  };
  std::vector<GlassBead> beads;
  constexpr int kTries = 30;
  for (double radius : radii) {
    for (int attempt = 0; attempt < kTries; ++attempt) {
      const double rho = (d.tubeInner - d.gap - radius) * std::sqrt(random.uniform(0.0, 1.0));
      const double phi = random.uniform(0.0, 2.0 * kPi);
      const GlassBead bead{rho * std::cos(phi), rho * std::sin(phi),
                           random.uniform(d.zLow, d.zHigh), radius, 0.0};
      const int b = bucketOf(bead.z);
      bool free = true;
      for (int nb = std::max(0, b - 1); free && nb <= std::min<int>(b + 1, buckets.size() - 1);
           ++nb)
        for (int other : buckets[nb]) {
          const GlassBead& o = beads[other];
          const double reach = radius + o.radius + d.gap;
          const double dx = bead.x - o.x, dy = bead.y - o.y, dz = bead.z - o.z;
          if (dx * dx + dy * dy + dz * dz < reach * reach) {
            free = false;
            break;
          }
        }
      if (!free) continue;
      buckets[b].push_back(static_cast<int>(beads.size()));
      beads.push_back(bead);
      beads.back().density = random.uniform(0.7, 1.3);
      break;
    }
  }
  return beads;
}

VolumeStack makeGlass(int size, int slices, std::uint64_t seed) {
  const GlassDesign d = glassDesign(size, slices);
  std::vector<Ellipsoid> beads;
  for (const GlassBead& b : drawBeads(d, seed))
    beads.push_back({b.x, b.y, b.z, b.radius, b.radius, b.radius, 0.0, b.density});
  return rasterise(size, slices, 1.0, [d, beads](Canvas& canvas, double z) {
    canvas.set(Ellipse(0, 0, d.tubeOuter, d.tubeOuter, 0), static_cast<float>(d.wallDensity));
    canvas.set(Ellipse(0, 0, d.tubeInner, d.tubeInner, 0), 0.0f);
    Ellipse section(0, 0, 1, 1, 0);
    for (const Ellipsoid& b : beads)
      if (b.section(z, section)) canvas.set(section, static_cast<float>(b.value));
  });
}

// --- Shale ---------------------------------------------------------------------------------

struct Wave {
  double amplitude, kx, kz, phase;
  double at(double x, double z) const { return amplitude * std::sin(kx * x + kz * z + phase); }
};

struct Crack {
  double cx, cy, cz, angle, halfLength, halfHeight, halfWidth, dipSlope, value;
};

struct ShaleModel {
  double coreRadius;
  double tilt;                     // bedding dip within the slice: dy/dx
  std::vector<Wave> sharedWaves;   // folds shared by all bedding planes
  std::vector<double> boundaries;  // bedding planes' mean heights, increasing
  std::vector<Wave> ownWaves;      // one per plane, small enough that planes never cross
  std::vector<double> densities;   // one per layer: boundaries.size() + 1
  std::vector<Ellipsoid> grains;   // inclusions, then pores: painted in this order
  std::vector<Crack> cracks;
};

ShaleModel drawShale(int size, int slices, std::uint64_t seed) {
  Random random(seed);
  const double half = 0.5 * size;
  ShaleModel m;
  m.coreRadius = 0.92 * half;
  m.tilt = random.uniform(-0.25, 0.25);
  const auto wave = [&](double amplitude, double minLength, double maxLength, double zShare) {
    const double k = 2.0 * kPi / (random.uniform(minLength, maxLength) * half);
    const double direction = random.uniform(-zShare, zShare);
    return Wave{amplitude, k * std::cos(direction), k * std::sin(direction),
                random.uniform(0.0, 2.0 * kPi)};
  };
  m.sharedWaves = {wave(0.05 * half, 1.0, 2.5, 1.2), wave(0.02 * half, 0.4, 0.8, 1.5)};

  const int layers = random.integer(6, 10);
  std::vector<double> thickness(layers);
  for (double& t : thickness) t = random.uniform(0.5, 1.5);
  const double total = std::accumulate(thickness.begin(), thickness.end(), 0.0);
  const double span = 2.4 * half;  // beyond the core, so tilt and folds never expose an edge
  double y = -0.5 * span, thinnest = span;
  for (int k = 0; k + 1 < layers; ++k) {
    y += thickness[k] / total * span;
    m.boundaries.push_back(y);
    thinnest = std::min(thinnest, thickness[k] / total * span);
  }
  thinnest = std::min(thinnest, thickness.back() / total * span);
  for (std::size_t k = 0; k < m.boundaries.size(); ++k)
    m.ownWaves.push_back(wave(0.2 * thinnest, 0.2, 0.6, 0.8));
  double previous = 0.0;
  for (int k = 0; k < layers; ++k) {
    double density = random.uniform(0.7, 1.2);
    while (k > 0 && std::abs(density - previous) < 0.08) density = random.uniform(0.7, 1.2);
    m.densities.push_back(density);
    previous = density;
  }

  // Object counts follow the volume of core the slices (plus margins) cut, in units of half³.
  const double margin = 0.08 * half;
  const double zLow = -0.5 * slices - margin, zHigh = 0.5 * slices + margin;
  const double volume = kPi * 0.92 * 0.92 * (zHigh - zLow) / half;
  const auto inCore = [&](double reach) {
    const double rho = (m.coreRadius - reach) * std::sqrt(random.uniform(0.0, 1.0));
    const double phi = random.uniform(0.0, 2.0 * kPi);
    return std::pair{rho * std::cos(phi), rho * std::sin(phi)};
  };
  const int inclusions = static_cast<int>(std::lround(60.0 * volume));
  for (int i = 0; i < inclusions; ++i) {
    const double a = random.uniform(0.01, 0.03) * half;
    const auto [x, yy] = inCore(a);
    m.grains.push_back({x, yy, random.uniform(zLow, zHigh), a, a * random.uniform(0.6, 1.0),
                        a * random.uniform(0.6, 1.0), random.uniform(0.0, kPi),
                        random.uniform(2.2, 3.2)});
  }
  // Pores are flattened along the bedding, as compaction leaves them.
  const int pores = static_cast<int>(std::lround(300.0 * volume));
  for (int i = 0; i < pores; ++i) {
    const double a = random.uniform(0.012, 0.035) * half;
    const auto [x, yy] = inCore(a);
    m.grains.push_back({x, yy, random.uniform(zLow, zHigh), a, a * random.uniform(0.3, 0.7),
                        a * random.uniform(0.6, 1.2), std::atan(m.tilt) + random.uniform(-0.2, 0.2),
                        random.uniform(0.0, 0.15)});
  }
  const int cracks = std::max(2, static_cast<int>(std::lround(3.0 * volume)));
  for (int i = 0; i < cracks; ++i) {
    const auto [x, yy] = inCore(0.3 * half);
    m.cracks.push_back({x, yy, random.uniform(zLow, zHigh), random.uniform(0.0, kPi),
                        random.uniform(0.25, 0.6) * half, random.uniform(0.2, 0.6) * half,
                        random.uniform(0.5, 0.9), random.uniform(-0.5, 0.5), 0.05});
  }
  return m;
}

void paintShale(const ShaleModel& m, Canvas& canvas, double z) {
  const int width = canvas.width();
  const int planes = static_cast<int>(m.boundaries.size());
  // Row at which each bedding plane starts in each column, then a row-major fill that walks
  // every column's layer index down the canvas.
  std::vector<int> planeRow(std::size_t(planes) * width);
  for (int j = 0; j < width; ++j) {
    const double x = canvas.position(j);
    double fold = m.tilt * x;
    for (const Wave& w : m.sharedWaves) fold += w.at(x, z);
    for (int k = 0; k < planes; ++k)
      planeRow[std::size_t(k) * width + j] =
          canvas.first(m.boundaries[k] + fold + m.ownWaves[k].at(x, z));
  }
  std::vector<int> layer(width, 0);
  for (int i = 0; i < width; ++i) {
    float* row = canvas.row(i);
    for (int j = 0; j < width; ++j) {
      int& l = layer[j];
      while (l < planes && i >= planeRow[std::size_t(l) * width + j]) ++l;
      row[j] = static_cast<float>(m.densities[l]);
    }
  }
  Ellipse section(0, 0, 1, 1, 0);
  for (const Ellipsoid& g : m.grains)
    if (g.section(z, section)) canvas.set(section, static_cast<float>(g.value));
  for (const Crack& c : m.cracks) {
    const double t = (z - c.cz) / c.halfHeight;
    if (std::abs(t) >= 1.0) continue;
    // The sheet dips: its trace moves across the slice along its normal as z changes.
    const double shift = c.dipSlope * (z - c.cz);
    const Band band(c.cx - std::sin(c.angle) * shift, c.cy + std::cos(c.angle) * shift, c.angle,
                    c.halfLength * std::sqrt(1.0 - t * t), c.halfWidth);
    canvas.set(band, static_cast<float>(c.value));
  }
  canvas.clipOutside(m.coreRadius);
}

VolumeStack makeShale(int size, int slices, std::uint64_t seed) {
  const ShaleModel model = drawShale(size, slices, seed);
  return rasterise(size, slices, 1.0,
                   [&model](Canvas& canvas, double z) { paintShale(model, canvas, z); });
}

void checkSize(int size, int slices) {
  if (size < 8)
    throw std::invalid_argument("phantom: size " + std::to_string(size) + " must be at least 8");
  if (slices < 1)
    throw std::invalid_argument("phantom: slices " + std::to_string(slices) +
                                " must be at least 1");
}

}  // namespace

PhantomKind parsePhantomKind(const std::string& name) {
  for (PhantomKind kind : {PhantomKind::SheppLogan, PhantomKind::Glass, PhantomKind::Shale})
    if (name == phantomKindName(kind)) return kind;
  throw std::invalid_argument("unknown phantom \"" + name + "\"; valid: shepp-logan, glass, shale");
}

std::string phantomKindName(PhantomKind kind) {
  switch (kind) {
    case PhantomKind::SheppLogan:
      return "shepp-logan";
    case PhantomKind::Glass:
      return "glass";
    case PhantomKind::Shale:
      return "shale";
  }
  throw std::invalid_argument("unknown phantom kind " + std::to_string(static_cast<int>(kind)));
}

VolumeStack makePhantom(PhantomKind kind, int size, int slices, std::uint64_t seed) {
  checkSize(size, slices);
  switch (kind) {
    case PhantomKind::SheppLogan:
      return makeSheppLogan(size, slices);
    case PhantomKind::Glass:
      return makeGlass(size, slices, seed);
    case PhantomKind::Shale:
      return makeShale(size, slices, seed);
  }
  throw std::invalid_argument("unknown phantom kind " + std::to_string(static_cast<int>(kind)));
}

std::vector<GlassBead> glassBeads(int size, int slices, std::uint64_t seed) {
  checkSize(size, slices);
  return drawBeads(glassDesign(size, slices), seed);
}

}  // namespace tomolive
