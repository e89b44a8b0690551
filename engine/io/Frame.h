#pragma once
// One detector frame as it travels from a source to the recorder and the reconstructor.
// Frames carry their own kind and angle: nothing downstream assumes an order of angles, and
// flats/darks may arrive at any time (normally before the projections).
#include <cstdint>
#include <string>
#include <vector>

namespace tomolive {

enum class FrameKind { Projection, Flat, Dark };

/// "projection", "flat", "dark".
const char* frameKindName(FrameKind kind);

/// How the detector delivered the pixels; the recorder stores them in this type.
enum class PixelType { UInt8, UInt16, UInt32, Float32, Float64 };

/// "uint8", "uint16", "uint32", "float32", "float64".
const char* pixelTypeName(PixelType type);
/// Bytes per pixel of a type.
int pixelTypeSize(PixelType type);

struct Frame {
  FrameKind kind = FrameKind::Projection;
  std::int64_t number = 0;  ///< the detector's frame number within the scan (unique per scan)
  double angleRad = 0.0;    ///< rotation angle (projections; ignored for flats and darks)
  int rows = 0, columns = 0;
  PixelType type = PixelType::Float32;
  std::vector<float> pixels;  ///< raw counts, rows × columns, row-major
};

}  // namespace tomolive
