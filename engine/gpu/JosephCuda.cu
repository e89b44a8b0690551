// CUDA Joseph projectors and device-resident SIRT (GpuApi.h). One thread per (ray, slice group)
// for the forward projection and per (pixel, slice group) for the back projection, both
// gathering (no atomics). Each thread computes its ray geometry once (in double, as the CPU) and
// applies it to the group's 4, 8 or 16 slices with vector loads of the stacks' slice-lane
// layout; neighbouring threads read neighbouring pixels. SIRT fuses the residual into the forward kernel and the update into the back kernel:
// one iteration is two kernels and no host round trip.
#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "geometry/ParallelGeometry.h"
#include "gpu/CudaSupport.h"
#include "gpu/JosephCuda.h"
#include "gpu/JosephDevice.h"

namespace tomolive::gpu {
namespace {

constexpr int kThreads = 256;

unsigned blocksFor(std::size_t threads) { return unsigned((threads + kThreads - 1) / kThreads); }

void checkLaunch(const char* kernel) { checkCuda(cudaGetLastError(), kernel); }

// The window's traced projections on the device.
struct DeviceWindow {
  void upload(const JosephWindow& w, cudaStream_t stream) {
    count = int(w.projections.size());
    n = w.gridSize;
    projections.reserve(w.projections.size());
    rayBegin.reserve(w.rayBegin.size());
    rayEnd.reserve(w.rayEnd.size());
    checkCuda(cudaMemcpyAsync(projections.data(), w.projections.data(),
                              w.projections.size() * sizeof(JosephProjection),
                              cudaMemcpyHostToDevice, stream),
              "upload window geometry");
    checkCuda(cudaMemcpyAsync(rayBegin.data(), w.rayBegin.data(), w.rayBegin.size() * sizeof(int),
                              cudaMemcpyHostToDevice, stream),
              "upload ray ranges");
    checkCuda(cudaMemcpyAsync(rayEnd.data(), w.rayEnd.data(), w.rayEnd.size() * sizeof(int),
                              cudaMemcpyHostToDevice, stream),
              "upload ray ranges");
  }
  int count = 0, n = 0;
  DeviceBuffer<JosephProjection> projections;
  DeviceBuffer<int> rayBegin, rayEnd;
};

joseph::StackGeometry geometryOf(const DeviceWindow& w, const StackShape& s) {
  return {w.projections.data(), w.rayBegin.data(), w.rayEnd.data(), s.gridSize, s.columns,
          s.lanes, s.groups};
}

// How the forward kernel uses its ray sums.
enum class ForwardMode { store, sirtResidual };

// One thread per ray and slice group, all lanes: grid x over columns, y over projections, z over
// groups. The ray's geometry is computed once for its L slices.
template <int L, ForwardMode mode>
__global__ void forwardKernel(joseph::StackGeometry g, const float* __restrict__ x, float* __restrict__ y,
                              const float* __restrict__ measured,
                              const float* __restrict__ rowWeights, double* __restrict__ norms) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  const int p = blockIdx.y, group = blockIdx.z;
  double weighted = 0.0, plain = 0.0;
  if (j < g.columns) {
    using joseph::Lanes;
    const Lanes<L> sum = joseph::forwardThread<L>(g, x, p, group, j);
    const std::size_t out = joseph::rayOffset(g, p, group, j);
    if constexpr (mode == ForwardMode::store) {
      joseph::storeLanes<L>(y + out, sum);
    } else {
      const float w = rowWeights[std::size_t(p) * g.columns + j];
      joseph::storeLanes<L>(
          y + out, joseph::sirtResidual<L>(joseph::loadLanes<L>(measured + out), sum, w, weighted,
                                           plain));
    }
  }
  if constexpr (mode == ForwardMode::sirtResidual) {
    // Every thread of the block reaches here (no early return): warp sums, then block sums.
    __shared__ double partial[2][kThreads / 32];
    for (int offset = 16; offset > 0; offset /= 2) {
      weighted += __shfl_down_sync(0xffffffffu, weighted, offset);
      plain += __shfl_down_sync(0xffffffffu, plain, offset);
    }
    const int warp = threadIdx.x / 32;
    if ((threadIdx.x & 31) == 0) partial[0][warp] = weighted, partial[1][warp] = plain;
    __syncthreads();
    if (threadIdx.x == 0) {
      double a = 0.0, b = 0.0;
      for (int i = 0; i < kThreads / 32; ++i) a += partial[0][i], b += partial[1][i];
      atomicAdd(norms, a);
      atomicAdd(norms + 1, b);
    }
  }
}

enum class BackMode { store, sirtUpdate };

// One thread per pixel and slice group, all lanes: grid x over n² pixels, y over groups.
template <int L, BackMode mode>
__global__ void backKernel(joseph::StackGeometry g, int count, const float* __restrict__ y,
                           float* __restrict__ x, const float* __restrict__ columnWeights,
                           bool nonNegative) {
  const int pixel = blockIdx.x * blockDim.x + threadIdx.x;
  const int group = blockIdx.y;
  if (pixel >= g.n * g.n) return;
  const joseph::Lanes<L> sum = joseph::backThread<L>(g, count, y, group, pixel);
  float* out = x + joseph::pixelOffset(g, group, pixel);
  if constexpr (mode == BackMode::store) {
    joseph::storeLanes<L>(out, sum);
  } else {
    joseph::storeLanes<L>(out, joseph::sirtUpdate<L>(joseph::loadLanes<L>(out), sum,
                                                      columnWeights[pixel], nonNegative));
  }
}

// Calls f with the lane count as a compile-time constant.
template <class F>
void withLanes(int lanes, F&& f) {
  switch (lanes) {
    case 4:
      return f(std::integral_constant<int, 4>{});
    case 8:
      return f(std::integral_constant<int, 8>{});
    case 16:
      return f(std::integral_constant<int, 16>{});
  }
  throw std::invalid_argument("GPU projector: " + std::to_string(lanes) + " lanes (4, 8 or 16)");
}

// rowWeights[p][j] = 1 / rowSums[p][0][j][lane 0].
__global__ void rowWeightsKernel(int count, int columns, int lanes, const float* rowSums,
                                 float* rowWeights) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= count * columns) return;
  rowWeights[t] = joseph::sirtRowWeight(rowSums, std::size_t(t), lanes);
}

// columnWeights[pixel] = mask / columnSums[pixel][lane 0].
__global__ void columnWeightsKernel(int pixels, int lanes, const float* columnSums,
                                    const float* mask, float* columnWeights) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= pixels) return;
  columnWeights[t] = joseph::sirtColumnWeight(columnSums, mask, std::size_t(t), lanes);
}

// images[i] = slice slices[i] as a row-major n × n image.
__global__ void gatherSlicesKernel(const float* x, int n, int lanes, const int* slices, int count,
                                   float* images) {
  const std::size_t t = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t pixels = std::size_t(n) * n;
  if (t >= pixels * count) return;
  images[t] = x[joseph::sliceElement(n, lanes, slices[t / pixels], t % pixels)];
}

std::size_t volumeFloats(const StackShape& s) {
  return std::size_t(s.groups) * s.gridSize * s.gridSize * s.lanes;
}
std::size_t projectionFloats(const StackShape& s, int count) {
  return std::size_t(count) * s.groups * s.columns * s.lanes;
}

void checkWindow(const StackShape& s, const JosephWindow& w) {
  const std::size_t count = w.projections.size();
  if (w.gridSize != s.gridSize || w.columns != s.columns ||
      w.rayBegin.size() != count * s.gridSize || w.rayEnd.size() != count * s.gridSize)
    throw std::invalid_argument("GPU projector: window geometry does not match the stacks");
  if (count > 65535) throw std::invalid_argument("GPU projector: more than 65535 projections in one call");
}

void launchForward(const joseph::StackGeometry& g, int count, const float* x, float* y, cudaStream_t stream) {
  const dim3 grid(blocksFor(std::size_t(g.columns)), unsigned(count), unsigned(g.groups));
  withLanes(g.lanes, [&](auto lanes) {
    forwardKernel<decltype(lanes)::value, ForwardMode::store>
        <<<grid, kThreads, 0, stream>>>(g, x, y, nullptr, nullptr, nullptr);
  });
  checkLaunch("forward projection");
}

void launchBack(const joseph::StackGeometry& g, int count, const float* y, float* x, cudaStream_t stream) {
  const dim3 grid(blocksFor(std::size_t(g.n) * g.n), unsigned(g.groups));
  withLanes(g.lanes, [&](auto lanes) {
    backKernel<decltype(lanes)::value, BackMode::store><<<grid, kThreads, 0, stream>>>(g, count, y, x, nullptr,
                                                                        false);
  });
  checkLaunch("back projection");
}

class CudaProjector final : public DeviceProjector {
 public:
  void forward(const StackShape& shape, const JosephWindow& window, const float* x,
               float* y) override {
    checkWindow(shape, window);
    const int count = int(window.projections.size());
    m_x.reserve(volumeFloats(shape));
    m_y.reserve(projectionFloats(shape, count));
    m_window.upload(window, m_stream);
    checkCuda(cudaMemcpyAsync(m_x.data(), x, volumeFloats(shape) * sizeof(float),
                              cudaMemcpyHostToDevice, m_stream),
              "upload volume");
    launchForward(geometryOf(m_window, shape), count, m_x.data(), m_y.data(), m_stream);
    checkCuda(cudaMemcpyAsync(y, m_y.data(), projectionFloats(shape, count) * sizeof(float),
                              cudaMemcpyDeviceToHost, m_stream),
              "download projections");
    m_stream.sync();
  }

  void back(const StackShape& shape, const JosephWindow& window, const float* y,
            float* x) override {
    checkWindow(shape, window);
    const int count = int(window.projections.size());
    m_x.reserve(volumeFloats(shape));
    m_y.reserve(projectionFloats(shape, count));
    m_window.upload(window, m_stream);
    checkCuda(cudaMemcpyAsync(m_y.data(), y, projectionFloats(shape, count) * sizeof(float),
                              cudaMemcpyHostToDevice, m_stream),
              "upload projections");
    launchBack(geometryOf(m_window, shape), count, m_y.data(), m_x.data(), m_stream);
    checkCuda(cudaMemcpyAsync(x, m_x.data(), volumeFloats(shape) * sizeof(float),
                              cudaMemcpyDeviceToHost, m_stream),
              "download volume");
    m_stream.sync();
  }

 private:
  Stream m_stream;
  DeviceWindow m_window;
  DeviceBuffer<float> m_x, m_y;
};

class CudaSirt final : public DeviceSirt {
 public:
  CudaSirt(const StackShape& shape, bool circularMask, bool nonNegative)
      : m_shape(shape), m_circularMask(circularMask), m_nonNegative(nonNegative) {
    const int n = shape.gridSize;
    m_x.resize(volumeFloats(shape));
    checkCuda(cudaMemsetAsync(m_x.data(), 0, m_x.size() * sizeof(float), m_stream), "clear estimate");
    // Weights are the same for every slice: computed on a one-slice stack (4 lanes, lane 0 real).
    m_one = StackShape{n, 1, 4, 1, shape.columns};
    std::vector<float> mask(std::size_t(n) * n), maskStack(std::size_t(n) * n * 4, 0.0f);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        const float m = !circularMask || insideFieldOfView(n, r, c) ? 1.0f : 0.0f;
        mask[std::size_t(r) * n + c] = m;
        maskStack[(std::size_t(r) * n + c) * 4] = m;
      }
    m_mask.resize(mask.size());
    m_maskStack.resize(maskStack.size());
    m_columnWeights.resize(mask.size());
    m_columnSums.resize(maskStack.size());
    checkCuda(cudaMemcpyAsync(m_mask.data(), mask.data(), mask.size() * sizeof(float),
                              cudaMemcpyHostToDevice, m_stream),
              "upload mask");
    checkCuda(cudaMemcpyAsync(m_maskStack.data(), maskStack.data(), maskStack.size() * sizeof(float),
                              cudaMemcpyHostToDevice, m_stream),
              "upload mask");
    m_stream.sync();
  }

  std::vector<SirtNorms> iterate(const JosephWindow& window, const float* projections,
                                 bool newWeights, int iterations) override {
    checkWindow(m_shape, window);
    const int count = int(window.projections.size());
    if (count == 0 || iterations <= 0) return {};
    if (!newWeights && count != m_weightsFor)
      throw std::logic_error("GPU SIRT: no weights for this window");
    try {
      return run(window, projections, newWeights, iterations);
    } catch (...) {
      cudaStreamSynchronize(m_stream);  // nothing in flight may outlive the host buffers
      throw;
    }
  }

  std::vector<SirtNorms> run(const JosephWindow& window, const float* projections,
                             bool newWeights, int iterations) {
    const int count = int(window.projections.size());
    std::vector<SirtNorms> norms(iterations);
    m_window.upload(window, m_stream);
    m_measured.reserve(projectionFloats(m_shape, count));
    m_residual.reserve(projectionFloats(m_shape, count));
    checkCuda(cudaMemcpyAsync(m_measured.data(), projections,
                              projectionFloats(m_shape, count) * sizeof(float),
                              cudaMemcpyHostToDevice, m_stream),
              "upload projections");
    if (newWeights) computeWeights(count, window.centre, window.fullTurn);

    const joseph::StackGeometry g = geometryOf(m_window, m_shape);
    m_norms.reserve(2 * std::size_t(iterations));
    checkCuda(cudaMemsetAsync(m_norms.data(), 0, 2 * iterations * sizeof(double), m_stream),
              "clear norms");
    const dim3 forwardGrid(blocksFor(std::size_t(m_shape.columns)), unsigned(count),
                           unsigned(m_shape.groups));
    const dim3 backGrid(blocksFor(std::size_t(m_shape.gridSize) * m_shape.gridSize),
                        unsigned(m_shape.groups));
    withLanes(m_shape.lanes, [&](auto lanes) {
      for (int it = 0; it < iterations; ++it) {
        forwardKernel<decltype(lanes)::value, ForwardMode::sirtResidual><<<forwardGrid, kThreads, 0, m_stream>>>(
            g, m_x.data(), m_residual.data(), m_measured.data(), m_rowWeights.data(),
            m_norms.data() + 2 * it);
        checkLaunch("SIRT residual");
        backKernel<decltype(lanes)::value, BackMode::sirtUpdate><<<backGrid, kThreads, 0, m_stream>>>(
            g, count, m_residual.data(), m_x.data(), m_columnWeights.data(), m_nonNegative);
        checkLaunch("SIRT update");
      }
    });
    std::vector<double> sums(2 * std::size_t(iterations));
    checkCuda(cudaMemcpyAsync(sums.data(), m_norms.data(), sums.size() * sizeof(double),
                              cudaMemcpyDeviceToHost, m_stream),
              "download residual norms");
    m_stream.sync();
    for (int it = 0; it < iterations; ++it)
      norms[it] = {std::sqrt(sums[2 * it]), std::sqrt(sums[2 * it + 1])};
    return norms;
  }

  void download(float* volume) override {
    checkCuda(cudaMemcpyAsync(volume, m_x.data(), m_x.size() * sizeof(float),
                              cudaMemcpyDeviceToHost, m_stream),
              "download estimate");
    m_stream.sync();
  }

  void downloadSlices(const int* slices, int count, float* images) override {
    if (count <= 0) return;
    for (int i = 0; i < count; ++i)
      if (slices[i] < 0 || slices[i] >= m_shape.slices)
        throw std::invalid_argument("GPU SIRT: slice " + std::to_string(slices[i]) +
                                    " outside 0 … " + std::to_string(m_shape.slices - 1));
    const std::size_t pixels = std::size_t(m_shape.gridSize) * m_shape.gridSize;
    m_sliceIndices.reserve(count);
    m_sliceImages.reserve(pixels * count);
    checkCuda(cudaMemcpyAsync(m_sliceIndices.data(), slices, count * sizeof(int),
                              cudaMemcpyHostToDevice, m_stream),
              "upload slice list");
    gatherSlicesKernel<<<blocksFor(pixels * count), kThreads, 0, m_stream>>>(
        m_x.data(), m_shape.gridSize, m_shape.lanes, m_sliceIndices.data(), count,
        m_sliceImages.data());
    checkLaunch("gather slices");
    checkCuda(cudaMemcpyAsync(images, m_sliceImages.data(), pixels * count * sizeof(float),
                              cudaMemcpyDeviceToHost, m_stream),
              "download slices");
    m_stream.sync();
  }

 private:
  // R = 1 / (A · mask) per ray and C = mask / (Aᵀ · 1) per pixel, on the one-slice stack.
  void computeWeights(int count, double centre, bool fullTurn) {
    m_weightsFor = -1;  // until both sets are complete
    // C only where every projection sees (as the CPU): the mask's outer ring on the short side of
    // an axis off the detector's middle is left alone.
    // (Remade and uploaded only when the centre or the full turn changed.)
    std::vector<float> seen;
    if (m_circularMask && (centre != m_seenCentre || fullTurn != m_seenFullTurn)) {
      seen = seenByEveryProjection(m_shape.gridSize, centre, m_shape.columns, fullTurn);
      checkCuda(cudaMemcpyAsync(m_mask.data(), seen.data(), seen.size() * sizeof(float),
                                cudaMemcpyHostToDevice, m_stream),
                "upload the seen mask");
      m_seenCentre = centre, m_seenFullTurn = fullTurn;
    }
    const joseph::StackGeometry g = geometryOf(m_window, m_one);
    const std::size_t rows = projectionFloats(m_one, count);
    m_rowSums.reserve(rows);
    m_rowWeights.reserve(std::size_t(count) * m_shape.columns);
    launchForward(g, count, m_maskStack.data(), m_rowSums.data(), m_stream);
    rowWeightsKernel<<<blocksFor(std::size_t(count) * m_shape.columns), kThreads, 0, m_stream>>>(
        count, m_shape.columns, m_one.lanes, m_rowSums.data(), m_rowWeights.data());
    checkLaunch("row weights");
    // Ones on every ray (lane 0), then back-projected.
    std::vector<float> ones(rows, 0.0f);
    for (std::size_t i = 0; i < rows; i += m_one.lanes) ones[i] = 1.0f;
    m_ones.reserve(rows);
    checkCuda(cudaMemcpyAsync(m_ones.data(), ones.data(), rows * sizeof(float),
                              cudaMemcpyHostToDevice, m_stream),
              "upload ones");
    launchBack(g, count, m_ones.data(), m_columnSums.data(), m_stream);
    const int pixels = m_shape.gridSize * m_shape.gridSize;
    columnWeightsKernel<<<blocksFor(pixels), kThreads, 0, m_stream>>>(
        pixels, m_one.lanes, m_columnSums.data(), m_mask.data(), m_columnWeights.data());
    checkLaunch("column weights");
    m_stream.sync();  // `ones` must outlive its upload
    m_weightsFor = count;
  }

  StackShape m_shape, m_one;
  bool m_circularMask, m_nonNegative;
  double m_seenCentre = std::numeric_limits<double>::quiet_NaN();  ///< of the mask uploaded
  bool m_seenFullTurn = false;
  Stream m_stream;
  DeviceWindow m_window;
  DeviceBuffer<float> m_x, m_measured, m_residual;
  DeviceBuffer<float> m_mask, m_maskStack, m_rowSums, m_rowWeights, m_ones, m_columnSums,
      m_columnWeights;
  DeviceBuffer<double> m_norms;
  DeviceBuffer<int> m_sliceIndices;
  DeviceBuffer<float> m_sliceImages;
  int m_weightsFor = -1;
};

}  // namespace

std::unique_ptr<DeviceProjector> createCudaProjector() { return std::make_unique<CudaProjector>(); }

std::unique_ptr<DeviceSirt> createCudaSirt(const StackShape& shape, bool circularMask,
                                           bool nonNegative) {
  return std::make_unique<CudaSirt>(shape, circularMask, nonNegative);
}

}  // namespace tomolive::gpu
