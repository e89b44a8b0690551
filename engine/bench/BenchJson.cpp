#include "bench/BenchJson.h"

#include <nlohmann/json.hpp>

namespace tomolive {

using nlohmann::json;

namespace {
// A ratio to the 16-slice row, null when the run has none (stored as 0).
json ratioOrNull(double ratio) { return ratio > 0 ? json(ratio) : json(); }
}  // namespace

void to_json(json& j, const ProjectorBenchRow& row) {
  j = {{"size", row.size},
       {"slices", row.slices},
       {"projections", row.projections},
       {"updates", row.updates},
       {"forward_seconds", row.forwardSeconds},
       {"back_seconds", row.backSeconds},
       {"forward_updates_per_s", row.forwardRate},
       {"back_updates_per_s", row.backRate},
       {"reference_forward_updates_per_s", row.referenceForwardRate},
       {"reference_back_updates_per_s", row.referenceBackRate},
       {"forward_vs_16_slices", ratioOrNull(row.forwardVs16)},
       {"back_vs_16_slices", ratioOrNull(row.backVs16)}};
}

void to_json(json& j, const ProjectorBenchResult& r) {
  j = {{"projector", r.projector},
       {"threads", r.threads},
       {"copy_bandwidth_bytes_per_s", r.copyBandwidthBytesPerSecond},
       {"rows", r.rows}};
}

void to_json(json& j, const StreamBenchCell& c) {
  j = {{"method", liveMethodName(c.method)}, {"window", c.window},
       {"iterations", c.iterations},         {"refresh_seconds", c.refreshSeconds},
       {"sustained_pps", c.sustainedPps},    {"ray_pixel_updates_per_s", c.updatesPerSecond}};
  if (c.shareOf64 > 0) j["share_of_64_projection_rate"] = c.shareOf64;
  if (c.teamSeconds)
    j["team_seconds"] = {{"rows_out", c.teamSeconds->scatter},
                         {"sums", c.teamSeconds->sums},
                         {"gather", c.teamSeconds->gather}};
}

void to_json(json& j, const AutoSteerBenchRow& r) {
  j = {{"method", liveMethodName(r.method)},
       {"rate_pps", r.rate},
       {"steering", r.automatic ? "auto" : "fixed"},
       {"updates", r.updates},
       {"window", r.window},
       {"iterations", r.iterations},
       {"worst_lag_windows", r.worstLagWindows},
       {"worst_refresh_seconds", r.worstRefreshSeconds},
       {"median_refresh_seconds", r.medianRefreshSeconds},
       {"steering_reason", r.reason}};
}

void to_json(json& j, const StreamBenchResult& r) {
  j = {{"projector", r.projector},
       {"size", r.options.size},
       {"slices", r.options.slices},
       {"projections", r.options.projections},
       {"cells", r.cells}};
  if (r.rate64 > 0) j["ray_pixel_updates_per_s_64_projections"] = r.rate64;
  if (!r.autoSteer.empty()) {
    j["target_refresh_seconds"] = r.options.targetRefreshSeconds;
    j["auto_steer"] = r.autoSteer;
  }
}

void to_json(json& j, const TomoGanBenchRow& row) {
  j = {{"size", row.size},     {"precision", row.precision},
       {"tiles", row.tiles},   {"ms_per_slice", 1e3 * row.seconds},
       {"gflops", row.gflops}, {"fraction_of_peak", row.fractionOfPeak}};
}

void to_json(json& j, const TomoGanTorchRow& row) {
  j = {{"size", row.size}, {"ms_per_slice", 1e3 * row.seconds}};
}

void to_json(json& j, const TomoGanBenchResult& r) {
  j = {{"model", r.model},
       {"threads", r.threads},
       {"macs_per_pixel", r.multiplyAddsPerPixel},
       {"peak_f32_gflops", r.peakF32Gflops},
       {"peak_bf16_gflops", r.peakBf16Gflops},
       {"load_average", r.loadAverage},
       {"rows", r.rows},
       {"torch", r.torch},
       {"torch_version", r.torchVersion},
       {"torch_skipped", r.torchSkipped}};
}

void to_json(json& j, const QualityCell& c) {
  j = {{"scan", c.scan},
       {"window", c.window},
       {"iterations", c.iterations},
       {"rotations", c.rotations},
       {"projections", c.projectionsUsed},
       {"center", c.centre},
       {"ssim_streaming", c.ssimBefore},
       {"ssim_enhanced", c.ssimAfter},
       {"psnr_streaming", c.psnrBefore},
       {"psnr_enhanced", c.psnrAfter}};
}

void to_json(json& j, const QualityResult& r) {
  j = {{"enhancer", r.enhancer}, {"cells", r.cells}};
}

void to_json(json& j, const MethodScore& s) {
  j = {{"method", liveMethodName(s.candidate.method)},
       {"iterations", s.candidate.iterations},
       {"updates", s.updates},
       {"ssim_received", s.ssimReceived},
       {"psnr_received", s.psnrReceived},
       {"ssim_full", s.ssimFull},
       {"psnr_full", s.psnrFull},
       {"ssim_sample_received", s.ssimSampleReceived},
       {"ssim_sample_full", s.ssimSampleFull},
       {"refresh_median_seconds", s.medianRefresh},
       {"refresh_last_seconds", s.lastRefresh}};
}

void to_json(json& j, const MethodComparison& r) {
  j = {{"scan", r.scan},
       {"projections", r.projections},
       {"received", r.received},
       {"centre", r.centre},
       {"compute", r.compute},
       {"ssim_received_vs_full", r.ssimReceivedVsFull},
       {"ssim_sample_received_vs_full", r.ssimSampleReceivedVsFull},
       {"sample_share", r.sampleShare},
       {"reference_iterations", r.referenceIterations},
       {"scores", r.scores}};
}

void to_json(json& j, const AdviceRow& row) {
  j = {{"scan", adviceCaseName(row.scan)},
       {"phantom", phantomKindName(row.scan.phantom)},
       {"window", row.scan.window},
       {"iterations", row.scan.iterations},
       {"photons", row.scan.photons},
       {"updates", row.updates},
       {"final_ssim", row.finalSsim},
       {"plateau", row.plateau},
       {"advice", row.advice > 0 ? json(row.advice) : json()},
       {"offset", row.offset()},
       {"final_ssim_sample", row.finalSampleSsim},
       {"plateau_sample", row.samplePlateau},
       {"offset_sample", row.sampleOffset()},
       {"still_from", row.stillFrom},
       {"offset_still", row.stillOffset()}};
}

void to_json(json& j, const AdviceResult& r) {
  const AdviceBenchOptions& o = r.options;
  j = {{"size", o.size},
       {"slices", o.slices},
       {"projections", o.projections},
       {"seed", o.seed},
       {"order", o.order == AcquisitionOrder::Golden ? "golden" : "interlaced"},
       {"rows", r.rows},
       {"within_2", r.whole.within},
       {"early", r.whole.early},
       {"late", r.whole.late},
       {"sample",
        {{"within_2", r.sample.within}, {"early", r.sample.early}, {"late", r.sample.late}}},
       {"still", {{"within_2", r.still.within}, {"early", r.still.early}, {"late", r.still.late}}}};
}

}  // namespace tomolive
