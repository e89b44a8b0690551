#include "VtkView.h"

#include <QOpenGLContext>
#include <QOpenGLFunctions>
#include <QSurfaceFormat>

#include <vtkCommand.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkOpenGLState.h>
#include <vtkRenderer.h>

#include <algorithm>
#include <cmath>

namespace tomolive::ui {

void setDefaultSurfaceFormat() {
  QSurfaceFormat format;
  format.setRenderableType(QSurfaceFormat::OpenGL);
  format.setVersion(3, 2);
  format.setProfile(QSurfaceFormat::CoreProfile);
  format.setDepthBufferSize(24);
  format.setStencilBufferSize(8);
  format.setSwapBehavior(QSurfaceFormat::DoubleBuffer);
  format.setSamples(0);
  QSurfaceFormat::setDefaultFormat(format);
}

VtkView::VtkView(QWidget* parent)
    : QOpenGLWidget(parent), m_renderWindow(vtkSmartPointer<vtkGenericOpenGLRenderWindow>::New()) {
  setMinimumSize(160, 160);
  m_renderWindow->AddRenderer(m_renderer);
  m_renderWindow->AddObserver(vtkCommand::WindowMakeCurrentEvent, this, &VtkView::onMakeCurrent);
  m_renderWindow->AddObserver(vtkCommand::WindowIsCurrentEvent, this, &VtkView::onIsCurrent);
  m_renderWindow->AddObserver(vtkCommand::WindowSupportsOpenGLEvent, this,
                              &VtkView::onSupportsOpenGL);
  m_renderWindow->AddObserver(vtkCommand::WindowIsDirectEvent, this, &VtkView::onIsDirect);
  m_renderTimer.setSingleShot(true);
  connect(&m_renderTimer, &QTimer::timeout, this, [this] { update(); });
  m_sinceRender.start();
}

VtkView::~VtkView() {
  m_renderTimer.stop();
  releaseGraphics();
  m_renderWindow->RemoveAllObservers();
}

vtkRenderer* VtkView::renderer() const { return m_renderer; }
vtkGenericOpenGLRenderWindow* VtkView::renderWindow() const { return m_renderWindow; }

void VtkView::setMaxFramesPerSecond(double fps) { m_maxFramesPerSecond = std::max(1.0, fps); }

void VtkView::requestRender() {
  if (m_renderTimer.isActive()) return;  // coalesced with the render already scheduled
  const double interval = 1000.0 / m_maxFramesPerSecond;
  const double wait = std::max(0.0, interval - double(m_sinceRender.elapsed()));
  m_renderTimer.start(int(std::ceil(wait)));
}

void VtkView::initializeGL() {
  // Qt destroys the context before the widget when a top-level window closes: release VTK's
  // graphics resources while it still exists.
  connect(context(), &QOpenGLContext::aboutToBeDestroyed, this, &VtkView::releaseGraphics,
          Qt::UniqueConnection);
  m_renderWindow->SetOwnContext(false);
  m_renderWindow->SetFrameBlitModeToBlitToCurrent();
  m_renderWindow->SetForceMaximumHardwareLineWidth(1);
  m_renderWindow->SetReadyForRendering(true);
  m_renderWindow->OpenGLInitContext();
  m_initialised = true;
}

void VtkView::resizeGL(int width, int height) {
  const qreal ratio = devicePixelRatioF();
  m_renderWindow->SetSize(int(width * ratio), int(height * ratio));
}

void VtkView::paintGL() {
  if (!m_initialised) return;
  const qreal ratio = devicePixelRatioF();
  m_renderWindow->SetSize(int(width() * ratio), int(height() * ratio));
  vtkOpenGLState* state = m_renderWindow->GetState();
  state->Reset();  // Qt changed GL state behind VTK's back
  state->Push();
  state->vtkglDepthFunc(GL_LEQUAL);  // Qt leaves GL_LESS; VTK expects GL_LEQUAL
  m_renderWindow->Render();
  state->Pop();
  // The widget is composed with alpha: make it opaque whatever VTK left in the alpha channel.
  QOpenGLFunctions* gl = context()->functions();
  gl->glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_TRUE);
  gl->glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
  gl->glClear(GL_COLOR_BUFFER_BIT);
  gl->glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
  ++m_renderCount;
  m_sinceRender.restart();
  emit rendered();
}

void VtkView::releaseGraphics() {
  if (!m_initialised) return;
  makeCurrent();
  m_renderWindow->Finalize();
  doneCurrent();
  m_initialised = false;
  if (context()) disconnect(context(), &QOpenGLContext::aboutToBeDestroyed, this, nullptr);
}

void VtkView::onMakeCurrent(vtkObject*, unsigned long, void*) {
  // Not QOpenGLWidget::makeCurrent(): that rebinds Qt's framebuffer under VTK (a black view).
  if (context()) context()->makeCurrent(context()->surface());
}

void VtkView::onIsCurrent(vtkObject*, unsigned long, void* callData) {
  *static_cast<bool*>(callData) = context() && QOpenGLContext::currentContext() == context();
}

void VtkView::onSupportsOpenGL(vtkObject*, unsigned long, void* callData) {
  *static_cast<int*>(callData) = 1;
}

void VtkView::onIsDirect(vtkObject*, unsigned long, void* callData) {
  *static_cast<int*>(callData) = 1;
}

}  // namespace tomolive::ui
