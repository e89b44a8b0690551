// Image metrics: identities, agreement with scikit-image on a fixed image pair, monotonic
// response to noise, volume means, and the errors bad input raises.
//
// Reference numbers come from scikit-image 0.19.3 (Debian 12, /usr/bin/python3) on the images
// analyticPair() builds, formed identically in Python (float64 formula, rounded to float32):
//   r, c = np.meshgrid(np.arange(29.), np.arange(37.), indexing='ij')
//   ref = sin(0.3c + 0.1s) + cos(0.2r) + 0.01rc;  img = ref + 0.3 sin(1.7c + 0.9r + s)
//   structural_similarity(img, ref, gaussian_weights=True, sigma=1.5,
//                         use_sample_covariance=False, data_range=L)
//   peak_signal_noise_ratio(ref, img, data_range=L);  normalized_root_mse(ref, img)
// Volume values: slices s = 0, 1, 2, L = max − min over the whole reference volume, mean of the
// per-slice values.
#include <QElapsedTimer>
#include <QTest>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "metrics/ImageMetrics.h"

using namespace tomolive;

namespace {

constexpr int kWidth = 37, kHeight = 29;

struct ImagePair {
  std::vector<float> image, reference;
};

ImagePair analyticPair(int s) {
  ImagePair p;
  for (int r = 0; r < kHeight; ++r)
    for (int c = 0; c < kWidth; ++c) {
      const double ref = std::sin(0.3 * c + 0.1 * s) + std::cos(0.2 * r) + 0.01 * r * c;
      p.reference.push_back(static_cast<float>(ref));
      p.image.push_back(static_cast<float>(ref + 0.3 * std::sin(1.7 * c + 0.9 * r + s)));
    }
  return p;
}

std::vector<float> smoothImage(int width, int height) {
  std::vector<float> image(std::size_t(width) * height);
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c)
      image[std::size_t(r) * width + c] =
          static_cast<float>(0.5 + 0.4 * std::sin(0.05 * c) * std::cos(0.07 * r));
  return image;
}

template <typename F>
void expectInvalid(F&& call, const char* fragment) {
  try {
    call();
    QFAIL(qPrintable(QString("no exception; expected one mentioning \"%1\"").arg(fragment)));
  } catch (const std::invalid_argument& e) {
    QVERIFY2(std::string(e.what()).find(fragment) != std::string::npos, e.what());
  }
}

}  // namespace

class TestMetrics : public QObject {
  Q_OBJECT

 private slots:
  void identicalImages() {
    const auto a = smoothImage(64, 48);
    QCOMPARE(ssim(a, a, 64, 48, 1.0), 1.0);
    QVERIFY(std::isinf(psnr(a, a, 64, 48, 1.0)) && psnr(a, a, 64, 48, 1.0) > 0);
    QCOMPARE(nrmse(a, a, 64, 48), 0.0);
  }

  void matchesScikitImage() {
    const ImagePair p = analyticPair(0);
    QVERIFY(std::abs(ssim(p.image, p.reference, kWidth, kHeight, 4.0) - 0.8418980289) < 1e-4);
    QVERIFY(std::abs(psnr(p.image, p.reference, kWidth, kHeight, 4.0) - 25.5090764757) < 1e-4);
    QVERIFY(std::abs(nrmse(p.image, p.reference, kWidth, kHeight) - 0.0624836749) < 1e-4);
  }

  void ssimIsSymmetric() {
    const ImagePair p = analyticPair(1);
    QVERIFY(std::abs(ssim(p.image, p.reference, kWidth, kHeight, 3.0) -
                     ssim(p.reference, p.image, kWidth, kHeight, 3.0)) < 1e-12);
  }

  void volumeMeansMatchScikitImage() {
    std::vector<float> image, reference;
    for (int s = 0; s < 3; ++s) {
      const ImagePair p = analyticPair(s);
      image.insert(image.end(), p.image.begin(), p.image.end());
      reference.insert(reference.end(), p.reference.begin(), p.reference.end());
    }
    QVERIFY(std::abs(dataRange(reference) - 10.8729247451) < 1e-6);
    QVERIFY(std::abs(ssimVolume(image, reference, kWidth, kHeight, 3) - 0.8909319428) < 1e-4);
    QVERIFY(std::abs(psnrVolume(image, reference, kWidth, kHeight, 3) - 34.1948173188) < 1e-4);
    QVERIFY(std::abs(nrmseVolume(image, reference, kWidth, kHeight, 3) - 0.0627298737) < 1e-4);
  }

  void volumeStacksAgreeWithSliceMajor() {
    const int n = 24, slices = 5;
    std::vector<float> truth, noisy;
    std::mt19937_64 rng(3);
    std::normal_distribution<float> noise(0.0f, 0.05f);
    for (int s = 0; s < slices; ++s)
      for (float v : smoothImage(n, n)) {
        truth.push_back(v * (1.0f + 0.1f * s));
        noisy.push_back(truth.back() + noise(rng));
      }
    const VolumeStack a = VolumeStack::fromSliceMajor(noisy, slices, n);
    const VolumeStack b = VolumeStack::fromSliceMajor(truth, slices, n);
    QCOMPARE(ssimVolume(a, b), ssimVolume(noisy, truth, n, n, slices));
    QCOMPARE(psnrVolume(a, b, 2.0), psnrVolume(noisy, truth, n, n, slices, 2.0));
    QCOMPARE(nrmseVolume(a, b), nrmseVolume(noisy, truth, n, n, slices));
  }

  void noiseLowersSsimMonotonically() {
    const int w = 96, h = 80;
    const auto clean = smoothImage(w, h);
    std::mt19937_64 rng(7);
    std::normal_distribution<float> unit(0.0f, 1.0f);
    std::vector<float> pattern(clean.size());
    for (float& v : pattern) v = unit(rng);
    double previousSsim = 1.0, previousPsnr = std::numeric_limits<double>::infinity();
    for (float sigma : {0.01f, 0.02f, 0.05f, 0.1f, 0.2f, 0.5f}) {
      std::vector<float> noisy(clean.size());
      for (std::size_t i = 0; i < clean.size(); ++i) noisy[i] = clean[i] + sigma * pattern[i];
      const double s = ssim(noisy, clean, w, h, 1.0), p = psnr(noisy, clean, w, h, 1.0);
      QVERIFY2(s < previousSsim, qPrintable(QString("σ %1: SSIM %2").arg(sigma).arg(s)));
      QVERIFY(p < previousPsnr);
      previousSsim = s;
      previousPsnr = p;
    }
    QVERIFY(previousSsim < 0.5);
  }

  // The field-of-view score over the sample alone: a disk (a quarter of the field's radius)
  // reproduced exactly in air whose noise differs scores 1 on the sample, less over the field;
  // the sample's share is the disk's (with the smoothing window's reach), and noise on the
  // sample lowers its score.
  void sampleScoreLeavesTheAirOut() {
    const int n = 128;
    std::mt19937_64 rng(3);
    std::normal_distribution<float> unit(0.0f, 1.0f);
    std::vector<float> reference(std::size_t(n) * n), image(reference.size());
    const double h = 0.5 * (n - 1), radius = 0.25 * n / 2;
    int disk = 0, field = 0;
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        const std::size_t i = std::size_t(r) * n + c;
        const double d = std::hypot(r - h, c - h);
        const bool inside = d <= radius;
        disk += inside, field += d <= h - 7.0;
        reference[i] = inside ? 1.0f : std::max(0.0f, 0.02f * unit(rng));
        image[i] = inside ? 1.0f : std::max(0.0f, 0.02f * unit(rng));
      }
    const FieldOfViewScore airOnly = scoreInFieldOfView(image, reference, n);
    const std::vector<float> imageBefore = image;
    QVERIFY2(airOnly.ssim < 0.9, qPrintable(QString::number(airOnly.ssim)));
    QVERIFY2(airOnly.ssimSample > 0.98, qPrintable(QString::number(airOnly.ssimSample)));
    const double share = double(disk) / field;
    QVERIFY2(airOnly.sampleShare > share && airOnly.sampleShare < 2.0 * share,
             qPrintable(QString("%1 against the disk's %2").arg(airOnly.sampleShare).arg(share)));
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c)
        if (std::hypot(r - h, c - h) <= radius) image[std::size_t(r) * n + c] += 0.3f * unit(rng);
    const FieldOfViewScore noisySample = scoreInFieldOfView(image, reference, n);
    QVERIFY2(noisySample.ssimSample < airOnly.ssimSample - 0.1,
             qPrintable(QString::number(noisySample.ssimSample)));
    // A stack of the two images scores the mean of their slices' scores.
    std::vector<float> images = imageBefore, references = reference;
    images.insert(images.end(), image.begin(), image.end());
    references.insert(references.end(), reference.begin(), reference.end());
    const FieldOfViewScore stack = scoreInFieldOfView(
        VolumeStack::fromSliceMajor(images, 2, n), VolumeStack::fromSliceMajor(references, 2, n));
    QCOMPARE_LE(std::abs(stack.ssim - 0.5 * (airOnly.ssim + noisySample.ssim)), 1e-9);
    QCOMPARE_LE(std::abs(stack.ssimSample - 0.5 * (airOnly.ssimSample + noisySample.ssimSample)),
                1e-9);
    QCOMPARE_LE(std::abs(stack.sampleShare - airOnly.sampleShare), 1e-9);
  }

  void psnrFollowsDefinition() {
    const auto a = smoothImage(20, 20);
    auto b = a;
    for (float& v : b) v += 0.1f;  // MSE = 0.01
    QVERIFY(std::abs(psnr(b, a, 20, 20, 1.0) - 20.0) < 1e-4);
    QVERIFY(std::abs(psnr(b, a, 20, 20, 2.0) - (20.0 + 20.0 * std::log10(2.0))) < 1e-4);
  }

  void largeImageIsFast() {
    const int n = 2560;
    const auto a = smoothImage(n, n);
    auto b = a;
    for (std::size_t i = 0; i < b.size(); i += 7) b[i] += 0.05f;
    QElapsedTimer timer;
    timer.start();
    const double s = ssim(b, a, n, n, 1.0);
    qInfo("SSIM of a %d² image: %lld ms (%.6f)", n, static_cast<long long>(timer.elapsed()), s);
    QVERIFY(s > 0.0 && s < 1.0);
  }

  void badInputThrows() {
    const auto a = smoothImage(16, 16);
    const auto small = smoothImage(16, 15);
    expectInvalid([&] { ssim(a, small, 16, 16, 1.0); }, "reference has 240 values");
    expectInvalid([&] { psnr(small, a, 16, 16, 1.0); }, "image has 240 values");
    expectInvalid([&] { nrmse({}, {}, 0, 0); }, "must be positive");
    expectInvalid([&] { ssim(a, a, 16, 16, 0.0); }, "data range");
    expectInvalid([&] { ssim(a, a, 8, 32, 1.0); }, "smaller than the 11×11 window");
    auto nan = a;
    nan[17] = std::numeric_limits<float>::quiet_NaN();
    expectInvalid([&] { ssim(nan, a, 16, 16, 1.0); }, "image value at index 17 is NaN");
    expectInvalid([&] { psnr(a, nan, 16, 16, 1.0); }, "reference value at index 17 is NaN");
    const std::vector<float> zeros(a.size(), 0.0f);
    expectInvalid([&] { nrmse(a, zeros, 16, 16); }, "reference is all zero");
    expectInvalid([&] { ssimVolume(a, zeros, 16, 16, 1); }, "data range is 0");
    expectInvalid([&] { psnrVolume(a, a, 16, 8, 3); }, "expected 3×16×8");
    expectInvalid([&] { ssimVolume(VolumeStack(2, 16), VolumeStack(3, 16)); }, "does not match");
    expectInvalid([&] { dataRange(nan); }, "reference value at index 17 is NaN");
  }
};

QTEST_APPLESS_MAIN(TestMetrics)
#include "test_metrics.moc"
