#pragma once
// The steering panel: which source (simulator with phantom and rate, file with replay rate,
// network detector address), the reconstruction method (applied at the next Start), W, I,
// rotation centre (automatic, with where it came from, or set by hand), W and I chosen by hand
// or by the auto-steering for a target refresh time (with why), record file, what
// computes (auto, CPU or CUDA; applied at the next Start), and Start / Pause-Resume / Stop
// acquisition with the live resolution, change and stop advice beside it. It only describes what
// the user asked for; MainWindow applies it.
#include <QWidget>
#include <optional>

#include "pipeline/StreamingSession.h"
#include "sources/SourceFactory.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLayout;
class QLineEdit;
class QPushButton;
class QSettings;
class QSpinBox;
class QStackedWidget;

namespace tomolive::ui {

/// The console's first-run source: a simulated glass scan, 256² × 16 rows, 1 200 projections at
/// 20 frames/s — one minute of streaming, long enough to try steering (docs/gui.md).
SourceSpec defaultSimulatedScan();
/// A replayed file's pace unless the user sets one.
inline constexpr double kDefaultReplayFramesPerSecond = 100.0;

class SteeringPanel : public QWidget {
  Q_OBJECT

 public:
  explicit SteeringPanel(QWidget* parent = nullptr);

  /// The source the panel describes, e.g. sim:glass at 20 frames/s.
  SourceSpec sourceSpec() const;
  /// Session options from the panel (W, I, centre, record file).
  StreamOptions streamOptions() const;
  void setSourceSpec(const SourceSpec& spec);
  /// The I field's value meaning "auto" (the default): I chosen after each update, W kept
  /// (StreamOptions::autoIterations) for updates of at most targetRefreshSeconds().
  static constexpr int kAutoIterations = 0;
  void setWindow(int window);
  /// I ≥ 1, or kAutoIterations.
  void setIterations(int iterations);
  /// The refresh target of auto-steering and of I auto (seconds).
  double targetRefreshSeconds() const;
  /// Auto-steering of W and I with updates of at most `targetSeconds` (nullopt: off).
  void setAutoSteering(std::optional<double> targetSeconds);
  std::optional<double> autoSteering() const;
  void setMethod(LiveMethod method);
  /// The live quality (FRC resolution, residual, stop advice: pipeline/LiveQuality.h) on or off
  /// for the next session; off saves its cost (up to one more update's work per update).
  void setLiveQuality(bool on);
  /// Its cost bound: halves and FRC on every `every`-th update only, or only while they have cost
  /// at most `share` (0 … 1) of the updates' time (nullopt: no limit). Applies at the next Start.
  void setLiveQualityCost(int every, std::optional<double> share);
  /// A centre set by hand (as typed in the centre field: automatic off, centreChanged emitted).
  void setManualCentre(double column);
  void setRecordPath(const QString& path);
  QString recordPath() const;
  /// The compute backend asked for (automatic, cpu or cuda).
  ComputeBackend computeBackend() const;
  void setComputeBackend(ComputeBackend backend);
  /// Disables the CUDA choice with `reason` as its tooltip ("" : enables it).
  void setCudaUnavailable(const QString& reason);

  /// Enables what makes sense in each phase (Start only when no session runs, …). While one
  /// runs, what is fixed until the next Start gives way: the source to a two-line summary, the
  /// method, record and compute rows to the settings in force and the status bar.
  void setSessionActive(bool active, bool paused);
  /// The method, W, I and centre (with its source) that produced the latest update; with an
  /// automatic centre the centre field follows it. Beside Stop acquisition: the update's
  /// resolution, change and stop advice (pipeline/LiveQuality.h). With auto-steering W and I
  /// follow the values chosen, and why they were chosen is shown.
  void showApplied(const UpdateMetrics& metrics);

  void saveSettings(QSettings& settings) const;
  void restoreSettings(const QSettings& settings);

 signals:
  void startRequested();
  void pauseResumeRequested();
  void stopRequested();
  void windowChanged(int window);
  void iterationsChanged(int iterations);
  /// Auto-steering turned on (with its target refresh) or off (nullopt).
  void autoSteeringChanged(std::optional<double> targetSeconds);
  void centreChanged(double column);
  void computeBackendChanged(ComputeBackend backend);

 private:
  /// The source in brief, e.g. "Simulator: glass 256² × 16 rows\n1200 projections at 20.0
  /// frames/s".
  QString sourceSummary() const;

  QComboBox* m_sourceKind;
  QLabel* m_sourceSummary;  ///< shown in place of the source fields while a session runs
  QComboBox* m_compute;
  QStackedWidget* m_sourcePages;
  QComboBox* m_phantom;
  QComboBox* m_fileOrder;  ///< "file" (as recorded) or "interlaced" (W per rotation)
  QSpinBox *m_simSize, *m_simRows, *m_simProjections;
  QDoubleSpinBox *m_simRate, *m_fileRate;
  QLineEdit *m_filePath, *m_address, *m_recordPath;
  QComboBox* m_method;
  QFormLayout* m_reconstructionForm;  ///< method … compute; the fixed rows hide while running
  QLayout* m_recordRow;
  QSpinBox *m_window, *m_iterations;
  QCheckBox* m_autoSteer;
  QDoubleSpinBox* m_targetRefresh;
  QCheckBox* m_autoCentre;
  QDoubleSpinBox* m_centre;
  QCheckBox* m_liveQuality;
  QSpinBox* m_qualityEvery;
  QDoubleSpinBox* m_qualityShare;  ///< percent; 0: no limit
  QLabel *m_applied, *m_advice;
  QPushButton *m_start, *m_pause, *m_stop;
};

}  // namespace tomolive::ui
