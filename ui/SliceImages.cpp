#include "SliceImages.h"

#include <algorithm>
#include <cmath>

#include "geometry/SliceStacks.h"

namespace tomolive::ui {

FloatImage sliceImage(const VolumeStack& volume, int slice) {
  return {volume.slice(slice), volume.gridSize(), volume.gridSize()};
}

FloatImage verticalCut(const VolumeStack& volume, int index, Cut through) {
  const int n = volume.gridSize();
  FloatImage cut{std::vector<float>(std::size_t(volume.slices()) * n), n, volume.slices()};
  for (int s = 0; s < volume.slices(); ++s)
    for (int i = 0; i < n; ++i)
      cut.pixels[std::size_t(s) * n + i] =
          through == Cut::Row ? volume.at(s, index, i) : volume.at(s, i, index);
  return cut;
}

FloatImage difference(const FloatImage& after, const FloatImage& before) {
  if (after.width != before.width || after.height != before.height ||
      after.pixels.size() != before.pixels.size())
    return {};
  FloatImage d{std::vector<float>(after.pixels.size()), after.width, after.height};
  for (std::size_t i = 0; i < d.pixels.size(); ++i)
    d.pixels[i] = after.pixels[i] - before.pixels[i];
  return d;
}

std::pair<double, double> robustRange(std::span<const float> pixels, double low, double high) {
  constexpr std::size_t kMaxSamples = 65536;
  const std::size_t stride = std::max<std::size_t>(1, pixels.size() / kMaxSamples);
  std::vector<float> sample;
  sample.reserve(std::min(pixels.size(), kMaxSamples + 1));
  for (std::size_t i = 0; i < pixels.size(); i += stride)
    if (std::isfinite(pixels[i])) sample.push_back(pixels[i]);
  if (sample.empty()) return {0.0, 1.0};
  auto quantile = [&](double q) {
    const auto k = std::size_t(std::clamp(q, 0.0, 1.0) * double(sample.size() - 1) + 0.5);
    std::nth_element(sample.begin(), sample.begin() + std::ptrdiff_t(k), sample.end());
    return double(sample[k]);
  };
  double lo = quantile(low), hi = quantile(high);
  if (!(hi > lo)) lo -= 0.5, hi = lo + 1.0;
  return {lo, hi};
}

std::vector<int> histogram(std::span<const float> pixels, double lo, double hi, int bins) {
  if (bins < 1 || !(hi > lo)) return {};
  std::vector<int> counts(std::size_t(bins), 0);
  const double scale = bins / (hi - lo);
  for (float v : pixels) {
    if (!(v >= lo && v <= hi)) continue;  // also NaN
    counts[std::size_t(std::min(bins - 1, int((v - lo) * scale)))]++;
  }
  return counts;
}

}  // namespace tomolive::ui
