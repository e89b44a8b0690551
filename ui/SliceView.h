#pragma once
// A 2-D image view (one slice, or a vertical cut) drawn by VTK: colour table, window/level,
// zoom and pan, and a marked line (the line profile's, with its band). Mouse: wheel zooms,
// Shift+wheel steps the slice, left drag changes window (horizontal) and level (vertical) — or,
// while picking points, a left click picks one —, right or middle drag pans, double-click resets
// the view. The pointer's image position is reported as it moves. The view reports what the user
// did through signals and never changes its peers itself: the main window links views by
// applying one view's change to all of them.
#include <QPointF>
#include <QString>

#include <vtkNew.h>

#include <optional>

#include "Colormaps.h"
#include "LineProfile.h"
#include "SliceImages.h"
#include "VtkView.h"

class vtkActor;
class vtkImageActor;
class vtkImageData;
class vtkLookupTable;
class vtkPolyData;

namespace tomolive::ui {

class SliceView : public VtkView {
  Q_OBJECT

 public:
  explicit SliceView(QWidget* parent = nullptr);
  ~SliceView() override;

  /// Shows `image` (row 0 at the top); pixels are `pixelAspect` times taller than wide.
  void setImage(const FloatImage& image, double pixelAspect = 1.0);
  void clearImage();
  bool hasImage() const { return m_width > 0; }
  int imageWidth() const { return m_width; }
  int imageHeight() const { return m_height; }

  void setWindowLevel(double window, double level);
  double window() const { return m_window; }
  double level() const { return m_level; }
  void setColormap(Colormap map);
  Colormap colormap() const { return m_colormap; }

  /// 1: the image fits the view; pan: view centre minus image centre, in image pixels.
  void setZoomPan(double zoom, QPointF pan);
  double zoom() const { return m_zoom; }
  QPointF pan() const { return m_pan; }
  /// The camera's parallel scale (half the visible height in image units), for tests.
  double parallelScale() const;

  /// The image point under a widget position; nullopt off the image (or without one).
  std::optional<ImagePoint> imagePoint(QPointF widgetPosition) const;
  /// Left clicks pick points (pointPicked) instead of dragging window/level.
  void setPickingPoints(bool picking);
  /// Draws `line` over the image, with the outline of its band when `bandPixels` > 1; nullopt
  /// removes it.
  void setMarkedLine(const std::optional<ProfileLine>& line, int bandPixels);
  /// Draws a crosshair (a horizontal and a vertical line across the image) through `point`;
  /// nullopt removes it.
  void setCrosshair(const std::optional<ImagePoint>& point);
  std::optional<ImagePoint> crosshair() const { return m_crosshair; }

 signals:
  void zoomPanChangedByUser(double zoom, QPointF pan);
  void windowLevelChangedByUser(double window, double level);
  void sliceStepRequested(int delta);
  void pointPicked(tomolive::ui::ImagePoint point);
  /// While picking: the pointer moved with the button still held after a pick (pointPicked),
  /// then the button was released.
  void pickDragged(tomolive::ui::ImagePoint point);
  void pickReleased();
  /// The pointer moved over the image (pointerLeftImage: off it, or out of the view).
  void pointerMoved(tomolive::ui::ImagePoint point);
  void pointerLeftImage();

 protected:
  void resizeGL(int width, int height) override;
  void paintGL() override;
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void leaveEvent(QEvent* event) override;

 private:
  void updateCamera();
  double imageUnitsPerPixel() const;
  void updateMarkedLine();
  void updateCrosshair();

  vtkNew<vtkImageData> m_image;
  vtkNew<vtkImageActor> m_actor;
  vtkNew<vtkLookupTable> m_table;
  int m_width = 0, m_height = 0;
  double m_pixelAspect = 1.0;
  double m_window = 1.0, m_level = 0.5;
  Colormap m_colormap = Colormap::Grey;
  double m_zoom = 1.0;
  QPointF m_pan;
  enum class Drag { None, WindowLevel, Pan, Pick } m_drag = Drag::None;
  QPointF m_dragStart;
  double m_dragWindow = 0, m_dragLevel = 0;
  QPointF m_dragPan;
  bool m_pickingPoints = false;
  std::optional<ProfileLine> m_markedLine;
  int m_markedBand = 1;
  vtkNew<vtkPolyData> m_lineShape;
  vtkNew<vtkActor> m_lineActor;
  std::optional<ImagePoint> m_crosshair;
  vtkNew<vtkPolyData> m_crosshairShape;
  vtkNew<vtkActor> m_crosshairActor;
};

}  // namespace tomolive::ui
