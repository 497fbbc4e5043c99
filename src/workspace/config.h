// WorkspaceConfig: the workspace's one configuration file, statcoder.toml (reference:
// docs/formats/statcoder_toml.md), parsed with toml++. Every key is known: an unknown table or
// key, a wrong type or an out-of-range value is an error naming the file, line and key.
//
//   ASSIGN_OR_RETURN(WorkspaceConfig config, LoadConfig(ws + "/statcoder.toml"));
//   data::Schema schema = config.schema;
//
// Thread-safety: a WorkspaceConfig is a plain value.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "data/code_list.h"
#include "data/dataset.h"
#include "model/train_options.h"

namespace statcoder::workspace {

// The newest statcoder.toml format this build reads and writes (`format_version`).
inline constexpr int kConfigFormatVersion = 1;

// What `promote` requires of a model's quality report (report_v1.md) and review.
struct GateConfig {
  std::optional<double> min_accuracy;   // top-1 accuracy at the finest level, [0, 1]
  std::optional<double> min_auto_rate;  // auto-coding rate at target_precision, [0, 1]
  double target_precision = 0.95;       // one of 0.90, 0.95, 0.97, 0.99
  std::optional<double> max_ece;        // expected calibration error after calibration
  bool allow_flagged_subgroups = false; // a subgroup the report flags blocks promotion
  bool require_ethics = true;           // an approved ethics self-assessment is needed
};

// The gates `statcoder init` writes into a new workspace, so that a model is never promoted on
// its ethics assessment alone. They are floors any model fit for production coding clears, not
// targets: top-1 accuracy at the finest level of 0.50 (the peers of docs/benchmarks.md reach
// 0.61-0.72 on the shared indexes; a model below half right is not one to code with) and an
// expected calibration error after calibration of at most 0.10 (statcoder's models measure
// 0.02-0.08; fastText's 0.16-0.28, with which thresholds on confidence mean little). The
// auto-coding rate is left to the office: 5 % to 40 % at precision 0.95 on the shared data,
// worth it or not by its own cost. A statcoder.toml without a gate key does not check it.
GateConfig RecommendedGates();

struct KnowledgeBaseConfig {
  // The model "strongly disagrees" with a knowledge-base entry when its top code has at least
  // this probability and is neither the entry's code nor above or below it in the code list;
  // such records go to review (reason kb_conflict).
  double disagreement_probability = 0.9;
};

struct IngestConfig {
  double max_reject_share = 0.05;      // more rejected rows than this fails the ingest
  size_t max_field_bytes = 64 * 1024;
};

struct TrainingConfig {
  // Options of `statcoder train` (model/trainer.h), featurizer included; fields come from the
  // schema. Deterministic, as `train` is by default: a workspace's models must be reproducible.
  model::TrainOptions options = [] {
    model::TrainOptions o;
    o.deterministic = true;
    return o;
  }();
  // Share of the training snapshots' records held out (seeded) for the quality report when
  // `train` is given no evaluation snapshot; (0, 0.5].
  double test_fraction = 0.1;
  // As `train --char-ngrams`, canonical ("3-4" or "off"); mirrors options.featurizer's
  // char_ngram_min/max, which are what RenderConfig writes.
  std::string char_ngrams = "3-4";
};

// The clerical review queue of `statcoder serve` (docs/server.md, "Review queue").
struct ReviewConfig {
  // Share of auto-coded records drawn for blind second coding (measured accuracy); [0, 1].
  double audit_rate = 0.02;
  // Seed of the draw: the n-th auto-coded record of a server process draws
  // core::DeriveSeed(audit_seed, n) (SplitMix64 mixer) as a uniform in [0, 1).
  uint64_t audit_seed = 1;
};

// Monitoring of coded batches (docs/monitoring.md): how the server cuts its traffic into
// batches, and the drift tests' family-wise error rate.
struct MonitorConfig {
  // A window of API traffic is stored as one batch when it reaches this many records...
  int64_t window_records = 1000;
  // ... or this many minutes after its first record, whichever comes first.
  int64_t window_minutes = 60;
  // Family-wise error rate of one batch's drift tests (Holm); (0, 0.5].
  double alpha = 0.01;
};

// A production cycle (`statcoder cycle`, docs/cycle.md): when it retrains, and where champion
// and challenger are compared.
struct CycleConfig {
  // "auto": when the monitor recommends it, the schedule says so or enough reviewed records
  // are new; "always"; "never".
  std::string retrain = "auto";
  int64_t retrain_every = 0;       // retrain after the production model coded N cycles; 0: off
  int64_t min_new_reviewed = 500;  // retrain when this many reviewed records are new; 0: off
  std::string evaluation_snapshot;  // frozen labelled snapshot; "": the production model's
  // The cycle's last step writes every record's final code once coders have decided all its
  // queued items; true: until then the cycle is waiting for a person (exit 10), false: it is
  // done and a rerun writes them when they are all decided.
  bool wait_for_review = false;
};

struct WorkspaceConfig {
  int format_version = kConfigFormatVersion;
  std::string classification;          // names the production slot; default: the label field
  data::Schema schema;                 // [schema]; label_field required
  std::string codelist_file;           // [codelist] file, relative to the workspace; may be empty
  data::CodeListOptions codelist;      // column names
  TrainingConfig training;
  GateConfig gates;
  KnowledgeBaseConfig kb;
  IngestConfig ingest;
  ReviewConfig review;
  MonitorConfig monitor;
  CycleConfig cycle;
};

// Parses statcoder.toml text; `path` names it in messages ("statcoder.toml:12: unknown key
// 'gates.min_acuracy' (did you mean 'min_accuracy'?); known keys of [gates]: ..."), which report
// the first error in file order. kInvalidInput for malformed TOML, unknown keys, wrong types and
// invalid values; kUnsupportedVersion for a newer format_version (checked first).
core::Result<WorkspaceConfig> ParseConfig(const std::string& text, const std::string& path);
core::Result<WorkspaceConfig> LoadConfig(const std::string& path);

// The statcoder.toml `init` writes: every section, the values of `config`, and a comment on
// each key. ParseConfig(RenderConfig(c)) gives back c.
std::string RenderConfig(const WorkspaceConfig& config);

// "text=title,notes;label=naics2022;categorical=sector;numeric=employees;id=rid;group=region"
// (the `init --schema` syntax) → Schema. kInvalidArgument naming the bad part.
core::Result<data::Schema> ParseSchemaSpec(const std::string& spec);

}  // namespace statcoder::workspace
