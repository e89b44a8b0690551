#pragma once
// A scan file (Data Exchange or NeXus NXtomo, io/ScanFile.h) replayed as if it were being
// acquired: flats, darks, then projections in file order — or, with an interlaced window W, in
// the order an interlaced acquisition of rotations of W angles would have recorded them
// (sim/Acquisition.h, interlacedReplayOrder) — at a chosen frame rate (real-time emulation of a
// detector), or without one (0) as fast as the session reconstructs them, losslessly: every
// update gets exactly W new projections. Flats, darks and angles are read up front, each
// projection when it is sent (a replay holds a frame, not the scan: a 16 GB file replays in the
// memory its session needs); a projection that holds nothing but zeros (never written: an
// aborted scan) is left out when its turn comes, as readScan leaves it out.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "io/DataExchange.h"
#include "sources/PacedSource.h"

namespace tomolive {

class FileReplaySource final : public PacedSource {
 public:
  /// `order`: "file" or empty (the stored order) or "interlaced:W". Throws DataExchangeError
  /// when the file cannot be read, std::invalid_argument naming another order or a window
  /// outside 1 … projections.
  FileReplaySource(const std::string& path, double framesPerSecond, const std::string& order = {});

  ScanDescription describe() const override;
  bool waitsForConsumer() const override { return framesPerSecond() <= 0.0; }
  const VolumeStack* groundTruth() const override {
    return m_groundTruth.slices() > 0 ? &m_groundTruth : nullptr;
  }
  /// The first projection left out because it holds nothing but zeros (io/ScanFile.h), and at
  /// the end how many were; the file's notes (odd angles, another format's entry) at once.
  std::vector<std::string> takeWarnings() override { return std::exchange(m_warnings, {}); }

 protected:
  std::optional<Frame> makeFrame(std::int64_t i) override;

 private:
  FileReplaySource(const std::string& path, RawScan scan, double framesPerSecond,
                   const std::string& order);
  std::string m_path;
  RawScan m_scan;                                 ///< all but the projections
  std::function<std::vector<float>(int)> m_read;  ///< one projection, by file index
  std::vector<int> m_order;                       ///< file index of the k-th projection replayed
  std::int64_t m_leftOut = 0;                     ///< projections left out (nothing but zeros)
  PixelType m_type = PixelType::Float32;
  VolumeStack m_groundTruth;
  std::vector<std::string> m_warnings;
};

}  // namespace tomolive
