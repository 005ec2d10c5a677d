/// @file device_buffer.hpp
/// @brief RAII over device memory and streams (R9): no naked cudaMalloc/cudaFree elsewhere.
#pragma once

#include "cuda_check.hpp"

#include <cstddef>
#include <cstdio>
#include <exception>
#include <utility>
#include <vector>

namespace spikemesh::cuda {

/// Owns @p size elements of T in device memory.
template <class T>
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t size) : m_size(size) {
    if (size > 0) SM_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&m_ptr), size * sizeof(T)));
  }
  /// Allocates and copies @p host to the device on @p stream, the stream the kernels that read
  /// it run on, and waits for the copy: the buffer is complete when the constructor returns,
  /// for that stream and every other. (A plain cudaMemcpy would copy on the legacy stream,
  /// which a non-blocking stream does not wait for, and returns from a pageable source before
  /// the DMA has finished.)
  DeviceBuffer(const std::vector<T>& host, cudaStream_t stream) : DeviceBuffer(host.size()) {
    if (!host.empty()) {
      SM_CUDA_CHECK(cudaMemcpyAsync(m_ptr, host.data(), host.size() * sizeof(T),
                                    cudaMemcpyHostToDevice, stream));
      SM_CUDA_CHECK(cudaStreamSynchronize(stream));
    }
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : m_ptr(std::exchange(o.m_ptr, nullptr)), m_size(std::exchange(o.m_size, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      m_ptr = std::exchange(o.m_ptr, nullptr);
      m_size = std::exchange(o.m_size, 0);
    }
    return *this;
  }
  ~DeviceBuffer() { release(); }

  T* data() { return m_ptr; }
  const T* data() const { return m_ptr; }
  std::size_t size() const { return m_size; }

  /// Copies the buffer back to the host (synchronous on @p stream).
  std::vector<T> download(cudaStream_t stream, std::size_t count) const {
    std::vector<T> host(count);
    if (count > 0) {
      SM_CUDA_CHECK(
          cudaMemcpyAsync(host.data(), m_ptr, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
      SM_CUDA_CHECK(cudaStreamSynchronize(stream));
    }
    return host;
  }

  /// Grows the buffer to at least @p n elements; the contents are not kept.
  void reserve(std::size_t n) {
    if (m_size < n) *this = DeviceBuffer(n > 2 * m_size ? n : 2 * m_size);
  }
  /// Copies @p n elements from @p host (asynchronous on @p stream), growing the buffer first.
  void upload(const T* host, std::size_t n, cudaStream_t stream) {
    reserve(n);
    if (n > 0) {
      SM_CUDA_CHECK(cudaMemcpyAsync(m_ptr, host, n * sizeof(T), cudaMemcpyHostToDevice, stream));
    }
  }
  /// Copies the first @p n elements to @p host (asynchronous: synchronise @p stream first).
  void download_to(T* host, std::size_t n, cudaStream_t stream) const {
    if (n > 0) {
      SM_CUDA_CHECK(cudaMemcpyAsync(host, m_ptr, n * sizeof(T), cudaMemcpyDeviceToHost, stream));
    }
  }

private:
  void release() noexcept {
    if (m_ptr) {
      const cudaError_t err = cudaFree(m_ptr);
      if (err != cudaSuccess)
        std::fprintf(stderr, "spikemesh: cudaFree: %s\n", cudaGetErrorString(err));
    }
    m_ptr = nullptr;
    m_size = 0;
  }
  T* m_ptr = nullptr;
  std::size_t m_size = 0;
};

/// Owns a CUDA stream.
class CudaStream {
public:
  CudaStream() { SM_CUDA_CHECK(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking)); }
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;
  ~CudaStream() {
    if (m_stream) static_cast<void>(cudaStreamDestroy(m_stream));
  }
  cudaStream_t get() const { return m_stream; }

private:
  cudaStream_t m_stream = nullptr;
};

} // namespace spikemesh::cuda
