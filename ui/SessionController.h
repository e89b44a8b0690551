#pragma once
// The bridge between a StreamingSession (engine threads) and the GUI thread.
//
// The engine calls acceptSnapshot()/acceptLog() on its own threads. The controller keeps only the
// latest snapshot and posts at most one queued delivery at a time: however fast the engine
// publishes, the GUI's event queue holds at most one pending delivery, and each delivery hands
// over the newest state (older versions are dropped; their metrics are kept for the charts).
// Nothing on the GUI thread ever waits for the engine: the session is built and started on a
// worker thread (reading a replayed file or binding a recorder can take a while), steering calls
// only set atomics, and completion is noticed by polling the session's summary.
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QTimer>
#include <optional>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "pipeline/StreamingSession.h"
#include "sources/SourceFactory.h"

namespace tomolive::ui {

class SessionController : public QObject {
  Q_OBJECT

 public:
  enum class Phase { Idle, Starting, Running, Paused, Stopping, Finished, Failed };
  Q_ENUM(Phase)

  explicit SessionController(QObject* parent = nullptr);
  /// Stops acquisition and joins the session (the record file is finalised).
  ~SessionController() override;

  /// Builds the source and the session on a worker thread and starts it; reports started() or
  /// startFailed(). Ignored unless idle, finished or failed.
  void start(const SourceSpec& source, const StreamOptions& options);
  Phase phase() const { return m_phase; }
  bool isActive() const;  ///< starting, running, paused or stopping

  // Steering: applied at the engine's next window; a rejected value is reported through
  // errorMessage() and returns false.
  bool setWindow(int projections);
  bool setIterations(int iterations);
  bool setAutoSteering(std::optional<double> targetSeconds);
  bool setAutoIterations(std::optional<double> targetSeconds);
  bool setCentre(double column);
  /// A region of interest from the next update (nullopt: the whole selection); one that does not
  /// fit is reported in the log by the engine and ignored.
  void setRegion(std::optional<Region> region);
  void pause();
  void resume();
  void stopAcquisition();
  void setViewSlices(std::vector<int> slices);

  std::shared_ptr<const Snapshot> latest() const;
  SessionSummary summary() const;
  QString sourceLabel() const { return m_sourceLabel; }
  QString recordPath() const { return m_recordPath; }
  /// The detector pixel's size as the running session's source states it (a scan file's
  /// /measurement/instrument/detector/pixel_size); nullopt when it states none.
  std::optional<double> sourcePixelSizeMicrometres() const { return m_sourcePixelSize; }
  /// Time without any frame after which the user is told the source may be unreachable.
  void setNoFramesTimeout(int milliseconds) { m_noFramesTimeoutMs = milliseconds; }

  /// Engine side: thread-safe, never blocks on the GUI.
  void acceptSnapshot(std::shared_ptr<const Snapshot> snapshot);
  void acceptLog(const std::string& line);

  /// Deliveries posted to / run on the GUI thread (their difference is the queue's backlog).
  int postedDeliveries() const { return m_posted; }
  int deliveries() const { return m_delivered; }

 signals:
  void started(const QString& sourceLabel);
  void startFailed(const QString& message);
  void phaseChanged(tomolive::ui::SessionController::Phase phase);
  /// The newest snapshot; older ones published since the last delivery were skipped.
  void snapshotReady(std::shared_ptr<const tomolive::Snapshot> snapshot);
  /// Metrics of every update (none skipped), in order.
  void metricsReady(const tomolive::UpdateMetrics& metrics);
  void logLine(const QString& line);
  /// Something the user must see (rejected steering, engine error, silent source).
  void errorMessage(const QString& message);
  void finished(const tomolive::SessionSummary& summary);

 private:
  struct StartResult {
    std::shared_ptr<StreamingSession> session;
    QString error;
  };
  void onStartDone();
  void deliver();
  void poll();
  void setPhase(Phase phase);
  template <typename F>
  bool steer(F&& action);

  std::shared_ptr<StreamingSession> m_session;
  QFutureWatcher<StartResult> m_startWatcher;
  QTimer m_pollTimer;
  Phase m_phase = Phase::Idle;
  QString m_sourceLabel, m_recordPath;
  std::optional<double> m_sourcePixelSize;
  int m_noFramesTimeoutMs = 5000;
  bool m_warnedNoFrames = false;

  mutable std::mutex m_pendingMutex;
  std::shared_ptr<const Snapshot> m_pending, m_latest;
  std::vector<UpdateMetrics> m_pendingMetrics;
  int m_lastMetricsUpdate = 0;
  std::vector<std::string> m_pendingLog;
  std::atomic<bool> m_deliveryQueued{false}, m_logQueued{false};
  std::atomic<int> m_posted{0}, m_delivered{0};
};

}  // namespace tomolive::ui
