#include "nn/VolumeEnhancement.h"

#include "geometry/ParallelGeometry.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tomolive {

namespace {

void checkSlice(int s, int slices) {
  if (s < 0 || s >= slices)
    throw std::invalid_argument("enhance: slice " + std::to_string(s) + " outside 0 … " +
                                std::to_string(slices - 1));
}

// The neighbour of slice s in channel k (of depth), the edge slice repeated beyond the volume.
int neighbour(int s, int k, int depth, int slices) {
  return std::clamp(s - depth / 2 + k, 0, slices - 1);
}

// The denoiser's output for its channels, zero outside the field of view.
std::vector<float> enhanceChannels(Denoiser& denoiser, std::span<const float> channels, int n) {
  std::vector<float> out = denoiser.enhance(channels, n, n);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c)
      if (!insideFieldOfView(n, r, c)) out[std::size_t(r) * n + c] = 0.0f;
  return out;
}

}  // namespace

std::vector<float> enhanceSlice(Denoiser& denoiser, const VolumeStack& volume, int s) {
  checkSlice(s, volume.slices());
  const int depth = denoiser.depth(), n = volume.gridSize();
  std::vector<float> channels;
  channels.reserve(std::size_t(depth) * n * n);
  for (int k = 0; k < depth; ++k) {
    const std::vector<float> slice = volume.slice(neighbour(s, k, depth, volume.slices()));
    channels.insert(channels.end(), slice.begin(), slice.end());
  }
  return enhanceChannels(denoiser, channels, n);
}

VolumeStack enhanceVolume(Denoiser& denoiser, const VolumeStack& volume) {
  VolumeStack out(volume.slices(), volume.gridSize());
  for (int s = 0; s < volume.slices(); ++s) out.setSlice(s, enhanceSlice(denoiser, volume, s));
  return out;
}

std::vector<float> enhanceSliceMajor(Denoiser& denoiser, std::span<const float> volume, int slices,
                                     int gridSize) {
  const std::size_t area = std::size_t(gridSize) * gridSize;
  if (slices <= 0 || gridSize <= 0 || volume.size() != std::size_t(slices) * area)
    throw std::invalid_argument("enhance: " + std::to_string(volume.size()) + " values given for " +
                                std::to_string(slices) + " slices of " + std::to_string(gridSize) +
                                "²");
  const int depth = denoiser.depth();
  std::vector<float> out(volume.size()), edge;
  for (int s = 0; s < slices; ++s) {
    const int first = s - depth / 2;
    std::span<const float> channels;
    if (first >= 0 && first + depth <= slices) {
      channels = volume.subspan(std::size_t(first) * area, std::size_t(depth) * area);
    } else {
      edge.clear();
      for (int k = 0; k < depth; ++k) {
        const auto slice = volume.subspan(std::size_t(neighbour(s, k, depth, slices)) * area, area);
        edge.insert(edge.end(), slice.begin(), slice.end());
      }
      channels = edge;
    }
    const std::vector<float> enhanced = enhanceChannels(denoiser, channels, gridSize);
    std::copy(enhanced.begin(), enhanced.end(), out.begin() + std::ptrdiff_t(s * area));
  }
  return out;
}

}  // namespace tomolive
