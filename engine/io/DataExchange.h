#pragma once
// HDF5 Data Exchange files: scans in (raw projections, flats, darks, angles), reconstructions out.
//
// Layout read and written (all arrays C order):
//   /exchange/data          projection × row × column   uint8/16/32, float32/64 raw counts
//   /exchange/data_white    flat × row × column         same types; at least one flat
//   /exchange/data_dark     dark × row × column         optional (absent: zero dark)
//   /exchange/theta         projection                  float32/64; degrees unless its `units`
//                                                       attribute says "rad", "radian(s)"; with
//                                                       none, radians when all lie within ±2π
//                                                       and differ (io/Hdf5Reading.h angleUnits)
//   /exchange/ground_truth  slice × N × N               optional float32/64, slice = detector row
//   /measurement/instrument/detector/pixel_size         optional, one float32/64 length:
//                                                       micrometres unless `units` says nm, mm,
//                                                       cm or m
// Every failure is a DataExchangeError whose message reads "<file>: <dataset>: <problem>" and
// names the offending value. Nothing is printed to stderr. Writers go through "<file>.tmp" and
// rename it, so a failed write never leaves a half-written file behind.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace tomolive {

/// The datasets of the layout above (DataExchange.cpp reads them, DataExchangeWriting.cpp writes).
namespace exchange_paths {
inline constexpr const char* kExchange = "/exchange";
inline constexpr const char* kData = "/exchange/data";
inline constexpr const char* kWhite = "/exchange/data_white";
inline constexpr const char* kDark = "/exchange/data_dark";
inline constexpr const char* kTheta = "/exchange/theta";
inline constexpr const char* kGroundTruth = "/exchange/ground_truth";
inline constexpr const char* kPixelSize = "/measurement/instrument/detector/pixel_size";
}  // namespace exchange_paths

struct DataExchangeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Detector rows [begin, end); end = -1 means through the last row.
struct RowRange {
  int begin = 0;
  int end = -1;
};

/// One attribute value as stored: a string, a scalar (float or integer) or a 1-D float array.
using Attribute = std::variant<std::string, double, std::int64_t, std::vector<double>>;

struct DatasetInfo {
  std::string name;                 ///< full path, e.g. "/exchange/data"
  std::vector<std::int64_t> shape;  ///< empty for a scalar
  std::string type;                 ///< "uint16", "float32", "int8", "string", "compound", ...
};

/// What a scan file holds and whether it can be read (Data Exchange or, from
/// inspectNxTomo, NeXus NXtomo: then projections, flats and darks count the frames of each key).
struct DataExchangeInfo {
  std::string path;
  /// or "NXtomo", or "neither Data Exchange nor NXtomo" (no /exchange group, no NeXus entry)
  std::string format = "Data Exchange";
  std::string entry;                     ///< the NXtomo entry's path; empty for Data Exchange
  int invalidFrames = 0;                 ///< NXtomo frames with image_key 3, skipped
  int alignmentFrames = 0;               ///< NXtomo frames with image_key -1, skipped
  /// What else the file holds that is not read (a NeXus entry beside /exchange); "" if nothing.
  std::string formatNote;
  std::vector<DatasetInfo> datasets;     ///< every dataset in the file, in name order
  int projections = 0, rows = 0, columns = 0, flats = 0, darks = 0;
  double thetaMinDeg = 0.0, thetaMaxDeg = 0.0;
  bool thetaInRadians = false;
  bool thetaUnitsStated = true;  ///< false: no units attribute; the unit inferred from the values
  /// What is odd about the angles (io/ScanFile.h angleNote); "" if nothing.
  std::string angleNote;
  bool hasGroundTruth = false;
  /// Set by inspectScan (io/ScanFile.h) for a usable scan: the rotation centre the file states
  /// (RawScan::statedCentre), which `recon` and a replay use unless one is given, and the pixel.
  std::optional<double> statedCentre, pixelSizeMicrometres;
  std::int64_t nonFiniteData = 0;     ///< NaN/Inf values in data, flats and darks (repairable)
  std::vector<std::string> problems;  ///< why the file cannot be read; empty when usable

  bool usable() const { return problems.empty(); }
};

/// Never throws for content problems (they go to `problems`); throws DataExchangeError only
/// when the file cannot be opened at all (missing, not HDF5, truncated).
DataExchangeInfo inspectDataExchange(const std::string& path);

/// A scan as read, for a selection of detector rows, converted to float32.
struct RawScan {
  int projections = 0, rows = 0, columns = 0;
  int firstRow = 0;                ///< detector row of local row 0
  std::string dataType;            ///< stored type of the projections: "uint16", "float32", ...
  std::vector<float> data;         ///< [projection][row][column] raw counts
  std::vector<float> flats;        ///< [flat][row][column]
  std::vector<float> darks;        ///< [dark][row][column]; empty means zero dark
  std::vector<double> thetaRad;    ///< one per projection, in file order
  bool thetaInRadians = false;     ///< how the file's angles were read (as DataExchangeInfo)
  bool thetaUnitsStated = true;    ///< false: no units attribute; the unit inferred
  std::vector<float> groundTruth;  ///< [slice][row][column] for the selected rows, or empty
  int groundTruthSize = 0;         ///< N of the N × N ground-truth slices
  std::optional<double> pixelSizeMicrometres;   ///< the detector pixel, when the file says
  std::map<std::string, Attribute> attributes;  ///< attributes of /exchange
  /// File indices of projections left out by readScan (io/ScanFile.h) because every pixel read
  /// was zero (never written: an aborted scan); `projections` counts only those kept.
  std::vector<int> emptyProjections;
  std::string formatNote;  ///< as DataExchangeInfo::formatNote (set by readScan)
  std::string angleNote;   ///< as DataExchangeInfo::angleNote (set by readScan)

  int flatCount() const;
  /// The rotation centre the file states (/exchange's rotation_center, a detector column), if any:
  /// a number, a numeric string or a one-element array. Throws std::invalid_argument for anything
  /// else (readScan has checked it, naming the file).
  std::optional<double> statedCentre() const;
  int darkCount() const;
};

/// Reads only the selected rows (hyperslabs) after validating the whole layout; without
/// `projections`, everything but the projections (`data` stays empty).
RawScan readDataExchange(const std::string& path, RowRange rows = {}, bool projections = true);

/// Projection `index` (file order), all rows, from the file kept open by the function returned:
/// a replay holds one frame, not the scan. Throws DataExchangeError as readDataExchange does.
std::function<std::vector<float>(int index)> dataExchangeProjections(const std::string& path);

/// A scan to store; the projections keep their storage type: exactly one of dataU16/dataF32.
struct ScanToWrite {
  int projections = 0, rows = 0, columns = 0;
  std::vector<std::uint16_t> dataU16;
  std::vector<float> dataF32;
  std::vector<float> flats;  ///< [flat][row][column], at least one flat
  std::vector<float> darks;  ///< may be empty: no /exchange/data_dark is written
  std::vector<double> thetaDeg;
  std::vector<float> groundTruth;  ///< [slice = row][N][N] or empty
  int groundTruthSize = 0;
  std::optional<double> pixelSizeMicrometres;   ///< written with units "um" when set
  std::map<std::string, Attribute> attributes;  ///< written on /exchange
};

/// Throws DataExchangeError naming what is inconsistent in `scan` (shapes, counts, angles, pixel
/// size, ground truth; fields named by their Data Exchange datasets).
void validateScanToWrite(const ScanToWrite& scan, const std::string& path);

/// Writes (replacing) a Data Exchange file: data chunked per projection and compressed, theta
/// in degrees with units = "degrees".
void writeDataExchange(const std::string& path, const ScanToWrite& scan);

/// A reconstructed volume, [slice][row][column], slices × size × size, with its parameters.
struct Reconstruction {
  std::vector<float> volume;
  int slices = 0, size = 0;
  std::map<std::string, Attribute> attributes;  ///< stored on the dataset
};

/// Writes the volume as float32 with every attribute on the dataset. An existing HDF5 file keeps
/// its other content (a dataset of the same name is replaced); a non-HDF5 file there is an error.
void writeReconstruction(const std::string& path, const Reconstruction& recon,
                         const std::string& dataset = "/exchange/recon");

/// One volume of a reconstruction file and the dataset it is written to.
struct ReconstructionDataset {
  std::string name;  ///< absolute, e.g. "/exchange/recon"
  const Reconstruction& recon;
};

/// Throws DataExchangeError when something that is not an HDF5 file exists at `path`: every
/// writer here refuses to overwrite it (it is not ours).
void refuseToOverwriteNonHdf5(const std::string& path);

/// A new reconstruction file written volume by volume as a run produces them (the images of a
/// comparison, training pairs): each volume is stored as writeReconstruction stores it, in a
/// temporary file beside `path` that replaces `path` only at commit(). A run that fails before
/// leaves `path` as it was (and no temporary). A non-HDF5 file at `path` is refused up front.
class ReconstructionFileWriter {
 public:
  explicit ReconstructionFileWriter(std::string path);
  ~ReconstructionFileWriter();
  ReconstructionFileWriter(const ReconstructionFileWriter&) = delete;
  ReconstructionFileWriter& operator=(const ReconstructionFileWriter&) = delete;
  void add(const Reconstruction& recon, const std::string& dataset);
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// Writes a new file holding just these volumes, each stored as writeReconstruction stores it,
/// replacing any HDF5 file at `path` without copying anything of it (a non-HDF5 file there is an
/// error).
void writeReconstructionFile(const std::string& path,
                             const std::vector<ReconstructionDataset>& datasets);

Reconstruction readReconstruction(const std::string& path,
                                  const std::string& dataset = "/exchange/recon");
/// As readReconstruction, or nothing where the file has no such dataset (a dataset there that
/// is not a volume is still an error).
std::optional<Reconstruction> readReconstructionIfPresent(const std::string& path,
                                                          const std::string& dataset);

}  // namespace tomolive
