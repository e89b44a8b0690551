// Choosing what computes (engine/backend): parsing, the automatic choice and its reason, a forced
// CUDA backend without a GPU, the GPU plugin's loading, precisions per backend, and the CLI's
// --backend switch. Runs on every machine: where a GPU answers, the assertions follow that branch.
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include "backend/ComputeBackend.h"
#include "backend/GpuPlugin.h"
#include "sirt/SirtSolver.h"

using namespace tomolive;

namespace {

struct Run {
  int exitCode = -1;
  QString out, err;
};

Run cli(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
  QProcess p;
  p.setProcessEnvironment(env);
  p.start(QStringLiteral(TOMOLIVE_CLI_PATH), args);
  if (!p.waitForFinished(120000)) {
    p.kill();
    p.waitForFinished();
    return {};
  }
  Run r;
  r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

bool gpuHere() { return gpuUnavailableReason().empty(); }

}  // namespace

class TestBackend : public QObject {
  Q_OBJECT

 private slots:
  void parsesNames() {
    QCOMPARE(parseComputeBackend("auto"), ComputeBackend::automatic);
    QCOMPARE(parseComputeBackend("cpu"), ComputeBackend::cpu);
    QCOMPARE(parseComputeBackend("cuda"), ComputeBackend::cuda);
    QCOMPARE(parseComputeBackend("gpu"), ComputeBackend::cuda);
    try {
      parseComputeBackend("opencl");
      QFAIL("'opencl' accepted");
    } catch (const std::invalid_argument& e) {
      QCOMPARE(QString(e.what()), QString("backend 'opencl' is not auto, cpu or cuda"));
    }
    QCOMPARE(QString(computeBackendName(ComputeBackend::cuda)), QString("cuda"));
  }

  void pluginLoadsWhereBuilt() {
    const GpuPlugin& plugin = gpuPlugin();
#ifdef TOMOLIVE_GPU_PLUGIN_BUILT
    // Built here: dlopen must succeed even without a GPU (CUDA runtime linked statically,
    // cuDNN found through the plugin's run path); only the device probe may fail.
    QVERIFY2(plugin.api != nullptr, plugin.device.reason.c_str());
    QVERIFY(QString::fromStdString(plugin.path).endsWith("plugins/libtomolive_gpu.so"));
#else
    QVERIFY(plugin.api == nullptr);
    QVERIFY2(plugin.device.reason.find("built without the GPU plugin") != std::string::npos,
             plugin.device.reason.c_str());
#endif
    if (!plugin.device.available) QVERIFY(!plugin.device.reason.empty());
  }

  void automaticChoiceSaysWhy() {
    const BackendChoice cpu = chooseBackend(ComputeBackend::cpu);
    QCOMPARE(cpu.backend, ComputeBackend::cpu);
    const BackendChoice automatic = chooseBackend(ComputeBackend::automatic);
    if (gpuHere()) {
      QCOMPARE(automatic.backend, ComputeBackend::cuda);
      QVERIFY(QString::fromStdString(automatic.description).startsWith("CUDA: "));
      QCOMPARE(chooseBackend(ComputeBackend::cuda).backend, ComputeBackend::cuda);
      return;
    }
    const std::string reason = gpuUnavailableReason();
    QCOMPARE(automatic.backend, ComputeBackend::cpu);
    QCOMPARE(automatic.description, "CPU (no GPU: " + reason + ")");
    try {
      chooseBackend(ComputeBackend::cuda);
      QFAIL("a forced CUDA backend without a GPU was accepted");
    } catch (const std::runtime_error& e) {
      QCOMPARE(std::string(e.what()), "CUDA backend requested but unavailable: " + reason);
    }
  }

  void precisionsPerBackend() {
    const TomoGanModel model = TomoGanModel::load(TOMOLIVE_RESOURCES_DIR "/models/tomogan.h5");
    for (const char* gpuOnly : {"fp16", "tf32"}) {
      try {
        makeTomoGan(ComputeBackend::cpu, model, gpuOnly);
        QFAIL("a GPU-only precision was accepted on the CPU");
      } catch (const std::invalid_argument& e) {
        QVERIFY2(QString(e.what()).contains("needs the CUDA backend"), e.what());
      }
    }
    try {
      makeTomoGan(ComputeBackend::cpu, model, "f64");
      QFAIL("precision f64 accepted");
    } catch (const std::invalid_argument& e) {
      QVERIFY2(QString(e.what()).contains("'f64' is not auto, f32, tf32, fp16 or bf16"), e.what());
    }
    const auto f32 = makeTomoGan(ComputeBackend::cpu, model, "f32");
    QVERIFY2(QString::fromStdString(f32->name()).startsWith("TomoGAN (oneDNN f32"),
             f32->name().c_str());
    QCOMPARE(f32->modelRecipeHash(), model.recipeHash());
  }

  // The Sirt interface reads back the whole estimate or just the slices asked for.
  void sirtReadsSlices() {
    const auto sirt = makeSirt(ComputeBackend::cpu, 24, 6);
    ParallelGeometry g = ParallelGeometry::make({0.0, 0.7, 1.4, 2.1}, 11.5, 24);
    ProjectionStack p(4, 6, 24);
    for (int k = 0; k < 4; ++k)
      for (int s = 0; s < 6; ++s)
        for (int j = 6; j < 18; ++j) p.at(k, s, j) = 1.0f + s;
    const std::vector<int> all{0, 1, 2, 3};
    sirt->iterate(g, p, all, 3);
    const VolumeStack x = sirt->estimate();
    const std::vector<int> which{5, 0, 3};
    const std::vector<float> images = sirt->slices(which);
    QCOMPARE(images.size(), std::size_t(3 * 24 * 24));
    for (std::size_t i = 0; i < which.size(); ++i) {
      const std::vector<float> expected = x.slice(which[i]);
      QVERIFY(std::equal(expected.begin(), expected.end(), images.begin() + i * 24 * 24));
    }
    QVERIFY(*std::max_element(images.begin(), images.end()) > 0.0f);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, sirt->slices(std::vector<int>{6}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, sirt->iterate(g, p, std::vector<int>{4}, 1));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, sirt->iterate(g, p, all, -1));
  }

  void cliBackendSwitch() {
    const QStringList demo{"demo", "--size", "32", "--slices", "2", "--window", "8",
                           "--rotations", "1", "--iterations", "1"};
    Run r = cli(demo + QStringList{"--backend", "opencl"});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("--backend: backend 'opencl' is not auto, cpu or cuda"),
             qPrintable(r.err));

    r = cli(demo + QStringList{"--backend", "cpu"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.startsWith("backend: CPU (chosen)\n"), qPrintable(r.out));
    QVERIFY2(r.out.contains("CPU Joseph"), qPrintable(r.out));

    // A plugin that is not there: auto falls back to the CPU and says why; cuda refuses.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TOMOLIVE_GPU_PLUGIN", "/nonexistent/libtomolive_gpu.so");
    r = cli(demo, env);
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.startsWith("backend: CPU (no GPU: no GPU plugin (looked for "
                              "/nonexistent/libtomolive_gpu.so))\n"),
             qPrintable(r.out));
    r = cli(demo + QStringList{"--backend", "cuda"}, env);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("CUDA backend requested but unavailable: no GPU plugin"),
             qPrintable(r.err));

    // Not a plugin at all: dlopen's own message is passed on.
    QTemporaryDir dir;
    const QString fake = dir.filePath("libtomolive_gpu.so");
    QFile file(fake);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("not an ELF file");
    file.close();
    env.insert("TOMOLIVE_GPU_PLUGIN", fake);
    r = cli(demo + QStringList{"--backend", "cuda"}, env);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("GPU plugin not loaded: " + fake), qPrintable(r.err));

    if (!gpuHere()) {
      r = cli(demo + QStringList{"--backend", "cuda"});
      QCOMPARE(r.exitCode, 1);
      QVERIFY2(r.err.contains("CUDA backend requested but unavailable: " +
                              QString::fromStdString(gpuUnavailableReason())),
               qPrintable(r.err));
    }
  }
};

QTEST_GUILESS_MAIN(TestBackend)
#include "test_backend.moc"
