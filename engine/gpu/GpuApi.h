#pragma once
// The contract between the engine and the GPU plugin (libtomolive_gpu.so, built from this folder
// when nvcc and cuDNN are found). The engine loads the plugin with dlopen at run time
// (engine/backend/GpuPlugin.h), so TomoLive starts and runs on the CPU where the plugin, the
// CUDA libraries or a GPU are missing. Only plain data crosses this boundary: no engine types,
// no CUDA types. Layouts are those of the engine's stacks (geometry/SliceStacks.h):
//
//   volume:      [group][row][column][lane]     groups × n × n × lanes floats
//   projections: [projection][group][column][lane]
//
// Every call throws std::runtime_error with the CUDA or cuDNN message on failure.
#include <array>
#include <memory>
#include <string>
#include <vector>

namespace tomolive::gpu {

inline constexpr int kApiVersion = 2;

struct DeviceInfo {
  bool available = false;
  std::string name;          ///< "NVIDIA H100 80GB HBM3"
  int computeCapability = 0;  ///< 90 for 9.0
  double memoryGiB = 0.0;
  std::string reason;  ///< why no device answered (CUDA's message), when !available
  /// Whether createTomoGan can work here (every precision: the plugin is built for sm_80 and
  /// up, which have tf32, fp16 and bf16 tensor cores); else why not.
  bool tomogan = true;
  std::string tomoganReason;
};

/// One projection traced by Joseph's method (engine/projector/JosephPlan.h): for grid line l and
/// detector column j the ray meets the line at f = alpha·j + (beta0 + l·betaStep); rays
/// rayBegin[l] ≤ j < rayEnd[l] touch line l. Lines are grid columns when alongColumns, else rows.
struct JosephProjection {
  double alpha = 0.0, beta0 = 0.0, betaStep = 0.0;
  float weight = 1.0f;
  bool alongColumns = false;
};

/// The projections of one window and their per-line ray ranges ([projection][line]).
struct JosephWindow {
  int gridSize = 0, columns = 0;
  double centre = 0.0;  ///< the axis's detector column (what every projection sees depends on it)
  bool fullTurn = false;  ///< the angles go all the way round (geometry/ParallelGeometry.h)
  std::vector<JosephProjection> projections;
  std::vector<int> rayBegin, rayEnd;
};

struct StackShape {
  int gridSize = 0, slices = 0, lanes = 4, groups = 0, columns = 0;
};

/// A matched forward/back projector pair on the device (host buffers in and out), for one-off
/// projections and parity checks.
class DeviceProjector {
 public:
  virtual ~DeviceProjector() = default;
  /// y (window.projections.size() projections) = A · x.
  virtual void forward(const StackShape& shape, const JosephWindow& window, const float* x,
                       float* y) = 0;
  /// x = Aᵀ · y.
  virtual void back(const StackShape& shape, const JosephWindow& window, const float* y,
                    float* x) = 0;
};

struct SirtNorms {
  double weightedResidual = 0.0, residual = 0.0;
};

/// SIRT with the estimate resident on the device between calls (engine/sirt/SirtSolver.h has the
/// formulation). Each call uploads only the window's projections.
class DeviceSirt {
 public:
  virtual ~DeviceSirt() = default;
  /// `projections`: the window's line integrals (window.projections.size() projections, stack
  /// layout). Row and column weights are recomputed when `newWeights` is set (angles or centre
  /// changed), else the previous window's are reused.
  virtual std::vector<SirtNorms> iterate(const JosephWindow& window, const float* projections,
                                         bool newWeights, int iterations) = 0;
  /// The whole estimate (stack layout).
  virtual void download(float* volume) = 0;
  /// Only the listed slices, each as a row-major n × n image, one after the other.
  virtual void downloadSlices(const int* slices, int count, float* images) = 0;
};

enum class Precision { f32, tf32, f16, bf16 };

/// The TomoGAN generator's weights (resources/models/README.md), PyTorch layout per layer.
struct TomoGanWeights {
  struct Layer {
    int inChannels = 0, outChannels = 0, kernel = 1;
    const float* weight = nullptr;  ///< out × in × k × k
    const float* bias = nullptr;    ///< out
  };
  int depth = 3;
  double inputOffset = 0.0, inputScale = 1.0;
  std::array<Layer, 16> layers;
};

/// TomoGAN inference with cuDNN (same contract as engine/nn/Denoiser.h: `slices` holds depth
/// images height × width, the result is the middle one enhanced, in reconstruction units).
class DeviceDenoiser {
 public:
  virtual ~DeviceDenoiser() = default;
  virtual std::vector<float> enhance(const float* slices, int height, int width) = 0;
  /// "cuDNN 9.19 fp16 tensor cores, NVIDIA H100 80GB HBM3"
  virtual std::string describe() const = 0;
};

class Api {
 public:
  virtual ~Api() = default;
  /// Asks the CUDA runtime for device 0; never throws.
  virtual DeviceInfo probe() = 0;
  virtual std::unique_ptr<DeviceProjector> createProjector() = 0;
  /// Circular mask and non-negativity as in SirtOptions.
  virtual std::unique_ptr<DeviceSirt> createSirt(const StackShape& shape, bool circularMask,
                                                 bool nonNegative) = 0;
  virtual std::unique_ptr<DeviceDenoiser> createTomoGan(const TomoGanWeights& weights,
                                                        Precision precision) = 0;
};

}  // namespace tomolive::gpu

/// The plugin's exported symbols: the interface version it implements (checked before anything
/// else is called), and the interface.
extern "C" int tomolive_gpu_api_version();
extern "C" tomolive::gpu::Api* tomolive_gpu_api();
