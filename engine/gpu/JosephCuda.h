#pragma once
// The plugin's CUDA Joseph projector and device-resident SIRT (GpuApi.h has the contract).
#include <memory>

#include "gpu/GpuApi.h"

namespace tomolive::gpu {

std::unique_ptr<DeviceProjector> createCudaProjector();
std::unique_ptr<DeviceSirt> createCudaSirt(const StackShape& shape, bool circularMask,
                                           bool nonNegative);

}  // namespace tomolive::gpu
