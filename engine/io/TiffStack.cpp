#include "io/TiffStack.h"

#include <tiffio.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace tomolive {

namespace {

// libtiff reports through process-wide handlers; the last error of this thread is kept for the
// exception (and nothing is printed).
thread_local std::string t_lastError;

void keepError(const char* module, const char* format, va_list arguments) {
  char text[512];
  std::vsnprintf(text, sizeof text, format, arguments);
  t_lastError = module ? std::string(module) + ": " + text : std::string(text);
}
void ignoreWarning(const char*, const char*, va_list) {}

struct Handlers {
  Handlers() {
    TIFFSetErrorHandler(keepError);
    TIFFSetWarningHandler(ignoreWarning);
  }
};

struct Close {
  void operator()(TIFF* t) const { TIFFClose(t); }
};
using TiffFile = std::unique_ptr<TIFF, Close>;

TiffFile open(const std::string& path, const char* mode) {
  static const Handlers handlers;
  t_lastError.clear();
  return TiffFile(TIFFOpen(path.c_str(), mode));
}

std::runtime_error failure(const std::string& path, const std::string& what) {
  return std::runtime_error(path + ": " + what + (t_lastError.empty() ? "" : " (" + t_lastError + ")"));
}

}  // namespace

void writeTiffStack(const std::string& path, std::span<const float> volume, int slices,
                    int height, int width, const std::string& description) {
  if (slices < 1 || height < 1 || width < 1 ||
      volume.size() != std::size_t(slices) * height * width)
    throw std::invalid_argument("TIFF stack " + path + ": " + std::to_string(volume.size()) +
                                " values for " + std::to_string(slices) + " × " +
                                std::to_string(height) + " × " + std::to_string(width));
  const bool big = volume.size_bytes() > (std::size_t(2) << 30);
  TiffFile tiff = open(path, big ? "w8" : "w");
  if (!tiff) throw failure(path, "cannot create the file");
  try {
    const int rowsPerStrip = std::max(1, (1 << 16) / (width * int(sizeof(float))));
    for (int s = 0; s < slices; ++s) {
      TIFF* t = tiff.get();
      TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
      TIFFSetField(t, TIFFTAG_IMAGEWIDTH, std::uint32_t(width));
      TIFFSetField(t, TIFFTAG_IMAGELENGTH, std::uint32_t(height));
      TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 32);
      TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_IEEEFP);
      TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
      TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
      TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
      TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
      TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, std::uint32_t(rowsPerStrip));
      TIFFSetField(t, TIFFTAG_PAGENUMBER, std::uint16_t(s), std::uint16_t(slices));
      if (s == 0 && !description.empty())
        TIFFSetField(t, TIFFTAG_IMAGEDESCRIPTION, description.c_str());
      const float* slice = volume.data() + std::size_t(s) * height * width;
      for (int r = 0; r < height; ++r)
        if (TIFFWriteScanline(t, const_cast<float*>(slice + std::size_t(r) * width),
                              std::uint32_t(r), 0) < 0)
          throw failure(path, "writing row " + std::to_string(r) + " of slice " +
                                  std::to_string(s) + " failed");
      if (!TIFFWriteDirectory(t))
        throw failure(path, "writing slice " + std::to_string(s) + " failed");
    }
    TIFF* t = tiff.release();
    TIFFFlush(t);
    TIFFClose(t);
    if (!t_lastError.empty()) throw failure(path, "closing the file failed");
  } catch (...) {
    tiff.reset();
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    throw;
  }
}

TiffStack readTiffStack(const std::string& path) {
  TiffFile tiff = open(path, "r");
  if (!tiff) throw failure(path, "not a readable TIFF file");
  TIFF* t = tiff.get();
  TiffStack out;
  do {
    std::uint32_t width = 0, height = 0;
    std::uint16_t bits = 0, format = SAMPLEFORMAT_UINT, samples = 1;
    TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &height);
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &format);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &samples);
    const std::string page = "page " + std::to_string(out.slices);
    if (bits != 32 || format != SAMPLEFORMAT_IEEEFP || samples != 1)
      throw failure(path, page + " is not one 32-bit float sample per pixel (" +
                              std::to_string(samples) + " × " + std::to_string(bits) +
                              " bits, sample format " + std::to_string(format) + ")");
    if (out.slices == 0) {
      out.width = int(width), out.height = int(height);
      if (char* text = nullptr; TIFFGetField(t, TIFFTAG_IMAGEDESCRIPTION, &text) && text)
        out.description = text;
    } else if (int(width) != out.width || int(height) != out.height) {
      throw failure(path, page + " is " + std::to_string(width) + " × " + std::to_string(height) +
                              ", page 0 " + std::to_string(out.width) + " × " +
                              std::to_string(out.height));
    }
    const std::size_t first = out.volume.size();
    out.volume.resize(first + std::size_t(width) * height);
    for (std::uint32_t r = 0; r < height; ++r)
      if (TIFFReadScanline(t, out.volume.data() + first + std::size_t(r) * width, r, 0) < 0)
        throw failure(path, page + ", row " + std::to_string(r) + " cannot be read");
    ++out.slices;
  } while (TIFFReadDirectory(t));
  return out;
}

}  // namespace tomolive
