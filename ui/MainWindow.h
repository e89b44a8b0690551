#pragma once
// The beamline console: before (streaming SIRT) | after (TomoGAN) slice views linked in zoom,
// pan, slice, window/level and colour map; a vertical cut through the volume — or, as other
// layouts (View → Layout, persisted), three orthogonal planes through a crosshair before and
// after, or the volume rendered in 3-D; live rate charts;
// the steering panel; the line profile with its ruler; the histogram; the sinogram of the slice
// in view, whose centre line can be dragged; a message bar and log for engine errors;
// a status bar with the values under the pointer, the backend, counts, elapsed time, R and the
// record file. All engine traffic goes through SessionController, so the GUI thread never waits
// on the engine.
#include <QMainWindow>
#include <QTimer>

#include <array>
#include <memory>
#include <utility>
#include <optional>

#include "Backend.h"
#include "Colormaps.h"
#include "LineProfile.h"
#include "SessionController.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFrame;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSlider;
class QSpinBox;
class QStackedWidget;

namespace tomolive::ui {

class ProfilePanel;
class RateCharts;
class SliceView;
class HistogramPanel;
class OrthoViews;
class SinogramPanel;
class SteeringPanel;
class VolumeView;

/// What the central area shows: the before/after pair with the vertical cut, three orthogonal
/// planes (XY, XZ, YZ) before and after, or the volume in 3-D.
enum class ViewLayout { Pair, Ortho, Volume };
QString viewLayoutName(ViewLayout layout);  ///< "pair", "ortho", "volume"
/// nullopt for a name that is none of them.
std::optional<ViewLayout> viewLayoutFromName(const QString& name);

struct MainWindowOptions {
  /// Overrides of the panel's (persisted) settings, e.g. from the command line.
  std::optional<SourceSpec> source;
  std::optional<int> window, iterations;
  std::optional<LiveMethod> method;
  std::optional<bool> liveQuality;  ///< resolution and stop advice (--no-quality: false)
  /// Their cost bound (--quality-every, --quality-share): every k-th update, or a share of the
  /// work (0 … 1; 0: no limit).
  std::optional<int> qualityEvery;
  std::optional<double> qualityShare;
  QString recordPath;  ///< "" : a new file in the recordings folder per session
  /// Where sessions record by default and where interrupted recordings are looked for at start
  /// ("": "recordings" in the application's data folder).
  QString recordingsFolder;
  QString modelPath;  ///< "" : the shipped TomoGAN model; "none": no enhancer
  /// Where SIRT and TomoGAN run; overrides the panel's saved choice when set.
  std::optional<ComputeBackend> backend;
  /// The pixel size for lengths when the source's file states none; overrides the saved one.
  std::optional<double> pixelSizeMicrometres;
  /// The layout; overrides the saved one when set.
  std::optional<ViewLayout> layout;
  bool restoreSettings = true;
  /// Processes that share each session's reconstruction by rows (MPI ranks started with the
  /// console under mpirun, pipeline/RowTeam.h); null: this process alone.
  std::shared_ptr<RowTeam> rowTeam;
};

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  /// The share of its screen's available width and height a window without saved geometry takes.
  static constexpr double kScreenShare = 0.85;

  explicit MainWindow(MainWindowOptions options = {}, QWidget* parent = nullptr);
  ~MainWindow() override;

  SessionController* controller() const { return m_controller; }
  SteeringPanel* steeringPanel() const { return m_panel; }
  SliceView* beforeView() const { return m_before; }
  SliceView* afterView() const { return m_after; }
  SliceView* cutView() const { return m_cut; }
  RateCharts* charts() const { return m_charts; }
  ProfilePanel* profilePanel() const { return m_profile; }
  HistogramPanel* histogramPanel() const { return m_histogram; }
  SinogramPanel* sinogramPanel() const { return m_sinogram; }
  OrthoViews* orthoViews() const { return m_ortho; }
  VolumeView* volumeView() const { return m_volumeView; }
  ViewLayout viewLayout() const;
  std::optional<ProfileLine> profileLine() const { return m_profileLine; }
  QString afterCaption() const;
  /// The message bar's text while it is shown, else "".
  QString currentMessage() const;
  int slice() const { return m_slice; }
  /// Updates shown (snapshot deliveries that changed the views).
  int displayedUpdates() const { return m_displayedUpdates; }
  std::shared_ptr<const Snapshot> displayedSnapshot() const { return m_snapshot; }
  /// Recordings in the recordings folder that a session never finalised (found at start).
  QStringList interruptedRecordings() const { return m_interrupted; }

  /// Lays the docks out for a screen `width` pixels wide (the constructor: its screen's). Where
  /// the three columns (steering, views, charts: 1556 px) do not fit, as on a 1366-pixel screen,
  /// the right-hand docks (rates, line profile, histogram, sinogram) become tabs beside the
  /// steering dock, the steering tab in front (and a window without saved geometry takes the
  /// whole screen rather than kScreenShare of it); where they fit, they go back to the right.
  void fitDocksToWidth(int width);
  /// Whether the rates dock is a tab beside the steering dock (fitDocksToWidth).
  bool docksShareTheLeftColumn() const;

  /// The whole window as on screen, VTK views included (QWidget::grab() leaves them blank).
  QImage screenshot();
  bool exportPairPng(const QString& path);
  bool exportReconstructionHdf5(const QString& path);
  /// The reconstruction as a 32-bit float TIFF stack, its enhancement beside it (ui/Export.h).
  bool exportReconstructionTiff(const QString& path);

 public slots:
  void startSession();
  void togglePause();
  void stopAcquisition();
  void setSlice(int slice);
  void setColormap(Colormap map);
  void setWindowLevel(double window, double level);
  void setAutoWindowLevel(bool automatic);
  void setViewLayout(ViewLayout layout);
  /// The line profile's line (nullopt: none), drawn on both slice views and charted.
  void setProfileLine(const std::optional<ProfileLine>& line);
  /// Shows a snapshot (what SessionController::snapshotReady delivers).
  void showSnapshot(std::shared_ptr<const tomolive::Snapshot> snapshot);
  void showMessage(const QString& text);
  /// Shows a reconstruction file in the views — /exchange/recon before, and after either
  /// `comparePath`'s /exchange/recon (two files side by side, e.g. a live result and the offline
  /// one; same shape) or, without one, the file's /exchange/recon_enhanced when it has it — as a
  /// finished session's last update would be. A file that cannot be read, volumes of different
  /// shapes, or a session running, are reported in the message bar and the log; the views keep
  /// what they showed. Returns whether the files are shown.
  bool openReconstruction(const QString& path, const QString& comparePath = {});
  /// Region of interest: the next two picks on the before view (corners of a rectangle: the
  /// detector columns that reconstruct it, the rows in force) or on the vertical cut (corners:
  /// rows and columns) set the session's region from its next update; `drawing` false cancels.
  void setDrawingRegion(bool drawing);
  /// The whole selection again (no region of interest) from the next update.
  void clearRegion();
  /// Makes every interrupted recording readable (recoverRecording), reporting each in the log.
  void recoverInterruptedRecordings();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void buildViews();
  QWidget* buildVolumePage(QWidget* parent);
  void buildDocks();
  void connectMeasuringTools();
  void buildActions();
  void buildStatusBar();
  void connectController();
  void refreshImages();
  void applyZoomPan(double zoom, QPointF pan);
  /// First pick: the line's start; second: its end (a new line each two picks).
  void pickProfilePoint(ImagePoint point);
  /// A region-drawing pick on the before view (`onCut` false) or the vertical cut.
  void pickRegionPoint(ImagePoint point, bool onCut);
  void updateProfile();
  /// The values of both images at the pixel under the pointer, in the status bar.
  void showValuesUnderPointer();
  void updateStatus();
  void onPhaseChanged(SessionController::Phase phase);
  void appendLog(const QString& line);
  QString newRecordPath() const;
  QString recordingsFolder() const;
  /// Offers to recover the recordings folder's interrupted recordings, if there are any.
  void offerRecovery();
  void saveSettings() const;
  void restoreSettings();

  MainWindowOptions m_options;
  /// Resolves the panel's compute choice and loads the enhancer on it (no session running).
  void applyComputeBackend(ComputeBackend requested);
  BackendChoice m_compute;
  EnhancerChoice m_enhancer;
  SessionController* m_controller;
  SteeringPanel* m_panel = nullptr;
  RateCharts* m_charts = nullptr;
  ProfilePanel* m_profile = nullptr;
  HistogramPanel* m_histogram = nullptr;
  SinogramPanel* m_sinogram = nullptr;
  std::optional<ProfileLine> m_profileLine;
  std::optional<ImagePoint> m_profileStart;  ///< picked, waiting for the line's end
  std::optional<ImagePoint> m_pointer;       ///< over a slice view's image
  QAction* m_regionAction = nullptr;         ///< checked while a region is being drawn
  std::optional<std::pair<ImagePoint, bool>> m_regionStart;  ///< first corner, on the cut?
  SliceView *m_before = nullptr, *m_after = nullptr, *m_cut = nullptr;
  QStackedWidget* m_layouts = nullptr;  ///< one page per ViewLayout, in its order
  OrthoViews* m_ortho = nullptr;
  int m_crosshairX = -1;  ///< the orthogonal planes' image column (−1: the middle)
  VolumeView* m_volumeView = nullptr;
  QLabel* m_volumeCaption = nullptr;
  QDoubleSpinBox *m_rampLow = nullptr, *m_rampHigh = nullptr, *m_rampOpacity = nullptr;
  QCheckBox* m_rampFollows = nullptr;
  std::array<QAction*, 3> m_layoutActions{};
  QLabel *m_beforeCaption = nullptr, *m_afterCaption = nullptr, *m_cutCaption = nullptr;
  QSlider* m_sliceSlider = nullptr;
  QLabel* m_sliceLabel = nullptr;
  QComboBox *m_colormapBox = nullptr, *m_modeBox = nullptr;
  QDoubleSpinBox *m_windowSpin = nullptr, *m_levelSpin = nullptr;
  QCheckBox* m_autoWindowLevel = nullptr;
  QSpinBox* m_cutRow = nullptr;
  QFrame* m_messageBar = nullptr;
  QLabel* m_messageText = nullptr;
  QFrame* m_recoveryBar = nullptr;
  QLabel* m_recoveryText = nullptr;
  QPushButton* m_recoverButton = nullptr;
  QStringList m_interrupted;
  QPlainTextEdit* m_log = nullptr;
  QLabel *m_pointerLabel = nullptr, *m_backendLabel = nullptr, *m_countsLabel = nullptr,
         *m_elapsedLabel = nullptr, *m_updateLabel = nullptr, *m_recordLabel = nullptr;
  QTimer m_statusTimer;

  std::shared_ptr<const Snapshot> m_snapshot;
  /// The slice images in view: the reconstruction and what the after view shows of it (the
  /// enhancement, or the reconstruction; never the difference), for the measuring tools.
  FloatImage m_beforeImage, m_afterImage;
  /// The newest snapshot version with enhanced slices: shown for a slice while the enhancer is
  /// still working on the current update, so the after view does not flicker back to SIRT.
  std::shared_ptr<const Snapshot> m_lastEnhanced;
  QString m_openedFile;   ///< the file name shown (openReconstruction), until a session starts
  QString m_openedAfter;  ///< what the after view shows of it: "file, dataset" ("" none)
  int m_slice = 0;
  bool m_sliceChosen = false;
  int m_displayedUpdates = 0;
};

}  // namespace tomolive::ui
