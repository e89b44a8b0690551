#pragma once
// The recorder: every received detector frame appended to an HDF5 Data Exchange file as it
// arrives, so a stop, an error or a crash keeps every frame received up to the last flush.
//
// Layout (frames stored in the first frame's PixelType, one chunk per frame, uncompressed so
// appending keeps up with a detector):
//   /exchange/data, data_white, data_dark   frame × row × column, projections / flats / darks
//   /exchange/theta                         float64 degrees (units = "degrees"), one per projection
//   /exchange/frame_number                  int64 detector frame number, one per projection
//   /exchange/flat_frame_number, dark_frame_number   the same for flats and darks
//   /recorder/flushed_frames                int64[3] projections, flats, darks on disk at the
//                                           last flush (what recoverRecording keeps)
// Invariants:
// - The file is created exclusively: an existing file is never replaced unless
//   RecorderOptions::overwrite says so.
// - The first frame fixes the detector shape and the stored pixel type. A frame of another
//   shape, or with a value the stored type cannot hold exactly (2.5 or 70000 in a uint16
//   recording), is rejected (std::invalid_argument) before anything is written, so earlier
//   frames are never affected; frames of another type whose values fit are stored converted
//   (uint16 projections after float32 flats, as some files and detectors deliver them).
// - All five frame datasets exist from the first frame on (HDF5 1.10's SWMR mode cannot create
//   datasets later); kinds never received stay empty. A finalized recording without flats is
//   therefore plain Data Exchange that readDataExchange refuses with
//   "<file>: /exchange/data_white: holds no frames (shape 0x…)".
// - After the first frame the file is in SWMR-write mode: its on-disk state is always
//   consistent, and each flush makes every frame appended so far durable. While it is written,
//   only SWMR readers (H5F_ACC_SWMR_READ, h5py's swmr=True) can open it; readDataExchange can
//   after finalize(). A writer killed before finalize leaves the file marked "open for
//   writing"; recoverRecording() makes it readable.
// - One thread appends (the pipeline's recorder thread); the class is not thread-safe.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "io/DataExchange.h"
#include "io/Frame.h"

namespace tomolive {

struct RecorderOptions {
  int flushEveryFrames = 16;       ///< flush after this many frames (any kind) since the last
  double flushEverySeconds = 1.0;  ///< or when an append comes this long after the last flush
  bool overwrite = false;          ///< replace an existing file at the path
  /// How the source stores its projections (a file's type), where its first frame — a flat —
  /// does not say: a uint16 scan replayed after float32 flats is recorded as uint16, not at
  /// twice its size. None: the first frame's type for every kind.
  std::optional<PixelType> projectionType{};
};

/// Frames per kind, in the order of FrameKind.
struct FrameCounts {
  std::int64_t projections = 0, flats = 0, darks = 0;
};

class FrameRecorder {
 public:
  /// Creates the file with `attributes` on /exchange; DataExchangeError if it exists (and
  /// overwrite is off) or cannot be created, std::invalid_argument for a non-positive policy.
  explicit FrameRecorder(const std::string& path, std::map<std::string, Attribute> attributes = {},
                         RecorderOptions options = {});
  /// Finalizes if finalize() was not called; never throws (a failure is lost, the data is not:
  /// everything flushed stays recoverable).
  ~FrameRecorder();
  /// A moved-from recorder may only be destroyed.
  FrameRecorder(FrameRecorder&&) noexcept;
  FrameRecorder& operator=(FrameRecorder&&) = delete;
  FrameRecorder(const FrameRecorder&) = delete;
  FrameRecorder& operator=(const FrameRecorder&) = delete;

  /// Appends one frame and flushes when due. std::invalid_argument, with nothing written, for
  /// a frame whose shape, type or pixel count differs from the first frame's, whose pixels do
  /// not fit its type, or a projection whose angle is not finite; DataExchangeError when HDF5
  /// fails or after finalize().
  void append(const Frame& frame);
  /// Makes every appended frame durable now (no-op when nothing is pending); for a recorder
  /// thread whose queue has been idle for flushEverySeconds.
  void flush();
  /// Flushes, writes frames_projection/frames_flat/frames_dark (these win over same-named
  /// `finalAttributes`) and `finalAttributes` on /exchange and closes the file. Later calls do
  /// nothing, also after a failure (then recoverRecording() completes the file).
  void finalize(std::map<std::string, Attribute> finalAttributes = {});

  std::int64_t frames(FrameKind kind) const;
  /// Frames of a kind that the last flush made durable.
  std::int64_t flushedFrames(FrameKind kind) const;
  const std::string& path() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct RecoveredRecording {
  FrameCounts kept;
  /// Frames the last flush counted that cannot be read back (a file cut short after the flush:
  /// they read as zeros or not at all), left out.
  std::int64_t lostFrames = 0;
};

/// Makes a recording left unfinalized by a killed writer readable by readDataExchange, in
/// place: clears HDF5's "open for writing" mark, trims every kind to the frames the last flush
/// made durable (a frame appended after it may be incomplete) and, of those, to the ones that
/// read back (not cut off: projections and flats not all zeros), and writes the frames_* counts
/// and recovered = "…" on /exchange. A finalized recording is left unchanged. Throws
/// DataExchangeError naming the problem when not one projection can be read back.
RecoveredRecording recoverRecording(const std::string& path);

/// Whether `path` is a recording its writer never finalised (killed, crashed, stopped by a failed
/// close): one that recoverRecording() makes readable. False for finalised recordings, files that
/// are not HDF5 or not recordings, and files that do not exist. A recording still being written
/// by another process also reads as unfinished: callers skip recently modified files.
bool isUnfinishedRecording(const std::string& path);

/// For main(), before any other HDF5 call: skips HDF5's clean-up at exit. HDF5 1.10 closes the
/// files still open at exit, and one whose close already failed (a full disk) crashes it there
/// (SIGSEGV in H5F__close_cb); our files are closed by their owners, so nothing else is lost.
void skipHdf5CleanupAtExit();

}  // namespace tomolive
