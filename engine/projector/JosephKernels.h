#pragma once
// Inner loops of the CPU Joseph projector, compiled once per instruction set (AVX-512, AVX2 and
// the x86-64 baseline) and chosen at run time. They operate on padded lines: each grid line of one
// slice group is stored as `stride` pixels of `lanes` floats, pixel k at index k + 2, so
// interpolation at the grid's edges needs no branches (the padding reads as zero and absorbs
// scattered values).
//
// Two kernel families share that layout:
// - across slices (lanes = 4, 8, 16 as in SliceStacks.h): one SIMD vector holds one pixel of
//   every slice of the group, so each ray position is computed once for `lanes` slices;
// - across rays (lanes = 1, 2, 4, 8 slices, packed without padding lanes): one vector of V floats
//   (16, AVX2: 8) holds V / lanes detector columns (forward) or pixels (back), for
//   groups with too few slices to fill a vector. Forward picks the two pixels of each ray from
//   the line; back is either a gather (for each pixel, the at most two rays whose interpolation
//   touches it) or a scatter over rays whose items are added one at a time, so no two lanes
//   write the same place at once. They step each run of V / lanes positions along a line in
//   fixed point and spread it over the run in float (forward and the scatter: f; the gather:
//   (k − beta)/alpha), so their weights equal the slice kernels' to float rounding.
#include <string_view>

#include "projector/JosephPlan.h"

namespace tomolive::joseph {

constexpr int kLinePadding = 2;
/// Floats per vector of the across-rays kernels (at most), and the slack after the last padded line
/// and after each packed detector row that their window loads may read (never use).
constexpr int kVectorFloats = 16;
constexpr int kWindowSlack = 2 * kVectorFloats;
/// Packed detector rows of the across-rays kernels hold ray j at index j + kRowPadding: room for
/// the columns one vector of pixels may name beyond the traced rays.
constexpr int kRowPadding = kVectorFloats + 4;

/// Pixels per padded line for an n × n grid: n + 2·kLinePadding rounded up to whole vectors.
constexpr int paddedLineStride(int n) {
  return (n + 2 * kLinePadding + kVectorFloats - 1) / kVectorFloats * kVectorFloats;
}

struct LineBlock {
  float* data;    ///< padded line lineBegin (lanes × stride floats per line, the next lines after)
  int n;          ///< pixels per line
  int stride;     ///< pixels per padded line, paddedLineStride(n)
  int lanes;      ///< slices per pixel: 4, 8, 16 (across slices) or 1, 2, 4, 8 (across rays)
  int lineBegin;  ///< first line to process
  int lineEnd;    ///< one past the last line
  /// Zero pixels before pixel 0 of each line: kLinePadding, or 0 for lines read in place (the
  /// volume's rows; only the across-slices forward kernel takes them).
  int padding;
  /// The grid pixel held as pixel 0: the lines are pixels first … first + n − 1 of grid lines
  /// lineBegin … lineEnd − 1 (a tile's segments; padded). Only the across-slices back kernel takes
  /// a segment (first > 0 or n short of the grid); it adds the rays that touch the segment.
  int first = 0;
};

struct RayBlock {
  const JosephRays* plans;  ///< one traced projection per entry
  float* const* rows;       ///< detector row of each projection (layout: see the kernel)
  int count;                ///< number of projections
  int columns;              ///< detector width
  int rayBegin, rayEnd;     ///< detector columns to process
};

/// rows[p][j] += Σ_lines interpolated line values, for lines and rays in the blocks.
using ForwardFn = void (*)(const LineBlock&, const RayBlock&);
/// lines += transpose of the forward map applied to rows.
using BackFn = void (*)(const LineBlock&, const RayBlock&);

/// How the across-rays kernels reach memory. Each instruction set prefers one choice; the tests
/// run all of them.
struct AcrossRays {
  bool windowGather;  ///< pick pixels by permuting a two-vector window, not one load (AVX2: a
                      ///< hardware gather) each
  bool gatherBack;    ///< back projection as a gather over pixels, not a scatter over rays
};

struct KernelSet {
  const char* isa;
  /// Across slices: rows are columns × lanes floats, as in ProjectionStack.
  ForwardFn forward;
  BackFn back;
  /// Across rays: rows are packed (columns + 2·kRowPadding) × lanes floats plus kWindowSlack;
  /// back reads all of rays.count projections for every line and ignores rayBegin/rayEnd.
  ForwardFn forwardAcrossRays;
  BackFn backAcrossRays;
  /// Aᵀ·1 on one slice (lanes = 1): the back projection of rows of ones, which are not read, added
  /// to the lines.
  BackFn columnSums;
  /// Groups packing fewer slices per pixel than this use the across-rays kernels.
  int acrossRaysBelow;
};

/// kernels(): the instruction set's preferred choice; kernels(choice): that choice, used for
/// every group with fewer than kVectorFloats slices per pixel.
namespace avx512 {
KernelSet kernels();
KernelSet kernels(AcrossRays choice);
}  // namespace avx512
namespace avx2 {
KernelSet kernels();
KernelSet kernels(AcrossRays choice);
}  // namespace avx2
namespace baseline {
KernelSet kernels();
KernelSet kernels(AcrossRays choice);
}  // namespace baseline

/// The fastest kernel set this CPU runs.
const KernelSet& bestKernels();
/// The preferred set of the instruction set named "avx512", "avx2" or "baseline", or bestKernels()
/// for "best"; throws std::invalid_argument naming the set when it is unknown or this CPU cannot
/// run it.
const KernelSet& kernelsNamed(std::string_view name);

}  // namespace tomolive::joseph
