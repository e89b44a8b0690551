#pragma once
// Applying a Denoiser to slices of a volume: slice s is enhanced from slices (s−1, s, s+1)
// (for depth 3; generally the depth() slices centred on s), repeating the edge slice where a
// neighbour does not exist. Outside the grid's inscribed circle — where SIRT reconstructs
// nothing — the output is zero, as in the reconstruction.
#include <span>
#include <vector>

#include "geometry/SliceStacks.h"
#include "nn/Denoiser.h"

namespace tomolive {

/// The enhanced slice s (gridSize² values, row-major).
std::vector<float> enhanceSlice(Denoiser& denoiser, const VolumeStack& volume, int s);

/// Every slice enhanced.
VolumeStack enhanceVolume(Denoiser& denoiser, const VolumeStack& volume);

/// Every slice of a slice-major volume ([slice][row][column], slices × gridSize²) enhanced, in
/// the same layout. The denoiser reads the input in place (neighbours are adjacent there); only
/// edge slices gather their repeated neighbour, and each enhanced slice is copied once, into the
/// result.
std::vector<float> enhanceSliceMajor(Denoiser& denoiser, std::span<const float> volume, int slices,
                                     int gridSize);

}  // namespace tomolive
