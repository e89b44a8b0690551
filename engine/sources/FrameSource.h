#pragma once
// A producer of detector frames: the built-in simulator, a file replayed at a frame rate, or a
// detector streaming over the network. One thread calls next() in a loop; any thread may call
// stop(), which must reach the acquisition itself (the simulated scanner stops scanning, the
// replay stops reading, the network detector is told to stop acquiring).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geometry/SliceStacks.h"
#include "io/Frame.h"

namespace tomolive {

/// What a source knows about its scan before (or while) frames arrive.
struct ScanDescription {
  int rows = 0, columns = 0;     ///< detector shape; 0 when only the first frame will tell
  int projections = 0;           ///< projections the scan will record; 0 when unknown
  std::optional<double> centre;  ///< rotation centre (detector column) when the source knows it
  std::string label;             ///< e.g. "simulated glass 256² × 8", "file scan.h5", "tcp://…"
  std::optional<double> pixelSizeMicrometres;  ///< the detector pixel, when the source knows it
  std::optional<PixelType> projectionType{};   ///< how its projections are stored, when known
};

/// What a source left out of the scan it delivered: messages it rejected (malformed, of another
/// scan or shape), duplicate frames it dropped, and frame numbers it never received below the
/// highest it did (lost on the way, or taken by a second receiver of the same detector).
struct SourceLosses {
  std::int64_t rejected = 0, duplicates = 0, missing = 0;
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;

  virtual ScanDescription describe() const = 0;

  /// Waits up to `timeout` for the next frame. Returns a frame, or std::nullopt on timeout;
  /// after the end of the scan (finished or stopped) returns std::nullopt and finished() is true.
  /// Throws std::runtime_error if the source fails for good.
  virtual std::optional<Frame> next(std::chrono::milliseconds timeout) = 0;
  virtual bool finished() const = 0;

  /// Asks the acquisition to stop early; thread-safe, returns without waiting. Frames already
  /// acquired are still delivered by next() before it reports the end.
  virtual void stop() = 0;

  /// Whether the source can wait for its consumer (a file replayed without a frame rate): the
  /// session then takes frames only as fast as it reconstructs them, so every update gets
  /// exactly W new projections, as in a live scan the machine keeps up with. A detector cannot
  /// wait (false).
  virtual bool waitsForConsumer() const { return false; }

  /// Ground truth on the source's own grid (detector rows as slices), when the source has one.
  virtual const VolumeStack* groundTruth() const { return nullptr; }

  /// Problems the source met and survived (malformed messages, reconnects), oldest first; the
  /// caller takes them.
  virtual std::vector<std::string> takeWarnings() { return {}; }
  /// Counts so far; thread-safe. A file or the simulator loses nothing.
  virtual SourceLosses losses() const { return {}; }
};

}  // namespace tomolive
