// TomoGAN inference (oneDNN): parity with the PyTorch reference, tiling, borders, normalisation
// (global and per-slice, whichever the shipped model uses: the other is tested on a copy), and
// the errors bad weight files and bad calls raise.
//
// Data: the shipped model resources/models/tomogan.h5 and its golden file tomogan_golden.h5,
// both written by resources/models/training/export.py (golden: `input` (3, H, W) and `output`
// (H, W) float32 in reconstruction units, the PyTorch float64 forward pass). The environment
// variable TOMOLIVE_TOMOGAN_TEST_DIR points the suite at another folder holding such a pair.
// Tolerances, relative to the golden output's range (max − min): f32 1e-4, bf16 2e-2 (bf16
// keeps 8 mantissa bits; the error is also reported as SSIM of bf16 against f32), tiled
// against untiled 1e-5.
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "RealData.h"
#include "bench/QualityEvaluation.h"
#include "io/Hdf5Handles.h"
#include "metrics/ImageMetrics.h"
#include "nn/EnhancementGuard.h"
#include "nn/SampleSupport.h"
#include "nn/SliceNormalisation.h"
#include "nn/TomoGanDenoiser.h"
#include "nn/TomoGanModel.h"
#include "nn/VolumeEnhancement.h"
#include "pipeline/HeldOutCheck.h"
#include "pipeline/LiveReconstruction.h"
#include "preprocess/CentreFinder.h"
#include "preprocess/ScanPreparation.h"
#include "sim/Acquisition.h"
#include "training/TrainingData.h"

using namespace tomolive;

namespace {

constexpr double kF32Tolerance = 1e-4;
constexpr double kBf16Tolerance = 2e-2;
constexpr double kTilingTolerance = 1e-5;

std::string modelDir() {
  if (const char* dir = std::getenv("TOMOLIVE_TOMOGAN_TEST_DIR")) return dir;
  return TOMOLIVE_RESOURCES_DIR "/models";
}
std::string modelPath() { return modelDir() + "/tomogan.h5"; }
std::string goldenPath() { return modelDir() + "/tomogan_golden.h5"; }
/// The model shipped for live method `method` (tomogan_<method>.h5 where there is one, as
/// nn/ModelLocation.h finds it), else tomogan.h5.
std::string modelPathFor(const std::string& method) {
  const std::string own = modelDir() + "/tomogan_" + method + ".h5";
  return std::filesystem::exists(own) ? own : modelPath();
}
/// "tomogan.h5" → "tomogan_golden.h5": each shipped model's parity reference.
std::string goldenPathFor(const std::string& model) {
  return model.substr(0, model.size() - 3) + "_golden.h5";
}

struct Golden {
  std::vector<float> input, output;
  int height = 0, width = 0;
};

std::vector<float> readDataset(hid_t file, const char* name, std::vector<hsize_t>& dims) {
  const Hdf5Dataset dataset(H5Dopen2(file, name, H5P_DEFAULT));
  if (!dataset) throw std::runtime_error(std::string("golden file: ") + name + ": missing");
  const Hdf5Dataspace space(H5Dget_space(dataset.get()));
  dims.assign(H5Sget_simple_extent_ndims(space.get()), 0);
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  std::vector<float> values(H5Sget_simple_extent_npoints(space.get()));
  H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  return values;
}

Golden readGolden(const std::string& path = goldenPath()) {
  const Hdf5File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file) throw std::runtime_error(path + ": cannot open");
  Golden g;
  std::vector<hsize_t> inDims, outDims;
  g.input = readDataset(file.get(), "input", inDims);
  g.output = readDataset(file.get(), "output", outDims);
  if (inDims.size() != 3 || outDims.size() != 2 || inDims[1] != outDims[0] ||
      inDims[2] != outDims[1]) {
    throw std::runtime_error(path + ": input/output shapes do not match");
  }
  g.height = int(outDims[0]);
  g.width = int(outDims[1]);
  return g;
}

double range(const std::vector<float>& v) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return double(*hi) - double(*lo);
}

double maxAbsDifference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
  return worst;
}

std::vector<float> randomSlices(int depth, int height, int width, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(0.0f, 0.08f);
  std::vector<float> v(std::size_t(depth) * height * width);
  for (float& x : v) x = value(rng);
  return v;
}

TomoGanOptions options(TomoGanPrecision precision, int tileSize = 1024) {
  TomoGanOptions o;
  o.precision = precision;
  o.tileSize = tileSize;
  return o;
}

// A writable copy of the shipped model, to break in one place.
class ModelCopy {
 public:
  explicit ModelCopy(const std::string& name)
      : path_(
            (std::filesystem::temp_directory_path() / ("test_tomogan_" + name + ".h5")).string()) {
    std::filesystem::copy_file(modelPath(), path_,
                               std::filesystem::copy_options::overwrite_existing);
    file_ = Hdf5File(H5Fopen(path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
  }
  ~ModelCopy() { std::filesystem::remove(path_); }
  ModelCopy(const ModelCopy&) = delete;
  ModelCopy& operator=(const ModelCopy&) = delete;

  hid_t file() const { return file_.get(); }
  const std::string& path() const { return path_; }
  /// Flushes and closes the file so that the model can be loaded.
  const std::string& done() {
    if (!file_.close()) throw std::runtime_error(path_ + ": closing the modified copy failed");
    return path_;
  }

  void setDouble(const char* attribute, double value) {
    const Hdf5Attribute a(H5Aopen(file_.get(), attribute, H5P_DEFAULT));
    QVERIFY(a.valid());
    QVERIFY(H5Awrite(a.get(), H5T_NATIVE_DOUBLE, &value) >= 0);
  }

  /// Sets root attribute `normalisation` ("global" removes it, as in version-1 files).
  void setNormalisation(const std::string& value) {
    if (H5Aexists(file_.get(), "normalisation") > 0)
      QVERIFY(H5Adelete(file_.get(), "normalisation") >= 0);
    if (value == "global") return;
    const Hdf5Datatype type(H5Tcopy(H5T_C_S1));
    QVERIFY(H5Tset_size(type.get(), value.size()) >= 0);
    const Hdf5Dataspace scalar(H5Screate(H5S_SCALAR));
    const Hdf5Attribute a(H5Acreate2(file_.get(), "normalisation", type.get(), scalar.get(),
                                     H5P_DEFAULT, H5P_DEFAULT));
    QVERIFY(a.valid());
    QVERIFY(H5Awrite(a.get(), type.get(), value.data()) >= 0);
  }

 private:
  std::string path_;
  Hdf5File file_;
};

// Loading `path` must fail with a message naming the file, `dataset` and `problem`.
void expectRejected(const std::string& path, const std::string& dataset,
                    const std::string& problem) {
  try {
    TomoGanModel::load(path);
    QFAIL(("loaded a bad model: " + path).c_str());
  } catch (const TomoGanModelError& e) {
    const std::string message = e.what();
    qInfo("rejected: %s", e.what());
    QVERIFY2(message.find(path) != std::string::npos, message.c_str());
    QVERIFY2(message.find(dataset) != std::string::npos, message.c_str());
    QVERIFY2(message.find(problem) != std::string::npos, message.c_str());
  }
}

}  // namespace

class TestTomoGan : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    // The model ships with TomoLive: its absence is a failure, not a reason to skip.
    QVERIFY2(std::filesystem::exists(modelPath()) && std::filesystem::exists(goldenPath()),
             ("no model/golden pair in " + modelDir() +
              ": run resources/models/training/export.py (see resources/models/README.md)")
                 .c_str());
  }

  void architectureCounts() {
    QCOMPARE(tomoGanMultiplyAddsPerPixel(3), 92712.0);
    const TomoGanModel model = TomoGanModel::load(modelPath());
    QCOMPARE(model.layers().size(), std::size_t(16));
    std::size_t parameters = 0;
    for (const TomoGanLayer& layer : model.layers()) {
      parameters += layer.weight.size() + layer.bias.size();
    }
    qInfo("%s: depth %d, %zu parameters, offset %g, scale %g, recipe %s", modelPath().c_str(),
          model.depth(), parameters, model.inputOffset(), model.inputScale(),
          model.recipeHash().c_str());
    QCOMPARE(parameters, std::size_t(694913));
  }

  void parityF32_data() {
    QTest::addColumn<QString>("model");
    QTest::newRow("tomogan.h5") << "tomogan.h5";
    QTest::newRow("tomogan_filtered.h5") << "tomogan_filtered.h5";
  }

  // Every shipped model against its own golden file.
  void parityF32() {
    QFETCH(QString, model);
    const std::string path = modelDir() + "/" + model.toStdString();
    // A candidate folder (TOMOLIVE_TOMOGAN_TEST_DIR) may hold only tomogan.h5; the shipped folder
    // must hold every model.
    if (!std::filesystem::exists(path) && std::getenv("TOMOLIVE_TOMOGAN_TEST_DIR"))
      QSKIP("a candidate folder without this model");
    QVERIFY2(std::filesystem::exists(path), (path + ": shipped model missing").c_str());
    const Golden g = readGolden(goldenPathFor(path));
    TomoGanDenoiser denoiser(TomoGanModel::load(path), options(TomoGanPrecision::f32));
    const std::vector<float> out = denoiser.enhance(g.input, g.height, g.width);
    const double error = maxAbsDifference(out, g.output) / range(g.output);
    qInfo("%s vs PyTorch: max |error| = %.3g of the output range", denoiser.name().c_str(), error);
    QVERIFY2(error <= kF32Tolerance, std::to_string(error).c_str());
  }

  void parityBf16() {
    if (!TomoGanDenoiser::cpuSupportsBf16()) QSKIP("this CPU has no AVX-512 BF16");
    const Golden g = readGolden();
    const TomoGanModel model = TomoGanModel::load(modelPath());
    TomoGanDenoiser f32(model, options(TomoGanPrecision::f32));
    TomoGanDenoiser bf16(model, options(TomoGanPrecision::bf16));
    const std::vector<float> reference = f32.enhance(g.input, g.height, g.width);
    const std::vector<float> out = bf16.enhance(g.input, g.height, g.width);
    const double error = maxAbsDifference(out, g.output) / range(g.output);
    const double similarity = ssim(out, reference, g.width, g.height, range(reference));
    qInfo("%s vs PyTorch: max |error| = %.3g of the output range; SSIM(bf16, f32) = %.5f",
          bf16.name().c_str(), error, similarity);
    QVERIFY2(error <= kBf16Tolerance, std::to_string(error).c_str());
    QVERIFY2(similarity >= 0.99, std::to_string(similarity).c_str());
  }

  void tiledEqualsUntiled() {
    // 128 is the smallest tile the default halo (56) allows: 2 · 56 + 16.
    const int height = 200, width = 264, depth = 3;
    const std::vector<float> in = randomSlices(depth, height, width, 3);
    const TomoGanModel model = TomoGanModel::load(modelPath());
    TomoGanDenoiser whole(model, options(TomoGanPrecision::f32, 1024));
    TomoGanDenoiser tiled(model, options(TomoGanPrecision::f32, 128));
    const TomoGanTiling t = tiled.tiling(height, width);
    QVERIFY(t.tilesY * t.tilesX > 1);
    QCOMPARE(whole.tiling(height, width).tilesY * whole.tiling(height, width).tilesX, 1);
    const std::vector<float> a = whole.enhance(in, height, width);
    const std::vector<float> b = tiled.enhance(in, height, width);
    const double error = maxAbsDifference(a, b) / range(a);
    qInfo("%d x %d tiles of %d x %d: max |tiled - untiled| = %.3g of the range", t.tilesY, t.tilesX,
          t.tileHeight, t.tileWidth, error);
    QVERIFY2(error <= kTilingTolerance, std::to_string(error).c_str());
  }

  void receptiveRadius() {
    // One changed input pixel changes outputs at most kTomoGanReceptiveRadius away (per axis):
    // the property the halo relies on. The network's reach: under per-slice normalisation one
    // pixel also moves the slice's statistics, which tiling computes once for the whole slice.
    const int n = 256, depth = 3, centre = 128;
    std::vector<float> in = randomSlices(depth, n, n, 5);
    ModelCopy global("reach");
    global.setNormalisation("global");
    TomoGanDenoiser denoiser(TomoGanModel::load(global.done()), options(TomoGanPrecision::f32));
    const std::vector<float> before = denoiser.enhance(in, n, n);
    in[std::size_t(depth / 2) * n * n + std::size_t(centre) * n + centre] += 0.5f;
    const std::vector<float> after = denoiser.enhance(in, n, n);
    int reach = 0;
    for (int y = 0; y < n; ++y) {
      for (int x = 0; x < n; ++x) {
        if (before[std::size_t(y) * n + x] != after[std::size_t(y) * n + x]) {
          reach = std::max({reach, std::abs(y - centre), std::abs(x - centre)});
        }
      }
    }
    qInfo("a changed pixel reaches %d pixels (bound %d)", reach, kTomoGanReceptiveRadius);
    QVERIFY(reach <= kTomoGanReceptiveRadius);
    QVERIFY(reach > 0);
  }

  void bordersAreZeroPadding() {
    // Sizes that are not multiples of 8: the network on the image zero-padded to 40 × 56.
    const int height = 37, width = 53, depth = 3, ph = 40, pw = 56;
    const std::vector<float> in = randomSlices(depth, height, width, 11);
    std::vector<float> padded(std::size_t(depth) * ph * pw, 0.0f);
    for (int c = 0; c < depth; ++c) {
      for (int y = 0; y < height; ++y) {
        std::copy_n(in.begin() + (std::size_t(c) * height + y) * width, width,
                    padded.begin() + (std::size_t(c) * ph + y) * pw);
      }
    }
    ModelCopy global("borders");
    global.setNormalisation("global");
    TomoGanDenoiser denoiser(TomoGanModel::load(global.done()), options(TomoGanPrecision::f32));
    const std::vector<float> out = denoiser.enhance(in, height, width);
    const std::vector<float> whole = denoiser.enhance(padded, ph, pw);
    QCOMPARE(out.size(), std::size_t(height) * width);
    double worst = 0.0;
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        worst = std::max(worst, std::fabs(double(out[std::size_t(y) * width + x]) -
                                          whole[std::size_t(y) * pw + x]));
      }
    }
    QCOMPARE(worst, 0.0);
    const std::vector<float> tiny = denoiser.enhance(randomSlices(depth, 1, 1, 2), 1, 1);
    QVERIFY(tiny.size() == 1 && std::isfinite(tiny[0]));
  }

  void normalisationIsApplied() {
    // A model whose normalisation differs by (o, s) equals the original on transformed input.
    const Golden g = readGolden();
    ModelCopy global("global");
    global.setNormalisation("global");
    const TomoGanModel base = TomoGanModel::load(global.done());
    const double o = base.inputOffset() + 0.01, s = base.inputScale() * 3.0;
    ModelCopy copy("normalisation");
    copy.setNormalisation("global");
    copy.setDouble("input_offset", o);
    copy.setDouble("input_scale", s);
    TomoGanDenoiser modified(TomoGanModel::load(copy.done()), options(TomoGanPrecision::f32));
    TomoGanDenoiser original(base, options(TomoGanPrecision::f32));
    std::vector<float> z(g.input.size());
    for (std::size_t i = 0; i < z.size(); ++i) {
      z[i] = float((g.input[i] - o) * s / base.inputScale() + base.inputOffset());
    }
    const std::vector<float> a = modified.enhance(g.input, g.height, g.width);
    std::vector<float> b = original.enhance(z, g.height, g.width);
    for (float& v : b) v = float((v - base.inputOffset()) * base.inputScale() / s + o);
    const double error = maxAbsDifference(a, b) / range(b);
    QVERIFY2(error <= kF32Tolerance, std::to_string(error).c_str());
  }

  void perSliceNormalisation_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("kind");
    QTest::addRow("per-slice") << "per-slice" << int(TomoGanNormalisation::perSlice);
    QTest::addRow("per-slice-mean") << "per-slice-mean" << int(TomoGanNormalisation::perSliceMean);
  }

  // Per-slice normalisation is the global one with the middle slice's field-of-view mean as the
  // offset and 1/scale as the scale (scale: the standard deviation, or the mean), computed on the
  // image before its padding to multiples of 8 (the padding is air, 0); it makes the enhancement
  // commute with a change of units, enhance(a·x + b) = a·enhance(x) + b (per-slice-mean: b = 0,
  // a > 0); a slice whose scale is not positive comes back unchanged.
  void perSliceNormalisation() {
    QFETCH(QString, name);
    QFETCH(int, kind);
    const bool byMean = TomoGanNormalisation(kind) == TomoGanNormalisation::perSliceMean;
    ModelCopy perSlice("per_slice");
    perSlice.setNormalisation(name.toStdString());
    const TomoGanModel model = TomoGanModel::load(perSlice.done());
    QCOMPARE(int(model.normalisation()), kind);
    TomoGanDenoiser denoiser(model, options(TomoGanPrecision::f32));
    const int height = 37, width = 53, depth = 3, ph = 40, pw = 56;
    std::vector<float> in = randomSlices(depth, height, width, 5);
    for (float& v : in) v = 0.02f + 0.5f * v;
    const SliceStatistics st = fieldOfViewStatistics(
        {in.data() + std::size_t(height) * width, std::size_t(height) * width}, height, width);
    const double scale = byMean ? st.mean : st.std;
    QVERIFY(scale > 0.0);
    ModelCopy global("per_slice_as_global");
    global.setNormalisation("global");
    global.setDouble("input_offset", st.mean + scale * model.inputOffset());
    global.setDouble("input_scale", model.inputScale() / scale);
    TomoGanDenoiser reference(TomoGanModel::load(global.done()), options(TomoGanPrecision::f32));
    std::vector<float> padded(std::size_t(depth) * ph * pw, 0.0f);
    for (int c = 0; c < depth; ++c)
      for (int y = 0; y < height; ++y)
        std::copy_n(in.begin() + (std::size_t(c) * height + y) * width, width,
                    padded.begin() + (std::size_t(c) * ph + y) * pw);
    const std::vector<float> out = denoiser.enhance(in, height, width);
    const std::vector<float> whole = reference.enhance(padded, ph, pw);
    std::vector<float> cropped;
    for (int y = 0; y < height; ++y)
      cropped.insert(cropped.end(), whole.begin() + std::size_t(y) * pw,
                     whole.begin() + std::size_t(y) * pw + width);
    const double error = maxAbsDifference(out, cropped) / range(cropped);
    QVERIFY2(error <= kF32Tolerance, std::to_string(error).c_str());

    // (on a size without padding: the padding is air in the input's units, 0, not b)
    const double a = 7.5, b = byMean ? 0.0 : -0.3;
    std::vector<float> changed(padded);
    for (float& v : changed) v = float(a * v + b);
    std::vector<float> expected = denoiser.enhance(padded, ph, pw);
    for (float& v : expected) v = float(a * v + b);
    const double equivariance =
        maxAbsDifference(denoiser.enhance(changed, ph, pw), expected) / range(expected);
    QVERIFY2(equivariance <= kF32Tolerance, std::to_string(equivariance).c_str());

    const float unscalable = byMean ? -0.25f : 0.25f;  // mean ≤ 0, or std = 0
    std::vector<float> flat(std::size_t(depth) * height * width, unscalable);
    if (byMean) flat[std::size_t(height) * width + 7 * width + 20] = 0.5f;  // std > 0, mean < 0
    const std::vector<float> same = denoiser.enhance(flat, height, width);
    QVERIFY(std::equal(same.begin(), same.end(), flat.begin() + std::size_t(height) * width));
  }

  // training-data's draws: `window` keeps recipe v1's (glass at the seed's setting every other
  // scan) so v1 stays reproducible; other methods draw phantom, size, photons and W/I/R per scan
  // within the options' ranges.
  void trainingDataDraws() {
    TrainingDataOptions v1;
    v1.method = "window";
    const TrainingScanSpec glass = drawTrainingScan(v1, 0);
    QCOMPARE(glass.phantom, std::string("glass"));
    QCOMPARE(glass.window * 100 + glass.iterations * 10 + glass.rotations, 3215);
    QCOMPARE(glass.size, v1.size);
    TrainingDataOptions v2;
    v2.sizes = {256, 384};
    v2.photonsMin = 1e3, v2.photonsMax = 3e4;
    v2.minInputProjections = 32, v2.maxInputProjections = 400;
    std::set<int> sizes;
    for (int k = 0; k < 12; ++k) {
      const TrainingScanSpec d = drawTrainingScan(v2, k);
      QCOMPARE(d.phantom, v2.phantoms[std::size_t(k) % 3]);
      QVERIFY(d.photons >= 1e3 && d.photons <= 3e4);
      QVERIFY(d.window * d.rotations >= 32 && d.window * d.rotations <= 400 + d.window);
      sizes.insert(d.size);
      QCOMPARE(drawTrainingScan(v2, k).photons, d.photons);
    }
    QCOMPARE(sizes, (std::set<int>{256, 384}));
    TrainingDataOptions windowIndependent = v2;  // the window method's images, v2's draw
    windowIndependent.method = "window", windowIndependent.draw = "independent";
    for (int k = 0; k < 6; ++k)
      QCOMPARE(drawTrainingScan(windowIndependent, k).photons, drawTrainingScan(v2, k).photons);
    TrainingDataOptions v4 = windowIndependent;  // v4: the full scan's size and a tube drawn too
    v4.projectionsMin = 90, v4.projectionsMax = 480;
    v4.minInputFraction = 0.15, v4.maxInputFraction = 0.45;
    v4.tubeFraction = 0.5;
    int tubes = 0;
    for (int k = 0; k < 24; ++k) {
      const TrainingScanSpec d = drawTrainingScan(v4, k);
      QVERIFY(d.projections >= 90 && d.projections <= 480);
      const double share = double(d.window * d.rotations) / d.projections;
      QVERIFY2(d.window * d.rotations <= d.projections + d.window &&
                   share >= 0.15 - double(d.window) / d.projections &&
                   share <= 0.45 + double(d.window) / d.projections,
               qPrintable(QString("R·W = %1 of %2").arg(d.window * d.rotations).arg(d.projections)));
      QVERIFY(d.tube == 0 || (d.tube >= 0.5 && d.tube <= 3.0));
      tubes += d.tube > 0;
      if (k < 6) QCOMPARE(d.photons, drawTrainingScan(v2, k).photons);  // drawn after v2's
    }
    QVERIFY2(tubes >= 6 && tubes <= 18, qPrintable(QString::number(tubes)));
    // v6: rings, zingers and truncation in drawn shares, drawn after everything v4 draws.
    TrainingDataOptions v6 = v4;
    v6.ringFraction = v6.zingerFraction = v6.truncationFraction = 0.5;
    int rings = 0, zingers = 0, truncated = 0;
    for (int k = 0; k < 24; ++k) {
      const TrainingScanSpec d = drawTrainingScan(v6, k), before = drawTrainingScan(v4, k);
      QCOMPARE(d.photons, before.photons);
      QCOMPARE(d.window * 1000 + d.rotations, before.window * 1000 + before.rotations);
      QCOMPARE(d.tube, before.tube);
      QVERIFY(before.rings == 0 && before.zingers == 0 && before.truncation == 0);
      QVERIFY(d.rings == 0 || (d.rings >= 0.002 && d.rings <= 0.02));
      QVERIFY(d.zingers == 0 || (d.zingers >= 1e-5 && d.zingers <= 1e-3));
      QVERIFY(d.truncation == 0 || (d.truncation >= 0.1 && d.truncation <= 0.6));
      rings += d.rings > 0, zingers += d.zingers > 0, truncated += d.truncation > 0;
    }
    for (int count : {rings, zingers, truncated})
      QVERIFY2(count >= 5 && count <= 19, qPrintable(QString::number(count)));
    // v9: small samples in air, drawn after everything v4 draws (v4's tubes and counts unchanged).
    TrainingDataOptions v9 = v4;
    v9.smallSampleFraction = 0.5;
    int small = 0;
    for (int k = 0; k < 24; ++k) {
      const TrainingScanSpec d = drawTrainingScan(v9, k), before = drawTrainingScan(v4, k);
      QCOMPARE(d.photons, before.photons);
      QCOMPARE(d.tube, before.tube);
      QCOMPARE(before.sampleScale, 1.0);
      QVERIFY(d.sampleScale == 1.0 || (d.sampleScale >= 0.3 && d.sampleScale <= 0.7));
      small += d.sampleScale < 1.0;
    }
    QVERIFY2(small >= 5 && small <= 19, qPrintable(QString::number(small)));
    v6.zingerFraction = 1.5;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, drawTrainingScan(v6, 0));
    v4.maxInputFraction = 0;  // a drawn scan size without an input fraction
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, drawTrainingScan(v4, 0));
    windowIndependent.draw = "v3";
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, drawTrainingScan(windowIndependent, 0));
    v2.method = "slow";
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, drawTrainingScan(v2, 0));
  }

  void badModelsAreRejected() {
    {
      ModelCopy copy("missing_layer");
      QVERIFY(H5Ldelete(copy.file(), "/conv7", H5P_DEFAULT) >= 0);
      expectRejected(copy.done(), "/conv7", "missing");
    }
    {
      ModelCopy copy("wrong_shape");
      QVERIFY(H5Ldelete(copy.file(), "/conv3/weight", H5P_DEFAULT) >= 0);
      const hsize_t dims[4] = {64, 16, 3, 3};
      const Hdf5Dataspace space(H5Screate_simple(4, dims, nullptr));
      const Hdf5Dataset d(H5Dcreate2(copy.file(), "/conv3/weight", H5T_IEEE_F32LE, space.get(),
                                     H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
      QVERIFY(d.valid());
      expectRejected(copy.done(), "/conv3/weight", "shape (64, 16, 3, 3), expected (64, 32, 3, 3)");
    }
    {
      ModelCopy copy("nan_weight");
      const Hdf5Dataset d(H5Dopen2(copy.file(), "/conv5/bias", H5P_DEFAULT));
      std::vector<float> bias(128, 0.0f);
      bias[17] = std::numeric_limits<float>::quiet_NaN();
      QVERIFY(H5Dwrite(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, bias.data()) >= 0);
      expectRejected(copy.done(), "/conv5/bias", "value 17 is nan, not finite");
    }
    {
      ModelCopy copy("bad_scale");
      copy.setDouble("input_scale", 0.0);
      expectRejected(copy.done(), "/", "'input_scale' is 0");
    }
    {
      ModelCopy copy("bad_normalisation");
      copy.setNormalisation("per-image");
      expectRejected(copy.done(), "/", "'normalisation' is \"per-image\"");
    }
    {
      ModelCopy copy("bad_version");
      const Hdf5Attribute a(H5Aopen(copy.file(), "format_version", H5P_DEFAULT));
      const std::int64_t version = 2;
      QVERIFY(H5Awrite(a.get(), H5T_NATIVE_INT64, &version) >= 0);
      expectRejected(copy.done(), "/", "'format_version' is 2");
    }
    const std::string text = (std::filesystem::temp_directory_path() / "test_tomogan.txt").string();
    std::ofstream(text) << "not a model\n";
    expectRejected(text, "/", "not an HDF5 file");
    std::filesystem::remove(text);
    expectRejected("/nonexistent/tomogan.h5", "/", "does not exist");
  }

  // The shipped model does its job at the seed's setting (W = 32, I = 1, after R = 5 interlaced
  // rotations) on scans it never saw, on the input it was trained for (the seed's sliding-window
  // SIRT): SSIM against SIRT-100 over all projections rises clearly.
  void helpsAtTheSeedSettingOnHeldOutScans() {
    QualityOptions o;
    o.method = LiveMethod::window;
    o.size = 256;
    o.slices = 4;
    o.windows = {32};
    o.iterations = {1};
    o.rotations = {5};
    o.seed = 30000;  // outside training (1000–1063), validation (9000–9007) and the docs (20000)
    TomoGanDenoiser denoiser(TomoGanModel::load(modelPath()));
    const QualityResult r = runQualityEvaluation(o, denoiser);
    QCOMPARE(r.cells.size(), std::size_t(2));
    for (const QualityCell& c : r.cells) {
      qInfo("%s: SSIM %.3f -> %.3f, PSNR %.2f -> %.2f dB", c.scan.c_str(), c.ssimBefore,
            c.ssimAfter, c.psnrBefore, c.psnrAfter);
      const double gain = c.scan == "glass" ? 0.3 : 0.05;
      QVERIFY2(c.ssimAfter > c.ssimBefore + gain, c.scan.c_str());
      QVERIFY2(c.psnrAfter > c.psnrBefore + 2.0, c.scan.c_str());
    }
  }

  // On the real scans, at the console's settings (the filtered live method after a third of an
  // interlaced replay), what the console shows as enhanced — the network's output blended by the
  // guard (nn/EnhancementGuard.h) — is no worse than the live image against SIRT-100 over all
  // projections.
  void enhancementShownNeverLowersRealScans_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("window");
    QTest::addColumn<int>("firstRow");
    QTest::addColumn<int>("endRow");
    QTest::addColumn<QString>("method");
    QTest::addColumn<int>("iterations");
    QTest::addColumn<bool>("gains");  // where the guard must let a clear gain through
    const auto row = [](const char* name, const char* file, int window, int firstRow, int endRow,
                        const char* method, int iterations, bool gains) {
      QTest::newRow(name) << QString(file) << window << firstRow << endRow << QString(method)
                          << iterations << gains;
    };
    row("tooth, filtered", "tooth.h5", 20, 0, -1, "filtered", 1, true);
    row("tooth, filtered, I 6", "tooth.h5", 20, 0, -1, "filtered", 6, true);
    row("i13, filtered", "i13_crop.h5", 16, 30, 42, "filtered", 1, false);
    row("i13, filtered, I 6", "i13_crop.h5", 16, 30, 42, "filtered", 6, false);
    row("tooth, window", "tooth.h5", 20, 0, -1, "window", 1, false);
    row("i13, window", "i13_crop.h5", 16, 30, 42, "window", 1, true);
  }

  // A third of each real scan received in interlaced order, at the console's default method and
  // at the seed's (window, I = 1), each with the model shipped for it: what the after view shows
  // — the network's output blended by the guard's weight (residual ratio, held-out weight, the
  // model's input method) — scores at least the live image against SIRT-100 over all projections.
  void enhancementShownNeverLowersRealScans() {
    TOMOLIVE_REQUIRE_REAL_DATA();
    QFETCH(QString, file);
    QFETCH(int, window);
    QFETCH(int, firstRow);
    QFETCH(int, endRow);
    QFETCH(QString, method);
    QFETCH(int, iterations);
    QFETCH(bool, gains);
    const PreparedScan scan = prepareScan(
        readDataExchange(realDataFile(file.toLatin1().constData()), {firstRow, endRow}));
    const ProjectionStack& p = scan.lineIntegrals;
    const int n = p.columns(), slices = p.slices();
    const double centre = estimateCentre(p, scan.anglesRad).centre;
    static std::map<QString, VolumeStack> references;  // SIRT-100 over all, once per scan
    if (!references.contains(file)) {
      LiveReconstruction full(n, slices, n, centre, {.method = LiveMethod::sirt});
      full.receive(p, scan.anglesRad);
      full.update(100);
      references[file] = full.estimate();
    }
    const VolumeStack& reference = references[file];
    const LiveOptions live{.method = parseLiveMethod(method.toStdString())};
    const std::vector<int> order = interlacedReplayOrder(scan.anglesRad, window);
    const std::span<const int> received{order.data(), order.size() / 3};
    LiveReconstruction session(n, slices, n, centre, live);
    replayInWindows(session, p, scan.anglesRad, received, window, iterations);
    const VolumeStack image = session.estimate();
    TomoGanDenoiser denoiser(TomoGanModel::load(modelPathFor(method.toStdString())),
                             options(TomoGanPrecision::f32));
    const int s = slices / 2;
    SliceSinogram measured;  // the received projections of slice s
    measured.centre = centre, measured.columns = n;
    for (int i : received) {
      measured.anglesRad.push_back(scan.anglesRad[std::size_t(i)]);
      for (int j = 0; j < n; ++j) measured.lineIntegrals.push_back(p.at(i, s, j));
    }
    // as the session keeps it: nothing where the live image is not defined (what the guard
    // weighs), and then nothing where the received projections show air (what is shown)
    const std::vector<float> network =
        keptToMeasured(enhanceSlice(denoiser, image, s), measured, n);
    const std::vector<float> enhanced =
        keptToSample(network, session.shadows(s, kSupportProjections), n);
    const double ratio = enhancedResidualRatio(measured, network, image.slice(s), n);
    const auto [a, b] = replayHeldOutHalves(p, scan.anglesRad, centre, received, window, iterations,
                                            live, denoiser, s);
    const double heldOut = heldOutWeight(a, b, n);
    const double weight = enhancementWeight(
        ratio, std::nullopt, denoiser.inputMethod() == method.toStdString(), heldOut);
    const std::vector<float> shown = blendEnhancement(enhanced, image.slice(s), weight);
    const auto plain = scoreInFieldOfView(image.slice(s), reference.slice(s), n);
    const auto raw = scoreInFieldOfView(enhanced, reference.slice(s), n);
    const auto guarded = scoreInFieldOfView(shown, reference.slice(s), n);
    qInfo(
        "%s, %s: live SSIM %.3f (sample %.3f) / %.2f dB; network output %.3f (sample %.3f) / "
        "%.2f dB (residual ratio %.2f, held-out weight %.2f, weight %.2f); shown %.3f (sample "
        "%.3f) / %.2f dB",
        qPrintable(file), qPrintable(method), plain.ssim, plain.ssimSample, plain.psnr, raw.ssim,
        raw.ssimSample, raw.psnr, ratio, heldOut, weight, guarded.ssim, guarded.ssimSample,
        guarded.psnr);
    QVERIFY2(guarded.psnr >= plain.psnr - 1e-6, qPrintable(QString::number(guarded.psnr)));
    QVERIFY2(guarded.ssimSample >= plain.ssimSample - 1e-6,
             qPrintable(QString::number(guarded.ssimSample)));
    // Scored without the bright ring SIRT-100 leaves at the field of view's edge. The seed's
    // window image of the tooth lost SSIM over the whole field to v4's output (0.218 -> 0.167)
    // while gaining PSNR and on the tooth itself: the texture v4 leaves in the air, 84 % of the
    // field, where SIRT-100 is exactly zero. Kept to the sample the projections show
    // (keptToSample) the shown image gains on every score.
    QVERIFY2(guarded.ssim >= plain.ssim - 1e-6, qPrintable(QString::number(guarded.ssim)));
    // Where the network helps on every score, the guard lets it show (tooth filtered: +1.1 dB
    // at 38 %, at I = 6 +1.1 dB; i13 window: +1.2 dB, all of it). Kept to the pixels SIRT
    // reconstructs (keptToMeasured), v5's output on i13's filtered image, which fills the ring the
    // projections do not all see and loses 0.9 dB in the field, gets w* = 0 (it had 1).
    if (gains) QVERIFY2(guarded.psnr > plain.psnr + 0.5, qPrintable(QString::number(guarded.psnr)));
  }

  void badCallsAreRejected() {
    TomoGanDenoiser denoiser(TomoGanModel::load(modelPath()), options(TomoGanPrecision::f32));
    QCOMPARE(denoiser.depth(), 3);
    const std::vector<float> in = randomSlices(3, 16, 16, 1);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, denoiser.enhance(in, 16, 15));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, denoiser.enhance(in, 0, 16));
    QVERIFY_THROWS_EXCEPTION(
        std::invalid_argument,
        TomoGanDenoiser(TomoGanModel::load(modelPath()), options(TomoGanPrecision::f32, 100)));
  }

  // `enhance`'s path (the stored slice-major volume read in place) gives exactly what the
  // session's path (slice-lane volume, neighbours gathered) gives, edge slices included.
  void sliceMajorEqualsVolumeEnhancement() {
    TomoGanDenoiser denoiser(TomoGanModel::load(modelPath()), options(TomoGanPrecision::f32));
    for (const int slices : {1, 2, 5}) {
      const std::vector<float> stored = randomSlices(slices, 24, 24, 7);
      const VolumeStack volume = VolumeStack::fromSliceMajor(stored, slices, 24);
      QCOMPARE(enhanceSliceMajor(denoiser, stored, slices, 24),
               enhanceVolume(denoiser, volume).toSliceMajor());
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, enhanceSliceMajor(denoiser, {}, 1, 24));
  }
};

QTEST_APPLESS_MAIN(TestTomoGan)
#include "test_tomogan.moc"
