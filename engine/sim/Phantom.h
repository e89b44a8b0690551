#pragma once
// Test objects for simulated scans, rasterised as volumes of linear attenuation per pixel.
//
// - SheppLogan: the modified (Toft) Shepp–Logan head as 3-D ellipsoids (in-plane parameters and
//   intensities 1, −0.8, −0.2, … of the classic 2-D phantom, z semi-axes of the Kak–Slaney 3-D
//   phantom with the small features stretched to 0.1, all centred on the mid-plane). Slices
//   span at most z ∈ [−0.05, 0.05] of the head, so every slice looks like the classic image;
//   with one slice it is exactly the 2-D phantom (row 0 at the top, as scikit-image shows it).
// - Glass: a tube packed with non-overlapping glass beads of varied radius and density.
// - Shale: a rock core of wavy layers of different density, with flat pores, thin cracks and
//   dense mineral grains.
// Glass and shale have cubic voxels; their random content depends only on (size, slices, seed).
//
// Invariants: values ≥ 0; pixels whose centre lies farther than size/2 from the rotation axis
// are 0; edges are anti-aliased (2 × 2 samples per pixel); values are scaled so that the
// largest line integral along rows or columns of any slice is kPhantomMaxLineIntegral, which
// keeps simulated transmissions realistic (e^−2.5 ≈ 8 %) whatever the size.
#include <cstdint>
#include <string>
#include <vector>

#include "geometry/SliceStacks.h"

namespace tomolive {

enum class PhantomKind { SheppLogan, Glass, Shale };

/// "shepp-logan", "glass" or "shale"; throws std::invalid_argument listing the valid names.
PhantomKind parsePhantomKind(const std::string& name);
std::string phantomKindName(PhantomKind kind);

inline constexpr double kPhantomMaxLineIntegral = 2.5;

/// size × size pixels per slice (size ≥ 8), `slices` ≥ 1 slices. Deterministic for a seed
/// (Shepp–Logan ignores it). Throws std::invalid_argument naming a bad size or slice count.
VolumeStack makePhantom(PhantomKind kind, int size, int slices, std::uint64_t seed);

/// One bead of the glass phantom, in voxel units: x = column − (size−1)/2,
/// y = row − (size−1)/2, z = slice − (slices−1)/2; `density` before the phantom's scaling.
struct GlassBead {
  double x, y, z, radius, density;
};

/// The beads makePhantom(PhantomKind::Glass, size, slices, seed) draws (including beads that
/// only partly fall inside the slices).
std::vector<GlassBead> glassBeads(int size, int slices, std::uint64_t seed);

}  // namespace tomolive
