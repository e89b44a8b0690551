#include "Export.h"

#include <QPainter>

#include "io/DataExchange.h"
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

void exportReconstruction(const Snapshot& snapshot, const QString& path, const QString& source) {
  const UpdateMetrics& m = snapshot.metrics;
  Reconstruction r;
  r.volume = snapshot.volume->toSliceMajor();
  r.slices = snapshot.volume->slices();
  r.size = snapshot.volume->gridSize();
  r.attributes = {{"algorithm", std::string("streaming SIRT (windowed, warm start)")},
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
  if (m.ssim) r.attributes["ssim"] = *m.ssim;
  if (m.psnr) r.attributes["psnr"] = *m.psnr;
  writeReconstruction(path.toStdString(), r);
  if (!snapshot.enhanced) return;
  Reconstruction e = r;
  e.volume = snapshot.enhanced->toSliceMajor();
  e.slices = snapshot.enhanced->slices();
  e.attributes["update"] = std::int64_t(m.update);
  if (snapshot.viewVolume)  // only the slices read back this update: which they are
    e.attributes["slice_numbers"] =
        std::vector<double>(snapshot.viewSlices.begin(), snapshot.viewSlices.end());
  e.attributes["algorithm"] = std::string("TomoGAN enhancement of streaming SIRT");
  e.attributes["enhanced_slices"] =
      std::vector<double>(snapshot.enhancedSlices.begin(), snapshot.enhancedSlices.end());
  writeReconstruction(path.toStdString(), e, "/exchange/recon_enhanced");
}

}  // namespace tomolive::ui
