// statcoder code: code new records with a model; one output row per input record, in order.
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli_common.h"
#include "commands.h"
#include "core/file_util.h"
#include "data/record_reader.h"
#include "kb/knowledge_base.h"
#include "model/batch_coder.h"
#include "model/model_io.h"
#include "registry/model_registry.h"
#include "registry/monitoring.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct CodeFlags {
  CodingOptions coding;
  std::string out_path = "-";
  bool json = false, quiet = false;
  // Coding in a workspace: its production model (or --model-version) and knowledge base.
  WorkspaceArgs ws;
  std::string model_version = "production";
  bool no_review = false;  // workspace: don't queue referred records for review
};

// What coding in a workspace adds to plain coding.
struct WorkspaceCoding {
  std::unique_ptr<workspace::Workspace> ws;
  std::unique_ptr<kb::KnowledgeBase> kb;
  kb::KbApplied applied;
};

// Output rows as TSV (default), CSV (RFC 4180) or JSON Lines, chosen by the --out extension.
class CodedWriter {
 public:
  // With `kb_column`, a last column `kb_entry` names the knowledge-base entry used (or empty).
  CodedWriter(data::FileFormat format, int top_k, bool kb_column)
      : format_(format), top_k_(top_k), kb_column_(kb_column) {}

  void Header(std::string* out) const {
    if (format_ == data::FileFormat::kJsonl) return;
    std::vector<std::string> cols = {"id", "code", "confidence", "decision", "level", "level_name"};
    for (int k = 1; k <= top_k_; ++k) {
      cols.push_back("top" + std::to_string(k) + "_code");
      cols.push_back("top" + std::to_string(k) + "_prob");
    }
    cols.push_back("model_version");
    cols.push_back("reason");
    if (kb_column_) cols.push_back("kb_entry");
    Row(cols, out);
  }

  void Record(const model::Model& m, const std::string& id, const model::Prediction& p,
              int64_t kb_entry, std::string* out) const {
    const std::string level_name =
        m.code_list() ? m.code_list()->LevelName(p.level) : std::string("code");
    if (format_ == data::FileFormat::kJsonl) {
      nlohmann::json alts = nlohmann::json::array();
      for (const auto& t : p.top) {
        alts.push_back({{"code", m.label(static_cast<size_t>(t.label))},
                        {"probability", Round(t.probability)}});
      }
      nlohmann::json j = {{"id", id},
                          {"code", p.code},
                          {"confidence", Round(p.confidence)},
                          {"decision", std::string(model::DecisionName(p.decision))},
                          {"level", p.level},
                          {"level_name", level_name},
                          {"top", alts},
                          {"model_version", m.version_id()},
                          {"reason", std::string(p.reason)}};
      if (kb_column_) j["kb_entry"] = kb_entry ? nlohmann::json(kb_entry) : nlohmann::json(nullptr);
      out->append(j.dump());
      out->push_back('\n');
      return;
    }
    std::vector<std::string> cols = {id,
                                     p.code,
                                     Fixed(p.confidence),
                                     std::string(model::DecisionName(p.decision)),
                                     std::to_string(p.level),
                                     level_name};
    for (int k = 0; k < top_k_; ++k) {
      if (static_cast<size_t>(k) < p.top.size()) {
        cols.push_back(m.label(static_cast<size_t>(p.top[static_cast<size_t>(k)].label)));
        cols.push_back(Fixed(p.top[static_cast<size_t>(k)].probability));
      } else {
        cols.push_back("");
        cols.push_back("");
      }
    }
    cols.push_back(m.version_id());
    cols.push_back(std::string(p.reason));
    if (kb_column_) cols.push_back(kb_entry ? std::to_string(kb_entry) : "");
    Row(cols, out);
  }

 private:
  static double Round(double v) { return std::round(v * 1e6) / 1e6; }
  static std::string Fixed(double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 6);
    return std::string(buf, r.ptr);
  }
  void Row(const std::vector<std::string>& cols, std::string* out) const {
    const char sep = format_ == data::FileFormat::kCsv ? ',' : '\t';
    for (size_t i = 0; i < cols.size(); ++i) {
      if (i) out->push_back(sep);
      if (format_ == data::FileFormat::kCsv) {
        AppendCsvField(cols[i], out);
      } else {
        // Ids come from user data; keep the TSV rectangular whatever they contain.
        for (char c : cols[i]) out->push_back(c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
      }
    }
    out->push_back('\n');
  }
  static void AppendCsvField(const std::string& s, std::string* out) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) {
      out->append(s);
      return;
    }
    out->push_back('"');
    for (char c : s) {
      if (c == '"') out->push_back('"');
      out->push_back(c);
    }
    out->push_back('"');
  }

  data::FileFormat format_;
  int top_k_;
  bool kb_column_;
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

// Every batch coded in a workspace is monitored (docs/monitoring.md): its statistics are
// stored, the shadow challenger (if one is set) codes it too without changing the output, and
// its referred records and audit sample enter the review queue.
core::Result<nlohmann::json> MonitorAndQueue(workspace::Workspace& ws, const CodedBatch& batch,
                                             const std::string& data_path, bool queue_review) {
  const model::Model& m = *batch.model;
  registry::CodedBatchInput in{.model = &m,
                               .dataset = &batch.dataset,
                               .predictions = batch.predictions,
                               .label = std::filesystem::path(data_path).filename().string(),
                               .queue_review = queue_review,
                               .shadow = nullptr,
                               .shadow_version = ""};
  ASSIGN_OR_RETURN(store::ModelRow row, registry::ResolveModel(ws, m.version_id()));
  ASSIGN_OR_RETURN(std::optional<store::ModelRow> challenger,
                   registry::ShadowModel(ws, row.classification));
  std::optional<registry::ShadowAgreement> shadow;
  nlohmann::json shadow_json = nullptr;
  if (challenger && challenger->version != m.version_id()) {
    ASSIGN_OR_RETURN(std::shared_ptr<const model::Model> other,
                     model::LoadModel(ws.Path(challenger->path)));
    const data::Schema a = model::SchemaFor(*other, "", ""), b = model::SchemaFor(m, "", "");
    if (a.text_fields != b.text_fields || a.categorical_fields != b.categorical_fields ||
        a.numeric_fields != b.numeric_fields) {
      return core::FailedPrecondition("shadow model " + challenger->version +
                                      " reads other fields than model " + m.version_id() +
                                      "; turn shadow mode off ('statcoder shadow WS --challenger " +
                                      challenger->version + " off')");
    }
    ASSIGN_OR_RETURN(std::vector<model::Prediction> theirs,
                     model::PredictBatch(other, batch.dataset, 5,
                                         static_cast<int>(std::thread::hardware_concurrency())));
    ASSIGN_OR_RETURN(kb::KnowledgeBase knowledge,
                     kb::KnowledgeBase::Load(ws.store(), model::SchemaFor(*other, "", "")));
    kb::ApplyKnowledgeBase(knowledge, *other, batch.dataset,
                           ws.config().kb.disagreement_probability, &theirs);
    shadow = registry::CompareShadow(m, *other, batch.dataset, batch.predictions, theirs);
    in.shadow = &*shadow;
    in.shadow_version = challenger->version;
    shadow_json = {{"version", challenger->version},
                   {"compared", shadow->compared},
                   {"agree", shadow->agree},
                   {"agreement", shadow->compared > 0 ? static_cast<double>(shadow->agree) /
                                                            static_cast<double>(shadow->compared)
                                                      : 0.0}};
  }
  ASSIGN_OR_RETURN(registry::RecordedBatch recorded, registry::RecordCodedBatch(ws, in));
  return nlohmann::json{{"monitor_batch", recorded.batch_id},
                        {"queued_for_review", recorded.referred},
                        {"audit_sample", recorded.audit_sample},
                        {"shadow", shadow_json}};
}

core::Status RunCode(CodeFlags& f) {
  std::optional<WorkspaceCoding> wc;
  if (!f.ws.workspace.empty() || !f.ws.positionals.empty() || f.coding.model_path.empty()) {
    ASSIGN_OR_RETURN(wc, OpenWorkspaceCoding(f));
  }
  if (f.coding.data_path.empty()) return core::InvalidArgument("--data is required");
  const std::string base = f.out_path == "-" ? f.coding.data_path : f.out_path;
  ASSIGN_OR_RETURN(CodedBatch batch, LoadAndCode(f.coding, "", base + ".rejects.tsv",
                                                 MakeProgressBar(f.quiet || f.json)));
  const model::Model* m = batch.model.get();
  const data::Dataset& ds = batch.dataset;
  std::vector<model::Prediction>& preds = batch.predictions;
  const double seconds = batch.seconds;
  if (wc) {
    // The knowledge base comes before the model (kb/knowledge_base.h).
    ASSIGN_OR_RETURN(kb::KnowledgeBase knowledge,
                     kb::KnowledgeBase::Load(wc->ws->store(), model::SchemaFor(*m, "", "")));
    wc->kb = std::make_unique<kb::KnowledgeBase>(std::move(knowledge));
    wc->applied = kb::ApplyKnowledgeBase(*wc->kb, *m, ds,
                                         wc->ws->config().kb.disagreement_probability, &preds);
  }

  const data::FileFormat out_format =
      f.out_path == "-" ? data::FileFormat::kTsv : data::FormatFromPath(f.out_path);
  CodedWriter writer(out_format, f.coding.top_k, wc.has_value());
  std::string out;
  out.reserve(ds.records.size() * (64 + static_cast<size_t>(f.coding.top_k) * 20));
  writer.Header(&out);
  uint64_t auto_count = 0, kb_count = 0;
  for (size_t i = 0; i < preds.size(); ++i) {
    writer.Record(*m, ds.records[i].id, preds[i], wc ? wc->applied.entry_ids[i] : 0, &out);
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
    summary["kb_version"] = wc->kb->version();
    summary["kb_conflicts"] = wc->applied.conflicts;
    ASSIGN_OR_RETURN(const nlohmann::json monitored,
                     MonitorAndQueue(*wc->ws, batch, f.coding.data_path, !f.no_review));
    summary.update(monitored);
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
  sub->add_option("--workspace", flags->ws.workspace, "Workspace folder");
  sub->add_option("--actor", flags->ws.actor, "Who is acting (workspace)");
  sub->add_option("--model-version", flags->model_version,
                  "Workspace: the model to use (version, 'production' or 'candidate')")
      ->capture_default_str();
  sub->add_option("--out", flags->out_path,
                  "Coded output (.tsv, .csv or .jsonl by extension; - for standard output)")
      ->capture_default_str();
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
