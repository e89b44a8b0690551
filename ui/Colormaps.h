#pragma once
// Colour tables for the slice views: grey, inverted grey, a viridis-like perceptual map, and a
// diverging blue–white–red map for differences (centred on zero).
#include <QString>
#include <QStringList>

class vtkLookupTable;

namespace tomolive::ui {

enum class Colormap { Grey, Inverted, Viridis, Diverging };

/// The maps a user may pick (Diverging is reserved for difference mode), in menu order.
QStringList colormapNames();
QString colormapName(Colormap map);
/// Throws std::invalid_argument for a name not in colormapNames().
Colormap colormapFromName(const QString& name);

/// Fills `table` with 256 entries of `map`; its range is set by the view's window/level.
void fillLookupTable(vtkLookupTable* table, Colormap map);

}  // namespace tomolive::ui
