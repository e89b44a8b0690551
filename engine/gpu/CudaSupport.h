#pragma once
// What the plugin's CUDA code shares: error checks for CUDA and cuDNN calls (a failure becomes
// std::runtime_error naming the call and CUDA's or cuDNN's own message), and owners of device
// memory, page-locked host memory and a stream.
#include <cuda_runtime.h>
#include <cudnn.h>

#include <stdexcept>
#include <string>

namespace tomolive::gpu {

inline void checkCuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string("CUDA: ") + what + ": " + cudaGetErrorString(status));
}

inline void checkCudnn(cudnnStatus_t status, const char* what) {
  if (status != CUDNN_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cuDNN: ") + what + ": " + cudnnGetErrorString(status));
}

/// Owns one device allocation of `count` elements of T.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) { resize(count); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : m_data(o.m_data), m_count(o.m_count) {
    o.m_data = nullptr;
    o.m_count = 0;
  }

  /// Reallocates (contents lost) when `count` differs from the current size.
  void resize(std::size_t count) {
    if (count == m_count) return;
    release();
    if (count > 0) checkCuda(cudaMalloc(reinterpret_cast<void**>(&m_data), count * sizeof(T)), "cudaMalloc");
    m_count = count;
  }
  /// Grows (contents lost) when smaller than `count`; never shrinks.
  void reserve(std::size_t count) {
    if (count > m_count) resize(count);
  }
  T* data() { return m_data; }
  const T* data() const { return m_data; }
  std::size_t size() const { return m_count; }

 private:
  void release() {
    if (m_data) cudaFree(m_data);
    m_data = nullptr;
    m_count = 0;
  }
  T* m_data = nullptr;
  std::size_t m_count = 0;
};

/// Page-locked host memory, so that transfers run asynchronously at full speed.
template <class T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { release(); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  /// Grows (contents lost) when smaller than `count`; never shrinks.
  void reserve(std::size_t count) {
    if (count <= m_count) return;
    release();
    checkCuda(cudaMallocHost(reinterpret_cast<void**>(&m_data), count * sizeof(T)),
              "cudaMallocHost");
    m_count = count;
  }
  T* data() { return m_data; }

 private:
  void release() {
    if (m_data) cudaFreeHost(m_data);
    m_data = nullptr;
    m_count = 0;
  }
  T* m_data = nullptr;
  std::size_t m_count = 0;
};

/// A non-blocking stream (it does not wait for the legacy default stream).
class Stream {
 public:
  Stream() {
    checkCuda(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking), "cudaStreamCreate");
  }
  ~Stream() { cudaStreamDestroy(m_stream); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  operator cudaStream_t() const { return m_stream; }
  void sync() const { checkCuda(cudaStreamSynchronize(m_stream), "cudaStreamSynchronize"); }

 private:
  cudaStream_t m_stream = nullptr;
};

}  // namespace tomolive::gpu
