#include "pipeline/cycle.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>

#include "core/content_hash.h"
#include "data/record_reader.h"
#include "lake/snapshot.h"
#include "model/batch_coder.h"
#include "model/model_io.h"
#include "pipeline/coded_output.h"
#include "pipeline/workspace_coding.h"
#include "registry/comparison.h"
#include "registry/model_registry.h"
#include "registry/monitoring.h"
#include "registry/training_run.h"
#include "review/review_queue.h"

namespace statcoder::pipeline {
namespace {

using json = nlohmann::json;

// Crash-safety tests kill the process here (SIGKILL, as a scheduler's timeout or the OOM killer
// would) when STATCODER_TEST_KILL_AT names the point: each step's side effects are done, its
// journal entry not yet committed. Never set in production.
void KillPoint(std::string_view point) {
  const char* at = std::getenv("STATCODER_TEST_KILL_AT");
  if (at != nullptr && point == at) {
    std::fflush(nullptr);
    std::raise(SIGKILL);
  }
}

// One cycle at a time per workspace: an advisory lock the kernel drops when the process dies,
// however it dies. Kept in the workspace root (tmp/ is cleaned by other processes).
class CycleLock {
 public:
  static core::Result<CycleLock> Take(const workspace::Workspace& ws) {
    const std::string path = ws.Path("cycle.lock");
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return core::IoError("cannot open the cycle lock '" + path + "'");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return core::FailedPrecondition(
          "another 'statcoder cycle' is running in this workspace (it holds " + path +
          "); run again when it has finished");
    }
    return CycleLock(fd);
  }
  CycleLock(CycleLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  CycleLock& operator=(CycleLock&&) = delete;
  ~CycleLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }

 private:
  explicit CycleLock(int fd) : fd_(fd) {}
  int fd_;
};

core::Status ValidatePeriod(const std::string& p) {
  if (p.empty() || p.size() > 32) {
    return core::InvalidArgument("--period must be 1 to 32 characters (e.g. 2025-07), got '" + p +
                                 "'");
  }
  for (char c : p) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) {
      return core::InvalidArgument("--period may hold letters, digits, '-', '_' and '.' only (e.g. "
                                   "2025-07, 2025-Q3), got '" + p + "'");
    }
  }
  return core::Status::Ok();
}

const json* FindStep(const store::CycleRow& c, std::string_view name) {
  for (const json& s : c.steps) {
    if (s.is_object() && s.value("step", "") == name) return &s;
  }
  return nullptr;
}

// A step is finished when it ran or was not due; "started", "waiting" and "failed" are not.
bool Finished(const store::CycleRow& c, std::string_view name) {
  const json* s = FindStep(c, name);
  if (s == nullptr) return false;
  const std::string state = s->value("state", "");
  return state == "done" || state == "skipped";
}

json Outputs(const store::CycleRow& c, std::string_view name) {
  const json* s = FindStep(c, name);
  return s != nullptr && s->contains("outputs") ? (*s)["outputs"] : json::object();
}

// Records a step's state in `c` (replacing an earlier entry of the step) and stores the row.
// Call inside the transaction of what the step wrote to the catalog.
core::Status Journal(workspace::Workspace& ws, store::CycleRow& c, const std::string& name,
                     const std::string& state, json inputs, json outputs) {
  json entry = {{"step", name},
                {"state", state},
                {"inputs", std::move(inputs)},
                {"outputs", std::move(outputs)},
                {"at", workspace::UtcNow()}};
  json steps = json::array();
  bool replaced = false;
  for (json& s : c.steps) {
    if (s.is_object() && s.value("step", "") == name) {
      steps.push_back(entry);
      replaced = true;
    } else {
      steps.push_back(std::move(s));
    }
  }
  if (!replaced) steps.push_back(std::move(entry));
  c.steps = std::move(steps);
  c.updated_at = workspace::UtcNow();
  return ws.store().UpdateCycle(c);
}

// The review items a cycle's code step queued (monitor batch `batch_id`) that are not decided
// yet: waiting for a coder (open) or for a supervisor (escalated, or an audit disagreement).
struct PendingReview {
  int64_t items = 0, open = 0, supervisor = 0;
  int64_t pending() const { return open + supervisor; }
  std::string Describe() const {
    return std::to_string(open) + " of the " + std::to_string(items) +
           " queued items wait for a coder and " + std::to_string(supervisor) +
           " for a supervisor's adjudication";
  }
};
PendingReview CountPending(const std::vector<store::ReviewItemRow>& all, int64_t batch_id) {
  PendingReview p;
  for (const store::ReviewItemRow& item : all) {
    if (batch_id == 0 || item.batch_id != batch_id) continue;
    ++p.items;
    p.open += item.status == "open";
    p.supervisor += item.status == "escalated" || item.status == "adjudication";
  }
  return p;
}
core::Result<PendingReview> CountPendingReview(workspace::Workspace& ws, int64_t batch_id) {
  ASSIGN_OR_RETURN(std::vector<store::ReviewItemRow> all, ws.store().ListReviewItems());
  return CountPending(all, batch_id);
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

// The cycle's work once the batch is in the lake and the cycle row exists.
class CycleRun {
 public:
  CycleRun(workspace::Workspace& ws, const CycleOptions& options, store::CycleRow& cycle,
           store::SnapshotRow batch)
      : ws_(ws), options_(options), c_(cycle), batch_(std::move(batch)) {}

  core::Result<CycleOutcome> Run() {
    RETURN_IF_ERROR(Code());
    RETURN_IF_ERROR(Monitor());
    RETURN_IF_ERROR(Feedback());
    RETURN_IF_ERROR(Train());
    RETURN_IF_ERROR(Compare());
    RETURN_IF_ERROR(PromoteChallenger());
    RETURN_IF_ERROR(FinalCodes());
    return Finish();
  }

  // What step is running (for the failure journal).
  const std::string& current() const { return current_; }

 private:
  int Threads() const {
    return options_.threads > 0 ? options_.threads : ws_.config().training.options.threads;
  }

  core::Result<store::ModelRow> Production() {
    core::Result<store::ModelRow> m = registry::ResolveModel(ws_, "production");
    if (!m.ok() && m.status().code() == core::StatusCode::kNotFound) {
      return core::FailedPrecondition(
          "the workspace has no production model to code the batch with; train one and promote "
          "it first ('statcoder train WS --snapshot ID', 'statcoder models promote WS VERSION')");
    }
    return m;
  }

  core::Status Code() {
    current_ = "code";
    if (Finished(c_, "code")) return core::Status::Ok();
    ASSIGN_OR_RETURN(store::ModelRow production, Production());
    ASSIGN_OR_RETURN(std::shared_ptr<const model::Model> model,
                     model::LoadModel(ws_.Path(production.path)));
    ASSIGN_OR_RETURN(data::Schema have, lake::SnapshotSchema(batch_));
    const data::Schema want = model::SchemaFor(*model, "", "");
    if (have.text_fields != want.text_fields || have.categorical_fields != want.categorical_fields ||
        have.numeric_fields != want.numeric_fields) {
      return core::InvalidArgument("batch snapshot " + batch_.id +
                                   " does not have the fields production model " +
                                   production.version + " reads (its schema differs)");
    }
    ASSIGN_OR_RETURN(data::Dataset ds, lake::LoadSnapshot(ws_, batch_));
    ASSIGN_OR_RETURN(std::vector<model::Prediction> preds,
                     model::PredictBatch(model, ds, kTopK, Threads()));
    ASSIGN_OR_RETURN(KnowledgeApplied kb, ApplyWorkspaceKnowledge(ws_, *model, ds, &preds));

    // The coded file first: rewritten with the same bytes if the step is redone.
    CodedWriter writer(data::FileFormat::kTsv, kTopK, /*kb_column=*/true);
    std::string out;
    writer.Header(&out);
    uint64_t counts[3] = {0, 0, 0};
    for (size_t i = 0; i < preds.size(); ++i) {
      writer.Record(*model, ds.records[i].id, preds[i], kb.applied.entry_ids[i], &out);
      ++counts[static_cast<int>(preds[i].decision)];
    }
    const std::string output = CycleOutputPath(c_.id);
    RETURN_IF_ERROR(ws_.MakeFolders(output.substr(0, output.rfind('/'))));
    RETURN_IF_ERROR(ws_.PutFile(output, out));
    KillPoint("output");

    json inputs = {{"batch_snapshot", batch_.id},
                   {"model_version", production.version},
                   {"model_sha256", production.file_sha256},
                   {"kb_version", kb.kb_version}};
    return ws_.store().Transaction([&]() -> core::Status {
      ASSIGN_OR_RETURN(RememberedBatch r,
                       RememberBatch(ws_, *model, ds, preds,
                                     {.label = c_.batch_file, .queue_review = true,
                                      .threads = Threads()}));
      c_.model_version = production.version;
      c_.coded_records = static_cast<int64_t>(preds.size());
      c_.queued_items = static_cast<int64_t>(r.queued_for_review + r.audit_sample);
      json outputs = r.ToJson();
      outputs["output"] = output;
      outputs["output_sha256"] = core::Sha256Hex(out);
      outputs["records"] = preds.size();
      outputs["auto"] = counts[static_cast<int>(model::Decision::kAuto)];
      outputs["kb"] = counts[static_cast<int>(model::Decision::kKb)];
      outputs["review"] = counts[static_cast<int>(model::Decision::kReview)];
      outputs["kb_conflicts"] = kb.applied.conflicts;
      RETURN_IF_ERROR(Journal(ws_, c_, "code", "done", std::move(inputs), std::move(outputs)));
      RETURN_IF_ERROR(ws_.Audit("cycle_code", {{"cycle", c_.id},
                                               {"batch_snapshot", batch_.id},
                                               {"model_version", production.version},
                                               {"records", preds.size()}})
                          .status());
      KillPoint("code");
      return core::Status::Ok();
    });
  }

  core::Status Monitor() {
    current_ = "monitor";
    if (Finished(c_, "monitor")) return core::Status::Ok();
    ASSIGN_OR_RETURN(json status, registry::MonitorStatus(ws_, {}));
    json evidence = json::array();
    if (status["recommendation"].is_object()) {
      for (const json& e : status["recommendation"].value("evidence", json::array())) {
        evidence.push_back({{"rule", e.value("rule", "")},
                            {"severity", e.value("severity", "")},
                            {"message", e.value("message", "")}});
      }
    }
    const json all = status.value("batches", json::array());
    // This cycle's batch as the monitor saw it, kept in the journal: after a promotion the
    // monitor follows the new model, and the batch's estimate would be out of its view.
    json batch = nullptr;
    const int64_t batch_id = Outputs(c_, "code").value("monitor_batch", int64_t{0});
    for (const json& b : all) {
      if (b.value("id", std::string()) == std::to_string(batch_id)) {  // ids are strings there
        batch = {{"id", batch_id},
                 {"estimated_accuracy", b.value("estimated_accuracy", json(nullptr))},
                 {"estimated_auto_precision", b.value("estimated_auto_precision", json(nullptr))},
                 {"alarms", b.value("alarms", json::array())}};
      }
    }
    KillPoint("monitor");
    return Journal(ws_, c_, "monitor", "done",
                   {{"model_version", c_.model_version}, {"batches", all.size()}},
                   {{"status", status.value("status", "no_data")},
                    {"evidence", evidence},
                    {"batch", batch}});
  }

  core::Status Feedback() {
    current_ = "feedback";
    if (Finished(c_, "feedback")) return core::Status::Ok();
    if (ws_.config().cycle.retrain == "never") {
      return Journal(ws_, c_, "feedback", "skipped", json::object(),
                     {{"reason", "[cycle] retrain = \"never\""}});
    }
    ASSIGN_OR_RETURN(store::ModelRow production, Production());
    // Rows of the reviewed records the production model already learned from.
    int64_t learned = 0;
    for (const std::string& id : production.snapshots) {
      ASSIGN_OR_RETURN(std::optional<store::SnapshotRow> s, ws_.store().FindSnapshot(id));
      if (s && s->kind == "feedback") learned = std::max(learned, static_cast<int64_t>(s->rows));
    }
    core::Result<review::ExportResult> exported = review::ExportFeedback(ws_, {});
    json outputs;
    if (!exported.ok()) {
      if (exported.status().code() != core::StatusCode::kFailedPrecondition) {
        return exported.status();
      }
      outputs = {{"snapshot", nullptr}, {"rows", 0}, {"new_reviewed", 0},
                 {"note", exported.status().message()}};
    } else {
      const store::SnapshotRow& s = exported->snapshot.row;
      outputs = {{"snapshot", s.id},
                 {"rows", s.rows},
                 {"new_reviewed", std::max<int64_t>(0, static_cast<int64_t>(s.rows) - learned)}};
    }
    KillPoint("feedback");
    return Journal(ws_, c_, "feedback", "done", {{"production", production.version}},
                   std::move(outputs));
  }

  // The production model's training snapshots, its older feedback replaced by the new export
  // (which holds every reviewed record, those older exports' included).
  core::Result<std::vector<std::string>> TrainingWindow(const store::ModelRow& production) {
    const json fb = Outputs(c_, "feedback");
    const bool has_feedback = fb.contains("snapshot") && fb["snapshot"].is_string();
    std::vector<std::string> window;
    for (const std::string& id : production.snapshots) {
      ASSIGN_OR_RETURN(std::optional<store::SnapshotRow> s, ws_.store().FindSnapshot(id));
      if (has_feedback && s && s->kind == "feedback") continue;
      window.push_back(id);
    }
    if (has_feedback) window.push_back(fb["snapshot"].get<std::string>());
    return window;
  }

  core::Result<std::string> EvaluationSnapshot(const store::ModelRow& production) {
    const std::string& configured = ws_.config().cycle.evaluation_snapshot;
    if (!configured.empty()) {
      ASSIGN_OR_RETURN(store::SnapshotRow row, lake::ResolveSnapshot(ws_.store(), configured));
      return row.id;
    }
    return production.evaluation_snapshots.empty() ? std::string()
                                                   : production.evaluation_snapshots.front();
  }

  core::Result<int64_t> CyclesCodedBy(const std::string& version) {
    ASSIGN_OR_RETURN(std::vector<store::CycleRow> all, ws_.store().ListCycles());
    return static_cast<int64_t>(std::count_if(all.begin(), all.end(), [&](const auto& c) {
      return c.model_version == version;
    }));
  }

  core::Status Train() {
    current_ = "train";
    if (Finished(c_, "train")) return core::Status::Ok();
    const workspace::CycleConfig& cfg = ws_.config().cycle;
    ASSIGN_OR_RETURN(store::ModelRow production, Production());
    const std::string monitor_status = Outputs(c_, "monitor").value("status", "no_data");
    const int64_t new_reviewed = Outputs(c_, "feedback").value("new_reviewed", int64_t{0});
    ASSIGN_OR_RETURN(int64_t cycles, CyclesCodedBy(production.version));
    const std::vector<std::string> reasons =
        RetrainReasons(cfg, monitor_status, cycles, new_reviewed);
    json decision = {{"monitor_status", monitor_status},
                     {"cycles_coded_by_production", cycles},
                     {"new_reviewed", new_reviewed},
                     {"retrain", cfg.retrain},
                     {"retrain_every", cfg.retrain_every},
                     {"min_new_reviewed", cfg.min_new_reviewed}};
    if (reasons.empty()) {
      return Journal(ws_, c_, "train", "skipped", std::move(decision),
                     {{"reason", "retraining not due"}});
    }
    decision["reasons"] = reasons;
    ASSIGN_OR_RETURN(std::vector<std::string> window, TrainingWindow(production));
    std::vector<std::string> sorted_window = window, sorted_production = production.snapshots;
    std::sort(sorted_window.begin(), sorted_window.end());
    std::sort(sorted_production.begin(), sorted_production.end());
    if (sorted_window == sorted_production) {
      return Journal(ws_, c_, "train", "skipped", std::move(decision),
                     {{"reason", "retraining is due but there is nothing new to learn from: no "
                                 "reviewed records beyond those the production model learned"}});
    }
    ASSIGN_OR_RETURN(std::string evaluation, EvaluationSnapshot(production));
    decision["snapshots"] = window;
    decision["evaluation_snapshot"] = evaluation;
    decision["config_sha256"] = core::Sha256Hex(ws_.config().training.options.ToJson().dump());

    // A run killed during training left a "started" entry; a model registered since then on
    // the same window is that run's (training in a workspace is reproducible, but this does not
    // depend on it), so it is not trained twice.
    std::string challenger;
    if (const json* s = FindStep(c_, "train"); s && s->value("state", "") == "started") {
      ASSIGN_OR_RETURN(std::vector<store::ModelRow> models, ws_.store().ListModels());
      for (const store::ModelRow& m : models) {
        std::vector<std::string> snaps = m.snapshots;
        std::sort(snaps.begin(), snaps.end());
        if (snaps == sorted_window && m.created_at >= s->value("at", "")) challenger = m.version;
      }
    } else {
      RETURN_IF_ERROR(Journal(ws_, c_, "train", "started", decision, json::object()));
    }
    json outputs;
    if (challenger.empty()) {
      registry::TrainingRunOptions to;
      to.snapshots = window;
      if (!evaluation.empty()) to.evaluation_snapshots = {evaluation};
      to.threads = options_.threads;
      to.progress = options_.progress;
      ASSIGN_OR_RETURN(registry::TrainingRun run, registry::TrainAndRegister(ws_, to));
      challenger = run.model.version;
      outputs = {{"challenger", challenger},
                 {"created", run.created},
                 {"training_records", run.training_records},
                 {"evaluation_records", run.evaluation_records},
                 {"training_seconds", run.training_seconds}};
    } else {
      outputs = {{"challenger", challenger}, {"created", false}, {"resumed", true}};
    }
    KillPoint("train");
    c_.challenger = challenger;
    if (challenger == production.version) {
      outputs["note"] = "the training window gave the production model again";
    }
    return Journal(ws_, c_, "train", "done", std::move(decision), std::move(outputs));
  }

  bool HasChallenger() const {
    return !c_.challenger.empty() && c_.challenger != c_.model_version;
  }

  core::Status Compare() {
    current_ = "compare";
    if (Finished(c_, "compare")) return core::Status::Ok();
    if (!HasChallenger()) {
      return Journal(ws_, c_, "compare", "skipped", json::object(),
                     {{"reason", "no challenger was trained"}});
    }
    ASSIGN_OR_RETURN(store::ModelRow production, Production());
    ASSIGN_OR_RETURN(std::string evaluation, EvaluationSnapshot(production));
    json inputs = {{"champion", production.version},
                   {"challenger", c_.challenger},
                   {"evaluation_snapshot", evaluation}};
    if (evaluation.empty()) {
      return Journal(ws_, c_, "compare", "skipped", std::move(inputs),
                     {{"reason", "no frozen evaluation snapshot ([cycle] evaluation_snapshot, or "
                                 "one the production model was evaluated on): the challenger's "
                                 "quality report and the gates decide"}});
    }
    registry::CompareOptions co;
    co.champion = production.version;
    co.challenger = c_.challenger;
    co.snapshot = evaluation;
    co.threads = options_.threads;
    ASSIGN_OR_RETURN(registry::Comparison cmp, registry::CompareModels(ws_, co));
    json outputs = {{"verdict", cmp.report.value("verdict", "")}, {"report", cmp.report_path}};
    if (cmp.report.contains("champion") && cmp.report["champion"].is_object()) {
      outputs["champion_accuracy"] = cmp.report["champion"].value("accuracy", json(nullptr));
    }
    if (cmp.report.contains("challenger") && cmp.report["challenger"].is_object()) {
      outputs["challenger_accuracy"] = cmp.report["challenger"].value("accuracy", json(nullptr));
    }
    KillPoint("compare");
    return Journal(ws_, c_, "compare", "done", std::move(inputs), std::move(outputs));
  }

  core::Status PromoteChallenger() {
    current_ = "promote";
    if (Finished(c_, "promote")) return core::Status::Ok();
    if (!HasChallenger()) {
      return Journal(ws_, c_, "promote", "skipped", json::object(),
                     {{"reason", "no challenger was trained"}});
    }
    json inputs = {{"challenger", c_.challenger},
                   {"verdict", Outputs(c_, "compare").value("verdict", "")}};
    if (Outputs(c_, "compare").value("verdict", "") == "champion better") {
      advice_ = "the champion is better on the frozen evaluation snapshot: challenger " +
                c_.challenger + " stays a candidate with its report";
      return Journal(ws_, c_, "promote", "skipped", std::move(inputs), {{"reason", advice_}});
    }
    // A run killed after the promotion committed but before its journal entry: done already.
    ASSIGN_OR_RETURN(std::optional<store::AliasRow> alias,
                     ws_.store().FindAlias(ws_.config().classification, "production"));
    if (alias && alias->version == c_.challenger) {
      c_.promoted = true;
      return Journal(ws_, c_, "promote", "done", std::move(inputs),
                     {{"promoted", true}, {"previous", c_.model_version}});
    }
    // The promotion and its journal entry commit together.
    return ws_.store().Transaction([&]() -> core::Status {
      registry::PromoteOptions po;
      ASSIGN_OR_RETURN(registry::PromoteOutcome o, registry::Promote(ws_, c_.challenger, po));
      json outputs = {{"promoted", o.promoted}, {"gates", o.verdict.ToJson()}};
      std::string state = "done";
      if (o.promoted) {
        c_.promoted = true;
        outputs["previous"] = o.previous;
      } else {
        // Which gates refused: the ethics gate waits for a person; quality gates leave the
        // challenger a candidate (a person may still promote it with --force and a reason).
        std::vector<std::string> quality_failed;
        bool ethics_failed = false;
        for (const registry::GateCheck& g : o.verdict.checks) {
          if (g.passed) continue;
          if (g.name == "ethics") {
            ethics_failed = true;
          } else {
            quality_failed.push_back(g.name + " (" + g.detail + ")");
          }
        }
        if (quality_failed.empty() && ethics_failed) {
          state = "waiting";
          waiting_ = "challenger " + c_.challenger +
                     " needs an approved ethics self-assessment before promotion ('statcoder "
                     "ethics start WS --model " + c_.challenger +
                     "', answer, submit, approve); then run this cycle again";
          outputs["waiting_for"] = waiting_;
        } else {
          advice_ = "challenger " + c_.challenger + " stays a candidate: the gates refused it: " +
                    Joined(quality_failed) +
                    "; a person may promote it ('statcoder models promote WS " + c_.challenger +
                    " --force --reason ...') or leave the production model";
          outputs["reason"] = advice_;
        }
      }
      RETURN_IF_ERROR(Journal(ws_, c_, "promote", state, std::move(inputs), std::move(outputs)));
      KillPoint("promote");
      return core::Status::Ok();
    });
  }

  // The batch's final codes, once coders have decided every item the code step queued: the
  // model's decision where nobody reviewed the record, else the coder's (or, after an
  // escalation or a disagreement with an audited auto code, the supervisor's). Until then the
  // step is "pending", with the counts; [cycle] wait_for_review makes the cycle wait for it.
  core::Status FinalCodes() {
    current_ = "final";
    if (Finished(c_, "final")) return core::Status::Ok();
    const json code = Outputs(c_, "code");
    const int64_t batch_id = code.value("monitor_batch", int64_t{0});
    const std::string coded = code.value("output", CycleOutputPath(c_.id));
    json inputs = {{"monitor_batch", batch_id},
                   {"output", coded},
                   {"output_sha256", code.value("output_sha256", "")}};
    ASSIGN_OR_RETURN(std::vector<store::ReviewItemRow> all, ws_.store().ListReviewItems());
    ASSIGN_OR_RETURN(std::vector<store::ReviewDecisionRow> decisions,
                     ws_.store().ListReviewDecisions(-1));
    std::map<int64_t, std::vector<store::ReviewDecisionRow>> by_item;
    for (store::ReviewDecisionRow& d : decisions) by_item[d.item_id].push_back(std::move(d));
    std::vector<const store::ReviewItemRow*> items;
    for (const store::ReviewItemRow& item : all) {
      if (batch_id != 0 && item.batch_id == batch_id) items.push_back(&item);
    }
    const PendingReview pending = CountPending(all, batch_id);
    if (pending.pending() > 0) {
      json outputs = {{"items", pending.items},
                      {"open", pending.open},
                      {"awaiting_supervisor", pending.supervisor},
                      {"decided", pending.items - pending.pending()}};
      pending_ = pending.Describe();
      if (ws_.config().cycle.wait_for_review) {
        waiting_ = pending_ + "; the final codes are written when all are decided: run this "
                   "cycle again then";
        outputs["waiting_for"] = waiting_;
      }
      return Journal(ws_, c_, "final", "pending", std::move(inputs), std::move(outputs));
    }

    // Every item is decided: match them to the coded file's rows.
    ASSIGN_OR_RETURN(std::shared_ptr<const data::CodeList> codes, ws_.CodeList());
    data::ReaderOptions ro;
    ro.format = data::FileFormat::kTsv;
    ASSIGN_OR_RETURN(std::unique_ptr<data::RecordReader> reader,
                     data::RecordReader::Open(ws_.Path(coded), ro));
    ASSIGN_OR_RETURN(const size_t id_col, reader->ColumnIndex("id"));
    ASSIGN_OR_RETURN(const size_t code_col, reader->ColumnIndex("code"));
    ASSIGN_OR_RETURN(const size_t decision_col, reader->ColumnIndex("decision"));
    struct Row {
      std::string id, code, decision;
    };
    std::vector<Row> rows;
    data::RawRecord raw;
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader->Next(&raw));
      if (!more) break;
      if (!raw.error.ok()) return raw.error.WithContext("the cycle's coded file");
      rows.push_back({raw.fields[id_col], raw.fields[code_col], raw.fields[decision_col]});
    }
    // The coded file's fields are written without tabs and line breaks (CodedWriter); so is
    // every field of the final file.
    const auto field = [](std::string v) {
      for (char& ch : v) {
        if (ch == '\t' || ch == '\n' || ch == '\r') ch = ' ';
      }
      return v;
    };
    std::vector<const store::ReviewItemRow*> item_of(rows.size(), nullptr);
    // Items queued before they kept their row: by their record id, where it is unique.
    std::map<std::string, int64_t> row_of_id;
    for (size_t i = 0; i < rows.size(); ++i) {
      auto [it, fresh] = row_of_id.emplace(rows[i].id, static_cast<int64_t>(i));
      if (!fresh) it->second = -1;
    }
    for (const store::ReviewItemRow* item : items) {
      const json& kept = item->suggestions;
      const bool has_row = kept.is_object() && kept.contains("row");
      int64_t row = has_row && kept["row"].is_number_integer() ? kept["row"].get<int64_t>() : -1;
      const std::string id = field(item->record_id);
      if (!has_row && row_of_id.contains(id)) row = row_of_id[id];
      if (row < 0 || static_cast<size_t>(row) >= rows.size() ||
          rows[static_cast<size_t>(row)].id != id) {
        return core::DataLoss("review item " + std::to_string(item->id) + " of cycle " +
                              std::to_string(c_.id) + " does not match a row of " + coded +
                              " (queued before items kept their row, and its record id is not "
                              "unique in the batch; its decision stands in the review queue)");
      }
      item_of[static_cast<size_t>(row)] = item;
    }
    std::string out = "id\tcode\tdecision\tfinal_code\tfinal_title\tfinal_source\tfinal_by\n";
    int64_t by_source[4] = {0, 0, 0, 0};  // model, coder, supervisor, uncodable
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      std::string final_code = r.code, source = r.decision == "kb" ? "knowledge_base" : "model",
                  who;
      if (r.decision == "review" && item_of[i] == nullptr) {
        return core::DataLoss("row " + std::to_string(i + 1) + " of " + coded +
                              " was referred but no review item of cycle " +
                              std::to_string(c_.id) + " holds it");
      }
      if (const store::ReviewItemRow* item = item_of[i]) {
        final_code = review::FinalCode(*item, by_item[item->id]);
        const auto& ds = by_item[item->id];
        for (auto d = ds.rbegin(); d != ds.rend(); ++d) {
          if (d->action == "code" || d->action == "adjudicate" || d->action == "uncodable") {
            who = d->coder;
            break;
          }
        }
        source = final_code.empty() ? "uncodable"
                 : item->status == "closed" ? "supervisor"
                                            : "coder";
      }
      ++by_source[source == "coder"        ? 1
                  : source == "supervisor" ? 2
                  : source == "uncodable"  ? 3
                                           : 0];
      std::string title;
      if (codes != nullptr && !final_code.empty()) {
        const int32_t node = codes->Find(final_code);
        if (node >= 0) title = codes->node(node).title;
      }
      out += r.id + "\t" + r.code + "\t" + r.decision + "\t" + field(final_code) + "\t" +
             field(title) + "\t" + source + "\t" + field(who) + "\n";
    }
    const std::string final_path = CycleFinalPath(c_.id);
    RETURN_IF_ERROR(ws_.PutFile(final_path, out));
    KillPoint("final");
    wrote_final_ = true;
    return Journal(ws_, c_, "final", "done", std::move(inputs),
                   {{"output", final_path},
                    {"output_sha256", core::Sha256Hex(out)},
                    {"records", rows.size()},
                    {"by_model", by_source[0]},
                    {"by_coder", by_source[1]},
                    {"by_supervisor", by_source[2]},
                    {"uncodable", by_source[3]}});
  }

  core::Result<CycleOutcome> Finish() {
    CycleOutcome out;
    const json code = Outputs(c_, "code");
    std::string msg = "cycle " + std::to_string(c_.id) + " (" + c_.period + "): coded " +
                      std::to_string(c_.coded_records) + " records with model " +
                      c_.model_version + " (" + std::to_string(code.value("auto", int64_t{0})) +
                      " auto, " + std::to_string(code.value("kb", int64_t{0})) +
                      " from the knowledge base, " +
                      std::to_string(code.value("review", int64_t{0})) + " to review), " +
                      std::to_string(c_.queued_items) + " items queued; monitor: " +
                      Outputs(c_, "monitor").value("status", "no_data");
    const json* train = FindStep(c_, "train");
    if (train && train->value("state", "") == "skipped") {
      msg += "; no retraining (" + (*train)["outputs"].value("reason", "") + ")";
    } else if (HasChallenger()) {
      msg += "; challenger " + c_.challenger + " trained";
      if (c_.promoted) msg += " and promoted to production";
    }
    if (wrote_final_) {
      msg += "; final codes in " + CycleFinalPath(c_.id);
    } else if (!pending_.empty() && waiting_.empty()) {
      msg += "; final codes when the review is complete (" + pending_ + "): run this cycle again";
    }
    if (!waiting_.empty()) {
      c_.state = "waiting";
      out.result = CycleResult::kWaiting;
      msg += "; waiting: " + waiting_;
    } else {
      c_.state = "done";
      if (!advice_.empty()) msg += "; " + advice_;
    }
    c_.updated_at = workspace::UtcNow();
    RETURN_IF_ERROR(ws_.store().Transaction([&]() -> core::Status {
      RETURN_IF_ERROR(ws_.store().UpdateCycle(c_));
      return ws_.Audit("cycle_" + c_.state, {{"cycle", c_.id},
                                              {"period", c_.period},
                                              {"batch_snapshot", c_.batch_snapshot},
                                              {"challenger", c_.challenger},
                                              {"promoted", c_.promoted}})
          .status();
    }));
    out.cycle = c_;
    out.message = msg;
    return out;
  }

 private:
  workspace::Workspace& ws_;
  const CycleOptions& options_;
  store::CycleRow& c_;
  store::SnapshotRow batch_;
  std::string current_ = "ingest";
  std::string waiting_;  // what a person must do before the cycle can finish
  std::string advice_;   // what a person may do (a challenger left a candidate)
  std::string pending_;  // what the final codes wait for ("" when written or none queued)
  bool wrote_final_ = false;
  static constexpr int kTopK = 5;
};

}  // namespace

const char* CycleResultName(CycleResult r) {
  switch (r) {
    case CycleResult::kDone:
      return "done";
    case CycleResult::kNothingToDo:
      return "nothing_to_do";
    case CycleResult::kWaiting:
      return "waiting";
  }
  return "done";
}

std::string CycleOutputPath(int64_t cycle_id) {
  return "cycles/" + std::to_string(cycle_id) + "/coded.tsv";
}

std::string CycleFinalPath(int64_t cycle_id) {
  return "cycles/" + std::to_string(cycle_id) + "/final.tsv";
}

json CycleToJson(const store::CycleRow& c) {
  json steps = json::array();
  for (const json& s : c.steps) steps.push_back(s);
  return {{"id", c.id},
          {"period", c.period},
          {"batch_snapshot", c.batch_snapshot},
          {"batch_file", c.batch_file},
          {"state", c.state},
          {"steps", steps},
          {"model_version", c.model_version},
          {"coded_records", c.coded_records},
          {"queued_items", c.queued_items},
          {"challenger", c.challenger.empty() ? json(nullptr) : json(c.challenger)},
          {"promoted", c.promoted},
          {"output", Finished(c, "code") ? json(CycleOutputPath(c.id)) : json(nullptr)},
          {"final_output", Finished(c, "final") ? json(CycleFinalPath(c.id)) : json(nullptr)},
          {"actor", c.actor},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at}};
}

json CycleOutcome::ToJson() const {
  json j = CycleToJson(cycle);
  j["result"] = CycleResultName(result);
  j["message"] = message;
  return j;
}

std::vector<std::string> RetrainReasons(const workspace::CycleConfig& config,
                                        const std::string& monitor_status,
                                        int64_t cycles_since_training, int64_t new_reviewed) {
  std::vector<std::string> reasons;
  if (config.retrain == "never") return reasons;
  if (config.retrain == "always") reasons.push_back("[cycle] retrain = \"always\"");
  if (monitor_status == "retrain") reasons.push_back("the monitor recommends retraining");
  if (config.retrain_every > 0 && cycles_since_training >= config.retrain_every) {
    reasons.push_back("the production model has coded " + std::to_string(cycles_since_training) +
                      " cycles ([cycle] retrain_every = " + std::to_string(config.retrain_every) +
                      ")");
  }
  if (config.min_new_reviewed > 0 && new_reviewed >= config.min_new_reviewed) {
    reasons.push_back(std::to_string(new_reviewed) +
                      " reviewed records are not yet learned from ([cycle] min_new_reviewed = " +
                      std::to_string(config.min_new_reviewed) + ")");
  }
  return reasons;
}

core::Result<CycleOutcome> RunCycle(workspace::Workspace& ws, const CycleOptions& options) {
  if (options.batch_file.empty()) return core::InvalidArgument("--batch FILE is required");
  if (!options.period.empty()) RETURN_IF_ERROR(ValidatePeriod(options.period));
  ASSIGN_OR_RETURN(CycleLock lock, CycleLock::Take(ws));

  // The batch enters the lake first: its snapshot id (the records' content) is the cycle's
  // identity, so the same records rerun find their cycle whatever the file is called.
  lake::IngestOptions io;
  io.kind = "batch";
  ASSIGN_OR_RETURN(lake::IngestResult ingested, lake::Ingest(ws, options.batch_file, io));
  KillPoint("ingest");
  ASSIGN_OR_RETURN(std::optional<store::CycleRow> found,
                   ws.store().FindCycleByBatch(ingested.row.id));
  store::CycleRow c;
  if (found) {
    c = std::move(*found);
    if (!options.period.empty() && options.period != c.period) {
      return core::InvalidArgument("these records are the batch of cycle " + std::to_string(c.id) +
                                   " (period " + c.period + "), not of period " + options.period +
                                   " ('statcoder cycle status WS')");
    }
    // A finished cycle whose final codes were still pending runs that step again (below).
    const json* final_step = FindStep(c, "final");
    bool still_pending = false;
    std::string pending_text;
    if (c.state == "done" && final_step != nullptr && !Finished(c, "final")) {
      const json code = Outputs(c, "code");
      const int64_t batch_id = code.is_object() && code.contains("monitor_batch") &&
                                       code["monitor_batch"].is_number_integer()
                                   ? code["monitor_batch"].get<int64_t>()
                                   : 0;
      ASSIGN_OR_RETURN(const PendingReview p, CountPendingReview(ws, batch_id));
      still_pending = p.pending() > 0;
      pending_text = p.Describe();
    }
    if (c.state == "done" && (final_step == nullptr || Finished(c, "final") || still_pending)) {
      CycleOutcome out;
      out.cycle = c;
      out.result = CycleResult::kNothingToDo;
      out.message = "cycle " + std::to_string(c.id) + " (" + c.period + ") of this batch finished at " +
                    c.updated_at + "; nothing to do";
      if (still_pending) {
        out.message += " until the review is complete: " + pending_text +
                       " (then this command writes the final codes)";
      }
      return out;
    }
  } else {
    const std::string now = workspace::UtcNow();
    c.period = options.period.empty() ? now.substr(0, 7) : options.period;
    c.batch_snapshot = ingested.row.id;
    c.batch_file = std::filesystem::path(options.batch_file).filename().string();
    c.state = "running";
    c.steps = json::array();
    c.actor = ws.actor();
    c.created_at = now;
    c.updated_at = now;
    RETURN_IF_ERROR(ws.store().Transaction([&]() -> core::Status {
      ASSIGN_OR_RETURN(c.id, ws.store().InsertCycle(c));
      RETURN_IF_ERROR(Journal(ws, c, "ingest", "done",
                              {{"batch_file", c.batch_file},
                               {"batch_file_sha256", ingested.row.source_sha256}},
                              {{"batch_snapshot", ingested.row.id},
                               {"rows", ingested.row.rows},
                               {"rejected", ingested.row.rejected},
                               {"created", ingested.created}}));
      return ws.Audit("cycle_start", {{"cycle", c.id},
                                      {"period", c.period},
                                      {"batch_snapshot", c.batch_snapshot}})
          .status();
    }));
  }
  if (c.state != "running") {
    c.state = "running";
    RETURN_IF_ERROR(ws.store().UpdateCycle(c));
  }
  CycleRun run(ws, options, c, ingested.row);
  core::Result<CycleOutcome> out = run.Run();
  if (!out.ok()) {
    // Journaled, so `cycle status` shows where and why; a rerun resumes at this step.
    // (What the failed step's transaction wrote was rolled back; `c` may hold more than the
    // catalog, so the row is read back first.)
    core::Result<std::optional<store::CycleRow>> stored = ws.store().FindCycleByBatch(c.batch_snapshot);
    if (stored.ok() && stored->has_value()) {
      store::CycleRow failed = **stored;
      failed.state = "failed";
      (void)Journal(ws, failed, run.current(), "failed", json::object(),
                    {{"error", out.status().message()},
                     {"code", std::string(core::StatusCodeName(out.status().code()))}});
    }
  }
  return out;
}

}  // namespace statcoder::pipeline
