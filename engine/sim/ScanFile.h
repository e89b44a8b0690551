#pragma once
// A whole simulated scan written as a Data Exchange file, ground truth included, so that the
// same file can be reconstructed, replayed or streamed and its quality measured.
#include <string>

#include "sim/ScanSimulator.h"

namespace tomolive {

struct SimulatedScanSummary {
  std::string dataType;  ///< "uint16" when every count fits, else "float32"
};

/// Writes raw projections (acquisition order), flats, darks, theta (degrees), the ground truth
/// at /exchange/ground_truth and the simulation parameters as attributes of /exchange.
SimulatedScanSummary writeSimulatedScan(const ScanSpec& spec, const std::string& path);

}  // namespace tomolive
