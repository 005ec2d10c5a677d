/// @file certify_internal.hpp
/// @brief Pieces of certify_volume() that the exact method (exact_volume()) shares: the OpenMP
/// box engine and the stratified sampling of the undecided boxes.
#pragma once

#include "spikemesh/certify.hpp"

#include <memory>
#include <vector>

namespace spikemesh::detail {

/// The OpenMP engine: BoxBounder per box, box-local sampling.
std::unique_ptr<BoxEngine> make_cpu_box_engine(const Network& net, const BoxBounder& bounder,
                                               int threads);

/// Stratified sampling of the undecided boxes @p strata (2 d doubles each) of volumes @p volume
/// (sum @p undecided), in rounds as CertifyOptions describes; fills res.volume_estimate,
/// volume_ci_low/high, ci_method, samples_used and sampling_rounds from
/// res.certified_volume_lower/upper and res.boxes_undecided.
void sample_strata(BoxEngine& engine, const std::vector<double>& strata,
                   const std::vector<double>& volume, double undecided, const CertifyOptions& opt,
                   CertifyResult& res);

} // namespace spikemesh::detail
