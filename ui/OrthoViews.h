#pragma once
// The orthogonal layout: the live volume in three linked planes through one point, the
// crosshair — XY (the slice in view), XZ (the vertical cut through the crosshair's image row) and
// YZ (through its image column) —, before (the reconstruction) on the top row and after (what
// the after view shows: the enhancement where the enhancer has done a slice, else the
// reconstruction) below. Each view draws the crosshair; a click on any of them moves it there,
// in the two coordinates that view shows (crosshairMovedByUser; the main window links the
// crosshair's z to the slice in view). Window/level and colour map are the main window's.
#include <QWidget>

#include <array>
#include <memory>

#include "Colormaps.h"
#include "SliceImages.h"

class QLabel;

namespace tomolive {
struct Snapshot;
}

namespace tomolive::ui {

class SliceView;

class OrthoViews : public QWidget {
  Q_OBJECT

 public:
  enum class Plane { XY, XZ, YZ };
  /// Image column x, image row y, slice z.
  struct Crosshair {
    int x = 0, y = 0, z = 0;
    bool operator==(const Crosshair&) const = default;
  };

  explicit OrthoViews(QWidget* parent = nullptr);

  /// Shows a snapshot: `beforeXY` and `afterXY` are the slice in view (crosshair z) as the main
  /// views show it; the cuts are made here from the snapshot's volumes.
  void showSnapshot(std::shared_ptr<const Snapshot> snapshot, const FloatImage& beforeXY,
                    const FloatImage& afterXY);
  /// Moves the crosshair (clamped to the volume) and redraws the cuts it changed.
  void setCrosshair(Crosshair c);
  Crosshair crosshair() const { return m_crosshair; }
  void setWindowLevel(double window, double level);
  void setColormap(Colormap map);

  SliceView* view(Plane plane, bool after) const;
  /// What a view shows (row 0 at the top; the cuts have one row per slice).
  const FloatImage& image(Plane plane, bool after) const;

 signals:
  void crosshairMovedByUser(tomolive::ui::OrthoViews::Crosshair crosshair);

 private:
  void showCuts();
  void drawCrosshair();
  static int index(Plane plane, bool after) { return int(plane) + (after ? 3 : 0); }

  std::array<SliceView*, 6> m_views{};
  std::array<FloatImage, 6> m_images;
  std::array<QLabel*, 3> m_captions{};
  std::shared_ptr<const Snapshot> m_snapshot;
  Crosshair m_crosshair;
  double m_stretch = 1.0;  ///< the cuts' rows × this, so that few slices stay legible
};

}  // namespace tomolive::ui
