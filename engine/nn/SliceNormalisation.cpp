#include "nn/SliceNormalisation.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace tomolive {

SliceStatistics fieldOfViewStatistics(std::span<const float> image, int height, int width) {
  const double cy = (height - 1) / 2.0, cx = (width - 1) / 2.0;
  const double radius = std::min(height, width) / 2.0;
  double sum = 0.0, sumSquares = 0.0;
  std::size_t count = 0;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if ((y - cy) * (y - cy) + (x - cx) * (x - cx) > radius * radius) continue;
      const double v = image[std::size_t(y) * width + x];
      sum += v, sumSquares += v * v, ++count;
    }
  }
  SliceStatistics s;
  if (count == 0) return s;
  s.mean = sum / double(count);
  s.std = std::sqrt(std::max(0.0, sumSquares / double(count) - s.mean * s.mean));
  return s;
}

std::vector<float> enhancePerSlice(std::span<const float> slices, int depth, int height, int width,
                                   TomoGanNormalisation normalisation,
                                   const NormalisedNetwork& network) {
  const std::size_t plane = std::size_t(height) * width;
  const std::span<const float> middle = slices.subspan(std::size_t(depth / 2) * plane, plane);
  const SliceStatistics s = fieldOfViewStatistics(middle, height, width);
  const double scale = normalisation == TomoGanNormalisation::perSliceMean ? s.mean : s.std;
  if (!(scale > 0.0) || !std::isfinite(scale)) return {middle.begin(), middle.end()};

  const int h8 = (height + 7) / 8 * 8, w8 = (width + 7) / 8 * 8;
  const float air = float((0.0 - s.mean) / scale);
  std::vector<float> input(std::size_t(depth) * h8 * w8, air);
  for (int c = 0; c < depth; ++c)
    for (int y = 0; y < height; ++y) {
      const float* src = slices.data() + c * plane + std::size_t(y) * width;
      float* dst = input.data() + (std::size_t(c) * h8 + y) * w8;
      for (int x = 0; x < width; ++x) dst[x] = float((src[x] - s.mean) / scale);
    }
  const std::vector<float> output = network(input, h8, w8);
  std::vector<float> result(plane);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      result[std::size_t(y) * width + x] = float(output[std::size_t(y) * w8 + x] * scale + s.mean);
  return result;
}

}  // namespace tomolive
