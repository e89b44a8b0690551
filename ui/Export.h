#pragma once
// Saving what the scientist sees: the before/after pair as one PNG, the reconstruction (and its
// enhancement, as far as it got) as HDF5.
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

}  // namespace tomolive::ui
