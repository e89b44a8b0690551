#pragma once
// One place that turns a source description into a FrameSource, shared by `tomolive-cli stream`
// and the GUI: the built-in simulator ("sim:PHANTOM"), a file replay ("file:PATH") or a network
// detector ("tcp://HOST:PORT").
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sources/FrameSource.h"

namespace tomolive {

struct SourceSpec {
  std::string uri = "sim:glass";  ///< sim:glass|shale|shepp-logan, file:PATH or tcp://HOST:PORT
  double framesPerSecond = 0.0;   ///< simulator / replay pacing (0: as fast as possible)
  // The simulator's scan (ignored by the other sources).
  int size = 256;         ///< detector columns = reconstruction grid
  int rows = 16;          ///< detector rows = slices
  int projections = 512;  ///< projections the scan records
  /// Simulator: sequential | interlaced:W | golden; empty: interlaced:`window`. File replay:
  /// file (the stored order, also when empty) | interlaced:W (interlacedReplayOrder).
  std::string order;
  int window = 32;        ///< W of the default interlaced order
  double photons = 1e4;   ///< open-beam counts per pixel (0: noise-free)
  std::uint64_t seed = 0;
};

/// Throws std::invalid_argument naming the spec when the scheme is none of the three or a
/// parameter is impossible, DataExchangeError when a replayed file cannot be read.
std::unique_ptr<FrameSource> makeSource(const SourceSpec& spec);

/// Why `uri` can never be a source, checked without opening it: an unknown scheme or phantom, a
/// file that does not exist (or is a folder), an address that is not tcp://HOST:PORT. Nothing
/// when it may be one.
std::optional<std::string> whyNotASource(const std::string& uri);

}  // namespace tomolive
