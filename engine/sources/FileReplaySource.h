#pragma once
// A scan file (Data Exchange or NeXus NXtomo, io/ScanFile.h) replayed as if it were being acquired: flats, darks, then projections in
// file order, at a chosen frame rate (real-time emulation of a detector), or without one
// (0) as fast as the session reconstructs them, losslessly: every update gets exactly W new
// projections. The whole file is read up front
// (replays are for files that fit in memory; the recorder's own files qualify).
#include <string>

#include "io/DataExchange.h"
#include "sources/PacedSource.h"

namespace tomolive {

class FileReplaySource final : public PacedSource {
 public:
  /// Throws DataExchangeError when the file cannot be read.
  FileReplaySource(const std::string& path, double framesPerSecond);

  ScanDescription describe() const override;
  bool waitsForConsumer() const override { return framesPerSecond() <= 0.0; }
  const VolumeStack* groundTruth() const override {
    return m_groundTruth.slices() > 0 ? &m_groundTruth : nullptr;
  }

 protected:
  Frame makeFrame(std::int64_t i) override;

 private:
  FileReplaySource(const std::string& path, RawScan scan, double framesPerSecond);
  std::string m_path;
  RawScan m_scan;
  PixelType m_type = PixelType::Float32;
  VolumeStack m_groundTruth;
};

}  // namespace tomolive
