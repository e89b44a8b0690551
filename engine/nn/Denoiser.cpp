#include "nn/Denoiser.h"

#include <stdexcept>

namespace tomolive {

void checkEnhanceInput(int depth, std::size_t values, int height, int width) {
  if (height < 1 || width < 1 || height > kMaxEnhanceEdge || width > kMaxEnhanceEdge) {
    throw std::invalid_argument("TomoGAN: image size " + std::to_string(height) + " × " +
                                std::to_string(width) + " must be within 1 … " +
                                std::to_string(kMaxEnhanceEdge) + " per side");
  }
  const std::size_t plane = std::size_t(height) * std::size_t(width);
  if (values != plane * depth) {
    throw std::invalid_argument("TomoGAN: expected " + std::to_string(depth) + " slices of " +
                                std::to_string(height) + " × " + std::to_string(width) + " = " +
                                std::to_string(plane * depth) + " values, got " +
                                std::to_string(values));
  }
}

}  // namespace tomolive
