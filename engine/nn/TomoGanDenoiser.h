#pragma once
// TomoGAN inference on the CPU with oneDNN (the Denoiser backend that always exists).
//
// - The network (resources/models/README.md) runs as one chain of oneDNN primitives per tile
//   shape, created on first use and cached: convolutions with bias and ReLU fused as a post-op,
//   max-pooling, linear ×2 resampling and concatenation, all on oneDNN's blocked layouts
//   (format_tag::any); reorders only at the input, at the output and for the weights.
// - Precision: f32, or bf16 (weights and activations bf16, f32 accumulation, f32 input/output
//   at the edges) where the CPU has AVX-512 BF16 — `automatic` picks bf16 there.
// - Borders: enhance() returns the network applied to the image zero-padded (in reconstruction
//   units, i.e. air) at the bottom and right up to multiples of 8, cropped back. Every 3×3
//   convolution zero-pads its own input at the padded image's border, as in PyTorch.
// - Tiling: an image larger than `tileSize` is cut into overlapping tiles whose origins are
//   multiples of 8 (so pooling grids coincide) and which reach at least `halo` pixels past the
//   part each keeps, or stop at the image border. The output depends on input pixels at most
//   kTomoGanReceptiveRadius = 50 away (per axis), so with halo ≥ 50 tiled output equals
//   untiled output up to floating-point reassociation.
// - Normalisation: the model's (nn/TomoGanModel.h); per-slice normalisation runs on the host
//   around the network (nn/SliceNormalisation.h), as on every backend.
// - Threads: oneDNN's CPU runtime (Debian builds libdnnl with OpenMP/libgomp) uses all cores
//   unless OMP_NUM_THREADS says otherwise. One enhance() at a time per object.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nn/Denoiser.h"
#include "nn/TomoGanModel.h"

namespace tomolive {

/// Farthest input pixel (per axis) that influences an output pixel: two 3×3 convolutions per
/// level on the way down and up, three 2×2 poolings and bilinear ×2 upsamplings.
inline constexpr int kTomoGanReceptiveRadius = 50;

enum class TomoGanPrecision { f32, bf16, automatic };

struct TomoGanOptions {
  TomoGanPrecision precision = TomoGanPrecision::automatic;
  int tileSize = 1024;  ///< largest tile edge in pixels; a multiple of 8, ≥ 2·halo + 8
  int halo = 56;        ///< a multiple of 8, ≥ kTomoGanReceptiveRadius for exact tiling
};

/// How enhance() cuts an image: tilesY × tilesX tiles of tileHeight × tileWidth pixels.
struct TomoGanTiling {
  int tileHeight = 0, tileWidth = 0;
  int tilesY = 0, tilesX = 0;
};

class TomoGanDenoiser final : public Denoiser {
 public:
  /// Throws std::invalid_argument for bad options or bf16 on a CPU without AVX-512 BF16.
  explicit TomoGanDenoiser(TomoGanModel model, TomoGanOptions options = {});
  ~TomoGanDenoiser() override;
  TomoGanDenoiser(const TomoGanDenoiser&) = delete;
  TomoGanDenoiser& operator=(const TomoGanDenoiser&) = delete;

  int depth() const override;
  std::vector<float> enhance(std::span<const float> slices, int height, int width) override;
  std::string name() const override;
  std::string modelRecipeHash() const override { return model().recipeHash(); }
  std::string inputMethod() const override { return model().inputMethod(); }

  /// f32 or bf16 (never automatic).
  TomoGanPrecision precision() const;
  TomoGanTiling tiling(int height, int width) const;
  const TomoGanModel& model() const;

  /// True when oneDNN runs bf16 natively here (AVX-512 BF16 or AMX).
  static bool cpuSupportsBf16();

 private:
  /// The network with the model's global normalisation, on input already checked.
  std::vector<float> run(std::span<const float> slices, int height, int width);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tomolive
