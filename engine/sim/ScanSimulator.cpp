#include "sim/ScanSimulator.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>

#include "projector/JosephProjector.h"

namespace tomolive {

namespace {

constexpr int kBatch = 64;  // projections per forward call: amortises tracing, bounds memory

enum class Frame : std::uint64_t { Projection = 1, Flat = 2, Dark = 3, Gain = 4, Zinger = 5 };

std::uint64_t splitMix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// One independent stream per detector row of each frame: frames and rows can be generated in
// any order and on any thread with the same result.
std::mt19937_64 rowEngine(std::uint64_t seed, Frame frame, int index, int row) {
  std::uint64_t h = splitMix(seed);
  h = splitMix(h ^ static_cast<std::uint64_t>(frame));
  h = splitMix(h ^ static_cast<std::uint64_t>(index));
  return std::mt19937_64(splitMix(h ^ static_cast<std::uint64_t>(row)));
}

double uniform(std::mt19937_64& engine) { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }

// A standard normal deviate (Box–Muller, one of the pair): a fixed algorithm, like poisson().
double normal(std::mt19937_64& engine) {
  const double u = 1.0 - uniform(engine);  // (0, 1]
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * 3.14159265358979323846 * uniform(engine));
}

// Poisson deviates with a fixed algorithm (the standard library's is unspecified and slow for
// per-pixel means): multiplication of uniforms for small means, Hörmann's transformed
// rejection (PTRS, 1993) otherwise.
double poisson(double mean, std::mt19937_64& engine) {
  if (mean <= 0.0) return 0.0;
  if (mean < 10.0) {
    const double limit = std::exp(-mean);
    double product = uniform(engine);
    int k = 0;
    while (product > limit) {
      product *= uniform(engine);
      ++k;
    }
    return k;
  }
  const double root = std::sqrt(mean), logMean = std::log(mean);
  const double b = 0.931 + 2.53 * root;
  const double a = -0.059 + 0.02483 * b;
  const double invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const double vr = 0.9277 - 3.6224 / (b - 2.0);
  while (true) {
    const double u = uniform(engine) - 0.5;
    const double v = uniform(engine);
    const double us = 0.5 - std::abs(u);
    const double k = std::floor((2.0 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(invAlpha) - std::log(a / (us * us) + b) <=
        -mean + k * logMean - std::lgamma(k + 1.0))
      return k;
  }
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("scan: " + what);
}

std::string text(double value) {
  if (std::isnan(value)) return "NaN";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

}  // namespace

void validate(const ScanSpec& spec) {
  require(spec.size >= 8, "size " + std::to_string(spec.size) + " must be at least 8");
  require(spec.slices >= 1, "slices " + std::to_string(spec.slices) + " must be at least 1");
  require(spec.acquisition.projections >= 1,
          "projections " + std::to_string(spec.acquisition.projections) + " must be at least 1");
  require(
      spec.acquisition.order != AcquisitionOrder::Interlaced ||
          (spec.acquisition.window >= 1 && spec.acquisition.window <= spec.acquisition.projections),
      "window " + std::to_string(spec.acquisition.window) + " must lie in 1 … projections (" +
          std::to_string(spec.acquisition.projections) + ")");
  // Counts are stored as 32-bit floats: far above any detector's well, far below their limit.
  require(std::isfinite(spec.photons) && spec.photons >= 0.0 && spec.photons <= 1e20,
          "photons " + text(spec.photons) + " must lie in 0 … 1e20 (0 = noise-free)");
  require(std::isfinite(spec.darkLevel) && spec.darkLevel >= 0.0,
          "darkLevel " + text(spec.darkLevel) + " must be finite and ≥ 0");
  require(spec.flats >= 1, "flats " + std::to_string(spec.flats) + " must be at least 1");
  require(spec.darks >= 0, "darks " + std::to_string(spec.darks) + " must be at least 0");
  require(std::isfinite(spec.tube) && spec.tube >= 0.0,
          "tube " + text(spec.tube) + " must be finite and ≥ 0 (0 = none)");
  require(std::isfinite(spec.rings) && spec.rings >= 0.0 && spec.rings < 0.2,
          "rings " + text(spec.rings) + " must lie in [0, 0.2) (0 = none)");
  require(std::isfinite(spec.zingers) && spec.zingers >= 0.0 && spec.zingers <= 0.01,
          "zingers " + text(spec.zingers) + " must lie in [0, 0.01] (0 = none)");
  require(std::isfinite(spec.truncation) && spec.truncation >= 0.0 && spec.truncation <= 1.0,
          "truncation " + text(spec.truncation) + " must lie in [0, 1] (0 = the sample fits)");
  require(std::isfinite(spec.sampleScale) && spec.sampleScale > 0.0 && spec.sampleScale <= 1.0,
          "sample scale " + text(spec.sampleScale) +
              " must lie in (0, 1] (1 = the sample fills the grid)");
  require(spec.sampleScale == 1.0 || spec.truncation == 0.0,
          "a small sample (scale " + text(spec.sampleScale) + ") cannot also be truncated (" +
              text(spec.truncation) + ")");
}

namespace {

// Adds ScanSpec::tube's wall to every slice, each pixel weighted by the share of its 4 × 4
// sub-pixels inside the wall.
void addTube(VolumeStack& volume, int size, double lineIntegral) {
  const double outer = 0.47 * size, inner = outer - std::max(2.0, 0.025 * size);
  const double chord = 2.0 * std::sqrt(outer * outer - inner * inner);
  const double mu = lineIntegral / chord, c = 0.5 * (size - 1);
  constexpr int kSub = 4;
  std::vector<float> wall(std::size_t(size) * size, 0.0f);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      int inside = 0;
      for (int i = 0; i < kSub; ++i)
        for (int j = 0; j < kSub; ++j) {
          const double r = std::hypot(x - c + (j + 0.5) / kSub - 0.5, y - c + (i + 0.5) / kSub - 0.5);
          inside += r >= inner && r < outer;
        }
      wall[std::size_t(y) * size + x] = float(mu * inside / (kSub * kSub));
    }
  for (int s = 0; s < volume.slices(); ++s)
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) volume.at(s, y, x) += wall[std::size_t(y) * size + x];
}

// `sample` in the middle of an empty size² grid (air around it).
VolumeStack inAir(const VolumeStack& sample, int size) {
  const int margin = (size - sample.gridSize()) / 2;
  VolumeStack out(sample.slices(), size);
  for (int s = 0; s < sample.slices(); ++s)
    for (int y = 0; y < sample.gridSize(); ++y)
      for (int x = 0; x < sample.gridSize(); ++x)
        out.at(s, y + margin, x + margin) = sample.at(s, y, x);
  return out;
}

}  // namespace

ScanSimulator::ScanSimulator(const ScanSpec& spec) : m_spec(spec) {
  validate(m_spec);
  m_geometry = ParallelGeometry::make(acquisitionAnglesRad(m_spec.acquisition),
                                      0.5 * (m_spec.size - 1), m_spec.size);
  m_margin = int(std::lround(0.5 * m_spec.size * m_spec.truncation));
  const int width = m_spec.size + 2 * m_margin;
  // A small sample is drawn on its own grid (an even margin of air around it, at least 8 px).
  const int drawn =
      std::max(8, width - 2 * int(std::lround(0.5 * width * (1.0 - m_spec.sampleScale))));
  VolumeStack sample = makePhantom(m_spec.phantom, drawn, m_spec.slices, m_spec.seed);
  if (drawn < width) sample = inAir(sample, width);
  if (m_spec.tube > 0.0) addTube(sample, width, m_spec.tube);
  if (m_margin == 0) {
    m_phantom = std::move(sample);
  } else {
    m_phantom = VolumeStack(m_spec.slices, m_spec.size);
    for (int s = 0; s < m_spec.slices; ++s)
      for (int y = 0; y < m_spec.size; ++y)
        for (int x = 0; x < m_spec.size; ++x)
          m_phantom.at(s, y, x) = sample.at(s, y + m_margin, x + m_margin);
    m_sample = std::move(sample);
  }
  if (m_spec.rings > 0.0) {
    m_gains.resize(std::size_t(m_spec.slices) * m_spec.size);
    for (int row = 0; row < m_spec.slices; ++row) {
      auto engine = rowEngine(m_spec.seed, Frame::Gain, 0, row);
      for (int c = 0; c < m_spec.size; ++c)
        m_gains[std::size_t(row) * m_spec.size + c] =
            float(std::max(0.05, 1.0 + m_spec.rings * normal(engine)));
    }
  }
}

void ScanSimulator::checkRange(int first, int count) const {
  if (count < 0 || first < 0 || static_cast<long long>(first) + count > projections())
    throw std::out_of_range("scan: projections " + std::to_string(first) + " … " +
                            std::to_string(first + count - 1) + " outside 0 … " +
                            std::to_string(projections() - 1));
}

std::vector<float> ScanSimulator::lineIntegrals(int first, int count) const {
  checkRange(first, count);
  const std::size_t frame = std::size_t(slices()) * columns();
  std::vector<float> out(frame * count);
  for (int begin = 0; begin < count; begin += kBatch) {
    const int n = std::min(kBatch, count - begin);
    // A projector over just this batch's angles: the output stack then holds n projections
    // instead of every projection up to the last index.
    // A wider sample is projected onto a detector as wide as it; the real one sees the middle.
    const int width = columns() + 2 * m_margin;
    const ParallelGeometry batch = ParallelGeometry::make(
        {m_geometry.anglesRad.begin() + first + begin,
         m_geometry.anglesRad.begin() + first + begin + n},
        0.5 * (width - 1), width);
    const JosephProjector projector(batch);
    ProjectionStack stack(n, slices(), width);
    std::vector<int> indices(n);
    for (int i = 0; i < n; ++i) indices[i] = i;
    projector.forward(m_margin ? m_sample : m_phantom, indices, stack);
    for (int i = 0; i < n; ++i) {
      const std::vector<float> p = stack.projection(i);
      for (int row = 0; row < slices(); ++row)
        std::copy_n(p.begin() + std::size_t(row) * width + m_margin, columns(),
                    out.begin() + (begin + i) * frame + std::size_t(row) * columns());
    }
  }
  return out;
}

std::vector<float> ScanSimulator::projections(int first, int count) const {
  std::vector<float> counts = lineIntegrals(first, count);
  const int rows = slices(), width = columns();
  const double open = flatCounts(), darkLevel = m_spec.darkLevel;
  tbb::parallel_for(
      tbb::blocked_range<int>(0, count * rows), [&](const tbb::blocked_range<int>& r) {
        for (int task = r.begin(); task < r.end(); ++task) {
          const int k = task / rows, row = task % rows;
          float* values = counts.data() + std::size_t(task) * width;
          const float* gains =
              m_gains.empty() ? nullptr : m_gains.data() + std::size_t(row) * width;
          const auto mean = [&](int c) {
            return (gains ? open * gains[c] : open) * std::exp(-double(values[c]));
          };
          if (noiseFree()) {
            for (int c = 0; c < width; ++c) values[c] = static_cast<float>(mean(c) + darkLevel);
          } else {
            auto engine = rowEngine(m_spec.seed, Frame::Projection, first + k, row);
            for (int c = 0; c < width; ++c)
              values[c] =
                  static_cast<float>(poisson(mean(c), engine) + poisson(darkLevel, engine));
          }
          if (m_spec.zingers > 0.0) {
            auto engine = rowEngine(m_spec.seed, Frame::Zinger, first + k, row);
            for (int c = 0; c < width; ++c)
              if (uniform(engine) < m_spec.zingers)
                values[c] += static_cast<float>(open * (1.0 + 9.0 * uniform(engine)));
          }
        }
      });
  return counts;
}

std::vector<float> ScanSimulator::projection(int k) const {
  if (k < 0 || k >= projections())
    throw std::out_of_range("scan: projection " + std::to_string(k) + " outside 0 … " +
                            std::to_string(projections() - 1));
  return projections(k, 1);
}

namespace {

std::vector<float> openFrame(const ScanSimulator& scan, Frame frame, int index, double open) {
  const int rows = scan.slices(), width = scan.columns();
  const double darkLevel = scan.spec().darkLevel;
  std::vector<float> values(std::size_t(rows) * width);
  tbb::parallel_for(tbb::blocked_range<int>(0, rows), [&](const tbb::blocked_range<int>& r) {
    for (int row = r.begin(); row < r.end(); ++row) {
      float* out = values.data() + std::size_t(row) * width;
      if (scan.noiseFree()) {
        std::fill(out, out + width, static_cast<float>(open + darkLevel));
        continue;
      }
      auto engine = rowEngine(scan.spec().seed, frame, index, row);
      for (int c = 0; c < width; ++c)
        out[c] = static_cast<float>(poisson(open, engine) + poisson(darkLevel, engine));
    }
  });
  return values;
}

}  // namespace

std::vector<float> ScanSimulator::flat(int i) const {
  if (i < 0 || i >= m_spec.flats)
    throw std::out_of_range("scan: flat " + std::to_string(i) + " outside 0 … " +
                            std::to_string(m_spec.flats - 1));
  return openFrame(*this, Frame::Flat, i, flatCounts());
}

std::vector<float> ScanSimulator::dark(int i) const {
  if (i < 0 || i >= m_spec.darks)
    throw std::out_of_range("scan: dark " + std::to_string(i) + " outside 0 … " +
                            std::to_string(m_spec.darks - 1));
  return openFrame(*this, Frame::Dark, i, 0.0);
}

namespace {
template <class Frame>
std::vector<float> concatenate(int count, Frame&& frame) {
  std::vector<float> all;
  for (int i = 0; i < count; ++i) {
    const std::vector<float> f = frame(i);
    all.insert(all.end(), f.begin(), f.end());
  }
  return all;
}
}  // namespace

std::vector<float> ScanSimulator::flats() const {
  return concatenate(m_spec.flats, [this](int i) { return flat(i); });
}

std::vector<float> ScanSimulator::darks() const {
  return concatenate(m_spec.darks, [this](int i) { return dark(i); });
}

}  // namespace tomolive
