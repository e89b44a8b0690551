#pragma once
// Joseph's method for one projection, reduced to the numbers the kernels need.
//
// A projection at angle θ is traced along its principal axis: when |sinθ| ≥ |cosθ| the rays run
// mostly along x and are sampled once per grid column ("lines" are columns); otherwise once per
// grid row. For grid line l and detector column j the ray meets the line at fractional pixel
// position f = alpha·j + beta0 + l·betaStep (0 = first pixel of the line); the sample is the
// linear interpolation between pixels ⌊f⌋ and ⌊f⌋+1 (pixels outside the grid are zero), scaled by
// the ray length per line, `weight`. Forward and back projection use exactly these numbers, so
// the back projector is the exact transpose of the forward one.
#include <cstdint>
#include <vector>

#include "geometry/ParallelGeometry.h"

namespace tomolive {

/// Plain numbers handed to the per-instruction-set kernels (no member functions, so nothing is
/// shared between translation units compiled for different instruction sets).
struct JosephRays {
  double alpha;         ///< df/dj
  double beta0;         ///< f at j = 0 on line 0
  double betaStep;      ///< df per line
  float weight;         ///< ray length through one line (pixel units)
  const int* rayBegin;  ///< per line: first detector column whose ray touches the line
  const int* rayEnd;    ///< per line: one past the last such column
};

class JosephPlan {
 public:
  static JosephPlan make(const ParallelGeometry& g, int projection);

  bool alongColumns() const { return m_alongColumns; }
  JosephRays rays() const;
  /// Σ over lines of the touching rays: ray-pixel updates of this projection per slice.
  std::int64_t updates() const;

 private:
  bool m_alongColumns = false;
  double m_alpha = 0.0, m_beta0 = 0.0, m_betaStep = 0.0;
  float m_weight = 1.0f;
  std::vector<int> m_rayBegin, m_rayEnd;
};

}  // namespace tomolive
