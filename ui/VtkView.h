#pragma once
// A Qt 6 QOpenGLWidget that hosts a VTK renderer (Debian's QVTKOpenGLNativeWidget is Qt 5 only).
//
// VTK draws into its own framebuffer inside Qt's context and blits the result into the widget's
// framebuffer (docs/gui.md, TOOLCHAIN.md). Rendering is on demand and coalesced, after CTK's
// ctkVTKAbstractView: requestRender() only arms a single-shot timer, so any number of requests
// within one frame interval cost one render, and renders never exceed maxFramesPerSecond().
#include <QElapsedTimer>
#include <QImage>
#include <QOpenGLWidget>
#include <QTimer>

#include <vtkNew.h>
#include <vtkSmartPointer.h>

class vtkGenericOpenGLRenderWindow;
class vtkObject;
class vtkRenderer;

namespace tomolive::ui {

/// Sets the OpenGL format VTK needs (3.2 core, depth 24) as the default; call before the
/// QApplication is created.
void setDefaultSurfaceFormat();

class VtkView : public QOpenGLWidget {
  Q_OBJECT

 public:
  explicit VtkView(QWidget* parent = nullptr);
  ~VtkView() override;

  vtkRenderer* renderer() const;
  vtkGenericOpenGLRenderWindow* renderWindow() const;

  /// Asks for a render; coalesced with other requests and capped at maxFramesPerSecond().
  void requestRender();
  void setMaxFramesPerSecond(double fps);
  double maxFramesPerSecond() const { return m_maxFramesPerSecond; }
  /// VTK renders done so far (one per paintGL).
  int renderCount() const { return m_renderCount; }
  bool renderPending() const { return m_renderTimer.isActive(); }

 signals:
  void rendered();

 protected:
  void initializeGL() override;
  void resizeGL(int width, int height) override;
  void paintGL() override;

 private:
  void onMakeCurrent(vtkObject*, unsigned long, void*);
  void onIsCurrent(vtkObject*, unsigned long, void* callData);
  void onSupportsOpenGL(vtkObject*, unsigned long, void* callData);
  void onIsDirect(vtkObject*, unsigned long, void* callData);
  void releaseGraphics();

  vtkSmartPointer<vtkGenericOpenGLRenderWindow> m_renderWindow;
  vtkNew<vtkRenderer> m_renderer;
  QTimer m_renderTimer;
  QElapsedTimer m_sinceRender;
  double m_maxFramesPerSecond = 30.0;
  int m_renderCount = 0;
  bool m_initialised = false;
};

}  // namespace tomolive::ui
