#include "SliceView.h"

#include <QMouseEvent>
#include <QWheelEvent>

#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkFloatArray.h>
#include <vtkImageActor.h>
#include <vtkImageData.h>
#include <vtkImageMapper3D.h>
#include <vtkImageProperty.h>
#include <vtkLookupTable.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
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
  // Lines over the image: the profile's (yellow) and the crosshair (cyan), hidden until set.
  const auto overlay = [this](vtkActor* actor, vtkPolyData* shape, double r, double g, double b,
                              float width) {
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->SetInputData(shape);
    actor->SetMapper(mapper);
    actor->GetProperty()->SetColor(r, g, b);
    actor->GetProperty()->SetLineWidth(width);
    actor->GetProperty()->LightingOff();
    actor->VisibilityOff();
    renderer()->AddViewProp(actor);
  };
  overlay(m_lineActor, m_lineShape, 1.0, 0.85, 0.1, 2.0f);
  overlay(m_crosshairActor, m_crosshairShape, 0.2, 0.9, 1.0, 1.0f);
  setMouseTracking(true);  // the pointer's position is reported without a button held
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
  if (reshaped) {
    updateCamera();
    updateMarkedLine();
    updateCrosshair();
  }
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

std::optional<ImagePoint> SliceView::imagePoint(QPointF widgetPosition) const {
  if (!hasImage() || height() <= 0) return std::nullopt;
  const double unit = imageUnitsPerPixel();
  const double* focus = renderer()->GetActiveCamera()->GetFocalPoint();
  const double worldX = focus[0] + (widgetPosition.x() - 0.5 * width()) * unit;
  const double worldY = focus[1] - (widgetPosition.y() - 0.5 * height()) * unit;
  // Row 0 is drawn at the top: VTK's rows go upwards, m_pixelAspect world units apart.
  const ImagePoint p{worldX, m_height - 1.0 - worldY / m_pixelAspect};
  if (p.x < -0.5 || p.x > m_width - 0.5 || p.y < -0.5 || p.y > m_height - 0.5) return std::nullopt;
  return p;
}

void SliceView::setPickingPoints(bool picking) {
  m_pickingPoints = picking;
  setCursor(picking ? Qt::CrossCursor : Qt::ArrowCursor);
}

void SliceView::setMarkedLine(const std::optional<ProfileLine>& line, int bandPixels) {
  m_markedLine = line;
  m_markedBand = std::max(1, bandPixels);
  updateMarkedLine();
  requestRender();
}

void SliceView::updateMarkedLine() {
  m_lineActor->SetVisibility(m_markedLine && hasImage());
  if (!m_markedLine || !hasImage()) return;
  const ProfileLine& line = *m_markedLine;
  vtkNew<vtkPoints> points;
  // In front of the image (z = 0), towards the camera.
  const auto add = [&](ImagePoint p) {
    return points->InsertNextPoint(p.x, (m_height - 1.0 - p.y) * m_pixelAspect, 0.5);
  };
  vtkNew<vtkCellArray> lines;
  const vtkIdType centre[2] = {add(line.start), add(line.end)};
  lines->InsertNextCell(2, centre);
  const double length = line.lengthPixels();
  if (m_markedBand > 1 && length > 0.0) {
    // The band's outline: the samples' reach, half the width on either side.
    const double half = 0.5 * m_markedBand;
    const double nx = -(line.end.y - line.start.y) / length * half;
    const double ny = (line.end.x - line.start.x) / length * half;
    const vtkIdType first = add({line.start.x + nx, line.start.y + ny});
    const vtkIdType outline[5] = {first, add({line.end.x + nx, line.end.y + ny}),
                                  add({line.end.x - nx, line.end.y - ny}),
                                  add({line.start.x - nx, line.start.y - ny}), first};
    lines->InsertNextCell(5, outline);
  }
  m_lineShape->SetPoints(points);
  m_lineShape->SetLines(lines);
  m_lineShape->Modified();
}

void SliceView::setCrosshair(const std::optional<ImagePoint>& point) {
  m_crosshair = point;
  updateCrosshair();
  requestRender();
}

void SliceView::updateCrosshair() {
  m_crosshairActor->SetVisibility(m_crosshair && hasImage());
  if (!m_crosshair || !hasImage()) return;
  vtkNew<vtkPoints> points;
  const auto add = [&](double x, double y) {
    return points->InsertNextPoint(x, (m_height - 1.0 - y) * m_pixelAspect, 0.5);
  };
  vtkNew<vtkCellArray> lines;
  const double x = m_crosshair->x, y = m_crosshair->y;
  const vtkIdType across[2] = {add(-0.5, y), add(m_width - 0.5, y)};
  const vtkIdType down[2] = {add(x, -0.5), add(x, m_height - 0.5)};
  lines->InsertNextCell(2, across);
  lines->InsertNextCell(2, down);
  m_crosshairShape->SetPoints(points);
  m_crosshairShape->SetLines(lines);
  m_crosshairShape->Modified();
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
  const bool plainLeft =
      event->button() == Qt::LeftButton && !(event->modifiers() & Qt::ControlModifier);
  if (plainLeft && m_pickingPoints) {
    const auto p = imagePoint(event->position());
    if (p) emit pointPicked(*p);
    m_drag = p ? Drag::Pick : Drag::None;
  } else if (plainLeft) {
    m_drag = Drag::WindowLevel;
    m_dragWindow = m_window, m_dragLevel = m_level;
  } else {
    m_drag = Drag::Pan;
    m_dragPan = m_pan;
  }
  event->accept();
}

void SliceView::mouseMoveEvent(QMouseEvent* event) {
  if (const auto p = imagePoint(event->position()))
    emit pointerMoved(*p);
  else
    emit pointerLeftImage();
  const QPointF d = event->position() - m_dragStart;
  if (m_drag == Drag::WindowLevel) {
    // Right widens the window, up raises the level; a full view width doubles/halves it.
    const double window = m_dragWindow * std::pow(2.0, d.x() / std::max(1, width()));
    const double level = m_dragLevel - d.y() / std::max(1, height()) * m_dragWindow;
    setWindowLevel(window, level);
    emit windowLevelChangedByUser(m_window, m_level);
  } else if (m_drag == Drag::Pick) {
    if (const auto p = imagePoint(event->position())) emit pickDragged(*p);
  } else if (m_drag == Drag::Pan) {
    const double unit = imageUnitsPerPixel();
    setZoomPan(m_zoom, m_dragPan - QPointF(d.x() * unit, d.y() * unit));
    emit zoomPanChangedByUser(m_zoom, m_pan);
  }
  event->accept();
}

void SliceView::mouseReleaseEvent(QMouseEvent* event) {
  if (m_drag == Drag::Pick) emit pickReleased();
  m_drag = Drag::None;
  event->accept();
}

void SliceView::leaveEvent(QEvent* event) {
  emit pointerLeftImage();
  VtkView::leaveEvent(event);
}

void SliceView::mouseDoubleClickEvent(QMouseEvent* event) {
  if (m_pickingPoints && event->button() == Qt::LeftButton) {
    mousePressEvent(event);  // two quick clicks pick two points
    return;
  }
  setZoomPan(1.0, {});
  emit zoomPanChangedByUser(m_zoom, m_pan);
  event->accept();
}

}  // namespace tomolive::ui
