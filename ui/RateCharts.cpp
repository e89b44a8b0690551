#include "RateCharts.h"

#include <QChart>
#include <QChartView>
#include <QGridLayout>
#include <QLineSeries>
#include <QValueAxis>

#include <algorithm>
#include <map>

#include "pipeline/StreamingSession.h"

namespace tomolive::ui {

namespace {

QLineSeries* series(const QString& name, QObject* parent) {
  auto* s = new QLineSeries(parent);
  s->setName(name);
  return s;
}

constexpr int kMaxPoints = 2000;  // per series: older points scroll out

void append(QLineSeries* s, const QList<QPointF>& points) {
  const int over = int(s->count() + points.size()) - kMaxPoints;
  if (over > 0) s->removePoints(0, std::min(over, int(s->count())));
  s->append(points.size() > kMaxPoints ? points.mid(points.size() - kMaxPoints) : points);
}

}  // namespace

RateCharts::RateCharts(QWidget* parent)
    : QWidget(parent),
      m_refreshSeries(series(tr("refresh"), this)),
      m_workSeries(series(tr("work"), this)),
      m_rateSeries(series(tr("sustained"), this)),
      m_receivedSeries(series(tr("received"), this)),
      m_consumedSeries(series(tr("consumed"), this)),
      m_lagSeries(series(tr("lag"), this)),
      m_ssimSeries(series(tr("SSIM"), this)),
      m_resolutionSeries(series(tr("resolution"), this)),
      m_changeSeries(series(tr("change"), this)),
      m_structuralChangeSeries(series(tr("1 − SSIM"), this)) {
  m_redraw.setInterval(kRedrawMs);
  connect(&m_redraw, &QTimer::timeout, this, &RateCharts::drawNext);
  auto* grid = new QGridLayout(this);
  grid->setContentsMargins(0, 0, 0, 0);
  grid->setSpacing(2);
  m_refresh = makePlot(tr("Refresh time per update"), tr("s"), {m_refreshSeries, m_workSeries});
  m_rate = makePlot(tr("Sustained rate"), tr("projections/s"), {m_rateSeries});
  m_projections =
      makePlot(tr("Projections"), tr("count"), {m_receivedSeries, m_consumedSeries, m_lagSeries});
  m_ssim = makePlot(tr("SSIM vs ground truth"), "", {m_ssimSeries});
  m_ssim.y->setRange(0.0, 1.0);
  m_resolution = makePlot(tr("FRC resolution"), tr("px"), {m_resolutionSeries});
  m_change = makePlot(tr("Change per update"), tr("%"), {m_changeSeries, m_structuralChangeSeries});
  const Plot* plots[] = {&m_refresh, &m_rate, &m_projections, &m_ssim, &m_resolution, &m_change};
  for (int i = 0; i < 6; ++i) {
    auto* view = new QChartView(plots[i]->chart, this);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(200, 150);
    grid->addWidget(view, i / 2, i % 2);
  }
}

RateCharts::Plot RateCharts::makePlot(const QString& title, const QString& unit,
                                      const QList<QLineSeries*>& list) {
  Plot p;
  p.chart = new QChart();
  p.chart->setTitle(title);
  p.chart->setMargins(QMargins(2, 2, 2, 2));
  p.chart->legend()->setVisible(list.size() > 1);
  p.chart->legend()->setAlignment(Qt::AlignBottom);
  p.x = new QValueAxis(p.chart);
  p.x->setTitleText(tr("elapsed (s)"));
  p.x->setRange(0.0, 10.0);
  p.x->setLabelFormat("%.0f");
  p.y = new QValueAxis(p.chart);
  p.y->setTitleText(unit);
  p.y->setRange(0.0, 1.0);
  p.series = list;
  p.chart->addAxis(p.x, Qt::AlignBottom);
  p.chart->addAxis(p.y, Qt::AlignLeft);
  for (QLineSeries* s : list) {
    p.chart->addSeries(s);
    s->attachAxis(p.x);
    s->attachAxis(p.y);
  }
  return p;
}

void RateCharts::grow(Plot& plot, double x, double y) {
  if (x > plot.x->max()) plot.x->setMax(x * 1.25);
  if (y > plot.y->max()) {
    plot.y->setRange(0.0, y * 1.25);
    plot.y->applyNiceNumbers();
  }
}

QList<RateCharts::Plot*> RateCharts::plots() {
  return {&m_refresh, &m_rate, &m_projections, &m_ssim, &m_resolution, &m_change};
}

void RateCharts::wait(Plot& plot, QLineSeries* series, double x, double y) {
  m_waiting[series].append({x, y});
  plot.maxX = plot.waiting ? std::max(plot.maxX, x) : x;
  plot.maxY = plot.waiting ? std::max(plot.maxY, y) : y;
  plot.waiting = true;
}

void RateCharts::addMetrics(const UpdateMetrics& m) {
  const double t = m.elapsedSeconds;
  wait(m_refresh, m_refreshSeries, t, m.refreshSeconds);
  wait(m_refresh, m_workSeries, t, m.workSeconds);
  wait(m_rate, m_rateSeries, t, m.sustainedPps);
  wait(m_projections, m_receivedSeries, t, double(m.received));
  wait(m_projections, m_consumedSeries, t, double(m.consumed));
  wait(m_projections, m_lagSeries, t, double(m.lag));
  if (m.ssim) {
    wait(m_ssim, m_ssimSeries, t, *m.ssim);
    m_ssim.title = tr("SSIM vs ground truth: %1").arg(*m.ssim, 0, 'f', 3);
  } else if (m_ssimSeries->count() == 0 && !m_ssim.waiting) {
    // A real scan or a detector: no truth to score against; the chart says so rather than
    // staying blank (set once: a chart's new title costs a redraw).
    const QString none = tr("SSIM vs ground truth: none");
    if (m_ssim.chart->title() != none) m_ssim.chart->setTitle(none);
  }
  if (m.resolutionPixels) {
    wait(m_resolution, m_resolutionSeries, t, *m.resolutionPixels);
    m_resolution.title = tr("FRC resolution: %1 px").arg(*m.resolutionPixels, 0, 'f', 1);
  }
  if (m.change) wait(m_change, m_changeSeries, t, 100.0 * *m.change);
  if (m.structuralChange) wait(m_change, m_structuralChangeSeries, t, 100.0 * *m.structuralChange);
  if (!m_redraw.isActive()) m_redraw.start();
}

void RateCharts::drawNext() {
  const QList<Plot*> all = plots();
  for (int k = 0; k < all.size(); ++k) {
    Plot& p = *all[(m_next + k) % all.size()];
    if (!p.waiting) continue;
    for (QLineSeries* s : p.series) {
      const auto points = m_waiting.find(s);
      if (points == m_waiting.end()) continue;
      append(s, points->second);
      m_waiting.erase(points);
    }
    grow(p, p.maxX, p.maxY);
    if (!p.title.isEmpty()) p.chart->setTitle(p.title);
    p.title.clear();
    p.waiting = false;
    m_next = int((m_next + k + 1) % all.size());
    return;
  }
  m_redraw.stop();  // nothing waits
}

void RateCharts::clear() {
  m_waiting.clear();
  for (Plot* p : plots()) p->waiting = false, p->title.clear();
  for (QLineSeries* s :
       {m_refreshSeries, m_workSeries, m_rateSeries, m_receivedSeries, m_consumedSeries,
        m_lagSeries, m_ssimSeries, m_resolutionSeries, m_changeSeries, m_structuralChangeSeries})
    s->clear();
  for (Plot* p : {&m_refresh, &m_rate, &m_projections, &m_ssim, &m_resolution, &m_change}) {
    p->x->setRange(0.0, 10.0);
    if (p != &m_ssim) p->y->setRange(0.0, 1.0);
  }
  m_ssim.chart->setTitle(tr("SSIM vs ground truth"));
  m_resolution.chart->setTitle(tr("FRC resolution"));
}

QString RateCharts::ssimTitle() const { return m_ssim.chart->title(); }

int RateCharts::updates() const {
  const auto waiting = m_waiting.find(m_refreshSeries);
  return int(m_refreshSeries->count() + (waiting == m_waiting.end() ? 0 : waiting->second.size()));
}

int RateCharts::resolutionPoints() const {
  const auto waiting = m_waiting.find(m_resolutionSeries);
  return int(m_resolutionSeries->count() +
             (waiting == m_waiting.end() ? 0 : waiting->second.size()));
}

}  // namespace tomolive::ui
