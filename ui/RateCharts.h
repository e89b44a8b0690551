#pragma once
// Live charts of the session's metrics against elapsed time: refresh and work time per update,
// sustained rate, projections received vs consumed and the lag, SSIM against the ground truth
// when the source has one, and the live quality without one: FRC resolution and the image's
// change per update.
#include <QTimer>
#include <QWidget>

#include <map>

#include "pipeline/StreamingSession.h"

class QChart;
class QLineSeries;
class QValueAxis;

namespace tomolive::ui {

class RateCharts : public QWidget {
  Q_OBJECT

 public:
  explicit RateCharts(QWidget* parent = nullptr);

  /// Charts an update's metrics. The points wait, and one chart is redrawn per kRedrawMs tick in
  /// turn: a chart redrawn costs the GUI thread tens of ms, updates can come at 50 per second,
  /// and all six at once would stall the views.
  void addMetrics(const UpdateMetrics& metrics);
  static constexpr int kRedrawMs = 40;
  void clear();
  /// Points in the refresh-time series (one per update; those waiting to be drawn included), for
  /// tests.
  int updates() const;
  /// Points in the resolution series (updates with a resolution), likewise.
  int resolutionPoints() const;
  /// The SSIM chart's title as drawn: its last value, or that the source has no ground truth.
  QString ssimTitle() const;

 private:
  struct Plot {
    QChart* chart = nullptr;
    QValueAxis* x = nullptr;
    QValueAxis* y = nullptr;
    QList<QLineSeries*> series;
    double maxX = 0.0, maxY = 0.0;  ///< of the points waiting
    QString title;                  ///< to set at the next redraw ("" : keep)
    bool waiting = false;
  };
  Plot makePlot(const QString& title, const QString& unit, const QList<QLineSeries*>& series);
  static void grow(Plot& plot, double x, double y);
  void wait(Plot& plot, QLineSeries* series, double x, double y);
  void drawNext();  ///< redraws the next chart with points waiting
  QList<Plot*> plots();

  Plot m_refresh, m_rate, m_projections, m_ssim, m_resolution, m_change;
  QLineSeries *m_refreshSeries, *m_workSeries, *m_rateSeries, *m_receivedSeries, *m_consumedSeries,
      *m_lagSeries, *m_ssimSeries, *m_resolutionSeries, *m_changeSeries, *m_structuralChangeSeries;
  std::map<QLineSeries*, QList<QPointF>> m_waiting;
  int m_next = 0;  ///< the plot drawNext() looks at first
  QTimer m_redraw;
};

}  // namespace tomolive::ui
