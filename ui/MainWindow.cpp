#include "MainWindow.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QMenuBar>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QStyleOption>
#include <QToolBar>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <limits>

#include "CompactFields.h"
#include "Export.h"
#include "HistogramPanel.h"
#include "OrthoViews.h"
#include "ProfilePanel.h"
#include "RateCharts.h"
#include "SinogramPanel.h"
#include "SliceImages.h"
#include "SliceView.h"
#include "SteeringPanel.h"
#include "VolumeView.h"
#include "io/DataExchange.h"
#include "io/FrameRecorder.h"
#include "nn/Denoiser.h"

namespace tomolive::ui {

namespace {

// A caption narrower than its text shows its start, cut with "…" (a centred label would cut both
// ends), and its tooltip the whole text. text() stays the whole text.
class Caption : public QLabel {
 public:
  using QLabel::QLabel;

 protected:
  void paintEvent(QPaintEvent*) override {
    QPainter painter(this);
    QStyleOption option;
    option.initFrom(this);
    style()->drawPrimitive(QStyle::PE_Widget, &option, &painter, this);  // the style sheet's
    const QRect room = contentsRect();
    style()->drawItemText(&painter, room, int(alignment()), palette(), isEnabled(),
                          fontMetrics().elidedText(text(), Qt::ElideRight, room.width()),
                          foregroundRole());
  }
  bool event(QEvent* e) override {
    if (e->type() == QEvent::ToolTip &&
        fontMetrics().horizontalAdvance(text()) > contentsRect().width()) {
      const QString more = toolTip().isEmpty() ? QString() : "\n" + toolTip();
      QToolTip::showText(static_cast<QHelpEvent*>(e)->globalPos(), text() + more, this);
      return true;
    }
    return QLabel::event(e);
  }
};

QLabel* caption(const QString& text, const QString& name, QWidget* parent) {
  auto* label = new Caption(text, parent);
  label->setObjectName(name);
  label->setAlignment(Qt::AlignCenter);
  label->setStyleSheet("QLabel { padding: 3px; font-weight: bold; }");
  // Captions never widen their column: both slice views keep the same size.
  label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  return label;
}

QString elapsedText(double seconds) {
  const int s = int(seconds);
  return QString("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}

// A hidden bar above the views: a word-wrapped text and a button that hides it.
QFrame* messageBar(const char* name, const char* background, const char* border, const char* text,
                   QWidget* parent) {
  auto* bar = new QFrame(parent);
  bar->setObjectName(name);
  bar->setStyleSheet(QString("QFrame#%1 { background: %2; border: 1px solid %3; border-radius: "
                             "3px; } QLabel { color: %4; }")
                         .arg(name, background, border, text));
  auto* layout = new QHBoxLayout(bar);
  layout->setContentsMargins(8, 4, 4, 4);
  auto* label = new QLabel(bar);
  label->setWordWrap(true);
  auto* close = new QToolButton(bar);
  close->setText("✕");
  close->setAutoRaise(true);
  QObject::connect(close, &QToolButton::clicked, bar, &QWidget::hide);
  layout->addWidget(label, 1);
  layout->addWidget(close);
  bar->hide();
  return bar;
}

}  // namespace

QString viewLayoutName(ViewLayout layout) {
  switch (layout) {
    case ViewLayout::Pair:
      return "pair";
    case ViewLayout::Ortho:
      return "ortho";
    case ViewLayout::Volume:
      return "volume";
  }
  return "pair";
}

std::optional<ViewLayout> viewLayoutFromName(const QString& name) {
  for (ViewLayout l : {ViewLayout::Pair, ViewLayout::Ortho, ViewLayout::Volume})
    if (viewLayoutName(l) == name) return l;
  return std::nullopt;
}

MainWindow::MainWindow(MainWindowOptions options, QWidget* parent)
    : QMainWindow(parent),
      m_options(std::move(options)),
      m_controller(new SessionController(this)) {
  setWindowTitle(tr("TomoLive"));
  setWindowIcon(QIcon(":/icons/tomolive-64.png"));
  setObjectName("mainWindow");
  buildViews();
  buildDocks();
  connectMeasuringTools();
  buildActions();
  buildStatusBar();
  connectController();
  const QRect screenArea = screen()->availableGeometry();
  fitDocksToWidth(screenArea.width());
  layout()->activate();  // the minimum size of the docks' final places, not of the moves between
  // A saved geometry (restoreSettings) replaces this: the console uses most of its screen, all of
  // a screen too narrow for three columns (for the steering panel's height).
  resize(docksShareTheLeftColumn() ? screenArea.size() : screenArea.size() * kScreenShare);
  move(screenArea.center() - rect().center());
  if (m_options.restoreSettings) restoreSettings();
  if (m_options.source) m_panel->setSourceSpec(*m_options.source);
  if (m_options.window) m_panel->setWindow(*m_options.window);
  if (m_options.iterations) m_panel->setIterations(*m_options.iterations);
  if (m_options.method) m_panel->setMethod(*m_options.method);
  if (m_options.liveQuality) m_panel->setLiveQuality(*m_options.liveQuality);
  if (m_options.qualityEvery || m_options.qualityShare) {
    const double share = m_options.qualityShare.value_or(0.0);
    m_panel->setLiveQualityCost(m_options.qualityEvery.value_or(1),
                                share > 0.0 ? std::optional<double>(share) : std::nullopt);
  }
  m_panel->setRecordPath(m_options.recordPath);
  m_panel->setCudaUnavailable(QString::fromStdString(gpuUnavailableReason()));
  if (m_options.backend) m_panel->setComputeBackend(*m_options.backend);
  if (m_options.pixelSizeMicrometres) m_profile->setPixelSize(*m_options.pixelSizeMicrometres);
  if (m_options.layout) setViewLayout(*m_options.layout);
  applyComputeBackend(m_panel->computeBackend());
  connect(m_panel, &SteeringPanel::computeBackendChanged, this, &MainWindow::applyComputeBackend);
  m_statusTimer.setInterval(500);
  connect(&m_statusTimer, &QTimer::timeout, this, &MainWindow::updateStatus);
  m_statusTimer.start();
  offerRecovery();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildViews() {
  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  layout->setContentsMargins(4, 4, 4, 4);

  m_messageBar = messageBar("messageBar", "#f8d7da", "#e0a0a8", "#58151c", central);
  m_messageText = m_messageBar->findChild<QLabel*>();
  m_messageText->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(m_messageBar);

  m_recoveryBar = messageBar("recoveryBar", "#fff3cd", "#e0c870", "#5c4400", central);
  m_recoveryText = m_recoveryBar->findChild<QLabel*>();
  m_recoveryText->setObjectName("recoveryText");
  m_recoverButton = new QPushButton(tr("Recover"), m_recoveryBar);
  m_recoverButton->setObjectName("recoverButton");
  connect(m_recoverButton, &QPushButton::clicked, this, &MainWindow::recoverInterruptedRecordings);
  static_cast<QHBoxLayout*>(m_recoveryBar->layout())->insertWidget(1, m_recoverButton);
  layout->addWidget(m_recoveryBar);

  auto* views = new QGridLayout;
  m_before = new SliceView(central);
  m_before->setObjectName("beforeView");
  m_after = new SliceView(central);
  m_after->setObjectName("afterView");
  m_beforeCaption = caption(tr("before: streaming SIRT"), "beforeCaption", central);
  m_afterCaption = caption(tr("after: waiting for the first update"), "afterCaption", central);
  views->addWidget(m_beforeCaption, 0, 0);
  views->addWidget(m_afterCaption, 0, 1);
  views->addWidget(m_before, 1, 0);
  views->addWidget(m_after, 1, 1);
  views->setRowStretch(1, 3);
  views->setColumnStretch(0, 1);
  views->setColumnStretch(1, 1);
  m_cut = new SliceView(central);
  m_cut->setObjectName("cutView");
  m_cut->setMinimumHeight(120);
  m_cutCaption = caption(tr("vertical cut (SIRT)"), "cutCaption", central);
  views->addWidget(m_cutCaption, 2, 0, 1, 2);
  views->addWidget(m_cut, 3, 0, 1, 2);
  views->setRowStretch(3, 1);
  views->setContentsMargins(0, 0, 0, 0);
  m_layouts = new QStackedWidget(central);
  m_layouts->setObjectName("layouts");
  auto* pairPage = new QWidget(m_layouts);
  pairPage->setLayout(views);
  m_layouts->addWidget(pairPage);
  m_ortho = new OrthoViews(m_layouts);
  m_ortho->setObjectName("orthoViews");
  m_layouts->addWidget(m_ortho);
  m_layouts->addWidget(buildVolumePage(m_layouts));
  layout->addWidget(m_layouts, 1);
  // The crosshair's row is the cut row, its slice the slice in view.
  connect(m_ortho, &OrthoViews::crosshairMovedByUser, this, [this](OrthoViews::Crosshair c) {
    m_crosshairX = c.x;
    if (m_cutRow->value() != c.y) {
      const QSignalBlocker quiet(m_cutRow);
      m_cutRow->setValue(c.y);
    }
    if (c.z != m_slice)
      setSlice(c.z);
    else
      refreshImages();
  });

  auto* controls = new QHBoxLayout;
  m_sliceLabel = new QLabel(tr("slice —"), central);
  m_sliceSlider = new QSlider(Qt::Horizontal, central);
  m_sliceSlider->setObjectName("sliceSlider");
  m_sliceSlider->setRange(0, 0);
  m_sliceSlider->setToolTip(tr("Slice (PageUp/PageDown, Shift+wheel on a view)"));
  connect(m_sliceSlider, &QSlider::valueChanged, this, &MainWindow::setSlice);
  m_cutRow = new QSpinBox(central);
  m_cutRow->setObjectName("cutRow");
  m_cutRow->setRange(0, 0);
  m_cutRow->setPrefix(tr("cut row "));
  connect(m_cutRow, &QSpinBox::valueChanged, this, [this] { refreshImages(); });
  m_colormapBox = new QComboBox(central);
  m_colormapBox->setObjectName("colormap");
  m_colormapBox->addItems(colormapNames());
  connect(m_colormapBox, &QComboBox::currentTextChanged, this,
          [this](const QString& name) { setColormap(colormapFromName(name)); });
  m_modeBox = new QComboBox(central);
  m_modeBox->setObjectName("compareMode");
  m_modeBox->addItems({tr("side by side"), tr("difference (after − before)")});
  compactWidth(m_modeBox, 12);
  connect(m_modeBox, &QComboBox::currentIndexChanged, this, [this] { refreshImages(); });
  m_autoWindowLevel = new QCheckBox(tr("auto 1–99 %"), central);
  m_autoWindowLevel->setObjectName("autoWindowLevel");
  m_autoWindowLevel->setChecked(true);
  connect(m_autoWindowLevel, &QCheckBox::toggled, this, &MainWindow::setAutoWindowLevel);
  auto numberBox = [central](const QString& prefix, const QString& name) {
    auto* box = new QDoubleSpinBox(central);
    box->setObjectName(name);
    box->setPrefix(prefix);
    box->setRange(-1e9, 1e9);
    box->setDecimals(5);
    box->setKeyboardTracking(false);
    compactWidth(box, 7);
    return box;
  };
  m_windowSpin = numberBox(tr("window "), "windowWidth");
  m_levelSpin = numberBox(tr("level "), "windowLevel");
  auto numbersChanged = [this] {
    m_autoWindowLevel->setChecked(false);
    setWindowLevel(m_windowSpin->value(), m_levelSpin->value());
  };
  connect(m_windowSpin, &QDoubleSpinBox::valueChanged, this, numbersChanged);
  connect(m_levelSpin, &QDoubleSpinBox::valueChanged, this, numbersChanged);
  auto* sliceRow = new QHBoxLayout;
  sliceRow->addWidget(m_sliceLabel);
  sliceRow->addWidget(m_sliceSlider, 1);
  layout->addLayout(sliceRow);
  controls->addWidget(m_cutRow);
  controls->addWidget(m_colormapBox);
  controls->addWidget(m_modeBox);
  controls->addWidget(m_autoWindowLevel);
  controls->addWidget(m_windowSpin);
  controls->addWidget(m_levelSpin);
  controls->addStretch(1);
  layout->addLayout(controls);
  setCentralWidget(central);

  // One zoom/pan, one window/level, one slice for both slice views.
  for (SliceView* view : {m_before, m_after}) {
    connect(view, &SliceView::zoomPanChangedByUser, this, &MainWindow::applyZoomPan);
    connect(view, &SliceView::windowLevelChangedByUser, this, [this](double w, double l) {
      m_autoWindowLevel->setChecked(false);
      setWindowLevel(w, l);
    });
  }
  for (SliceView* view : {m_before, m_after, m_cut})
    connect(view, &SliceView::sliceStepRequested, this,
            [this](int delta) { setSlice(m_slice + delta); });
}

QWidget* MainWindow::buildVolumePage(QWidget* parent) {
  auto* page = new QWidget(parent);
  auto* box = new QVBoxLayout(page);
  box->setContentsMargins(0, 0, 0, 0);
  m_volumeCaption = caption(tr("3-D: waiting for the first update"), "volumeCaption", page);
  box->addWidget(m_volumeCaption);
  m_volumeView = new VolumeView(page);
  m_volumeView->setObjectName("volumeView");
  box->addWidget(m_volumeView, 1);
  auto* ramp = new QHBoxLayout;
  m_rampFollows = new QCheckBox(tr("opacity ramp = window/level"), page);
  m_rampFollows->setObjectName("rampFollows");
  m_rampFollows->setChecked(true);
  const auto number = [page](const QString& prefix, const QString& name, int decimals) {
    auto* spin = new QDoubleSpinBox(page);
    spin->setObjectName(name);
    spin->setPrefix(prefix);
    spin->setRange(-1e9, 1e9);
    spin->setDecimals(decimals);
    spin->setKeyboardTracking(false);
    compactWidth(spin, decimals + 2);
    return spin;
  };
  m_rampLow = number(tr("transparent below "), "rampLow", 5);
  m_rampHigh = number(tr("opaque above "), "rampHigh", 5);
  m_rampOpacity = number(tr("opacity "), "rampOpacity", 2);
  m_rampOpacity->setRange(0.0, 1.0);
  m_rampOpacity->setSingleStep(0.05);
  m_rampOpacity->setValue(m_volumeView->maximumOpacity());
  m_rampOpacity->setToolTip(tr("The opacity of values at and above the ramp's high end"));
  ramp->addWidget(m_rampFollows);
  ramp->addWidget(m_rampLow);
  ramp->addWidget(m_rampHigh);
  ramp->addWidget(m_rampOpacity);
  ramp->addStretch(1);
  box->addLayout(ramp);
  const auto rampEdited = [this] {
    m_rampFollows->setChecked(false);
    m_volumeView->setRamp(m_rampLow->value(), m_rampHigh->value(), m_rampOpacity->value());
  };
  connect(m_rampLow, &QDoubleSpinBox::valueChanged, this, rampEdited);
  connect(m_rampHigh, &QDoubleSpinBox::valueChanged, this, rampEdited);
  connect(m_rampOpacity, &QDoubleSpinBox::valueChanged, this, [this](double opacity) {
    const bool follows = m_rampFollows->isChecked();
    m_volumeView->setRamp(m_volumeView->rampLow(), m_volumeView->rampHigh(), opacity);
    m_volumeView->setFollowWindowLevel(follows);
  });
  connect(m_rampFollows, &QCheckBox::toggled, this, [this](bool follow) {
    m_volumeView->setFollowWindowLevel(follow);
    if (follow) m_volumeView->setWindowLevel(m_windowSpin->value(), m_levelSpin->value());
  });
  connect(m_volumeView, &VolumeView::rampChanged, this, [this](double low, double high, double) {
    const QSignalBlocker quietLow(m_rampLow), quietHigh(m_rampHigh);
    m_rampLow->setValue(low);
    m_rampHigh->setValue(high);
  });
  return page;
}

ViewLayout MainWindow::viewLayout() const { return ViewLayout(m_layouts->currentIndex()); }

void MainWindow::setViewLayout(ViewLayout layout) {
  m_layouts->setCurrentIndex(int(layout));
  if (QAction* action = m_layoutActions[std::size_t(layout)]; action && !action->isChecked())
    action->setChecked(true);
  refreshImages();
}

void MainWindow::connectMeasuringTools() {
  // The values under the pointer and the line profile's picks, on either slice view.
  for (SliceView* view : {m_before, m_after}) {
    connect(view, &SliceView::pointerMoved, this, [this](ImagePoint p) {
      m_pointer = p;
      showValuesUnderPointer();
      if (m_profileStart) setProfileLine(ProfileLine{*m_profileStart, p});  // follows the pointer
    });
    connect(view, &SliceView::pointerLeftImage, this, [this] {
      m_pointer.reset();
      showValuesUnderPointer();
    });
    connect(view, &SliceView::pointPicked, this, [this, view](ImagePoint p) {
      if (m_regionAction->isChecked()) {
        if (view == m_before) pickRegionPoint(p, false);
      } else {
        pickProfilePoint(p);
      }
    });
  }
  connect(m_cut, &SliceView::pointPicked, this, [this](ImagePoint p) {
    if (m_regionAction->isChecked()) pickRegionPoint(p, true);
  });
}

void MainWindow::setDrawingRegion(bool drawing) {
  if (m_regionAction->isChecked() != drawing) {
    m_regionAction->setChecked(drawing);  // comes back here through the action's signal
    return;
  }
  m_regionStart.reset();
  if (drawing && m_profile->drawing()) m_profile->setDrawing(false);
  for (SliceView* view : {m_before, m_cut}) view->setPickingPoints(drawing || m_profile->drawing());
  m_after->setPickingPoints(m_profile->drawing());
  if (drawing)
    appendLog(tr("region of interest: click two opposite corners on the before view (the "
                 "columns that reconstruct them, the rows in force) or on the vertical cut "
                 "(rows and columns)"));
}

void MainWindow::pickRegionPoint(ImagePoint point, bool onCut) {
  if (!m_snapshot) return;
  if (!m_regionStart || m_regionStart->second != onCut) {
    m_regionStart = std::pair{point, onCut};
    return;
  }
  const Snapshot& s = *m_snapshot;
  const ImagePoint a = m_regionStart->first, b = point;
  m_regionStart.reset();
  setDrawingRegion(false);
  if (s.detectorColumns <= 0) {
    showMessage(tr("No region of interest for an opened file: it applies to a running session"));
    return;
  }
  const int n = s.volume->gridSize(), slices = s.volume->slices();
  // Grid pixels are centred on the axis; the cut's x is the grid's x, its rows the slices.
  double y0 = 0, y1 = n - 1;
  int firstRow = s.firstRow, endRow = s.firstRow + slices;
  if (onCut) {
    const int z0 = std::clamp(int(std::lround(std::min(a.y, b.y))), 0, slices - 1);
    const int z1 = std::clamp(int(std::lround(std::max(a.y, b.y))), 0, slices - 1);
    firstRow = s.firstRow + z0, endRow = s.firstRow + z1 + 1;
    const double row = std::clamp(m_cutRow->value(), 0, n - 1);
    y0 = y1 = row;
  } else {
    y0 = std::min(a.y, b.y), y1 = std::max(a.y, b.y);
  }
  const Region r = regionAround(std::min(a.x, b.x), y0, std::max(a.x, b.x), y1, n,
                                s.metrics.centre, s.detectorColumns, firstRow, endRow);
  appendLog(tr("region of interest asked for: %1 (from the next update)")
                .arg(QString::fromStdString(describe(r))));
  m_controller->setRegion(r);
}

void MainWindow::clearRegion() {
  setDrawingRegion(false);
  appendLog(tr("region of interest: back to the whole selection (from the next update)"));
  m_controller->setRegion(std::nullopt);
}

void MainWindow::fitDocksToWidth(int width) {
  auto* steering = findChild<QDockWidget*>("steeringDock");
  QList<QDockWidget*> right;  // tabbed together, the rates in front
  for (const char* name : {"chartsDock", "profileDock", "histogramDock", "sinogramDock"})
    right.append(findChild<QDockWidget*>(name));
  if (docksShareTheLeftColumn()) {
    for (QDockWidget* dock : right) addDockWidget(Qt::RightDockWidgetArea, dock);
    for (qsizetype i = 1; i < right.size(); ++i) tabifyDockWidget(right[0], right[i]);
    right[0]->raise();
    layout()->activate();  // the minimum width with them on the right
  }
  if (minimumSizeHint().width() <= width) return;
  for (QDockWidget* dock : right) tabifyDockWidget(steering, dock);
  steering->raise();
}

bool MainWindow::docksShareTheLeftColumn() const {
  return dockWidgetArea(findChild<QDockWidget*>("chartsDock")) == Qt::LeftDockWidgetArea;
}

void MainWindow::buildDocks() {
  m_panel = new SteeringPanel(this);
  auto* steering = new QDockWidget(tr("Steering"), this);
  steering->setObjectName("steeringDock");
  // On a short screen the panel scrolls rather than squeezing its wrapped lines (the settings in
  // force, the auto-steering's reason, the advice) into fewer lines than their text needs.
  auto* scroll = new QScrollArea(steering);
  scroll->setObjectName("steeringScroll");
  scroll->setWidget(m_panel);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setMinimumWidth(m_panel->sizeHint().width() +
                          scroll->verticalScrollBar()->sizeHint().width());
  steering->setWidget(scroll);
  addDockWidget(Qt::LeftDockWidgetArea, steering);

  // The right-hand docks, tabbed: rates, line profile, histogram.
  const auto rightDock = [this](const QString& title, const char* name, QWidget* widget) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(name);
    dock->setWidget(widget);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    return dock;
  };
  m_charts = new RateCharts(this);
  auto* charts = rightDock(tr("Rates"), "chartsDock", m_charts);
  m_profile = new ProfilePanel(this);
  auto* profile = rightDock(tr("Line profile"), "profileDock", m_profile);
  tabifyDockWidget(charts, profile);
  m_histogram = new HistogramPanel(this);
  auto* histogram = rightDock(tr("Histogram"), "histogramDock", m_histogram);
  tabifyDockWidget(profile, histogram);
  m_sinogram = new SinogramPanel(this);
  tabifyDockWidget(histogram, rightDock(tr("Sinogram"), "sinogramDock", m_sinogram));
  connect(m_sinogram, &SinogramPanel::centreRequested, this, [this](double column) {
    appendLog(tr("centre set on the sinogram: %1 (from the next update)").arg(column, 0, 'f', 2));
    m_panel->setManualCentre(column);
  });
  charts->raise();
  connect(m_profile, &ProfilePanel::drawingToggled, this, [this, profile](bool drawing) {
    if (m_profileStart) {  // a line begun and not finished is dropped
      m_profileStart.reset();
      setProfileLine(std::nullopt);
    }
    if (drawing && m_regionAction->isChecked()) m_regionAction->setChecked(false);
    for (SliceView* view : {m_before, m_after}) view->setPickingPoints(drawing);
    if (drawing) profile->raise();
  });
  connect(m_profile, &ProfilePanel::bandPixelsChanged, this, &MainWindow::updateProfile);

  m_log = new QPlainTextEdit(this);
  m_log->setObjectName("log");
  m_log->setReadOnly(true);
  m_log->setMaximumBlockCount(5000);
  auto* log = new QDockWidget(tr("Log"), this);
  log->setObjectName("logDock");
  log->setWidget(m_log);
  addDockWidget(Qt::BottomDockWidgetArea, log);
  resizeDocks({log}, {110}, Qt::Vertical);
  resizeDocks({steering, charts}, {300, 560}, Qt::Horizontal);

  connect(m_panel, &SteeringPanel::startRequested, this, &MainWindow::startSession);
  connect(m_panel, &SteeringPanel::pauseResumeRequested, this, &MainWindow::togglePause);
  connect(m_panel, &SteeringPanel::stopRequested, this, &MainWindow::stopAcquisition);
  connect(m_panel, &SteeringPanel::windowChanged, this, [this](int w) {
    if (m_controller->isActive() && m_controller->setWindow(w))
      appendLog(tr("W → %1 (from the next window)").arg(w));
  });
  connect(m_panel, &SteeringPanel::iterationsChanged, this, [this](int i) {
    if (!m_controller->isActive()) return;
    if (i == SteeringPanel::kAutoIterations) {
      const double target = m_panel->targetRefreshSeconds();
      if (m_controller->setAutoIterations(target))
        appendLog(tr("I → auto: the most that fit the window's arrival and %1 s (from the next "
                     "update)")
                      .arg(target));
    } else if (m_controller->setIterations(i)) {
      appendLog(tr("I → %1 (from the next window)").arg(i));
    }
  });
  connect(m_panel, &SteeringPanel::autoSteeringChanged, this, [this](std::optional<double> t) {
    if (m_controller->isActive() && m_controller->setAutoSteering(t))
      appendLog(t ? tr("auto-steering W and I, refresh ≤ %1 s (from the next update)").arg(*t)
                  : tr("auto-steering off: W and I stay as they are"));
  });
  connect(m_panel, &SteeringPanel::centreChanged, this, [this](double c) {
    if (m_controller->isActive() && m_controller->setCentre(c))
      appendLog(tr("centre → %1 (from the next window)").arg(c));
  });
}

void MainWindow::buildActions() {
  auto action = [this](const QString& text, const QKeySequence& key, auto slot) {
    auto* a = new QAction(text, this);
    a->setShortcut(key);
    connect(a, &QAction::triggered, this, slot);
    addAction(a);
    return a;
  };
  QMenu* session = menuBar()->addMenu(tr("&Session"));
  session->addAction(
      action(tr("&Start"), QKeySequence(Qt::CTRL | Qt::Key_R), [this] { startSession(); }));
  session->addAction(
      action(tr("&Pause / resume"), QKeySequence(Qt::Key_Space), [this] { togglePause(); }));
  session->addAction(action(tr("S&top acquisition"), QKeySequence(Qt::CTRL | Qt::Key_Period),
                            [this] { stopAcquisition(); }));
  session->addSeparator();
  session->addAction(action(tr("Double W"), QKeySequence(Qt::Key_Plus), [this] {
    m_panel->setWindow(std::max(1, m_panel->streamOptions().window * 2));
  }));
  session->addAction(action(tr("Halve W"), QKeySequence(Qt::Key_Minus), [this] {
    m_panel->setWindow(std::max(1, m_panel->streamOptions().window / 2));
  }));
  session->addSeparator();
  session->addAction(action(tr("&Quit"), QKeySequence::Quit, [this] { close(); }));

  QMenu* open = menuBar()->addMenu(tr("&File"));
  open->addAction(action(tr("&Open reconstruction…"), QKeySequence::Open, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open a reconstruction (/exchange/recon)"), QString(), tr("HDF5 (*.h5 *.hdf5)"));
    if (!path.isEmpty()) openReconstruction(path);
  }));
  open->addAction(action(tr("Open two reconstructions to &compare…"), QKeySequence(), [this] {
    const QString filter = tr("HDF5 (*.h5 *.hdf5)");
    const QString before = QFileDialog::getOpenFileName(
        this, tr("The reconstruction for the before view"), QString(), filter);
    if (before.isEmpty()) return;
    const QString after = QFileDialog::getOpenFileName(
        this, tr("The reconstruction for the after view"), QFileInfo(before).path(), filter);
    if (!after.isEmpty()) openReconstruction(before, after);
  }));
  QMenu* file = menuBar()->addMenu(tr("&Export"));
  file->addAction(
      action(tr("Before/after pair as &PNG…"), QKeySequence(Qt::CTRL | Qt::Key_E), [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export before/after pair"),
                                                          "tomolive-pair.png", tr("PNG (*.png)"));
        if (!path.isEmpty()) exportPairPng(path);
      }));
  file->addAction(
      action(tr("Reconstruction as &HDF5…"), QKeySequence(Qt::CTRL | Qt::Key_S), [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export reconstruction"),
                                                          "tomolive-recon.h5", tr("HDF5 (*.h5)"));
        if (!path.isEmpty()) exportReconstructionHdf5(path);
      }));
  file->addAction(action(tr("Reconstruction as 32-bit &TIFF stacks…"), QKeySequence(), [this] {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export reconstruction as TIFF stacks (the enhanced one beside it)"),
        "tomolive-recon.tif", tr("TIFF (*.tif *.tiff)"));
    if (!path.isEmpty()) exportReconstructionTiff(path);
  }));

  QMenu* view = menuBar()->addMenu(tr("&View"));
  view->addAction(
      action(tr("Next slice"), QKeySequence(Qt::Key_PageUp), [this] { setSlice(m_slice + 1); }));
  view->addAction(action(tr("Previous slice"), QKeySequence(Qt::Key_PageDown),
                         [this] { setSlice(m_slice - 1); }));
  view->addAction(action(tr("Reset zoom"), QKeySequence(Qt::CTRL | Qt::Key_0),
                         [this] { applyZoomPan(1.0, {}); }));
  view->addAction(action(tr("Draw a &line profile"), QKeySequence(Qt::Key_L),
                         [this] { m_profile->setDrawing(!m_profile->drawing()); }));
  m_regionAction = new QAction(tr("Draw a &region of interest"), this);
  m_regionAction->setObjectName("drawRegion");
  m_regionAction->setShortcut(QKeySequence(Qt::Key_R));
  m_regionAction->setCheckable(true);
  m_regionAction->setToolTip(
      tr("Two clicks on the before view or the vertical cut: only that region is reconstructed "
         "from the next update (fewer rows, a smaller grid: a faster refresh); the record keeps "
         "every pixel"));
  connect(m_regionAction, &QAction::toggled, this, &MainWindow::setDrawingRegion);
  addAction(m_regionAction);
  view->addAction(m_regionAction);
  view->addAction(action(tr("Whole selection (no region of interest)"), QKeySequence(),
                         [this] { clearRegion(); }));
  view->addSeparator();
  QMenu* layouts = view->addMenu(tr("&Layout"));
  auto* group = new QActionGroup(this);
  const std::array<QString, 3> layoutTexts = {tr("&Pair: before | after, vertical cut"),
                                              tr("&Orthogonal: XY, XZ, YZ before and after"),
                                              tr("&Volume: 3-D rendering")};
  for (ViewLayout l : {ViewLayout::Pair, ViewLayout::Ortho, ViewLayout::Volume}) {
    QAction* a = action(layoutTexts[std::size_t(l)], QKeySequence(Qt::CTRL | (Qt::Key_1 + int(l))),
                        [this, l] { setViewLayout(l); });
    a->setObjectName("layout_" + viewLayoutName(l));
    a->setCheckable(true);
    a->setChecked(l == viewLayout());
    group->addAction(a);
    layouts->addAction(a);
    m_layoutActions[std::size_t(l)] = a;
  }
  view->addSeparator();
  for (QDockWidget* dock : findChildren<QDockWidget*>()) view->addAction(dock->toggleViewAction());
}

void MainWindow::buildStatusBar() {
  auto label = [this](const QString& name) {
    auto* l = new QLabel(this);
    l->setObjectName(name);
    statusBar()->addPermanentWidget(l);
    return l;
  };
  m_pointerLabel = new QLabel(this);
  m_pointerLabel->setObjectName("pointerLabel");
  // Its text (long numbers) must never widen the window: it is cut, not the window grown.
  m_pointerLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  statusBar()->addWidget(m_pointerLabel);
  m_backendLabel = label("backendLabel");
  m_countsLabel = label("countsLabel");
  m_elapsedLabel = label("elapsedLabel");
  m_updateLabel = label("updateLabel");
  m_recordLabel = label("recordLabel");
  updateStatus();
}

void MainWindow::applyComputeBackend(ComputeBackend requested) {
  try {
    m_compute = chooseBackend(requested);
  } catch (const std::exception& e) {
    showMessage(QString::fromStdString(e.what()));
    m_compute = chooseBackend(ComputeBackend::cpu);
  }
  m_enhancer = loadEnhancer(m_options.modelPath, m_compute.backend,
                            liveMethodName(m_panel->streamOptions().method));
  const QString compute = m_compute.backend == ComputeBackend::cuda
                              ? QString::fromStdString(m_compute.description)
                              : tr("CPU: %1").arg(cpuDescription());
  m_backendLabel->setText(
      tr("%1 · %2").arg(compute, m_enhancer.denoiser ? m_enhancer.description : tr("no enhancer")));
  m_backendLabel->setToolTip(QString::fromStdString(m_compute.description) + "\n" +
                             m_enhancer.description);
  appendLog(tr("compute: %1; enhancer: %2")
                .arg(QString::fromStdString(m_compute.description), m_enhancer.description));
}

void MainWindow::connectController() {
  connect(m_controller, &SessionController::snapshotReady, this, &MainWindow::showSnapshot);
  connect(m_controller, &SessionController::metricsReady, this, [this](const UpdateMetrics& m) {
    m_charts->addMetrics(m);
    m_panel->showApplied(m);
  });
  connect(m_controller, &SessionController::logLine, this, &MainWindow::appendLog);
  connect(m_controller, &SessionController::errorMessage, this, &MainWindow::showMessage);
  connect(m_controller, &SessionController::phaseChanged, this, &MainWindow::onPhaseChanged);
  connect(m_controller, &SessionController::started, this, [this](const QString& label) {
    setWindowTitle(tr("TomoLive — %1").arg(label));
    appendLog(tr("started: %1, recording to %2").arg(label, m_controller->recordPath()));
    const auto pixelSize = m_controller->sourcePixelSizeMicrometres();
    m_profile->setSourcePixelSize(pixelSize);
    if (pixelSize) appendLog(tr("the source states a pixel size of %1 µm").arg(*pixelSize));
  });
  connect(m_controller, &SessionController::finished, this, [this](const SessionSummary& s) {
    appendLog(tr("%1: %2 frames received, %3 recorded, %4 of %5 projections reconstructed in %6 "
                 "updates%7")
                  .arg(sessionStateName(s.state))
                  .arg(s.framesReceived)
                  .arg(s.framesRecorded)
                  .arg(s.projectionsConsumed)
                  .arg(s.projectionsReceived)
                  .arg(s.updates)
                  .arg(s.stoppedEarly ? tr(" (stopped early)") : QString()));
    updateStatus();
  });
}

void MainWindow::onPhaseChanged(SessionController::Phase phase) {
  using Phase = SessionController::Phase;
  const bool active = phase == Phase::Starting || phase == Phase::Running ||
                      phase == Phase::Paused || phase == Phase::Stopping;
  m_panel->setSessionActive(active && phase != Phase::Stopping && phase != Phase::Starting,
                            phase == Phase::Paused);
  if (phase == Phase::Starting || phase == Phase::Stopping) m_panel->setSessionActive(true, false);
  updateStatus();
}

void MainWindow::startSession() {
  if (m_controller->isActive()) return;
  SourceSpec source = m_panel->sourceSpec();
  StreamOptions options = m_panel->streamOptions();
  if (options.recordPath.empty()) options.recordPath = newRecordPath().toStdString();
  // The model trained on this session's method (nn/ModelLocation.h), if it is not the one loaded.
  const QString method = liveMethodName(options.method);
  if (enhancerModelPath(m_options.modelPath, method) != m_enhancer.path) {
    m_enhancer = loadEnhancer(m_options.modelPath, m_compute.backend, method);
    appendLog(tr("enhancer for the %1 method: %2 (%3)")
                  .arg(method, m_enhancer.description, QFileInfo(m_enhancer.path).fileName()));
  }
  options.enhancer = m_enhancer.denoiser;
  options.backend = m_compute.backend;
  options.rowTeam = m_options.rowTeam;
  m_messageBar->hide();
  m_openedFile.clear();
  m_charts->clear();
  m_snapshot.reset();
  m_lastEnhanced.reset();
  m_sliceChosen = false;
  appendLog(tr("starting %1 (%2, W %3, I %4)")
                .arg(QString::fromStdString(source.uri))
                .arg(liveMethodName(options.method))
                .arg(options.window)
                .arg(options.autoIterations ? tr("auto") : QString::number(options.iterations)));
  m_controller->start(source, options);
}

void MainWindow::togglePause() {
  if (m_controller->phase() == SessionController::Phase::Running) {
    m_controller->pause();
    appendLog(tr("paused: acquisition and recording go on, no new updates"));
  } else if (m_controller->phase() == SessionController::Phase::Paused) {
    m_controller->resume();
    appendLog(tr("resumed"));
  }
}

void MainWindow::stopAcquisition() {
  if (!m_controller->isActive()) return;
  m_controller->stopAcquisition();
  appendLog(tr("stopping acquisition: pending projections still reconstruct"));
}

void MainWindow::showSnapshot(std::shared_ptr<const Snapshot> snapshot) {
  if (!snapshot || !snapshot->volume) return;
  if (snapshot->enhanced && snapshot->enhancedCount > 0) m_lastEnhanced = snapshot;
  m_snapshot = std::move(snapshot);
  const int slices = m_snapshot->volume->slices();
  const int size = m_snapshot->volume->gridSize();
  m_sliceSlider->blockSignals(true);
  m_sliceSlider->setRange(0, slices - 1);
  m_sliceSlider->blockSignals(false);
  m_cutRow->blockSignals(true);
  m_cutRow->setRange(0, size - 1);
  m_cutRow->blockSignals(false);
  if (!m_sliceChosen) {
    m_sliceChosen = true;
    m_cutRow->blockSignals(true);
    m_cutRow->setValue(size / 2);
    m_cutRow->blockSignals(false);
    setSlice(slices / 2);
  }
  m_slice = std::clamp(m_slice, 0, slices - 1);
  m_sinogram->showSinogram(m_snapshot->viewSinogram, m_snapshot->guardSlice,
                           m_snapshot->firstColumn);
  refreshImages();
  ++m_displayedUpdates;
  updateStatus();
}

void MainWindow::refreshImages() {
  if (!m_snapshot) return;
  const Snapshot& s = *m_snapshot;
  const int size = s.volume->gridSize();
  m_beforeImage = FloatImage{s.slice(m_slice), size, size};
  const FloatImage& before = m_beforeImage;
  const auto enhancedIn = [this](const Snapshot* v) {
    const int i = v ? v->enhancedIndex(m_slice) : -1;
    return v && v->enhanced && i >= 0 && i < int(v->enhancedSlices.size()) &&
           v->enhancedSlices[std::size_t(i)] != 0;
  };
  const bool enhancedHere = enhancedIn(&s);
  // While the enhancer works on this update, the previous update's enhancement of the slice.
  const Snapshot* previous = !enhancedHere && s.enhancing && enhancedIn(m_lastEnhanced.get())
                                 ? m_lastEnhanced.get()
                                 : nullptr;
  m_afterImage = enhancedHere ? sliceImage(*s.enhanced, s.enhancedIndex(m_slice))
                 : previous   ? sliceImage(*previous->enhanced, previous->enhancedIndex(m_slice))
                              : before;
  // Short name in the caption ("TomoGAN"); the backend details are in its tooltip.
  const QString name = m_enhancer.denoiser
                           ? m_enhancer.description.section(QStringLiteral(" ("), 0, 0)
                           : tr("enhanced");
  QString afterText;
  // The snapshot, not the window, says whether its session has an enhancer.
  const Snapshot* shown = enhancedHere ? &s : previous;
  if (enhancedHere)
    afterText = tr("after: %1").arg(name);
  else if (previous)
    afterText = tr("after: %1 of R %2 (R %3 in progress)")
                    .arg(name)
                    .arg(previous->metrics.update)
                    .arg(s.metrics.update);
  else if (s.enhancing)
    afterText = tr("after: not enhanced yet — showing SIRT");
  else
    afterText = tr("after: no enhancer — showing SIRT");
  // The guard's verdict (nn/EnhancementGuard.h) on what is shown: short in the caption, the
  // numbers in its tooltip.
  bool disagrees = false;
  QString guardDetail;
  if (shown && shown->metrics.enhancementWeight) {
    const UpdateMetrics& m = shown->metrics;
    const QString note = QString::fromStdString(m.enhancementNote);
    disagrees = m.enhancedResidualRatio && *m.enhancedResidualRatio > kDisagreementRatio;
    if (m.enhancedResidualRatio)
      guardDetail = tr("\nguard: residual ratio %1, weight %2 %")
                        .arg(*m.enhancedResidualRatio, 0, 'f', 2)
                        .arg(int(std::lround(100 * *m.enhancementWeight)));
    if (m.enhancementHeldOutWeight)
      guardDetail += tr(", held-out projections support %1 %")
                         .arg(int(std::lround(100 * *m.enhancementHeldOutWeight)));
    if (*m.enhancementWeight <= 0.0)
      afterText = tr("after: SIRT (%1 off: %2)").arg(name, note);
    else if (*m.enhancementWeight < 0.995)
      afterText +=
          tr(" — faded to %1 % (%2)").arg(int(std::lround(100 * *m.enhancementWeight))).arg(note);
  }
  m_afterCaption->setToolTip(m_enhancer.description + guardDetail);
  const bool differenceMode = m_modeBox->currentIndex() == 1;
  const FloatImage differenceImage =
      differenceMode ? difference(enhancedHere ? m_afterImage : before, before) : FloatImage{};
  const FloatImage& after = differenceMode ? differenceImage : m_afterImage;
  if (differenceMode) {
    afterText = enhancedHere ? tr("difference: enhanced − SIRT")
                             : tr("difference: nothing enhanced yet (zero)");
  }
  if (!m_openedFile.isEmpty() && !differenceMode)
    afterText = enhancedHere ? tr("after: %1").arg(m_openedAfter)
                             : tr("after: %1 has no /exchange/recon_enhanced — showing "
                                  "/exchange/recon")
                                   .arg(m_openedFile);
  m_afterCaption->setText(afterText);
  m_afterCaption->setStyleSheet(
      (enhancedHere || previous || differenceMode) && !disagrees
          ? "QLabel { padding: 3px; font-weight: bold; }"
          : "QLabel { padding: 3px; font-weight: bold; background: #fff3cd; color: #664d03; }");
  if (m_openedFile.isEmpty())
    m_beforeCaption->setText(tr("before: live %1, R %2, slice %3 (detector row %4)")
                                 .arg(QString::fromStdString(s.metrics.method))
                                 .arg(s.current(m_slice) ? s.metrics.update : s.volumeUpdate)
                                 .arg(m_slice)
                                 .arg(s.firstRow + m_slice));
  else
    m_beforeCaption->setText(
        tr("before: %1, /exchange/recon, slice %2").arg(m_openedFile).arg(m_slice));

  if (m_autoWindowLevel->isChecked()) {
    // One window for both views: percentiles of both images together, so an enhanced slice of
    // higher contrast does not saturate and the SIRT slice stays visible.
    std::vector<float> both(before.pixels.begin(), before.pixels.end());
    if (!differenceMode && (enhancedHere || previous))
      both.insert(both.end(), after.pixels.begin(), after.pixels.end());
    const auto [lo, hi] = robustRange(both);
    setWindowLevel(hi - lo, 0.5 * (hi + lo));
  }
  m_before->setImage(before);
  if (differenceMode) {
    std::vector<float> magnitude(after.pixels.size());
    std::transform(after.pixels.begin(), after.pixels.end(), magnitude.begin(),
                   [](float v) { return std::abs(v); });
    const double spread = std::max(1e-6, robustRange(magnitude, 0.0, 0.99).second);
    m_after->setColormap(Colormap::Diverging);
    m_after->setWindowLevel(2.0 * spread, 0.0);
  } else {
    m_after->setColormap(colormapFromName(m_colormapBox->currentText()));
    m_after->setWindowLevel(m_before->window(), m_before->level());
  }
  m_after->setImage(after);
  m_histogram->showImages(before, enhancedHere || previous ? m_afterImage : FloatImage{});

  const int row = std::clamp(m_cutRow->value(), 0, s.volume->gridSize() - 1);
  const FloatImage cut = verticalCut(*s.volume, row);
  // Slices are few next to the grid size: stretch them so the cut stays legible.
  const double stretch = std::max(1.0, std::floor(double(cut.width) / (4.0 * cut.height)));
  m_cut->setImage(cut, stretch);
  // Large volumes are read back whole only every few updates (docs/streaming.md).
  const QString age = s.viewVolume ? tr(", whole volume of R %1").arg(s.volumeUpdate) : QString();
  m_cutCaption->setText(tr("vertical cut through image row %1 of all %2 slices (SIRT; rows ×%3%4)")
                            .arg(row)
                            .arg(cut.height)
                            .arg(stretch)
                            .arg(age));
  // The other layouts' views are fed only while they are shown (setViewLayout refreshes).
  if (viewLayout() == ViewLayout::Ortho) {
    const int n = s.volume->gridSize();
    m_ortho->setCrosshair({m_crosshairX < 0 ? n / 2 : std::min(m_crosshairX, n - 1), row, m_slice});
    m_ortho->showSnapshot(m_snapshot, before, m_afterImage);
  } else if (viewLayout() == ViewLayout::Volume) {
    m_volumeView->setVolume(*s.volume);
    const auto d = m_volumeView->dimensions();
    const QString what = m_openedFile.isEmpty()
                             ? tr("R %1 (SIRT)").arg(s.viewVolume ? s.volumeUpdate : s.metrics.update)
                             : m_openedFile;
    m_volumeCaption->setText(
        tr("3-D: all %1 slices of %2, %3 × %4 pixels per slice shown%5%6")
            .arg(d[2])
            .arg(what)
            .arg(d[0])
            .arg(d[1])
            .arg(m_volumeView->renderMode().isEmpty() ? QString()
                                                      : QStringLiteral(" · ") +
                                                            m_volumeView->renderMode())
            .arg(tr(" · left drag rotates, wheel zooms")));
  }
  updateProfile();
  showValuesUnderPointer();
}

void MainWindow::setProfileLine(const std::optional<ProfileLine>& line) {
  m_profileLine = line;
  updateProfile();
}

void MainWindow::pickProfilePoint(ImagePoint point) {
  if (m_profileStart) {
    setProfileLine(ProfileLine{*m_profileStart, point});
    m_profileStart.reset();
  } else {
    m_profileStart = point;
    setProfileLine(ProfileLine{point, point});
  }
}

void MainWindow::updateProfile() {
  const int band = m_profile->bandPixels();
  for (SliceView* view : {m_before, m_after}) view->setMarkedLine(m_profileLine, band);
  if (!m_profileLine) {
    m_profile->clear();
    return;
  }
  // At most a few thousand bilinear samples: cheap enough for the GUI thread at every update.
  m_profile->showProfiles(sampleProfile(m_beforeImage, *m_profileLine, band),
                          sampleProfile(m_afterImage, *m_profileLine, band),
                          m_profileLine->lengthPixels());
}

void MainWindow::showValuesUnderPointer() {
  const auto valueAt = [](const FloatImage& image, int column, int row) {
    return column < image.width && row < image.height
               ? double(image.pixels[std::size_t(row) * image.width + column])
               : std::numeric_limits<double>::quiet_NaN();
  };
  if (!m_pointer || m_beforeImage.empty()) {
    m_pointerLabel->clear();
    return;
  }
  // The pixel whose square the pointer is in.
  const int column = std::clamp(int(std::lround(m_pointer->x)), 0, m_beforeImage.width - 1);
  const int row = std::clamp(int(std::lround(m_pointer->y)), 0, m_beforeImage.height - 1);
  m_pointerLabel->setText(tr("slice %1 · x %2, y %3 · before %4 · after %5")
                              .arg(m_slice)
                              .arg(column)
                              .arg(row)
                              .arg(valueAt(m_beforeImage, column, row), 0, 'g', 5)
                              .arg(valueAt(m_afterImage, column, row), 0, 'g', 5));
}

void MainWindow::setSlice(int slice) {
  const int slices = m_snapshot ? m_snapshot->volume->slices() : 1;
  slice = std::clamp(slice, 0, slices - 1);
  m_sliceChosen = m_sliceChosen || m_snapshot != nullptr;
  const bool changed = slice != m_slice;
  m_slice = slice;
  m_sliceSlider->blockSignals(true);
  m_sliceSlider->setValue(slice);
  m_sliceSlider->blockSignals(false);
  m_sliceLabel->setText(tr("slice %1/%2").arg(slice).arg(slices));
  if (changed) {
    std::vector<int> view{slice};
    if (slice > 0) view.push_back(slice - 1);
    if (slice + 1 < slices) view.push_back(slice + 1);
    m_controller->setViewSlices(std::move(view));
    refreshImages();
  }
}

void MainWindow::setColormap(Colormap map) {
  const QString name = colormapName(map);
  if (m_colormapBox->currentText() != name) {
    m_colormapBox->setCurrentText(name);  // comes back here through the combo's signal
    return;
  }
  m_before->setColormap(map);
  m_cut->setColormap(map);
  m_ortho->setColormap(map);
  m_volumeView->setColormap(map);
  m_sinogram->setColormap(map);
  if (m_modeBox->currentIndex() == 0) m_after->setColormap(map);
}

void MainWindow::setWindowLevel(double window, double level) {
  for (QDoubleSpinBox* box : {m_windowSpin, m_levelSpin}) box->blockSignals(true);
  m_windowSpin->setValue(window);
  m_levelSpin->setValue(level);
  for (QDoubleSpinBox* box : {m_windowSpin, m_levelSpin}) box->blockSignals(false);
  m_before->setWindowLevel(window, level);
  m_cut->setWindowLevel(window, level);
  m_histogram->setWindowLevel(window, level);
  m_ortho->setWindowLevel(window, level);
  m_volumeView->setWindowLevel(window, level);
  if (m_modeBox->currentIndex() == 0) m_after->setWindowLevel(window, level);
}

void MainWindow::setAutoWindowLevel(bool automatic) {
  if (m_autoWindowLevel->isChecked() != automatic) m_autoWindowLevel->setChecked(automatic);
  if (automatic) refreshImages();
}

void MainWindow::applyZoomPan(double zoom, QPointF pan) {
  m_before->setZoomPan(zoom, pan);
  m_after->setZoomPan(zoom, pan);
}

void MainWindow::updateStatus() {
  const SessionSummary s = m_controller->summary();
  m_countsLabel->setText(tr("projections received %1 · consumed %2")
                             .arg(s.projectionsReceived)
                             .arg(s.projectionsConsumed));
  m_elapsedLabel->setText(tr("elapsed %1").arg(elapsedText(s.elapsedSeconds)));
  m_updateLabel->setText(tr("R %1").arg(m_snapshot ? m_snapshot->metrics.update : 0));
  const QString record = m_controller->recordPath();
  QString text =
      record.isEmpty() ? tr("not recording") : tr("recording %1").arg(QFileInfo(record).fileName());
  QString tip = record;
  // The recorder's problems stay in view (docs/streaming.md, "Recording: a slow disk, a full
  // disk").
  if (!s.record.stopped.empty()) {
    text = tr("RECORDING STOPPED: %1").arg(QFileInfo(record).fileName());
    tip += "\n" + QString::fromStdString(s.record.stopped);
  } else if (!s.record.warning.empty()) {
    tip += "\n" + QString::fromStdString(s.record.warning);
  }
  if (s.record.dropped > 0)
    text += tr(" · %1 frames missing (disk too slow)").arg(s.record.dropped);
  m_recordLabel->setText(text);
  m_recordLabel->setToolTip(tip);
}

bool MainWindow::openReconstruction(const QString& path, const QString& comparePath) {
  const QString what = comparePath.isEmpty() ? path : tr("%1 beside %2").arg(path, comparePath);
  if (m_controller->isActive()) {
    showMessage(tr("Cannot open %1 while a session runs: its next update would replace the "
                   "file's images. Stop the acquisition first.")
                    .arg(what));
    return false;
  }
  try {
    const std::string file = path.toStdString();
    const Reconstruction recon = readReconstruction(file);
    // After: the other file's reconstruction, else this file's enhancement where it has one.
    const std::string afterFile = comparePath.isEmpty() ? file : comparePath.toStdString();
    const std::string afterDataset =
        comparePath.isEmpty() ? "/exchange/recon_enhanced" : "/exchange/recon";
    const std::optional<Reconstruction> after =
        comparePath.isEmpty() ? readReconstructionIfPresent(file, afterDataset)
                              : std::optional(readReconstruction(afterFile));
    if (after && (after->slices != recon.slices || after->size != recon.size))
      throw std::invalid_argument(afterFile + ": " + afterDataset + " is " +
                                  std::to_string(after->slices) + " × " +
                                  std::to_string(after->size) + "², " + file +
                                  ": /exchange/recon " + std::to_string(recon.slices) + " × " +
                                  std::to_string(recon.size) + "²");
    // Non-finite values would spoil the window/level and the profile: shown as 0, and said.
    std::size_t nonFinite = 0;
    const auto finite = [&nonFinite](std::vector<float> v) {
      for (float& x : v)
        if (!std::isfinite(x)) x = 0.0f, ++nonFinite;
      return v;
    };
    auto s = std::make_shared<Snapshot>();
    s->volume = std::make_shared<const VolumeStack>(
        VolumeStack::fromSliceMajor(finite(recon.volume), recon.slices, recon.size));
    if (after) {
      s->enhanced = std::make_shared<const VolumeStack>(
          VolumeStack::fromSliceMajor(finite(after->volume), recon.slices, recon.size));
      s->enhancedSlices.assign(std::size_t(recon.slices), 1);
      s->enhancedCount = recon.slices;
    }
    s->metrics.method = "file";
    m_openedFile = QFileInfo(path).fileName();
    m_openedAfter = after ? tr("%1, %2")
                                .arg(QFileInfo(QString::fromStdString(afterFile)).fileName(),
                                     QString::fromStdString(afterDataset))
                          : QString();
    m_lastEnhanced.reset();
    m_sliceChosen = false;
    m_messageBar->hide();
    showSnapshot(s);
    appendLog(tr("opened %1: %2 slices of %3 × %3%4")
                  .arg(path)
                  .arg(recon.slices)
                  .arg(recon.size)
                  .arg(after ? tr("; after: %1").arg(m_openedAfter) : QString()));
    if (nonFinite > 0)
      showMessage(tr("%1: %2 values are not finite (NaN or infinite); they are shown as 0")
                      .arg(what)
                      .arg(nonFinite));
    return true;
  } catch (const std::exception& e) {
    showMessage(tr("Cannot open %1: %2").arg(what, QString::fromStdString(e.what())));
    return false;
  }
}

void MainWindow::showMessage(const QString& text) {
  m_messageText->setText(text);
  m_messageBar->show();
  appendLog(tr("error: %1").arg(text));
}

QString MainWindow::currentMessage() const {
  return m_messageBar->isHidden() ? QString() : m_messageText->text();
}

QString MainWindow::afterCaption() const { return m_afterCaption->text(); }

void MainWindow::appendLog(const QString& line) {
  const QString stamped = QDateTime::currentDateTime().toString("hh:mm:ss ") + line;
  m_log->appendPlainText(stamped);
  // Under mpirun the terminal shows every rank's messages: the console's log goes there too.
  if (m_options.rowTeam) std::fprintf(stderr, "tomolive: %s\n", qPrintable(stamped));
}

QString MainWindow::recordingsFolder() const {
  return m_options.recordingsFolder.isEmpty()
             ? QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) +
                   "/recordings"
             : m_options.recordingsFolder;
}

void MainWindow::offerRecovery() {
  // A file written to in the last minute may belong to a session still recording (another
  // console, the CLI): its writer flushes at least every few seconds, so it is left alone.
  constexpr int kQuietSeconds = 60;
  const QDir folder(recordingsFolder());
  const QDateTime quietSince = QDateTime::currentDateTime().addSecs(-kQuietSeconds);
  m_interrupted.clear();
  for (const QFileInfo& file : folder.entryInfoList({"*.h5"}, QDir::Files, QDir::Name))
    if (file.lastModified() < quietSince &&
        isUnfinishedRecording(file.absoluteFilePath().toStdString()))
      m_interrupted << file.absoluteFilePath();
  if (m_interrupted.isEmpty()) return;
  m_recoveryText->setText(
      tr("%n interrupted recording(s) in %1: a session ended without closing its file. Recover "
         "to make every flushed frame readable (replay, recon, export).",
         nullptr, int(m_interrupted.size()))
          .arg(folder.absolutePath()));
  m_recoveryText->setToolTip(m_interrupted.join("\n"));
  m_recoverButton->show();
  m_recoveryBar->show();
  appendLog(tr("found %n interrupted recording(s): %1", nullptr, int(m_interrupted.size()))
                .arg(m_interrupted.join(", ")));
}

void MainWindow::recoverInterruptedRecordings() {
  int recovered = 0;
  for (const QString& path : m_interrupted) {
    try {
      const RecoveredRecording r = recoverRecording(path.toStdString());
      appendLog(tr("recovered %1: %2 projections, %3 flats, %4 darks%5")
                    .arg(path)
                    .arg(r.kept.projections)
                    .arg(r.kept.flats)
                    .arg(r.kept.darks)
                    .arg(r.lostFrames ? tr(" (%1 frames cut off and left out)").arg(r.lostFrames)
                                      : QString()));
      ++recovered;
    } catch (const std::exception& e) {
      appendLog(tr("could not recover %1: %2").arg(path, QString::fromStdString(e.what())));
    }
  }
  m_recoveryText->setText(tr("Recovered %1 of %n interrupted recording(s); details in the log.",
                             nullptr, int(m_interrupted.size()))
                              .arg(recovered));
  m_recoverButton->hide();
  m_interrupted.clear();
}

QString MainWindow::newRecordPath() const {
  const QString folder = recordingsFolder();
  QDir().mkpath(folder);
  const QString stamp = QDateTime::currentDateTime().toString("yyyyMMdd-hhmmss-zzz");
  return folder + "/record-" + stamp + ".h5";
}

QImage MainWindow::screenshot() {
  updateStatus();  // the status bar refreshes twice a second: not a stale one in the picture
  QImage image = grab().toImage();
  QPainter painter(&image);
  for (VtkView* view : findChildren<VtkView*>())
    if (view->isVisible())
      painter.drawImage(view->mapTo(this, QPoint(0, 0)), view->grabFramebuffer());
  return image;
}

bool MainWindow::exportPairPng(const QString& path) {
  const QImage pair = sideBySide(m_before->grabFramebuffer(), m_after->grabFramebuffer(),
                                 m_beforeCaption->text(), m_afterCaption->text());
  if (!pair.save(path, "PNG")) {
    showMessage(tr("%1: cannot write the PNG").arg(path));
    return false;
  }
  appendLog(tr("exported the before/after pair to %1").arg(path));
  return true;
}

bool MainWindow::exportReconstructionHdf5(const QString& path) {
  if (!m_snapshot) {
    showMessage(tr("Nothing to export yet: no reconstruction has arrived"));
    return false;
  }
  try {
    exportReconstruction(*m_snapshot, path, m_controller->sourceLabel());
  } catch (const std::exception& e) {
    showMessage(QString::fromStdString(e.what()));
    return false;
  }
  appendLog(tr("exported reconstruction R %1 to %2").arg(m_snapshot->metrics.update).arg(path));
  return true;
}

bool MainWindow::exportReconstructionTiff(const QString& path) {
  if (!m_snapshot) {
    showMessage(tr("Nothing to export yet: no reconstruction has arrived"));
    return false;
  }
  try {
    const bool enhanced = exportTiffStacks(*m_snapshot, path, m_controller->sourceLabel());
    appendLog(tr("exported reconstruction R %1 as TIFF stack %2%3")
                  .arg(m_snapshot->metrics.update)
                  .arg(path)
                  .arg(enhanced ? tr(" and its enhancement as %1").arg(enhancedTiffPath(path))
                                : QString()));
  } catch (const std::exception& e) {
    showMessage(QString::fromStdString(e.what()));
    return false;
  }
  return true;
}

void MainWindow::closeEvent(QCloseEvent* event) {
  saveSettings();
  m_controller->stopAcquisition();
  QMainWindow::closeEvent(event);
}

void MainWindow::saveSettings() const {
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  settings.setValue("view/colormap", m_colormapBox->currentText());
  settings.setValue("view/compareMode", m_modeBox->currentIndex());
  settings.setValue("view/layout", viewLayoutName(viewLayout()));
  m_panel->saveSettings(settings);
  m_profile->saveSettings(settings);
}

void MainWindow::restoreSettings() {
  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  restoreState(settings.value("window/state").toByteArray());
  const QString map = settings.value("view/colormap", "grey").toString();
  if (colormapNames().contains(map)) m_colormapBox->setCurrentText(map);
  m_modeBox->setCurrentIndex(std::clamp(settings.value("view/compareMode", 0).toInt(), 0, 1));
  setViewLayout(viewLayoutFromName(settings.value("view/layout").toString())
                    .value_or(ViewLayout::Pair));
  m_panel->restoreSettings(settings);
  m_profile->restoreSettings(settings);
}

}  // namespace tomolive::ui
