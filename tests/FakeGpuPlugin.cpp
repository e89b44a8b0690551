// A stand-in for libtomolive_gpu.so that runs on the CPU: the same plain interface (gpu/GpuApi.h),
// a "device" that always answers, and the CUDA kernels' own thread functions and SIRT's
// per-element steps (gpu/JosephDevice.h) run in loops instead of on a GPU. Loaded through
// TOMOLIVE_GPU_PLUGIN, it lets CI exercise everything on the engine's side of the plugin — loading, the automatic choice
// of CUDA, the wrappers' window gathering and weight cache, read-back of slices, the streaming
// session and test_gpu itself — on machines without a GPU. TomoGAN is not emulated (cuDNN).
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "geometry/ParallelGeometry.h"
#include "gpu/GpuApi.h"
#include "gpu/JosephDevice.h"

namespace tomolive::gpu {
namespace {

using joseph::Lanes;
using joseph::StackGeometry;

StackGeometry geometryOf(const JosephWindow& w, const StackShape& s) {
  return {w.projections.data(), w.rayBegin.data(), w.rayEnd.data(), s.gridSize, s.columns,
          s.lanes, s.groups};
}

std::size_t volumeFloats(const StackShape& s) {
  return std::size_t(s.groups) * s.gridSize * s.gridSize * s.lanes;
}

template <class F>
void withLanes(int lanes, F&& f) {
  if (lanes == 4) return f.template operator()<4>();
  if (lanes == 8) return f.template operator()<8>();
  return f.template operator()<16>();
}

// Every forward thread: y = A·x.
void forward(const StackGeometry& g, int count, const float* x, float* y) {
  withLanes(g.lanes, [&]<int L>() {
    for (int p = 0; p < count; ++p)
      for (int group = 0; group < g.groups; ++group)
        for (int j = 0; j < g.columns; ++j)
          joseph::storeLanes<L>(y + joseph::rayOffset(g, p, group, j),
                                joseph::forwardThread<L>(g, x, p, group, j));
  });
}

// Every back thread: x = Aᵀ·y.
void back(const StackGeometry& g, int count, const float* y, float* x) {
  withLanes(g.lanes, [&]<int L>() {
    for (int group = 0; group < g.groups; ++group)
      for (int pixel = 0; pixel < g.n * g.n; ++pixel)
        joseph::storeLanes<L>(x + joseph::pixelOffset(g, group, pixel),
                              joseph::backThread<L>(g, count, y, group, pixel));
  });
}

class EmulatedProjector final : public DeviceProjector {
 public:
  void forward(const StackShape& shape, const JosephWindow& window, const float* x,
               float* y) override {
    gpu::forward(geometryOf(window, shape), int(window.projections.size()), x, y);
  }
  void back(const StackShape& shape, const JosephWindow& window, const float* y,
            float* x) override {
    gpu::back(geometryOf(window, shape), int(window.projections.size()), y, x);
  }
};

// The composition of the CUDA SIRT (JosephCuda.cu), one thread at a time.
class EmulatedSirt final : public DeviceSirt {
 public:
  EmulatedSirt(const StackShape& shape, bool circularMask, bool nonNegative)
      : m_shape(shape),
        m_circularMask(circularMask),
        m_nonNegative(nonNegative),
        m_x(volumeFloats(shape), 0.0f) {
    const int n = shape.gridSize;
    m_one = {n, 1, 4, 1, shape.columns};
    m_mask.assign(std::size_t(n) * n, 0.0f);
    m_maskStack.assign(std::size_t(n) * n * 4, 0.0f);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        const float m = !circularMask || insideFieldOfView(n, r, c) ? 1.0f : 0.0f;
        m_mask[std::size_t(r) * n + c] = m;
        m_maskStack[(std::size_t(r) * n + c) * 4] = m;
      }
  }

  std::vector<SirtNorms> iterate(const JosephWindow& window, const float* projections,
                                 bool newWeights, int iterations) override {
    const int count = int(window.projections.size());
    if (count == 0 || iterations <= 0) return {};
    if (!newWeights && count != m_weightsFor)
      throw std::logic_error("emulated GPU SIRT: no weights for this window");
    const StackShape& s = m_shape;
    const std::size_t rays = std::size_t(count) * s.groups * s.columns * s.lanes;
    if (newWeights) {
      m_weightsFor = -1;
      const StackGeometry one = geometryOf(window, m_one);
      std::vector<float> rowSums(std::size_t(count) * s.columns * 4), ones(rowSums.size(), 0.0f);
      gpu::forward(one, count, m_maskStack.data(), rowSums.data());
      m_rowWeights.resize(std::size_t(count) * s.columns);
      for (std::size_t t = 0; t < m_rowWeights.size(); ++t)
        m_rowWeights[t] = joseph::sirtRowWeight(rowSums.data(), t, 4);
      for (std::size_t t = 0; t < ones.size(); t += 4) ones[t] = 1.0f;
      std::vector<float> columnSums(m_maskStack.size());
      gpu::back(one, count, ones.data(), columnSums.data());
      const std::vector<float> seen =
          m_circularMask
              ? seenByEveryProjection(s.gridSize, window.centre, s.columns, window.fullTurn)
              : m_mask;
      m_columnWeights.resize(m_mask.size());
      for (std::size_t t = 0; t < m_mask.size(); ++t)
        m_columnWeights[t] = joseph::sirtColumnWeight(columnSums.data(), seen.data(), t, 4);
      m_weightsFor = count;
    }
    const StackGeometry g = geometryOf(window, s);
    std::vector<float> residual(rays);
    std::vector<SirtNorms> norms;
    withLanes(s.lanes, [&]<int L>() {
      for (int it = 0; it < iterations; ++it) {
        // The residual kernel's threads, then the update kernel's.
        double weighted = 0.0, plain = 0.0;
        for (int p = 0; p < count; ++p)
          for (int group = 0; group < g.groups; ++group)
            for (int j = 0; j < g.columns; ++j) {
              const std::size_t at = joseph::rayOffset(g, p, group, j);
              joseph::storeLanes<L>(
                  residual.data() + at,
                  joseph::sirtResidual<L>(joseph::loadLanes<L>(projections + at),
                                          joseph::forwardThread<L>(g, m_x.data(), p, group, j),
                                          m_rowWeights[std::size_t(p) * g.columns + j], weighted,
                                          plain));
            }
        norms.push_back({std::sqrt(weighted), std::sqrt(plain)});
        // Gathering back projections read the residual only, so updating x in place is safe.
        for (int group = 0; group < g.groups; ++group)
          for (int pixel = 0; pixel < g.n * g.n; ++pixel) {
            float* at = m_x.data() + joseph::pixelOffset(g, group, pixel);
            joseph::storeLanes<L>(
                at, joseph::sirtUpdate<L>(joseph::loadLanes<L>(at),
                                          joseph::backThread<L>(g, count, residual.data(), group,
                                                                pixel),
                                          m_columnWeights[std::size_t(pixel)], m_nonNegative));
          }
      }
    });
    return norms;
  }

  void download(float* volume) override {
    std::memcpy(volume, m_x.data(), m_x.size() * sizeof(float));
  }

  void downloadSlices(const int* slices, int count, float* images) override {
    const std::size_t pixels = std::size_t(m_shape.gridSize) * m_shape.gridSize;
    for (int i = 0; i < count; ++i)
      for (std::size_t p = 0; p < pixels; ++p)
        images[i * pixels + p] =
            m_x[joseph::sliceElement(m_shape.gridSize, m_shape.lanes, slices[i], p)];
  }

 private:
  StackShape m_shape, m_one;
  bool m_circularMask, m_nonNegative;
  std::vector<float> m_x, m_mask, m_maskStack, m_rowWeights, m_columnWeights;
  int m_weightsFor = -1;
};

class EmulatedApi final : public Api {
 public:
  DeviceInfo probe() override {
    DeviceInfo info;
    info.available = true;
    info.name = "CPU emulation of the GPU plugin";
    info.computeCapability = 90;
    info.memoryGiB = 1.0;
    info.tomogan = false;
    info.tomoganReason = "TomoGAN is not emulated (it needs cuDNN)";
    return info;
  }
  std::unique_ptr<DeviceProjector> createProjector() override {
    return std::make_unique<EmulatedProjector>();
  }
  std::unique_ptr<DeviceSirt> createSirt(const StackShape& shape, bool circularMask,
                                         bool nonNegative) override {
    return std::make_unique<EmulatedSirt>(shape, circularMask, nonNegative);
  }
  std::unique_ptr<DeviceDenoiser> createTomoGan(const TomoGanWeights&, Precision) override {
    throw std::invalid_argument("TomoGAN is not emulated (it needs cuDNN)");
  }
};

}  // namespace
}  // namespace tomolive::gpu

extern "C" int tomolive_gpu_api_version() { return tomolive::gpu::kApiVersion; }

extern "C" tomolive::gpu::Api* tomolive_gpu_api() {
  static tomolive::gpu::EmulatedApi api;
  return &api;
}
