// CPU/GPU parity of the CUDA backend: Joseph forward and back projection, their adjointness,
// streaming SIRT with the estimate kept on the GPU, slice read-back, TomoGAN with cuDNN in every
// precision against oneDNN f32, and a streaming session on the GPU. Labelled `gpu` in CTest; where
// no CUDA device answers, the whole suite is skipped with the reason (CTest reports it skipped).
// tests/gpu/run.sh builds and runs it on a GPU machine.
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <numeric>
#include <random>

#include "RandomStacks.h"
#include "backend/ComputeBackend.h"
#include "backend/GpuPlugin.h"
#include "io/Hdf5Handles.h"
#include "metrics/ImageMetrics.h"
#include "nn/ModelLocation.h"
#include "pipeline/LiveReconstruction.h"
#include "pipeline/StreamingSession.h"
#include "preprocess/FlatDarkCorrection.h"
#include "sim/ScanFile.h"
#include "sim/ScanSimulator.h"
#include "sources/FileReplaySource.h"
#include "sources/SimulatorSource.h"

using namespace tomolive;
using tomolive::testing::randomProjections;
using tomolive::testing::randomVolume;

namespace {

ParallelGeometry scrambledGeometry(int n, int columns, int angles, double centre) {
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> angle(-std::numbers::pi, 2 * std::numbers::pi);
  ParallelGeometry g;
  g.anglesRad.resize(angles);
  for (double& a : g.anglesRad) a = angle(rng);
  g.anglesRad[0] = 0.0;
  g.anglesRad[1] = std::numbers::pi / 2;
  g.anglesRad[2] = std::numbers::pi / 4;
  g.centre = centre;
  g.columns = columns;
  g.gridSize = n;
  return g;
}

// max |a − b| / max |a|
double relativeMaxDifference(std::span<const float> a, std::span<const float> b) {
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, double(std::abs(a[i] - b[i])));
    scale = std::max(scale, double(std::abs(a[i])));
  }
  return diff / scale;
}

// Reconstruction-like input for TomoGAN: three adjacent slices of a streaming SIRT of glass.
std::vector<float> sirtSlices(int n, int& height, int& width) {
  ScanSpec spec;
  spec.phantom = PhantomKind::Glass;
  spec.size = n;
  spec.slices = 3;
  spec.acquisition = {AcquisitionOrder::Interlaced, 128, 32};
  spec.seed = 4;
  const ScanSimulator sim(spec);
  LiveReconstruction recon(n, 3, n, sim.geometry().centre, {.method = LiveMethod::window});
  const FlatDarkCorrection correction(sim.flats(), sim.darks(), 3, n);
  recon.receive(correction.lineIntegrals(sim.projections(0, 32)),
                {sim.geometry().anglesRad.data(), 32});
  recon.update(1);
  height = width = n;
  return recon.estimate().toSliceMajor();
}

}  // namespace

class TestGpu : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    const BackendChoice choice = chooseBackend(ComputeBackend::automatic);
    if (choice.backend != ComputeBackend::cuda)
      QSKIP(qPrintable("no CUDA device: " + QString::fromStdString(gpuUnavailableReason())));
    qInfo("%s", choice.description.c_str());
  }

  void projectorsMatchCpu_data() {
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("columns");
    QTest::addColumn<int>("slices");
    QTest::newRow("odd 257, 7 slices, wide detector") << 257 << 263 << 7;
    QTest::newRow("even 256, 16 slices") << 256 << 256 << 16;
    QTest::newRow("even 128, 37 slices (3 groups of 16)") << 128 << 120 << 37;
  }

  void projectorsMatchCpu() {
    QFETCH(int, size);
    QFETCH(int, columns);
    QFETCH(int, slices);
    const ParallelGeometry g = scrambledGeometry(size, columns, 97, 0.5 * (columns - 1) + 2.3);
    const auto cpu = makeProjector(ComputeBackend::cpu, g);
    const auto gpu = makeProjector(ComputeBackend::cuda, g);
    QVERIFY2(QString::fromStdString(gpu->name()).startsWith("CUDA Joseph"), gpu->name().c_str());
    const std::vector<int> window{5, 90, 0, 1, 2, 33, 34, 35, 64, 96, 50};  // out of order
    const VolumeStack x = randomVolume(slices, size, 1);
    ProjectionStack cy(97, slices, columns), gy(97, slices, columns);
    cpu->forward(x, window, cy);
    gpu->forward(x, window, gy);
    QVERIFY2(relativeMaxDifference(cy.raw(), gy.raw()) < 1e-5,
             qPrintable(QString::number(relativeMaxDifference(cy.raw(), gy.raw()))));
    const ProjectionStack y = randomProjections(97, slices, columns, 2);
    VolumeStack cx(slices, size), gx(slices, size);
    cpu->back(y, window, cx);
    gpu->back(y, window, gx);
    QVERIFY2(relativeMaxDifference(cx.raw(), gx.raw()) < 1e-5,
             qPrintable(QString::number(relativeMaxDifference(cx.raw(), gx.raw()))));
  }

  void gpuPairIsAdjoint() {
    const ParallelGeometry g = scrambledGeometry(301, 301, 64, 151.7);
    const auto gpu = makeProjector(ComputeBackend::cuda, g);
    std::vector<int> all(64);
    std::iota(all.begin(), all.end(), 0);
    const VolumeStack x = randomVolume(5, 301, 3);
    const ProjectionStack y = randomProjections(64, 5, 301, 4);
    ProjectionStack ax(64, 5, 301);
    VolumeStack aty(5, 301);
    gpu->forward(x, all, ax);
    gpu->back(y, all, aty);
    double left = 0, right = 0;
    for (std::size_t i = 0; i < ax.raw().size(); ++i) left += double(ax.raw()[i]) * y.raw()[i];
    for (std::size_t i = 0; i < aty.raw().size(); ++i) right += double(x.raw()[i]) * aty.raw()[i];
    QVERIFY2(std::abs(left - right) <= 1e-5 * std::abs(left),
             qPrintable(QString("%1 vs %2").arg(left, 0, 'g', 12).arg(right, 0, 'g', 12)));
  }

  // Every live method with windows, a centre change mid-scan (new weights) and warm starts: the
  // GPU estimate, residual history and slice read-back agree with the CPU's.
  void streamingSirtMatchesCpu_data() {
    QTest::addColumn<QString>("method");
    for (const char* m : {"window", "sirt", "cgls", "filtered"}) QTest::newRow(m) << m;
  }

  void streamingSirtMatchesCpu() {
    QFETCH(QString, method);
    const LiveMethod live = parseLiveMethod(method.toStdString());
    ScanSpec spec;
    spec.phantom = PhantomKind::Glass;
    spec.size = 160;
    spec.slices = 12;
    spec.acquisition = {AcquisitionOrder::Interlaced, 192, 16};
    spec.seed = 9;
    const ScanSimulator sim(spec);
    const FlatDarkCorrection correction(sim.flats(), sim.darks(), 12, 160);
    const double centre = sim.geometry().centre;
    LiveReconstruction cpu(160, 12, 160, centre, {.method = live, .backend = ComputeBackend::cpu});
    LiveReconstruction gpu(160, 12, 160, centre, {.method = live, .backend = ComputeBackend::cuda});
    const std::vector<float> raw = sim.projections(0, 96);
    const std::size_t frame = std::size_t(12) * 160;
    for (int w = 0; w < 6; ++w) {
      const ProjectionStack window =
          correction.lineIntegrals({raw.data() + w * 16 * frame, 16 * frame});
      if (w == 3) {
        cpu.setCentre(centre + 0.75);
        gpu.setCentre(centre + 0.75);
      }
      const std::span<const double> angles(sim.geometry().anglesRad.data() + w * 16, 16);
      cpu.receive(window, angles);
      gpu.receive(window, angles);
      const LiveUpdate a = cpu.update(2);
      const LiveUpdate b = gpu.update(2);
      QCOMPARE(b.history.size(), a.history.size());
      for (std::size_t i = 0; i < a.history.size(); ++i)
        QVERIFY2(std::abs(a.history[i].weightedResidual - b.history[i].weightedResidual) <=
                     1e-4 * a.history[i].weightedResidual,
                 qPrintable(QString("window %1 iteration %2: %3 vs %4")
                                .arg(w)
                                .arg(i)
                                .arg(a.history[i].weightedResidual)
                                .arg(b.history[i].weightedResidual)));
    }
    const VolumeStack cx = cpu.estimate(), gx = gpu.estimate();
    QVERIFY2(relativeMaxDifference(cx.raw(), gx.raw()) < 1e-4,
             qPrintable(QString::number(relativeMaxDifference(cx.raw(), gx.raw()))));
    QVERIFY(ssimVolume(gx, sim.groundTruth()) > 0.3);
    const std::vector<int> which{11, 0, 6};
    const std::vector<float> images = gpu.slices(which);
    for (std::size_t i = 0; i < which.size(); ++i) {
      const std::vector<float> expected = gx.slice(which[i]);
      QVERIFY(std::equal(expected.begin(), expected.end(), images.begin() + i * 160 * 160));
    }
  }

  void tomoganMatchesCpu_data() {
    QTest::addColumn<QString>("precision");
    QTest::addColumn<double>("tolerance");  // max |Δ| as a fraction of the CPU output's range
    QTest::addColumn<double>("minSsim");
    QTest::addColumn<QString>("normalisation");  // "" : the model's own
    QTest::newRow("f32") << "f32" << 1e-4 << 0.9999 << "";
    QTest::newRow("tf32") << "tf32" << 2e-2 << 0.995 << "";
    QTest::newRow("fp16") << "fp16" << 2e-2 << 0.995 << "";
    QTest::newRow("bf16") << "bf16" << 5e-2 << 0.99 << "";
    // The cuDNN path applies per-slice normalisation (nn/SliceNormalisation.h) as the CPU does.
    QTest::newRow("f32 per-slice") << "f32" << 1e-4 << 0.9999 << "per-slice";
    QTest::newRow("fp16 per-slice") << "fp16" << 2e-2 << 0.995 << "per-slice";
  }

  // A copy of the model at `path` with root attribute normalisation = `value`.
  static std::string withNormalisation(const std::string& path, const std::string& value) {
    const std::string copy =
        (std::filesystem::temp_directory_path() / "test_gpu_tomogan_normalisation.h5").string();
    std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
    const Hdf5File file(H5Fopen(copy.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    if (!file) throw std::runtime_error(copy + ": cannot open the copy");
    if (H5Aexists(file.get(), "normalisation") > 0) H5Adelete(file.get(), "normalisation");
    const Hdf5Datatype type(H5Tcopy(H5T_C_S1));
    H5Tset_size(type.get(), value.size());
    const Hdf5Dataspace scalar(H5Screate(H5S_SCALAR));
    const Hdf5Attribute a(H5Acreate2(file.get(), "normalisation", type.get(), scalar.get(),
                                     H5P_DEFAULT, H5P_DEFAULT));
    if (!a || H5Awrite(a.get(), type.get(), value.data()) < 0)
      throw std::runtime_error(copy + ": cannot write attribute 'normalisation'");
    return copy;
  }

  void tomoganMatchesCpu() {
    QFETCH(QString, precision);
    QFETCH(double, tolerance);
    QFETCH(double, minSsim);
    QFETCH(QString, normalisation);
    const std::string path = defaultModelPath();  // $TOMOLIVE_MODEL, installed or source tree
    QVERIFY2(!path.empty(), "no TomoGAN model (set TOMOLIVE_MODEL)");
    const TomoGanModel model = TomoGanModel::load(
        normalisation.isEmpty() ? path : withNormalisation(path, normalisation.toStdString()));
    const auto cpu = makeTomoGan(ComputeBackend::cpu, model, "f32");
    // Skipped only where the device says TomoGAN cannot run (the CPU emulation: no cuDNN); an
    // error from our own checks fails the test.
    if (const gpu::DeviceInfo& device = gpuPlugin().device; !device.tomogan)
      QSKIP(device.tomoganReason.c_str());
    const std::shared_ptr<Denoiser> gpu =
        makeTomoGan(ComputeBackend::cuda, model, precision.toStdString());
    qInfo("%s", gpu->name().c_str());
    for (const int n : {136, 100}) {  // 100: not a multiple of 8 (padding and crop)
      int h = 0, w = 0;
      const std::vector<float> slices = sirtSlices(n, h, w);
      const std::vector<float> expected = cpu->enhance(slices, h, w);
      const std::vector<float> got = gpu->enhance(slices, h, w);
      QCOMPARE(got.size(), expected.size());
      const auto [lo, hi] = std::minmax_element(expected.begin(), expected.end());
      const double range = *hi - *lo;
      double worst = 0;
      for (std::size_t i = 0; i < got.size(); ++i) {
        QVERIFY(std::isfinite(got[i]));
        worst = std::max(worst, double(std::abs(got[i] - expected[i])));
      }
      QVERIFY2(worst <= tolerance * range, qPrintable(QString("%1 at %2²: max |Δ| %3 of range %4")
                                                          .arg(precision)
                                                          .arg(n)
                                                          .arg(worst)
                                                          .arg(range)));
      const double s = ssim(got, expected, w, h, range);
      QVERIFY2(s >= minSsim, qPrintable(QString("%1: SSIM %2").arg(precision).arg(s)));
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, gpu->enhance(std::vector<float>(10), 2, 2));
  }

  // A live session on the GPU: every window reconstructed as on the CPU (same windows from a
  // paced source, same SSIM per update), and the log names the CUDA projector.
  void sessionRunsOnGpu() {
    ScanSpec spec;
    spec.phantom = PhantomKind::Glass;
    spec.size = 128;
    spec.slices = 8;
    spec.acquisition = {AcquisitionOrder::Interlaced, 256, 32};
    // Replayed losslessly from a file, so both sessions get the same windows however busy the
    // machine is.
    QTemporaryDir dir;
    const std::string scan = dir.filePath("scan.h5").toStdString();
    writeSimulatedScan(spec, scan);
    const auto run = [&](ComputeBackend backend, std::vector<std::string>& log) {
      StreamOptions options;
      options.window = 32;
      options.iterations = 2;
      options.backend = backend;
      StreamingSession session(std::make_unique<FileReplaySource>(scan, 0.0), options);
      std::vector<UpdateMetrics> updates;
      std::mutex mutex;
      session.onLog([&](const std::string& line) {
        std::lock_guard lock(mutex);
        log.push_back(line);
      });
      session.onSnapshot([&](std::shared_ptr<const Snapshot> s) {
        std::lock_guard lock(mutex);  // each update once (the closing polish republishes the last)
        if (updates.empty() || updates.back().update != s->metrics.update)
          updates.push_back(s->metrics);
      });
      session.start();
      if (!session.waitFor(std::chrono::seconds(120))) return std::vector<UpdateMetrics>{};
      const SessionSummary summary = session.summary();
      if (!summary.error.empty()) qWarning("%s", summary.error.c_str());
      return updates;
    };
    std::vector<std::string> cpuLog, gpuLog;
    const auto cpu = run(ComputeBackend::cpu, cpuLog);
    const auto gpu = run(ComputeBackend::cuda, gpuLog);
    QCOMPARE(int(gpu.size()), 8);
    QCOMPARE(gpu.size(), cpu.size());
    for (std::size_t i = 0; i < gpu.size(); ++i) {
      QCOMPARE(gpu[i].projections, cpu[i].projections);
      QVERIFY(gpu[i].ssim && cpu[i].ssim);
      QVERIFY2(std::abs(*gpu[i].ssim - *cpu[i].ssim) < 1e-4,
               qPrintable(QString("update %1: SSIM %2 on the GPU, %3 on the CPU")
                              .arg(i + 1)
                              .arg(*gpu[i].ssim)
                              .arg(*cpu[i].ssim)));
    }
    QVERIFY(*gpu.back().ssim > *gpu.front().ssim);
    QVERIFY(std::any_of(gpuLog.begin(), gpuLog.end(), [](const std::string& l) {
      return l.starts_with("reconstruction: ") && l.find(" on CUDA Joseph") != std::string::npos;
    }));
  }
};

QTEST_GUILESS_MAIN(TestGpu)
#include "test_gpu.moc"
