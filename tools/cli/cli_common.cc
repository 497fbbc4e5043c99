#include "cli_common.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "data/record_reader.h"
#include "model/batch_coder.h"
#include "model/model_io.h"
#include "quality/coding_summary.h"

namespace statcoder::cli {

int ExitCodeFor(core::StatusCode code) {
  using core::StatusCode;
  switch (code) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument: return kExitUsage;
    case StatusCode::kInvalidInput: return kExitInvalidInput;
    case StatusCode::kNotFound: return kExitNotFound;
    case StatusCode::kAlreadyExists: return kExitPrecondition;
    case StatusCode::kFailedPrecondition: return kExitPrecondition;
    case StatusCode::kDataLoss: return kExitCorrupt;
    case StatusCode::kUnsupportedVersion: return kExitCorrupt;
    case StatusCode::kIoError: return kExitIo;
    case StatusCode::kLimitExceeded: return kExitLimit;
    case StatusCode::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

int ReportError(const std::string& verb, const core::Status& status, bool json) {
  const int exit_code = ExitCodeFor(status.code());
  if (json) {
    nlohmann::json j = {{"error",
                         {{"code", std::string(core::StatusCodeName(status.code()))},
                          {"message", status.message()},
                          {"exit_code", exit_code}}}};
    // A message may quote invalid UTF-8 (a file name, a damaged file's bytes): replaced by
    // U+FFFD, so the error keeps its exit code instead of failing to print.
    std::fprintf(stderr, "%s\n",
                 j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fprintf(stderr, "statcoder %s: error: %s\n", verb.c_str(), status.message().c_str());
  }
  return exit_code;
}

core::ProgressCallback MakeProgressBar(bool quiet) {
  if (quiet || !::isatty(STDERR_FILENO)) return nullptr;
  struct State {
    std::string stage;
    std::chrono::steady_clock::time_point start;
    std::chrono::steady_clock::time_point last_draw;
  };
  auto state = std::make_shared<State>();
  return [state](std::string_view stage, uint64_t done, uint64_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (stage != state->stage) {
      if (!state->stage.empty()) std::fputc('\n', stderr);
      state->stage = std::string(stage);
      state->start = now;
      state->last_draw = {};
    }
    const bool finished = total > 0 && done >= total;
    if (!finished && now - state->last_draw < std::chrono::milliseconds(100)) return;
    state->last_draw = now;
    const double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    const double elapsed = std::chrono::duration<double>(now - state->start).count();
    const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
    std::fprintf(stderr, "\r%-26s [%s] %3d%%  %5.1fs  ETA %5.1fs", state->stage.c_str(),
                 bar.c_str(), static_cast<int>(frac * 100), elapsed, finished ? 0.0 : eta);
    if (finished) {
      std::fputc('\n', stderr);
      state->stage.clear();
    }
    std::fflush(stderr);
  };
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    const size_t b = item.find_first_not_of(" \t");
    const size_t e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    start = end + 1;
  }
  return out;
}

void InputOptions::AddTo(CLI::App* app) {
  app->add_option("--format", format, "Input format: auto (from the extension), tsv, csv, jsonl")
      ->capture_default_str();
  app->add_option("--max-field-bytes", max_field_bytes,
                  "Longest accepted field in bytes; longer fields reject their record")
      ->capture_default_str();
  app->add_option("--max-reject-share", max_reject_share,
                  "Largest share of rejected records before the run fails (0 = any reject fails)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--rejects", rejects_path,
                  "Where rejected records go, with line and reason (TSV); default "
                  "<output>.rejects.tsv");
}

core::Result<data::ReaderOptions> InputOptions::ToReaderOptions() const {
  data::ReaderOptions r;
  ASSIGN_OR_RETURN(r.format, data::ParseFileFormat(format));
  if (max_field_bytes == 0) return core::InvalidArgument("--max-field-bytes must be positive");
  r.max_field_bytes = max_field_bytes;
  return r;
}

core::Status HandleRejects(const data::Dataset& ds, const InputOptions& input,
                           const std::string& default_rejects) {
  if (!ds.rejections.empty()) {
    const std::string path = input.rejects_path.empty() ? default_rejects : input.rejects_path;
    RETURN_IF_ERROR(data::WriteRejects(ds, path));
    std::fprintf(stderr, "statcoder: %zu record(s) of '%s' rejected; reasons in '%s'\n",
                 ds.rejections.size(), ds.path.c_str(), path.c_str());
  }
  return data::CheckRejectShare(ds, input.max_reject_share);
}

void CodingOptions::AddTo(CLI::App* app, const std::string& data_help, bool model_required) {
  CLI::Option* model = app->add_option("--model", model_path, "Model file (.stc)");
  if (model_required) model->required();
  app->add_option("--data", data_path, data_help)->required();
  app->add_option("--id", id,
                  "Id column; default: a column named id, else the record number");
  app->add_option("--top-k", top_k, "Codes listed per record (1..100)")->capture_default_str();
  app->add_option("--threads", threads, "Coding threads (1..256)")->capture_default_str();
  input.AddTo(app);
}

core::Result<std::string> IdFieldFor(const CodingOptions& options,
                                     const data::ReaderOptions& reader_options,
                                     const model::Model& model,
                                     const std::vector<std::string>& other_roles) {
  if (!options.id.empty()) return options.id;
  // Without --id, a column named "id" that the model does not read is the records' id.
  ASSIGN_OR_RETURN(std::unique_ptr<data::RecordReader> reader,
                   data::RecordReader::Open(options.data_path, reader_options));
  const std::vector<std::string>& header = reader->header();
  const data::Schema reads = model::SchemaFor(model, "", "");
  const auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  if (has(header, "id") && !has(reads.text_fields, "id") &&
      !has(reads.categorical_fields, "id") && !has(reads.numeric_fields, "id") &&
      !has(other_roles, "id")) {
    return std::string("id");
  }
  return std::string();
}

core::Result<CodedBatch> LoadAndCode(const CodingOptions& options, const std::string& label_field,
                                     const std::string& default_rejects,
                                     const core::ProgressCallback& progress, bool evidence,
                                     const std::string& group_field) {
  if (options.top_k < 1 || options.top_k > 100) {
    return core::InvalidArgument("--top-k must be in 1..100");
  }
  if (options.threads < 1 || options.threads > 256) {
    return core::InvalidArgument("--threads must be in 1..256");
  }
  CodedBatch batch;
  ASSIGN_OR_RETURN(batch.model, model::LoadModel(options.model_path));
  data::LoadOptions load;
  ASSIGN_OR_RETURN(load.reader, options.input.ToReaderOptions());
  ASSIGN_OR_RETURN(const std::string id,
                   IdFieldFor(options, load.reader, *batch.model, {label_field, group_field}));
  data::Schema schema = model::SchemaFor(*batch.model, id, label_field);
  schema.group_field = group_field;
  schema.kept_fields = options.keep;
  // With a code list, a true code outside it is an input error (rejected); a valid code the
  // model never saw is a miss for evaluation, not an error.
  const data::CodeList* codes = label_field.empty() ? nullptr : batch.model->code_list();
  ASSIGN_OR_RETURN(batch.dataset, data::LoadDataset(options.data_path, schema, load, codes));
  RETURN_IF_ERROR(HandleRejects(batch.dataset, options.input, default_rejects));
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(batch.predictions, model::PredictBatch(batch.model, batch.dataset, options.top_k,
                                                          options.threads, progress));
  batch.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (evidence) {
    // A second pass, so the timing above is that of plain coding.
    ASSIGN_OR_RETURN(batch.predictions,
                     model::PredictBatch(batch.model, batch.dataset, options.top_k,
                                         options.threads, nullptr, &batch.evidence));
  }
  return batch;
}

std::string ThresholdsText(const model::Model& model, const nlohmann::json& label_threshold,
                           const nlohmann::json& level_thresholds) {
  // Four decimals, as the rates and precisions beside them.
  const auto text = [](const nlohmann::json& t) {
    return quality::ThresholdText(t.is_number() ? t.get<double>() : model::kNeverAuto, 4);
  };
  std::string out = "full code " + text(label_threshold);
  const data::CodeList* codes = model.code_list();
  if (codes == nullptr || !level_thresholds.is_array()) return out;
  int deepest = 1;
  for (size_t c = 0; c < model.num_labels(); ++c) deepest = std::max(deepest, model.LabelDepth(c));
  std::string levels;
  // Only the levels above the codes: the entry at the codes' own depth is never used (the full
  // code has its own threshold) and would only add a confusing "never".
  for (int d = deepest - 1; d >= 1; --d) {
    const auto i = static_cast<size_t>(d - 1);
    if (i >= level_thresholds.size()) continue;
    levels += (levels.empty() ? "" : ", ") + codes->LevelName(d) + " " + text(level_thresholds[i]);
  }
  return levels.empty() ? out : out + "; " + levels;
}

void PrintAutoRateAtPrecision(const model::Model& model, const nlohmann::json& at_precision) {
  for (const auto& [key, v] : at_precision.items()) {
    if (v.is_null()) {
      std::printf("    %s  no thresholds in this model\n", key.c_str());
      continue;
    }
    if (v["precision"].is_null()) {
      std::printf("    %s  rate 0 (nothing auto-coded)\n", key.c_str());
    } else {
      std::printf("    %s  rate %.4f, precision reached %.4f\n", key.c_str(),
                  v["auto_rate"].get<double>(), v["precision"].get<double>());
    }
    std::printf("          thresholds: %s\n",
                ThresholdsText(model, v["threshold"], v["level_thresholds"]).c_str());
  }
}

}  // namespace statcoder::cli
