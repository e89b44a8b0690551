#pragma once
// A whole simulated scan written as a Data Exchange file, ground truth included, so that the
// same file can be reconstructed, replayed or streamed and its quality measured — or as a NeXus
// NXtomo file (what Diamond, ESRF and PSI write), without the ground truth NXtomo has no place for.
#include <string>

#include "io/ScanFile.h"
#include "sim/ScanSimulator.h"

namespace tomolive {

struct SimulatedScanSummary {
  std::string dataType;  ///< "uint16" when every count fits, else "float32"
};

/// Writes raw projections (acquisition order), flats, darks, theta (degrees), the ground truth
/// at /exchange/ground_truth and the simulation parameters as attributes of /exchange; or, as
/// NXtomo, the same frames, keys, angles and attributes (io/NexusTomo.h, writeNxTomo).
SimulatedScanSummary writeSimulatedScan(const ScanSpec& spec, const std::string& path,
                                        ScanFormat format = ScanFormat::DataExchange);

}  // namespace tomolive
