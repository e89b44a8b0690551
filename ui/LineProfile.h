#pragma once
// A line profile across a slice: the values along a segment drawn on an image, each the mean
// across a band of the segment's perpendicular width. Sampled bilinearly between pixel centres,
// about one sample per pixel of length. No widgets: testable without a display.
#include <vector>

#include "SliceImages.h"

namespace tomolive::ui {

/// A point of an image in pixels: column x, row y; (0, 0) is the centre of the top-left pixel.
struct ImagePoint {
  double x = 0.0, y = 0.0;
};

struct ProfileLine {
  ImagePoint start, end;
  double lengthPixels() const;
};

/// The value at `p`, interpolated bilinearly between the four nearest pixel centres; a point on
/// an image's outer half pixel takes the edge's value; NaN for a point off the image.
double bilinearValue(const FloatImage& image, ImagePoint p);

struct Profile {
  std::vector<double> distancesPixels;  ///< from the line's start
  std::vector<double> values;           ///< NaN where the whole band is off the image
};

/// ceil(length) + 1 samples evenly spaced from start to end, both included (one for a line of
/// length 0). Each is the mean of `widthPixels` (≥ 1) bilinear values 1 pixel apart across the
/// line and centred on it (width 1: the value on the line); values off the image or NaN are left
/// out.
Profile sampleProfile(const FloatImage& image, const ProfileLine& line, int widthPixels);

}  // namespace tomolive::ui
