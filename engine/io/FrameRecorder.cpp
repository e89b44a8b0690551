#include "io/FrameRecorder.h"

#include "io/Hdf5Attributes.h"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <vector>

#include "io/Hdf5Handles.h"

namespace tomolive {
namespace {

// Chunks are written directly in the file's byte order (H5Dwrite_chunk), which is little-endian.
static_assert(std::endian::native == std::endian::little, "the recorder writes little-endian");

constexpr const char* kExchange = "/exchange";
constexpr const char* kTheta = "/exchange/theta";
constexpr const char* kRecorder = "/recorder";
constexpr const char* kFlushed = "/recorder/flushed_frames";
constexpr const char* kRecoveredNote =
    "recovered after the recorder stopped without finalizing; frames appended after its last "
    "flush are not kept";
// Angles and frame numbers are appended in batches at each flush, in chunks of this many.
constexpr hsize_t kValuesPerChunk = 1024;
constexpr std::size_t kKinds = 3;

struct KindLayout {
  const char* pixels;
  const char* numbers;
  const char* countAttribute;
};
// Indexed by FrameKind (Projection, Flat, Dark).
constexpr std::array<KindLayout, kKinds> kLayout{{
    {"/exchange/data", "/exchange/frame_number", "frames_projection"},
    {"/exchange/data_white", "/exchange/flat_frame_number", "frames_flat"},
    {"/exchange/data_dark", "/exchange/dark_frame_number", "frames_dark"},
}};

std::size_t indexOf(FrameKind kind) { return static_cast<std::size_t>(kind); }

[[noreturn]] void fail(const std::string& file, const std::string& dataset,
                       const std::string& problem) {
  throw DataExchangeError(file + ": " + dataset + ": " + problem);
}

hid_t fileTypeOf(PixelType type) {
  switch (type) {
    case PixelType::UInt8:
      return H5T_STD_U8LE;
    case PixelType::UInt16:
      return H5T_STD_U16LE;
    case PixelType::UInt32:
      return H5T_STD_U32LE;
    case PixelType::Float32:
      return H5T_IEEE_F32LE;
    case PixelType::Float64:
      return H5T_IEEE_F64LE;
  }
  return H5I_INVALID_HID;
}

std::string frameText(const Frame& frame) {
  return std::to_string(frame.rows) + "x" + std::to_string(frame.columns) + " " +
         pixelTypeName(frame.type);
}

void setAttributes(hid_t file, const std::string& path,
                   const std::map<std::string, Attribute>& attributes) {
  Hdf5Group exchange(H5Gopen2(file, kExchange, H5P_DEFAULT));
  if (!exchange) fail(path, kExchange, withHdf5Detail("cannot open the group"));
  for (const auto& [key, value] : attributes)
    writeHdf5Attribute(exchange.get(), path, kExchange, key, value);
}

std::map<std::string, Attribute> countAttributes(const std::array<std::int64_t, kKinds>& counts) {
  std::map<std::string, Attribute> attributes;
  for (std::size_t k = 0; k < kKinds; ++k) attributes[kLayout[k].countAttribute] = counts[k];
  return attributes;
}

Hdf5Group createGroup(hid_t file, const std::string& path, const char* name) {
  Hdf5Group group(H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!group) fail(path, name, withHdf5Detail("cannot create the group"));
  return group;
}

// An extendible dataset along axis 0, one chunk per `chunk`; chunk caching off, so every write
// reaches the file at once and only metadata waits for the next flush.
Hdf5Dataset createExtendible(hid_t file, const std::string& path, const char* name, hid_t type,
                             std::vector<hsize_t> chunk) {
  std::vector<hsize_t> dims = chunk, maxDims = chunk;
  dims[0] = 0;
  maxDims[0] = H5S_UNLIMITED;
  Hdf5Dataspace space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxDims.data()));
  Hdf5PropertyList create(H5Pcreate(H5P_DATASET_CREATE));
  Hdf5PropertyList access(H5Pcreate(H5P_DATASET_ACCESS));
  if (!space || !create || !access ||
      H5Pset_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data()) < 0 ||
      H5Pset_chunk_cache(access.get(), 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT) < 0) {
    fail(path, name, withHdf5Detail("cannot make the dataset properties"));
  }
  Hdf5Dataset dataset(
      H5Dcreate2(file, name, type, space.get(), H5P_DEFAULT, create.get(), access.get()));
  if (!dataset) fail(path, name, withHdf5Detail("cannot create the dataset"));
  return dataset;
}

Hdf5Dataset openDataset(hid_t file, const std::string& path, const char* name) {
  Hdf5Dataset dataset(H5Dopen2(file, name, H5P_DEFAULT));
  if (!dataset) fail(path, name, withHdf5Detail("cannot open the dataset"));
  return dataset;
}

std::vector<hsize_t> extentOf(hid_t dataset, const std::string& path, const char* name) {
  Hdf5Dataspace space(H5Dget_space(dataset));
  const int rank = space ? H5Sget_simple_extent_ndims(space.get()) : -1;
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank < 1 || H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) {
    fail(path, name, withHdf5Detail("cannot read the shape"));
  }
  return dims;
}

// Appends values[0, count) at index `at` of a 1-D extendible dataset.
void appendValues(hid_t dataset, const std::string& path, const char* name, hid_t memoryType,
                  hsize_t at, hsize_t count, const void* values) {
  if (count == 0) return;
  const hsize_t extent = at + count;
  if (H5Dset_extent(dataset, &extent) < 0) {
    fail(path, name, withHdf5Detail("cannot extend to " + std::to_string(extent) + " values"));
  }
  Hdf5Dataspace fileSpace(H5Dget_space(dataset));
  Hdf5Dataspace memorySpace(H5Screate_simple(1, &count, nullptr));
  if (!fileSpace || !memorySpace ||
      H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, &at, nullptr, &count, nullptr) < 0 ||
      H5Dwrite(dataset, memoryType, memorySpace.get(), fileSpace.get(), H5P_DEFAULT, values) < 0) {
    fail(path, name,
         withHdf5Detail("cannot write " + std::to_string(count) + " values at " +
                        std::to_string(at)));
  }
}

// Converts float counts to T, refusing any value T cannot hold exactly (a source's bug would
// otherwise be stored silently clamped or rounded).
template <typename T>
void convertCounts(const Frame& frame, PixelType storage, std::vector<unsigned char>& bytes,
                   const std::string& path, const char* dataset) {
  bytes.resize(frame.pixels.size() * sizeof(T));
  auto* out = reinterpret_cast<T*>(bytes.data());
  if constexpr (std::is_floating_point_v<T>) {
    for (std::size_t i = 0; i < frame.pixels.size(); ++i) out[i] = static_cast<T>(frame.pixels[i]);
    return;
  } else {
    constexpr auto kMax = static_cast<float>(std::numeric_limits<T>::max());
    bool exact = true;
    for (std::size_t i = 0; i < frame.pixels.size(); ++i) {
      const float v = frame.pixels[i];
      const bool inRange = v >= 0.0f && v <= kMax;
      out[i] = static_cast<T>(inRange ? v : 0.0f);
      exact = exact && inRange && static_cast<float>(out[i]) == v;
    }
    if (exact) return;
    for (std::size_t i = 0; i < frame.pixels.size(); ++i) {
      const float v = frame.pixels[i];
      if (v >= 0.0f && v <= kMax && static_cast<float>(out[i]) == v) continue;
      throw std::invalid_argument(path + ": " + dataset + ": frame " +
                                  std::to_string(frame.number) + " (" + frameKindName(frame.kind) +
                                  "): pixel " + std::to_string(i) + " = " + std::to_string(v) +
                                  " is not a " + pixelTypeName(storage) +
                                  " count (the recording's type, set by its first frame)");
    }
  }
}

}  // namespace

struct FrameRecorder::State {
  struct Stream {
    Hdf5Dataset pixels, numbers;
    PixelType type = PixelType::Float32;  // how its pixels are stored
    std::int64_t count = 0;    // frames appended
    std::int64_t flushed = 0;  // frames made durable by the last flush
    std::vector<std::int64_t> pendingNumbers;
  };

  std::string path;
  RecorderOptions options;
  Hdf5File file;
  bool finalized = false;
  bool started = false;  // datasets created, SWMR writing on
  Frame first;           // shape, type and number of the first frame (no pixels)
  std::array<Stream, kKinds> streams;
  Hdf5Dataset theta, flushedFrames;
  std::vector<double> pendingThetaDeg;
  int sinceFlush = 0;
  std::chrono::steady_clock::time_point lastFlush = std::chrono::steady_clock::now();
  std::vector<unsigned char> chunk;  // the frame in storage type, reused

  void start(const Frame& frame);
  void check(const Frame& frame, const char* dataset) const;
  // The pixel type of a kind's dataset: the first frame's, but for the projections the type the
  // source states; frames of another type are converted to it when every value fits exactly
  // (e.g. uint16 flats of a float32 detector).
  PixelType initialType(std::size_t kind, const Frame& frame) const {
    return kind == 0 && options.projectionType ? *options.projectionType : frame.type;
  }
  PixelType storageType(const Frame& frame) const {
    const std::size_t kind = indexOf(frame.kind);
    return started ? streams[kind].type : initialType(kind, frame);
  }
  const void* storageBytes(const Frame& frame, const char* dataset);
  void flush();
  std::array<std::int64_t, kKinds> counts() const {
    return {streams[0].count, streams[1].count, streams[2].count};
  }
};

void FrameRecorder::State::start(const Frame& frame) {
  const auto rows = static_cast<hsize_t>(frame.rows);
  const auto columns = static_cast<hsize_t>(frame.columns);
  for (std::size_t k = 0; k < kKinds; ++k) {
    streams[k].type = initialType(k, frame);
    streams[k].pixels = createExtendible(file.get(), path, kLayout[k].pixels,
                                         fileTypeOf(streams[k].type), {1, rows, columns});
    streams[k].numbers =
        createExtendible(file.get(), path, kLayout[k].numbers, H5T_STD_I64LE, {kValuesPerChunk});
  }
  theta = createExtendible(file.get(), path, kTheta, H5T_IEEE_F64LE, {kValuesPerChunk});
  writeHdf5Attribute(theta.get(), path, kTheta, "units", std::string("degrees"));

  const hsize_t kinds = kKinds;
  Hdf5Dataspace space(H5Screate_simple(1, &kinds, nullptr));
  Hdf5PropertyList create(H5Pcreate(H5P_DATASET_CREATE));
  Hdf5PropertyList access(H5Pcreate(H5P_DATASET_ACCESS));
  // Chunked and uncached so that each write of the counts goes straight to the file.
  if (!space || !create || !access || H5Pset_chunk(create.get(), 1, &kinds) < 0 ||
      H5Pset_alloc_time(create.get(), H5D_ALLOC_TIME_EARLY) < 0 ||
      H5Pset_chunk_cache(access.get(), 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT) < 0) {
    fail(path, kFlushed, withHdf5Detail("cannot make the dataset properties"));
  }
  flushedFrames = Hdf5Dataset(H5Dcreate2(file.get(), kFlushed, H5T_STD_I64LE, space.get(),
                                         H5P_DEFAULT, create.get(), access.get()));
  if (!flushedFrames) fail(path, kFlushed, withHdf5Detail("cannot create the dataset"));
  writeHdf5Attribute(flushedFrames.get(), path, kFlushed, "order",
                     std::string("projection, flat, dark"));

  if (H5Fstart_swmr_write(file.get()) < 0)
    fail(path, "/", withHdf5Detail("cannot start SWMR writing"));
  first = Frame{frame.kind, frame.number, 0.0, frame.rows, frame.columns, frame.type, {}};
  started = true;
}

void FrameRecorder::State::check(const Frame& frame, const char* dataset) const {
  const auto prefix = [&] {
    return path + ": " + dataset + ": frame " + std::to_string(frame.number) + " (" +
           frameKindName(frame.kind) + ") ";
  };
  if (frame.rows <= 0 || frame.columns <= 0 ||
      frame.pixels.size() != static_cast<std::size_t>(frame.rows) * frame.columns) {
    throw std::invalid_argument(prefix() + "has " + std::to_string(frame.pixels.size()) +
                                " pixels for a shape of " + frameText(frame));
  }
  if (frame.kind == FrameKind::Projection && !std::isfinite(frame.angleRad)) {
    throw std::invalid_argument(prefix() + "has the angle " + std::to_string(frame.angleRad) +
                                " rad, which is not finite");
  }
  if (!started) {
    const std::uint64_t bytes = frame.pixels.size() * pixelTypeSize(frame.type);
    if (bytes >= (std::uint64_t{1} << 32)) {
      throw std::invalid_argument(prefix() + "of " + frameText(frame) +
                                  " exceeds HDF5's 4 GiB limit on one chunk");
    }
    return;
  }
  if (frame.rows != first.rows || frame.columns != first.columns) {
    throw std::invalid_argument(prefix() + "is " + frameText(frame) + ", expected " +
                                frameText(first) + " like the first frame (frame " +
                                std::to_string(first.number) + ")");
  }
}

const void* FrameRecorder::State::storageBytes(const Frame& frame, const char* dataset) {
  const PixelType storage = storageType(frame);
  switch (storage) {
    case PixelType::UInt8:
      convertCounts<std::uint8_t>(frame, storage, chunk, path, dataset);
      break;
    case PixelType::UInt16:
      convertCounts<std::uint16_t>(frame, storage, chunk, path, dataset);
      break;
    case PixelType::UInt32:
      convertCounts<std::uint32_t>(frame, storage, chunk, path, dataset);
      break;
    case PixelType::Float32:
      return frame.pixels.data();
    case PixelType::Float64:
      convertCounts<double>(frame, storage, chunk, path, dataset);
      break;
  }
  return chunk.data();
}

void FrameRecorder::State::flush() {
  for (std::size_t k = 0; k < kKinds; ++k) {
    Stream& stream = streams[k];
    appendValues(stream.numbers.get(), path, kLayout[k].numbers, H5T_NATIVE_INT64,
                 static_cast<hsize_t>(stream.flushed), stream.pendingNumbers.size(),
                 stream.pendingNumbers.data());
  }
  appendValues(theta.get(), path, kTheta, H5T_NATIVE_DOUBLE,
               static_cast<hsize_t>(streams[0].flushed), pendingThetaDeg.size(),
               pendingThetaDeg.data());
  if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) {
    fail(path, "/", withHdf5Detail("flushing the recording failed"));
  }
  // Written only once everything they count is on disk: after a crash they say what is whole.
  const std::array<std::int64_t, kKinds> durable = counts();
  if (H5Dwrite(flushedFrames.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT,
               durable.data()) < 0 ||
      H5Dflush(flushedFrames.get()) < 0) {
    fail(path, kFlushed, withHdf5Detail("cannot record the flushed frame counts"));
  }
  for (Stream& stream : streams) {
    stream.flushed = stream.count;
    stream.pendingNumbers.clear();
  }
  pendingThetaDeg.clear();
  sinceFlush = 0;
  lastFlush = std::chrono::steady_clock::now();
}

FrameRecorder::FrameRecorder(const std::string& path, std::map<std::string, Attribute> attributes,
                             RecorderOptions options)
    : state_(std::make_unique<State>()) {
  state_->path = path;
  state_->options = options;
  if (options.flushEveryFrames < 1 || !(options.flushEverySeconds > 0.0)) {
    throw std::invalid_argument(path + ": /: flush policy of every " +
                                std::to_string(options.flushEveryFrames) + " frames or " +
                                std::to_string(options.flushEverySeconds) + " s is not positive");
  }
  const Hdf5ErrorPrintingOff quiet;
  std::error_code error;
  if (!options.overwrite && std::filesystem::exists(path, error)) {
    fail(path, "/",
         "already exists; refusing to overwrite a previous recording (choose another path or "
         "allow overwriting)");
  }
  // The latest format is what SWMR writing requires (check-summed metadata, append-friendly
  // chunk indexes).
  Hdf5PropertyList access(H5Pcreate(H5P_FILE_ACCESS));
  if (!access || H5Pset_libver_bounds(access.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0) {
    fail(path, "/", withHdf5Detail("cannot make the file access properties"));
  }
  // EXCL keeps the refusal race-free when the file appears after the check above.
  state_->file = Hdf5File(H5Fcreate(path.c_str(), options.overwrite ? H5F_ACC_TRUNC : H5F_ACC_EXCL,
                                    H5P_DEFAULT, access.get()));
  if (!state_->file) fail(path, "/", withHdf5Detail("cannot create the recording"));
  try {
    createGroup(state_->file.get(), path, kExchange);
    createGroup(state_->file.get(), path, kRecorder);
    setAttributes(state_->file.get(), path, attributes);
  } catch (...) {
    state_->file = Hdf5File();
    std::filesystem::remove(path, error);  // ours and empty: leave no half-made recording
    throw;
  }
}

FrameRecorder::~FrameRecorder() {
  if (!state_) return;
  const Hdf5ErrorPrintingOff quiet;  // closing after a failed finalize fails too, quietly
  try {
    finalize();
  } catch (...) {  // a destructor must not throw; what was flushed stays recoverable
  }
  state_.reset();
}

FrameRecorder::FrameRecorder(FrameRecorder&&) noexcept = default;

void FrameRecorder::append(const Frame& frame) {
  State& s = *state_;
  const std::size_t kind = indexOf(frame.kind);
  const char* dataset = kLayout[kind].pixels;
  if (s.finalized) fail(s.path, dataset, "append after the recording was finalized");
  s.check(frame, dataset);
  const void* bytes = s.storageBytes(frame, dataset);

  const Hdf5ErrorPrintingOff quiet;
  if (!s.started) s.start(frame);
  State::Stream& stream = s.streams[kind];
  const std::array<hsize_t, 3> extent{static_cast<hsize_t>(stream.count) + 1,
                                      static_cast<hsize_t>(frame.rows),
                                      static_cast<hsize_t>(frame.columns)};
  const std::array<hsize_t, 3> offset{static_cast<hsize_t>(stream.count), 0, 0};
  const std::size_t size =
      frame.pixels.size() * static_cast<std::size_t>(pixelTypeSize(s.storageType(frame)));
  if (H5Dset_extent(stream.pixels.get(), extent.data()) < 0 ||
      H5Dwrite_chunk(stream.pixels.get(), H5P_DEFAULT, 0, offset.data(), size, bytes) < 0) {
    fail(s.path, dataset,
         withHdf5Detail("cannot append frame " + std::to_string(frame.number) + " as frame " +
                        std::to_string(stream.count)));
  }
  ++stream.count;
  stream.pendingNumbers.push_back(frame.number);
  if (frame.kind == FrameKind::Projection) {
    s.pendingThetaDeg.push_back(frame.angleRad * 180.0 / std::numbers::pi);
  }
  ++s.sinceFlush;
  const std::chrono::duration<double> sinceFlush = std::chrono::steady_clock::now() - s.lastFlush;
  if (s.sinceFlush >= s.options.flushEveryFrames ||
      sinceFlush.count() >= s.options.flushEverySeconds) {
    s.flush();
  }
}

void FrameRecorder::flush() {
  State& s = *state_;
  if (s.finalized || s.sinceFlush == 0) return;
  const Hdf5ErrorPrintingOff quiet;
  s.flush();
}

void FrameRecorder::finalize(std::map<std::string, Attribute> finalAttributes) {
  State& s = *state_;
  if (s.finalized) return;
  s.finalized = true;  // a failure below leaves a file that recoverRecording() completes
  const Hdf5ErrorPrintingOff quiet;
  if (s.sinceFlush > 0) s.flush();
  std::map<std::string, Attribute> attributes = countAttributes(s.counts());
  attributes.merge(finalAttributes);  // keeps the recorder's counts over any the caller gives
  for (State::Stream& stream : s.streams) {
    stream.pixels = Hdf5Dataset();
    stream.numbers = Hdf5Dataset();
  }
  s.theta = Hdf5Dataset();
  s.flushedFrames = Hdf5Dataset();
  // SWMR writing forbids adding attributes, so they go in after a clean close.
  if (!s.file.close()) fail(s.path, "/", withHdf5Detail("closing (flushing) the recording failed"));
  Hdf5File file(H5Fopen(s.path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
  if (!file) fail(s.path, "/", withHdf5Detail("cannot reopen the recording to finalize it"));
  setAttributes(file.get(), s.path, attributes);
  if (!file.close()) fail(s.path, "/", withHdf5Detail("closing (flushing) the recording failed"));
}

std::int64_t FrameRecorder::frames(FrameKind kind) const {
  return state_->streams[indexOf(kind)].count;
}

std::int64_t FrameRecorder::flushedFrames(FrameKind kind) const {
  return state_->streams[indexOf(kind)].flushed;
}

const std::string& FrameRecorder::path() const { return state_->path; }

void skipHdf5CleanupAtExit() { H5dont_atexit(); }

namespace {

// Whether the file holds a /recorder group, looked at read-only past an "open for writing" mark
// and a short end (as an SWMR reader may); nothing when even that cannot open it.
std::optional<bool> holdsRecorder(const std::string& path) {
  Hdf5PropertyList look(H5Pcreate(H5P_FILE_ACCESS));
  hbool_t skip = true;
  if (!look || H5Pset(look.get(), "skip_eof_check", &skip) < 0) return std::nullopt;
  const Hdf5File peek(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, look.get()));
  if (!peek) return std::nullopt;
  return H5Lexists(peek.get(), kRecorder, H5P_DEFAULT) > 0;
}

}  // namespace

bool isUnfinishedRecording(const std::string& path) {
  const Hdf5ErrorPrintingOff quiet;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error) || H5Fis_hdf5(path.c_str()) <= 0) return false;
  const Hdf5File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  // Still marked "open for writing" by a writer that never closed it (or cut short): a recording
  // only when it holds the recorder's group.
  if (!file) return holdsRecorder(path).value_or(false);
  if (H5Lexists(file.get(), kFlushed, H5P_DEFAULT) <= 0) return false;  // not a recording
  const Hdf5Group exchange(H5Gopen2(file.get(), kExchange, H5P_DEFAULT));
  return exchange && H5Aexists(exchange.get(), kLayout[0].countAttribute) == 0;
}

namespace {

// How many of the first `count` frames of `name` (frame × row × column) can be read back, and of
// those how many come before a tail of frames holding nothing but zeros when `zerosAreLost` (a
// file cut short after its last flush reads back the lost chunks as zeros, or not at all).
std::int64_t readableFrames(hid_t file, const std::string& path, const char* name,
                            std::int64_t count, bool zerosAreLost) {
  if (count <= 0) return 0;
  const Hdf5Dataset dataset = openDataset(file, path, name);
  const std::vector<hsize_t> dims = extentOf(dataset.get(), path, name);
  if (dims.size() != 3) return count;
  const hsize_t frame[3] = {1, dims[1], dims[2]};
  std::vector<float> pixels(std::size_t(dims[1] * dims[2]));
  const Hdf5Dataspace memory(H5Screate_simple(3, frame, nullptr));
  std::int64_t readable = 0, beforeZeros = 0;
  for (; readable < count; ++readable) {
    const Hdf5Dataspace space(H5Dget_space(dataset.get()));
    const hsize_t start[3] = {hsize_t(readable), 0, 0};
    if (!space ||
        H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, frame, nullptr) < 0 ||
        H5Dread(dataset.get(), H5T_NATIVE_FLOAT, memory.get(), space.get(), H5P_DEFAULT,
                pixels.data()) < 0)
      break;
    if (!zerosAreLost || std::any_of(pixels.begin(), pixels.end(), [](float v) { return v != 0; }))
      beforeZeros = readable + 1;
  }
  return zerosAreLost ? beforeZeros : readable;
}

}  // namespace

RecoveredRecording recoverRecording(const std::string& path) {
  const Hdf5ErrorPrintingOff quiet;
  std::error_code error;
  if (!std::filesystem::exists(path, error)) fail(path, "/", "file does not exist");
  if (!std::filesystem::is_regular_file(path, error)) fail(path, "/", "is not a regular file");
  if (H5Fis_hdf5(path.c_str()) <= 0) fail(path, "/", withHdf5Detail("is not an HDF5 file"));
  // A writer killed in SWMR mode leaves the superblock marked "open for writing", which every
  // later open refuses. HDF5 1.10 clears the mark only through this property, the one its own
  // h5clear tool sets.
  // A writer stopped by a full disk may also leave the file shorter than the end its superblock
  // records (a write cut short): like `h5clear --increment`, skip that check and let the close
  // extend the file to its recorded end.
  // First, read-only (as an SWMR reader may, past the mark and a short end): a file that is no
  // recording is refused untouched.
  if (holdsRecorder(path) == false)
    fail(path, "/", "is not a TomoLive recording (no /recorder group): nothing to recover");
  Hdf5PropertyList access(H5Pcreate(H5P_FILE_ACCESS));
  hbool_t clearStatusFlags = true, skipEofCheck = true;
  if (!access || H5Pset(access.get(), "clear_status_flags", &clearStatusFlags) < 0 ||
      H5Pset(access.get(), "skip_eof_check", &skipEofCheck) < 0) {
    fail(path, "/", withHdf5Detail("this HDF5 library cannot clear the 'open for writing' mark"));
  }
  Hdf5File file(H5Fopen(path.c_str(), H5F_ACC_RDWR, access.get()));
  if (!file) fail(path, "/", withHdf5Detail("cannot open the recording"));
  if (H5Fincrement_filesize(file.get(), 0) < 0)
    fail(path, "/", withHdf5Detail("cannot restore the file's recorded end"));

  std::array<std::int64_t, kKinds> kept{};
  std::int64_t lostFrames = 0;
  const htri_t recorder = H5Lexists(file.get(), "/recorder", H5P_DEFAULT);
  if (recorder < 0) fail(path, "/recorder", withHdf5Detail("cannot look up"));
  if (recorder == 0)
    fail(path, "/", "is not a TomoLive recording (no /recorder group): nothing to recover");
  const htri_t started = H5Lexists(file.get(), kFlushed, H5P_DEFAULT);
  if (started < 0) fail(path, kFlushed, withHdf5Detail("cannot look up"));
  if (started > 0) {
    const Hdf5Dataset flushed = openDataset(file.get(), path, kFlushed);
    if (extentOf(flushed.get(), path, kFlushed) != std::vector<hsize_t>{kKinds} ||
        H5Dread(flushed.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, kept.data()) < 0) {
      fail(path, kFlushed, withHdf5Detail("cannot read the flushed frame counts"));
    }
    const auto trim = [&](const char* name, std::int64_t count) {
      const Hdf5Dataset dataset = openDataset(file.get(), path, name);
      std::vector<hsize_t> dims = extentOf(dataset.get(), path, name);
      if (count < 0 || dims[0] < static_cast<hsize_t>(count)) {
        fail(path, name,
             "holds " + std::to_string(dims[0]) + " entries, but " + kFlushed + " says " +
                 std::to_string(count) + " were flushed");
      }
      dims[0] = static_cast<hsize_t>(count);
      if (H5Dset_extent(dataset.get(), dims.data()) < 0) {
        fail(path, name,
             withHdf5Detail(lostFrames > 0
                                ? "the file was cut short after its last flush (" +
                                      std::to_string(lostFrames) +
                                      " frames lost) and its frame index with it: it cannot be "
                                      "trimmed to the " +
                                      std::to_string(count) + " entries still readable"
                                : "cannot trim to " + std::to_string(count) + " entries"));
      }
    };
    // A file cut short after its last flush (copied while written, a disk that failed) lost
    // frames the flush counted: they read back as zeros or not at all. Keep the frames before
    // them (darks may be zeros: only an unreadable one ends them).
    std::int64_t lost = 0;
    for (std::size_t k = 0; k < kKinds; ++k) {
      const std::int64_t readable = readableFrames(file.get(), path, kLayout[k].pixels, kept[k],
                                                   k != std::size_t(FrameKind::Dark));
      lost += kept[k] - readable;
      kept[k] = readable;
    }
    if (lost > 0 && kept[0] == 0)
      fail(path, kLayout[0].pixels,
           "no projection the last flush counted can be read back (the file was cut short "
           "after it, or its frame index is damaged): nothing to recover");
    lostFrames = lost;
    for (std::size_t k = 0; k < kKinds; ++k) {
      trim(kLayout[k].pixels, kept[k]);
      trim(kLayout[k].numbers, kept[k]);
    }
    trim(kTheta, kept[0]);
  }
  Hdf5Group exchange(H5Gopen2(file.get(), kExchange, H5P_DEFAULT));
  if (!exchange) fail(path, kExchange, withHdf5Detail("cannot open the group"));
  const htri_t finalized = H5Aexists(exchange.get(), kLayout[0].countAttribute);
  if (finalized < 0) fail(path, kExchange, withHdf5Detail("cannot look up the frame counts"));
  if (finalized == 0) {
    std::map<std::string, Attribute> attributes = countAttributes(kept);
    attributes["recovered"] = std::string(kRecoveredNote);
    for (const auto& [key, value] : attributes)
      writeHdf5Attribute(exchange.get(), path, kExchange, key, value);
  }
  exchange = Hdf5Group();
  if (!file.close()) fail(path, "/", withHdf5Detail("closing (flushing) the recording failed"));
  return {.kept = {kept[0], kept[1], kept[2]}, .lostFrames = lostFrames};
}

}  // namespace tomolive
