#pragma once
// The benchmarks' and evaluations' results as JSON (nlohmann's to_json, found by
// argument-dependent lookup), with the field names of `bench … --json`, `quality --json` and
// `methods --json` (docs/performance.md, docs/quality.md).
#include <nlohmann/json_fwd.hpp>

#include "bench/AdviceEvaluation.h"
#include "bench/LiveMethodComparison.h"
#include "bench/ProjectorBenchmark.h"
#include "bench/QualityEvaluation.h"
#include "bench/StreamBenchmark.h"
#include "bench/TomoGanBenchmark.h"

namespace tomolive {

void to_json(nlohmann::json& j, const ProjectorBenchRow& row);
void to_json(nlohmann::json& j, const ProjectorBenchResult& r);
void to_json(nlohmann::json& j, const StreamBenchCell& c);
void to_json(nlohmann::json& j, const AutoSteerBenchRow& r);
void to_json(nlohmann::json& j, const StreamBenchResult& r);
void to_json(nlohmann::json& j, const TomoGanBenchRow& row);
void to_json(nlohmann::json& j, const TomoGanTorchRow& row);
void to_json(nlohmann::json& j, const TomoGanBenchResult& r);
void to_json(nlohmann::json& j, const QualityCell& c);
void to_json(nlohmann::json& j, const QualityResult& r);
void to_json(nlohmann::json& j, const MethodScore& s);
void to_json(nlohmann::json& j, const MethodComparison& r);
void to_json(nlohmann::json& j, const AdviceRow& row);
void to_json(nlohmann::json& j, const AdviceResult& r);

}  // namespace tomolive
