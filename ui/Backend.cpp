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

QString enhancerModelPath(const QString& modelPath, const QString& method) {
  if (modelPath == "none") return {};
  return modelPath.isEmpty() ? QString::fromStdString(defaultModelPath(method.toStdString()))
                             : modelPath;
}

EnhancerChoice loadEnhancer(const QString& modelPath, ComputeBackend backend,
                            const QString& method) {
  if (modelPath == "none") return {nullptr, QObject::tr("no enhancer (switched off)"), {}};
  const QString path = enhancerModelPath(modelPath, method);
  if (path.isEmpty())
    return {nullptr,
            QObject::tr("no enhancer: no TomoGAN model file (resources/models/tomogan.h5)"),
            {}};
  try {
    TomoGanChoice choice = makeTomoGanWithFallback(backend, TomoGanModel::load(path.toStdString()));
    const QString name = QString::fromStdString(choice.denoiser->name());
    if (choice.fallback.empty()) return {std::move(choice.denoiser), name, path};
    return {std::move(choice.denoiser),
            QObject::tr("%1 — %2").arg(name, QString::fromStdString(choice.fallback)), path};
  } catch (const std::exception& e) {
    return {nullptr, QObject::tr("no enhancer: %1").arg(QString::fromStdString(e.what())), path};
  }
}

}  // namespace tomolive::ui
