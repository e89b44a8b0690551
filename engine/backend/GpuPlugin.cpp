#include "backend/GpuPlugin.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace tomolive {
namespace {

constexpr const char* kPluginFile = "libtomolive_gpu.so";

std::vector<std::filesystem::path> candidates() {
  std::vector<std::filesystem::path> paths;
  if (const char* env = std::getenv("TOMOLIVE_GPU_PLUGIN"); env && *env) return {env};
#ifdef TOMOLIVE_GPU_PLUGIN_BUILD_DIR
  paths.emplace_back(std::filesystem::path(TOMOLIVE_GPU_PLUGIN_BUILD_DIR) / kPluginFile);
#endif
  std::error_code error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) paths.push_back(exe.parent_path().parent_path() / "lib" / "tomolive" / kPluginFile);
  return paths;
}

GpuPlugin load() {
  GpuPlugin plugin;
  std::string tried;
  for (const auto& path : candidates()) {
    plugin.path = path.string();
    if (!std::filesystem::exists(path)) {
      tried += (tried.empty() ? "" : ", ") + plugin.path;
      continue;
    }
    void* handle = dlopen(plugin.path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      plugin.device.reason = std::string("GPU plugin not loaded: ") + dlerror();
      return plugin;
    }
    using Version = int (*)();
    using Entry = gpu::Api* (*)();
    auto version = reinterpret_cast<Version>(dlsym(handle, "tomolive_gpu_api_version"));
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "tomolive_gpu_api"));
    if (!version || !entry) {
      plugin.device.reason = plugin.path + " has no tomolive_gpu_api entry point";
      return plugin;
    }
    if (version() != gpu::kApiVersion) {
      plugin.device.reason = plugin.path + " implements GPU interface version " +
                             std::to_string(version()) + ", TomoLive needs " +
                             std::to_string(gpu::kApiVersion);
      return plugin;
    }
    gpu::Api* api = entry();
    plugin.api = api;
    plugin.device = api->probe();
    return plugin;
  }
#ifndef TOMOLIVE_GPU_PLUGIN_BUILD_DIR
  if (const char* env = std::getenv("TOMOLIVE_GPU_PLUGIN"); !env || !*env) {
    plugin.device.reason =
        "TomoLive was built without the GPU plugin (no nvcc or cuDNN at build time)";
    return plugin;
  }
#endif
  plugin.device.reason = "no GPU plugin (looked for " + tried + ")";
  return plugin;
}

}  // namespace

const GpuPlugin& gpuPlugin() {
  static const GpuPlugin plugin = load();  // the plugin stays loaded for the process's lifetime
  return plugin;
}

}  // namespace tomolive
