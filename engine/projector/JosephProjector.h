#pragma once
// CPU Joseph projector: on the fly (no stored matrix), multi-threaded with oneTBB, vectorised
// across slices (one SIMD lane per slice, see SliceStacks.h), AVX-512 when the CPU has it.
//
// Work is organised so that each thread owns what it writes: forward projection splits the
// window's projections (and detector columns) between threads; back projection splits grid
// lines. Lines are copied into zero-padded buffers (rows, and columns transposed), so every
// access in the inner loops is contiguous and branch-free.
#include "projector/Projector.h"

namespace tomolive {

class JosephProjector final : public Projector {
 public:
  explicit JosephProjector(ParallelGeometry geometry);

  void forward(const VolumeStack& x, std::span<const int> projections,
               ProjectionStack& y) const override;
  void back(const ProjectionStack& y, std::span<const int> projections,
            VolumeStack& x) const override;
  std::string name() const override { return describe(); }
  /// "CPU Joseph (AVX-512, 2 threads)": the kernels and threads this machine uses.
  static std::string describe();
};

}  // namespace tomolive
