#pragma once
// The enhancer interface: a learned denoiser that maps `depth` adjacent reconstructed slices to
// a cleaner version of the middle one. Backends (oneDNN on the CPU, cuDNN on a GPU) implement
// it with the same weights and normalisation, so their outputs agree to a stated tolerance.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace tomolive {

class Denoiser {
 public:
  virtual ~Denoiser() = default;

  /// Slices the network takes as channels (TomoGAN: 3).
  virtual int depth() const = 0;

  /// Enhances one slice. `slices` holds depth() images of height × width (row-major, slice
  /// order), the slice to enhance in the middle; values in reconstruction units (attenuation
  /// per pixel). Returns height × width values in the same units. Any size ≥ 1 × 1 works
  /// (backends pad or tile as they need). Throws std::invalid_argument on a size mismatch.
  virtual std::vector<float> enhance(std::span<const float> slices, int height, int width) = 0;

  /// "TomoGAN (oneDNN f32, AVX-512)", "TomoGAN (cuDNN fp16, NVIDIA H100)", …
  virtual std::string name() const = 0;

  /// SHA-256 of the recipe that trained the weights ("" when not learned).
  virtual std::string modelRecipeHash() const { return {}; }

  /// The live reconstruction method (pipeline/LiveReconstruction.h) whose images the weights
  /// were trained on ("" : any).
  virtual std::string inputMethod() const { return {}; }
};

/// Largest image edge enhance() accepts (larger is certainly a mistake, and overflows ints).
inline constexpr int kMaxEnhanceEdge = 1 << 20;

/// The checks every backend's enhance() starts with: throws std::invalid_argument naming the size
/// when height or width lies outside 1 … kMaxEnhanceEdge or `values` ≠ depth · height · width.
void checkEnhanceInput(int depth, std::size_t values, int height, int width);

}  // namespace tomolive
