#pragma once
// Images the views show, cut from a reconstructed volume, and the numbers that scale them. No
// widgets: testable without a display.
#include <span>
#include <utility>
#include <vector>

namespace tomolive {
class VolumeStack;
}

namespace tomolive::ui {

/// A row-major float image, row 0 at the top.
struct FloatImage {
  std::vector<float> pixels;
  int width = 0, height = 0;
  bool empty() const { return pixels.empty(); }
};

/// Slice s of the volume (gridSize × gridSize).
FloatImage sliceImage(const VolumeStack& volume, int slice);
/// Where a vertical cut lies: through an image row (the XZ plane, x across) or through an image
/// column (the YZ plane, y across).
enum class Cut { Row, Column };

/// The vertical cut through image row (or column) `index` of every slice: width gridSize, height
/// slices (slice 0, the first reconstructed detector row, at the top).
FloatImage verticalCut(const VolumeStack& volume, int index, Cut through = Cut::Row);
/// after − before, pixel by pixel (same shapes; empty otherwise).
FloatImage difference(const FloatImage& after, const FloatImage& before);

/// The values at the `low` and `high` quantiles (e.g. 0.01, 0.99) of the finite pixels, from a
/// strided sample of at most 65 536 of them; {0, 1} for an image without finite pixels. The
/// range is never empty: a constant image gives {v − 0.5, v + 0.5}.
std::pair<double, double> robustRange(std::span<const float> pixels, double low = 0.01,
                                      double high = 0.99);

/// Counts of the finite pixels in `bins` equal bins over [lo, hi) (the last bin includes hi);
/// pixels outside are not counted. Empty for bins < 1 or an empty range.
std::vector<int> histogram(std::span<const float> pixels, double lo, double hi, int bins);

}  // namespace tomolive::ui
