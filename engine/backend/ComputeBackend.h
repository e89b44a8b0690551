#pragma once
// Which hardware computes: the CPU (always there) or a CUDA GPU (when the GPU plugin loads and a
// device answers). `automatic` picks CUDA when it can and says why when it cannot; a forced
// `cuda` fails with that reason instead. The factories build the matching Projector, Sirt and
// TomoGAN Denoiser, so callers never name a backend's classes.
#include <memory>
#include <string>
#include <string_view>

#include "geometry/ParallelGeometry.h"
#include "nn/Denoiser.h"
#include "nn/TomoGanModel.h"
#include "projector/Projector.h"
#include "sirt/Sirt.h"

namespace tomolive {

enum class ComputeBackend { automatic, cpu, cuda };

/// "auto", "cpu" or "cuda" (also "gpu"); throws std::invalid_argument naming the text otherwise.
ComputeBackend parseComputeBackend(std::string_view text);
const char* computeBackendName(ComputeBackend backend);

struct BackendChoice {
  ComputeBackend backend = ComputeBackend::cpu;  ///< cpu or cuda, never automatic
  /// For the status line: "CUDA: NVIDIA H100 80GB HBM3 (79 GiB)" or
  /// "CPU (no GPU: CUDA driver version is insufficient for CUDA runtime version)".
  std::string description;
};

/// Resolves `requested`; throws std::runtime_error with the reason when `cuda` is asked for and
/// no device answers.
BackendChoice chooseBackend(ComputeBackend requested);

/// Why CUDA is unavailable here ("" when it is available).
std::string gpuUnavailableReason();

/// `backend` must be resolved (cpu or cuda).
std::unique_ptr<Projector> makeProjector(ComputeBackend backend, ParallelGeometry geometry);
std::unique_ptr<Sirt> makeSirt(ComputeBackend backend, int gridSize, int slices,
                               SirtOptions options = {});

/// TomoGAN with the model's weights. `precision`: "auto", "f32", "bf16" (CPU with AVX-512 BF16,
/// or CUDA), "tf32" or "fp16" (CUDA only); auto is bf16 where the CPU has it, fp16 on CUDA.
/// Throws std::invalid_argument for a precision the backend lacks.
std::shared_ptr<Denoiser> makeTomoGan(ComputeBackend backend, TomoGanModel model,
                                      std::string_view precision = "auto");

/// TomoGAN as every front end makes it: on `backend`, except that on CUDA a failure of cuDNN (a
/// GPU that reconstructs but cannot run cuDNN) falls back to the CPU enhancer at its automatic
/// precision, with the reason in `fallback` ("" when none was needed). Errors other than that
/// failure (a precision the backend lacks) are thrown as by makeTomoGan.
struct TomoGanChoice {
  std::shared_ptr<Denoiser> denoiser;
  std::string fallback;  ///< why the CPU enhances although CUDA was chosen
};
TomoGanChoice makeTomoGanWithFallback(ComputeBackend backend, TomoGanModel model,
                                      std::string_view precision = "auto");

}  // namespace tomolive
