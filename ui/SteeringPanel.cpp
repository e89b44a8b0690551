#include "SteeringPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "sources/DetectorProtocol.h"

namespace tomolive::ui {

namespace {

QSpinBox* spin(int lo, int hi, int value, const QString& name, QWidget* parent) {
  auto* s = new QSpinBox(parent);
  s->setRange(lo, hi);
  s->setValue(value);
  s->setObjectName(name);
  s->setKeyboardTracking(false);  // apply on Enter or focus out, not on every digit
  return s;
}

QDoubleSpinBox* rate(double value, const QString& name, QWidget* parent) {
  auto* s = new QDoubleSpinBox(parent);
  s->setRange(0.0, 100000.0);
  s->setDecimals(1);
  s->setValue(value);
  s->setSuffix(QObject::tr(" frames/s"));
  s->setSpecialValueText(QObject::tr("as fast as possible"));
  s->setObjectName(name);
  return s;
}

}  // namespace

SourceSpec defaultSimulatedScan() {
  SourceSpec spec;
  spec.uri = "sim:glass";
  spec.size = 256;
  spec.rows = 16;
  spec.projections = 1200;
  spec.framesPerSecond = 20.0;
  return spec;
}

SteeringPanel::SteeringPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);

  auto* sourceBox = new QGroupBox(tr("Source"), this);
  auto* sourceLayout = new QVBoxLayout(sourceBox);
  m_sourceKind = new QComboBox(sourceBox);
  m_sourceKind->setObjectName("sourceKind");
  m_sourceKind->addItems({tr("Simulator"), tr("File replay"), tr("Network detector")});
  sourceLayout->addWidget(m_sourceKind);
  m_sourcePages = new QStackedWidget(sourceBox);
  sourceLayout->addWidget(m_sourcePages);
  // While a session runs the source cannot change: two lines say what streams, and the rows
  // this frees (with those of the method, record and compute) keep the stop advice in view on
  // a 768-pixel screen.
  m_sourceSummary = new QLabel(sourceBox);
  m_sourceSummary->setObjectName("sourceSummary");
  m_sourceSummary->setWordWrap(true);
  m_sourceSummary->setToolTip(tr("Fixed while the acquisition runs; stop it to change the source"));
  sourceLayout->addWidget(m_sourceSummary);

  auto* simPage = new QWidget(m_sourcePages);
  auto* simForm = new QFormLayout(simPage);
  simForm->setContentsMargins(0, 0, 0, 0);
  m_phantom = new QComboBox(simPage);
  m_phantom->setObjectName("phantom");
  m_phantom->addItems({"glass", "shale", "shepp-logan"});
  const SourceSpec scan = defaultSimulatedScan();
  m_simSize = spin(8, 8192, scan.size, "simSize", simPage);
  m_simRows = spin(1, 4096, scan.rows, "simRows", simPage);
  m_simProjections = spin(1, 1000000, scan.projections, "simProjections", simPage);
  m_simRate = rate(scan.framesPerSecond, "simRate", simPage);
  simForm->addRow(tr("Phantom"), m_phantom);
  simForm->addRow(tr("Size (N²)"), m_simSize);
  simForm->addRow(tr("Rows"), m_simRows);
  simForm->addRow(tr("Projections"), m_simProjections);
  simForm->addRow(tr("Rate"), m_simRate);
  m_sourcePages->addWidget(simPage);

  auto* filePage = new QWidget(m_sourcePages);
  auto* fileForm = new QFormLayout(filePage);
  fileForm->setContentsMargins(0, 0, 0, 0);
  auto* fileRow = new QHBoxLayout;
  m_filePath = new QLineEdit(filePage);
  m_filePath->setObjectName("filePath");
  m_filePath->setPlaceholderText(tr("scan.h5 or scan.nxs (Data Exchange, NeXus NXtomo)"));
  auto* browse = new QToolButton(filePage);
  browse->setText("…");
  connect(browse, &QToolButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Scan to replay"), m_filePath->text(), tr("HDF5 (*.h5 *.hdf5 *.nxs);;All (*)"));
    if (!path.isEmpty()) m_filePath->setText(path);
  });
  fileRow->addWidget(m_filePath);
  fileRow->addWidget(browse);
  m_fileRate = rate(kDefaultReplayFramesPerSecond, "fileRate", filePage);
  m_fileRate->setSpecialValueText(tr("lossless (as fast as reconstruction)"));
  m_fileRate->setToolTip(
      tr("A frame rate emulates a detector in real time (windows merge when "
         "reconstruction falls behind); lossless gives every update exactly W "
         "new projections"));
  m_fileOrder = new QComboBox(filePage);
  m_fileOrder->setObjectName("fileOrder");
  m_fileOrder->addItem(tr("as recorded"), "file");
  m_fileOrder->addItem(tr("interlaced, W per rotation"), "interlaced");
  m_fileOrder->setToolTip(
      tr("Interlaced replays the projections as an interlaced scan with rotations of the "
         "starting W would have recorded them: every window spread over 180°"));
  fileForm->addRow(tr("File"), fileRow);
  fileForm->addRow(tr("Rate"), m_fileRate);
  fileForm->addRow(tr("Order"), m_fileOrder);
  m_sourcePages->addWidget(filePage);

  auto* netPage = new QWidget(m_sourcePages);
  auto* netForm = new QFormLayout(netPage);
  netForm->setContentsMargins(0, 0, 0, 0);
  m_address = new QLineEdit(kDefaultDetectorAddress, netPage);
  m_address->setObjectName("address");
  netForm->addRow(tr("Address"), m_address);
  m_sourcePages->addWidget(netPage);
  // The stack is as tall as the page shown, not its tallest (the simulator's five rows): the
  // pages hidden ask for no room.
  const auto showPage = [this](int index) {
    for (int i = 0; i < m_sourcePages->count(); ++i)
      m_sourcePages->widget(i)->setSizePolicy(
          i == index ? QSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred)
                     : QSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored));
    m_sourcePages->setCurrentIndex(index);
  };
  connect(m_sourceKind, &QComboBox::currentIndexChanged, this, showPage);
  showPage(m_sourceKind->currentIndex());
  layout->addWidget(sourceBox);

  auto* steerBox = new QGroupBox(tr("Reconstruction"), this);
  auto* steerForm = new QFormLayout(steerBox);
  m_reconstructionForm = steerForm;
  m_method = new QComboBox(steerBox);
  m_method->setObjectName("method");
  m_method->addItem(tr("Filtered SIRT-100 of all received"), int(LiveMethod::filtered));
  m_method->addItem(tr("CGLS over all received"), int(LiveMethod::cgls));
  m_method->addItem(tr("SIRT over all received"), int(LiveMethod::sirt));
  m_method->addItem(tr("Sliding window (seed)"), int(LiveMethod::window));
  m_method->setToolTip(
      tr("How each update is computed (docs/streaming.md); applies at the next Start.\n"
         "Filtered: the SIRT-100 image of every projection received so far, recomputed each "
         "update.\nSliding window: the seed's SIRT over the newest window only."));
  // W = 0 is accepted here on purpose: the engine rejects it with a message the user sees.
  m_window = spin(0, 100000, 32, "window", steerBox);
  m_window->setToolTip(tr("W: new projections per update (+/− double or halve it)"));
  m_iterations = spin(kAutoIterations, 10000, kAutoIterations, "iterations", steerBox);
  m_iterations->setSpecialValueText(tr("auto"));
  m_iterations->setToolTip(
      tr("I: iterations of the method per update; auto (the default, below 1): the most that "
         "fit both the time the window takes to arrive and the refresh target — for the "
         "filtered method each brings the image closer to SIRT-100 of everything received"));
  auto* autoRow = new QHBoxLayout;
  m_autoSteer = new QCheckBox(tr("auto, refresh ≤"), steerBox);
  m_autoSteer->setObjectName("autoSteer");
  m_autoSteer->setToolTip(
      tr("Auto-steering: W and I chosen after each update to keep up with the detector with "
         "updates of at most the target refresh time (docs/streaming.md); W or I set by hand "
         "turns it off"));
  m_targetRefresh = new QDoubleSpinBox(steerBox);
  m_targetRefresh->setObjectName("targetRefresh");
  m_targetRefresh->setRange(0.05, 600.0);
  m_targetRefresh->setDecimals(2);
  m_targetRefresh->setSuffix(tr(" s"));
  m_targetRefresh->setValue(1.0);
  m_targetRefresh->setKeyboardTracking(false);
  autoRow->addWidget(m_autoSteer);
  autoRow->addWidget(m_targetRefresh, 1);
  auto* centreRow = new QHBoxLayout;
  m_autoCentre = new QCheckBox(tr("auto"), steerBox);
  m_autoCentre->setObjectName("autoCentre");
  m_autoCentre->setChecked(true);
  m_centre = new QDoubleSpinBox(steerBox);
  m_centre->setObjectName("centre");
  m_centre->setRange(-100000.0, 100000.0);
  m_centre->setDecimals(2);
  m_centre->setValue(127.5);
  m_centre->setKeyboardTracking(false);
  m_centre->setEnabled(false);
  centreRow->addWidget(m_autoCentre);
  centreRow->addWidget(m_centre, 1);
  m_applied = new QLabel(tr("in force: —"), steerBox);
  m_applied->setObjectName("appliedLabel");
  m_applied->setWordWrap(true);
  auto* recordRow = new QHBoxLayout;
  m_recordRow = recordRow;
  m_recordPath = new QLineEdit(steerBox);
  m_recordPath->setObjectName("recordPath");
  auto* recordBrowse = new QToolButton(steerBox);
  recordBrowse->setText("…");
  connect(recordBrowse, &QToolButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Record raw frames to"),
                                                      m_recordPath->text(), tr("HDF5 (*.h5)"));
    if (!path.isEmpty()) m_recordPath->setText(path);
  });
  recordRow->addWidget(m_recordPath);
  recordRow->addWidget(recordBrowse);
  steerForm->addRow(tr("Method"), m_method);
  steerForm->addRow(tr("Window W"), m_window);
  steerForm->addRow(tr("Iterations I"), m_iterations);
  steerForm->addRow(tr("W and I"), autoRow);
  steerForm->addRow(tr("Centre"), centreRow);
  steerForm->addRow(tr("Record"), recordRow);
  m_liveQuality = new QCheckBox(tr("resolution and stop advice"), steerBox);
  m_liveQuality->setObjectName("liveQuality");
  m_liveQuality->setChecked(true);
  m_liveQuality->setToolTip(
      tr("Live quality without a ground truth: the FRC resolution of two half reconstructions, "
         "the data residual and the stop advice (docs/streaming.md). Their halves cost up to "
         "one more update's work per update (docs/performance.md); off, only the change and "
         "the residual are measured. Applies at the next Start"));
  steerForm->addRow(tr("Quality"), m_liveQuality);
  m_qualityEvery = new QSpinBox(steerBox);
  m_qualityEvery->setObjectName("qualityEvery");
  m_qualityEvery->setRange(1, 1000);
  m_qualityEvery->setPrefix(tr("every "));
  m_qualityEvery->setSuffix(tr(" updates"));
  m_qualityEvery->setSpecialValueText(tr("every update"));
  m_qualityEvery->setToolTip(
      tr("Resolution and stop advice on every k-th update only; the updates between carry the "
         "last advice (their cost divided by k). Applies at the next Start"));
  m_qualityShare = new QDoubleSpinBox(steerBox);
  m_qualityShare->setObjectName("qualityShare");
  m_qualityShare->setRange(0.0, 100.0);
  m_qualityShare->setDecimals(0);
  m_qualityShare->setSingleStep(5.0);
  m_qualityShare->setSpecialValueText(tr("any share of the work"));
  m_qualityShare->setPrefix(tr("≤ "));
  m_qualityShare->setSuffix(tr(" % of the work"));
  m_qualityShare->setToolTip(
      tr("Or by cost: an update is assessed only while the assessments so far have taken at most "
         "this share of the reconstruction's time. Applies at the next Start"));
  auto* costRow = new QWidget(steerBox);
  auto* costLayout = new QHBoxLayout(costRow);
  costLayout->setContentsMargins(0, 0, 0, 0);
  costLayout->addWidget(m_qualityEvery);
  costLayout->addWidget(m_qualityShare);
  steerForm->addRow(tr("Quality cost"), costRow);
  connect(m_liveQuality, &QCheckBox::toggled, costRow, &QWidget::setEnabled);
  m_compute = new QComboBox(steerBox);
  m_compute->setObjectName("computeBackend");
  m_compute->addItem(tr("Auto (GPU when one answers)"), int(ComputeBackend::automatic));
  m_compute->addItem(tr("CPU"), int(ComputeBackend::cpu));
  m_compute->addItem(tr("CUDA GPU"), int(ComputeBackend::cuda));
  m_compute->setToolTip(tr("Where SIRT and TomoGAN run; applies at the next Start"));
  steerForm->addRow(tr("Compute"), m_compute);
  layout->addWidget(steerBox);
  layout->addWidget(m_applied);
  connect(m_compute, &QComboBox::currentIndexChanged, this,
          [this] { emit computeBackendChanged(computeBackend()); });

  // A W or I the user sets is manual steering: it ends auto-steering (as in the engine).
  connect(m_window, &QSpinBox::valueChanged, this, [this](int w) {
    m_autoSteer->setChecked(false);
    emit windowChanged(w);
  });
  connect(m_iterations, &QSpinBox::valueChanged, this, [this](int i) {
    m_autoSteer->setChecked(false);
    emit iterationsChanged(i);
  });
  connect(m_autoSteer, &QCheckBox::toggled, this,
          [this] { emit autoSteeringChanged(autoSteering()); });
  connect(m_targetRefresh, &QDoubleSpinBox::valueChanged, this, [this] {
    if (m_autoSteer->isChecked())
      emit autoSteeringChanged(autoSteering());
    else if (m_iterations->value() == kAutoIterations)
      emit iterationsChanged(kAutoIterations);
  });
  connect(m_centre, &QDoubleSpinBox::valueChanged, this, [this](double v) {
    if (!m_autoCentre->isChecked()) emit centreChanged(v);
  });
  connect(m_autoCentre, &QCheckBox::toggled, this, [this](bool automatic) {
    m_centre->setEnabled(!automatic);
    if (!automatic) emit centreChanged(m_centre->value());
  });

  auto* buttons = new QHBoxLayout;
  m_start = new QPushButton(tr("Start"), this);
  m_start->setObjectName("startButton");
  m_start->setToolTip(tr("Start a session (Ctrl+R)"));
  m_pause = new QPushButton(tr("Pause"), this);
  m_pause->setObjectName("pauseButton");
  m_pause->setToolTip(tr("Pause or resume updates; acquisition and recording go on (Space)"));
  m_stop = new QPushButton(tr("Stop acquisition"), this);
  m_stop->setObjectName("stopButton");
  m_stop->setToolTip(tr("Stop the detector / source early; the record is finalised (Ctrl+.)"));
  buttons->addWidget(m_start);
  buttons->addWidget(m_pause);
  buttons->addWidget(m_stop);
  layout->addLayout(buttons);
  m_advice = new QLabel(this);
  m_advice->setObjectName("adviceLabel");
  m_advice->setWordWrap(true);
  m_advice->setToolTip(
      tr("Live quality without a ground truth: resolution from the Fourier ring correlation of "
         "two half reconstructions (even / odd projections), relative change of the image per "
         "update, its structural change (1 − SSIM to the last update), the SSIM the rest of the "
         "scan is expected to bring, and whether the image has stopped improving "
         "(docs/streaming.md)"));
  layout->addWidget(m_advice);
  layout->addStretch(1);
  connect(m_start, &QPushButton::clicked, this, &SteeringPanel::startRequested);
  connect(m_pause, &QPushButton::clicked, this, &SteeringPanel::pauseResumeRequested);
  connect(m_stop, &QPushButton::clicked, this, &SteeringPanel::stopRequested);
  setSessionActive(false, false);
}

SourceSpec SteeringPanel::sourceSpec() const {
  SourceSpec spec;
  spec.window = std::max(1, m_window->value());
  switch (m_sourceKind->currentIndex()) {
    case 0:
      spec.uri = "sim:" + m_phantom->currentText().toStdString();
      spec.size = m_simSize->value();
      spec.rows = m_simRows->value();
      spec.projections = m_simProjections->value();
      spec.framesPerSecond = m_simRate->value();
      break;
    case 1:
      spec.uri = "file:" + m_filePath->text().trimmed().toStdString();
      spec.framesPerSecond = m_fileRate->value();
      if (m_fileOrder->currentData().toString() == "interlaced")
        spec.order = "interlaced:" + std::to_string(spec.window);
      break;
    default:
      spec.uri = m_address->text().trimmed().toStdString();
      break;
  }
  return spec;
}

StreamOptions SteeringPanel::streamOptions() const {
  StreamOptions o;
  o.window = m_window->value();
  o.iterations = std::max(1, m_iterations->value());
  o.autoSteerTargetSeconds = autoSteering();
  if (!o.autoSteerTargetSeconds && m_iterations->value() == kAutoIterations) {
    o.autoIterations = true;
    o.autoSteerTargetSeconds = m_targetRefresh->value();
  }
  o.method = LiveMethod(m_method->currentData().toInt());
  if (!m_autoCentre->isChecked()) o.centre = m_centre->value();
  o.recordPath = m_recordPath->text().trimmed().toStdString();
  o.liveQuality = m_liveQuality->isChecked();
  o.qualityEvery = m_qualityEvery->value();
  if (m_qualityShare->value() > 0.0) o.qualityShare = m_qualityShare->value() / 100.0;
  return o;
}

void SteeringPanel::setSourceSpec(const SourceSpec& spec) {
  const QString uri = QString::fromStdString(spec.uri);
  if (uri.startsWith("sim:")) {
    m_sourceKind->setCurrentIndex(0);
    m_phantom->setCurrentText(uri.mid(4));
    m_simSize->setValue(spec.size);
    m_simRows->setValue(spec.rows);
    m_simProjections->setValue(spec.projections);
    m_simRate->setValue(spec.framesPerSecond);
  } else if (uri.startsWith("file:")) {
    m_sourceKind->setCurrentIndex(1);
    m_filePath->setText(uri.mid(5));
    m_fileRate->setValue(spec.framesPerSecond);
    m_fileOrder->setCurrentIndex(spec.order.starts_with("interlaced") ? 1 : 0);
  } else {
    m_sourceKind->setCurrentIndex(2);
    m_address->setText(uri);
  }
}

QString SteeringPanel::sourceSummary() const {
  switch (m_sourceKind->currentIndex()) {
    case 0:
      return tr("Simulator: %1 %2 × %3 rows\n%4 projections at %5")
          .arg(m_phantom->currentText(), QString::number(m_simSize->value()) + u'²',
               QString::number(m_simRows->value()), QString::number(m_simProjections->value()),
               m_simRate->text());
    case 1:
      return tr("File replay: %1\n%2, %3")
          .arg(QFileInfo(m_filePath->text().trimmed()).fileName(), m_fileRate->text(),
               m_fileOrder->currentText());
    default:
      return tr("Network detector: %1").arg(m_address->text().trimmed());
  }
}

void SteeringPanel::setWindow(int window) { m_window->setValue(window); }
void SteeringPanel::setIterations(int iterations) { m_iterations->setValue(iterations); }
double SteeringPanel::targetRefreshSeconds() const { return m_targetRefresh->value(); }
void SteeringPanel::setAutoSteering(std::optional<double> targetSeconds) {
  if (targetSeconds) m_targetRefresh->setValue(*targetSeconds);
  m_autoSteer->setChecked(targetSeconds.has_value());
}
std::optional<double> SteeringPanel::autoSteering() const {
  if (!m_autoSteer->isChecked()) return std::nullopt;
  return m_targetRefresh->value();
}
void SteeringPanel::setLiveQuality(bool on) { m_liveQuality->setChecked(on); }
void SteeringPanel::setLiveQualityCost(int every, std::optional<double> share) {
  m_qualityEvery->setValue(every);
  m_qualityShare->setValue(share ? 100.0 * *share : 0.0);
}

void SteeringPanel::setMethod(LiveMethod method) {
  m_method->setCurrentIndex(m_method->findData(int(method)));
}
void SteeringPanel::setManualCentre(double column) {
  if (m_autoCentre->isChecked()) {
    {
      const QSignalBlocker quiet(m_centre);
      m_centre->setValue(column);
    }
    m_autoCentre->setChecked(false);  // emits centreChanged with the value
  } else {
    m_centre->setValue(column);  // emits centreChanged when it changes
  }
}

void SteeringPanel::setRecordPath(const QString& path) { m_recordPath->setText(path); }
QString SteeringPanel::recordPath() const { return m_recordPath->text().trimmed(); }

ComputeBackend SteeringPanel::computeBackend() const {
  return ComputeBackend(m_compute->currentData().toInt());
}

void SteeringPanel::setComputeBackend(ComputeBackend backend) {
  m_compute->setCurrentIndex(m_compute->findData(int(backend)));
}

void SteeringPanel::setCudaUnavailable(const QString& reason) {
  auto* model = qobject_cast<QStandardItemModel*>(m_compute->model());
  QStandardItem* cuda = model->item(m_compute->findData(int(ComputeBackend::cuda)));
  cuda->setEnabled(reason.isEmpty());
  cuda->setToolTip(reason.isEmpty() ? QString() : tr("Unavailable: %1").arg(reason));
  if (!reason.isEmpty() && computeBackend() == ComputeBackend::cuda)
    setComputeBackend(ComputeBackend::automatic);
}

void SteeringPanel::setSessionActive(bool active, bool paused) {
  m_start->setEnabled(!active);
  m_sourceSummary->setText(sourceSummary());
  m_sourceSummary->setVisible(active);
  m_sourceKind->setVisible(!active);
  m_sourcePages->setVisible(!active);
  // What is fixed while a session runs is said elsewhere then: the method in the settings in
  // force, the record file and the compute device in the status bar.
  m_reconstructionForm->setRowVisible(m_method, !active);
  m_reconstructionForm->setRowVisible(m_recordRow, !active);
  m_reconstructionForm->setRowVisible(m_compute, !active);
  m_recordPath->setEnabled(!active);
  m_compute->setEnabled(!active);
  m_method->setEnabled(!active);
  m_pause->setEnabled(active);
  m_pause->setText(paused ? tr("Resume") : tr("Pause"));
  m_stop->setEnabled(active);
}

void SteeringPanel::showApplied(const UpdateMetrics& m) {
  m_applied->setText(
      tr("in force (update R %1): %2 · W %3 · I %4 · centre %5 (%6)")
          .arg(m.update)
          .arg(QString::fromStdString(m.method))
          .arg(m.window)
          .arg(m.iterations)
          .arg(m.centre, 0, 'f', 2)
          .arg(QString::fromStdString(m.centreSource)) +
      (m.region.empty() ? QString() : tr(" · region %1").arg(QString::fromStdString(m.region))) +
      (m.steeringReason.empty()
           ? QString()
           : tr("\nauto-steering: %1").arg(QString::fromStdString(m.steeringReason))));
  if (m_autoSteer->isChecked() && !m.steeringReason.empty()) {
    // showing them is no request; I chosen alone (auto) stays shown as auto
    const QSignalBlocker quietW(m_window), quietI(m_iterations);
    m_window->setValue(m.window);
    m_iterations->setValue(m.iterations);
  }
  QStringList quality;
  if (m.resolutionPixels) {
    QString resolution = tr("resolution %1 px").arg(*m.resolutionPixels, 0, 'f', 1);
    if (m.resolutionMicrometres)
      resolution += tr(" (%1 µm)").arg(*m.resolutionMicrometres, 0, 'f', 2);
    quality << resolution;
  }
  if (m.change) quality << tr("change %1 %").arg(100.0 * *m.change, 0, 'f', 1);
  if (m.structuralChange)
    quality << tr("1 − SSIM %1 %").arg(100.0 * *m.structuralChange, 0, 'f', 2);
  if (m.expectedGain) {
    QString gain = tr("gain to come %1").arg(*m.expectedGain, 0, 'f', 3);
    if (m.halvesGain) gain += tr(" (halves %1)").arg(*m.halvesGain, 0, 'f', 3);
    quality << gain;
  }
  QString advice = quality.join(QStringLiteral(" · "));
  if (!m.advice.empty())
    advice += QStringLiteral("\n") + (m.advice == "stop" ? tr("Stop now: %1")
                                      : m.scanComplete   ? tr("Scan complete: %1")
                                                         : tr("Continue: %1"))
                                         .arg(QString::fromStdString(m.adviceReason));
  m_advice->setText(advice);
  const QString style =
      m.advice == "stop" ? QStringLiteral("color: #1a7f37; font-weight: bold") : QString();
  if (m_advice->styleSheet() != style) m_advice->setStyleSheet(style);  // re-polishes: on change
  if (m_autoCentre->isChecked()) {
    const QSignalBlocker quiet(m_centre);  // showing the centre in force is no request
    m_centre->setValue(m.centre);
  }
}

void SteeringPanel::saveSettings(QSettings& s) const {
  s.beginGroup("steering");
  s.setValue("sourceKind", m_sourceKind->currentIndex());
  s.setValue("phantom", m_phantom->currentText());
  s.setValue("simSize", m_simSize->value());
  s.setValue("simRows", m_simRows->value());
  s.setValue("simProjections", m_simProjections->value());
  s.setValue("simRate", m_simRate->value());
  s.setValue("filePath", m_filePath->text());
  s.setValue("fileRate", m_fileRate->value());
  s.setValue("fileOrder", m_fileOrder->currentData());
  s.setValue("address", m_address->text());
  s.setValue("window", m_window->value());
  s.setValue("iterations", m_iterations->value());
  s.setValue("autoSteer", m_autoSteer->isChecked());
  s.setValue("targetRefresh", m_targetRefresh->value());
  s.setValue("method", liveMethodName(LiveMethod(m_method->currentData().toInt())));
  s.setValue("compute", computeBackendName(computeBackend()));
  s.setValue("liveQuality", m_liveQuality->isChecked());
  s.setValue("qualityEvery", m_qualityEvery->value());
  s.setValue("qualitySharePercent", m_qualityShare->value());
  s.endGroup();
}

void SteeringPanel::restoreSettings(const QSettings& s) {
  auto value = [&s](const char* key, const QVariant& fallback) {
    return s.value(QStringLiteral("steering/") + key, fallback);
  };
  const SourceSpec scan = defaultSimulatedScan();
  m_sourceKind->setCurrentIndex(value("sourceKind", 0).toInt());
  m_phantom->setCurrentText(value("phantom", "glass").toString());
  m_simSize->setValue(value("simSize", scan.size).toInt());
  m_simRows->setValue(value("simRows", scan.rows).toInt());
  m_simProjections->setValue(value("simProjections", scan.projections).toInt());
  m_simRate->setValue(value("simRate", scan.framesPerSecond).toDouble());
  m_filePath->setText(value("filePath", "").toString());
  m_fileRate->setValue(value("fileRate", kDefaultReplayFramesPerSecond).toDouble());
  m_fileOrder->setCurrentIndex(std::max(0, m_fileOrder->findData(value("fileOrder", "file"))));
  m_address->setText(value("address", kDefaultDetectorAddress).toString());
  m_window->setValue(std::max(1, value("window", 32).toInt()));
  m_iterations->setValue(std::max(kAutoIterations, value("iterations", kAutoIterations).toInt()));
  m_targetRefresh->setValue(value("targetRefresh", 1.0).toDouble());
  m_autoSteer->setChecked(value("autoSteer", false).toBool());
  m_liveQuality->setChecked(value("liveQuality", true).toBool());
  m_qualityEvery->setValue(std::max(1, value("qualityEvery", 1).toInt()));
  const double sharePercent = value("qualitySharePercent", 0.0).toDouble();  // 0 if unreadable
  m_qualityShare->setValue(std::isfinite(sharePercent) ? std::clamp(sharePercent, 0.0, 100.0) : 0.0);
  try {
    setMethod(parseLiveMethod(value("method", "filtered").toString().toStdString()));
  } catch (const std::invalid_argument&) {
    // an unknown saved value keeps the default
  }
  try {
    const auto item = m_compute->model()->index(
        m_compute->findData(
            int(parseComputeBackend(value("compute", "auto").toString().toStdString()))),
        0);
    if (item.flags() & Qt::ItemIsEnabled) m_compute->setCurrentIndex(item.row());
  } catch (const std::invalid_argument&) {
    // an unknown saved value keeps the default
  }
}

}  // namespace tomolive::ui
