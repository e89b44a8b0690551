#include "Backend.h"

#include <QFile>
#include <QRegularExpression>

#include <exception>
#include <thread>

#include "nn/ModelLocation.h"

namespace tomolive::ui {

QString cpuDescription() {
  QString model = QObject::tr("unknown CPU");
  QFile cpuinfo("/proc/cpuinfo");
  if (cpuinfo.open(QIODevice::ReadOnly | QIODevice::Text)) {
    const QString text = QString::fromUtf8(cpuinfo.readAll());
    const auto match =
        QRegularExpression("^model name\\s*:\\s*(.+)$", QRegularExpression::MultilineOption)
            .match(text);
    if (match.hasMatch()) model = match.captured(1).simplified();
  }
  return QObject::tr("%1 (%2 threads)").arg(model).arg(std::thread::hardware_concurrency());
}

EnhancerChoice loadEnhancer(const QString& modelPath, ComputeBackend backend) {
  if (modelPath == "none") return {nullptr, QObject::tr("no enhancer (switched off)")};
  const std::string path = modelPath.isEmpty() ? defaultModelPath() : modelPath.toStdString();
  if (path.empty())
    return {nullptr,
            QObject::tr("no enhancer: no TomoGAN model file (resources/models/tomogan.h5)")};
  try {
    TomoGanModel model = TomoGanModel::load(path);
    if (backend == ComputeBackend::cuda) {
      // A GPU that reconstructs but cannot run cuDNN still leaves the CPU to enhance.
      try {
        auto denoiser = makeTomoGan(backend, model);
        return {denoiser, QString::fromStdString(denoiser->name())};
      } catch (const std::runtime_error& e) {
        auto denoiser = makeTomoGan(ComputeBackend::cpu, std::move(model));
        return {denoiser, QObject::tr("%1 — cuDNN failed: %2")
                              .arg(QString::fromStdString(denoiser->name()),
                                   QString::fromStdString(e.what()))};
      }
    }
    auto denoiser = makeTomoGan(backend, std::move(model));
    const QString name = QString::fromStdString(denoiser->name());
    return {std::move(denoiser), name};
  } catch (const std::exception& e) {
    return {nullptr, QObject::tr("no enhancer: %1").arg(QString::fromStdString(e.what()))};
  }
}

}  // namespace tomolive::ui
