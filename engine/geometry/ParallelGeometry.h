#pragma once
// Parallel-beam geometry of one reconstruction problem.
//
// Conventions (shared by every projector, CPU or GPU):
// - Reconstruction grid: gridSize × gridSize pixels per slice, pixel size = detector pixel size,
//   centred on the rotation axis. Pixel (row r, column c) sits at x = c − (N−1)/2,
//   y = r − (N−1)/2.
// - Detector column j (0-based, pixel centre) sits at u = j − centre.
// - The ray of angle θ through detector position u is {(x, y) : x·cosθ + y·sinθ = u}.
// - A projection at θ + π equals the projection at θ mirrored about the centre: column j ↔
//   2·centre − j.
// Angles may come in any order and any number; nothing assumes sorted or evenly spaced angles.
#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

namespace tomolive {

struct ParallelGeometry {
  std::vector<double> anglesRad;  ///< one entry per projection, in acquisition order
  double centre = 0.0;            ///< detector column of the rotation axis (sub-pixel)
  int columns = 0;                ///< detector width D in pixels
  int gridSize = 0;               ///< reconstruction grid N (N × N pixels per slice)

  int projections() const { return static_cast<int>(anglesRad.size()); }

  /// Throws std::invalid_argument naming the offending value when the geometry is unusable.
  void validate() const;

  /// Geometry with the usual defaults: grid as wide as the detector.
  static ParallelGeometry make(std::vector<double> anglesRad, double centre, int columns);
};

/// Throws std::invalid_argument ("rotation centre 200 lies outside the detector (0 … 127)") unless
/// `centre` is a column of a detector `columns` wide (any finite value ≥ 0 when columns ≤ 0:
/// unknown).
void checkCentreOnDetector(double centre, int columns);

/// What a centre far off the detector's middle leaves measured, or "": where every projection of
/// a half turn (`fullTurn`: of a full turn, which measures out to the longer side) reaches less
/// than a quarter of the detector's width around the axis, the reconstruction is a small disc
/// ("the rotation centre 2 lies 61.5 px from the detector's middle: every projection measures
/// only a disc of radius 2.5 px around it, of the 64 px a centred axis gives …"). A centre given
/// or stated that far off is usually wrong; an offset-axis scan needs a full turn.
std::string narrowFieldNote(double centre, int columns, bool fullTurn);

/// An angle in radians folded onto [0, π): parallel projections π apart are mirror images.
double foldedAngle(double anglesRad);

/// Indices of `anglesRad` in the order of their folded angles (ties in index order).
std::vector<int> orderByFoldedAngle(std::span<const double> anglesRad);

/// Whether pixel (row, column) of an n × n grid lies in the grid's inscribed circle — the field
/// of view every projection sees, where SIRT reconstructs under a circular mask.
inline bool insideFieldOfView(int n, int row, int column) {
  const double h = 0.5 * (n - 1), dx = column - h, dy = row - h;
  return dx * dx + dy * dy <= (h + 0.5) * (h + 0.5);
}

/// Whether `anglesRad` go all the way round (no gap between them, taken mod 2π, above 30°): then
/// every line through a pixel is measured from one side of the axis or the other.
inline bool coversFullTurn(std::span<const double> anglesRad) {
  constexpr double turn = 2.0 * 3.14159265358979323846, most = 30.0 * turn / 360.0;
  if (anglesRad.size() < 12) return false;
  std::vector<double> folded;
  folded.reserve(anglesRad.size());
  for (double a : anglesRad) folded.push_back(a - turn * std::floor(a / turn));
  std::sort(folded.begin(), folded.end());
  double gap = folded.front() + turn - folded.back();
  for (std::size_t i = 1; i < folded.size(); ++i) gap = std::max(gap, folded[i] - folded[i - 1]);
  return gap <= most;
}

/// 1 for the pixels of an n × n grid (centred on the axis) whose every line the projections of a
/// detector `columns` wide with the axis at `centre` measure — inside the inscribed circle and
/// within the detector's reach on both sides of the axis (on its longer side only for angles
/// that go all the way round, `fullTurn`: a line missed on one side is measured half a turn
/// later on the other) — else 0 (row-major). With the axis off the detector's middle in a
/// half-turn scan, the circle's outer ring on the short side is seen at some angles only: SIRT
/// filled it with whatever made the seen angles agree (a tooth's recon had 167 pixels there
/// above a third of its maximum). For a centred axis it is the inscribed circle.
inline std::vector<float> seenByEveryProjection(int n, double centre, int columns,
                                                bool fullTurn = false) {
  const double h = 0.5 * (n - 1);
  const double left = centre + 0.5, right = columns - 0.5 - centre;
  const double reach = std::min(h + 0.5, fullTurn ? std::max(left, right) : std::min(left, right));
  std::vector<float> seen(std::size_t(n) * n, 0.0f);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      const double dx = c - h, dy = r - h;
      seen[std::size_t(r) * n + c] =
          insideFieldOfView(n, r, c) && dx * dx + dy * dy <= reach * reach ? 1.0f : 0.0f;
    }
  return seen;
}

/// Which detector rows become slices, and how detector pixels are binned (b × b → 1).
struct DetectorSelection {
  int firstRow = 0;  ///< first detector row (before binning)
  int endRow = -1;   ///< one past the last row; −1 means "all rows"
  int binning = 1;   ///< 1, 2, 4, …: averages b × b detector pixels

  /// Centre in binned pixel coordinates for a centre given in unbinned detector coordinates.
  double binnedCentre(double centre) const { return (centre + 0.5) / binning - 0.5; }
  /// Centre in unbinned detector coordinates for one found on binned data.
  double unbinnedCentre(double centre) const { return (centre + 0.5) * binning - 0.5; }
};

}  // namespace tomolive
