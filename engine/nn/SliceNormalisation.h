#pragma once
// Per-slice normalisation of a denoiser's input (TomoGanNormalisation::perSlice and
// perSliceMean), shared by every backend so that they agree: the statistics come from the middle
// input slice inside the image's inscribed circle (the reconstruction's field of view; outside it
// the image is 0), every input slice is mapped by (x − mean) / scale, the image is padded with
// air (x = 0) at the bottom and right to multiples of 8, the network runs, and its output maps
// back by y · scale + mean. The scale is the standard deviation (perSlice) or the mean itself
// (perSliceMean: the statistic an under-iterated SIRT image already has right, so the contrast
// the network must restore does not depend on how far from converged its input is). The network
// thus sees the same contrast whatever the attenuation units, pixel size or sample. An image whose
// scale is not positive (a constant field of view; for perSliceMean a mean ≤ 0, which no
// absorbing sample gives) is returned unchanged: the model cannot be applied to it.
#include <functional>
#include <span>
#include <vector>

#include "nn/TomoGanModel.h"

namespace tomolive {

struct SliceStatistics {
  double mean = 0.0;
  double std = 0.0;  ///< population standard deviation
};

/// Mean and standard deviation of `image` (height × width, row-major) over the pixels whose
/// centre lies in the inscribed circle: centre ((h − 1)/2, (w − 1)/2), radius min(h, w)/2.
SliceStatistics fieldOfViewStatistics(std::span<const float> image, int height, int width);

/// The network on normalised input: `depth` slices of paddedHeight × paddedWidth in, one out.
using NormalisedNetwork =
    std::function<std::vector<float>(std::span<const float> slices, int height, int width)>;

/// Runs `network` per the header comment on `depth` slices of height × width (sizes checked by
/// the caller) with the per-slice `normalisation` (not global); returns height × width values in
/// the input's units.
std::vector<float> enhancePerSlice(std::span<const float> slices, int depth, int height, int width,
                                   TomoGanNormalisation normalisation,
                                   const NormalisedNetwork& network);

}  // namespace tomolive
