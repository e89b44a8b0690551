#pragma once
// Live charts of the session's metrics against elapsed time: refresh and work time per update,
// sustained rate, projections received vs consumed and the lag, SSIM against the ground truth
// when the source has one, and the live quality without one: FRC resolution and the image's
// change per update.
#include <QWidget>

namespace tomolive {
struct UpdateMetrics;
}

class QChart;
class QLineSeries;
class QValueAxis;

namespace tomolive::ui {

class RateCharts : public QWidget {
  Q_OBJECT

 public:
  explicit RateCharts(QWidget* parent = nullptr);

  void addMetrics(const UpdateMetrics& metrics);
  void clear();
  /// Points in the refresh-time series (one per update), for tests.
  int updates() const;
  /// Points in the resolution series (updates with a resolution), for tests.
  int resolutionPoints() const;

 private:
  struct Plot {
    QChart* chart = nullptr;
    QValueAxis* x = nullptr;
    QValueAxis* y = nullptr;
  };
  Plot makePlot(const QString& title, const QString& unit, const QList<QLineSeries*>& series);
  static void grow(Plot& plot, double x, double y);

  Plot m_refresh, m_rate, m_projections, m_ssim, m_resolution, m_change;
  QLineSeries *m_refreshSeries, *m_workSeries, *m_rateSeries, *m_receivedSeries, *m_consumedSeries,
      *m_lagSeries, *m_ssimSeries, *m_resolutionSeries, *m_changeSeries;
};

}  // namespace tomolive::ui
