#include "Colormaps.h"

#include <vtkLookupTable.h>

#include <array>
#include <stdexcept>

namespace tomolive::ui {

namespace {

struct Rgb {
  double r, g, b;
};

// Nine samples of matplotlib's viridis; the table interpolates linearly between them.
constexpr std::array<Rgb, 9> kViridis = {{{0.267, 0.005, 0.329},
                                          {0.283, 0.141, 0.458},
                                          {0.254, 0.265, 0.530},
                                          {0.207, 0.372, 0.553},
                                          {0.164, 0.471, 0.558},
                                          {0.128, 0.567, 0.551},
                                          {0.135, 0.659, 0.518},
                                          {0.478, 0.821, 0.318},
                                          {0.993, 0.906, 0.144}}};
constexpr std::array<Rgb, 3> kDiverging = {
    {{0.230, 0.299, 0.754}, {0.950, 0.950, 0.950}, {0.706, 0.016, 0.150}}};

template <std::size_t N>
Rgb interpolate(const std::array<Rgb, N>& stops, double t) {
  const double x = t * double(N - 1);
  const std::size_t i = std::min<std::size_t>(N - 2, std::size_t(x));
  const double f = x - double(i);
  const Rgb& a = stops[i];
  const Rgb& b = stops[i + 1];
  return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

}  // namespace

QStringList colormapNames() { return {"grey", "inverted", "viridis"}; }

QString colormapName(Colormap map) {
  switch (map) {
    case Colormap::Grey:
      return "grey";
    case Colormap::Inverted:
      return "inverted";
    case Colormap::Viridis:
      return "viridis";
    case Colormap::Diverging:
      return "diverging";
  }
  return "grey";
}

Colormap colormapFromName(const QString& name) {
  if (name == "grey") return Colormap::Grey;
  if (name == "inverted") return Colormap::Inverted;
  if (name == "viridis") return Colormap::Viridis;
  throw std::invalid_argument("colormap '" + name.toStdString() +
                              "' is not one of grey, inverted, viridis");
}

void fillLookupTable(vtkLookupTable* table, Colormap map) {
  constexpr int kEntries = 256;
  table->SetNumberOfTableValues(kEntries);
  table->Build();  // then overwrite every entry: later Build() calls keep inserted values
  for (int i = 0; i < kEntries; ++i) {
    const double t = double(i) / (kEntries - 1);
    Rgb c{t, t, t};
    if (map == Colormap::Inverted) c = {1.0 - t, 1.0 - t, 1.0 - t};
    if (map == Colormap::Viridis) c = interpolate(kViridis, t);
    if (map == Colormap::Diverging) c = interpolate(kDiverging, t);
    table->SetTableValue(i, c.r, c.g, c.b, 1.0);
  }
  table->SetUseBelowRangeColor(false);
  table->SetUseAboveRangeColor(false);
  table->Modified();
}

}  // namespace tomolive::ui
