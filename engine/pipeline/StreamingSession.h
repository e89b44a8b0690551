#pragma once
// A live reconstruction session: frames flow from a source to the recorder and, through
// preprocessing and window assembly, to streaming SIRT; each update is published as an
// immutable Snapshot.
//
//   acquisition thread:    source.next() → recorder queue, intake (pipeline/WindowIntake.h; a
//                          detector's never waits on either; a lossless file replay waits for
//                          the reconstruction and for room in the recorder queue)
//   recorder thread:       appends every frame to the record file, flushing regularly, behind
//                          a queue bounded in bytes (pipeline/RecordingStage.h: what happens
//                          when the disk is slower than the source, or full)
//   reconstructor thread:  waits for W new projections (or the end of the scan), takes *all*
//                          pending ones (the window grows when reconstruction falls behind, so
//                          latency stays bounded), updates the live reconstruction with them
//                          (pipeline/LiveReconstruction.h: by default the SIRT-100 image of
//                          everything received so far), publishes a Snapshot
//   enhancer thread:       works through each update the slices in view first
//                          (pipeline/EnhancementScheduler.h), publishing enhanced versions
//
// Memory: every method but `window` keeps the line integrals of the reconstructed rows of every
// received projection (4 bytes per pixel, as much as the raw frames of those rows): that is what
// lets each update show all the angles received so far and apply a new centre to all of them.
// Raw frames are released once preprocessed.
//
// Overload (window method): an update costs time in proportion to its window, so a source that
// stays faster than reconstruction would make windows grow without end. Its windows are capped
// at maxWindow projections (default 8·W): beyond it, the oldest pending projections are left out
// of the reconstruction — never out of the record — and counted as skipped in the metrics. The
// other methods cost per update what the received projections cost, whatever the window, so
// they take every pending projection and skip none.
//
// Rotation centre: one given by the user (StreamOptions::centre, setCentre) or known to the
// source (a file's rotation_center) is used as given. Otherwise it is estimated from the
// received projections as soon as they hold a pair 180° apart (before that from the sinogram's
// centre of mass where that is reliable, else the detector middle), re-estimated at each update
// until the estimate uses enough pairs, and applied to that update; metrics say which
// (`centreSource`).
//
// Large volumes (more than StreamOptions::fullVolumeBytes, e.g. the seed's 128 × 2560² on a GPU):
// reading the whole estimate back every update would cost more than the update, so each update
// reads back only the slices in view (setViewSlices) with their neighbours, and the whole volume
// every fullVolumeEvery updates and after the last one (Snapshot says which slices are current).
//
// Steering (set W, set I, pause, resume, stop acquisition, set centre) is thread-safe and takes
// effect at the next window boundary; every Snapshot records the W and I that produced it.
// Memory: raw projections are held only until the update that consumes them; the recorder
// queue holds frames only until they are written, recordBufferBytes at most.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backend/ComputeBackend.h"
#include "io/DataExchange.h"
#include "nn/Denoiser.h"
#include "nn/EnhancementGuard.h"
#include "pipeline/LiveQuality.h"
#include "pipeline/LiveReconstruction.h"
#include "pipeline/RecordingStage.h"
#include "pipeline/RegionOfInterest.h"
#include "pipeline/RowTeam.h"
#include "pipeline/StopAdvice.h"
#include "pipeline/WindowIntake.h"
#include "sources/FrameSource.h"

namespace tomolive {

/// The target refresh of `--iterations auto` when none is given (seconds).
inline constexpr double kAutoIterationsTarget = 1.0;

struct StreamOptions {
  int window = 32;     ///< W: new projections per update
  int iterations = 1;  ///< I: iterations of the method per update
  LiveMethod method = LiveMethod::filtered;
  int targetIterations = 100;    ///< filtered: the SIRT iterations each image stands for
  RowRange slices;               ///< detector rows to reconstruct
  std::optional<double> centre;  ///< rotation centre; else the source's, else estimated
  bool circularMask = true;
  std::string recordPath;  ///< record file for every raw frame ("" = do not record)
  bool overwriteRecord = false;
  /// Most bytes of frames waiting for the disk; beyond it a source that can wait waits and a
  /// detector's frames are left out of the record, counted (pipeline/RecordingStage.h).
  std::size_t recordBufferBytes = RecordingOptions{}.bufferBytes;
  /// Room kept free on the record's disk: recording stops (finalised) when less would be left.
  std::uint64_t recordReserveBytes = RecordingOptions{}.reserveBytes;
  std::chrono::microseconds recordDelayPerFrame{0};  ///< emulates a slow disk (tests)
  bool qualityMetrics = true;  ///< SSIM/PSNR per update when the source has a ground truth
  int maxWindow = 0;           ///< window method: most projections one update takes (0: 8·W)
  /// Where SIRT runs (resolved: cpu or cuda; backend/ComputeBackend.h chooses).
  ComputeBackend backend = ComputeBackend::cpu;
  /// Largest estimate read back whole at every update; a larger one is read back whole only every
  /// `fullVolumeEvery` updates and after the last, and in between just the slices in view.
  std::size_t fullVolumeBytes = std::size_t(1) << 30;
  int fullVolumeEvery = 8;
  /// Enhancer (TomoGAN) run on each update, concurrently with the next SIRT update; null: none.
  std::shared_ptr<Denoiser> enhancer;
  /// Share s of wall time the enhancer may compute while reconstruction runs (it sleeps the
  /// rest). Both use every core, so SIRT updates take at most 1/(1 − s) as long: 1.33× at the
  /// default 0.25 (measured in docs/performance.md). After the scan it runs unthrottled to finish
  /// the last volume.
  double enhancerShare = 0.25;
  /// A source silent this long (no frame, not finished) ends the session as a stop would
  /// (0: wait for it, however long). Silence is reported at 5, 10, 20, 40 … s either way.
  double idleTimeoutSeconds = 0.0;
  /// Resolution (FRC of two half reconstructions), residual and stop advice per update
  /// (pipeline/LiveQuality.h); the change is measured either way. Not for the window method.
  bool liveQuality = true;
  /// The live quality's halves and FRC on every k-th update only (pipeline/LiveQuality.h).
  int qualityEvery = 1;
  /// Or the halves only while they have cost at most this share of the updates' time (none: no
  /// limit; pipeline/LiveQuality.h).
  std::optional<double> qualityShare;
  std::optional<double> pixelSizeMicrometres;  ///< for the resolution in µm
  StopRule stopRule;
  /// Stop the acquisition (as stopAcquisition() does) at the first update advised "stop".
  bool stopWhenStable = false;
  /// Stop the acquisition as soon as this many projections have been received (0: never). Exact
  /// for a source that waits for the reconstruction (a file replayed losslessly); a detector
  /// stops at once, but frames already on their way are still recorded and reconstructed.
  std::int64_t stopAfterProjections = 0;
  /// After the scan's end, a finishing pass of plain SIRT, this many iterations from zero over
  /// everything received (LiveReconstruction::finish): the last image is then what `recon`
  /// computes from the same projections. 0: none (its cost is that of an offline recon). Not
  /// for the window method, a region, or a session shared by MPI ranks (logged and skipped).
  int finishIterations = 0;
  /// After the scan's end, where no finishing pass is asked for: this many plain SIRT iterations
  /// over everything received, warm-started from the live image (LiveReconstruction::finish,
  /// not from zero). The filtered method's few large steps leave a faint texture in the air
  /// around a large, low-contrast sample that `recon`'s clamped iterations remove (SSIM to it
  /// 0.92 at I = 3 on such scans, 0.96 after 10 of these); its cost is a tenth of a `recon`.
  /// 0: none. Skipped where the finishing pass is.
  int polishIterations = 10;
  /// Auto-steering (pipeline/AutoSteering.h): after each update W and I are chosen to keep up
  /// with the detector with updates of at most this many seconds; W and I above are the start.
  /// A W or I set by setWindow / setIterations turns it off (manual steering overrides it).
  std::optional<double> autoSteerTargetSeconds;
  /// I chosen after each update with W kept (pipeline/AutoSteering.h): the most iterations whose
  /// update fits the target (autoSteerTargetSeconds, else kAutoIterationsTarget) and ends before
  /// the next window arrives; `iterations` above is the start. W set by hand keeps it on; I set
  /// by hand turns it off.
  bool autoIterations = false;
  /// Processes sharing the reconstruction by rows (pipeline/RowTeam.h, this one their leader;
  /// e.g. MPI ranks, cluster/MpiTeam.h); null or one member: this process alone. A region of
  /// interest is reconstructed by the leader alone.
  std::shared_ptr<RowTeam> rowTeam;
};

/// What one update did; also written as one JSON line per update by `tomolive-cli stream`.
struct UpdateMetrics {
  int update = 0;             ///< R: windows consumed so far
  std::int64_t received = 0;  ///< projections received when the update was published
  std::int64_t consumed = 0;  ///< projections used by all updates so far
  int window = 0;             ///< W in force for this update
  int projections = 0;        ///< projections this update consumed (> W when behind)
  int projectionsUsed = 0;    ///< projections the image is computed from (all received)
  std::int64_t skipped = 0;   ///< projections left out so far (overload beyond maxWindow)
  int iterations = 0;         ///< I used
  std::string method;         ///< "filtered", "cgls", "sirt" or "window"
  double centre = 0.0;        ///< rotation centre used (detector column)
  /// Where the centre comes from: "user", "source" (e.g. the file's), "estimated" (0°/180°
  /// registration of the received projections), "centre of mass" (the sinogram's, before a pair
  /// 180° apart has arrived) or "detector middle" (neither possible yet).
  std::string centreSource;
  /// The region of interest in force ("rows a:b, columns c:d", pipeline/RegionOfInterest.h), or
  /// "" when the whole selection is reconstructed.
  std::string region;
  double refreshSeconds = 0.0;       ///< from the window being complete to the snapshot published
  double workSeconds = 0.0;          ///< preprocessing + SIRT time of this update
  double sustainedPps = 0.0;         ///< projections consumed per second of reconstruction work
  std::int64_t lag = 0;              ///< projections received but not yet consumed, at publication
  double elapsedSeconds = 0.0;       ///< since the session started
  std::optional<double> ssim, psnr;  ///< against the source's ground truth
  /// ‖x_R − x_{R−1}‖ / ‖x_R‖ on the first slice in view (none at the first update).
  std::optional<double> change;
  /// 1 − SSIM to the last update on the slices the resolution uses (the stop advice's measure).
  std::optional<double> structuralChange;
  /// The share of its path over the last 4 updates the image made good (squared distances; the
  /// advice weighs the change by it at the grid's resolution limit: pipeline/StopAdvice.h).
  std::optional<double> changeMadeGood;
  /// 1 − SSIM of each half reconstruction's image to this update's, the mean (the advice's
  /// second reading).
  std::optional<double> halvesChange;
  /// SSIM the rest of the scan is expected to bring, by the stop advice's rule from the change
  /// between updates and from the halves' change (pipeline/StopAdvice.h; none before measured).
  std::optional<double> expectedGain, halvesGain;
  /// Live quality without a ground truth (pipeline/LiveQuality.h): ‖p − A·x‖/‖p‖ over the
  /// projections used; the FRC resolution of two half reconstructions in pixels (and µm when the
  /// pixel size is known); the stop advice ("continue" or "stop", "" when not assessed) and why.
  std::optional<double> residual, resolutionPixels, resolutionMicrometres;
  /// The largest gap between the received angles (pipeline/StopAdvice.h, AngularCoverage); too
  /// wide, no resolution and the advice says so.
  std::optional<double> angularGapDegrees;
  std::string advice, adviceReason;
  bool scanComplete = false;    ///< the advice's: the whole scan has arrived, nothing to advise
  double qualitySeconds = 0.0;  ///< time the quality assessment added to this update
  /// With auto-steering: why this update has its W and I ("" when steered by hand).
  std::string steeringReason;
  /// Set by the enhancer's versions of the update (nn/EnhancementGuard.h): how much worse the
  /// enhanced slice in view explains the received projections than the reconstruction, and the
  /// weight of the enhancement in what is shown.
  std::optional<double> enhancedResidualRatio, enhancementWeight;
  /// The held-out weight of that enhancement (nn/EnhancementGuard.h, heldOutWeight): how far
  /// towards the network's output the projections the half reconstructions did not see support
  /// moving; none where there are no halves (window method, live quality off).
  std::optional<double> enhancementHeldOutWeight;
  /// What the guard cost on this update, seconds: re-projecting the enhanced slice in view, and
  /// the held-out check's enhancement of the two half images and their re-projections.
  std::optional<double> enhancementGuardSeconds;
  /// Why the weight is below 1: "" (it is 1), "disagrees with the data", "not supported by
  /// held-out projections", "converged" or "trained on window images" (the model: another
  /// method's).
  std::string enhancementNote;

  /// Frames left out of the record so far (a disk slower than the detector).
  std::int64_t recordDropped = 0;
  /// The recorder's warning, or "recording stopped: <why>" ("" when there is none).
  std::string recordProblem;
};

/// One published state of the session. Immutable once published; versions share volumes.
struct Snapshot {
  UpdateMetrics metrics;
  /// The reconstruction after this update — or, when `viewVolume` is set (large volumes), after
  /// update volumeUpdate, the latest read back whole (shared between snapshots, not copied).
  std::shared_ptr<const VolumeStack> volume;
  int volumeUpdate = 0;
  /// Large volumes between whole read-backs: this update's slices in view and their neighbours,
  /// ascending — viewSlices[i] is slice i of viewVolume. Null when `volume` is this update's.
  std::shared_ptr<const VolumeStack> viewVolume;
  std::vector<int> viewSlices;
  int firstRow = 0;     ///< detector row of slice 0
  /// Detector column of viewSinogram's column 0 (non-zero in a region of interest, whose grid is
  /// centred on the axis like the whole one)
  int firstColumn = 0;
  int detectorColumns = 0;  ///< the detector's width (the whole selection's grid)
  /// The enhancer's output for this update (null without an enhancer) as shown: the network's
  /// output blended with the reconstruction by metrics.enhancementWeight; filled in slice by slice
  /// — the slices in view first — each step published as a new Snapshot version sharing the
  /// volumes. It covers the slices of `volume`, or of `viewVolume` when there is one (then only
  /// the slices in view, not their neighbours, are enhanced); enhancedSlices[i] says whether its
  /// slice i is done (enhancedIndex maps a slice to i).
  std::shared_ptr<const VolumeStack> enhanced;
  std::vector<std::uint8_t> enhancedSlices;
  bool enhancing = false;  ///< the session has an enhancer (so `enhanced` will come)
  /// The received line integrals of slice guardSlice (up to 64 projections; the window method:
  /// the up to 256 its held-out halves keep), for the enhancement guard; null without an
  /// enhancer.
  std::shared_ptr<const SliceSinogram> guardSinogram;
  int guardSlice = -1;
  /// The sample's shadows on up to kSupportProjections received projections (nn/SampleSupport.h)
  /// of every slice `enhanced` covers, in its order: the enhancer's output is kept to the sample
  /// they leave. Null without an enhancer.
  std::shared_ptr<const std::vector<SliceShadows>> sampleShadows;
  /// The received line integrals of the slice in view (guardSlice) on up to
  /// kViewSinogramProjections of them spread evenly, with the centre in force: the console's
  /// sinogram and centre tool (the window method: what its held-out halves keep, else its last
  /// window).
  std::shared_ptr<const SliceSinogram> viewSinogram;
  static constexpr int kViewSinogramProjections = 720;
  /// The live quality's half reconstructions around guardSlice, for the held-out check (null:
  /// none, or no enhancer).
  std::shared_ptr<const HalfReconstructions> guardHalves;
  int enhancedCount = 0;
  double enhanceSeconds = 0.0;  ///< enhancer compute time spent on this update so far
  bool fullyEnhanced() const {
    return enhanced && !viewVolume && enhancedCount == volume->slices();
  }

  int sliceCount() const { return volume->slices(); }
  /// Whether slice s shows this update (else it is from update volumeUpdate).
  bool current(int s) const;
  /// Slice s as a row-major gridSize² image: this update's where read back, else the latest.
  std::vector<float> slice(int s) const;
  /// Index of slice s in `enhanced` (and enhancedSlices), or −1 when it has no place there.
  int enhancedIndex(int s) const;
};

enum class SessionState { Idle, Running, Paused, Stopping, Finished, Failed };
const char* sessionStateName(SessionState s);

struct SessionSummary {
  SessionState state = SessionState::Idle;
  std::int64_t framesReceived = 0, projectionsReceived = 0, projectionsConsumed = 0;
  std::int64_t projectionsSkipped = 0;  ///< received, recorded, not reconstructed (overload)
  std::int64_t framesRecorded = 0;
  RecordingStatus record;  ///< the recorder's counts, warning and stop reason (when recording)
  SourceLosses source;     ///< what the source rejected, dropped as duplicate or never received
  int updates = 0;
  /// An update in progress (taken its projections, not yet published): after pause() the
  /// session is quiet once this is false.
  bool updating = false;
  double elapsedSeconds = 0.0, workSeconds = 0.0;
  /// The finishing pass's iterations when it made the last image (0: none ran)
  int finishedIterations = 0;
  /// The closing polish's iterations, where it ran (StreamOptions::polishIterations); 0 if not.
  int polishedIterations = 0;
  /// The acquisition was stopped before the source ended (by the scientist, --stop-after, the
  /// advice, an idle detector); a stop after the last projection arrived is not early.
  bool stoppedEarly = false;
  double silentSeconds = 0.0;  ///< how long the source has delivered nothing (0 while it does)
  bool endedIdle = false;      ///< ended by StreamOptions::idleTimeoutSeconds
  std::string error;           ///< why the session failed, if it did
};

class StreamingSession {
 public:
  StreamingSession(std::unique_ptr<FrameSource> source, StreamOptions options);
  ~StreamingSession();  ///< stops acquisition and joins every thread; the record file is finalised
  StreamingSession(const StreamingSession&) = delete;
  StreamingSession& operator=(const StreamingSession&) = delete;

  /// Called on the reconstructor (or enhancer) thread after each snapshot version is published:
  /// keep it short.
  void onSnapshot(std::function<void(std::shared_ptr<const Snapshot>)> callback);
  /// Called with each log line (warnings from the source, centre estimate, errors).
  void onLog(std::function<void(const std::string&)> callback);
  /// Called on the acquisition thread each time the source's silence is reported (seconds
  /// without a frame): "detector silent for N s".
  void onSilence(std::function<void(double)> callback);

  /// Starts the threads. Throws InsufficientMemory, before allocating, when the reconstruction
  /// of the source's scan would not fit in the memory available, and std::invalid_argument when
  /// `slices` selects none of its rows (a network source: at its first frame, failing the
  /// reconstruction; recording goes on).
  void start();

  // Steering: thread-safe, applied at the next window boundary.
  /// Both throw std::invalid_argument unless ≥ 1. Either turns auto-steering of W and I off;
  /// W set by hand keeps the choice of I alone (setAutoIterations) on.
  void setWindow(int projections);
  void setIterations(int iterations);
  /// Auto-steering on with updates of at most `targetSeconds` (from the next update, starting
  /// from the W and I in force), or off (nullopt: W and I stay where it left them). Throws
  /// std::invalid_argument for a target that is not positive.
  void setAutoSteering(std::optional<double> targetSeconds);
  /// I alone chosen after each update, for updates of at most `targetSeconds` that end before
  /// the next window arrives (W stays as set), or off (nullopt: I stays where it left it).
  /// Throws std::invalid_argument for a target that is not positive.
  void setAutoIterations(std::optional<double> targetSeconds);
  void setCentre(double column);  ///< throws std::invalid_argument outside the detector
  /// Reconstructs only `region` (pipeline/RegionOfInterest.h; detector rows within those
  /// selected at start, and columns) from the next update, or the whole selection again
  /// (nullopt). A region that does not fit is logged and ignored; the record is unchanged.
  void setRegion(std::optional<Region> region);
  /// InsufficientMemory (pipeline/MemoryBudget.h), with the numbers and a way out, when a session
  /// with `options` on a detector of rows × columns over a scan of `scanProjections` (0: unknown)
  /// would not fit in memory. start() checks it; callers that build a costly source (the
  /// simulator draws its phantom) check it first.
  static void requireMemoryFor(const StreamOptions& options, int rows, int columns,
                               std::int64_t scanProjections);
  void pause();                   ///< acquisition and recording go on; no new updates
  void resume();
  void stopAcquisition();  ///< stops the source; pending projections still reconstruct
  /// Slices the scientist is looking at (indices into the reconstructed slices): enhanced first.
  void setViewSlices(std::vector<int> slices);

  std::shared_ptr<const Snapshot> latest() const;
  SessionState state() const { return m_state; }
  /// Blocks until the session has finished (source ended, everything consumed and recorded).
  void wait();
  bool waitFor(std::chrono::milliseconds timeout);
  SessionSummary summary() const;
  const FrameSource& source() const { return *m_source; }

 private:
  void acquire();
  void record();
  void reconstruct();
  void enhance();
  void workerDone();  ///< each worker thread's last act
  void requireMemoryFor(int rows, int columns) const;  ///< with this session's options and W
  void publish(std::shared_ptr<const Snapshot> snapshot);
  /// The region asked for since the last call, if any (consumed).
  std::optional<std::optional<Region>> takeRegionRequest();
  void log(const std::string& line);
  void fail(const std::string& what);

  std::unique_ptr<FrameSource> m_source;
  StreamOptions m_options;
  std::function<void(std::shared_ptr<const Snapshot>)> m_onSnapshot;
  std::function<void(const std::string&)> m_onLog;
  std::function<void(double)> m_onSilence;
  std::atomic<double> m_silentSeconds{0.0};
  std::atomic<bool> m_endedIdle{false};
  std::mutex m_logMutex, m_callbackMutex;

  std::atomic<int> m_window, m_iterations;
  std::atomic<bool> m_autoSteer{false};
  bool m_steerWindow = true;       ///< while m_autoSteer: W chosen too (guarded by m_steeringMutex)
  std::mutex m_steeringMutex;      ///< orders steering by hand against the auto-steering's choice
  double m_autoSteerTarget = 0.0;  ///< seconds, while m_autoSteer (guarded by m_steeringMutex)
  std::atomic<bool> m_paused{false}, m_stopRequested{false};
  std::atomic<bool> m_acquisitionOver{false}, m_stoppedEarly{false};
  std::atomic<double> m_centreRequest{-1.0};
  std::mutex m_regionMutex;
  /// A region asked for and not yet applied (the inner nullopt: back to the whole selection).
  std::optional<std::optional<Region>> m_regionRequest;
  std::atomic<SessionState> m_state{SessionState::Idle};
  std::chrono::steady_clock::time_point m_start;

  // Frames handed from the acquisition thread to the reconstructor.
  std::unique_ptr<WindowIntake> m_intake;

  std::unique_ptr<RecordingStage> m_recorder;
  mutable std::mutex m_snapshotMutex;
  std::shared_ptr<const Snapshot> m_latest;
  std::condition_variable m_finishedCv;
  mutable std::mutex m_finishedMutex;
  bool m_finished = false;
  int m_workersLeft = 0;  ///< recorder, reconstructor and enhancer threads still running
  SessionSummary m_summary;              ///< guarded by m_finishedMutex
  std::condition_variable m_snapshotCv;  ///< the enhancer waits on it for a new update
  bool m_reconstructionDone = false;     ///< guarded by m_snapshotMutex
  std::vector<int> m_viewSlices;         ///< guarded by m_snapshotMutex
  std::thread m_acquisition, m_recording, m_reconstruction, m_enhancement;
};

}  // namespace tomolive
