#pragma once
// Stacks of uniform random values in [0, 1), reproducible from a seed: the inputs of the
// projector tests (CPU, GPU arithmetic on the CPU, GPU).
#include <cstdint>
#include <random>

#include "geometry/SliceStacks.h"

namespace tomolive::testing {

inline VolumeStack randomVolume(int slices, int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> value(0.0f, 1.0f);
  VolumeStack v(slices, n);
  for (int s = 0; s < slices; ++s)
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) v.at(s, r, c) = value(rng);
  return v;
}

inline ProjectionStack randomProjections(int projections, int slices, int columns,
                                         std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> value(0.0f, 1.0f);
  ProjectionStack y(projections, slices, columns);
  for (int p = 0; p < projections; ++p)
    for (int s = 0; s < slices; ++s)
      for (int c = 0; c < columns; ++c) y.at(p, s, c) = value(rng);
  return y;
}

}  // namespace tomolive::testing
