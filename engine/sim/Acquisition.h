#pragma once
// Acquisition orders: the sequence of angles a scan records, in the order it records them.
//
// - Sequential: P angles i·π/P, one sweep over 180°.
// - Interlaced: rotations of W angles each spread over 180°, rotation r shifted by the base-2
//   van der Corput number of r (0, ½, ¼, ¾, …) times the spacing π/W, so every rotation fills
//   the largest gaps left by the earlier ones and the first 2^k rotations together are evenly
//   spaced. R = ⌈P/W⌉ rotations; the last one stops after the P-th angle.
// - Golden: angle k·φπ mod π with φ = (√5 − 1)/2, the golden angle for 180°; any prefix of the
//   scan covers the half-circle nearly evenly.
#include <string>
#include <vector>

namespace tomolive {

enum class AcquisitionOrder { Sequential, Interlaced, Golden };

struct AcquisitionPlan {
  AcquisitionOrder order = AcquisitionOrder::Sequential;
  int projections = 0;  ///< P, the number of angles recorded
  int window = 0;       ///< angles per rotation: W for interlaced, P for the other orders
};

/// Parses "sequential", "golden" or "interlaced:W" (1 ≤ W ≤ projections); throws
/// std::invalid_argument naming the bad text or value.
AcquisitionPlan parseAcquisitionOrder(const std::string& text, int projections);

/// Base-2 van der Corput number of n (bit reversal of n behind the binary point): 0, ½, ¼, ¾, ⅛…
double vanDerCorput(unsigned n);

/// Indices of a recorded scan's projections (at `anglesRad`, any order) in the order an
/// interlaced acquisition of rotations of `window` angles would have recorded them: the
/// projections sorted by angle (mod π) are dealt into R = ⌈P/W⌉ rotations (rotation k holds
/// sorted positions k, k + R, k + 2R, …), and the rotations follow the van der Corput order of
/// their offsets k/R, so every prefix of whole rotations spreads evenly over 180°.
/// Throws std::invalid_argument for no angles or a window outside 1 … P.
std::vector<int> interlacedReplayOrder(const std::vector<double>& anglesRad, int window);

/// The plan's angles in radians, in acquisition order, all in [0, π). Throws
/// std::invalid_argument for a plan with no projections or, for interlaced plans, a window
/// outside 1 … projections (other orders ignore the window).
std::vector<double> acquisitionAnglesRad(const AcquisitionPlan& plan);

}  // namespace tomolive
