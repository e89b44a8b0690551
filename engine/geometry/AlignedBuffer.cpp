#include "geometry/AlignedBuffer.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include <sys/mman.h>

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
}  // namespace

void AlignedBuffer::Free::operator()(float* p) const { std::free(p); }

AlignedBuffer::AlignedBuffer(std::size_t count) : m_data(allocate(count)), m_size(count) {
  fill(0.0f);
}

AlignedBuffer::AlignedBuffer(const AlignedBuffer& other)
    : m_data(allocate(other.m_size)), m_size(other.m_size) {
  std::copy_n(other.data(), m_size, data());
}

AlignedBuffer& AlignedBuffer::operator=(const AlignedBuffer& other) {
  if (this == &other) return *this;
  if (m_size == other.m_size && m_data)  // same size: copy into the memory already held
    std::copy_n(other.data(), m_size, data());
  else
    *this = AlignedBuffer(other);
  return *this;
}

void AlignedBuffer::fill(float value) { std::fill_n(data(), m_size, value); }

}  // namespace tomolive
