#pragma once
// A zero-initialised float buffer aligned to 64 bytes (one AVX-512 register, one cache line),
// so that slice-lane vectors can be loaded with aligned moves. One of 4 MB or more starts on a
// 2 MB boundary and asks the kernel for transparent huge pages (madvise): a tile of a volume
// touches 64 rows a page or more apart, and with 4 KB pages each row costs a TLB miss. Such a
// buffer is zeroed and copied on all threads, a huge page each.
#include <cstddef>
#include <memory>
#include <span>

namespace tomolive {

class AlignedBuffer {
 public:
  /// Buffers of at least this many bytes start on a huge page (2 MB).
  static constexpr std::size_t kHugePageBytes = std::size_t(2) << 20;
  static constexpr std::size_t kHugePagesFrom = 2 * kHugePageBytes;

  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count);
  AlignedBuffer(const AlignedBuffer& other);
  /// Copies into the memory already held when the sizes agree (no allocation, no page faults).
  AlignedBuffer& operator=(const AlignedBuffer& other);
  AlignedBuffer(AlignedBuffer&&) noexcept = default;
  AlignedBuffer& operator=(AlignedBuffer&&) noexcept = default;

  float* data() { return m_data.get(); }
  const float* data() const { return m_data.get(); }
  std::size_t size() const { return m_size; }
  std::span<float> span() { return {m_data.get(), m_size}; }
  std::span<const float> span() const { return {m_data.get(), m_size}; }
  void fill(float value);

 private:
  void copyFrom(const AlignedBuffer& other);  ///< same size
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float[], Free> m_data;
  std::size_t m_size = 0;
};

}  // namespace tomolive
