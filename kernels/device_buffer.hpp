/// @file device_buffer.hpp
/// @brief RAII over device memory, pinned host memory, streams and events (R9): no naked
/// cudaMalloc/cudaFree/cudaMallocHost/cudaFreeHost elsewhere.
#pragma once

#include "cuda_check.hpp"

#include <cstddef>
#include <cstdio>
#include <exception>
#include <new>
#include <type_traits>
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

/// Owns @p size value-initialised elements of a trivially copyable T in page-locked (pinned)
/// host memory, which an asynchronous device-to-host copy writes directly by DMA: the copy
/// really is asynchronous and its destination is complete when an event recorded after it
/// has completed.
template <class T>
class PinnedBuffer {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>,
                "pinned buffers hold plain data");

public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(std::size_t size) : m_size(size) {
    if (size == 0) return;
    SM_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&m_ptr), size * sizeof(T)));
    for (std::size_t i = 0; i < size; ++i)
      new (m_ptr + i) T();
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  PinnedBuffer(PinnedBuffer&& o) noexcept
      : m_ptr(std::exchange(o.m_ptr, nullptr)), m_size(std::exchange(o.m_size, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) {
      release();
      m_ptr = std::exchange(o.m_ptr, nullptr);
      m_size = std::exchange(o.m_size, 0);
    }
    return *this;
  }
  ~PinnedBuffer() { release(); }

  T* data() { return m_ptr; }
  const T* data() const { return m_ptr; }
  T& operator[](std::size_t i) { return m_ptr[i]; }
  const T& operator[](std::size_t i) const { return m_ptr[i]; }
  std::size_t size() const { return m_size; }

private:
  void release() noexcept {
    if (m_ptr) {
      const cudaError_t err = cudaFreeHost(m_ptr);
      if (err != cudaSuccess)
        std::fprintf(stderr, "spikemesh: cudaFreeHost: %s\n", cudaGetErrorString(err));
    }
    m_ptr = nullptr;
    m_size = 0;
  }
  T* m_ptr = nullptr;
  std::size_t m_size = 0;
};

/// Owns a CUDA event without timing (the cheapest kind: for ordering and waiting).
class CudaEvent {
public:
  CudaEvent() { SM_CUDA_CHECK(cudaEventCreateWithFlags(&m_event, cudaEventDisableTiming)); }
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;
  ~CudaEvent() {
    if (m_event) static_cast<void>(cudaEventDestroy(m_event));
  }
  cudaEvent_t get() const { return m_event; }
  /// Records the event after the work enqueued so far on @p stream.
  void record(cudaStream_t stream) { SM_CUDA_CHECK(cudaEventRecord(m_event, stream)); }
  /// Makes @p stream wait (on the device) until the last record() has completed; no wait
  /// before the first record().
  void enqueue_wait(cudaStream_t stream) const {
    SM_CUDA_CHECK(cudaStreamWaitEvent(stream, m_event, 0));
  }
  /// Blocks the host until the last record() has completed (throws on a failed launch).
  void synchronize() const { SM_CUDA_CHECK(cudaEventSynchronize(m_event)); }

private:
  cudaEvent_t m_event = nullptr;
};

/// Owns a CUDA stream.
class CudaStream {
public:
  CudaStream() { SM_CUDA_CHECK(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking)); }
  /// A stream of the device's highest priority: its blocks are scheduled before waiting blocks
  /// of lower-priority streams (the merge kernel next to a running mesh kernel).
  struct HighPriority {};
  explicit CudaStream(HighPriority) {
    int least = 0, greatest = 0;
    SM_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
    SM_CUDA_CHECK(cudaStreamCreateWithPriority(&m_stream, cudaStreamNonBlocking, greatest));
  }
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
