#include "io/Frame.h"

namespace tomolive {

const char* frameKindName(FrameKind kind) {
  switch (kind) {
    case FrameKind::Projection:
      return "projection";
    case FrameKind::Flat:
      return "flat";
    case FrameKind::Dark:
      return "dark";
  }
  return "unknown";
}

const char* pixelTypeName(PixelType type) {
  switch (type) {
    case PixelType::UInt8:
      return "uint8";
    case PixelType::UInt16:
      return "uint16";
    case PixelType::UInt32:
      return "uint32";
    case PixelType::Float32:
      return "float32";
    case PixelType::Float64:
      return "float64";
  }
  return "unknown";
}

int pixelTypeSize(PixelType type) {
  switch (type) {
    case PixelType::UInt8:
      return 1;
    case PixelType::UInt16:
      return 2;
    case PixelType::UInt32:
      return 4;
    case PixelType::Float32:
      return 4;
    case PixelType::Float64:
      return 8;
  }
  return 0;
}

}  // namespace tomolive
