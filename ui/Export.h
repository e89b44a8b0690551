#pragma once
// Saving what the scientist sees: the before/after pair as one PNG, the reconstruction (and its
// enhancement, as far as it got) as HDF5 or as 32-bit float TIFF stacks.
#include <QImage>
#include <QString>

namespace tomolive {
struct Snapshot;
}

namespace tomolive::ui {

/// The two images side by side, each under its title.
QImage sideBySide(const QImage& before, const QImage& after, const QString& beforeTitle,
                  const QString& afterTitle);

/// Writes /exchange/recon (the SIRT volume) and, when the snapshot has one,
/// /exchange/recon_enhanced with an `enhanced_slices` attribute; every metric of the update as
/// attributes. Throws DataExchangeError naming the file on failure.
void exportReconstruction(const Snapshot& snapshot, const QString& path, const QString& source);

/// "stack.tif" → "stack_enhanced.tif": where exportTiffStacks puts the enhanced volume.
QString enhancedTiffPath(const QString& path);

/// The SIRT volume as a 32-bit float TIFF stack at `path` (io/TiffStack.h) and, when the snapshot
/// has one, the enhanced volume at enhancedTiffPath(path); the update's parameters (as exported to
/// HDF5) as JSON in each file's description. Returns whether the enhanced stack was written.
/// Throws std::runtime_error naming the file on failure.
bool exportTiffStacks(const Snapshot& snapshot, const QString& path, const QString& source);

}  // namespace tomolive::ui
