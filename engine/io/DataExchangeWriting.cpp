// The Data Exchange writers (io/DataExchange.h): scans (what `simulate` writes) and
// reconstructions (`/exchange/recon` and its siblings), each written whole to a temporary file
// renamed over the name once complete.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "io/DataExchange.h"
#include "io/Hdf5Handles.h"
#include "io/Hdf5Reading.h"
#include "io/Hdf5Writing.h"

namespace tomolive {
using namespace hdf5;
using namespace exchange_paths;

void validateScanToWrite(const ScanToWrite& scan, const std::string& path) {
  const std::string shape = std::to_string(scan.projections) + "x" + std::to_string(scan.rows) +
                            "x" + std::to_string(scan.columns);
  if (scan.projections <= 0 || scan.rows <= 0 || scan.columns <= 0) {
    fail(path, kData, "shape " + shape + " is not positive");
  }
  const std::size_t frame = static_cast<std::size_t>(scan.rows) * scan.columns;
  const std::size_t expected = frame * scan.projections;
  const bool u16 = !scan.dataU16.empty();
  if (u16 == !scan.dataF32.empty()) {
    fail(path, kData,
         u16 ? "both dataU16 and dataF32 hold values; exactly one must"
             : "neither dataU16 nor dataF32 holds values");
  }
  const std::size_t given = u16 ? scan.dataU16.size() : scan.dataF32.size();
  if (given != expected) {
    fail(path, kData,
         std::to_string(given) + " values given for shape " + shape + " (" +
             std::to_string(expected) + " expected)");
  }
  const auto checkFrameCount = [&](const std::vector<float>& frames, const char* name,
                                   bool required) {
    if (frames.size() % frame != 0 || (required && frames.empty())) {
      fail(path, name,
           std::to_string(frames.size()) + " values are not a " + (required ? "positive " : "") +
               "whole number of " + std::to_string(scan.rows) + "x" + std::to_string(scan.columns) +
               " frames");
    }
  };
  checkFrameCount(scan.flats, kWhite, true);
  checkFrameCount(scan.darks, kDark, false);
  if (scan.thetaDeg.size() != static_cast<std::size_t>(scan.projections)) {
    fail(path, kTheta,
         std::to_string(scan.thetaDeg.size()) + " angles given for " +
             std::to_string(scan.projections) + " projections");
  }
  for (std::size_t i = 0; i < scan.thetaDeg.size(); ++i) {
    if (!std::isfinite(scan.thetaDeg[i])) {
      fail(path, kTheta,
           "thetaDeg[" + std::to_string(i) + "] = " + number(scan.thetaDeg[i]) +
               " is not a finite angle");
    }
  }
  if (scan.pixelSizeMicrometres &&
      !(std::isfinite(*scan.pixelSizeMicrometres) && *scan.pixelSizeMicrometres > 0.0)) {
    fail(path, kPixelSize, number(*scan.pixelSizeMicrometres) + " um is not a positive length");
  }
  if (scan.groundTruth.empty()) return;
  const std::size_t n =
      scan.groundTruthSize > 0 ? static_cast<std::size_t>(scan.groundTruthSize) : 0;
  if (n == 0 || scan.groundTruth.size() != static_cast<std::size_t>(scan.rows) * n * n) {
    fail(path, kGroundTruth,
         std::to_string(scan.groundTruth.size()) + " values given for " +
             std::to_string(scan.rows) + " slices of " + std::to_string(scan.groundTruthSize) +
             "x" + std::to_string(scan.groundTruthSize));
  }
}

namespace {

hsize_t frameCount(const std::vector<float>& frames, const ScanToWrite& scan) {
  return frames.size() / (static_cast<std::size_t>(scan.rows) * scan.columns);
}

}  // namespace

void writeDataExchange(const std::string& path, const ScanToWrite& scan) {
  validateScanToWrite(scan, path);
  const Hdf5ErrorPrintingOff quiet;
  ReplacingWrite write(path);
  Hdf5File file = createFile(write.temporary(), path);
  const auto projections = static_cast<hsize_t>(scan.projections);
  const auto rows = static_cast<hsize_t>(scan.rows);
  const auto columns = static_cast<hsize_t>(scan.columns);
  const Storage floatFrames{H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, true};

  if (!scan.dataU16.empty()) {
    writeDataset(file.get(), path, kData, {projections, rows, columns},
                 {H5T_STD_U16LE, H5T_NATIVE_UINT16, true}, scan.dataU16.data());
  } else {
    writeDataset(file.get(), path, kData, {projections, rows, columns}, floatFrames,
                 scan.dataF32.data());
  }
  writeDataset(file.get(), path, kWhite, {frameCount(scan.flats, scan), rows, columns}, floatFrames,
               scan.flats.data());
  if (!scan.darks.empty()) {
    writeDataset(file.get(), path, kDark, {frameCount(scan.darks, scan), rows, columns},
                 floatFrames, scan.darks.data());
  }
  writeDataset(file.get(), path, kTheta, {projections}, {H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, false},
               scan.thetaDeg.data(), {{"units", std::string("degrees")}});
  if (!scan.groundTruth.empty()) {
    const auto n = static_cast<hsize_t>(scan.groundTruthSize);
    writeDataset(file.get(), path, kGroundTruth, {rows, n, n},
                 {H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, false}, scan.groundTruth.data());
  }
  if (scan.pixelSizeMicrometres) {
    writeDataset(file.get(), path, kPixelSize, {1}, {H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, false},
                 &*scan.pixelSizeMicrometres, {{"units", std::string("um")}});
  }
  {
    const Hdf5Object exchange = openObject(file.get(), path, kExchange);
    writeAttributes(exchange.get(), path, kExchange, scan.attributes);
  }
  closeWritten(file, path);
  write.commit();
}

void refuseToOverwriteNonHdf5(const std::string& path) {
  const Hdf5ErrorPrintingOff quiet;
  std::error_code error;
  if (std::filesystem::exists(path, error) && H5Fis_hdf5(path.c_str()) <= 0) {
    fail(path, "/", "exists and is not an HDF5 file; refusing to overwrite it");
  }
}

namespace {

void writeVolume(hid_t file, const std::string& path, const std::string& dataset,
                 const Reconstruction& recon) {
  if (dataset.size() < 2 || dataset.front() != '/') {
    fail(path, dataset, "dataset name must be an absolute path such as /exchange/recon");
  }
  const std::size_t expected = static_cast<std::size_t>(std::max(recon.slices, 0)) *
                               std::max(recon.size, 0) * std::max(recon.size, 0);
  if (recon.slices <= 0 || recon.size <= 0 || recon.volume.size() != expected) {
    fail(path, dataset,
         std::to_string(recon.volume.size()) + " values given for " + std::to_string(recon.slices) +
             " slices of " + std::to_string(recon.size) + "x" + std::to_string(recon.size));
  }
  const auto slices = static_cast<hsize_t>(recon.slices);
  const auto size = static_cast<hsize_t>(recon.size);
  writeDataset(file, path, dataset, {slices, size, size}, {H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, false},
               recon.volume.data(), recon.attributes);
}

}  // namespace

void writeReconstruction(const std::string& path, const Reconstruction& recon,
                         const std::string& dataset) {
  const Hdf5ErrorPrintingOff quiet;
  refuseToOverwriteNonHdf5(path);
  ReplacingWrite write(path);
  Hdf5File file;
  std::error_code error;
  if (std::filesystem::exists(path, error)) {
    std::filesystem::copy_file(path, write.temporary(),
                               std::filesystem::copy_options::overwrite_existing, error);
    if (error) fail(path, "/", "cannot copy to " + write.temporary() + ": " + error.message());
    file = Hdf5File(H5Fopen(write.temporary().c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    if (!file) fail(path, "/", withHdf5Detail("cannot open a copy for writing"));
    if (linkExists(file.get(), path, dataset) &&
        H5Ldelete(file.get(), dataset.c_str(), H5P_DEFAULT) < 0) {
      fail(path, dataset, withHdf5Detail("cannot replace the existing dataset"));
    }
  } else {
    file = createFile(write.temporary(), path);
  }
  writeVolume(file.get(), path, dataset, recon);
  closeWritten(file, path);
  write.commit();
}

struct ReconstructionFileWriter::Impl {
  std::string path;
  ReplacingWrite write;
  Hdf5File file;
  explicit Impl(std::string p) : path(p), write(std::move(p)) {}
};

ReconstructionFileWriter::ReconstructionFileWriter(std::string path) {
  const Hdf5ErrorPrintingOff quiet;
  refuseToOverwriteNonHdf5(path);
  m_impl = std::make_unique<Impl>(std::move(path));
  m_impl->file = createFile(m_impl->write.temporary(), m_impl->path);
}

ReconstructionFileWriter::~ReconstructionFileWriter() = default;

void ReconstructionFileWriter::add(const Reconstruction& recon, const std::string& dataset) {
  const Hdf5ErrorPrintingOff quiet;
  if (!m_impl->file) fail(m_impl->path, dataset, "the file is already complete");
  writeVolume(m_impl->file.get(), m_impl->path, dataset, recon);
}

void ReconstructionFileWriter::commit() {
  const Hdf5ErrorPrintingOff quiet;
  closeWritten(m_impl->file, m_impl->path);
  m_impl->write.commit();
}

void writeReconstructionFile(const std::string& path,
                             const std::vector<ReconstructionDataset>& datasets) {
  const Hdf5ErrorPrintingOff quiet;
  refuseToOverwriteNonHdf5(path);
  ReplacingWrite write(path);
  Hdf5File file = createFile(write.temporary(), path);
  for (const ReconstructionDataset& d : datasets) writeVolume(file.get(), path, d.name, d.recon);
  closeWritten(file, path);
  write.commit();
}

}  // namespace tomolive
