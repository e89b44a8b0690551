#pragma once
// Per-element arithmetic of the cuDNN TomoGAN's own CUDA kernels (TomoGanCudnn.cu), shared with
// the host so that a machine without a GPU checks what the kernels compute
// (tests/test_tomogan_kernels.cpp): input normalisation and padding, 2×2 max-pooling, bilinear ×2
// upsampling, the channel order of cat([skip, up]), the last 1×1 convolution with output
// de-normalisation, and the weights' channels-last filter layout. The network and its conventions: resources/models/README.md and
// the CPU backend (nn/TomoGanDenoiser.cpp), which these functions reproduce operation for
// operation.
//
// Tensors are channels-last (NHWC, batch 1). Element indices are ints: the plugin refuses images
// whose largest tensor would reach 2^31 elements, which is also cuDNN's limit per tensor.
#include <cstddef>
#include <vector>

#include "gpu/HostDevice.h"

namespace tomolive::gpu::tomogan {

/// Three 2×2 poolings: the network runs on the image padded to multiples of 8.
inline constexpr int kAlign = 8;
/// Tensor cores want channel counts that are multiples of 8; only conv0's input (depth slices)
/// is not, so it is padded with zero channels that meet zero weights.
inline constexpr int kChannelAlign = 8;

TOMOLIVE_HD inline int roundUp(int value, int multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

/// Index of channel c at row y, column x of a channels-last tensor `width` pixels wide.
TOMOLIVE_HD inline int nhwc(int channels, int width, int y, int x, int c) {
  return (y * width + x) * channels + c;
}

/// Channel c of the network's input at pixel (y, x) of the padded image, from `depth` row-major
/// height × width slices: (v − offset)·scale inside the image; beyond it (bottom and right
/// padding) air, x = 0, normalised as (0 − offset)·scale, as the CPU backend pads; 0 for the
/// channels past `depth` that only pad conv0's input for tensor cores.
TOMOLIVE_HD inline float networkInput(const float* slices, int depth, int height, int width, int c,
                                      int y, int x, float offset, float scale) {
  if (c >= depth) return 0.0f;
  if (y >= height || x >= width) return (0.0f - offset) * scale;
  const std::size_t at = (std::size_t(c) * height + y) * std::size_t(width) + x;
  return (slices[at] - offset) * scale;
}

/// conv15, the network's last layer (1×1, `channels` → 1, no activation), at one pixel: bias +
/// Σ_c weight[c]·read(c), accumulated in float whatever the tensors' precision.
template <class Read>
TOMOLIVE_HD inline float linearOutput(Read read, const float* weight, float bias, int channels) {
  float sum = bias;
  for (int c = 0; c < channels; ++c) sum += weight[c] * read(c);
  return sum;
}

/// The network's output y back in reconstruction units.
TOMOLIVE_HD inline float reconstructionUnits(float y, float offset, float scale) {
  return y / scale + offset;
}

/// 2×2 max-pooling, stride 2: output (y, x) is the largest of input rows 2y, 2y + 1 and columns
/// 2x, 2x + 1. `read(row, column)` returns one channel's input value.
template <class Read>
TOMOLIVE_HD inline float maxPool2x2(Read read, int y, int x) {
  float best = read(2 * y, 2 * x);
  const float b = read(2 * y, 2 * x + 1), c = read(2 * y + 1, 2 * x),
              d = read(2 * y + 1, 2 * x + 1);
  best = b > best ? b : best;
  best = c > best ? c : best;
  return d > best ? d : best;
}

/// One axis of bilinear ×2 upsampling with half-pixel centres (PyTorch's F.interpolate(
/// scale_factor=2, mode="bilinear", align_corners=False), oneDNN's resampling_linear): output o
/// samples the input at s = (o + ½)/2 − ½, clamped below at 0, as w0·in[i0] + w1·in[i1] with
/// i0 = ⌊s⌋, i1 = min(i0 + 1, n − 1), w1 = s − i0. The weights are 0, ¼ or ¾ and their
/// complements, exact in every precision.
struct LinearTaps {
  int i0, i1;
  float w0, w1;
};

TOMOLIVE_HD inline LinearTaps upsampleTaps(int o, int inSize) {
  float s = (static_cast<float>(o) + 0.5f) * 0.5f - 0.5f;
  if (s < 0.0f) s = 0.0f;
  const int i0 = static_cast<int>(s);
  const int i1 = i0 + 1 < inSize ? i0 + 1 : inSize - 1;
  const float w1 = s - static_cast<float>(i0);
  return {i0, i1, 1.0f - w1, w1};
}

/// Output (y, x) of the ×2 upsampling of an inHeight × inWidth channel; `read(row, column)`
/// returns its input values. Rows are blended last, in PyTorch's order.
template <class Read>
TOMOLIVE_HD inline float upsampleBilinear(Read read, int inHeight, int inWidth, int y, int x) {
  const LinearTaps ty = upsampleTaps(y, inHeight), tx = upsampleTaps(x, inWidth);
  return ty.w0 * (tx.w0 * read(ty.i0, tx.i0) + tx.w1 * read(ty.i0, tx.i1)) +
         ty.w1 * (tx.w0 * read(ty.i1, tx.i0) + tx.w1 * read(ty.i1, tx.i1));
}

/// Where channel c of cat([skip, up], channels) comes from: the skip tensor's channel c for
/// c < skipChannels, else the upsampled tensor's channel c − skipChannels.
struct ConcatSource {
  bool fromSkip;
  int channel;
};

TOMOLIVE_HD inline ConcatSource concatSource(int c, int skipChannels) {
  return c < skipChannels ? ConcatSource{true, c} : ConcatSource{false, c - skipChannels};
}

/// PyTorch's out × in × k × k weights as cuDNN's channels-last (CUDNN_TENSOR_NHWC) filter:
/// out × k × k × paddedIn, input channels in … paddedIn − 1 zero.
inline std::vector<float> channelsLastFilter(const float* weight, int out, int in, int kernel,
                                             int paddedIn) {
  std::vector<float> filter(std::size_t(out) * kernel * kernel * paddedIn, 0.0f);
  for (int o = 0; o < out; ++o)
    for (int i = 0; i < in; ++i)
      for (int ky = 0; ky < kernel; ++ky)
        for (int kx = 0; kx < kernel; ++kx) {
          const std::size_t from = ((std::size_t(o) * in + i) * kernel + ky) * kernel + kx;
          const std::size_t to = ((std::size_t(o) * kernel + ky) * kernel + kx) * paddedIn + i;
          filter[to] = weight[from];
        }
  return filter;
}

}  // namespace tomolive::gpu::tomogan
