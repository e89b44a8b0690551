#pragma once
// What each update reads back from the live reconstruction for the views and the enhancer: the
// whole estimate while it is at most `fullVolumeBytes`; a larger one only every
// `fullVolumeEvery` updates (and when asked for, as after the last update), and in between the
// slices in view with their neighbours (Snapshot::viewSlices/viewVolume, the enhancer's input
// depth), beside the latest whole volume, which snapshots share rather than copy. A host
// estimate is shared, not copied: the solver steps into another buffer while it is held.
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "geometry/SliceStacks.h"

namespace tomolive {

class LiveReconstruction;
struct Snapshot;

/// The slices in view (the middle one when none) and `neighbours` on each side, within
/// 0 … slices − 1, ascending, each once.
std::vector<int> readBackSlices(std::span<const int> view, int slices, int neighbours);

class VolumeReadBack {
 public:
  VolumeReadBack(std::size_t fullVolumeBytes, int fullVolumeEvery);

  /// A reconstruction of a new shape (the first, or a region of interest): the next update
  /// reads it whole. Returns "" or the log line saying that updates read back the view only.
  std::string reset(const LiveReconstruction& recon);
  /// Fills `snapshot`'s volume, volumeUpdate, viewSlices and viewVolume after update `update`.
  void read(const LiveReconstruction& recon, int update, std::span<const int> view, int neighbours,
            Snapshot& snapshot);
  /// Reads the whole estimate now (update `update`) and returns it.
  std::shared_ptr<const VolumeStack> readWhole(const LiveReconstruction& recon, int update);
  bool readsWhole() const { return m_whole; }

 private:
  std::size_t m_fullVolumeBytes;
  int m_every;
  bool m_whole = true;
  std::shared_ptr<const VolumeStack> m_volume;  ///< the latest read back whole
  /// Where the reconstruction cannot share its estimate (on a device, gathered from a team):
  /// volumes read back whole before, reused once no snapshot holds them: a new volume every
  /// update would cost a page fault per 4 KiB (at 2560² × 16, 420 MB of fresh pages per update).
  /// Two are enough while the views hold one snapshot at a time.
  std::shared_ptr<VolumeStack> m_buffers[2];
  int m_nextBuffer = 0;  ///< the one replaced when both are held
  int m_volumeUpdate = 0;
};

}  // namespace tomolive
