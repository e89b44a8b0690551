#include "SessionController.h"

#include <QtConcurrent/QtConcurrentRun>

#include <exception>

namespace tomolive::ui {

SessionController::SessionController(QObject* parent) : QObject(parent) {
  connect(&m_startWatcher, &QFutureWatcher<StartResult>::finished, this,
          &SessionController::onStartDone);
  m_pollTimer.setInterval(200);
  connect(&m_pollTimer, &QTimer::timeout, this, &SessionController::poll);
}

SessionController::~SessionController() {
  m_startWatcher.waitForFinished();
  if (m_startWatcher.future().resultCount() > 0 && !m_session)
    m_session = m_startWatcher.result().session;
  // The future's stored result holds the session too: drop it, so that the reset below is the
  // last owner and joins the engine's threads while the members they call into still exist.
  m_startWatcher.setFuture(QFuture<StartResult>());
  if (m_session) m_session->stopAcquisition();
  m_session.reset();  // joins the engine's threads and finalises the record
}

bool SessionController::isActive() const {
  return m_phase == Phase::Starting || m_phase == Phase::Running || m_phase == Phase::Paused ||
         m_phase == Phase::Stopping;
}

void SessionController::start(const SourceSpec& source, const StreamOptions& options) {
  if (isActive()) return;
  m_session.reset();
  {
    std::lock_guard lock(m_pendingMutex);
    m_pending.reset(), m_latest.reset();
    m_pendingMetrics.clear();
    m_lastMetricsUpdate = 0;
  }
  m_warnedNoFrames = false;
  m_recordPath = QString::fromStdString(options.recordPath);
  m_sourceLabel = QString::fromStdString(source.uri);
  m_sourcePixelSize.reset();
  setPhase(Phase::Starting);
  m_startWatcher.setFuture(QtConcurrent::run([this, source, options]() -> StartResult {
    try {
      // The simulator draws its phantom when made: a session that cannot fit is refused before.
      if (source.uri.starts_with("sim:"))
        StreamingSession::requireMemoryFor(options, source.rows, source.size, source.projections);
      auto session = std::make_shared<StreamingSession>(makeSource(source), options);
      session->onSnapshot(
          [this](std::shared_ptr<const Snapshot> s) { acceptSnapshot(std::move(s)); });
      session->onLog([this](const std::string& line) { acceptLog(line); });
      session->start();
      return {std::move(session), {}};
    } catch (const std::exception& e) {
      return {nullptr, QString::fromStdString(e.what())};
    }
  }));
}

void SessionController::onStartDone() {
  // Dropping the future below reports "finished" once more, without a result: ignore that.
  if (m_startWatcher.future().resultCount() == 0) return;
  StartResult result = m_startWatcher.result();
  m_startWatcher.setFuture(QFuture<StartResult>());  // the session has one owner: m_session
  if (!result.session) {
    setPhase(Phase::Failed);
    emit startFailed(result.error);
    emit errorMessage(tr("Could not start: %1").arg(result.error));
    return;
  }
  m_session = std::move(result.session);
  const ScanDescription scan = m_session->source().describe();
  m_sourceLabel = QString::fromStdString(scan.label);
  m_sourcePixelSize = scan.pixelSizeMicrometres;
  setPhase(Phase::Running);
  m_pollTimer.start();
  emit started(m_sourceLabel);
}

template <typename F>
bool SessionController::steer(F&& action) {
  if (!m_session) return false;
  try {
    action(*m_session);
    return true;
  } catch (const std::exception& e) {
    emit errorMessage(QString::fromStdString(e.what()));
    return false;
  }
}

bool SessionController::setWindow(int projections) {
  return steer([projections](StreamingSession& s) { s.setWindow(projections); });
}
bool SessionController::setIterations(int iterations) {
  return steer([iterations](StreamingSession& s) { s.setIterations(iterations); });
}
bool SessionController::setAutoSteering(std::optional<double> targetSeconds) {
  return steer([targetSeconds](StreamingSession& s) { s.setAutoSteering(targetSeconds); });
}
bool SessionController::setAutoIterations(std::optional<double> targetSeconds) {
  return steer([targetSeconds](StreamingSession& s) { s.setAutoIterations(targetSeconds); });
}
bool SessionController::setCentre(double column) {
  return steer([column](StreamingSession& s) { s.setCentre(column); });
}
void SessionController::setRegion(std::optional<Region> region) {
  steer([region](StreamingSession& s) { s.setRegion(region); });
}

void SessionController::setViewSlices(std::vector<int> slices) {
  steer([&slices](StreamingSession& s) { s.setViewSlices(std::move(slices)); });
}

void SessionController::pause() {
  if (m_phase != Phase::Running) return;
  if (steer([](StreamingSession& s) { s.pause(); })) setPhase(Phase::Paused);
}

void SessionController::resume() {
  if (m_phase != Phase::Paused) return;
  if (steer([](StreamingSession& s) { s.resume(); })) setPhase(Phase::Running);
}

void SessionController::stopAcquisition() {
  if (m_phase != Phase::Running && m_phase != Phase::Paused) return;
  // A paused session would hold its pending projections: resume so they reconstruct.
  if (steer([](StreamingSession& s) {
        s.resume();
        s.stopAcquisition();
      }))
    setPhase(Phase::Stopping);
}

std::shared_ptr<const Snapshot> SessionController::latest() const {
  std::lock_guard lock(m_pendingMutex);
  return m_latest;
}

SessionSummary SessionController::summary() const {
  return m_session ? m_session->summary() : SessionSummary{};
}

void SessionController::acceptSnapshot(std::shared_ptr<const Snapshot> snapshot) {
  {
    std::lock_guard lock(m_pendingMutex);
    if (snapshot->metrics.update != m_lastMetricsUpdate) {
      m_lastMetricsUpdate = snapshot->metrics.update;
      m_pendingMetrics.push_back(snapshot->metrics);
    }
    m_pending = std::move(snapshot);
  }
  if (!m_deliveryQueued.exchange(true)) {
    ++m_posted;
    QMetaObject::invokeMethod(this, &SessionController::deliver, Qt::QueuedConnection);
  }
}

void SessionController::acceptLog(const std::string& line) {
  {
    std::lock_guard lock(m_pendingMutex);
    m_pendingLog.push_back(line);
  }
  if (!m_logQueued.exchange(true))
    QMetaObject::invokeMethod(
        this,
        [this] {
          m_logQueued = false;
          std::vector<std::string> lines;
          {
            std::lock_guard lock(m_pendingMutex);
            lines.swap(m_pendingLog);
          }
          for (const std::string& l : lines) emit logLine(QString::fromStdString(l));
        },
        Qt::QueuedConnection);
}

void SessionController::deliver() {
  m_deliveryQueued = false;
  std::shared_ptr<const Snapshot> snapshot;
  std::vector<UpdateMetrics> metrics;
  {
    std::lock_guard lock(m_pendingMutex);
    snapshot = std::move(m_pending);
    metrics.swap(m_pendingMetrics);
    if (snapshot) m_latest = snapshot;
  }
  ++m_delivered;
  for (const UpdateMetrics& m : metrics) emit metricsReady(m);
  if (snapshot) emit snapshotReady(snapshot);
}

void SessionController::poll() {
  if (!m_session) return;
  SessionSummary s = m_session->summary();
  if (!m_warnedNoFrames && s.framesReceived == 0 && s.elapsedSeconds * 1000 > m_noFramesTimeoutMs &&
      (m_phase == Phase::Running || m_phase == Phase::Paused)) {
    m_warnedNoFrames = true;
    emit errorMessage(tr("No frames from %1 after %2 s: is the detector running and reachable "
                         "at that address? Still waiting; Stop ends the session.")
                          .arg(m_sourceLabel)
                          .arg(m_noFramesTimeoutMs / 1000.0, 0, 'f', 1));
  }
  // Every worker is done once waitFor() says so; joining them then takes no time.
  if (!m_session->waitFor(std::chrono::milliseconds(0))) return;
  m_pollTimer.stop();
  s = m_session->summary();
  deliver();  // the last snapshot and metrics, if a delivery is still queued
  setPhase(s.state == SessionState::Failed ? Phase::Failed : Phase::Finished);
  if (!s.error.empty()) emit errorMessage(QString::fromStdString(s.error));
  emit finished(s);
}

void SessionController::setPhase(Phase phase) {
  if (phase == m_phase) return;
  m_phase = phase;
  emit phaseChanged(phase);
}

}  // namespace tomolive::ui
