#include "HistogramPanel.h"

#include <QChart>
#include <QChartView>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace tomolive::ui {

namespace {

// A step curve of the counts over [lo, hi): each bin a flat top, log10(1 + count) high so that a
// dominant background does not flatten the sample's peaks.
QList<QPointF> steps(const std::vector<int>& counts, double lo, double hi) {
  QList<QPointF> list;
  if (counts.empty()) return list;
  const double width = (hi - lo) / double(counts.size());
  list.reserve(qsizetype(2 * counts.size()));
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double y = std::log10(1.0 + counts[i]);
    list.append({lo + double(i) * width, y});
    list.append({lo + double(i + 1) * width, y});
  }
  return list;
}

}  // namespace

HistogramPanel::HistogramPanel(QWidget* parent)
    : QWidget(parent),
      m_chart(new QChart()),
      m_x(new QValueAxis(m_chart)),
      m_y(new QValueAxis(m_chart)),
      m_before(new QLineSeries(this)),
      m_after(new QLineSeries(this)),
      m_low(new QLineSeries(this)),
      m_high(new QLineSeries(this)) {
  m_before->setName(tr("before"));
  m_after->setName(tr("after"));
  m_low->setName(tr("window"));
  for (QLineSeries* edge : {m_low, m_high}) {
    QPen pen(QColor(200, 60, 60));
    pen.setStyle(Qt::DashLine);
    pen.setWidthF(1.5);
    edge->setPen(pen);
  }
  m_chart->setMargins(QMargins(2, 2, 2, 2));
  m_chart->legend()->setAlignment(Qt::AlignBottom);
  m_chart->addAxis(m_x, Qt::AlignBottom);
  m_chart->addAxis(m_y, Qt::AlignLeft);
  m_x->setTitleText(tr("value (window: dashed)"));
  m_y->setTitleText(tr("log₁₀(1 + pixels)"));
  for (QLineSeries* s : {m_before, m_after, m_low, m_high}) {
    m_chart->addSeries(s);
    s->attachAxis(m_x);
    s->attachAxis(m_y);
  }
  m_chart->legend()->markers(m_high).first()->setVisible(false);
  auto* view = new QChartView(m_chart, this);
  view->setRenderHint(QPainter::Antialiasing);
  view->setMinimumSize(220, 160);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(view, 1);
  m_redraw.setSingleShot(true);
  m_redraw.setInterval(kRedrawMs);
  connect(&m_redraw, &QTimer::timeout, this, &HistogramPanel::redraw);
}

void HistogramPanel::showImages(const FloatImage& before, const FloatImage& after) {
  m_beforeImage = before;
  m_afterImage = after;
  if (!m_redraw.isActive()) m_redraw.start();
}

void HistogramPanel::setWindowLevel(double window, double level) {
  m_window = window, m_level = level;
  if (!m_redraw.isActive()) m_redraw.start();
}

std::pair<double, double> HistogramPanel::windowEdges() const {
  return {m_level - 0.5 * m_window, m_level + 0.5 * m_window};
}

void HistogramPanel::flush() {
  if (!m_redraw.isActive()) return;
  m_redraw.stop();
  redraw();
}

void HistogramPanel::redraw() {
  const auto [low, high] = windowEdges();
  double lo = low, hi = high;
  for (const FloatImage* image : {&m_beforeImage, &m_afterImage}) {
    if (image->empty()) continue;
    const auto [a, b] = robustRange(image->pixels, 0.001, 0.999);
    lo = std::min(lo, a), hi = std::max(hi, b);
  }
  const double pad = 0.02 * (hi - lo);
  m_range = {lo - pad, hi + pad};
  m_beforeCounts = histogram(m_beforeImage.pixels, m_range.first, m_range.second, kBins);
  m_afterCounts = histogram(m_afterImage.pixels, m_range.first, m_range.second, kBins);
  m_before->replace(steps(m_beforeCounts, m_range.first, m_range.second));
  m_after->replace(steps(m_afterCounts, m_range.first, m_range.second));
  m_after->setVisible(!m_afterImage.empty());
  double top = 1.0;
  for (const auto* counts : {&m_beforeCounts, &m_afterCounts})
    for (int c : *counts) top = std::max(top, std::log10(1.0 + c));
  m_low->replace(QList<QPointF>{{low, 0.0}, {low, top}});
  m_high->replace(QList<QPointF>{{high, 0.0}, {high, top}});
  m_x->setRange(m_range.first, m_range.second);
  m_y->setRange(0.0, 1.05 * top);
}

}  // namespace tomolive::ui
