#include "Export.h"

#include <QPainter>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <map>
#include <variant>

#include "io/DataExchange.h"
#include "io/TiffStack.h"
#include "pipeline/StreamingSession.h"

namespace tomolive::ui {

QImage sideBySide(const QImage& before, const QImage& after, const QString& beforeTitle,
                  const QString& afterTitle) {
  constexpr int kTitle = 28, kGap = 8;
  const int height = std::max(before.height(), after.height());
  QImage pair(before.width() + kGap + after.width(), height + kTitle, QImage::Format_RGB32);
  pair.fill(QColor(24, 24, 28));
  QPainter painter(&pair);
  painter.setPen(Qt::white);
  painter.drawText(QRect(0, 0, before.width(), kTitle), Qt::AlignCenter, beforeTitle);
  painter.drawText(QRect(before.width() + kGap, 0, after.width(), kTitle), Qt::AlignCenter,
                   afterTitle);
  painter.drawImage(0, kTitle, before);
  painter.drawImage(before.width() + kGap, kTitle, after);
  return pair;
}

namespace {

// The update's parameters, stored with every exported volume.
std::map<std::string, Attribute> parameters(const Snapshot& snapshot, const QString& source) {
  const UpdateMetrics& m = snapshot.metrics;
  std::map<std::string, Attribute> a = {
      {"algorithm", "live reconstruction, method " + m.method},
                  {"source", source.toStdString()},
                  {"first_row", std::int64_t(snapshot.firstRow)},
                  // Large volumes are read back whole only every few updates: the volume's own.
                  {"update", std::int64_t(snapshot.viewVolume ? snapshot.volumeUpdate : m.update)},
                  {"window", std::int64_t(m.window)},
                  {"iterations", std::int64_t(m.iterations)},
                  {"center", m.centre},
                  {"projections_received", m.received},
                  {"projections_consumed", m.consumed},
                  {"elapsed_seconds", m.elapsedSeconds},
                  {"units", std::string("attenuation per pixel")}};
  if (m.ssim) a["ssim"] = *m.ssim;
  if (m.psnr) a["psnr"] = *m.psnr;
  return a;
}

// The parameters as a JSON object (a TIFF page's description).
std::string json(const std::map<std::string, Attribute>& attributes) {
  QJsonObject o;
  for (const auto& [name, value] : attributes)
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string>)
            o[QString::fromStdString(name)] = QString::fromStdString(v);
          else if constexpr (std::is_same_v<V, std::vector<double>>)
            o[QString::fromStdString(name)] = QJsonArray::fromVariantList(
                QVariantList(v.begin(), v.end()));
          else
            o[QString::fromStdString(name)] = double(v);
        },
        value);
  return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

}  // namespace

void exportReconstruction(const Snapshot& snapshot, const QString& path, const QString& source) {
  const UpdateMetrics& m = snapshot.metrics;
  Reconstruction r;
  r.volume = snapshot.volume->toSliceMajor();
  r.slices = snapshot.volume->slices();
  r.size = snapshot.volume->gridSize();
  r.attributes = parameters(snapshot, source);
  writeReconstruction(path.toStdString(), r);
  if (!snapshot.enhanced) return;
  Reconstruction e = r;
  e.volume = snapshot.enhanced->toSliceMajor();
  e.slices = snapshot.enhanced->slices();
  e.attributes["update"] = std::int64_t(m.update);
  if (snapshot.viewVolume)  // only the slices read back this update: which they are
    e.attributes["slice_numbers"] =
        std::vector<double>(snapshot.viewSlices.begin(), snapshot.viewSlices.end());
  e.attributes["algorithm"] = "TomoGAN enhancement of the live reconstruction, method " + m.method;
  e.attributes["enhanced_slices"] =
      std::vector<double>(snapshot.enhancedSlices.begin(), snapshot.enhancedSlices.end());
  writeReconstruction(path.toStdString(), e, "/exchange/recon_enhanced");
}

QString enhancedTiffPath(const QString& path) {
  const int dot = path.lastIndexOf('.');
  const int slash = path.lastIndexOf('/');
  return dot > slash + 1 ? path.left(dot) + "_enhanced" + path.mid(dot) : path + "_enhanced";
}

bool exportTiffStacks(const Snapshot& snapshot, const QString& path, const QString& source) {
  std::map<std::string, Attribute> a = parameters(snapshot, source);
  const VolumeStack& v = *snapshot.volume;
  writeTiffStack(path.toStdString(), v.toSliceMajor(), v.slices(), v.gridSize(), v.gridSize(),
                 json(a));
  if (!snapshot.enhanced) return false;
  const VolumeStack& e = *snapshot.enhanced;
  a["algorithm"] = "TomoGAN enhancement of the live reconstruction, method " + snapshot.metrics.method;
  a["enhanced_slices"] =
      std::vector<double>(snapshot.enhancedSlices.begin(), snapshot.enhancedSlices.end());
  if (snapshot.viewVolume)
    a["slice_numbers"] = std::vector<double>(snapshot.viewSlices.begin(), snapshot.viewSlices.end());
  writeTiffStack(enhancedTiffPath(path).toStdString(), e.toSliceMajor(), e.slices(), e.gridSize(),
                 e.gridSize(), json(a));
  return true;
}

}  // namespace tomolive::ui
