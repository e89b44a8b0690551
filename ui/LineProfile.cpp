#include "LineProfile.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tomolive::ui {

double ProfileLine::lengthPixels() const { return std::hypot(end.x - start.x, end.y - start.y); }

double bilinearValue(const FloatImage& image, ImagePoint p) {
  const double right = image.width - 0.5, bottom = image.height - 0.5;
  if (image.empty() || !(p.x >= -0.5 && p.x <= right && p.y >= -0.5 && p.y <= bottom))
    return std::numeric_limits<double>::quiet_NaN();
  const double x = std::clamp(p.x, 0.0, image.width - 1.0);
  const double y = std::clamp(p.y, 0.0, image.height - 1.0);
  const int x0 = std::min(int(x), std::max(0, image.width - 2));
  const int y0 = std::min(int(y), std::max(0, image.height - 2));
  const int x1 = std::min(x0 + 1, image.width - 1), y1 = std::min(y0 + 1, image.height - 1);
  const double fx = x - x0, fy = y - y0;
  const auto at = [&image](int column, int row) {
    return double(image.pixels[std::size_t(row) * image.width + column]);
  };
  return (1.0 - fy) * ((1.0 - fx) * at(x0, y0) + fx * at(x1, y0)) +
         fy * ((1.0 - fx) * at(x0, y1) + fx * at(x1, y1));
}

Profile sampleProfile(const FloatImage& image, const ProfileLine& line, int widthPixels) {
  const double length = line.lengthPixels();
  const int samples = int(std::ceil(length)) + 1;
  const double dx = line.end.x - line.start.x, dy = line.end.y - line.start.y;
  // Unit normal to the line; any direction for a line of length 0 (all offsets are then equal
  // in distance from the point, and the band is a short perpendicular segment).
  const double nx = length > 0.0 ? -dy / length : 0.0, ny = length > 0.0 ? dx / length : 1.0;
  const int width = std::max(1, widthPixels);
  Profile profile;
  profile.distancesPixels.reserve(std::size_t(samples));
  profile.values.reserve(std::size_t(samples));
  for (int i = 0; i < samples; ++i) {
    const double t = samples > 1 ? double(i) / (samples - 1) : 0.0;
    const ImagePoint centre{line.start.x + t * dx, line.start.y + t * dy};
    double sum = 0.0;
    int inside = 0;
    for (int k = 0; k < width; ++k) {
      const double offset = k - 0.5 * (width - 1);
      const double v = bilinearValue(image, {centre.x + offset * nx, centre.y + offset * ny});
      if (std::isnan(v)) continue;
      sum += v;
      ++inside;
    }
    profile.distancesPixels.push_back(t * length);
    profile.values.push_back(inside > 0 ? sum / inside : std::numeric_limits<double>::quiet_NaN());
  }
  return profile;
}

}  // namespace tomolive::ui
