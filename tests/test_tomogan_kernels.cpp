// The per-element arithmetic of the cuDNN TomoGAN's own CUDA kernels (gpu/TomoGanKernels.h), run
// on the CPU: the same functions the kernels call, so these checks hold on the GPU too (the
// plugin compiles with --fmad=false, so float results agree bit for bit).
//
// Reference upsampling from PyTorch 1.13 (Debian 12, /usr/bin/python3):
//   x = torch.tensor([[1,5,2,8],[3,0,7,4],[6,9,1,2]], dtype=torch.float32).reshape(1,1,3,4)
//   F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
// Its values are multiples of 1/16, exact in float, so the comparison is to 1e-6.
#include <QTest>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "gpu/TomoGanKernels.h"

using namespace tomolive::gpu::tomogan;

namespace {

constexpr int kLowHeight = 3, kLowWidth = 4;
constexpr float kLow[kLowHeight][kLowWidth] = {{1, 5, 2, 8}, {3, 0, 7, 4}, {6, 9, 1, 2}};
constexpr float kPyTorchUpsampled[2 * kLowHeight][2 * kLowWidth] = {
    {1.000000f, 2.000000f, 4.000000f, 4.250000f, 2.750000f, 3.500000f, 6.500000f, 8.000000f},
    {1.500000f, 2.062500f, 3.187500f, 3.625000f, 3.375000f, 4.187500f, 6.062500f, 7.000000f},
    {2.500000f, 2.187500f, 1.562500f, 2.375000f, 4.625000f, 5.562500f, 5.187500f, 5.000000f},
    {3.750000f, 3.375000f, 2.625000f, 3.062500f, 4.687500f, 5.000000f, 4.000000f, 3.500000f},
    {5.250000f, 5.625000f, 6.375000f, 5.687500f, 3.562500f, 2.500000f, 2.500000f, 2.500000f},
    {6.000000f, 6.750000f, 8.250000f, 7.000000f, 3.000000f, 1.250000f, 1.750000f, 2.000000f},
};

// One channel of h × w values as `read(row, column)`, as the kernels read a tensor.
struct Image {
  int height, width;
  std::vector<float> values;
  float operator()(int y, int x) const {
    // A read outside the image would be a kernel reading out of bounds: fail loudly.
    if (y < 0 || y >= height || x < 0 || x >= width) return std::nanf("");
    return values[std::size_t(y) * width + x];
  }
};

Image randomImage(int height, int width, unsigned seed, float low = -2.0f, float high = 3.0f) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> value(low, high);
  Image image{height, width, std::vector<float>(std::size_t(height) * width)};
  for (float& v : image.values) v = value(random);
  return image;
}

Image upsampled(const Image& low) {
  Image out{2 * low.height, 2 * low.width, {}};
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      out.values.push_back(upsampleBilinear(low, low.height, low.width, y, x));
  return out;
}

}  // namespace

class TestTomoGanKernels : public QObject {
  Q_OBJECT

 private slots:
  void upsamplingMatchesPyTorch() {
    Image low{kLowHeight, kLowWidth, {}};
    for (const auto& row : kLow) low.values.insert(low.values.end(), row, row + kLowWidth);
    const Image up = upsampled(low);
    for (int y = 0; y < up.height; ++y)
      for (int x = 0; x < up.width; ++x)
        QVERIFY2(std::abs(up(y, x) - kPyTorchUpsampled[y][x]) < 1e-6f,
                 qPrintable(QString("(%1, %2): %3, PyTorch %4")
                                .arg(y)
                                .arg(x)
                                .arg(up(y, x))
                                .arg(kPyTorchUpsampled[y][x])));
  }

  // Half-pixel centres: output 2k + 1 lies ¼ past input k, output 2k ¼ before it; the first and
  // last outputs clamp to the edge pixels.
  void upsamplingTapsAtKnownPoints() {
    const LinearTaps first = upsampleTaps(0, 5);
    QCOMPARE(first.i0, 0);
    QCOMPARE(first.w1, 0.0f);
    QCOMPARE(first.w0, 1.0f);
    const LinearTaps last = upsampleTaps(9, 5);
    QCOMPARE(last.i0, 4);
    QCOMPARE(last.i1, 4);
    for (int k = 1; k < 5; ++k) {
      const LinearTaps even = upsampleTaps(2 * k, 5);
      QCOMPARE(even.i0, k - 1);
      QCOMPARE(even.i1, k);
      QCOMPARE(even.w1, 0.75f);
    }
    for (int k = 0; k + 1 < 5; ++k) {
      const LinearTaps odd = upsampleTaps(2 * k + 1, 5);
      QCOMPARE(odd.i0, k);
      QCOMPARE(odd.i1, k + 1);
      QCOMPARE(odd.w1, 0.25f);
    }
  }

  void upsamplingTapsStayInside() {
    for (int n = 1; n <= 9; ++n)
      for (int o = 0; o < 2 * n; ++o) {
        const LinearTaps t = upsampleTaps(o, n);
        QVERIFY(t.i0 >= 0 && t.i0 <= t.i1 && t.i1 < n);
        QVERIFY(t.w0 >= 0.0f && t.w1 >= 0.0f && t.w1 < 1.0f);
        QCOMPARE(t.w0 + t.w1, 1.0f);
      }
  }

  void upsamplingClampsAtEdges() {
    const Image low = randomImage(5, 7, 1);
    const Image up = upsampled(low);
    QCOMPARE(up(0, 0), low(0, 0));
    QCOMPARE(up(9, 13), low(4, 6));
    QCOMPARE(up(0, 13), low(0, 6));
    QCOMPARE(up(9, 0), low(4, 0));
    // Along the top row only columns blend; along the left column only rows.
    for (int x = 0; x < up.width; ++x) {
      const LinearTaps t = upsampleTaps(x, low.width);
      QVERIFY(std::abs(up(0, x) - (t.w0 * low(0, t.i0) + t.w1 * low(0, t.i1))) < 1e-6f);
    }
    for (int y = 0; y < up.height; ++y) {
      const LinearTaps t = upsampleTaps(y, low.height);
      QVERIFY(std::abs(up(y, 0) - (t.w0 * low(t.i0, 0) + t.w1 * low(t.i1, 0))) < 1e-6f);
    }
  }

  void constantStaysConstant() {
    for (int h = 1; h <= 4; ++h)
      for (int w = 1; w <= 5; ++w) {
        const Image low{h, w, std::vector<float>(std::size_t(h) * w, 3.7f)};
        for (float v : upsampled(low).values) QVERIFY(std::abs(v - 3.7f) < 1e-6f);
      }
  }

  // Inside (away from the clamped first and last rows and columns) a linear ramp is sampled
  // exactly at the half-pixel positions (o + ½)/2 − ½.
  void rampStaysLinear() {
    const auto ramp = [](double y, double x) { return 0.5 + 1.25 * y - 0.75 * x; };
    Image low{6, 9, {}};
    for (int y = 0; y < low.height; ++y)
      for (int x = 0; x < low.width; ++x) low.values.push_back(float(ramp(y, x)));
    const Image up = upsampled(low);
    for (int y = 1; y + 1 < up.height; ++y)
      for (int x = 1; x + 1 < up.width; ++x) {
        const double expected = ramp((y + 0.5) / 2 - 0.5, (x + 0.5) / 2 - 0.5);
        QVERIFY2(
            std::abs(up(y, x) - expected) < 1e-5,
            qPrintable(
                QString("(%1, %2): %3, expected %4").arg(y).arg(x).arg(up(y, x)).arg(expected)));
      }
    // At the clamped border the ramp flattens: the first row equals input row 0 blended by column.
    QVERIFY(std::abs(up(0, 4) - float(ramp(0.0, (4 + 0.5) / 2 - 0.5))) < 1e-5f);
  }

  void poolingTakesTheLargestOfEachBlock() {
    const Image in = randomImage(8, 10, 2, -5.0f, -1.0f);  // all negative: a 0 would be wrong
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 5; ++x) {
        const float expected = std::max(std::max(in(2 * y, 2 * x), in(2 * y, 2 * x + 1)),
                                        std::max(in(2 * y + 1, 2 * x), in(2 * y + 1, 2 * x + 1)));
        QCOMPARE(maxPool2x2(in, y, x), expected);
      }
    // The maximum in each of the four positions of a block is found.
    for (int corner = 0; corner < 4; ++corner) {
      Image block{2, 2, {1.0f, 1.0f, 1.0f, 1.0f}};
      block.values[std::size_t(corner)] = 9.0f;
      QCOMPARE(maxPool2x2(block, 0, 0), 9.0f);
    }
  }

  void channelsLastIndexIsDenseWithChannelsInnermost() {
    const int h = 3, w = 5, c = 4;
    std::set<int> seen;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < c; ++k) seen.insert(nhwc(c, w, y, x, k));
    QCOMPARE(int(seen.size()), h * w * c);
    QCOMPARE(*seen.begin(), 0);
    QCOMPARE(*seen.rbegin(), h * w * c - 1);
    QCOMPARE(nhwc(c, w, 0, 0, 1), 1);
    QCOMPARE(nhwc(c, w, 0, 1, 0), c);
    QCOMPARE(nhwc(c, w, 1, 0, 0), w * c);
  }

  // cat([skip, up]): the skip tensor's channels first, then the upsampled ones. The loop is the
  // fused upsample-and-concatenate kernel's, over the flat channels-last output index.
  void concatenationPutsSkipFirst() {
    const int skipChannels = 3, lowChannels = 2, channels = skipChannels + lowChannels;
    const int height = 2 * kLowHeight, width = 2 * kLowWidth;
    for (int c = 0; c < channels; ++c) {
      const ConcatSource s = concatSource(c, skipChannels);
      QCOMPARE(s.fromSkip, c < skipChannels);
      QCOMPARE(s.channel, c < skipChannels ? c : c - skipChannels);
    }
    std::vector<float> skip(std::size_t(height) * width * skipChannels);
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x)
        for (int c = 0; c < skipChannels; ++c)
          skip[std::size_t(nhwc(skipChannels, width, y, x, c))] = 1000.0f * c + y * width + x;
    // Low channel 0 is PyTorch's reference input, channel 1 its negative.
    std::vector<float> low(std::size_t(kLowHeight) * kLowWidth * lowChannels);
    for (int y = 0; y < kLowHeight; ++y)
      for (int x = 0; x < kLowWidth; ++x) {
        low[std::size_t(nhwc(lowChannels, kLowWidth, y, x, 0))] = kLow[y][x];
        low[std::size_t(nhwc(lowChannels, kLowWidth, y, x, 1))] = -kLow[y][x];
      }
    std::vector<float> out(std::size_t(height) * width * channels);
    for (int i = 0; i < int(out.size()); ++i) {
      const int pixel = i / channels;
      const ConcatSource s = concatSource(i % channels, skipChannels);
      if (s.fromSkip) {
        out[std::size_t(i)] = skip[std::size_t(pixel * skipChannels + s.channel)];
        continue;
      }
      const auto read = [&](int y, int x) {
        return low[std::size_t(nhwc(lowChannels, kLowWidth, y, x, s.channel))];
      };
      out[std::size_t(i)] =
          upsampleBilinear(read, kLowHeight, kLowWidth, pixel / width, pixel % width);
    }
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) {
        const auto at = [&](int c) { return out[std::size_t(nhwc(channels, width, y, x, c))]; };
        for (int c = 0; c < skipChannels; ++c) QCOMPARE(at(c), 1000.0f * c + y * width + x);
        QVERIFY(std::abs(at(skipChannels) - kPyTorchUpsampled[y][x]) < 1e-6f);
        QVERIFY(std::abs(at(skipChannels + 1) + kPyTorchUpsampled[y][x]) < 1e-6f);
      }
  }

  // Normalised inside, air beyond the image (not 0 unless the offset is), 0 in padding channels;
  // the CPU backend's formulas exactly.
  void inputIsNormalisedAndPaddedWithAir() {
    const int depth = 3, height = 5, width = 6;
    const float offset = 0.02f, scale = 40.0f;
    std::vector<float> slices(std::size_t(depth) * height * width);
    for (std::size_t i = 0; i < slices.size(); ++i) slices[i] = 0.001f * float(i % 37) - 0.01f;
    const int paddedHeight = roundUp(height, kAlign), paddedWidth = roundUp(width, kAlign);
    QCOMPARE(paddedHeight, 8);
    QCOMPARE(paddedWidth, 8);
    const float air = (0.0f - offset) * scale;
    QVERIFY(air != 0.0f);
    for (int c = 0; c < kChannelAlign; ++c)
      for (int y = 0; y < paddedHeight; ++y)
        for (int x = 0; x < paddedWidth; ++x) {
          const float v = networkInput(slices.data(), depth, height, width, c, y, x, offset, scale);
          if (c >= depth) {
            QCOMPARE(v, 0.0f);
          } else if (y >= height || x >= width) {
            QCOMPARE(v, air);
          } else {
            const float raw = slices[(std::size_t(c) * height + y) * width + x];
            QCOMPARE(v, (raw - offset) * scale);
          }
        }
  }

  void outputReturnsToReconstructionUnits() {
    const float offset = 0.02f, scale = 40.0f;
    for (float x : {-0.5f, 0.0f, 0.013f, 0.02f, 1.75f}) {
      const float normalised = (x - offset) * scale;
      QVERIFY(std::abs(reconstructionUnits(normalised, offset, scale) - x) < 1e-6f);
    }
    QCOMPARE(reconstructionUnits(0.0f, offset, scale), offset);
    QCOMPARE(reconstructionUnits(scale, offset, scale), offset + 1.0f);
  }

  // conv15 as the output kernel computes it: bias + Σ weight·channel, each channel of one pixel.
  void lastLayerIsAOneByOneConvolution() {
    float weight[16], channels[16];
    double expected = -0.25;
    for (int c = 0; c < 16; ++c) {
      weight[c] = 0.1f * float(c) - 0.7f;
      channels[c] = 1.0f / float(c + 1);
      expected += double(weight[c]) * channels[c];
    }
    const auto read = [&](int c) { return channels[c]; };
    QVERIFY(std::abs(linearOutput(read, weight, -0.25f, 16) - expected) < 1e-6);
    // A one-hot weight picks that channel (of a pixel's 16, channels innermost).
    for (int pick : {0, 7, 15}) {
      float oneHot[16] = {};
      oneHot[pick] = 1.0f;
      QCOMPARE(linearOutput(read, oneHot, 2.0f, 16), channels[pick] + 2.0f);
    }
  }

  void paddingRoundsUpToMultiplesOfEight() {
    QCOMPARE(roundUp(1, kAlign), 8);
    QCOMPARE(roundUp(8, kAlign), 8);
    QCOMPARE(roundUp(2560, kAlign), 2560);
    QCOMPARE(roundUp(2561, kAlign), 2568);
    QCOMPARE(roundUp(3, kChannelAlign), 8);
    QCOMPARE(roundUp(1 << 20, kAlign), 1 << 20);
  }

  // out × in × k × k (PyTorch) becomes out × k × k × paddedIn, the padding channels zero.
  void filterBecomesChannelsLast() {
    const int out = 2, in = 3, k = 3, paddedIn = 8;
    std::vector<float> weight(std::size_t(out) * in * k * k);
    for (std::size_t i = 0; i < weight.size(); ++i) weight[i] = float(i) + 1.0f;  // all non-zero
    const std::vector<float> filter = channelsLastFilter(weight.data(), out, in, k, paddedIn);
    QCOMPARE(int(filter.size()), out * k * k * paddedIn);
    for (int o = 0; o < out; ++o)
      for (int ky = 0; ky < k; ++ky)
        for (int kx = 0; kx < k; ++kx)
          for (int i = 0; i < paddedIn; ++i) {
            const float got = filter[((std::size_t(o) * k + ky) * k + kx) * paddedIn + i];
            const float want =
                i < in ? weight[((std::size_t(o) * in + i) * k + ky) * k + kx] : 0.0f;
            QCOMPARE(got, want);
          }
    // A 1×1 filter with nothing to pad is the same matrix.
    const std::vector<float> square = {1, 2, 3, 4, 5, 6};
    QCOMPARE(channelsLastFilter(square.data(), 2, 3, 1, 3), square);
  }
};

QTEST_APPLESS_MAIN(TestTomoGanKernels)
#include "test_tomogan_kernels.moc"
