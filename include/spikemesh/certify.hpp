/// @file certify.hpp
/// @brief Certified and adaptive spike-volume estimation (`--method certify`): sound bounds of f
/// over axis-aligned boxes, best-first subdivision, and stratified sampling of the boxes left
/// undecided, for spikes far smaller than any mesh cell.
#pragma once

#include "spikemesh/case.hpp"
#include "spikemesh/evaluator.hpp"
#include "spikemesh/math/box_math.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace spikemesh {

/// How BoxBounder bounds the layers after the first.
enum class BoundMethod : std::uint8_t {
  Auto,     ///< Linear, except where the first two layers are already bounded exactly
            ///< (separable) or back-substitution costs over 2e6 multiply-adds per box
  Interval, ///< interval arithmetic (plus the exact per-axis ranges of a separable first layer)
  Linear,   ///< also CROWN/DeepPoly back-substitution, intersected with the intervals
};

/// "auto", "interval" or "linear"; parse_bound_method throws InvalidParameter("bounds").
std::string bound_method_name(BoundMethod m);
BoundMethod parse_bound_method(const std::string& name);

namespace detail {
struct DenseNetwork;
struct BackSubScratch;
} // namespace detail

/// Per-thread buffers of BoxBounder::bound().
struct BoundScratch {
  BoundScratch();
  ~BoundScratch();
  std::vector<std::vector<Interval>> z; ///< pre-activation bounds per layer
  std::vector<Interval> act, crown, term;
  std::vector<double> term_mag, rest;
  std::vector<std::pair<int, double>> stack; ///< trie walk: (node, sum of the terms' upper ends)
  std::vector<int> reached;                  ///< second-layer rows the trie walk reached
  std::vector<double> sens, sens_next, score;
  std::unique_ptr<detail::BackSubScratch> backsub;
};

/// Bounds of f over a box, and the axis whose edge contributes most to their width.
struct BoxBound {
  Interval f;
  int split_axis = 0;
};

/// Sound bounds of f over axis-aligned boxes. Layers are propagated as intervals (exact images
/// through the monotone activations). A first layer whose neurons each read one input is
/// exploited: every second-layer pre-activation is a sum of one-dimensional functions of single
/// coordinates, and each is bounded exactly over its edge (piecewise-linear activations: at the
/// ends and kinks; smooth ones: interval bounds on 16 sub-edges). For ReLU/PReLU networks the
/// linear relaxation of CROWN/DeepPoly tightens every later layer (BoundMethod::Linear).
///
/// The split axis maximises edge contribution x sensitivity: the width of the axis's exact
/// one-dimensional terms (separable networks) or edge x |first-layer weights| (others), each
/// weighted by an upper bound of |d f / d neuron| propagated back through the layers.
class BoxBounder {
public:
  explicit BoxBounder(const Network& net, BoundMethod method = BoundMethod::Auto);
  ~BoxBounder();
  BoxBounder(const BoxBounder&) = delete;
  BoxBounder& operator=(const BoxBounder&) = delete;

  /// Bounds of f over the box [lo, hi] (arrays of in_dim coordinates).
  Interval bound(const double* lo, const double* hi) const;
  /// The same, with the split axis, reusing @p s (one per thread; bound() is const and safe to
  /// call concurrently).
  BoxBound bound(const double* lo, const double* hi, BoundScratch& s) const;
  /// Only the pre-activation bounds of every layer, into s.z (no split axis).
  void bound_layers(const double* lo, const double* hi, BoundScratch& s) const;
  bool separable() const { return m_separable; }
  /// Whether the linear relaxation is in use (it needs piecewise-linear hidden layers).
  bool linear() const { return m_dense != nullptr; }
  /// The method in effect: "interval", "interval+separable", "linear" or "linear+separable".
  std::string description() const;

  /// sum_e w_e act0(a_e x_k + c_e): one second-layer row's entries that read axis k.
  struct AxisTerm {
    int axis = 0;
    std::vector<double> w, a, c;
  };
  /// The separable form (when separable()): each first-layer neuron's input and weight, the
  /// unique one-axis terms, and each second-layer row's terms (CSR).
  const std::vector<int>& first_layer_axis() const { return m_axis; }
  const std::vector<double>& first_layer_weight() const { return m_a0; }
  const std::vector<AxisTerm>& terms() const { return m_terms; }
  const std::vector<int>& row_term_ptr() const { return m_row_ptr; }
  const std::vector<int>& row_term_index() const { return m_row_idx; }
  const Network& network() const { return *m_net; }

private:
  /// Second-layer rows as a trie of their term sequences, for skipping silent rows.
  struct TrieNode {
    int term = -1;
    int first_child = -1, next_sibling = -1;
    int rows_begin = 0, rows_end = 0; ///< rows whose path ends here, in m_trie_rows
    double max_bias = -INFINITY;      ///< largest bias of the rows below
  };
  Interval axis_term_range(const AxisTerm& t, double lo, double hi) const;
  void init_separable();
  void build_trie();
  template <class ExactRow>
  void prune_rows(BoundScratch& s, const ExactRow& exact_row) const;
  int split_axis(const double* lo, const double* hi, BoundScratch& s) const;

  const Network* m_net;
  bool m_separable = false;
  std::vector<int> m_axis;                   ///< separable: the input each first-layer neuron reads
  std::vector<double> m_a0;                  ///< separable: its weight
  std::vector<AxisTerm> m_terms;             ///< unique (axis, weights) groups
  std::vector<std::vector<int>> m_row_terms; ///< [layer-1 row] -> indices into m_terms (setup)
  std::vector<int> m_row_ptr, m_row_idx;     ///< the same as CSR
  std::vector<TrieNode> m_trie;              ///< empty: every row is computed
  std::vector<int> m_trie_rows;
  double m_max_abs_bias = 0.0;
  int m_max_row_terms = 0;
  std::unique_ptr<detail::DenseNetwork> m_dense;
};

class BoxEngine;

struct CertifyOptions {
  std::int64_t box_budget = 1000000; ///< boxes bounded before sampling
  std::int64_t samples = 1000000;    ///< points sampled in the undecided boxes (at least 2 each)
  /// > 0: sample in rounds, a pilot (4 points per box, at least 10^5) and then what its variance
  /// projects, until the 95 % half-width is at most this fraction of the estimate (or `samples`
  /// are spent: then `samples` is a cap). 0: one round of `samples`.
  double target_rel_ci = 0.0;
  std::uint64_t seed = 1;
  double tau = 0.0;
  BoundMethod bounds = BoundMethod::Auto;
  int threads = 0; ///< OpenMP threads; 0: the default. Results do not depend on it.
  /// Cpu, Cuda (an error when the GPU engine cannot run) or Auto (the GPU when it can).
  Backend backend = Backend::Cpu;
  /// When set, supplies the engine and `backend` is not consulted (tests run the GPU engine's
  /// code emulated on the host this way).
  std::function<std::unique_ptr<BoxEngine>(const Network&, const BoxBounder&)> engine;
  /// Exact method only: stop subdividing after this many seconds (0: no limit) or once @p stop
  /// returns true; the boxes left are undecided (the bracket stays valid, only wider).
  double time_limit = 0.0;
  /// Exact method only: stop subdividing once upper - lower <= this fraction of lower.
  double target_rel_gap = 1e-12;
  std::function<bool()> stop;
  /// Called after every subdivision batch ("boxes", boxes bounded, budget) and sampling round
  /// ("samples", samples drawn, samples planned so far); may be empty.
  std::function<void(const char* unit, std::int64_t done, std::int64_t total)> progress;
};

struct CertifyResult {
  double certified_volume_lower = 0.0; ///< boxes proven inside {|f| > tau}
  double certified_volume_upper = 0.0; ///< lower + every undecided box
  double volume_estimate = 0.0;        ///< lower + stratified estimate over the undecided boxes
  double volume_ci_low = 0.0;          ///< 95 % confidence interval
  double volume_ci_high = 0.0;
  std::int64_t boxes_processed = 0;
  std::int64_t boxes_inside = 0;
  std::int64_t boxes_outside = 0;
  std::int64_t boxes_undecided = 0;
  std::int64_t boxes_exact = 0;       ///< exact method: boxes whose volume is a closed form
  double exact_volume_fraction = 0.0; ///< share of the domain decided exactly (1 - undecided)
  bool stopped_early = false;         ///< exact method: time limit or stop request
  double fold_error = 0.0; ///< exact method: bound of |f - folded f| (PReLU pairs), else 0
  std::int64_t samples_used = 0;
  std::int64_t sampling_rounds = 0;
  std::int64_t network_evaluations = 0; ///< box bounds + sampled points
  double wall_seconds = 0.0;
  std::string bound_method; ///< BoxBounder::description()
  std::string engine;       ///< "cpu" or "cuda": where boxes were bounded and sampled
  std::string device;       ///< e.g. "2-thread OpenMP CPU"; the engine's name where unknown
  std::string notice;       ///< why Backend::Auto stayed on the CPU (empty otherwise)
  /// How the interval was formed: "stratified" (per-box sample variances, >= 50 hits),
  /// "binomial (fewer than 50 hits)" (conservative), "exact" (nothing undecided) or "bounds"
  /// (no samples: the interval is [lower, upper]).
  std::string ci_method;
};

/// Bounds and samples batches of boxes for certify_volume(). A box is 2 d doubles: the lower
/// corner, then the upper corner. Both engines give the same verdicts, split axes and hits.
class BoxEngine {
public:
  virtual ~BoxEngine() = default;
  virtual std::string name() const = 0;
  /// The device, as a result file's `device` attribute names it.
  virtual std::string device() const { return name(); }
  /// Bounds of f over each of @p count boxes and their split axes.
  virtual void bound(const double* boxes, std::size_t count, BoxBound* out) = 0;
  /// hits[i] = points with |f| > tau among m[i] uniform points of box i, whose coordinates are
  /// the consecutive draws of box_math::box_stream(seed, first + i, round). @p progress (may be
  /// empty) receives the points done so far, from one thread.
  virtual void sample(const double* boxes, std::size_t count, const std::int64_t* m,
                      std::uint64_t seed, std::uint64_t round, std::size_t first, double tau,
                      std::int64_t* hits, const std::function<void(std::int64_t)>& progress) = 0;
};

/// The GPU engine: nullptr, with the reason in @p why, when the CUDA backend is not built, no
/// device is usable, the linear relaxation is in use (it runs on the CPU only) or a layer is
/// wider than the kernels' buffers.
std::unique_ptr<BoxEngine> make_cuda_box_engine(const Network& net, const BoxBounder& bounder,
                                                std::string* why);

/// The GPU engine's kernel code (math/box_block.hpp over the arrays the GPU engine uploads) run
/// on the host: bounds with each box as one block of @p block_threads threads emulated one after
/// another, sampling as a grid of 896 threads striding over all the points. It checks the
/// kernels' arithmetic and thread partition without a device; nullptr (and why) where the
/// kernels refuse the network.
std::unique_ptr<BoxEngine> make_emulated_box_engine(const Network& net, const BoxBounder& bounder,
                                                    int block_threads, std::string* why);

/// Clopper-Pearson (exact binomial) 95 % interval of a proportion: @p x successes in @p n trials.
Interval clopper_pearson_95(std::int64_t x, std::int64_t n);

/// Certifies the measure of {x in [lo, hi]^d : |f(x)| > tau} for the case's network.
CertifyResult certify_volume(const Network& net, int dim, double lo, double hi,
                             const CertifyOptions& opt);

} // namespace spikemesh
