#pragma once
// Volumes as multi-page 32-bit float TIFF files (libtiff), the stack format ImageJ/Fiji, napari
// and tifffile open directly: one page per slice, [slice][row][column], uncompressed, sample
// format IEEE float, the first page's ImageDescription holding the volume's parameters (text,
// e.g. JSON). Files over 2 GiB are written as BigTIFF.
#include <span>
#include <string>
#include <vector>

namespace tomolive {

struct TiffStack {
  std::vector<float> volume;  ///< slices × height × width
  int slices = 0, height = 0, width = 0;
  std::string description;  ///< the first page's ImageDescription ("" when it has none)
};

/// Writes `volume` (slices × height × width values) to a new file at `path`, replacing one that
/// is there. Throws std::invalid_argument for a size mismatch and std::runtime_error naming the
/// file when it cannot be written (the partial file is removed).
void writeTiffStack(const std::string& path, std::span<const float> volume, int slices,
                    int height, int width, const std::string& description);

/// Reads a stack of equal single-sample 32-bit float pages. Throws std::runtime_error naming the
/// file and what is wrong (not TIFF, another sample format, pages of different sizes).
TiffStack readTiffStack(const std::string& path);

}  // namespace tomolive
