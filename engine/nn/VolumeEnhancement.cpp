#include "nn/VolumeEnhancement.h"

#include "geometry/ParallelGeometry.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tomolive {

std::vector<float> enhanceSlice(Denoiser& denoiser, const VolumeStack& volume, int s) {
  if (s < 0 || s >= volume.slices())
    throw std::invalid_argument("enhance: slice " + std::to_string(s) + " outside 0 … " +
                                std::to_string(volume.slices() - 1));
  const int depth = denoiser.depth(), n = volume.gridSize();
  std::vector<float> channels;
  channels.reserve(std::size_t(depth) * n * n);
  for (int k = 0; k < depth; ++k) {
    const int neighbour = std::clamp(s - depth / 2 + k, 0, volume.slices() - 1);
    const std::vector<float> slice = volume.slice(neighbour);
    channels.insert(channels.end(), slice.begin(), slice.end());
  }
  std::vector<float> out = denoiser.enhance(channels, n, n);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c)
      if (!insideFieldOfView(n, r, c)) out[std::size_t(r) * n + c] = 0.0f;
  return out;
}

VolumeStack enhanceVolume(Denoiser& denoiser, const VolumeStack& volume) {
  VolumeStack out(volume.slices(), volume.gridSize());
  for (int s = 0; s < volume.slices(); ++s) out.setSlice(s, enhanceSlice(denoiser, volume, s));
  return out;
}

}  // namespace tomolive
