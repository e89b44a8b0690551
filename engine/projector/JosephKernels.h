#pragma once
// Inner loops of the CPU Joseph projector, compiled once per instruction set (AVX-512 and the
// x86-64 baseline) and chosen at run time. They operate on padded lines: each grid line of one
// slice group is stored as (n + 4) lane vectors, pixel k at index k + 2, so interpolation at the
// grid's edges needs no branches (the padding reads as zero and absorbs scattered values).
#include "projector/JosephPlan.h"

namespace tomolive::joseph {

constexpr int kLinePadding = 2;

struct LineBlock {
  float* data;    ///< padded line 0 of the grid (lanes × (n + 4) floats per line)
  int n;          ///< pixels per line
  int lanes;      ///< 4, 8 or 16
  int lineBegin;  ///< first line to process
  int lineEnd;    ///< one past the last line
};

struct RayBlock {
  const JosephRays* plans;  ///< one traced projection per entry
  float* const* rows;       ///< detector row (columns × lanes floats) of each projection
  int count;                ///< number of projections
  int columns;              ///< detector width
  int rayBegin, rayEnd;     ///< detector columns to process
};

/// rows[p][j] += Σ_lines interpolated line values, for lines and rays in the blocks.
using ForwardFn = void (*)(const LineBlock&, const RayBlock&);
/// lines += transpose of the forward map applied to rows.
using BackFn = void (*)(const LineBlock&, const RayBlock&);

struct KernelSet {
  const char* isa;
  ForwardFn forward;
  BackFn back;
};

namespace avx512 {
KernelSet kernels();
}
namespace baseline {
KernelSet kernels();
}

/// The fastest kernel set this CPU runs.
const KernelSet& bestKernels();

}  // namespace tomolive::joseph
