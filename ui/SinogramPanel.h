#pragma once
// The sinogram dock: the received projections of the slice in view, one row per projection
// sorted by angle (0° at the top), with the rotation centre in force drawn as a vertical line.
// Pressing on the sinogram and dragging moves the line; releasing asks for that column as the
// centre (centreRequested: the console sets it by hand, the session applies it from the next
// update, and the next image shows the result). The rows are the session's own
// (Snapshot::viewSinogram): every received projection up to 720, spread evenly beyond.
#include <QWidget>

#include <memory>
#include <optional>

#include "Colormaps.h"
#include "SliceImages.h"

class QLabel;

namespace tomolive {
struct SliceSinogram;
}

namespace tomolive::ui {

class SliceView;

class SinogramPanel : public QWidget {
  Q_OBJECT

 public:
  explicit SinogramPanel(QWidget* parent = nullptr);

  /// Shows the sinogram of `slice` (null: cleared) whose column 0 is detector column
  /// `firstColumn` (a region of interest's); centreRequested is in detector columns.
  void showSinogram(std::shared_ptr<const SliceSinogram> sinogram, int slice, int firstColumn = 0);
  SliceView* view() const { return m_view; }
  /// The image shown: rows sorted by angle, and each row's angle in degrees.
  const FloatImage& image() const { return m_image; }
  const std::vector<double>& rowAnglesDegrees() const { return m_angles; }
  /// The detector column the line marks: the centre in force, or where it is being dragged to.
  std::optional<double> markedCentre() const {
    return m_marked ? std::optional<double>(*m_marked + m_firstColumn) : std::nullopt;
  }
  void setColormap(Colormap map);

 signals:
  void centreRequested(double column);

 private:
  void markCentre(double column);

  SliceView* m_view;
  QLabel* m_caption;
  FloatImage m_image;
  std::vector<double> m_angles;
  std::optional<double> m_marked;  ///< in the sinogram's columns
  int m_firstColumn = 0;
  bool m_dragging = false;
};

}  // namespace tomolive::ui
