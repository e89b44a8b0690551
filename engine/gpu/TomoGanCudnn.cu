// TomoGAN inference with cuDNN (TomoGanCudnn.h).
//
// Layout: every tensor is channels-last (NHWC, batch 1) in the precision's element type, the
// layout tensor cores read; filters are cuDNN's NHWC filters (out × kh × kw × in). conv0's input
// is padded from `depth` to 8 channels (zero activations meeting zero weights, so the padding
// adds exact zeros) because tensor-core kernels want channel counts that are multiples of 8.
// Intermediate tensors live in two ping-pong buffers and three skip buffers, sized per shape.
#include "gpu/TomoGanCudnn.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "gpu/CudaSupport.h"
#include "gpu/TomoGanKernels.h"

namespace tomolive::gpu {
namespace {

using tomogan::kAlign;
using tomogan::kChannelAlign;

// ---- the network (resources/models/README.md) ----

// Each layer's resolution: the padded image's size ÷ 2^level.
constexpr std::array<int, 16> kLevel = {0, 0, 0, 1, 1, 2, 2, 3, 2, 2, 1, 1, 0, 0, 0, 0};

// conv0 … conv14 run as cuDNN convolutions with bias and ReLU fused; conv15, the only one without
// ReLU (16 → 1 channel, 1×1), is fused into the output kernel instead: cuDNN's fused call runs an
// identity activation with one algorithm only, and a one-channel output wastes tensor cores.
constexpr int kCudnnLayers = 15;
constexpr int kLastChannels = 16;  // conv15's input

struct LastLayer {
  float weight[kLastChannels];
  float bias;
};

enum Buffer { kA, kB, kSkip1, kSkip2, kSkip3, kBufferCount };

// The network's topology; channel counts come from the weights (traceChannels).
struct Step {
  enum Kind { convolution, pool, upsampleConcat } kind;
  int layer;  // convolution
  Buffer src, dst;
  Buffer skip;  // upsampleConcat: cat([skip, upsampled src])
  int level;    // dst's resolution level
};

constexpr Step convolutionStep(int layer, Buffer src, Buffer dst) {
  return {Step::convolution, layer, src, dst, kA, kLevel[layer]};
}
constexpr Step poolStep(Buffer src, Buffer dst, int level) {
  return {Step::pool, -1, src, dst, kA, level};
}
constexpr Step upsampleConcatStep(Buffer skip, Buffer src, Buffer dst, int level) {
  return {Step::upsampleConcat, -1, src, dst, skip, level};
}

// The forward pass up to conv14. The input is written to kA, conv14's output ends in kB; no step
// reads the buffer it writes.
constexpr std::array<Step, 21> kSteps = {
    convolutionStep(0, kA, kB),
    convolutionStep(1, kB, kA),
    convolutionStep(2, kA, kSkip1),
    poolStep(kSkip1, kA, 1),
    convolutionStep(3, kA, kB),
    convolutionStep(4, kB, kSkip2),
    poolStep(kSkip2, kA, 2),
    convolutionStep(5, kA, kB),
    convolutionStep(6, kB, kSkip3),
    poolStep(kSkip3, kA, 3),
    convolutionStep(7, kA, kB),
    upsampleConcatStep(kSkip3, kB, kA, 2),
    convolutionStep(8, kA, kB),
    convolutionStep(9, kB, kA),
    upsampleConcatStep(kSkip2, kA, kB, 1),
    convolutionStep(10, kB, kA),
    convolutionStep(11, kA, kB),
    upsampleConcatStep(kSkip1, kB, kA, 0),
    convolutionStep(12, kA, kB),
    convolutionStep(13, kB, kA),
    convolutionStep(14, kA, kB),
};  // conv15 (16 → 1, linear) runs in the output kernel, reading kB

// The step that runs convolution `layer`.
constexpr const Step& stepOf(int layer) {
  for (const Step& step : kSteps)
    if (step.kind == Step::convolution && step.layer == layer) return step;
  return kSteps[0];  // not reached: every layer but conv15 has its step
}

// FFT-based algorithms can ask for several GiB at 2560²; the implicit GEMMs need little.
constexpr std::size_t kMaxWorkspaceBytes = std::size_t(1) << 30;

// ---- precision ----

struct PrecisionTraits {
  cudnnDataType_t data;
  std::size_t bytes;
  cudnnMathType_t math;
  const char* label;
};

PrecisionTraits traitsOf(Precision precision) {
  switch (precision) {
    case Precision::f32:
      return {CUDNN_DATA_FLOAT, sizeof(float), CUDNN_FMA_MATH, "fp32"};
    case Precision::tf32:
      return {CUDNN_DATA_FLOAT, sizeof(float), CUDNN_TENSOR_OP_MATH, "tf32 tensor cores"};
    case Precision::f16:
      return {CUDNN_DATA_HALF, sizeof(__half), CUDNN_TENSOR_OP_MATH, "fp16 tensor cores"};
    case Precision::bf16:
      return {CUDNN_DATA_BFLOAT16, sizeof(__nv_bfloat16), CUDNN_TENSOR_OP_MATH,
              "bf16 tensor cores"};
  }
  throw std::invalid_argument("TomoGAN (cuDNN): unknown precision " +
                              std::to_string(static_cast<int>(precision)));
}

// Whether an algorithm cuDNN offers keeps the precision's promise: f32 never runs on tensor cores
// (TF32), tf32 never converts its float data to fp16.
bool keepsPrecision(Precision precision, cudnnMathType_t math) {
  if (precision == Precision::f32) return math == CUDNN_FMA_MATH || math == CUDNN_DEFAULT_MATH;
  if (precision == Precision::tf32) return math != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
  return true;
}

template <class T>
__host__ __device__ inline T fromFloat(float v) {
  if constexpr (std::is_same_v<T, __half>) {
    return __float2half_rn(v);
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __float2bfloat16_rn(v);
  } else {
    return v;
  }
}

template <class T>
__device__ inline float toFloat(T v) {
  if constexpr (std::is_same_v<T, __half>) {
    return __half2float(v);
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __bfloat162float(v);
  } else {
    return v;
  }
}

// Calls f with a value of the precision's element type.
template <class F>
void withElementType(Precision precision, F&& f) {
  switch (precision) {
    case Precision::f16:
      f(__half{});
      return;
    case Precision::bf16:
      f(__nv_bfloat16{});
      return;
    case Precision::f32:
    case Precision::tf32:
      f(float{});
      return;
  }
}

// ---- kernels: one thread per output element (every tensor has fewer than 2^31) ----

constexpr int kThreads = 256;

unsigned blocksFor(long long count) { return unsigned((count + kThreads - 1) / kThreads); }

__device__ inline long long threadIndex() {
  return static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
}

template <class T>
__global__ void inputKernel(const float* __restrict__ slices, int depth, int height, int width,
                            int paddedHeight, int paddedWidth, int channels, float offset,
                            float scale, T* __restrict__ out) {
  const long long t = threadIndex();
  if (t >= static_cast<long long>(paddedHeight) * paddedWidth * channels) return;
  const int i = static_cast<int>(t);
  const int c = i % channels, pixel = i / channels;
  out[i] = fromFloat<T>(tomogan::networkInput(slices, depth, height, width, c, pixel / paddedWidth,
                                              pixel % paddedWidth, offset, scale));
}

template <class T>
__global__ void poolKernel(const T* __restrict__ in, int channels, int outHeight, int outWidth,
                           T* __restrict__ out) {
  const long long t = threadIndex();
  if (t >= static_cast<long long>(outHeight) * outWidth * channels) return;
  const int i = static_cast<int>(t);
  const int c = i % channels, pixel = i / channels;
  const int inWidth = 2 * outWidth;
  const auto read = [&](int y, int x) {
    return toFloat(in[tomogan::nhwc(channels, inWidth, y, x, c)]);
  };
  out[i] = fromFloat<T>(tomogan::maxPool2x2(read, pixel / outWidth, pixel % outWidth));
}

// cat([skip, upsample(low)]) at height × width, both halves written by one kernel.
template <class T>
__global__ void upsampleConcatKernel(const T* __restrict__ skip, int skipChannels,
                                     const T* __restrict__ low, int lowChannels, int height,
                                     int width, T* __restrict__ out) {
  const int channels = skipChannels + lowChannels;
  const long long t = threadIndex();
  if (t >= static_cast<long long>(height) * width * channels) return;
  const int i = static_cast<int>(t);
  const int pixel = i / channels;
  const tomogan::ConcatSource source = tomogan::concatSource(i % channels, skipChannels);
  if (source.fromSkip) {
    out[i] = skip[pixel * skipChannels + source.channel];
    return;
  }
  const int lowHeight = height / 2, lowWidth = width / 2;
  const auto read = [&](int y, int x) {
    return toFloat(low[tomogan::nhwc(lowChannels, lowWidth, y, x, source.channel)]);
  };
  out[i] = fromFloat<T>(
      tomogan::upsampleBilinear(read, lowHeight, lowWidth, pixel / width, pixel % width));
}

// conv15 on conv14's output, cropped to height × width and back in reconstruction units.
template <class T>
__global__ void outputKernel(const T* __restrict__ network, LastLayer last, int paddedWidth,
                             int height, int width, float offset, float scale,
                             float* __restrict__ out) {
  const long long t = threadIndex();
  if (t >= static_cast<long long>(height) * width) return;
  const int i = static_cast<int>(t);
  const int y = i / width, x = i % width;
  const T* pixel = network + tomogan::nhwc(kLastChannels, paddedWidth, y, x, 0);
  const float value = tomogan::linearOutput([&](int c) { return toFloat(pixel[c]); }, last.weight,
                                            last.bias, kLastChannels);
  out[i] = tomogan::reconstructionUnits(value, offset, scale);
}

void checkLaunch(const char* kernel) { checkCuda(cudaGetLastError(), kernel); }

// ---- resources ----

template <class T, cudnnStatus_t (*Create)(T*), cudnnStatus_t (*Destroy)(T)>
class CudnnObject {
 public:
  CudnnObject() { checkCudnn(Create(&m_object), "create a cuDNN object"); }
  ~CudnnObject() { Destroy(m_object); }
  CudnnObject(const CudnnObject&) = delete;
  CudnnObject& operator=(const CudnnObject&) = delete;
  T get() const { return m_object; }

 private:
  T m_object = nullptr;
};

using CudnnHandle = CudnnObject<cudnnHandle_t, cudnnCreate, cudnnDestroy>;
using TensorDescriptor =
    CudnnObject<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDescriptor =
    CudnnObject<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvolutionDescriptor =
    CudnnObject<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                cudnnDestroyConvolutionDescriptor>;
using ActivationDescriptor =
    CudnnObject<cudnnActivationDescriptor_t, cudnnCreateActivationDescriptor,
                cudnnDestroyActivationDescriptor>;

struct Layer {
  int in = 0, out = 0, kernel = 1;  // `in` padded to kChannelAlign
  DeviceBuffer<unsigned char> weight, bias;
  FilterDescriptor filter;
  TensorDescriptor biasDescriptor;
  ConvolutionDescriptor convolution;
  // For the current shape:
  TensorDescriptor x, y;
  cudnnConvolutionFwdAlgo_t algorithm = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
};

std::string layerName(std::size_t index) { return "conv" + std::to_string(index); }

// Channels each step reads and writes.
struct StepChannels {
  int src = 0, skip = 0, dst = 0;
};
using ChannelPlan = std::array<StepChannels, kSteps.size()>;

// Follows the weights' channel counts through the steps (the engine has checked them against the
// architecture when it loaded the model); throws std::invalid_argument where a layer does not
// take what reaches it, or conv15 is not the 16 → 1, 1×1 layer the output kernel computes.
ChannelPlan traceChannels(const TomoGanWeights& weights) {
  if (weights.depth < 1) {
    throw std::invalid_argument("TomoGAN (cuDNN): depth " + std::to_string(weights.depth) +
                                " must be at least 1");
  }
  if (!std::isfinite(weights.inputScale) || weights.inputScale == 0.0 ||
      !std::isfinite(weights.inputOffset)) {
    throw std::invalid_argument(
        "TomoGAN (cuDNN): input offset " + std::to_string(weights.inputOffset) + " and scale " +
        std::to_string(weights.inputScale) + " must be finite, the scale non-zero");
  }
  for (std::size_t i = 0; i < weights.layers.size(); ++i) {
    const TomoGanWeights::Layer& l = weights.layers[i];
    if (!l.weight || !l.bias || l.outChannels < 1 || l.kernel < 1 || l.kernel % 2 == 0)
      throw std::invalid_argument("TomoGAN (cuDNN): " + layerName(i) +
                                  " has no weights, no outputs or an even kernel");
  }
  std::array<int, kBufferCount> held{};
  held[kA] = weights.depth;
  ChannelPlan plan{};
  for (std::size_t i = 0; i < kSteps.size(); ++i) {
    const Step& step = kSteps[i];
    StepChannels& c = plan[i];
    c.src = held[step.src];
    switch (step.kind) {
      case Step::convolution: {
        const TomoGanWeights::Layer& l = weights.layers[std::size_t(step.layer)];
        if (l.inChannels != c.src)
          throw std::invalid_argument("TomoGAN (cuDNN): " + layerName(std::size_t(step.layer)) +
                                      " takes " + std::to_string(l.inChannels) +
                                      " channels, the network gives it " + std::to_string(c.src));
        c.dst = l.outChannels;
        break;
      }
      case Step::pool:
        c.dst = c.src;
        break;
      case Step::upsampleConcat:
        c.skip = held[step.skip];
        c.dst = c.skip + c.src;
        break;
    }
    held[step.dst] = c.dst;
  }
  const TomoGanWeights::Layer& last = weights.layers[kCudnnLayers];
  if (last.inChannels != held[kB] || last.inChannels != kLastChannels || last.outChannels != 1 ||
      last.kernel != 1)
    throw std::invalid_argument("TomoGAN (cuDNN): conv15 must be 1×1, " +
                                std::to_string(kLastChannels) + " → 1 channels on conv14's " +
                                std::to_string(held[kB]) + "; it is " + std::to_string(last.kernel) +
                                "×" + std::to_string(last.kernel) + ", " +
                                std::to_string(last.inChannels) + " → " +
                                std::to_string(last.outChannels));
  return plan;
}

class CudnnTomoGan final : public DeviceDenoiser {
 public:
  CudnnTomoGan(const TomoGanWeights& weights, ChannelPlan channels, Precision precision)
      : m_channels(channels),
        m_precision(precision),
        m_traits(traitsOf(precision)),
        m_depth(weights.depth),
        m_offset(static_cast<float>(weights.inputOffset)),
        m_scale(static_cast<float>(weights.inputScale)) {
    checkCuda(cudaGetDevice(&m_device), "cudaGetDevice");
    cudaDeviceProp properties{};
    checkCuda(cudaGetDeviceProperties(&properties, m_device), "cudaGetDeviceProperties");
    const std::size_t version = cudnnGetVersion();  // major·10000 + minor·100 + patch
    m_description = "cuDNN " + std::to_string(version / 10000) + "." +
                    std::to_string(version / 100 % 100) + " " + m_traits.label + ", " +
                    properties.name;
    checkCudnn(cudnnSetStream(m_handle.get(), m_stream), "cudnnSetStream");
    checkCudnn(cudnnSetActivationDescriptor(m_relu.get(), CUDNN_ACTIVATION_RELU,
                                            CUDNN_NOT_PROPAGATE_NAN, 0.0),
               "cudnnSetActivationDescriptor (ReLU)");
    withElementType(m_precision, [&](auto element) {
      for (std::size_t i = 0; i < m_layers.size(); ++i) upload(weights.layers[i], i, element);
    });
    const TomoGanWeights::Layer& last = weights.layers[kCudnnLayers];
    std::copy(last.weight, last.weight + kLastChannels, m_last.weight);
    m_last.bias = last.bias[0];
  }

  std::vector<float> enhance(const float* slices, int height, int width) override {
    // Sizes are checked by the engine (checkEnhanceInput) before they get here.
    if (!slices || height < 1 || width < 1)
      throw std::invalid_argument("TomoGAN (cuDNN): no input slices");
    const int paddedHeight = tomogan::roundUp(height, kAlign);
    const int paddedWidth = tomogan::roundUp(width, kAlign);
    checkCuda(cudaSetDevice(m_device), "cudaSetDevice");
    if (paddedHeight != m_height || paddedWidth != m_width) plan(paddedHeight, paddedWidth);

    // Sized for the padded shape, so images of one shape never reallocate (a cudaFree would
    // wait for the other streams' work, e.g. SIRT's).
    const std::size_t plane = std::size_t(height) * std::size_t(width);
    const std::size_t paddedPlane = std::size_t(m_height) * m_width;
    m_hostInput.reserve(paddedPlane * m_depth);
    m_deviceInput.reserve(paddedPlane * m_depth);
    m_hostOutput.reserve(paddedPlane);
    m_deviceOutput.reserve(paddedPlane);
    try {
      return infer(slices, height, width, plane);
    } catch (...) {
      cudaStreamSynchronize(m_stream);  // no upload may still read the pinned input
      throw;
    }
  }

  std::vector<float> infer(const float* slices, int height, int width, std::size_t plane) {
    const cudaStream_t stream = m_stream;
    // Slice by slice, so that the copy of one into pinned memory overlaps the previous transfer.
    for (int s = 0; s < m_depth; ++s) {
      float* staged = m_hostInput.data() + s * plane;
      std::memcpy(staged, slices + s * plane, plane * sizeof(float));
      checkCuda(cudaMemcpyAsync(m_deviceInput.data() + s * plane, staged, plane * sizeof(float),
                                cudaMemcpyHostToDevice, stream),
                "upload slices");
    }
    withElementType(m_precision, [&](auto element) { run(height, width, element); });
    checkCuda(cudaMemcpyAsync(m_hostOutput.data(), m_deviceOutput.data(), plane * sizeof(float),
                              cudaMemcpyDeviceToHost, stream),
              "download result");
    checkCuda(cudaStreamSynchronize(stream), "TomoGAN inference");
    return std::vector<float>(m_hostOutput.data(), m_hostOutput.data() + plane);
  }

  std::string describe() const override { return m_description; }

 private:
  template <class T>
  void upload(const TomoGanWeights::Layer& source, std::size_t index, T) {
    Layer& layer = m_layers[index];
    layer.in = tomogan::roundUp(source.inChannels, kChannelAlign);
    layer.out = source.outChannels;
    layer.kernel = source.kernel;
    const std::vector<float> filter = tomogan::channelsLastFilter(
        source.weight, layer.out, source.inChannels, layer.kernel, layer.in);
    std::vector<T> weight(filter.size()), bias(std::size_t(layer.out));
    std::transform(filter.begin(), filter.end(), weight.begin(), fromFloat<T>);
    std::transform(source.bias, source.bias + layer.out, bias.begin(), fromFloat<T>);
    layer.weight.resize(weight.size() * sizeof(T));
    layer.bias.resize(bias.size() * sizeof(T));
    const cudaStream_t stream = m_stream;
    checkCuda(cudaMemcpyAsync(layer.weight.data(), weight.data(), weight.size() * sizeof(T),
                              cudaMemcpyHostToDevice, stream),
              "upload TomoGAN weights");
    checkCuda(cudaMemcpyAsync(layer.bias.data(), bias.data(), bias.size() * sizeof(T),
                              cudaMemcpyHostToDevice, stream),
              "upload TomoGAN biases");
    checkCuda(cudaStreamSynchronize(stream), "upload TomoGAN weights");  // before `weight` goes

    checkCudnn(cudnnSetFilter4dDescriptor(layer.filter.get(), m_traits.data, CUDNN_TENSOR_NHWC,
                                          layer.out, layer.in, layer.kernel, layer.kernel),
               "cudnnSetFilter4dDescriptor");
    checkCudnn(cudnnSetTensor4dDescriptor(layer.biasDescriptor.get(), CUDNN_TENSOR_NCHW,
                                          m_traits.data, 1, layer.out, 1, 1),
               "cudnnSetTensor4dDescriptor (bias)");
    // Float accumulation in every precision (cuDNN's FLOAT, PSEUDO_HALF and PSEUDO_BFLOAT16
    // configurations); cross-correlation, as PyTorch's convolution.
    const int pad = layer.kernel / 2;
    checkCudnn(cudnnSetConvolution2dDescriptor(layer.convolution.get(), pad, pad, 1, 1, 1, 1,
                                               CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
               "cudnnSetConvolution2dDescriptor");
  }

  // Elements each buffer must hold for a padded height × width image (the input too).
  std::array<long long, kBufferCount> bufferElements(int height, int width) const {
    const auto pixels = [&](int level) {
      return static_cast<long long>(height >> level) * (width >> level);
    };
    std::array<long long, kBufferCount> elements{};
    elements[kA] = tomogan::roundUp(m_depth, kChannelAlign) * pixels(0);
    for (std::size_t i = 0; i < kSteps.size(); ++i)
      elements[kSteps[i].dst] = std::max(elements[kSteps[i].dst],
                                         m_channels[i].dst * pixels(kSteps[i].level));
    return elements;
  }

  // Descriptors, algorithms, workspace and buffers for a padded height × width image.
  void plan(int height, int width) {
    m_height = m_width = 0;  // until the plan is complete
    const std::array<long long, kBufferCount> elements = bufferElements(height, width);
    const long long largest = *std::max_element(elements.begin(), elements.end());
    if (largest > INT_MAX) {
      throw std::invalid_argument(
          "TomoGAN (cuDNN): a " + std::to_string(height) + " × " + std::to_string(width) +
          " (padded) image needs a tensor of " + std::to_string(largest) +
          " elements, more than cuDNN's 2^31 − 1; enhance it on the CPU, which tiles");
    }
    // The buffers first: each candidate algorithm is tried on them.
    for (int b = 0; b < kBufferCount; ++b)
      m_buffers[b].resize(std::size_t(elements[b]) * m_traits.bytes);
    std::size_t workspace = 0;
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
      Layer& layer = m_layers[i];
      const int h = height >> kLevel[i], w = width >> kLevel[i];
      checkCudnn(cudnnSetTensor4dDescriptor(layer.x.get(), CUDNN_TENSOR_NHWC, m_traits.data, 1,
                                            layer.in, h, w),
                 "cudnnSetTensor4dDescriptor (x)");
      checkCudnn(cudnnSetTensor4dDescriptor(layer.y.get(), CUDNN_TENSOR_NHWC, m_traits.data, 1,
                                            layer.out, h, w),
                 "cudnnSetTensor4dDescriptor (y)");
      workspace = std::max(workspace, chooseAlgorithm(i, h, w));
    }
    m_workspace.reserve(workspace);
    checkCuda(cudaStreamSynchronize(m_stream), "TomoGAN algorithm trials");
    m_height = height;
    m_width = width;
  }

  // Picks layer `index`'s algorithm for its tensors at h × w; returns its workspace in bytes.
  std::size_t chooseAlgorithm(std::size_t index, int h, int w) {
    Layer& layer = m_layers[index];
    const cudnnHandle_t handle = m_handle.get();
    const cudnnConvolutionDescriptor_t convolution = layer.convolution.get();
    const auto workspaceOf = [&](cudnnConvolutionFwdAlgo_t algorithm, std::size_t* bytes) {
      return cudnnGetConvolutionForwardWorkspaceSize(handle, layer.x.get(), layer.filter.get(),
                                                     convolution, layer.y.get(), algorithm, bytes);
    };
    checkCudnn(cudnnSetConvolutionMathType(convolution, m_traits.math),
               "cudnnSetConvolutionMathType");
    int capacity = 0;
    checkCudnn(cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &capacity),
               "cudnnGetConvolutionForwardAlgorithmMaxCount");
    std::vector<cudnnConvolutionFwdAlgoPerf_t> offers(std::size_t(std::max(capacity, 1)));
    int count = 0;
    checkCudnn(cudnnGetConvolutionForwardAlgorithm_v7(handle, layer.x.get(), layer.filter.get(),
                                                      convolution, layer.y.get(),
                                                      int(offers.size()), &count, offers.data()),
               "cudnnGetConvolutionForwardAlgorithm_v7");
    // Best first. cuDNN reports the math type each algorithm runs with; like PyTorch we set it on
    // the descriptor, except in f32, which stays FMA-only.
    for (int k = 0; k < count; ++k) {
      const cudnnConvolutionFwdAlgoPerf_t& offer = offers[std::size_t(k)];
      if (offer.status != CUDNN_STATUS_SUCCESS || !keepsPrecision(m_precision, offer.mathType))
        continue;
      const cudnnMathType_t math = m_precision == Precision::f32 ? m_traits.math : offer.mathType;
      checkCudnn(cudnnSetConvolutionMathType(convolution, math), "cudnnSetConvolutionMathType");
      std::size_t bytes = 0;
      if (workspaceOf(offer.algo, &bytes) != CUDNN_STATUS_SUCCESS || bytes > kMaxWorkspaceBytes)
        continue;
      // The heuristics describe cudnnConvolutionForward: make sure the fused call runs it too.
      m_workspace.reserve(bytes);
      layer.algorithm = offer.algo;
      const Step& step = stepOf(int(index));
      if (tryConvolve(layer, m_buffers[step.src].data(), m_buffers[step.dst].data()) ==
          CUDNN_STATUS_SUCCESS)
        return bytes;
    }
    throw std::runtime_error("cuDNN: no fused convolution algorithm for TomoGAN " + layerName(index) + " (" +
                             std::to_string(layer.in) + " → " + std::to_string(layer.out) +
                             " channels at " + std::to_string(h) + " × " + std::to_string(w) +
                             ", " + m_traits.label + ") within a " +
                             std::to_string(kMaxWorkspaceBytes >> 20) + " MiB workspace");
  }

  template <class T>
  T* buffer(Buffer b) {
    return reinterpret_cast<T*>(m_buffers[b].data());
  }

  template <class T>
  void run(int height, int width, T) {
    const cudaStream_t stream = m_stream;
    const int inputChannels = m_layers[0].in;
    inputKernel<T><<<blocksFor(static_cast<long long>(m_height) * m_width * inputChannels),
                     kThreads, 0, stream>>>(m_deviceInput.data(), m_depth, height, width, m_height,
                                            m_width, inputChannels, m_offset, m_scale,
                                            buffer<T>(kA));
    checkLaunch("TomoGAN input kernel");
    for (std::size_t i = 0; i < kSteps.size(); ++i) {
      const Step& step = kSteps[i];
      const StepChannels& c = m_channels[i];
      const int h = m_height >> step.level, w = m_width >> step.level;
      switch (step.kind) {
        case Step::convolution:
          convolve(m_layers[std::size_t(step.layer)], buffer<T>(step.src), buffer<T>(step.dst));
          break;
        case Step::pool:
          poolKernel<T><<<blocksFor(static_cast<long long>(h) * w * c.dst), kThreads, 0, stream>>>(
              buffer<T>(step.src), c.src, h, w, buffer<T>(step.dst));
          checkLaunch("TomoGAN pooling kernel");
          break;
        case Step::upsampleConcat:
          upsampleConcatKernel<T>
              <<<blocksFor(static_cast<long long>(h) * w * c.dst), kThreads, 0, stream>>>(
                  buffer<T>(step.skip), c.skip, buffer<T>(step.src), c.src, h, w,
                  buffer<T>(step.dst));
          checkLaunch("TomoGAN upsampling kernel");
          break;
      }
    }
    outputKernel<T><<<blocksFor(static_cast<long long>(height) * width), kThreads, 0, stream>>>(
        buffer<T>(kB), m_last, m_width, height, width, m_offset, m_scale, m_deviceOutput.data());
    checkLaunch("TomoGAN output kernel");
  }

  // y = ReLU(conv(x) + bias); z (alpha2 = 0) is y itself.
  cudnnStatus_t tryConvolve(const Layer& layer, const void* x, void* y) {
    const float one = 1.0f, zero = 0.0f;
    return cudnnConvolutionBiasActivationForward(
        m_handle.get(), &one, layer.x.get(), x, layer.filter.get(), layer.weight.data(),
        layer.convolution.get(), layer.algorithm, m_workspace.data(), m_workspace.size(), &zero,
        layer.y.get(), y, layer.biasDescriptor.get(), layer.bias.data(), m_relu.get(),
        layer.y.get(), y);
  }
  void convolve(const Layer& layer, const void* x, void* y) {
    checkCudnn(tryConvolve(layer, x, y), "cudnnConvolutionBiasActivationForward");
  }

  ChannelPlan m_channels;
  Precision m_precision;
  PrecisionTraits m_traits;
  int m_depth;
  float m_offset, m_scale;
  int m_device = 0;
  std::string m_description;
  // Declared before the handle, so that the handle is destroyed first.
  Stream m_stream;
  CudnnHandle m_handle;
  ActivationDescriptor m_relu;
  std::array<Layer, kCudnnLayers> m_layers;
  LastLayer m_last{};
  // The current padded shape (0 × 0 until the first plan) and what it owns.
  int m_height = 0, m_width = 0;
  DeviceBuffer<unsigned char> m_workspace;
  std::array<DeviceBuffer<unsigned char>, kBufferCount> m_buffers;
  PinnedBuffer<float> m_hostInput, m_hostOutput;
  DeviceBuffer<float> m_deviceInput, m_deviceOutput;
};

}  // namespace

std::unique_ptr<DeviceDenoiser> createCudnnTomoGan(const TomoGanWeights& weights,
                                                   Precision precision) {
  // Checked before the object creates its stream and cuDNN handle.
  return std::make_unique<CudnnTomoGan>(weights, traceChannels(weights), precision);
}

}  // namespace tomolive::gpu
