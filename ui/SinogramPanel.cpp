#include "SinogramPanel.h"

#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "LineProfile.h"
#include "SliceView.h"
#include "nn/EnhancementGuard.h"

namespace tomolive::ui {

SinogramPanel::SinogramPanel(QWidget* parent)
    : QWidget(parent), m_view(new SliceView(this)), m_caption(new QLabel(this)) {
  m_view->setObjectName("sinogramView");
  m_view->setPickingPoints(true);
  m_view->setMinimumSize(220, 160);
  m_caption->setObjectName("sinogramCaption");
  m_caption->setWordWrap(true);
  m_caption->setText(tr("sinogram of the slice in view: waiting for the first update"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(m_caption);
  layout->addWidget(m_view, 1);
  connect(m_view, &SliceView::pointPicked, this, [this](ImagePoint p) {
    m_dragging = true;
    markCentre(p.x);
  });
  connect(m_view, &SliceView::pickDragged, this, [this](ImagePoint p) { markCentre(p.x); });
  connect(m_view, &SliceView::pickReleased, this, [this] {
    if (!m_dragging || !m_marked) return;
    m_dragging = false;
    emit centreRequested(*m_marked + m_firstColumn);
  });
}

void SinogramPanel::markCentre(double column) {
  m_marked = column;
  if (m_image.empty()) return;
  m_view->setMarkedLine(ProfileLine{{column, -0.5}, {column, m_image.height - 0.5}}, 1);
}

void SinogramPanel::showSinogram(std::shared_ptr<const SliceSinogram> sinogram, int slice,
                                 int firstColumn) {
  m_firstColumn = firstColumn;
  if (!sinogram || sinogram->anglesRad.empty() || sinogram->columns < 1) {
    m_image = {};
    m_angles.clear();
    m_view->clearImage();
    return;
  }
  const SliceSinogram& s = *sinogram;
  const int rows = int(s.anglesRad.size()), columns = s.columns;
  // Sorted by angle in [0°, 360°): the acquisition order (interlaced, golden) does not matter.
  const auto folded = [](double a) {
    const double full = 2.0 * std::numbers::pi;
    return std::fmod(std::fmod(a, full) + full, full);
  };
  std::vector<int> order(std::size_t(rows), 0);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return folded(s.anglesRad[std::size_t(a)]) < folded(s.anglesRad[std::size_t(b)]);
  });
  m_image = {std::vector<float>(std::size_t(rows) * columns), columns, rows};
  m_angles.resize(std::size_t(rows));
  for (int r = 0; r < rows; ++r) {
    const int k = order[std::size_t(r)];
    std::copy_n(s.lineIntegrals.begin() + std::ptrdiff_t(std::size_t(k) * columns), columns,
                m_image.pixels.begin() + std::ptrdiff_t(std::size_t(r) * columns));
    m_angles[std::size_t(r)] = folded(s.anglesRad[std::size_t(k)]) * 180.0 / std::numbers::pi;
  }
  const auto [lo, hi] = robustRange(m_image.pixels, 0.01, 0.99);
  m_view->setWindowLevel(hi - lo, 0.5 * (hi + lo));
  // Few projections next to many columns: stretch the rows so the traces stay legible.
  m_view->setImage(m_image, std::max(1.0, std::floor(0.5 * columns / rows)));
  if (!m_dragging) m_marked = s.centre;
  markCentre(*m_marked);
  m_caption->setText(tr("slice %1: %2 received projections sorted by angle (%3°–%4°); line: "
                        "centre %5 — drag it to set the centre by hand")
                         .arg(slice)
                         .arg(rows)
                         .arg(m_angles.front(), 0, 'f', 1)
                         .arg(m_angles.back(), 0, 'f', 1)
                         .arg(s.centre + firstColumn, 0, 'f', 2));
}

void SinogramPanel::setColormap(Colormap map) { m_view->setColormap(map); }

}  // namespace tomolive::ui
