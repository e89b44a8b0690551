#include "preprocess/FlatDarkCorrection.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace tomolive {

namespace {

// Per pixel, the median of its finite values over the frames (NaN where none; 0 for no frames).
std::vector<float> medianFrame(std::span<const float> frames, std::size_t pixels) {
  std::vector<float> out(pixels, 0.0f);
  if (frames.empty()) return out;
  const std::size_t count = frames.size() / pixels;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, pixels, 4096), [&](const auto& block) {
    std::vector<float> values;
    values.reserve(count);
    for (std::size_t i = block.begin(); i < block.end(); ++i) {
      values.clear();
      for (std::size_t f = 0; f < count; ++f)
        if (const float v = frames[f * pixels + i]; std::isfinite(v)) values.push_back(v);
      if (values.empty()) {
        out[i] = std::nanf("");
        continue;
      }
      const auto middle = values.begin() + std::ptrdiff_t(values.size() / 2);
      std::nth_element(values.begin(), middle, values.end());
      out[i] = *middle;
    }
  });
  return out;
}

// A zinger's ceiling: frame f's value at pixel i above base[i] + level[f]·gain[i] (what the
// frame leads to expect) + max(half[i], margin[f]) is a spike.
struct Ceiling {
  std::vector<float> base, gain, half;  ///< per pixel (empty: no ceiling)
  std::vector<float> level, margin;     ///< per frame
  float at(std::size_t f, std::size_t i) const {
    return base.empty() ? std::numeric_limits<float>::infinity()
                        : base[i] + level[f] * gain[i] + std::max(half[i], margin[f]);
  }
};

// Per pixel, the mean of its finite values at or below the ceiling (a zinger's spike above it is
// left out and counted in `leftOut`; NaN where nothing is left; 0 for no frames).
std::vector<float> meanFrame(std::span<const float> frames, std::size_t pixels,
                             const Ceiling& ceiling, std::int64_t& leftOut) {
  std::vector<float> mean(pixels, 0.0f);
  if (frames.empty()) return mean;
  const std::size_t count = frames.size() / pixels;
  std::vector<double> sum(pixels, 0.0);
  std::vector<int> good(pixels, 0);
  for (std::size_t f = 0; f < count; ++f)
    for (std::size_t i = 0; i < pixels; ++i) {
      const float v = frames[f * pixels + i];
      if (!std::isfinite(v)) continue;
      if (v > ceiling.at(f, i)) {
        ++leftOut;
        continue;
      }
      sum[i] += v;
      ++good[i];
    }
  for (std::size_t i = 0; i < pixels; ++i)
    mean[i] = good[i] ? float(sum[i] / good[i]) : std::nanf("");
  return mean;
}

// Replaces the pixels flagged in `bad` by linear interpolation between the nearest good
// neighbours in the row (nearest good value at the row's ends; 0 when the whole row is bad).
void repairRow(float* row, const unsigned char* bad, int columns) {
  int previous = -1;
  for (int j = 0; j <= columns; ++j) {
    if (j < columns && bad[j]) continue;
    const int next = j;  // first good pixel after a run of bad ones (columns = none)
    for (int k = previous + 1; k < next; ++k) {
      if (previous < 0 && next >= columns)
        row[k] = 0.0f;
      else if (previous < 0)
        row[k] = row[next];
      else if (next >= columns)
        row[k] = row[previous];
      else {
        const float t = float(k - previous) / float(next - previous);
        row[k] = row[previous] + t * (row[next] - row[previous]);
      }
    }
    previous = j;
  }
}

}  // namespace

FlatDarkCorrection::FlatDarkCorrection(std::span<const float> flats, std::span<const float> darks,
                                       int rows, int columns)
    : m_rows(rows), m_columns(columns) {
  if (rows < 1 || columns < 1)
    throw std::invalid_argument("flat/dark correction: frame size " + std::to_string(rows) + "×" +
                                std::to_string(columns) + " is empty");
  const std::size_t pixels = std::size_t(rows) * columns;
  if (flats.empty() || flats.size() % pixels != 0)
    throw std::invalid_argument("flat/dark correction: flat fields hold " +
                                std::to_string(flats.size()) + " values, not a multiple of " +
                                std::to_string(pixels) + " (one frame)");
  if (darks.size() % pixels != 0)
    throw std::invalid_argument("flat/dark correction: dark fields hold " +
                                std::to_string(darks.size()) + " values, not a multiple of " +
                                std::to_string(pixels) + " (one frame)");
  // Zingers in the flats and darks (a stray photon's spike in one pixel of one frame) would ring
  // through every projection: with three frames or more, a value above what its frame leads to
  // expect by more than half the beam's range r = median flat − median dark and six times the
  // frame's noise is left out of the mean — expected for a dark its pixel's median dark, for a
  // flat dark + s_f·r with s_f the frame's own beam level (the median over pixels of
  // (flat − dark) / r), so that a beam drifting between flats (80 % and 120 %) is averaged, and
  // the Poisson tail of a low-dose flat is not taken for zingers.
  const std::vector<float> darkMedian = medianFrame(darks, pixels),
                           flatMedian = medianFrame(flats, pixels);
  const auto ceilingFor = [&](std::span<const float> frames, bool flat) {
    Ceiling c;
    const std::size_t count = frames.size() / pixels;
    if (count < 3) return c;
    c.base.assign(pixels, std::numeric_limits<float>::infinity());
    c.gain.assign(pixels, 0.0f);
    c.half.assign(pixels, 0.0f);
    std::vector<std::size_t> beam;  // pixels with a beam range, at most ~65 536 spread evenly:
    for (std::size_t i = 0; i < pixels; ++i)  // the frames' level and noise are medians over them
      if (const float range = flatMedian[i] - darkMedian[i]; range > 0.0f) {
        c.base[i] = darkMedian[i];
        c.gain[i] = flat ? range : 0.0f;
        c.half[i] = 0.5f * range;
        beam.push_back(i);
      }
    if (const std::size_t stride = beam.size() / 65536 + 1; stride > 1) {
      std::size_t kept = 0;
      for (std::size_t k = 0; k < beam.size(); k += stride) beam[kept++] = beam[k];
      beam.resize(kept);
    }
    c.level.assign(count, flat ? 0.0f : 1.0f);
    c.margin.assign(count, 0.0f);
    const auto median = [](std::vector<float>& v) {
      const auto middle = v.begin() + std::ptrdiff_t(v.size() / 2);
      std::nth_element(v.begin(), middle, v.end());
      return *middle;
    };
    std::vector<float> values;
    for (std::size_t f = 0; f < count && !beam.empty(); ++f) {
      const float* frame = frames.data() + f * pixels;
      if (flat) {  // the frame's own beam level
        values.clear();
        for (std::size_t i : beam)
          if (std::isfinite(frame[i])) values.push_back((frame[i] - darkMedian[i]) / c.gain[i]);
        if (!values.empty()) c.level[f] = median(values);
      }
      // Six times the frame's own noise (1.4826 × the median distance from what it leads to
      // expect): at a few counts per pixel half the range is within Poisson noise.
      values.clear();
      for (std::size_t i : beam)
        if (std::isfinite(frame[i]))
          values.push_back(std::abs(frame[i] - (c.base[i] + c.level[f] * c.gain[i])));
      if (!values.empty()) c.margin[f] = 6.0f * 1.4826f * median(values);
    }
    return c;
  };
  m_dark = meanFrame(darks, pixels, ceilingFor(darks, false), m_zingersLeftOut);
  const std::vector<float> flat =
      meanFrame(flats, pixels, ceilingFor(flats, true), m_zingersLeftOut);
  m_range.resize(pixels);
  for (std::size_t i = 0; i < pixels; ++i) {
    m_range[i] = flat[i] - m_dark[i];
    if (!(m_range[i] > 0.0f)) {  // also catches NaN
      m_range[i] = 0.0f;
      ++m_dead;
    }
  }
  if (m_dead == std::int64_t(pixels))
    throw std::invalid_argument(
        "flat/dark correction: no pixel's flat field is above its dark (" +
        std::to_string(flats.size() / pixels) +
        " flat frames, all zero or darker than the darks): there is no beam to normalise by");
}

std::int64_t FlatDarkCorrection::apply(std::span<const float> raw,
                                       std::span<float> lineIntegrals) const {
  const std::size_t pixels = std::size_t(m_rows) * m_columns;
  if (raw.size() != pixels || lineIntegrals.size() != pixels)
    throw std::invalid_argument("flat/dark correction: frame has " + std::to_string(raw.size()) +
                                " pixels, expected " + std::to_string(pixels));
  std::int64_t repaired = 0;
  std::vector<unsigned char> bad(m_columns);
  for (int r = 0; r < m_rows; ++r) {
    bool anyBad = false;
    float* out = lineIntegrals.data() + std::size_t(r) * m_columns;
    for (int j = 0; j < m_columns; ++j) {
      const std::size_t i = std::size_t(r) * m_columns + j;
      const float signal = raw[i] - m_dark[i];
      const bool ok = m_range[i] > 0.0f && signal > 0.0f && std::isfinite(signal) &&
                      signal <= kMostTransmission * m_range[i];
      bad[j] = !ok;
      anyBad |= !ok;
      out[j] = ok ? -std::log(signal / m_range[i]) : 0.0f;
    }
    if (anyBad) {
      for (int j = 0; j < m_columns; ++j) repaired += bad[j];
      repairRow(out, bad.data(), m_columns);
    }
  }
  return repaired;
}

ProjectionStack FlatDarkCorrection::lineIntegrals(std::span<const float> frames) const {
  const std::size_t frame = std::size_t(m_rows) * m_columns;
  if (frames.size() % frame != 0)
    throw std::invalid_argument("raw frames of " + std::to_string(frames.size()) +
                                " values are not whole frames of " + std::to_string(m_rows) +
                                " × " + std::to_string(m_columns));
  const int count = int(frames.size() / frame);
  ProjectionStack out(count, m_rows, m_columns);
  std::vector<float> lineIntegrals(frame);
  for (int k = 0; k < count; ++k) {
    apply(frames.subspan(std::size_t(k) * frame, frame), lineIntegrals);
    out.setProjection(k, lineIntegrals);
  }
  return out;
}

std::vector<float> binImage(std::span<const float> image, int rows, int columns, int b) {
  if (b < 1) throw std::invalid_argument("binning " + std::to_string(b) + " must be ≥ 1");
  if (b == 1) return {image.begin(), image.end()};
  const int outRows = rows / b, outColumns = columns / b;
  std::vector<float> out(std::size_t(outRows) * outColumns, 0.0f);
  const float scale = 1.0f / float(b * b);
  for (int r = 0; r < outRows * b; ++r)
    for (int c = 0; c < outColumns * b; ++c)
      out[std::size_t(r / b) * outColumns + c / b] += scale * image[std::size_t(r) * columns + c];
  return out;
}

namespace {

// The median of `values` (reordered), the two middle ones averaged for an even count: the upper
// one alone sits 0.3 σ high for four noisy values (a 100-photon scan's air read as 0.94).
double median(std::vector<float>& values) {
  const std::size_t half = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + half, values.end());
  if (values.size() % 2 == 1) return values[half];
  const float below = *std::max_element(values.begin(), values.begin() + half);
  return 0.5 * (double(below) + values[half]);
}

}  // namespace

std::string flatFieldNote(const ProjectionStack& lineIntegrals, std::span<const int> projections) {
  const int columns = lineIntegrals.columns(), slices = lineIntegrals.slices();
  const int edge = std::max(3, columns / 64);
  if (projections.empty() || 2 * edge >= columns) return {};
  // At most about 100 000 strips (a 2000-row scan of 1500 projections has 6 million): every
  // k-th row of every projection.
  const std::size_t strips = projections.size() * std::size_t(slices) * 2;
  const int rowStep = int(std::max<std::size_t>(1, strips / 100000));
  std::vector<float> levels;      // per projection, row and side: the median of its edge columns
  std::vector<float> deviations;  // each edge pixel's distance from its strip's median
  std::vector<float> strip(std::size_t(edge), 0.0f), values;
  for (int p : projections)
    for (int s = 0; s < slices; s += rowStep)
      for (int side = 0; side < 2; ++side) {
        for (int k = 0; k < edge; ++k)
          strip[std::size_t(k)] = lineIntegrals.at(p, s, side == 0 ? k : columns - 1 - k);
        values = strip;
        const double level = median(strip);
        levels.push_back(float(level));
        for (float v : values) deviations.push_back(float(std::abs(v - level)));
      }
  // A 5 % offset is news where the pixels are quieter than that; on a scan whose air is noisier
  // (a 30-photon simulation: 18 %) the offset must stand out from three quarters of its noise.
  const double noise = 1.4826 * median(deviations);
  const double level = median(levels);
  if (std::abs(level) <= std::max(-std::log(0.95), 0.75 * noise)) return {};
  const double transmission = std::exp(-level);
  char text[400];
  std::snprintf(text, sizeof text,
                "the detector's edges transmit %.2f of the flat field (median of its outer %d "
                "columns on each side): %s; the reconstruction carries it (an offset that SIRT "
                "piles up at the field of view's edge)",
                transmission, edge,
                transmission > 1.0
                    ? "the flats were dimmer than the projections' beam (nothing transmits more)"
                    : "a sample or container wider than the field of view, or flats brighter "
                      "than the projections' beam");
  return text;
}

std::string unrepairableNote(std::int64_t repaired, std::int64_t pixels) {
  if (!(pixels > 0 && 2 * repaired > pixels)) return {};
  return std::to_string(repaired) + " of the projections' " + std::to_string(pixels) +
         " pixels cannot give a line integral (counts at or below the dark, not finite, or above "
         "twice the flat): the projections, flats and darks do not belong together (another "
         "dataset, an offset in the counts, or darks taken with the beam on)";
}

}  // namespace tomolive
