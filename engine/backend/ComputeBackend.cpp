#include "backend/ComputeBackend.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "backend/GpuPlugin.h"
#include "backend/JosephWindow.h"
#include "nn/SliceNormalisation.h"
#include "nn/TomoGanDenoiser.h"
#include "projector/JosephProjector.h"
#include "sirt/SirtSolver.h"

namespace tomolive {
namespace {

const gpu::DeviceInfo& device() { return gpuPlugin().device; }

gpu::Api& api() {
  const GpuPlugin& plugin = gpuPlugin();
  if (!plugin.api || !plugin.device.available)
    throw std::runtime_error("CUDA backend unavailable: " + plugin.device.reason);
  return *plugin.api;
}

std::string deviceLabel() { return "CUDA Joseph (" + device().name + ")"; }

gpu::StackShape shapeOf(const VolumeStack& x, int columns) {
  return {x.gridSize(), x.slices(), x.lanes(), x.groups(), columns};
}

// The listed projections of `p`, contiguous, without a copy when they already are.
class WindowData {
 public:
  WindowData(const ProjectionStack& p, std::span<const int> projections) {
    const std::size_t stride = p.projectionStride();
    bool consecutive = true;
    for (std::size_t i = 1; i < projections.size(); ++i)
      consecutive = consecutive && projections[i] == projections[0] + int(i);
    if (consecutive && !projections.empty()) {
      m_data = p.raw().data() + std::size_t(projections[0]) * stride;
      return;
    }
    m_copy.resize(projections.size() * stride);
    for (std::size_t i = 0; i < projections.size(); ++i)
      std::memcpy(m_copy.data() + i * stride, p.raw().data() + std::size_t(projections[i]) * stride,
                  stride * sizeof(float));
    m_data = m_copy.data();
  }
  const float* data() const { return m_data; }

 private:
  const float* m_data = nullptr;
  std::vector<float> m_copy;
};

class CudaProjector final : public Projector {
 public:
  explicit CudaProjector(ParallelGeometry geometry)
      : Projector(std::move(geometry)), m_device(api().createProjector()) {}

  void forward(const VolumeStack& x, std::span<const int> projections,
               ProjectionStack& y) const override {
    checkShapes(x, projections, y);
    if (projections.empty()) return;
    const std::size_t stride = y.projectionStride();
    std::vector<float> out(projections.size() * stride);
    {
      std::lock_guard lock(m_mutex);
      m_device->forward(shapeOf(x, y.columns()), traceJosephWindow(geometry(), projections),
                        x.raw().data(), out.data());
    }
    for (std::size_t i = 0; i < projections.size(); ++i)
      std::memcpy(y.raw().data() + std::size_t(projections[i]) * stride, out.data() + i * stride,
                  stride * sizeof(float));
  }

  void back(const ProjectionStack& y, std::span<const int> projections,
            VolumeStack& x) const override {
    checkShapes(x, projections, y);
    if (projections.empty()) {
      std::fill(x.raw().begin(), x.raw().end(), 0.0f);
      return;
    }
    const WindowData window(y, projections);
    std::lock_guard lock(m_mutex);
    m_device->back(shapeOf(x, y.columns()), traceJosephWindow(geometry(), projections),
                   window.data(), x.raw().data());
  }

  std::string name() const override { return deviceLabel(); }

 private:
  mutable std::mutex m_mutex;  // one device call at a time per object
  std::unique_ptr<gpu::DeviceProjector> m_device;
};

class CudaSirt final : public Sirt {
 public:
  CudaSirt(int gridSize, int slices, SirtOptions options)
      : m_gridSize(gridSize), m_slices(slices), m_options(options) {
    api();  // fail now, not at the first window, when there is no device
  }

  std::vector<SirtIteration> iterate(const ParallelGeometry& geometry, const ProjectionStack& p,
                                     std::span<const int> projections, int iterations) override {
    checkSirtCall(m_gridSize, m_slices, geometry, p, projections, iterations);
    std::vector<SirtIteration> history;
    if (projections.empty() || iterations == 0) return history;
    if (!m_device) {
      m_shape = {m_gridSize, m_slices, p.lanes(), p.groups(), p.columns()};
      m_device = api().createSirt(m_shape, m_options.circularMask, m_options.nonNegative);
    } else if (p.columns() != m_shape.columns) {
      throw std::invalid_argument("SIRT: projections have " + std::to_string(p.columns()) +
                                  " columns, earlier windows had " +
                                  std::to_string(m_shape.columns));
    }
    std::vector<double> key{geometry.centre};
    for (int i : projections) key.push_back(geometry.anglesRad.at(i));
    const bool newWeights = key != m_weightKey;
    const WindowData window(p, projections);
    if (newWeights) m_weightKey.clear();  // until the device has the new weights
    const auto norms = m_device->iterate(traceJosephWindow(geometry, projections), window.data(),
                                         newWeights, iterations);
    m_weightKey = std::move(key);
    for (const gpu::SirtNorms& n : norms) history.push_back({n.weightedResidual, n.residual});
    return history;
  }

  void readEstimate(VolumeStack& into) const override {
    if (into.slices() != m_slices || into.gridSize() != m_gridSize)
      into = VolumeStack(m_slices, m_gridSize);
    if (m_device)
      m_device->download(into.raw().data());
    else
      into.fill(0.0f);
  }

  std::vector<float> slices(std::span<const int> which) const override {
    for (int s : which)
      if (s < 0 || s >= m_slices)
        throw std::invalid_argument("SIRT: slice " + std::to_string(s) + " outside 0 … " +
                                    std::to_string(m_slices - 1));
    std::vector<float> images(which.size() * std::size_t(m_gridSize) * m_gridSize, 0.0f);
    if (m_device) m_device->downloadSlices(which.data(), int(which.size()), images.data());
    return images;
  }

  int gridSize() const override { return m_gridSize; }
  int sliceCount() const override { return m_slices; }
  std::string name() const override { return deviceLabel(); }

 private:
  int m_gridSize, m_slices;
  SirtOptions m_options;
  gpu::StackShape m_shape;
  std::unique_ptr<gpu::DeviceSirt> m_device;  // created at the first window (needs its width)
  std::vector<double> m_weightKey;
};

class CudnnTomoGan final : public Denoiser {
 public:
  CudnnTomoGan(TomoGanModel model, gpu::Precision precision) : m_model(std::move(model)) {
    gpu::TomoGanWeights weights;
    weights.depth = m_model.depth();
    weights.inputOffset = m_model.inputOffset();
    weights.inputScale = m_model.inputScale();
    for (std::size_t i = 0; i < weights.layers.size(); ++i) {
      const TomoGanLayer& layer = m_model.layers().at(i);
      weights.layers[i] = {layer.shape.inChannels, layer.shape.outChannels, layer.shape.kernel,
                           layer.weight.data(), layer.bias.data()};
    }
    m_device = api().createTomoGan(weights, precision);
  }

  int depth() const override { return m_model.depth(); }

  std::vector<float> enhance(std::span<const float> slices, int height, int width) override {
    checkEnhanceInput(depth(), slices.size(), height, width);
    if (const TomoGanNormalisation n = m_model.normalisation(); n != TomoGanNormalisation::global)
      return enhancePerSlice(slices, depth(), height, width, n,
                             [this](std::span<const float> s, int h, int w) {
                               return m_device->enhance(s.data(), h, w);
                             });
    return m_device->enhance(slices.data(), height, width);
  }

  std::string name() const override { return "TomoGAN (" + m_device->describe() + ")"; }
  std::string modelRecipeHash() const override { return m_model.recipeHash(); }
  std::string inputMethod() const override { return m_model.inputMethod(); }

 private:
  TomoGanModel m_model;
  std::unique_ptr<gpu::DeviceDenoiser> m_device;
};

}  // namespace

ComputeBackend parseComputeBackend(std::string_view text) {
  if (text == "auto") return ComputeBackend::automatic;
  if (text == "cpu") return ComputeBackend::cpu;
  if (text == "cuda" || text == "gpu") return ComputeBackend::cuda;
  throw std::invalid_argument("backend '" + std::string(text) + "' is not auto, cpu or cuda");
}

const char* computeBackendName(ComputeBackend backend) {
  switch (backend) {
    case ComputeBackend::automatic:
      return "auto";
    case ComputeBackend::cpu:
      return "cpu";
    case ComputeBackend::cuda:
      return "cuda";
  }
  return "?";
}

std::string gpuUnavailableReason() {
  const gpu::DeviceInfo& d = device();
  return d.available ? std::string() : d.reason;
}

BackendChoice chooseBackend(ComputeBackend requested) {
  if (requested == ComputeBackend::cpu) return {ComputeBackend::cpu, "CPU (chosen)"};
  const gpu::DeviceInfo& d = device();
  if (d.available) {
    char memory[32];
    std::snprintf(memory, sizeof memory, "%.0f GiB", d.memoryGiB);
    return {ComputeBackend::cuda, "CUDA: " + d.name + " (" + memory + ")"};
  }
  if (requested == ComputeBackend::cuda)
    throw std::runtime_error("CUDA backend requested but unavailable: " + d.reason);
  return {ComputeBackend::cpu, "CPU (no GPU: " + d.reason + ")"};
}

std::unique_ptr<Projector> makeProjector(ComputeBackend backend, ParallelGeometry geometry) {
  if (backend == ComputeBackend::cuda) return std::make_unique<CudaProjector>(std::move(geometry));
  return std::make_unique<JosephProjector>(std::move(geometry));
}

std::unique_ptr<Sirt> makeSirt(ComputeBackend backend, int gridSize, int slices,
                               SirtOptions options) {
  if (backend == ComputeBackend::cuda) return std::make_unique<CudaSirt>(gridSize, slices, options);
  return std::make_unique<SirtSolver>(gridSize, slices, options);
}

std::shared_ptr<Denoiser> makeTomoGan(ComputeBackend backend, TomoGanModel model,
                                      std::string_view precision) {
  if (backend == ComputeBackend::cuda) {
    gpu::Precision p = gpu::Precision::f16;
    if (precision == "f32")
      p = gpu::Precision::f32;
    else if (precision == "tf32")
      p = gpu::Precision::tf32;
    else if (precision == "bf16")
      p = gpu::Precision::bf16;
    else if (precision != "auto" && precision != "fp16")
      throw std::invalid_argument("precision '" + std::string(precision) +
                                  "' is not auto, f32, tf32, fp16 or bf16");
    return std::make_shared<CudnnTomoGan>(std::move(model), p);
  }
  TomoGanOptions options;
  if (precision == "f32")
    options.precision = TomoGanPrecision::f32;
  else if (precision == "bf16")
    options.precision = TomoGanPrecision::bf16;
  else if (precision == "tf32" || precision == "fp16")
    throw std::invalid_argument("precision '" + std::string(precision) +
                                "' needs the CUDA backend; the CPU has f32 and bf16");
  else if (precision != "auto")
    throw std::invalid_argument("precision '" + std::string(precision) +
                                "' is not auto, f32, tf32, fp16 or bf16");
  return std::make_shared<TomoGanDenoiser>(std::move(model), options);
}

TomoGanChoice makeTomoGanWithFallback(ComputeBackend backend, TomoGanModel model,
                                      std::string_view precision) {
  if (backend == ComputeBackend::cuda) {
    try {
      return {makeTomoGan(backend, model, precision), ""};
    } catch (const std::runtime_error& e) {
      return {makeTomoGan(ComputeBackend::cpu, std::move(model)),
              std::string("cuDNN failed: ") + e.what()};
    }
  }
  return {makeTomoGan(backend, std::move(model), precision), ""};
}

}  // namespace tomolive
