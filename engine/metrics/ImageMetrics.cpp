#include "metrics/ImageMetrics.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace tomolive {

namespace {

constexpr int kRadius = 5;  // scikit-image: int(truncate 3.5 · σ 1.5 + 0.5)
constexpr int kWindow = 2 * kRadius + 1;
constexpr double kSigma = 1.5, kK1 = 0.01, kK2 = 0.03;
constexpr int kRowsPerBlock = 32;  // SSIM rows per task: bounds the filter buffers per thread

std::string shapeText(int width, int height) {
  return std::to_string(width) + "×" + std::to_string(height);
}

void fail(const char* metric, const std::string& what) {
  throw std::invalid_argument(std::string(metric) + ": " + what);
}

void checkValues(const char* metric, const char* which, std::span<const float> values,
                 std::size_t expected, const std::string& shape) {
  if (values.size() != expected)
    fail(metric, std::string(which) + " has " + std::to_string(values.size()) +
                     " values, expected " + shape + " = " + std::to_string(expected));
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      fail(metric, std::string(which) + " value at index " + std::to_string(i) + " is " +
                       (std::isnan(values[i]) ? "NaN" : "infinite"));
}

void checkPair(const char* metric, std::span<const float> image, std::span<const float> reference,
               int width, int height, int slices = 1) {
  if (width < 1 || height < 1)
    fail(metric, "image size " + shapeText(width, height) + " must be positive");
  if (slices < 1) fail(metric, "slice count " + std::to_string(slices) + " must be positive");
  std::string shape = shapeText(width, height);
  if (slices > 1) shape = std::to_string(slices) + "×" + shape;
  const std::size_t expected = std::size_t(width) * height * slices;
  checkValues(metric, "image", image, expected, shape);
  checkValues(metric, "reference", reference, expected, shape);
}

void checkRange(const char* metric, double range) {
  if (!std::isfinite(range) || range <= 0.0)
    fail(metric, "data range " + std::to_string(range) + " must be positive and finite");
}

std::array<double, kWindow> gaussianWindow() {
  std::array<double, kWindow> g{};
  for (int k = -kRadius; k <= kRadius; ++k)
    g[k + kRadius] = std::exp(-0.5 * k * k / (kSigma * kSigma));
  const double sum = std::accumulate(g.begin(), g.end(), 0.0);
  for (double& w : g) w /= sum;
  return g;
}

// Local Gaussian moments of the two images, five fields: x, y, x², y², x·y.
constexpr int kFields = 5;

// Sum of the SSIM map over output rows [r0, r1) and columns [kRadius, width − kRadius), and the
// number of pixels summed: all of them, or with `circle` those whose windows lie inside the
// image's inscribed circle. The average excludes a border as wide as the window radius, so every
// window used lies inside the image and no boundary extension (scikit-image reflects) ever
// enters the result.
// The field of view scored: the grid's inscribed circle less its outermost kScoreRim pixels.
// SIRT leaves that ring bright wherever the data are not consistent at the detector's edges (a
// sample wider than the field of view, flat-field offsets): on i13 up to 0.9 against 0.014
// inside. Scored with it, the reference's range was the ring's and every image agreed with it.
constexpr double kScoreRim = 2.0;
// The sample: where the reference, smoothed by SSIM's window, stands above its lowest value in
// the field of view by this share of its range there.
constexpr double kSampleLevel = 0.1;

bool insideScoredField(int n, int row, int column) {
  const double h = 0.5 * (n - 1), dx = column - h, dy = row - h, reach = h + 0.5 - kScoreRim;
  return dx * dx + dy * dy <= reach * reach;
}

std::pair<double, long> ssimRowBlock(const float* x, const float* y, int width, int r0, int r1,
                                     const std::array<double, kWindow>& g, double c1, double c2,
                                     bool circle = false, std::pair<double, long>* sample = nullptr,
                                     double sampleLevel = 0.0) {
  const int validWidth = width - 2 * kRadius;
  const int inRows = r1 - r0 + 2 * kRadius;
  std::vector<double> products(std::size_t(kFields) * width);
  std::vector<double> horizontal(std::size_t(kFields) * inRows * validWidth, 0.0);
  const auto hRow = [&](int field, int row) {
    return horizontal.data() + (std::size_t(field) * inRows + row) * validWidth;
  };
  for (int i = 0; i < inRows; ++i) {
    const std::size_t offset = std::size_t(r0 - kRadius + i) * width;
    double* p = products.data();
    for (int c = 0; c < width; ++c) {
      const double a = x[offset + c], b = y[offset + c];
      p[c] = a;
      p[width + c] = b;
      p[2 * width + c] = a * a;
      p[3 * width + c] = b * b;
      p[4 * width + c] = a * b;
    }
    for (int f = 0; f < kFields; ++f) {
      double* out = hRow(f, i);
      const double* in = p + std::size_t(f) * width;
      for (int k = 0; k < kWindow; ++k)
        for (int c = 0; c < validWidth; ++c) out[c] += g[k] * in[c + k];
    }
  }
  std::vector<double> moments(std::size_t(kFields) * validWidth);
  double sum = 0.0;
  long count = 0;
  const double h = 0.5 * (width - 1),
               reach = (h + 0.5 - kScoreRim - kRadius) * (h + 0.5 - kScoreRim - kRadius);
  for (int o = 0; o < r1 - r0; ++o) {
    std::fill(moments.begin(), moments.end(), 0.0);
    for (int f = 0; f < kFields; ++f) {
      double* m = moments.data() + std::size_t(f) * validWidth;
      for (int k = 0; k < kWindow; ++k) {
        const double* in = hRow(f, o + k);
        for (int c = 0; c < validWidth; ++c) m[c] += g[k] * in[c];
      }
    }
    const double* m = moments.data();
    const double dy = r0 + o - h;
    for (int c = 0; c < validWidth; ++c) {
      const double dx = c + kRadius - h;
      if (circle && dx * dx + dy * dy > reach) continue;
      ++count;
      const double ux = m[c], uy = m[validWidth + c];
      const double vx = m[2 * validWidth + c] - ux * ux;
      const double vy = m[3 * validWidth + c] - uy * uy;
      const double vxy = m[4 * validWidth + c] - ux * uy;
      const double value =
          ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
      sum += value;
      if (sample && ux >= sampleLevel) sample->first += value, ++sample->second;
    }
  }
  return {sum, count};
}

double referenceRange(const char* metric, std::span<const float> reference,
                      std::optional<double> range) {
  const double r = range ? *range : dataRange(reference);
  if (!range && r <= 0.0)
    fail(metric, "reference is constant, so its data range is 0; pass a data range");
  return r;
}

template <typename Metric>
double meanOverSlices(std::span<const float> image, std::span<const float> reference, int width,
                      int height, int slices, Metric metric) {
  const std::size_t n = std::size_t(width) * height;
  double sum = 0.0;
  for (int s = 0; s < slices; ++s)
    sum += metric(image.subspan(s * n, n), reference.subspan(s * n, n));
  return sum / slices;
}

void checkStacks(const char* metric, const VolumeStack& image, const VolumeStack& reference) {
  if (image.slices() != reference.slices() || image.gridSize() != reference.gridSize())
    fail(metric, "volume " + std::to_string(image.slices()) + "×" +
                     shapeText(image.gridSize(), image.gridSize()) + " does not match reference " +
                     std::to_string(reference.slices()) + "×" +
                     shapeText(reference.gridSize(), reference.gridSize()));
}

}  // namespace

double dataRange(std::span<const float> reference) {
  if (reference.empty()) fail("dataRange", "reference is empty");
  checkValues("dataRange", "reference", reference, reference.size(), "its size");
  const auto [lo, hi] = std::minmax_element(reference.begin(), reference.end());
  return double(*hi) - double(*lo);
}

double ssim(std::span<const float> image, std::span<const float> reference, int width, int height,
            double dataRange) {
  checkPair("ssim", image, reference, width, height);
  checkRange("ssim", dataRange);
  if (width < kWindow || height < kWindow)
    fail("ssim", "image " + shapeText(width, height) + " is smaller than the " +
                     shapeText(kWindow, kWindow) + " window");
  const auto g = gaussianWindow();
  const double c1 = (kK1 * dataRange) * (kK1 * dataRange);
  const double c2 = (kK2 * dataRange) * (kK2 * dataRange);
  const int validHeight = height - 2 * kRadius;
  const int blocks = (validHeight + kRowsPerBlock - 1) / kRowsPerBlock;
  // Per-block sums added in block order: the result does not depend on thread scheduling.
  std::vector<double> sums(blocks);
  tbb::parallel_for(tbb::blocked_range<int>(0, blocks), [&](const tbb::blocked_range<int>& r) {
    for (int b = r.begin(); b < r.end(); ++b) {
      const int r0 = kRadius + b * kRowsPerBlock;
      const int r1 = std::min(r0 + kRowsPerBlock, height - kRadius);
      sums[b] = ssimRowBlock(reference.data(), image.data(), width, r0, r1, g, c1, c2).first;
    }
  });
  return std::accumulate(sums.begin(), sums.end(), 0.0) /
         (double(validHeight) * (width - 2 * kRadius));
}

FieldOfViewScore scoreInFieldOfView(std::span<const float> image, std::span<const float> reference,
                                    int n) {
  checkPair("field-of-view score", image, reference, n, n);
  if (n < 4 * kRadius)
    fail("field-of-view score", "image " + shapeText(n, n) + " is too small for an " +
                                    shapeText(kWindow, kWindow) + " window inside its circle");
  // Least-squares a·image + b ≈ reference over the circle, and the reference's range there.
  double si = 0, sr = 0, sii = 0, sir = 0, lo = 1e300, hi = -1e300;
  long count = 0;
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      if (!insideScoredField(n, r, c)) continue;
      const double a = image[std::size_t(r) * n + c], b = reference[std::size_t(r) * n + c];
      si += a, sr += b, sii += a * a, sir += a * b, ++count;
      lo = std::min(lo, b), hi = std::max(hi, b);
    }
  const double variance = sii - si * si / count;
  const double scale = variance > 0 ? (sir - si * sr / count) / variance : 0.0;
  const double offset = (sr - scale * si) / count;
  std::vector<float> fitted(image.size());
  double squares = 0.0;
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      const std::size_t i = std::size_t(r) * n + c;
      fitted[i] = float(scale * image[i] + offset);
      if (insideScoredField(n, r, c))
        squares += (fitted[i] - reference[i]) * (fitted[i] - reference[i]);
    }
  const double range = hi - lo;
  checkRange("field-of-view score", range);
  const auto g = gaussianWindow();
  const double c1 = (kK1 * range) * (kK1 * range), c2 = (kK2 * range) * (kK2 * range);
  std::pair<double, long> sample{0.0, 0};
  const auto [sum, pixels] = ssimRowBlock(reference.data(), fitted.data(), n, kRadius, n - kRadius,
                                          g, c1, c2, true, &sample, lo + kSampleLevel * range);
  FieldOfViewScore score;
  score.ssim = sum / double(pixels);
  score.sampleShare = double(sample.second) / double(pixels);
  score.ssimSample = sample.second > 0 ? sample.first / double(sample.second) : score.ssim;
  score.psnr = squares == 0.0 ? std::numeric_limits<double>::infinity()
                              : 10.0 * std::log10(range * range / (squares / double(count)));
  score.scale = scale, score.offset = offset;
  return score;
}

double psnr(std::span<const float> image, std::span<const float> reference, int width, int height,
            double dataRange) {
  checkPair("psnr", image, reference, width, height);
  checkRange("psnr", dataRange);
  double squares = 0.0;
  for (std::size_t i = 0; i < image.size(); ++i) {
    const double d = double(image[i]) - reference[i];
    squares += d * d;
  }
  if (squares == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(dataRange * dataRange / (squares / double(image.size())));
}

double nrmse(std::span<const float> image, std::span<const float> reference, int width,
             int height) {
  checkPair("nrmse", image, reference, width, height);
  double error = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < image.size(); ++i) {
    const double d = double(image[i]) - reference[i];
    error += d * d;
    norm += double(reference[i]) * reference[i];
  }
  if (norm == 0.0) fail("nrmse", "reference is all zero, so the error cannot be normalised");
  return std::sqrt(error / norm);
}

double ssimVolume(std::span<const float> image, std::span<const float> reference, int width,
                  int height, int slices, std::optional<double> range) {
  checkPair("ssim", image, reference, width, height, slices);
  const double r = referenceRange("ssim", reference, range);
  return meanOverSlices(image, reference, width, height, slices,
                        [&](auto a, auto b) { return ssim(a, b, width, height, r); });
}

double psnrVolume(std::span<const float> image, std::span<const float> reference, int width,
                  int height, int slices, std::optional<double> range) {
  checkPair("psnr", image, reference, width, height, slices);
  const double r = referenceRange("psnr", reference, range);
  return meanOverSlices(image, reference, width, height, slices,
                        [&](auto a, auto b) { return psnr(a, b, width, height, r); });
}

double nrmseVolume(std::span<const float> image, std::span<const float> reference, int width,
                   int height, int slices) {
  checkPair("nrmse", image, reference, width, height, slices);
  return meanOverSlices(image, reference, width, height, slices,
                        [&](auto a, auto b) { return nrmse(a, b, width, height); });
}

std::optional<std::string> whyNotAReference(const VolumeStack& reference) {
  const int n = reference.gridSize();
  if (reference.slices() < 1 || n < 1) return "it is empty";
  if (n < kWindow)
    return "its " + shapeText(n, n) + " grid is smaller than SSIM's " +
           shapeText(kWindow, kWindow) + " window";
  const std::vector<float> values = reference.toSliceMajor();
  if (!std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); }))
    return std::string("it holds NaN or infinite values");
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  if (!(*hi > *lo)) return std::string("it is constant");
  const std::size_t slice = std::size_t(n) * n;
  for (int s = 0; s < reference.slices(); ++s)
    if (std::all_of(values.begin() + s * slice, values.begin() + (s + 1) * slice,
                    [](float v) { return v == 0.0f; }))
      return "its slice " + std::to_string(s) + " is all zero";
  return std::nullopt;
}

double ssimVolume(const VolumeStack& image, const VolumeStack& reference,
                  std::optional<double> range) {
  checkStacks("ssim", image, reference);
  const int n = image.gridSize();
  return ssimVolume(image.toSliceMajor(), reference.toSliceMajor(), n, n, image.slices(), range);
}

FieldOfViewScore scoreInFieldOfView(const VolumeStack& image, const VolumeStack& reference) {
  checkStacks("field-of-view score", image, reference);
  FieldOfViewScore mean{.scale = 0.0};
  const int n = image.gridSize(), slices = image.slices();
  for (int s = 0; s < slices; ++s) {
    const FieldOfViewScore one = scoreInFieldOfView(image.slice(s), reference.slice(s), n);
    mean.ssim += one.ssim / slices;
    mean.psnr += one.psnr / slices;
    mean.scale += one.scale / slices;
    mean.offset += one.offset / slices;
    mean.ssimSample += one.ssimSample / slices;
    mean.sampleShare += one.sampleShare / slices;
  }
  return mean;
}

double psnrVolume(const VolumeStack& image, const VolumeStack& reference,
                  std::optional<double> range) {
  checkStacks("psnr", image, reference);
  const int n = image.gridSize();
  return psnrVolume(image.toSliceMajor(), reference.toSliceMajor(), n, n, image.slices(), range);
}

double nrmseVolume(const VolumeStack& image, const VolumeStack& reference) {
  checkStacks("nrmse", image, reference);
  const int n = image.gridSize();
  return nrmseVolume(image.toSliceMajor(), reference.toSliceMajor(), n, n, image.slices());
}

}  // namespace tomolive
