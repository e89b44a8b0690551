#include "VolumeView.h"

#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLFunctions>
#include <QWheelEvent>

#include <vtkCamera.h>
#include <vtkColorTransferFunction.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkImageData.h>
#include <vtkLookupTable.h>
#include <vtkPiecewiseFunction.h>
#include <vtkRenderer.h>
#include <vtkSmartVolumeMapper.h>
#include <vtkVolume.h>
#include <vtkVolumeProperty.h>

#include <algorithm>
#include <cmath>

#include "geometry/SliceStacks.h"

namespace tomolive::ui {

VolumeView::VolumeView(QWidget* parent) : VtkView(parent) {
  m_mapper->SetInputData(m_image);
  m_mapper->SetBlendModeToComposite();
  m_volume->SetMapper(m_mapper);
  vtkVolumeProperty* property = m_volume->GetProperty();
  property->SetColor(m_colour);
  property->SetScalarOpacity(m_opacity);
  property->SetInterpolationTypeToLinear();
  property->ShadeOff();
  m_volume->VisibilityOff();
  renderer()->AddViewProp(m_volume);
  renderer()->SetBackground(0.08, 0.08, 0.09);
  // Every render is interactive: the ray casters lower their sampling to keep within the frame
  // budget, so a render never holds the GUI thread long.
  m_mapper->SetInteractiveUpdateRate(1.0);
  m_mapper->AutoAdjustSampleDistancesOn();
  renderWindow()->SetDesiredUpdateRate(kFramesPerSecond);
  updateTransferFunction();
}

VolumeView::~VolumeView() = default;

void VolumeView::initializeGL() {
  VtkView::initializeGL();
  // Software OpenGL ray-casts on the CPU anyway, and slower than VTK's own CPU ray caster.
  const auto* renderer =
      reinterpret_cast<const char*>(context()->functions()->glGetString(GL_RENDERER));
  const QString name = renderer ? QString::fromLatin1(renderer) : QString();
  const bool software = name.contains("llvmpipe", Qt::CaseInsensitive) ||
                        name.contains("softpipe", Qt::CaseInsensitive) ||
                        name.contains("software", Qt::CaseInsensitive);
  if (software)
    m_mapper->SetRequestedRenderModeToRayCast();
  else
    m_mapper->SetRequestedRenderModeToDefault();
  m_renderMode = software ? tr("CPU ray casting (software OpenGL: %1)").arg(name.section(' ', 0, 0))
                          : QString();
}

void VolumeView::paintGL() {
  VtkView::paintGL();
  if (!hasVolume() || !m_renderMode.isEmpty()) return;
  m_renderMode = m_mapper->GetLastUsedRenderMode() == vtkSmartVolumeMapper::GPURenderMode
                     ? tr("GPU ray casting")
                     : tr("CPU ray casting (the GPU ray caster is not supported here)");
}

void VolumeView::setVolume(const VolumeStack& volume) {
  const int n = volume.gridSize(), slices = volume.slices();
  const int step = std::max(1, (n + kMaxEdge - 1) / kMaxEdge);
  const int edge = (n + step - 1) / step;
  const bool reshaped =
      m_dimensions[0] != edge || m_dimensions[1] != edge || m_dimensions[2] != slices;
  if (reshaped) {
    m_image->SetDimensions(edge, edge, slices);
    m_image->SetSpacing(step, step, 1.0);
    m_image->SetOrigin(0.0, 0.0, 0.0);
    m_image->AllocateScalars(VTK_FLOAT, 1);
    m_dimensions = {edge, edge, slices};
  }
  // VTK's y goes upwards: image row 0 at the top, as in the slice views; slice 0 at the top too.
  auto* data = static_cast<float*>(m_image->GetScalarPointer());
  for (int z = 0; z < slices; ++z)
    for (int r = 0; r < edge; ++r) {
      float* out = data + (std::size_t(slices - 1 - z) * edge + std::size_t(edge - 1 - r)) * edge;
      for (int c = 0; c < edge; ++c) out[c] = volume.at(z, r * step, c * step);
    }
  m_image->Modified();
  m_volume->VisibilityOn();
  if (reshaped) resetCamera();
  requestRender();
}

void VolumeView::resetCamera() {
  vtkCamera* camera = renderer()->GetActiveCamera();
  camera->SetPosition(0.0, -1.0, 0.6);
  camera->SetFocalPoint(0.0, 0.0, 0.0);
  camera->SetViewUp(0.0, 0.0, 1.0);
  renderer()->ResetCamera();
  requestRender();
}

void VolumeView::setColormap(Colormap map) {
  m_colormap = map;
  updateTransferFunction();
}

void VolumeView::setWindowLevel(double window, double level) {
  if (!m_follow) return;
  m_low = level - 0.5 * window;
  m_high = level + 0.5 * window;
  updateTransferFunction();
  emit rampChanged(m_low, m_high, m_maximumOpacity);
}

void VolumeView::setRamp(double low, double high, double maximumOpacity) {
  m_follow = false;
  m_low = low;
  m_high = std::max(high, low + 1e-12);
  m_maximumOpacity = std::clamp(maximumOpacity, 0.0, 1.0);
  updateTransferFunction();
  emit rampChanged(m_low, m_high, m_maximumOpacity);
}

void VolumeView::setFollowWindowLevel(bool follow) { m_follow = follow; }

void VolumeView::updateTransferFunction() {
  vtkNew<vtkLookupTable> table;
  fillLookupTable(table, m_colormap);
  const double high = std::max(m_high, m_low + 1e-12);
  m_colour->RemoveAllPoints();
  constexpr int kPoints = 16;
  for (int i = 0; i < kPoints; ++i) {
    const double t = double(i) / (kPoints - 1);
    double rgba[4];
    table->GetTableValue(int(std::lround(t * (table->GetNumberOfTableValues() - 1))), rgba);
    m_colour->AddRGBPoint(m_low + t * (high - m_low), rgba[0], rgba[1], rgba[2]);
  }
  m_opacity->RemoveAllPoints();
  m_opacity->AddPoint(m_low, 0.0);
  m_opacity->AddPoint(high, m_maximumOpacity);
  m_opacity->ClampingOn();
  requestRender();
}

void VolumeView::mousePressEvent(QMouseEvent* event) {
  m_dragging = event->button() == Qt::LeftButton;
  m_last = event->position();
}

void VolumeView::mouseMoveEvent(QMouseEvent* event) {
  if (!m_dragging) return;
  const QPointF delta = event->position() - m_last;
  m_last = event->position();
  vtkCamera* camera = renderer()->GetActiveCamera();
  camera->Azimuth(-0.5 * delta.x());
  camera->Elevation(0.5 * delta.y());
  camera->OrthogonalizeViewUp();
  renderer()->ResetCameraClippingRange();
  requestRender();
}

void VolumeView::mouseReleaseEvent(QMouseEvent*) { m_dragging = false; }

void VolumeView::mouseDoubleClickEvent(QMouseEvent*) { resetCamera(); }

void VolumeView::wheelEvent(QWheelEvent* event) {
  const double steps = event->angleDelta().y() / 120.0;
  renderer()->GetActiveCamera()->Dolly(std::pow(1.1, steps));
  renderer()->ResetCameraClippingRange();
  requestRender();
}

}  // namespace tomolive::ui
