#include "SliceView.h"

#include <QMouseEvent>
#include <QWheelEvent>

#include <vtkCamera.h>
#include <vtkFloatArray.h>
#include <vtkImageActor.h>
#include <vtkImageData.h>
#include <vtkImageMapper3D.h>
#include <vtkImageProperty.h>
#include <vtkLookupTable.h>
#include <vtkPointData.h>
#include <vtkRenderer.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tomolive::ui {

SliceView::SliceView(QWidget* parent) : VtkView(parent) {
  fillLookupTable(m_table, m_colormap);
  m_actor->GetMapper()->SetInputData(m_image);
  m_actor->GetProperty()->SetLookupTable(m_table);
  m_actor->GetProperty()->UseLookupTableScalarRangeOff();
  m_actor->GetProperty()->SetInterpolationTypeToNearest();
  m_actor->GetProperty()->SetColorWindow(m_window);
  m_actor->GetProperty()->SetColorLevel(m_level);
  m_actor->VisibilityOff();
  renderer()->AddViewProp(m_actor);
  renderer()->SetBackground(0.08, 0.08, 0.09);
  renderer()->GetActiveCamera()->ParallelProjectionOn();
  setMouseTracking(false);
}

SliceView::~SliceView() = default;

void SliceView::setImage(const FloatImage& image, double pixelAspect) {
  if (image.empty()) {
    clearImage();
    return;
  }
  const bool reshaped =
      image.width != m_width || image.height != m_height || pixelAspect != m_pixelAspect;
  if (reshaped) {
    m_image->SetDimensions(image.width, image.height, 1);
    m_image->SetSpacing(1.0, pixelAspect, 1.0);
    m_image->SetOrigin(0.0, 0.0, 0.0);
    m_image->AllocateScalars(VTK_FLOAT, 1);
    m_width = image.width, m_height = image.height, m_pixelAspect = pixelAspect;
  }
  // VTK's image rows go upwards: copy rows bottom first so row 0 shows at the top.
  auto* data = static_cast<float*>(m_image->GetScalarPointer());
  for (int r = 0; r < m_height; ++r)
    std::memcpy(data + std::size_t(m_height - 1 - r) * m_width,
                image.pixels.data() + std::size_t(r) * m_width, sizeof(float) * m_width);
  m_image->Modified();
  m_actor->VisibilityOn();
  if (reshaped) updateCamera();
  requestRender();
}

void SliceView::clearImage() {
  m_width = m_height = 0;
  m_actor->VisibilityOff();
  requestRender();
}

void SliceView::setWindowLevel(double window, double level) {
  m_window = std::max(window, 1e-12);
  m_level = level;
  m_actor->GetProperty()->SetColorWindow(m_window);
  m_actor->GetProperty()->SetColorLevel(m_level);
  requestRender();
}

void SliceView::setColormap(Colormap map) {
  if (map == m_colormap) return;
  m_colormap = map;
  fillLookupTable(m_table, map);
  m_actor->GetProperty()->Modified();
  requestRender();
}

void SliceView::setZoomPan(double zoom, QPointF pan) {
  m_zoom = std::clamp(zoom, 0.05, 200.0);
  m_pan = pan;
  updateCamera();
  requestRender();
}

double SliceView::parallelScale() const {
  return renderer()->GetActiveCamera()->GetParallelScale();
}

void SliceView::updateCamera() {
  if (!hasImage()) return;
  const double w = m_width, h = m_height * m_pixelAspect;
  const double aspect = height() > 0 ? double(width()) / height() : 1.0;
  // Fit: half the visible height covers the image's half height and half width.
  const double fit = 0.52 * std::max(h, w / aspect);
  vtkCamera* camera = renderer()->GetActiveCamera();
  const double cx = 0.5 * (w - 1.0) + m_pan.x();
  const double cy = 0.5 * (h - m_pixelAspect) - m_pan.y();
  camera->SetFocalPoint(cx, cy, 0.0);
  camera->SetPosition(cx, cy, 1000.0);
  camera->SetViewUp(0.0, 1.0, 0.0);
  camera->SetParallelScale(fit / m_zoom);
  camera->SetClippingRange(1.0, 2000.0);
}

double SliceView::imageUnitsPerPixel() const {
  return height() > 0 ? 2.0 * parallelScale() / height() : 1.0;
}

void SliceView::resizeGL(int width, int height) {
  VtkView::resizeGL(width, height);
  updateCamera();
}

void SliceView::paintGL() {
  updateCamera();
  VtkView::paintGL();
}

void SliceView::wheelEvent(QWheelEvent* event) {
  const double steps = event->angleDelta().y() / 120.0;
  if (steps == 0.0) return;
  if (event->modifiers() & Qt::ShiftModifier) {
    emit sliceStepRequested(steps > 0 ? 1 : -1);
  } else {
    setZoomPan(m_zoom * std::pow(1.2, steps), m_pan);
    emit zoomPanChangedByUser(m_zoom, m_pan);
  }
  event->accept();
}

void SliceView::mousePressEvent(QMouseEvent* event) {
  m_dragStart = event->position();
  if (event->button() == Qt::LeftButton && !(event->modifiers() & Qt::ControlModifier)) {
    m_drag = Drag::WindowLevel;
    m_dragWindow = m_window, m_dragLevel = m_level;
  } else {
    m_drag = Drag::Pan;
    m_dragPan = m_pan;
  }
  event->accept();
}

void SliceView::mouseMoveEvent(QMouseEvent* event) {
  const QPointF d = event->position() - m_dragStart;
  if (m_drag == Drag::WindowLevel) {
    // Right widens the window, up raises the level; a full view width doubles/halves it.
    const double window = m_dragWindow * std::pow(2.0, d.x() / std::max(1, width()));
    const double level = m_dragLevel - d.y() / std::max(1, height()) * m_dragWindow;
    setWindowLevel(window, level);
    emit windowLevelChangedByUser(m_window, m_level);
  } else if (m_drag == Drag::Pan) {
    const double unit = imageUnitsPerPixel();
    setZoomPan(m_zoom, m_dragPan - QPointF(d.x() * unit, d.y() * unit));
    emit zoomPanChangedByUser(m_zoom, m_pan);
  }
  event->accept();
}

void SliceView::mouseReleaseEvent(QMouseEvent* event) {
  m_drag = Drag::None;
  event->accept();
}

void SliceView::mouseDoubleClickEvent(QMouseEvent* event) {
  setZoomPan(1.0, {});
  emit zoomPanChangedByUser(m_zoom, m_pan);
  event->accept();
}

}  // namespace tomolive::ui
