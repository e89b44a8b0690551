#include "geometry/AlignedBuffer.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include <sys/mman.h>
#include <tbb/parallel_for.h>

namespace tomolive {

namespace {
constexpr std::size_t kAlignment = 64;

float* allocate(std::size_t count) {
  if (count == 0) return nullptr;
  const bool huge = count * sizeof(float) >= AlignedBuffer::kHugePagesFrom;
  const std::size_t align = huge ? AlignedBuffer::kHugePageBytes : kAlignment;
  const std::size_t bytes = (count * sizeof(float) + align - 1) / align * align;
  void* p = std::aligned_alloc(align, bytes);
  if (!p) throw std::bad_alloc();
  if (huge) madvise(p, bytes, MADV_HUGEPAGE);  // a hint: without it, 4 KB pages as before
  return static_cast<float*>(p);
}

// `write(first, count)` over [0, size) in huge pages on all threads where the buffer is large:
// its first touch is where the kernel provides and zeroes its pages (in a virtual machine often
// the slowest part: about 1 s per 420 MB on one thread here, half that on two).
template <typename Write>
void inPages(std::size_t size, Write write) {
  constexpr std::size_t page = AlignedBuffer::kHugePageBytes / sizeof(float);
  if (size * sizeof(float) < AlignedBuffer::kHugePagesFrom) return write(0, size);
  tbb::parallel_for(std::size_t(0), (size + page - 1) / page,
                    [&](std::size_t k) { write(k * page, std::min(page, size - k * page)); });
}
}  // namespace

void AlignedBuffer::Free::operator()(float* p) const { std::free(p); }

AlignedBuffer::AlignedBuffer(std::size_t count) : m_data(allocate(count)), m_size(count) {
  fill(0.0f);
}

AlignedBuffer::AlignedBuffer(const AlignedBuffer& other)
    : m_data(allocate(other.m_size)), m_size(other.m_size) {
  copyFrom(other);
}

AlignedBuffer& AlignedBuffer::operator=(const AlignedBuffer& other) {
  if (this == &other) return *this;
  if (m_size == other.m_size && m_data)  // same size: copy into the memory already held
    copyFrom(other);
  else
    *this = AlignedBuffer(other);
  return *this;
}

void AlignedBuffer::fill(float value) {
  inPages(m_size,
          [&](std::size_t first, std::size_t count) { std::fill_n(data() + first, count, value); });
}

void AlignedBuffer::copyFrom(const AlignedBuffer& other) {
  inPages(m_size, [&](std::size_t first, std::size_t count) {
    std::copy_n(other.data() + first, count, data() + first);
  });
}

}  // namespace tomolive
