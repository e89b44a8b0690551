#pragma once
// The histogram dock: the distribution of the slice in view, before and after, with the range
// the window/level maps to grey (level ± window/2) marked, so the scientist sees what the grey
// scale clips. The range shown spans both images' 0.1–99.9 % values and the window. Redraws are
// coalesced like the line profile's: at most one per kRedrawMs, the latest images win.
#include <QTimer>
#include <QWidget>

#include <utility>
#include <vector>

#include "SliceImages.h"

class QChart;
class QLineSeries;
class QValueAxis;

namespace tomolive::ui {

class HistogramPanel : public QWidget {
  Q_OBJECT

 public:
  explicit HistogramPanel(QWidget* parent = nullptr);
  static constexpr int kRedrawMs = 40;
  static constexpr int kBins = 128;

  /// The slice in view and what the after view shows of it (empty: the after curve is hidden).
  void showImages(const FloatImage& before, const FloatImage& after);
  void setWindowLevel(double window, double level);

  /// What the chart shows after its latest redraw: the bins' range, the counts per image and the
  /// window's edges.
  std::pair<double, double> binRange() const { return m_range; }
  const std::vector<int>& beforeCounts() const { return m_beforeCounts; }
  const std::vector<int>& afterCounts() const { return m_afterCounts; }
  std::pair<double, double> windowEdges() const;
  /// Redraws now if a redraw is due (tests; otherwise the timer does it).
  void flush();

 private:
  void redraw();

  QChart* m_chart;
  QValueAxis *m_x, *m_y;
  QLineSeries *m_before, *m_after, *m_low, *m_high;
  FloatImage m_beforeImage, m_afterImage;
  double m_window = 1.0, m_level = 0.5;
  std::pair<double, double> m_range{0.0, 1.0};
  std::vector<int> m_beforeCounts, m_afterCounts;
  QTimer m_redraw;
};

}  // namespace tomolive::ui
