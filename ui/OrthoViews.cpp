#include "OrthoViews.h"

#include <QGridLayout>
#include <QLabel>

#include <algorithm>
#include <cmath>

#include "SliceView.h"
#include "pipeline/StreamingSession.h"

namespace tomolive::ui {

namespace {

// The after cut: the reconstruction's, with the row of every slice the enhancer has done taken
// from the enhancement.
FloatImage enhancedCut(const Snapshot& s, FloatImage cut, int index, Cut through) {
  if (!s.enhanced) return cut;
  const int n = cut.width;
  for (int z = 0; z < cut.height; ++z) {
    const int i = s.enhancedIndex(z);
    if (i < 0 || i >= int(s.enhancedSlices.size()) || !s.enhancedSlices[std::size_t(i)]) continue;
    for (int a = 0; a < n; ++a)
      cut.pixels[std::size_t(z) * n + a] =
          through == Cut::Row ? s.enhanced->at(i, index, a) : s.enhanced->at(i, a, index);
  }
  return cut;
}

}  // namespace

OrthoViews::OrthoViews(QWidget* parent) : QWidget(parent) {
  auto* grid = new QGridLayout(this);
  grid->setContentsMargins(0, 0, 0, 0);
  grid->setSpacing(3);
  const char* names[3] = {"XY", "XZ", "YZ"};
  for (int p = 0; p < 3; ++p) {
    m_captions[std::size_t(p)] = new QLabel(this);
    m_captions[std::size_t(p)]->setObjectName(QString("ortho%1Caption").arg(names[p]));
    grid->addWidget(m_captions[std::size_t(p)], 0, p + 1);
    grid->setColumnStretch(p + 1, 1);
  }
  for (bool after : {false, true}) {
    auto* rowLabel = new QLabel(after ? tr("after") : tr("before"), this);
    rowLabel->setStyleSheet("QLabel { font-weight: bold; }");
    grid->addWidget(rowLabel, after ? 2 : 1, 0);
    grid->setRowStretch(after ? 2 : 1, 1);
    for (Plane plane : {Plane::XY, Plane::XZ, Plane::YZ}) {
      auto* view = new SliceView(this);
      view->setObjectName(
          QString("ortho%1%2").arg(names[int(plane)]).arg(after ? "After" : "Before"));
      view->setMinimumSize(120, 120);
      view->setPickingPoints(true);
      connect(view, &SliceView::pointPicked, this, [this, plane](ImagePoint p) {
        Crosshair c = m_crosshair;
        const int u = int(std::lround(p.x)), v = int(std::lround(p.y));
        if (plane == Plane::XY) c.x = u, c.y = v;
        if (plane == Plane::XZ) c.x = u, c.z = v;
        if (plane == Plane::YZ) c.y = u, c.z = v;
        setCrosshair(c);
        emit crosshairMovedByUser(m_crosshair);
      });
      m_views[std::size_t(index(plane, after))] = view;
      grid->addWidget(view, after ? 2 : 1, int(plane) + 1);
    }
  }
}

SliceView* OrthoViews::view(Plane plane, bool after) const {
  return m_views[std::size_t(index(plane, after))];
}

const FloatImage& OrthoViews::image(Plane plane, bool after) const {
  return m_images[std::size_t(index(plane, after))];
}

void OrthoViews::showSnapshot(std::shared_ptr<const Snapshot> snapshot, const FloatImage& beforeXY,
                              const FloatImage& afterXY) {
  if (!snapshot || !snapshot->volume) return;
  m_snapshot = std::move(snapshot);
  const int n = m_snapshot->volume->gridSize(), slices = m_snapshot->volume->slices();
  m_crosshair.x = std::clamp(m_crosshair.x, 0, n - 1);
  m_crosshair.y = std::clamp(m_crosshair.y, 0, n - 1);
  m_crosshair.z = std::clamp(m_crosshair.z, 0, slices - 1);
  m_stretch = std::max(1.0, std::floor(double(n) / (4.0 * slices)));
  m_images[std::size_t(index(Plane::XY, false))] = beforeXY;
  m_images[std::size_t(index(Plane::XY, true))] = afterXY;
  view(Plane::XY, false)->setImage(beforeXY);
  view(Plane::XY, true)->setImage(afterXY);
  showCuts();
}

void OrthoViews::setCrosshair(Crosshair c) {
  if (m_snapshot) {
    const int n = m_snapshot->volume->gridSize();
    c.x = std::clamp(c.x, 0, n - 1);
    c.y = std::clamp(c.y, 0, n - 1);
    c.z = std::clamp(c.z, 0, m_snapshot->volume->slices() - 1);
  }
  const bool cutsMoved = c.x != m_crosshair.x || c.y != m_crosshair.y;
  m_crosshair = c;
  if (cutsMoved && m_snapshot)
    showCuts();
  else
    drawCrosshair();
}

void OrthoViews::showCuts() {
  const Snapshot& s = *m_snapshot;
  const int slices = s.volume->slices();
  for (auto [plane, through, at] : {std::tuple{Plane::XZ, Cut::Row, m_crosshair.y},
                                    std::tuple{Plane::YZ, Cut::Column, m_crosshair.x}}) {
    FloatImage cut = verticalCut(*s.volume, at, through);
    m_images[std::size_t(index(plane, true))] = enhancedCut(s, cut, at, through);
    m_images[std::size_t(index(plane, false))] = std::move(cut);
    for (bool after : {false, true}) view(plane, after)->setImage(image(plane, after), m_stretch);
  }
  const QString rows = tr("%1 slices, rows ×%2").arg(slices).arg(m_stretch);
  m_captions[0]->setText(tr("XY: slice %1").arg(m_crosshair.z));
  m_captions[1]->setText(tr("XZ: image row %1 (%2)").arg(m_crosshair.y).arg(rows));
  m_captions[2]->setText(tr("YZ: image column %1 (%2)").arg(m_crosshair.x).arg(rows));
  drawCrosshair();
}

void OrthoViews::drawCrosshair() {
  const Crosshair& c = m_crosshair;
  m_captions[0]->setText(tr("XY: slice %1").arg(c.z));
  for (bool after : {false, true}) {
    view(Plane::XY, after)->setCrosshair(ImagePoint{double(c.x), double(c.y)});
    view(Plane::XZ, after)->setCrosshair(ImagePoint{double(c.x), double(c.z)});
    view(Plane::YZ, after)->setCrosshair(ImagePoint{double(c.y), double(c.z)});
  }
}

void OrthoViews::setWindowLevel(double window, double level) {
  for (SliceView* v : m_views) v->setWindowLevel(window, level);
}

void OrthoViews::setColormap(Colormap map) {
  for (SliceView* v : m_views) v->setColormap(map);
}

}  // namespace tomolive::ui
