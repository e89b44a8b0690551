#pragma once
// CPU Joseph projector: on the fly (no stored matrix), multi-threaded with oneTBB, AVX-512 or AVX2
// when the CPU has it. Vectorised across slices (one SIMD lane per slice, see SliceStacks.h); slice
// groups too thin to fill a vector (the live preview's single slice) are vectorised across
// detector columns (forward) or pixels (back) instead, on copies without the padding lanes.
//
// Work is organised so that each thread owns what it writes: forward projection splits the
// window's projections (and detector columns) between threads; back projection splits grid
// lines. Lines are copied into zero-padded buffers (rows, and columns transposed), so the inner
// loops need no bounds checks.
#include "projector/JosephKernels.h"
#include "projector/Projector.h"

namespace tomolive {

class JosephProjector final : public Projector {
 public:
  explicit JosephProjector(ParallelGeometry geometry);
  /// With a given kernel set instead of joseph::bestKernels(): the tests run every variant.
  JosephProjector(ParallelGeometry geometry, const joseph::KernelSet& kernels);

  void forward(const VolumeStack& x, std::span<const int> projections,
               ProjectionStack& y) const override;
  void back(const ProjectionStack& y, std::span<const int> projections,
            VolumeStack& x) const override;
  /// SIRT's step fused into the back projection's last pass (no back-projected volume written and
  /// read again).
  bool addBack(const ProjectionStack& y, std::span<const int> projections,
               std::span<const float> weights, bool nonNegative, const VolumeStack& from,
               VolumeStack& to) const override;
  /// The step, each tile of `to` then projected forward while cached (the forward projection's
  /// read of the volume saved), where every slice group goes by tiles (above 32 MB across slices)
  /// and the projections fit one batch of the tiles' detector rows.
  bool addBackThenForward(ProjectionStack& y, std::span<const int> projections,
                          std::span<const float> weights, bool nonNegative, const VolumeStack& from,
                          VolumeStack& to) const override;
  /// Row sums from the mask's extent per grid line when every line of it is one run of ones (the
  /// field-of-view disk, the whole grid): O(lines) per projection instead of a projection.
  void rowSums(const VolumeStack& mask, std::span<const int> projections,
               ProjectionStack& sums) const override;
  /// Column sums by the gather back projection without reading rows of ones.
  void columnSums(std::span<const int> projections, std::span<float> sums) const override;
  std::string name() const override;
  /// "CPU Joseph (AVX-512, 2 threads)": the kernels and threads this machine uses.
  static std::string describe();

 private:
  joseph::KernelSet m_kernels;
};

}  // namespace tomolive
