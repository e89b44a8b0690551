#pragma once
// The pipeline's results as JSON (nlohmann's to_json, found by argument-dependent lookup): the
// field names of `stream --metrics` lines and of `recon`/`stream --json` (docs/streaming.md).
#include <nlohmann/json_fwd.hpp>

#include "pipeline/FileReconstruction.h"
#include "pipeline/StreamingSession.h"

namespace tomolive {

/// One metrics line per update; optional measures appear only when present.
void to_json(nlohmann::json& j, const UpdateMetrics& m);
/// The enhancement guard's verdict on update m.update, on a line of its own.
nlohmann::json enhancementVerdictJson(const UpdateMetrics& m);
/// The session's counts, recording state and sustained rate.
void to_json(nlohmann::json& j, const SessionSummary& s);
/// Centre, sizes, times, residuals and, with a ground truth, the scores.
void to_json(nlohmann::json& j, const FileReconResult& r);

}  // namespace tomolive
