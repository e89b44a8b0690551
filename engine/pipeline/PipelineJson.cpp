#include "pipeline/PipelineJson.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "nn/EnhancementGuard.h"

namespace tomolive {

namespace {

using nlohmann::json;

void putIfPresent(json& j, const char* name, const std::optional<double>& value) {
  if (value) j[name] = *value;
}

void putIfNotEmpty(json& j, const char* name, const std::string& value) {
  if (!value.empty()) j[name] = value;
}

}  // namespace

void to_json(json& j, const UpdateMetrics& m) {
  j = {{"update", m.update},
       {"received", m.received},
       {"consumed", m.consumed},
       {"window", m.window},
       {"projections", m.projections},
       {"projections_used", m.projectionsUsed},
       {"skipped", m.skipped},
       {"method", m.method},
       {"iterations", m.iterations},
       {"center", m.centre},
       {"centre", m.centre},
       {"centre_source", m.centreSource},
       {"refresh_seconds", m.refreshSeconds},
       {"work_seconds", m.workSeconds},
       {"sustained_pps", m.sustainedPps},
       {"lag", m.lag},
       {"elapsed_seconds", m.elapsedSeconds},
       {"record_dropped", m.recordDropped},
       {"quality_seconds", m.qualitySeconds}};
  putIfNotEmpty(j, "record_problem", m.recordProblem);
  putIfNotEmpty(j, "region", m.region);
  putIfPresent(j, "ssim", m.ssim);
  putIfPresent(j, "change", m.change);
  putIfPresent(j, "structural_change", m.structuralChange);
  putIfPresent(j, "change_made_good", m.changeMadeGood);
  putIfPresent(j, "halves_change", m.halvesChange);
  putIfPresent(j, "expected_gain", m.expectedGain);
  putIfPresent(j, "expected_gain_halves", m.halvesGain);
  putIfPresent(j, "psnr", m.psnr);
  putIfPresent(j, "residual", m.residual);
  putIfPresent(j, "resolution_px", m.resolutionPixels);
  putIfPresent(j, "resolution_um", m.resolutionMicrometres);
  putIfPresent(j, "angular_gap_deg", m.angularGapDegrees);
  if (!m.advice.empty()) {
    j["advice"] = m.advice;
    j["advice_reason"] = m.adviceReason;
    j["scan_complete"] = m.scanComplete;
  }
  putIfNotEmpty(j, "steering_reason", m.steeringReason);
}

json enhancementVerdictJson(const UpdateMetrics& m) {
  const double ratio = m.enhancedResidualRatio.value_or(0.0);
  return {{"update", m.update},
          {"enhanced_residual_ratio", ratio},
          {"enhancement_weight", m.enhancementWeight.value_or(0.0)},
          {"enhancement_held_out_weight",
           m.enhancementHeldOutWeight ? json(*m.enhancementHeldOutWeight) : json(nullptr)},
          {"enhancement_disagrees", ratio > kDisagreementRatio},
          {"enhancement_note", m.enhancementNote},
          {"enhancement_guard_seconds", m.enhancementGuardSeconds.value_or(0.0)}};
}

void to_json(json& j, const SessionSummary& s) {
  j = {{"state", sessionStateName(s.state)},
       {"frames_received", s.framesReceived},
       {"frames_recorded", s.framesRecorded},
       {"record_dropped", s.record.dropped},
       {"record_peak_queued_bytes", s.record.peakQueuedBytes},
       {"frames_missing", s.source.missing},
       {"frames_duplicate", s.source.duplicates},
       {"messages_rejected", s.source.rejected},
       {"projections_received", s.projectionsReceived},
       {"projections_consumed", s.projectionsConsumed},
       {"projections_skipped", s.projectionsSkipped},
       {"updates", s.updates},
       {"stopped_early", s.stoppedEarly},
       {"ended_idle", s.endedIdle},
       {"elapsed_seconds", s.elapsedSeconds},
       {"work_seconds", s.workSeconds},
       {"sustained_pps", s.workSeconds > 0 ? s.projectionsConsumed / s.workSeconds : 0.0}};
  putIfNotEmpty(j, "error", s.error);
  putIfNotEmpty(j, "record_warning", s.record.warning);
  if (!s.record.stopped.empty()) {
    j["record_stopped"] = s.record.stopped;
    j["frames_not_recorded"] = s.record.notRecorded;
  }
}

void to_json(json& j, const FileReconResult& r) {
  j = {{"center", r.centre},
       {"center_estimated", r.centreEstimated},
       {"center_source", r.centreSource},
       {"projections", r.projections},
       {"slices", r.slices},
       {"columns", r.columns},
       {"seconds", r.reconSeconds},
       {"read_seconds", r.readSeconds},
       {"repaired_pixels", r.repairedPixels},
       {"flat_dark_zingers_left_out", r.flatDarkZingers},
       {"empty_projections_left_out", r.emptyProjections},
       {"projector", r.projector},
       {"residual_first", r.history.front().weightedResidual},
       {"residual_last", r.history.back().weightedResidual}};
  if (r.ssim) {
    j["ssim"] = *r.ssim;
    j["psnr"] = std::isfinite(*r.psnr) ? json(*r.psnr) : json(nullptr);
    j["nrmse"] = *r.nrmse;
  }
  putIfNotEmpty(j, "ground_truth_note", r.groundTruthNote);
  putIfNotEmpty(j, "format_note", r.formatNote);
  putIfNotEmpty(j, "angle_note", r.angleNote);
  putIfNotEmpty(j, "centre_note", r.centreNote);
  putIfNotEmpty(j, "flat_note", r.flatNote);
}

}  // namespace tomolive
