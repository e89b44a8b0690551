// The plugin's entry point: device probe and factories (GpuApi.h).
#include <cuda_runtime.h>

#include "gpu/CudaSupport.h"
#include "gpu/GpuApi.h"
#include "gpu/JosephCuda.h"
#include "gpu/TomoGanCudnn.h"

namespace tomolive::gpu {
namespace {

class CudaApi final : public Api {
 public:
  DeviceInfo probe() override {
    DeviceInfo info;
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
      info.reason = cudaGetErrorString(status);
      cudaGetLastError();  // clear the sticky error so later probes ask again
      return info;
    }
    if (count == 0) {
      info.reason = "the CUDA runtime found no device";
      return info;
    }
    cudaDeviceProp props{};
    if (const cudaError_t e = cudaGetDeviceProperties(&props, 0); e != cudaSuccess) {
      info.reason = cudaGetErrorString(e);
      return info;
    }
    if (props.major < 8) {
      info.reason = std::string(props.name) + " has compute capability " +
                    std::to_string(props.major) + "." + std::to_string(props.minor) +
                    "; the plugin is built for 8.0 and newer";
      return info;
    }
    info.available = true;
    info.name = props.name;
    info.computeCapability = props.major * 10 + props.minor;
    info.memoryGiB = double(props.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0);
    return info;
  }

  std::unique_ptr<DeviceProjector> createProjector() override { return createCudaProjector(); }

  std::unique_ptr<DeviceSirt> createSirt(const StackShape& shape, bool circularMask,
                                         bool nonNegative) override {
    return createCudaSirt(shape, circularMask, nonNegative);
  }

  std::unique_ptr<DeviceDenoiser> createTomoGan(const TomoGanWeights& weights,
                                                Precision precision) override {
    return createCudnnTomoGan(weights, precision);
  }
};

}  // namespace
}  // namespace tomolive::gpu

extern "C" __attribute__((visibility("default"))) int tomolive_gpu_api_version() {
  return tomolive::gpu::kApiVersion;
}

extern "C" __attribute__((visibility("default"))) tomolive::gpu::Api* tomolive_gpu_api() {
  static tomolive::gpu::CudaApi api;
  return &api;
}
