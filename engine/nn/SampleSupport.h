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

/// What air reads on the detector: the level of its line integrals and one ray's noise spread.
/// A ray reads air below threshold() = level + 4·spread.
inline constexpr float kAirNoiseWidths = 4.0f;
struct AirLevel {
  float level = 0.0f, spread = 0.0f;
  float threshold() const { return level + kAirNoiseWidths * spread; }
};

/// The air's level and spread from detector rows of `columns` values: the median of the rows'
/// outermost 2 % of columns (at least 2 each side), where a sample that fits the field leaves air,
/// and the spread measured on its low side (no sample lowers a line integral). None unless three
/// quarters of those edge values lie within four spreads of the level, the level is near zero
/// (flat-field corrected: within three spreads or 0.02, a drifting beam), and the rows' 99th
/// percentile stands clear of it: a sample wider than the field, a tube's wall at the edges, a
/// scan without flats or a contrast the noise covers give none. Non-finite values are left out.
/// Throws std::invalid_argument where the values are not whole rows.
std::optional<AirLevel> airLevel(std::span<const float> rows, int columns);

/// The columns a sample shadows on one detector row, from the first to the last that read above
/// air: two neighbouring columns above the threshold (a lone noisy value does not widen it), or —
/// for faint parts no single ray tells from noise (a faint mount, the thin ends of a sample) — a
/// run of 8 neighbouring columns each above level + spread, which air alone gives once in 4·10⁶
/// (0.16⁸) and a part reading two spreads above air at a quarter of its positions. An unknown
/// (NaN) value counts as sample. first > last: the whole row read air.
struct Shadow {
  int first = 0, last = -1;
};
Shadow rowShadow(std::span<const float> row, const AirLevel& air);

/// One slice's shadows on projections at `anglesRad`, on a detector of `columns` with the axis at
/// `centre` (the reconstruction's geometry).
struct SliceShadows {
  std::vector<double> anglesRad;
  double centre = 0.0;
  int columns = 0;
  std::vector<Shadow> shadows;  ///< one per angle
};

/// The shadows of a sinogram's rows, with the air level of its own values (none found: no
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
