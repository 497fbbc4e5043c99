// Champion vs challenger: two registered models coded the same labelled snapshot, and paired
// tests of whether one is better (docs/monitoring.md, "Champion vs challenger").
//
//   ASSIGN_OR_RETURN(Comparison c, CompareModels(ws, {.champion = "production",
//                                                   .challenger = "candidate",
//                                                   .snapshot = "3f2a9c"}));
//   c.report["verdict"]  // "challenger better", "champion better", "no significant difference"
//
// Both models code every record of the snapshot (model alone, without the knowledge base).
// Per model: top-1 accuracy (as the quality report: the top label equals the record's code),
// accuracy at each level of the workspace's code list, the auto-coding rate and its precision
// under the model's own policy, and the largest full-code auto-coding rate reachable at a
// common target precision on these records (top-1 labels only, no partial coding; records taken
// by decreasing top-1 confidence, whole ties at a time: an oracle cut chosen on the records it is
// measured on, the same for both models, so it compares how well each model ranks its own errors
// rather than predicting a policy's rate). Paired: McNemar's exact test on the records one model
// got right and the other wrong (overall and per level), and seeded paired-bootstrap 95% intervals
// of the differences (challenger − champion). The report is written to
// reports/compare/<champion>_vs_<challenger>_<snapshot16>.json and audited as "compare".
//
// Thread-safety: functions of one Workspace, which is used by one thread; McNemarExactP and
// MaxCoverageAtPrecision are pure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

#include "core/result.h"
#include "workspace/workspace.h"

namespace statcoder::registry {

struct CompareOptions {
  std::string champion = "production";  // alias, version or unique version prefix
  std::string challenger;               // alias, version or unique version prefix; required
  std::string snapshot;                 // id or unique prefix of a labelled snapshot; required
  // Precision at which the auto-coding rates are compared, (0, 1]; unset: [gates]
  // target_precision of statcoder.toml.
  std::optional<double> target_precision;
  int replicates = 1000;  // paired-bootstrap replicates, 0..100000 (0: no intervals)
  uint64_t seed = 1;      // of the bootstrap draws
  double alpha = 0.05;    // significance level of the verdict, (0, 0.5]
  int threads = 0;        // coding threads; 0: [training] threads

  // kInvalidArgument naming the option and its range.
  core::Status Validate() const;
};

struct Comparison {
  nlohmann::json report;    // docs/cli.md, "statcoder compare"
  std::string report_path;  // workspace-relative
};

// Errors: kInvalidArgument (options, a batch snapshot or one without the label field, another
// schema), kNotFound (model or snapshot), kFailedPrecondition (an empty snapshot), kDataLoss /
// kIoError from reading model and snapshot files or writing the report.
core::Result<Comparison> CompareModels(workspace::Workspace& ws, const CompareOptions& options);

// Two-sided exact McNemar p-value: under H0 the b + c discordant pairs split as a fair coin,
// p = min(1, 2 · P[Binomial(b + c, 1/2) ≤ min(b, c)]); 1 when b + c = 0.
double McNemarExactP(uint64_t b, uint64_t c);

// The largest share of the records (given by `sample`, indices with repeats allowed) that can
// be auto-coded with precision ≥ `target`, taking records by decreasing confidence and ties
// whole. `threshold` (optional) receives the lowest confidence taken (NaN when none).
// REQUIRES: confidence.size() == right.size(); every index < their size.
double MaxCoverageAtPrecision(std::span<const double> confidence, std::span<const uint8_t> right,
                              std::span<const uint32_t> sample, double target,
                              double* threshold = nullptr);

}  // namespace statcoder::registry
