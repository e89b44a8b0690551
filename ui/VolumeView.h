#pragma once
// The 3-D view: the live volume rendered by VTK's ray casting, updated with the snapshots.
//
// Transfer function: colour from the main window's colour map over the opacity ramp; opacity
// rises linearly from 0 at the ramp's low end to `maximum opacity` at its high end (values
// outside: 0 below, the maximum above). By default the ramp follows the window/level of the slice
// views (level ± window/2); the user can set it apart (setRamp). Where OpenGL is software
// (Mesa's llvmpipe, as under Xvfb) or the GPU ray caster is not supported, VTK's CPU ray caster
// renders instead (vtkSmartVolumeMapper's choice, forced for software OpenGL); which one is in
// use is told by renderMode(). Volumes wider than kMaxEdge pixels are shown subsampled to at
// most kMaxEdge² per slice (the slices all kept), so an update costs the GUI thread a bounded copy.
// Mouse: left drag rotates, wheel zooms, double-click resets the camera.
#include <QPointF>
#include <QString>

#include <vtkNew.h>

#include <array>

#include "Colormaps.h"
#include "VtkView.h"

class vtkColorTransferFunction;
class vtkImageData;
class vtkPiecewiseFunction;
class vtkSmartVolumeMapper;
class vtkVolume;

namespace tomolive {
class VolumeStack;
}

namespace tomolive::ui {

class VolumeView : public VtkView {
  Q_OBJECT

 public:
  static constexpr int kMaxEdge = 256;
  /// The frame rate the ray casters are asked to keep (they sample coarser when they would not).
  static constexpr double kFramesPerSecond = 10.0;

  explicit VolumeView(QWidget* parent = nullptr);
  ~VolumeView() override;

  /// Shows `volume` (slices along z, one pixel apart like the pixels in a slice).
  void setVolume(const VolumeStack& volume);
  bool hasVolume() const { return m_dimensions[0] > 0; }
  /// The shown volume's size: x, y (after subsampling) and slices.
  std::array<int, 3> dimensions() const { return m_dimensions; }

  void setColormap(Colormap map);
  /// The slice views' window/level: the ramp while it follows them.
  void setWindowLevel(double window, double level);
  /// Sets the opacity ramp apart from window/level (followWindowLevel(false)).
  void setRamp(double low, double high, double maximumOpacity);
  void setFollowWindowLevel(bool follow);
  bool followsWindowLevel() const { return m_follow; }
  double rampLow() const { return m_low; }
  double rampHigh() const { return m_high; }
  double maximumOpacity() const { return m_maximumOpacity; }
  /// "GPU ray casting" or "CPU ray casting (…why)"; empty before the first render.
  QString renderMode() const { return m_renderMode; }
  void resetCamera();

 signals:
  void rampChanged(double low, double high, double maximumOpacity);

 protected:
  void initializeGL() override;
  void paintGL() override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;

 private:
  void updateTransferFunction();

  vtkNew<vtkImageData> m_image;
  vtkNew<vtkSmartVolumeMapper> m_mapper;
  vtkNew<vtkVolume> m_volume;
  vtkNew<vtkColorTransferFunction> m_colour;
  vtkNew<vtkPiecewiseFunction> m_opacity;
  std::array<int, 3> m_dimensions{0, 0, 0};
  Colormap m_colormap = Colormap::Grey;
  double m_low = 0.0, m_high = 1.0, m_maximumOpacity = 0.3;
  bool m_follow = true;
  QString m_renderMode;
  bool m_dragging = false;
  QPointF m_last;
};

}  // namespace tomolive::ui
