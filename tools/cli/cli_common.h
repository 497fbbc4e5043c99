// Shared pieces of the statcoder command line: exit codes, error printing, the progress bar,
// option groups that several verbs share, and record loading against a model's schema.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/progress.h"
#include "core/status.h"
#include "data/dataset.h"
#include "model/model.h"
#include "model/batch_coder.h"
#include "model/predictor.h"

namespace statcoder::cli {

// Documented exit codes (docs/cli.md). One table maps every StatusCode to one of them.
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,          // invalid_argument, or a flag CLI11 rejected
  kExitInvalidInput = 3,   // malformed data file
  kExitNotFound = 4,       // file, column, code or model missing
  kExitPrecondition = 5,   // e.g. reject share above the limit
  kExitCorrupt = 6,        // corrupt, truncated or too-new model file
  kExitIo = 7,             // the OS refused a read or write
  kExitLimit = 8,          // an explicit size limit was crossed
};

int ExitCodeFor(core::StatusCode code);

// Prints "statcoder <verb>: error: <message>" (or a JSON object with --json) to stderr and
// returns the exit code for the status.
int ReportError(const std::string& verb, const core::Status& status, bool json);

// A progress callback that draws a bar with ETA on stderr, only when stderr is a terminal and
// the user did not ask for --quiet; otherwise it does nothing.
core::ProgressCallback MakeProgressBar(bool quiet);

// "a,b , c" → {"a","b","c"}; empty items dropped.
std::vector<std::string> SplitList(const std::string& s);

// A policy's thresholds as one line of text, the full code's first, then the coarser levels
// deepest first, named by the model's code list: "full code 0.8123; broad 0.6890, minor never,
// major never". A threshold that no cut reaches (above 1, model::kNeverAuto, or null as in
// report JSON) reads "never", never "2.000". `level_thresholds` is indexed by depth - 1.
std::string ThresholdsText(const model::Model& model, const nlohmann::json& label_threshold,
                           const nlohmann::json& level_thresholds);

// Prints an `auto_rate_at_precision` object (quality/quality_report.h) of `model` as indented
// lines, one per target precision, each with its thresholds.
void PrintAutoRateAtPrecision(const model::Model& model, const nlohmann::json& at_precision);

// Options shared by verbs that read records.
struct InputOptions {
  std::string format = "auto";
  size_t max_field_bytes = 64 * 1024;
  double max_reject_share = 0.0;
  std::string rejects_path;  // empty: <output>.rejects.tsv next to the output

  void AddTo(CLI::App* app);
  core::Result<data::ReaderOptions> ToReaderOptions() const;
};

// Applies the reject policy after loading: writes the rejects file when there are rejections,
// then fails when their share is above the limit. `default_rejects` is used when no path was
// given.
core::Status HandleRejects(const data::Dataset& ds, const InputOptions& input,
                           const std::string& default_rejects);

// Flags shared by the verbs that code records with a model (code, evaluate).
struct CodingOptions {
  std::string model_path, data_path, id;
  std::vector<std::string> keep;  // input columns copied to the output (code --keep)
  int top_k = 5;
  int threads = 1;
  InputOptions input;

  // `data_help` describes the --data file for this verb. Without `model_required`, the caller
  // finds the model another way (a workspace's production model) when --model is not given.
  void AddTo(CLI::App* app, const std::string& data_help, bool model_required = true);
};

// A model, the records it coded and its predictions (one per record, in order).
struct CodedBatch {
  std::shared_ptr<const model::Model> model;
  data::Dataset dataset;
  std::vector<model::Prediction> predictions;
  model::BatchEvidence evidence;  // filled when asked for (evaluation)
  double seconds = 0;  // plain coding time, loading and evidence excluded
};

// Loads the model and the records (with `label_field` when not empty, validated against the
// model's code list), applies the reject policy (rejects file at `default_rejects` unless
// --rejects says otherwise), and codes every accepted record.
// With `evidence`, also keeps what evaluation needs to apply other policies (slower).
// `group_field` (optional) is read for subgroup quality.
// The id column for reading records with `model`: --id when given, else a column named "id"
// that the model does not read and that has none of `other_roles` (label, group columns),
// else "" (the record number).
core::Result<std::string> IdFieldFor(const CodingOptions& options,
                                     const data::ReaderOptions& reader_options,
                                     const model::Model& model,
                                     const std::vector<std::string>& other_roles);

core::Result<CodedBatch> LoadAndCode(const CodingOptions& options, const std::string& label_field,
                                     const std::string& default_rejects,
                                     const core::ProgressCallback& progress,
                                     bool evidence = false, const std::string& group_field = "");

}  // namespace statcoder::cli
