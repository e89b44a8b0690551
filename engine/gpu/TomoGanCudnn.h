#pragma once
// TomoGAN inference with cuDNN: the plugin's DeviceDenoiser (GpuApi.h), the same network,
// normalisation and borders as the CPU backend (nn/TomoGanDenoiser.h), the whole image at once.
//
// - conv0 … conv14 run as cudnnConvolutionBiasActivationForward (bias and ReLU fused); pooling,
//   bilinear ×2 upsampling fused with the concatenation, the input conversion, and conv15 (linear,
//   16 → 1) fused with the output conversion are the plugin's own kernels (arithmetic in
//   TomoGanKernels.h).
// - Precision: f32 (FMA only, no TF32), tf32 (float tensors, tensor cores), f16 and bf16 (half
//   tensors and weights, float accumulation, tensor cores). Input and output stay float.
// - Weights are converted once, at creation; algorithms, descriptors, the workspace and every
//   buffer are set up per padded image shape and kept until the shape changes.
// - One enhance() at a time per object (one cuDNN handle, one stream).
#include <memory>

#include "gpu/GpuApi.h"

namespace tomolive::gpu {

/// Uses the current CUDA device. Throws std::invalid_argument for weights that do not fit the
/// architecture (resources/models/README.md) and std::runtime_error for CUDA or cuDNN failures.
std::unique_ptr<DeviceDenoiser> createCudnnTomoGan(const TomoGanWeights& weights,
                                                   Precision precision);

}  // namespace tomolive::gpu
