#pragma once
// The line profile dock: the before and after values along the line drawn on the slice views
// (LineProfile.h) on one chart, the width of the band they average across, and the ruler: the
// line's length in physical units — from the pixel size the source's file states, else the one
// set here, else in pixels. Redraws are coalesced: at most one per kRedrawMs, the latest wins.
#include <QTimer>
#include <QWidget>

#include <optional>

#include "LineProfile.h"

class QChart;
class QDoubleSpinBox;
class QLabel;
class QLineSeries;
class QSettings;
class QSpinBox;
class QToolButton;
class QValueAxis;

namespace tomolive::ui {

class ProfilePanel : public QWidget {
  Q_OBJECT

 public:
  explicit ProfilePanel(QWidget* parent = nullptr);
  static constexpr int kRedrawMs = 40;

  /// Whether left clicks on the slice views pick the line's ends.
  bool drawing() const;
  void setDrawing(bool drawing);
  int bandPixels() const;
  /// The pixel size the source's file states; nullopt: it states none.
  void setSourcePixelSize(std::optional<double> micrometres);
  /// The user's pixel size (0: unknown), used when the source states none.
  void setPixelSize(double micrometres);
  /// The pixel size in force: the source's, else the user's; nullopt when neither is known.
  std::optional<double> pixelSizeMicrometres() const;

  /// Charts the profiles along a line of `lengthPixels`.
  void showProfiles(Profile before, Profile after, double lengthPixels);
  void clear();

  void saveSettings(QSettings& settings) const;
  void restoreSettings(const QSettings& settings);

 signals:
  void drawingToggled(bool drawing);
  void bandPixelsChanged(int pixels);

 private:
  void redraw();
  void showRuler();

  QToolButton* m_draw;
  QSpinBox* m_band;
  QDoubleSpinBox* m_pixelSize;
  QLabel *m_pixelSizeSource, *m_ruler;
  QChart* m_chart;
  QValueAxis *m_x, *m_y;
  QLineSeries *m_before, *m_after;
  std::optional<double> m_sourcePixelSize;
  Profile m_beforeProfile, m_afterProfile;
  std::optional<double> m_lengthPixels;
  QTimer m_redraw;
};

}  // namespace tomolive::ui
