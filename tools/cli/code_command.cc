// statcoder code: code new records with a model; one output row per input record, in order.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli_common.h"
#include "joint_commands.h"
#include "commands.h"
#include "core/file_util.h"
#include "data/record_reader.h"
#include "kb/knowledge_base.h"
#include "pipeline/coded_output.h"
#include "pipeline/workspace_coding.h"
#include "registry/model_registry.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct CodeFlags {
  CodingOptions coding;
  std::string out_path = "-";
  // Output format: empty = by --out's extension; "sdmx-csv" for joint models of SDMX keys.
  std::string format, structure_id;
  std::vector<std::string> dimension_columns;  // sdmx-csv: DIM=COLUMN
  std::string memory, reporter;                // joint models: the reporter memory
  bool json = false, quiet = false;
  // Coding in a workspace: its production model (or --model-version) and knowledge base.
  WorkspaceArgs ws;
  std::string model_version = "production";
  bool no_review = false;  // workspace: don't queue referred records for review
};

// What coding in a workspace adds to plain coding.
struct WorkspaceCoding {
  std::unique_ptr<workspace::Workspace> ws;
  kb::KbApplied applied;
  int64_t kb_version = 0;
};

core::Result<WorkspaceCoding> OpenWorkspaceCoding(CodeFlags& f) {
  WorkspaceCoding wc;
  if (f.ws.workspace.empty() && f.ws.positionals.empty() &&
      !workspace::FindWorkspace("").ok()) {
    return core::InvalidArgument("--model is required (or code in a workspace: statcoder code WS "
                                 "--data FILE)");
  }
  ASSIGN_OR_RETURN(wc.ws, f.ws.Open(0, false, nullptr));
  ASSIGN_OR_RETURN(store::ModelRow m, registry::ResolveModel(*wc.ws, f.model_version));
  f.coding.model_path = wc.ws->Path(m.path);
  if (f.coding.id.empty()) f.coding.id = wc.ws->config().schema.id_field;
  return wc;
}

core::Status RunCode(CodeFlags& f) {
  std::optional<WorkspaceCoding> wc;
  if (!f.ws.workspace.empty() || !f.ws.positionals.empty() || f.coding.model_path.empty()) {
    ASSIGN_OR_RETURN(wc, OpenWorkspaceCoding(f));
  }
  if (f.coding.data_path.empty()) return core::InvalidArgument("--data is required");
  // --format names the input's format; sdmx-csv is no input format, so it is the output's.
  if (f.coding.input.format == "sdmx-csv") {
    if (!f.format.empty() && f.format != "sdmx-csv") {
      return core::InvalidArgument("--format sdmx-csv and --out-format " + f.format +
                                   " contradict each other");
    }
    f.format = "sdmx-csv";
    f.coding.input.format = "auto";
  }
  if (!wc && IsJointModelFile(f.coding.model_path)) {
    return RunJointCode(f.coding, {.out_path = f.out_path,
                                   .format = f.format,
                                   .structure_id = f.structure_id,
                                   .dimension_columns = f.dimension_columns,
                                   .memory = {f.memory, f.reporter},
                                   .json = f.json,
                                   .quiet = f.quiet});
  }
  if (f.format == "sdmx-csv") {
    return core::InvalidArgument("--format sdmx-csv writes SDMX keys, which a joint model codes "
                                 "(statcoder train --label DIM1,DIM2,... --structure FILE); '" +
                                 f.coding.model_path + "' codes one classification");
  }
  if (!f.memory.empty()) {
    return core::InvalidArgument("--memory is for joint models (several classifications or SDMX "
                                 "keys); a single model's confirmed codes live in a workspace's "
                                 "knowledge base (statcoder kb)");
  }
  if (!f.structure_id.empty() || !f.dimension_columns.empty()) {
    return core::InvalidArgument("--structure-id and --sdmx-dimension are for --format sdmx-csv "
                                 "with a joint model");
  }
  data::FileFormat out_format =
      f.out_path == "-" ? data::FileFormat::kTsv : data::FormatFromPath(f.out_path);
  if (!f.format.empty()) {
    ASSIGN_OR_RETURN(out_format, data::ParseFileFormat(f.format));
    if (out_format == data::FileFormat::kAuto) {
      out_format = f.out_path == "-" ? data::FileFormat::kTsv : data::FormatFromPath(f.out_path);
    }
  }
  pipeline::CodedWriter writer(out_format, f.coding.top_k, wc.has_value(), f.coding.keep);
  RETURN_IF_ERROR(writer.CheckKeptNames());
  const std::string base = f.out_path == "-" ? f.coding.data_path : f.out_path;
  ASSIGN_OR_RETURN(CodedBatch batch, LoadAndCode(f.coding, "", base + ".rejects.tsv",
                                                 MakeProgressBar(f.quiet || f.json)));
  const model::Model* m = batch.model.get();
  const data::Dataset& ds = batch.dataset;
  std::vector<model::Prediction>& preds = batch.predictions;
  const double seconds = batch.seconds;
  if (wc) {
    ASSIGN_OR_RETURN(pipeline::KnowledgeApplied k,
                     pipeline::ApplyWorkspaceKnowledge(*wc->ws, *m, ds, &preds));
    wc->applied = std::move(k.applied);
    wc->kb_version = k.kb_version;
  }

  std::string out;
  out.reserve(ds.records.size() * (64 + static_cast<size_t>(f.coding.top_k) * 20));
  writer.Header(&out);
  uint64_t auto_count = 0, kb_count = 0;
  for (size_t i = 0; i < preds.size(); ++i) {
    writer.Record(*m, ds.records[i].id, preds[i], wc ? wc->applied.entry_ids[i] : 0, &out,
                  ds.records[i].kept);
    auto_count += preds[i].decision == model::Decision::kAuto;
    kb_count += preds[i].decision == model::Decision::kKb;
  }
  const uint64_t review_count = preds.size() - auto_count - kb_count;
  if (f.out_path == "-") {
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
      return core::IoError("cannot write coded records to standard output");
    }
  } else {
    RETURN_IF_ERROR(core::WriteFileAtomic(f.out_path, out));
  }
  const double n = static_cast<double>(std::max<size_t>(preds.size(), 1));
  nlohmann::json summary = {{"records", preds.size()},
                            {"rejected", ds.rejections.size()},
                            {"auto", auto_count},
                            {"kb", kb_count},
                            {"review", review_count},
                            {"auto_rate", static_cast<double>(auto_count) / n},
                            {"seconds", seconds},
                            {"records_per_second", static_cast<double>(preds.size()) / std::max(seconds, 1e-9)},
                            {"model_version", m->version_id()},
                            {"out", f.out_path}};
  if (wc) {
    summary["workspace"] = wc->ws->root();
    summary["kb_version"] = wc->kb_version;
    summary["kb_conflicts"] = wc->applied.conflicts;
    // Every batch coded in a workspace is monitored (docs/monitoring.md).
    ASSIGN_OR_RETURN(pipeline::RememberedBatch remembered,
                     pipeline::RememberBatch(
                         *wc->ws, *m, ds, preds,
                         {.label = std::filesystem::path(f.coding.data_path).filename().string(),
                          .queue_review = !f.no_review,
                          .threads = 0}));
    summary.update(remembered.ToJson());
  }
  f.json = f.json || f.ws.json;
  if (f.json && f.out_path != "-") {
    std::printf("%s\n", summary.dump(2).c_str());
  } else if (!f.quiet) {
    std::fprintf(stderr,
                 "coded %zu records with model %s: %llu auto (%.1f%%), %llu from the knowledge "
                 "base, %llu to review; %.0f records/s\n",
                 preds.size(), m->version_id().c_str(),
                 static_cast<unsigned long long>(auto_count),
                 100.0 * static_cast<double>(auto_count) / n,
                 static_cast<unsigned long long>(kb_count),
                 static_cast<unsigned long long>(review_count),
                 summary["records_per_second"].get<double>());
  }
  return core::Status::Ok();
}

}  // namespace

Command AddCodeCommand(CLI::App& app) {
  auto flags = std::make_shared<CodeFlags>();
  CLI::App* sub = app.add_subcommand("code", "Code new records with a model");
  flags->coding.AddTo(sub, "Records to code (TSV, CSV or JSON Lines)", /*model_required=*/false);
  // In a workspace: its production model and knowledge base, instead of --model.
  sub->add_option("workspace", flags->ws.positionals, "Workspace (instead of --model)");
  sub->add_option("--keep", flags->coding.keep,
                  "Input columns to copy to the output, after the coded columns (comma-separated)")
      ->delimiter(',');
  sub->add_option("--workspace", flags->ws.workspace, "Workspace folder");
  sub->add_option("--actor", flags->ws.actor, "Who is acting (workspace)");
  sub->add_option("--model-version", flags->model_version,
                  "Workspace: the model to use (version, 'production' or 'candidate')")
      ->capture_default_str();
  sub->add_option("--out", flags->out_path,
                  "Coded output (.tsv, .csv or .jsonl by extension; - for standard output)")
      ->capture_default_str();
  sub->add_option("--out-format", flags->format,
                  "Output format: tsv, csv, jsonl (default: by --out's extension), or sdmx-csv "
                  "(SDMX-CSV 2.0 keys of a joint model, statcoder's TSV beside it); "
                  "`--format sdmx-csv` says the same, as no input has that format");
  sub->add_option("--structure-id", flags->structure_id,
                  "sdmx-csv: the STRUCTURE_ID to write (default: the structure the model was "
                  "trained with)");
  sub->add_option("--memory", flags->memory,
                  "Joint models: confirmed codes per reporter and descriptor (a table with the "
                  "--reporter column, the model's text fields and label fields), reused before "
                  "the model");
  sub->add_option("--reporter", flags->reporter, "The reporter column, for --memory");
  sub->add_option("--sdmx-dimension", flags->dimension_columns,
                  "Joint SDMX models: DIM=COLUMN, the input column holding a dimension the "
                  "model does not code (REF_AREA=reporter), written into sdmx-csv keys and "
                  "checked against the structure's constraints; default: the column named as "
                  "the dimension")
      ->delimiter(',');
  sub->add_flag("--no-review", flags->no_review,
                "Workspace: don't queue referred records and the audit sample for review");
  sub->add_flag("--json", flags->json, "Print a JSON summary (when --out is a file)");
  sub->add_flag("--quiet", flags->quiet, "No progress bar or summary");
  return {sub, [flags] {
            core::Status s = RunCode(*flags);
            return s.ok() ? kExitOk : ReportError("code", s, flags->json || flags->ws.json);
          }};
}

}  // namespace statcoder::cli
