#pragma once
// The TomoGAN generator's weights as shipped in resources/models/*.h5 (format and architecture:
// resources/models/README.md). The architecture is fixed in code (tomoGanArchitecture());
// the file holds only the weights, biases and the input normalisation.
//
// Invariants of a loaded model: exactly the 16 layers conv0 … conv15 in architecture order,
// each weight of shape (out, in, k, k) in PyTorch's layout and each bias of shape (out), all
// finite; conv0 takes depth() ≥ 1 input channels; inputScale() is finite and > 0 and
// inputOffset() finite. Every failure is a TomoGanModelError whose message reads
// "<file>: <dataset>: <problem>" and names the offending value.
#include <array>
#include <stdexcept>
#include <string>
#include <vector>

namespace tomolive {

/// How the network's input is scaled (root attribute `normalisation`):
/// - global (attribute absent or "global"): (x − inputOffset) · inputScale for every image;
/// - perSlice ("per-slice"): first (x − m) / σ with m, σ the mean and standard deviation of the
///   middle input slice inside the image's inscribed circle (nn/SliceNormalisation.h), then the
///   global step; the output maps back through both in reverse;
/// - perSliceMean ("per-slice-mean"): the same with the mean m as the scale, (x − m) / m.
enum class TomoGanNormalisation { global, perSlice, perSliceMean };

struct TomoGanModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One convolution of the generator: name, channels and square kernel size.
struct TomoGanLayerShape {
  const char* name;
  int inChannels;  ///< for conv0 this is the model's depth (3 in the shipped model)
  int outChannels;
  int kernel;  ///< 1 or 3 (3×3 convolutions pad by 1)
  int level;   ///< resolution: the layer runs at 1/2^level of the input size
};

/// conv0 … conv15 in execution order, as in resources/models/README.md; ReLU follows every one
/// but conv15 (linear output).
const std::array<TomoGanLayerShape, 16>& tomoGanArchitecture();

/// Multiply-adds per output pixel (layers at 1/2^k resolution weigh 1/4^k): 92 712 for depth 3.
double tomoGanMultiplyAddsPerPixel(int depth = 3);

struct TomoGanLayer {
  TomoGanLayerShape shape;
  std::vector<float> weight;  ///< out × in × k × k, row-major (PyTorch's layout)
  std::vector<float> bias;    ///< out
};

class TomoGanModel {
 public:
  /// Reads and validates a weights file; throws TomoGanModelError.
  static TomoGanModel load(const std::string& path);

  const std::string& path() const { return path_; }
  int depth() const { return depth_; }
  /// The network sees (x − inputOffset) · inputScale; its output y maps back to
  /// y / inputScale + inputOffset.
  double inputOffset() const { return inputOffset_; }
  double inputScale() const { return inputScale_; }
  TomoGanNormalisation normalisation() const { return normalisation_; }
  const std::string& recipeHash() const { return recipeHash_; }
  /// The live reconstruction method whose images the model was trained on (root attribute
  /// `input_method`; models without it were trained on the seed's sliding window: "window").
  const std::string& inputMethod() const { return inputMethod_; }
  /// conv0 … conv15 in architecture order.
  const std::vector<TomoGanLayer>& layers() const { return layers_; }

 private:
  std::string path_;
  int depth_ = 0;
  double inputOffset_ = 0.0;
  double inputScale_ = 1.0;
  TomoGanNormalisation normalisation_ = TomoGanNormalisation::global;
  std::string recipeHash_;
  std::string inputMethod_ = "window";
  std::vector<TomoGanLayer> layers_;
};

}  // namespace tomolive
