#pragma once
// Where the sample is not, from the measurements alone: attenuation is never negative, so a ray
// whose line integral reads air crossed nothing but air, and every pixel it crossed is empty.
// The rays that read air on one detector row leave the sample's shadow — the columns between the
// first and the last that read more — and the pixels outside the shadows of enough projections
// lie outside the sample (at full angular coverage, outside its convex hull).
//
// A network's output there is invention: a denoiser trained on other scans renders texture and
// halos in the air around a small sample in a wide field (the tooth, docs/quality.md), where the
// reconstruction of all projections is exactly zero. keptToSample clears it.
#include <optional>
#include <span>
#include <vector>

#include "nn/EnhancementGuard.h"

namespace tomolive {

/// The received projections a slice's support is drawn from, spread evenly over those received:
/// 128 angles leave no gap above 1.5° over a half turn.
inline constexpr int kSupportProjections = 128;

/// The line integral below which a ray read air, from detector rows of `columns` values: the
/// air's level — the median of the rows' outermost 2 % of columns (at least 2 each side), where
/// a sample that fits the field leaves air — plus four times its spread, measured on the low
/// side (no sample lowers a line integral). None unless three quarters of those edge values lie
/// within four spreads of the level, the level is near zero (flat-field corrected: within three
/// spreads or 0.02, a drifting beam), and the rows' 99th percentile stands clear of it: a sample
/// wider than the field, a tube's wall at the edges, a scan without flats or a contrast the noise
/// covers give none. Non-finite values are left out. Throws std::invalid_argument where the
/// values are not whole rows.
std::optional<float> airThreshold(std::span<const float> rows, int columns);

/// The columns a sample shadows on one detector row: from the first to the last of the columns
/// where two neighbours both read at or above the air threshold (a lone noisy value does not
/// widen it). first > last: the whole row read air.
struct Shadow {
  int first = 0, last = -1;
};
Shadow rowShadow(std::span<const float> row, float airThreshold);

/// One slice's shadows on projections at `anglesRad`, on a detector of `columns` with the axis at
/// `centre` (the reconstruction's geometry).
struct SliceShadows {
  std::vector<double> anglesRad;
  double centre = 0.0;
  int columns = 0;
  std::vector<Shadow> shadows;  ///< one per angle
};

/// The shadows of a sinogram's rows, with the air threshold of its own values (none found: no
/// shadows, nothing cleared).
SliceShadows sliceShadows(const SliceSinogram& measured);

/// Of every pixel of an n × n slice, the weight the sample allows there: 0 where the rays of at
/// least 3 % of the projections (and at least 2) through it read air, unless it lies within two
/// pixels of one they do not clear (the rays that only graze an edge, a phase-contrast fringe):
/// 1 there, falling linearly to 0 eight pixels away. All 1 without shadows.
std::vector<float> sampleSupport(const SliceShadows& shadows, int n);

/// `enhanced` (n × n) weighted by sampleSupport: zero where the sample is not. Throws
/// std::invalid_argument for a slice that is not n × n or shadows whose angles and shadows differ
/// in number.
std::vector<float> keptToSample(std::vector<float> enhanced, const SliceShadows& shadows, int n);

}  // namespace tomolive
