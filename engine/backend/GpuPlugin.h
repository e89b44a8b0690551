#pragma once
// Finds and loads the GPU plugin (libtomolive_gpu.so, engine/gpu) once per process and asks it
// for device 0. Looked for, in order: $TOMOLIVE_GPU_PLUGIN (a file), the build tree's plugins/
// folder, then ../lib/tomolive/ beside the executable (the installed layout). Every way of not
// having a GPU — plugin not built, a CUDA library missing, no driver, no device — ends as
// `api == nullptr` or `!device.available` with the reason in words.
#include <string>

#include "gpu/GpuApi.h"

namespace tomolive {

struct GpuPlugin {
  gpu::Api* api = nullptr;  ///< null when the plugin could not be loaded
  std::string path;         ///< the file loaded (or the last one tried)
  gpu::DeviceInfo device;   ///< device 0; device.reason says why it is unavailable
};

/// Thread-safe; the first call loads and probes, later calls return the same result.
const GpuPlugin& gpuPlugin();

}  // namespace tomolive
