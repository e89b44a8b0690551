#pragma once
// Owning wrappers for HDF5 C identifiers, so every hid_t is closed exactly once, on every path.
//
// - Hdf5Handle<Close> owns one id and closes it with Close (H5Fclose, H5Dclose, ...) when it
//   goes out of scope; it is move-only. An invalid id (negative) owns nothing.
// - close() closes early and reports failure, for the one place where a failed close matters:
//   the file, whose close flushes what was written.
// - Hdf5ErrorPrintingOff silences HDF5's automatic error-stack printing for its lifetime (callers
//   check every return value and raise their own errors), restoring the previous handler.
// - hdf5ErrorDetail() gives the most specific message on the current HDF5 error stack.
#include <hdf5.h>

#include <filesystem>
#include <string>
#include <utility>

namespace tomolive {

template <herr_t (*Close)(hid_t)>
class Hdf5Handle {
 public:
  Hdf5Handle() = default;
  explicit Hdf5Handle(hid_t id) : id_(id) {}
  ~Hdf5Handle() { static_cast<void>(close()); }

  Hdf5Handle(Hdf5Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Hdf5Handle& operator=(Hdf5Handle&& other) noexcept {
    if (this != &other) {
      static_cast<void>(close());
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  explicit operator bool() const { return valid(); }

  /// Closes now; true when there was nothing to close or the close succeeded.
  [[nodiscard]] bool close() {
    if (id_ < 0) return true;
    const herr_t status = Close(std::exchange(id_, H5I_INVALID_HID));
    return status >= 0;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using Hdf5File = Hdf5Handle<H5Fclose>;
using Hdf5Group = Hdf5Handle<H5Gclose>;
using Hdf5Dataset = Hdf5Handle<H5Dclose>;
using Hdf5Dataspace = Hdf5Handle<H5Sclose>;
using Hdf5Datatype = Hdf5Handle<H5Tclose>;
using Hdf5Attribute = Hdf5Handle<H5Aclose>;
using Hdf5Object = Hdf5Handle<H5Oclose>;
using Hdf5PropertyList = Hdf5Handle<H5Pclose>;

class Hdf5ErrorPrintingOff {
 public:
  Hdf5ErrorPrintingOff() {
    if (H5Eget_auto2(H5E_DEFAULT, &previousFunc_, &previousData_) < 0) {
      previousFunc_ = nullptr;
      previousData_ = nullptr;
    }
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~Hdf5ErrorPrintingOff() { H5Eset_auto2(H5E_DEFAULT, previousFunc_, previousData_); }
  Hdf5ErrorPrintingOff(const Hdf5ErrorPrintingOff&) = delete;
  Hdf5ErrorPrintingOff& operator=(const Hdf5ErrorPrintingOff&) = delete;

 private:
  H5E_auto2_t previousFunc_ = nullptr;
  void* previousData_ = nullptr;
};

/// The innermost description on HDF5's error stack (e.g. "truncated file: eof = ..."), or "".
inline std::string hdf5ErrorDetail() {
  std::string detail;
  const auto takeFirst = [](unsigned, const H5E_error2_t* error, void* out) -> herr_t {
    auto& text = *static_cast<std::string*>(out);
    if (text.empty() && error->desc != nullptr) text = error->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, takeFirst, &detail);
  // A system call's failure comes with the whole call ("file write failed: time = …, filename =
  // …, errno = 27, error message = 'File too large', buf = …"): keep what failed and why.
  const std::string tag = "error message = '";
  if (const auto at = detail.find(tag); at != std::string::npos) {
    const auto end = detail.find('\'', at + tag.size());
    const auto what = detail.find_first_of(":,");
    detail = detail.substr(0, what) + ": " + detail.substr(at + tag.size(), end - at - tag.size());
  }
  return detail;
}

/// `problem` followed by HDF5's own explanation, if any. Call right after the failing HDF5 call:
/// any later HDF5 call clears the error stack.
inline std::string withHdf5Detail(std::string problem) {
  const std::string detail = hdf5ErrorDetail();
  if (!detail.empty()) problem += " (HDF5: " + detail + ")";
  return problem;
}

/// Opens an existing HDF5 file. On failure returns an invalid handle and says why in `problem`
/// (missing, not a regular file, no HDF5 signature, damaged or truncated), so that each caller
/// raises its own error type.
inline Hdf5File openExistingHdf5(const std::string& path, unsigned flags, std::string& problem) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    problem = "file does not exist";
    return Hdf5File();
  }
  if (!std::filesystem::is_regular_file(path, error)) {
    problem = "is not a regular file";
    return Hdf5File();
  }
  const htri_t isHdf5 = H5Fis_hdf5(path.c_str());
  if (isHdf5 <= 0) {
    problem = isHdf5 == 0 ? "not an HDF5 file (no HDF5 signature)"
                          : withHdf5Detail("cannot be read as an HDF5 file");
    return Hdf5File();
  }
  Hdf5File file(H5Fopen(path.c_str(), flags, H5P_DEFAULT));
  if (!file) {
    problem = withHdf5Detail("cannot open the HDF5 file: damaged or truncated");
    // What a recording whose writer was killed looks like: say how to get its frames back.
    // A writer stopped by a full disk may also leave it shorter than its superblock says.
    if (problem.find("already open for write") != std::string::npos ||
        problem.find("truncated file") != std::string::npos)
      problem +=
          "; if it is a recording interrupted before it was finalised, `tomolive-cli "
          "recover " +
          path + "` makes every flushed frame readable";
  }
  return file;
}

}  // namespace tomolive
