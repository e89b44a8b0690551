#include "pipeline/StreamingSession.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "geometry/ParallelGeometry.h"
#include "metrics/ImageMetrics.h"
#include "pipeline/AutoSteering.h"
#include "pipeline/EnhancementScheduler.h"
#include "pipeline/FramePreparation.h"
#include "pipeline/LiveQuality.h"
#include "pipeline/MemoryBudget.h"
#include "pipeline/RecordingStage.h"
#include "pipeline/VolumeReadBack.h"
#include "pipeline/WindowIntake.h"
#include "preprocess/CentreFinder.h"
#include "preprocess/FlatDarkCorrection.h"
#include "timing/Timing.h"

namespace tomolive {

using Clock = std::chrono::steady_clock;

const char* sessionStateName(SessionState s) {
  switch (s) {
    case SessionState::Idle:
      return "idle";
    case SessionState::Running:
      return "running";
    case SessionState::Paused:
      return "paused";
    case SessionState::Stopping:
      return "stopping";
    case SessionState::Finished:
      return "finished";
    case SessionState::Failed:
      return "failed";
  }
  return "unknown";
}

namespace {

// Position of slice s among the ascending `slices`, or −1.
int positionOf(const std::vector<int>& slices, int s) {
  const auto it = std::lower_bound(slices.begin(), slices.end(), s);
  return it != slices.end() && *it == s ? int(it - slices.begin()) : -1;
}

// Received projections the enhancement guard re-projects against (spread over those received).
constexpr int kGuardProjections = 64;

// The sample's shadows of every slice a snapshot's enhancement covers, in its order.
std::shared_ptr<const std::vector<SliceShadows>> shadowsOfEnhanced(const Snapshot& s,
                                                                   const LiveReconstruction& live) {
  auto shadows = std::make_shared<std::vector<SliceShadows>>();
  const int covered = s.viewVolume ? int(s.viewSlices.size()) : s.volume->slices();
  for (int i = 0; i < covered; ++i)
    shadows->push_back(
        live.shadows(s.viewVolume ? s.viewSlices[std::size_t(i)] : i, kSupportProjections));
  return shadows;
}

// Pairs of opposite projections, each less than kSettledPairDeg from 180° apart, after which the
// centre estimate is trusted as final. Looser pairs leave it to be estimated again at the next
// update: an interlaced 360° scan's first windows fold their angles 9°, then 4°, 2° and 1° apart,
// and pairs 1° off put the tooth's centre 0.18 px from where its exact pairs put it.
constexpr int kCentrePairsWanted = 8;
constexpr double kSettledPairDeg = 0.1;

// The centre from everything `recon` received, chosen as `recon` chooses it
// (preprocess/CentreFinder.h chooseCentre: close 0°/180° pairs, else the sinogram's centre of
// mass where reliable, else looser pairs). Applied to `recon` (a warm-started estimate built with a
// centre more than a pixel away starts again). Returns the log line for a new or moved centre (""
// when nothing changed).
// What the centre is estimated from: everything received, which the live reconstruction holds —
// but the window method keeps only its newest window (its memory bounded by the window), so for
// it up to 4 of the rows the estimate reads (centreRows) of the projections received are kept
// here, at most kCentreHistoryBytes of them, while the centre is still being estimated (a
// window-method session stayed at the detector middle, or swung between its windows' loose
// pairs).
constexpr std::size_t kCentreHistoryBytes = std::size_t(128) << 20;

class CentreHistory {
 public:
  void add(const ProjectionStack& window, std::span<const double> angles) {
    if (m_rows.empty()) {
      const std::vector<int> rows = centreRows(window.slices());
      for (std::size_t k = 0; k < std::min<std::size_t>(4, rows.size()); ++k)
        m_rows.push_back(rows[k * rows.size() / std::min<std::size_t>(4, rows.size())]);
    }
    const int count = int(m_angles.size());
    const std::size_t bytes = m_rows.size() * std::size_t(window.columns()) * sizeof(float);
    const int adding =
        std::min(window.projections(), std::max(0, int(kCentreHistoryBytes / bytes) - count));
    if (m_stack.projections() < count + adding) {
      ProjectionStack grown(std::max(count + adding, 2 * m_stack.projections()), int(m_rows.size()),
                            window.columns());
      std::copy_n(m_stack.raw().begin(), std::size_t(count) * m_stack.projectionStride(),
                  grown.raw().begin());
      m_stack = std::move(grown);
    }
    for (int p = 0; p < adding; ++p)
      for (std::size_t r = 0; r < m_rows.size(); ++r)
        for (int j = 0; j < window.columns(); ++j)
          m_stack.at(count + p, int(r), j) = window.at(p, m_rows[r], j);
    m_angles.insert(m_angles.end(), angles.begin(), angles.begin() + adding);
  }
  void clear() { *this = CentreHistory(); }
  const ProjectionStack& projections() const { return m_stack; }
  std::span<const double> angles() const { return m_angles; }

 private:
  std::vector<int> m_rows;
  ProjectionStack m_stack;  ///< the first m_angles.size() projections are held
  std::vector<double> m_angles;
};

// A log line when the estimate moved; `whyNot` says why there is none (empty when there is).
std::string updateCentreEstimate(LiveReconstruction& recon, const ProjectionStack& received,
                                 std::span<const double> angles, std::string& source, int& pairs,
                                 std::string& whyNot) {
  std::optional<CentreEstimate> e;
  whyNot.clear();
  try {  // as `recon` chooses, so that the last update's centre is recon's
    e = chooseCentre(received, angles);
  } catch (const std::invalid_argument& refused) {
    whyNot = refused.what();
    return "";  // the detector middle (or the last estimate) stays
  }
  const double before = recon.centre();
  const std::string was = source;
  source = e->fromMass ? "centre of mass" : "estimated";
  pairs = e->worstPairOffsetDeg < kSettledPairDeg ? e->pairs : 0;
  // Moves of a few hundredths are applied without a word; a line from a tenth of a pixel.
  if (was == source && std::abs(e->centre - before) < 0.02) return "";
  recon.setCentre(e->centre);
  if (std::abs(e->centre - before) > 1.0) recon.restart();
  if (was == source && std::abs(e->centre - before) < 0.1) return "";
  char how[96];
  if (e->fromMass)
    std::snprintf(how, sizeof how, "sinogram centre of mass, ±%.2f px", e->standardError);
  else
    std::snprintf(how, sizeof how, "%d pair%s 180° apart, worst %.2f° off", e->pairs,
                  e->pairs == 1 ? "" : "s", e->worstPairOffsetDeg);
  char line[256];
  std::snprintf(line, sizeof line,
                "centre %s from %d received projections (%s): %.2f (was %s %.2f); applied from "
                "this update",
                was == "detector middle" ? "estimated" : "re-estimated", int(angles.size()), how,
                e->centre, was.c_str(), before);
  return line;
}

}  // namespace

bool Snapshot::current(int s) const { return !viewVolume || positionOf(viewSlices, s) >= 0; }

std::vector<float> Snapshot::slice(int s) const {
  if (viewVolume)
    if (const int i = positionOf(viewSlices, s); i >= 0) return viewVolume->slice(i);
  return volume->slice(s);
}

int Snapshot::enhancedIndex(int s) const {
  if (viewVolume) return positionOf(viewSlices, s);
  return s >= 0 && s < volume->slices() ? s : -1;
}

StreamingSession::StreamingSession(std::unique_ptr<FrameSource> source, StreamOptions options)
    : m_source(std::move(source)),
      m_options(std::move(options)),
      m_intake(std::make_unique<WindowIntake>(
          WindowIntake::Steering{m_window, m_paused, m_stopRequested},
          m_options.method == LiveMethod::window, m_options.maxWindow)) {
  if (!m_source) throw std::invalid_argument("stream: no source");
  setWindow(m_options.window);
  setIterations(m_options.iterations);
  if (m_options.autoIterations)
    setAutoIterations(m_options.autoSteerTargetSeconds.value_or(kAutoIterationsTarget));
  else
    setAutoSteering(m_options.autoSteerTargetSeconds);
  if (m_options.centre) setCentre(*m_options.centre);  // checked against a stated detector
  if (m_options.stopWhenStable) {
    if (!m_options.liveQuality)
      throw std::invalid_argument(
          "stop when stable: needs the live quality measures, which are "
          "switched off");
    if (const auto why = LiveQuality::whyNoResolution(m_options.method))
      throw std::invalid_argument("stop when stable: no stop advice for the " +
                                  std::string(liveMethodName(m_options.method)) +
                                  " method: " + *why);
  }
}

StreamingSession::~StreamingSession() {
  // A source that has ended (a detector's "end", a file's last frame) is not told to stop: a
  // detector may already be taking its next scan.
  if (!m_source->finished()) stopAcquisition();
  for (std::thread* t : {&m_acquisition, &m_recording, &m_reconstruction, &m_enhancement})
    if (t->joinable()) t->join();
}

void StreamingSession::onSnapshot(std::function<void(std::shared_ptr<const Snapshot>)> callback) {
  m_onSnapshot = std::move(callback);
}

void StreamingSession::onLog(std::function<void(const std::string&)> callback) {
  std::lock_guard lock(m_logMutex);
  m_onLog = std::move(callback);
}

void StreamingSession::onSilence(std::function<void(double)> callback) {
  m_onSilence = std::move(callback);
}

void StreamingSession::log(const std::string& line) {
  std::lock_guard lock(m_logMutex);
  if (m_onLog) m_onLog(line);
}

void StreamingSession::setWindow(int projections) {
  if (projections < 1)
    throw std::invalid_argument("window W = " + std::to_string(projections) +
                                " must be at least 1");
  {
    std::lock_guard lock(m_steeringMutex);
    m_window = projections;
    if (m_steerWindow) m_autoSteer = false;
  }
  m_intake->wake();
}

void StreamingSession::setIterations(int iterations) {
  if (iterations < 1)
    throw std::invalid_argument("iterations I = " + std::to_string(iterations) +
                                " must be at least 1");
  std::lock_guard lock(m_steeringMutex);
  m_iterations = iterations;
  m_autoSteer = false;
}

void StreamingSession::setAutoSteering(std::optional<double> targetSeconds) {
  if (targetSeconds) AutoSteering check(*targetSeconds);  // throws for a bad target
  std::lock_guard lock(m_steeringMutex);
  m_autoSteer = targetSeconds.has_value();
  m_steerWindow = true;
  m_autoSteerTarget = targetSeconds.value_or(0.0);
}

void StreamingSession::setAutoIterations(std::optional<double> targetSeconds) {
  if (targetSeconds) AutoSteering check(*targetSeconds);  // throws for a bad target
  std::lock_guard lock(m_steeringMutex);
  m_autoSteer = targetSeconds.has_value();
  m_steerWindow = false;
  m_autoSteerTarget = targetSeconds.value_or(0.0);
}

void StreamingSession::setRegion(std::optional<Region> region) {
  std::lock_guard lock(m_regionMutex);
  m_regionRequest = region;
}

std::optional<std::optional<Region>> StreamingSession::takeRegionRequest() {
  std::lock_guard lock(m_regionMutex);
  return std::exchange(m_regionRequest, std::nullopt);
}

void StreamingSession::setCentre(double column) {
  checkCentreOnDetector(column, m_source->describe().columns);
  m_centreRequest = column;
}

void StreamingSession::pause() {
  m_paused = true;
  if (m_state == SessionState::Running) m_state = SessionState::Paused;
}

void StreamingSession::resume() {
  m_paused = false;
  if (m_state == SessionState::Paused) m_state = SessionState::Running;
  m_intake->wake();
}

void StreamingSession::stopAcquisition() {
  // Once the scan has ended the detector is not told (it may be taking its next scan).
  if (!m_acquisitionOver) m_stoppedEarly = true, m_source->stop();
  m_stopRequested = true;
  m_intake->wake();
  const SessionState s = m_state;
  if (s == SessionState::Running || s == SessionState::Paused) m_state = SessionState::Stopping;
}

void StreamingSession::setViewSlices(std::vector<int> slices) {
  std::lock_guard lock(m_snapshotMutex);
  m_viewSlices = std::move(slices);
  m_snapshotCv.notify_all();
}

void StreamingSession::publish(std::shared_ptr<const Snapshot> snapshot) {
  {
    std::lock_guard lock(m_snapshotMutex);
    // An enhancement of an older update (or of an update's slices in view, once its whole volume
    // is out) must not replace a newer reconstruction.
    if (m_latest && (snapshot->metrics.update < m_latest->metrics.update ||
                     (snapshot->metrics.update == m_latest->metrics.update &&
                      snapshot->volumeUpdate < m_latest->volumeUpdate)))
      return;
    m_latest = snapshot;
    m_snapshotCv.notify_all();
  }
  std::lock_guard lock(m_callbackMutex);
  if (m_onSnapshot) m_onSnapshot(snapshot);
}

std::shared_ptr<const Snapshot> StreamingSession::latest() const {
  std::lock_guard lock(m_snapshotMutex);
  return m_latest;
}

void StreamingSession::requireMemoryFor(int rows, int columns) const {
  StreamOptions options = m_options;
  options.window = m_window;
  requireMemoryFor(options, rows, columns, m_source->describe().projections);
}

void StreamingSession::requireMemoryFor(const StreamOptions& options, int rows, int columns,
                                        std::int64_t scan) {
  const int first = std::clamp(options.slices.begin, 0, rows);
  const int slices = (options.slices.end < 0 ? rows : std::min(options.slices.end, rows)) - first;
  if (slices < 1 || columns < 1) return;  // the reconstructor says what is wrong
  const int window = options.window;
  // `window` holds one (capped) window; the others every projection of the scan.
  const std::int64_t held =
      options.method == LiveMethod::window || scan == 0
          ? std::int64_t(options.maxWindow > 0 ? options.maxWindow : 8 * window)
          : scan;
  const std::uint64_t record = options.recordPath.empty() ? 0 : options.recordBufferBytes;
  // Beyond the reconstruction's own buffers a session holds about 8 volumes more: the snapshots
  // published (the latest, the one a view still shows, the final), the read-back's copy, a
  // source's ground truth and its copy, the live quality's half reconstructions (padded to the
  // lanes). Measured peak: 1024² × 16 slices 818 MB (estimated 805 MB), 2048² × 8 1.91 GB
  // (2.1 GB); counting 4 volumes let 8192² × 16 start and run the machine out of memory.
  const std::uint64_t volume =
      std::uint64_t(slices) * std::uint64_t(columns) * std::uint64_t(columns) * sizeof(float);
  requireMemory(reconstructionBytes(slices, columns, columns, held) + 8 * volume + record,
                "a live reconstruction of " + std::to_string(columns) + "² × " +
                    std::to_string(slices) + " slices over " + std::to_string(held) +
                    " projections (volume, SIRT buffers, line integrals, snapshots" +
                    (record ? ", record buffer)" : ")"),
                "reconstruct fewer rows (--slices a:b)" +
                    std::string(options.method == LiveMethod::window
                                    ? ""
                                    : ", or --method window, which holds only its window"));
}

void StreamingSession::start() {
  if (m_state != SessionState::Idle) throw std::logic_error("stream: session already started");
  const ScanDescription scan = m_source->describe();
  if (scan.rows > 0 && scan.columns > 0) {
    // A source that states its shape (a file, the simulator) has its row selection checked now,
    // before a record is created or a frame is taken; a detector's, at its first frame.
    const FramePreparation selection(scan.rows, scan.columns, m_options.slices);
    requireMemoryFor(scan.rows, scan.columns);
    if (m_options.rowTeam) rowBlock(selection.slices(), m_options.rowTeam->members(), 0);
    std::lock_guard lock(m_regionMutex);
    if (m_regionRequest && *m_regionRequest)
      checkRegion(**m_regionRequest, selection.firstRow(),
                  selection.firstRow() + selection.slices(), scan.columns,
                  m_options.centre ? m_options.centre : scan.centre);
  }
  if (!m_options.recordPath.empty()) {
    // What the source states that a reader of the record needs: its label, and its centre where
    // it states one from the start (a file's rotation_center), so `recon` of the record uses it.
    std::map<std::string, Attribute> attributes{{"source", scan.label}};
    if (scan.centre) attributes["rotation_center"] = *scan.centre;
    m_recorder = std::make_unique<RecordingStage>(
        RecordingOptions{.path = m_options.recordPath,
                         .overwrite = m_options.overwriteRecord,
                         .bufferBytes = m_options.recordBufferBytes,
                         .reserveBytes = m_options.recordReserveBytes,
                         .expectedFrames = scan.projections,
                         .attributes = std::move(attributes),
                         .projectionType = scan.projectionType,
                         .delayPerFrame = m_options.recordDelayPerFrame},
        [this](const std::string& line) { log(line); });
  }
  m_start = Clock::now();
  m_state = SessionState::Running;
  m_workersLeft = 1 + (m_recorder ? 1 : 0) + (m_options.enhancer ? 1 : 0);
  m_acquisition = std::thread([this] { acquire(); });
  if (m_recorder) m_recording = std::thread([this] { record(); });
  m_reconstruction = std::thread([this] { reconstruct(); });
  if (m_options.enhancer) m_enhancement = std::thread([this] { enhance(); });
}

void StreamingSession::fail(const std::string& what) {
  log("error: " + what);
  {
    std::lock_guard lock(m_finishedMutex);
    if (m_summary.error.empty()) m_summary.error = what;
  }
  m_state = SessionState::Failed;
}

void StreamingSession::acquire() {
  WindowIntake& in = *m_intake;
  const bool lossless = m_source->waitsForConsumer();
  auto lastFrame = Clock::now();
  double reported = 0.0;  // the silence last reported
  try {
    for (;;) {
      // A source that can wait is handed over one window at a time, as fast as reconstructed.
      if (lossless && !in.roomForMore(std::chrono::milliseconds(50))) {
        lastFrame = Clock::now();  // waiting for the reconstruction is not silence
        continue;
      }
      std::optional<Frame> frame = m_source->next(std::chrono::milliseconds(50));
      for (const std::string& w : m_source->takeWarnings()) log("source: " + w);
      if (!frame && !m_source->finished()) {
        const double silent = secondsSince(lastFrame);
        m_silentSeconds = silent;
        if (silent >= std::max(5.0, 2.0 * reported) && !m_stopRequested) {  // not once stopping
          reported = std::floor(silent);
          char line[96];
          std::snprintf(line, sizeof line, "detector silent for %.0f s", reported);
          log(line);
          if (m_onSilence) m_onSilence(reported);
        }
        const double limit = m_options.idleTimeoutSeconds;
        if (limit > 0.0 && silent >= limit && !m_stopRequested) {
          char line[160];
          std::snprintf(line, sizeof line,
                        "no frame for %.1f s (idle timeout %.1f s): ending the session; every "
                        "frame received is recorded",
                        silent, limit);
          log(line);
          m_endedIdle = true;
          stopAcquisition();
        }
      }
      if (frame) {
        if (reported > 0.0)
          log("detector: frames again after " + std::to_string(int(reported)) +
              " s or more of silence");
        lastFrame = Clock::now(), reported = 0.0, m_silentSeconds = 0.0;
        auto shared = std::make_shared<const Frame>(std::move(*frame));
        if (m_recorder) m_recorder->offer(shared, lossless);  // waits only where the source can
        in.add(std::move(shared));
        const std::int64_t enough = m_options.stopAfterProjections;
        if (enough > 0 && !m_stopRequested && in.counts().projections >= enough) {
          log("received " + std::to_string(enough) +
              " projections, as many as asked for: stopping the acquisition");
          stopAcquisition();
        }
      } else if (m_source->finished()) {
        break;
      }
    }
  } catch (const std::exception& e) {
    fail(std::string("source: ") + e.what());
  }
  m_acquisitionOver = true;
  const std::int64_t frames = in.finish();
  if (m_recorder) {
    // A detector states its centre with its frames: the record keeps the last it stated (on
    // the detector), as a replayed file's is kept from the start.
    const ScanDescription scan = m_source->describe();
    std::optional<double> centre = scan.centre;
    if (centre) try {
        checkCentreOnDetector(*centre, scan.columns);
      } catch (const std::invalid_argument&) {
        centre.reset();
      }
    m_recorder->close(frames, m_stoppedEarly, centre);
  }
}

void StreamingSession::record() {
  m_recorder->run();
  workerDone();
}

void StreamingSession::reconstruct() {
  WindowIntake& in = *m_intake;
  std::unique_ptr<RegionalReconstruction> regional;
  std::string centreSource;
  std::optional<double> sourceCentre;   // the source's stated centre in force
  std::optional<double> refusedCentre;  // the last it stated off the detector
  int centrePairs = 0;  // pairs behind the latest estimate
  std::string centreWhyNot;  // why the received angles allow no estimate yet
  bool centreWhyNotSaid = false;
  std::optional<FramePreparation> preparation;  // made at the first frame
  int rows = 0, columns = 0, firstRow = 0, slices = 0;  // the detector, the rows selected
  VolumeStack truth;  // ground truth restricted to the reconstructed rows (and region)
  int updates = 0;
  double workTotal = 0.0;
  std::shared_ptr<const Snapshot> lastPublished;
  VolumeReadBack readBack(m_options.fullVolumeBytes, m_options.fullVolumeEvery);
  CentreHistory centreHistory;           // the window method's, for the centre estimate
  std::optional<AutoSteering> steering;  // (re)made when auto-steering is turned on
  std::string steeringReason;
  int loggedWindow = 0, loggedIterations = 0;  // the W and I of the last auto-steering log line
  // The detector's rate is measured from its first projection's arrival (flats and darks before
  // it, and the start-up, are no projection rate).
  std::int64_t rateReceived = 0;  // projections received at the last rate measurement
  std::optional<Clock::time_point> rateTime, firstArrival;
  const QualityOptions qualityOptions{
      .resolution = m_options.liveQuality,
      .heldOutHalves = m_options.liveQuality && m_options.enhancer != nullptr,
      .pixelSizeMicrometres = m_options.pixelSizeMicrometres,
      .rule = m_options.stopRule,
      .every = m_options.qualityEvery,
      .share = m_options.qualityShare};
  std::optional<LiveQuality> quality(std::in_place, qualityOptions);
  // The ground truth of what is reconstructed (none for a region narrower than the detector: the
  // truth's grid is the detector's).
  bool truthRefused = false;  // said once
  const auto restrictTruth = [&](int first, int count, int grid) {
    truth = VolumeStack();
    const VolumeStack* gt = m_source->groundTruth();
    if (!m_options.qualityMetrics || !gt || gt->gridSize() != grid ||
        gt->slices() < first + count)
      return;
    truth = VolumeStack(count, grid);
    for (int s = 0; s < count; ++s) truth.setSlice(s, gt->slice(first + s));
    if (const auto why = whyNotAReference(truth)) {
      if (!truthRefused) log("ground truth not scored against: " + *why);
      truthRefused = true;
      truth = VolumeStack();
    }
  };
  try {
    for (;;) {
      WindowIntake::Batch taken = in.take();
      if (taken.projections.empty()) break;  // source finished, all consumed
      std::vector<WindowIntake::Pending>& batch = taken.projections;
      const int window = taken.window;
      if (taken.skipped > 0)
        log("reconstruction behind: " + std::to_string(taken.skipped) +
            " older projections left out of this update (they are recorded)");
      const auto workStart = Clock::now();
      if (!firstArrival) firstArrival = rateTime = batch.front().arrival;
      // A source that waits for us (a lossless file replay) is ahead by design: its window was
      // complete long before we could take it. Its refresh is that of a detector the machine
      // keeps up with: from the start of the update.
      const auto complete =
          m_source->waitsForConsumer() ? std::max(taken.complete(), workStart) : taken.complete();

      if (!preparation) {
        const Frame& first = *batch.front().frame;
        preparation.emplace(first.rows, first.columns, m_options.slices);
        rows = first.rows, columns = first.columns;
        firstRow = preparation->firstRow(), slices = preparation->slices();
        if (m_source->describe().rows <= 0) requireMemoryFor(rows, columns);  // known only now
        const RowRange asked = m_options.slices;
        if (asked.begin < 0 || asked.end > rows)
          log("slices " + std::to_string(asked.begin) + ":" + std::to_string(asked.end) +
              " reach beyond the detector's " + std::to_string(rows) + " rows: reconstructing " +
              std::to_string(firstRow) + ":" + std::to_string(firstRow + slices));
      }
      if (taken.flatsDarksChanged) {
        preparation->setFlatsDarks(taken.flats, taken.darks);
        if (const std::int64_t z = preparation->zingersLeftOut(); z > 0)
          log("flats and darks: " + std::to_string(z) +
              " zinger values left out of their averages (preprocess/FlatDarkCorrection.h)");
      }
      std::vector<const Frame*> projections;
      for (const WindowIntake::Pending& p : batch) projections.push_back(p.frame.get());
      std::vector<double> angles;
      const ProjectionStack stack = preparation->lineIntegrals(projections, angles);

      // The centre the source states (a detector may say it late, or change it), checked like a
      // file's; one it states off the detector is said once and ignored.
      const auto statedCentre = [&]() -> std::optional<double> {
        const std::optional<double> stated = m_source->describe().centre;
        if (!stated || stated == refusedCentre) return std::nullopt;
        try {
          checkCentreOnDetector(*stated, columns);
          return stated;
        } catch (const std::invalid_argument& e) {
          char kept[96] = "the centre is estimated";
          if (sourceCentre)
            std::snprintf(kept, sizeof kept, "the centre it stated before, %.2f, stays",
                          *sourceCentre);
          log(std::string("the source's rotation centre: ") + e.what() + "; ignored, " + kept);
          refusedCentre = stated;
          return std::nullopt;
        }
      };
      if (!regional) {
        const double middle = 0.5 * (columns - 1);
        const std::optional<double> known = statedCentre();
        sourceCentre = known;
        centreSource = known ? "source" : "detector middle";
        auto whole = std::make_unique<LiveReconstruction>(
            columns, slices, columns, known ? *known : middle,
            LiveOptions{.method = m_options.method,
                        .targetIterations = m_options.targetIterations,
                        .sirt = {.circularMask = m_options.circularMask},
                        .backend = m_options.backend},
            m_options.rowTeam);
        log("reconstruction: " + whole->description());
        if (const std::string line = readBack.reset(*whole); !line.empty()) log(line);
        regional = std::make_unique<RegionalReconstruction>(std::move(whole), firstRow, columns);
        restrictTruth(firstRow, slices, columns);
      }
      regional->receive(stack, angles);
      if (const std::optional<double> stated = statedCentre();
          stated && stated != sourceCentre && m_centreRequest < 0.0) {
        char line[160];
        std::snprintf(line, sizeof line,
                      "the source states the rotation centre %.2f (%s %.2f): used from this update",
                      *stated, sourceCentre ? "it said" : centreSource.c_str(),
                      sourceCentre ? *sourceCentre : regional->centre());
        log(line);
        sourceCentre = stated;
        centreSource = "source";
        regional->setCentre(*stated);
      }
      const bool estimating = centreSource == "detector middle" ||
                              centreSource == "centre of mass" ||
                              (centreSource == "estimated" && centrePairs < kCentrePairsWanted);
      if (m_options.method == LiveMethod::window && estimating && m_centreRequest < 0.0)
        centreHistory.add(stack, angles);
      else
        centreHistory.clear();  // settled, given or not needed
      if (const double user = m_centreRequest; user >= 0.0) {
        if (user != regional->centre() || centreSource != "user")
          log("centre set by the user: " + std::to_string(user));
        centreSource = "user";
        regional->setCentre(user);
      } else if (estimating) {
        LiveReconstruction& whole = regional->whole();
        const bool history = m_options.method == LiveMethod::window;
        if (const std::string line = updateCentreEstimate(
                whole, history ? centreHistory.projections() : whole.received(),
                history ? centreHistory.angles() : whole.receivedAngles(), centreSource,
                centrePairs, centreWhyNot);
            !line.empty())
          log(line);
        if (!centreWhyNot.empty() && centreSource == "detector middle" && !centreWhyNotSaid) {
          char middle[32];
          std::snprintf(middle, sizeof middle, "%.2f", whole.centre());
          log("centre: no estimate from the " + std::to_string(whole.receivedCount()) +
              " projections received yet (" + centreWhyNot + "); the detector middle " + middle +
              " is used until one is possible");
          centreWhyNotSaid = true;
        }
        regional->setCentre(regional->whole().centre());  // a region follows
      }
      if (std::optional<std::optional<Region>> request = takeRegionRequest()) {
        try {
          regional->setRegion(*request);
          const auto& r = regional->region();
          log(r ? "region of interest from this update: " + describe(*r) + " (" +
                      std::to_string(r->columns()) + "² grid; the record keeps every pixel" +
                      (!m_options.rowTeam || m_options.rowTeam->members() < 2 ? ")"
                       : regional->active().rowShare()
                           ? "; its rows split over the ranks)"
                           : "; reconstructed by the leader alone: fewer rows than ranks)")
                : "region of interest: none, the whole selection from this update");
          quality.emplace(qualityOptions);  // its halves and history are of the old geometry
          const LiveReconstruction& a = regional->active();
          if (const std::string line = readBack.reset(a); !line.empty()) log(line);
          restrictTruth(regional->firstRow(), a.sliceCount(), a.gridSize());
        } catch (const std::invalid_argument& e) {
          log(std::string(e.what()) + " — ignored, the reconstruction goes on as it was");
        }
      }
      LiveReconstruction* const recon = &regional->active();
      const int shown = recon->sliceCount(), grid = recon->gridSize();
      // The slices in view as the console last set them, within what is reconstructed now.
      std::vector<int> view;
      {
        std::lock_guard lock(m_snapshotMutex);
        for (int v : m_viewSlices)
          if (v >= 0 && v < shown) view.push_back(v);
      }

      const int iterations = m_iterations;
      const LiveUpdate done = recon->update(iterations);
      const double work = secondsSince(workStart);
      workTotal += work;

      auto snapshot = std::make_shared<Snapshot>();
      const int update = ++updates;
      if (update == 1) {  // what the first projections' edges say about the flats, once
        const LiveReconstruction& whole = regional->whole();
        std::vector<int> held(std::size_t(whole.receivedCount()));
        std::iota(held.begin(), held.end(), 0);
        if (const std::string note = flatFieldNote(whole.received(), held); !note.empty())
          log("note: " + note);
        if (const std::string note =
                unrepairableNote(preparation->repaired(), preparation->pixels());
            !note.empty())
          log("note: the first window: " + note);
      }
      readBack.read(*recon, update, view,
                    m_options.enhancer ? m_options.enhancer->depth() / 2 : 0, *snapshot);
      snapshot->firstRow = regional->firstRow();
      snapshot->firstColumn = regional->firstColumn();
      snapshot->detectorColumns = columns;
      snapshot->enhancing = m_options.enhancer != nullptr;
      UpdateMetrics& m = snapshot->metrics;
      m.update = update;
      m.window = window;
      m.projections = int(batch.size());
      m.projectionsUsed = done.used;
      m.iterations = iterations;
      m.method = liveMethodName(m_options.method);
      m.centre = regional->centre();
      m.centreSource = centreSource;
      if (const auto& r = regional->region()) m.region = describe(*r);
      snapshot->guardSlice = view.empty() ? shown / 2 : view.front();
      if (recon->receivedCount() > 0) {
        snapshot->viewSinogram = std::make_shared<const SliceSinogram>(
            recon->sinogram(snapshot->guardSlice, Snapshot::kViewSinogramProjections));
        if (m_options.enhancer) {
          snapshot->guardSinogram = std::make_shared<const SliceSinogram>(
              recon->sinogram(snapshot->guardSlice, kGuardProjections));
          snapshot->sampleShadows = shadowsOfEnhanced(*snapshot, *recon);
        }
      }
      {
        ScanProgress progress{.scanProjections = m_source->describe().projections};
        progress.received = in.counts().projections;
        // Stopped: the scan is what was received (nothing more comes to save).
        if (m_stopRequested) {
          progress.scanProjections = int(progress.received);
          progress.stopped = true;
        }
        const double elapsed = secondsSince(m_start);
        if (elapsed > 0.0) progress.projectionsPerSecond = double(progress.received) / elapsed;
        const QualityAssessment q = quality->assess(*recon, done, view, progress);
        m.change = q.change;
        m.structuralChange = q.structuralChange;
        m.changeMadeGood = q.changeMadeGood;
        m.halvesChange = q.halvesChange;
        m.residual = q.residual;
        m.resolutionPixels = q.resolutionPixels;
        m.resolutionMicrometres = q.resolutionMicrometres;
        if (q.coverage) m.angularGapDegrees = q.coverage->largestGapDegrees;
        if (q.advice)
          m.advice = q.advice->word(), m.adviceReason = q.advice->reason,
          m.expectedGain = q.advice->expectedGain, m.halvesGain = q.advice->halvesGain,
          m.scanComplete = q.advice->scanComplete;
        m.qualitySeconds = q.seconds;
        if (m_options.enhancer) snapshot->guardHalves = q.halves;
        if (q.halves && m_options.method == LiveMethod::window) {
          // the window method holds only its last window; the halves keep more of the received
          auto kept = std::make_shared<const SliceSinogram>(
              joinedSinogram(q.halves->measured[0], q.halves->measured[1]));
          snapshot->viewSinogram = kept;
          if (m_options.enhancer) snapshot->guardSinogram = std::move(kept);
        }
      }
      if (m_autoSteer)
        m.steeringReason = steering ? steeringReason : "the W and I in force when it began";
      m.workSeconds = work;
      m.sustainedPps = batch.size() / work;
      if (truth.slices() > 0 && !snapshot->viewVolume) {
        m.ssim = ssimVolume(*snapshot->volume, truth);
        m.psnr = psnrVolume(*snapshot->volume, truth);
      } else if (truth.slices() > 0) {  // over the slices read back
        VolumeStack part(int(snapshot->viewSlices.size()), grid);
        for (std::size_t i = 0; i < snapshot->viewSlices.size(); ++i)
          part.setSlice(int(i), truth.slice(snapshot->viewSlices[i]));
        m.ssim = ssimVolume(*snapshot->viewVolume, part);
        m.psnr = psnrVolume(*snapshot->viewVolume, part);
      }
      {
        const WindowIntake::Counts c = in.consumed(batch.size());
        m.received = c.projections, m.consumed = c.consumed, m.skipped = c.skipped;
        m.lag = c.lag();
      }
      if (m_recorder) {
        const RecordingStatus r = m_recorder->status();
        m.recordDropped = r.dropped;
        m.recordProblem = r.stopped.empty() ? r.warning : "recording stopped: " + r.stopped;
      }
      batch.clear();  // raw frames are released here (the recorder holds its own references)
      const auto now = Clock::now();
      m.refreshSeconds = std::chrono::duration<double>(now - complete).count();
      m.elapsedSeconds = std::chrono::duration<double>(now - m_start).count();
      lastPublished = snapshot;
      publish(snapshot);
      in.updated();
      double target = 0.0;
      bool steerWindow = true;
      {
        std::lock_guard lock(m_steeringMutex);
        target = m_autoSteer ? m_autoSteerTarget : 0.0;
        steerWindow = m_steerWindow;
      }
      if (target <= 0.0) {
        steering.reset();
      } else {
        if (!steering || steering->targetSeconds() != target) steering.emplace(target);
        // The detector's rate: since the last decision, or since its first projection where that
        // is higher (a bursty source must not shrink the windows); unknown for a source that
        // waits for us. The first projection counts as the start, not as one received over time.
        double rate = 0.0;
        const auto seconds = [&](Clock::time_point since) {
          return std::chrono::duration<double>(now - since).count();
        };
        if (!m_source->waitsForConsumer() && now > *rateTime)
          rate = std::max(
              double(m.received - std::max<std::int64_t>(rateReceived, 1)) / seconds(*rateTime),
              double(m.received - 1) / seconds(*firstArrival));
        rateReceived = m.received, rateTime = now;
        const SteeringDecision d = steering->decide({.method = m_options.method,
                                                     .window = window,
                                                     .iterations = iterations,
                                                     .projectionsUsed = done.used,
                                                     .workSeconds = work,
                                                     .updateSeconds = secondsSince(workStart),
                                                     .projectionsPerSecond = rate,
                                                     .keepWindow = !steerWindow});
        {
          std::lock_guard lock(m_steeringMutex);  // a W or I set by hand meanwhile wins
          if (m_autoSteer) {
            m_iterations = d.iterations;
            if (m_steerWindow) m_window = d.window;
          }
        }
        in.wake();
        // A W that wavers by a projection or two between updates is no news for the log (the
        // metrics carry every decision): a line when I changes or W moves 20 % from the last one.
        const bool news = d.iterations != loggedIterations ||
                          5 * std::abs(d.window - loggedWindow) >= loggedWindow;
        // (nothing about W and I for an update that will not come)
        if ((d.window != window || d.iterations != iterations) && news && in.moreToCome()) {
          log("auto-steering: " + d.reason);
          loggedWindow = d.window, loggedIterations = d.iterations;
        }
        steeringReason = d.reason;
      }
      if (m_options.stopWhenStable && m.advice == "stop" && !m_stopRequested) {
        log("stop advice: " + m.adviceReason + "; stopping the acquisition");
        stopAcquisition();
      }
    }
    // A scan that never allowed an estimate is reconstructed about a guess: said in the summary.
    if (regional && centreSource == "detector middle" && !centreWhyNot.empty()) {
      char middle[32];
      std::snprintf(middle, sizeof middle, "%.2f", regional->whole().centre());
      // (the window method holds its newest window only: the count is the session's)
      log("note: the scan's " +
          std::to_string(lastPublished ? lastPublished->metrics.consumed
                                       : std::int64_t(regional->whole().receivedCount())) +
          " projections allow no centre estimate (" + centreWhyNot +
          "); reconstructed about the detector middle " + middle + ", which may be off");
    }
    if (regional && regional->whole().receivedCount() > 0) {  // a centre far off the middle
      const LiveReconstruction& whole = regional->whole();
      if (const std::string note = narrowFieldNote(whole.centre(), whole.gridSize(),
                                                   coversFullTurn(whole.receivedAngles()));
          !note.empty())
        log("note: " + note);
    }
    // The scan is over: a finishing pass where asked (what `recon` computes from everything
    // received), then the last update's whole volume, for the result file and the views.
    const auto publishFinal = [&](std::shared_ptr<const VolumeStack> volume) {
      auto final = std::make_shared<Snapshot>(*lastPublished);
      final->volume = std::move(volume);
      final->volumeUpdate = final->metrics.update;
      final->viewVolume.reset();
      final->viewSlices.clear();
      if (m_options.enhancer) final->sampleShadows = shadowsOfEnhanced(*final, regional->active());
      if (truth.slices() > 0) {
        final->metrics.ssim = ssimVolume(*final->volume, truth);
        final->metrics.psnr = psnrVolume(*final->volume, truth);
      }
      publish(final);
      lastPublished = final;
    };
    const bool fromZero = m_options.finishIterations > 0;
    const int closing = fromZero ? m_options.finishIterations : m_options.polishIterations;
    const char* pass = fromZero ? "finishing pass" : "closing polish";
    if (lastPublished && closing > 0) {
      if (m_options.method == LiveMethod::window || regional->region()) {
        if (fromZero)  // the polish is the default: said only where asked for
          log(std::string(pass) + " skipped: not for " +
              std::string(regional->region() ? "a region of interest"
                                             : "the window method (it keeps its newest "
                                               "window only)"));
      } else {
        LiveReconstruction& live = regional->active();
        log(std::string(pass) + ": SIRT-" + std::to_string(closing) +
            (fromZero ? " from zero" : " from the live image") + " over the " +
            std::to_string(live.receivedCount()) + " projections received" +
            (fromZero ? " (what `recon` computes from them)" : ""));
        // The polish one iteration at a time: a stop asked for once the scan had ended (Ctrl-C
        // while it runs) cuts it short; a scan stopped early gets it whole. The finishing pass,
        // what `recon` computes, runs whole.
        int done = 0;
        double seconds = 0.0;
        while (done < closing && (fromZero || m_stoppedEarly || !m_stopRequested)) {
          const int now = fromZero ? closing : 1;
          seconds += live.finish(now, fromZero).seconds;
          done += now;
        }
        workTotal += seconds;
        if (done < closing)
          log(std::string(pass) + " cut short after " + std::to_string(done) + " of " +
              std::to_string(closing) + " iterations: stopped");
        {
          std::lock_guard lock(m_finishedMutex);
          (fromZero ? m_summary.finishedIterations : m_summary.polishedIterations) = done;
        }
        // Against a truth, both scores before and after: SSIM weighs the faintest offset in
        // the air where the truth is exactly zero, so it can fall where the error falls too
        // (docs/quality.md, "SSIM against the truth and I: the air's zeros").
        std::optional<double> ssimBefore, psnrBefore;
        if (lastPublished) {
          ssimBefore = lastPublished->metrics.ssim;
          psnrBefore = lastPublished->metrics.psnr;
        }
        publishFinal(std::make_shared<const VolumeStack>(live.estimate()));
        const UpdateMetrics& after = lastPublished->metrics;
        char line[240];
        std::snprintf(line, sizeof line, "%s done in %.2f s", pass, seconds);
        std::string text = line;
        const auto score = [&](const char* name, const std::optional<double>& now,
                               const std::optional<double>& before, const char* format) {
          if (!now) return;
          std::snprintf(line, sizeof line, format, *now);
          text += std::string(", ") + name + " " + line;
          if (before) {
            std::snprintf(line, sizeof line, format, *before);
            text += std::string(" (was ") + line + ")";
          }
        };
        score("SSIM", after.ssim, ssimBefore, "%.4f");
        score("PSNR", after.psnr, psnrBefore, "%.2f dB");
        log(text);
      }
    }
    if (lastPublished && lastPublished->viewVolume)
      publishFinal(readBack.readWhole(regional->active(), lastPublished->metrics.update));
  } catch (const std::exception& e) {
    // Reconstruction is lost, the scan is not: acquisition and recording go on until the source
    // ends (or is stopped), and projections are released as they arrive so memory stays bounded.
    fail(std::string("reconstruction: ") + e.what());
    in.discardUntilFinished();
  }
  {
    std::lock_guard lock(m_finishedMutex);
    m_summary.workSeconds = workTotal;
  }
  {
    std::lock_guard lock(m_snapshotMutex);
    m_reconstructionDone = true;
    m_snapshotCv.notify_all();
  }
  workerDone();
}

void StreamingSession::enhance() {
  EnhancementScheduler scheduler(*m_options.enhancer, m_options.method);
  if (const std::string why = scheduler.mismatch(); !why.empty()) log("enhancer: " + why);
  bool started = false;  // an update is in hand
  try {
    for (;;) {
      std::shared_ptr<const Snapshot> latest;
      std::vector<int> view;
      bool finished = false;
      {
        std::unique_lock lock(m_snapshotMutex);
        m_snapshotCv.wait(lock, [&] {
          return (m_latest && scheduler.isNew(*m_latest)) || m_reconstructionDone ||
                 (started && !scheduler.finished());
        });
        latest = m_latest, view = m_viewSlices, finished = m_reconstructionDone;
      }
      if (latest && scheduler.isNew(*latest)) scheduler.begin(latest), started = true;
      if (!started || scheduler.finished()) {
        if (finished) break;
        continue;
      }
      const EnhancementScheduler::Step step = scheduler.step(view);
      if (!step.log.empty()) log(step.log);
      if (step.version) publish(step.version);
      // While SIRT runs, leave it the CPU for (1 − share) of the time.
      const double share = std::clamp(m_options.enhancerShare, 0.05, 1.0);
      if (!finished && share < 1.0)
        std::this_thread::sleep_for(
            std::chrono::duration<double>(step.seconds * (1.0 - share) / share));
    }
  } catch (const std::exception& e) {
    log(std::string("enhancer: ") + e.what() + " (reconstruction goes on without enhancement)");
  }
  workerDone();
}

void StreamingSession::workerDone() {
  std::lock_guard lock(m_finishedMutex);
  if (--m_workersLeft > 0) return;
  // The last worker out: the session is over (finished, unless something failed).
  SessionState running = m_state;
  while (running != SessionState::Failed &&
         !m_state.compare_exchange_weak(running, SessionState::Finished)) {
  }
  m_finished = true;
  m_finishedCv.notify_all();
}

void StreamingSession::wait() {
  std::unique_lock lock(m_finishedMutex);
  m_finishedCv.wait(lock, [&] { return m_finished; });
  lock.unlock();
  for (std::thread* t : {&m_acquisition, &m_recording, &m_reconstruction, &m_enhancement})
    if (t->joinable()) t->join();
}

bool StreamingSession::waitFor(std::chrono::milliseconds timeout) {
  {
    std::unique_lock lock(m_finishedMutex);
    if (!m_finishedCv.wait_for(lock, timeout, [&] { return m_finished; })) return false;
  }
  wait();
  return true;
}

SessionSummary StreamingSession::summary() const {
  SessionSummary s;
  {
    std::lock_guard lock(m_finishedMutex);
    s = m_summary;
  }
  {
    const WindowIntake::Counts c = m_intake->counts();
    s.framesReceived = c.frames, s.projectionsReceived = c.projections;
    s.projectionsConsumed = c.consumed, s.projectionsSkipped = c.skipped;
    s.updating = c.updating;
  }
  if (m_recorder) {
    s.record = m_recorder->status();
    s.framesRecorded = s.record.recorded;
  }
  if (const auto snap = latest()) s.updates = snap->metrics.update;
  s.source = m_source->losses();
  s.state = m_state;
  s.stoppedEarly = m_stoppedEarly;
  s.silentSeconds = m_silentSeconds;
  s.endedIdle = m_endedIdle;
  if (m_state != SessionState::Idle)
    s.elapsedSeconds = std::chrono::duration<double>(Clock::now() - m_start).count();
  return s;
}

}  // namespace tomolive
