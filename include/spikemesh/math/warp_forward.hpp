/// @file warp_forward.hpp
/// @brief The mesh kernel's warp-cooperative forward pass for wide networks
/// (eval_mesh_kernel<T, kWideWidth>: buffer widths 33..256, wider layers streamed), written once
/// for the device (DeviceWarp) and the host's lockstep warp emulator (HostWarp, math/warp.hpp).
///
/// Per-thread layer buffers of 256 values do not fit in registers (the kernel had 2.4 KB of
/// stack per thread) nor, 128 threads of them, in shared memory. Instead a warp evaluates its
/// 32 points of a step one after another, together: the point's coordinates are in the warp's
/// scratch (its lanes' mesh cursors, SharedCursor), its two layer buffers of buffer_width values
/// in the kernel's dynamic shared memory (WarpScratch, warp_bytes()). For each layer, lane l
/// computes neurons l, l + 32, ... with forward()'s own detail::sparse_row / detail::dense_row
/// (bias first, inputs in stored order; sparse: multiply and add; dense: fma_rn, exact-zero
/// inputs skipped; detail::dense_row is detail::dense_layer's chain for one output), then the
/// warp syncs. A streamed layer (LayerDesc::stream) runs in chunks of 32 neurons: lane l computes
/// neuron c + l's activation in a register, a ballot names the chunk's nonzero activations, and
/// for each of them in neuron order (a shuffle broadcasts it) every lane folds it into its
/// outputs k = l, l + 32, ... of the next layer: forward()'s fma chain per output, the same skip
/// of exact-zero activations. So every point's f equals forward()'s bit for bit; lane p gets the
/// f of point p.
///
/// Shared-memory ordering (__syncwarp, w.sync()): one sync after every layer orders its writes
/// before the next layer's reads, and its reads before the layer after it overwrites the buffer
/// (the buffers alternate). The buffers keep alternating from point to point, so a point's first
/// layer writes the buffer its predecessor's output is not in; lane p reads point p's f before
/// the next point's first sync. points() starts with a sync that orders the lanes' cursor writes
/// (start, advance) before the other lanes read those coordinates; the layers' syncs order those
/// reads before the cursors' next writes.
///
/// Lines marked `// warp-uniform` run once per warp in the emulator but on every lane of the
/// device; the static performance model (bench/perf_model) scales their profile counts by 32.
#pragma once

#include "spikemesh/config.hpp"
#include "spikemesh/math/activation.hpp"
#include "spikemesh/math/fma.hpp"
#include "spikemesh/math/forward.hpp"
#include "spikemesh/math/network_view.hpp"
#include "spikemesh/math/shared_cursor.hpp"
#include "spikemesh/math/warp.hpp"

#include <cstddef>
#include <cstdint>

#if defined(__CUDA_ARCH__)
#define SM_WF_NO_UNROLL _Pragma("unroll 1")
#else
#define SM_WF_NO_UNROLL
#endif

namespace spikemesh {
namespace warp_forward {

/// A lane's stride of coordinates in the warp's scratch: odd, so that the 32 lanes' accesses
/// to one axis fall in distinct banks, and at least @p dim.
SM_HOST_DEVICE constexpr int coord_pad(int dim) {
  return dim | 1;
}

/// One warp's scratch, in the kernel's dynamic shared memory (the emulator's starts
/// NaN-filled): its lanes' cursors (axis a of lane t: k[a * kWarpSize + t], x[t * pad + a]) and
/// the two layer buffers of buffer_width values each.
template <class T>
struct WarpScratch {
  index_t* k = nullptr; ///< [dim * kWarpSize] the lanes' axis positions
  T* x = nullptr;       ///< [kWarpSize * pad] the lanes' coordinates
  int pad = 1;          ///< coord_pad(dim)
  T* a = nullptr;       ///< [buffer_width] layer buffer
  T* b = nullptr;       ///< [buffer_width] layer buffer

  /// Lane @p lane's coordinates (contiguous: forward()'s first layer reads them as they are).
  SM_HOST_DEVICE const T* coords(int lane) const { return x + lane * pad; }
  /// Lane @p lane's mesh cursor over this storage.
  SM_HOST_DEVICE SharedCursor<T> cursor(int lane) const {
    SharedCursor<T> c;
    c.k = {k + lane, kWarpSize};
    c.x = {x + lane * pad, 1};
    return c;
  }
};

/// Bytes of one warp's scratch for a network of @p buffer_width over a mesh of @p dim axes;
/// a multiple of 8, so that every warp's index_t array is aligned.
template <class T>
SM_HOST_DEVICE constexpr std::size_t warp_bytes(int buffer_width, int dim) {
  const std::size_t values = static_cast<std::size_t>(kWarpSize) * coord_pad(dim) +
                             2 * static_cast<std::size_t>(buffer_width);
  const std::size_t bytes =
      sizeof(index_t) * kWarpSize * static_cast<std::size_t>(dim) + sizeof(T) * values;
  return (bytes + 7) / 8 * 8;
}

/// Bytes of the scratch of @p warps warps (the kernel's dynamic shared memory).
template <class T>
SM_HOST_DEVICE constexpr std::size_t block_bytes(int warps, int buffer_width, int dim) {
  return static_cast<std::size_t>(warps) * warp_bytes<T>(buffer_width, dim);
}

/// Warp @p warp's scratch inside @p block (8-byte aligned, block_bytes() long).
template <class T>
SM_HOST_DEVICE WarpScratch<T> warp_scratch(void* block, int warp, int buffer_width, int dim) {
  unsigned char* base = static_cast<unsigned char*>(block) +
                        static_cast<std::size_t>(warp) * warp_bytes<T>(buffer_width, dim);
  WarpScratch<T> s;
  s.k = reinterpret_cast<index_t*>(base);
  s.x = reinterpret_cast<T*>(base + sizeof(index_t) * kWarpSize * static_cast<std::size_t>(dim));
  s.pad = coord_pad(dim);
  s.a = s.x + kWarpSize * s.pad;
  s.b = s.a + buffer_width;
  return s;
}

/// A buffered layer @p L: lane l writes activations l, l + 32, ... of @p in's layer to @p out.
/// The layers' descriptions are taken by value: in registers, not reloaded after every store
/// to the buffers (which the compiler cannot tell apart from the network's arrays).
template <class T, class W>
SM_HOST_DEVICE void buffered_layer(const W& w, const NetworkView<T>& net, const LayerDesc L,
                                   const T* in, T* out) {
  const T alpha = static_cast<T>(L.alpha); // warp-uniform
  w.each([&](int lane) {
    SM_WF_NO_UNROLL
    for (int r = lane; r < L.out; r += kWarpSize) {
      const T z = L.sparse ? detail::sparse_row(net, L, in, r) : detail::dense_row(net, L, in, r);
      out[r] = activate(L.act, z, alpha);
    }
  });
}

/// A streamed layer @p L folded into the dense layer @p N: @p out (N.out values) gets N's
/// activations, each output the chain bias, fma(w_r, a_r, .) over L's neurons r in order with
/// a_r != 0, as forward() computes it.
template <class T, class W>
SM_HOST_DEVICE void streamed_layer(const W& w, const NetworkView<T>& net, const LayerDesc L,
                                   const LayerDesc N, const T* in, T* out) {
  const T alpha = static_cast<T>(L.alpha);   // warp-uniform
  const T alpha_n = static_cast<T>(N.alpha); // warp-uniform
  const T* bias_n = net.params + N.b_off;    // warp-uniform
  w.each([&](int lane) {
    for (int k = lane; k < N.out; k += kWarpSize)
      out[k] = bias_n[k];
  });
  Lanes<W, T> act;
  Lanes<W, bool> nz;
  SM_WF_NO_UNROLL
  for (int c = 0; c < L.out; c += kWarpSize) { // warp-uniform
    w.each([&](int lane) {
      const int r = c + lane;
      act[lane] = T(0);
      if (r < L.out) {
        const T z = L.sparse ? detail::sparse_row(net, L, in, r) : detail::dense_row(net, L, in, r);
        act[lane] = activate(L.act, z, alpha);
      }
      nz[lane] = !(act[lane] == T(0)); // NaN folds, as in forward()
    });
    SM_WF_NO_UNROLL
    for (unsigned m = w.ballot(nz); m != 0; m &= m - 1) { // warp-uniform: neuron order
      const int i = first_lane(m);                        // warp-uniform
      const Lanes<W, T> a = w.shfl(act, i);               // warp-uniform
      const T* wr = net.params + N.w_off + static_cast<std::int64_t>(c + i) * N.out; // warp-uniform
      w.each([&](int lane) {
        for (int k = lane; k < N.out; k += kWarpSize)
          out[k] = fma_rn(wr[k], a[lane], out[k]);
      });
    }
  }
  w.each([&](int lane) {
    for (int k = lane; k < N.out; k += kWarpSize)
      out[k] = activate(N.act, out[k], alpha_n);
  });
}

/// The f of the warp's points 0 .. @p count - 1 (point p: lane p's coordinates in @p s) into
/// @p f[p] (the other lanes' f is left as it was). Each f equals forward()'s bit for bit.
template <class T, class W>
SM_HOST_DEVICE void points(const W& w, const NetworkView<T>& net, int count,
                           const WarpScratch<T>& s, Lanes<W, T>& f) {
  w.sync();       // warp-uniform: the lanes' cursor writes before the coordinates are read
  T* out = s.a;   // warp-uniform
  T* spare = s.b; // warp-uniform
  SM_WF_NO_UNROLL
  for (int p = 0; p < count; ++p) { // warp-uniform
    const T* in = s.coords(p);      // warp-uniform
    SM_WF_NO_UNROLL
    for (int l = 0; l < net.n_layers; ++l) {                   // warp-uniform
      const LayerDesc& L = net.layers[l];                      // warp-uniform
      if (L.stream) {                                          // warp-uniform
        streamed_layer(w, net, L, net.layers[l + 1], in, out); // warp-uniform
        ++l;                                                   // warp-uniform: N is done
      } else {
        buffered_layer(w, net, L, in, out); // warp-uniform
      }
      w.sync();                   // warp-uniform: this layer's writes before the next layer's reads
      in = out;                   // warp-uniform
      out = spare;                // warp-uniform
      spare = const_cast<T*>(in); // warp-uniform
    }
    w.each([&](int lane) {
      if (lane == p) f[lane] = in[0];
    });
  }
}

} // namespace warp_forward
} // namespace spikemesh

#undef SM_WF_NO_UNROLL
