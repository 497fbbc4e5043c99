#include "review/review_queue.h"

#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "data/dataset.h"

namespace statcoder::review {
namespace {

using json = nlohmann::json;

bool IsOneOf(const std::string& s, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    if (s == o) return true;
  }
  return false;
}

// Whether `code` is `auto_code` or lies below it: a partial auto code (rolled up to a higher
// level) agrees with every detailed code under it.
bool Agrees(const std::string& code, const std::string& auto_code, const data::CodeList* codes) {
  if (code == auto_code) return true;
  if (codes == nullptr) return false;
  for (int32_t n = codes->Find(code); n >= 0; n = codes->node(n).parent) {
    if (codes->node(n).code == auto_code) return true;
  }
  return false;
}

}  // namespace

bool IsBlind(const store::ReviewItemRow& item, bool supervisor_view) {
  return item.kind == kAuditSample && !supervisor_view;
}

json ShownSuggestions(const store::ReviewItemRow& item, bool supervisor_view) {
  json shown = json::array();
  if (IsBlind(item, supervisor_view)) return shown;
  const json top = item.suggestions.value("top", json::array());
  for (size_t i = 0; i < top.size() && i < kShownSuggestions; ++i) shown.push_back(top[i]);
  return shown;
}

nlohmann::json SuggestionsJson(const model::Model& model, const model::Prediction& prediction) {
  nlohmann::json top = nlohmann::json::array();
  for (const auto& t : prediction.top) {
    top.push_back({{"code", model.label(static_cast<size_t>(t.label))},
                   {"probability", std::round(t.probability * 1e6) / 1e6}});
  }
  return {{"top", std::move(top)},
          {"code", prediction.code},
          {"decision", std::string(model::DecisionName(prediction.decision))},
          {"reason", std::string(prediction.reason)}};
}

core::Result<DecisionOutcome> ApplyDecision(store::MetadataStore& store, int64_t item_id,
                                            const DecisionRequest& r, const data::CodeList* codes) {
  if (!IsOneOf(r.action, {"code", "uncodable", "skip", "escalate", "adjudicate"})) {
    return core::InvalidArgument("action '" + r.action +
                                 "' is not one of code, uncodable, skip, escalate, adjudicate");
  }
  const bool with_code = r.action == "code" || r.action == "adjudicate";
  if (with_code && r.code.empty()) {
    return core::InvalidArgument("action '" + r.action + "' needs \"code\"");
  }
  if (!with_code && !r.code.empty()) {
    return core::InvalidArgument("action '" + r.action + "' takes no \"code\"");
  }
  if (with_code && codes != nullptr && codes->Find(r.code) < 0) {
    return core::InvalidArgument("code '" + r.code +
                                 "' is not in the workspace's code list; see "
                                 "GET /v1/codelist/search?q=...");
  }
  DecisionOutcome out;
  RETURN_IF_ERROR(store.Transaction([&]() -> core::Status {
    ASSIGN_OR_RETURN(std::optional<store::ReviewItemRow> found, store.FindReviewItem(item_id));
    if (!found) {
      return core::NotFound("review item " + std::to_string(item_id) + " does not exist");
    }
    store::ReviewItemRow& item = *found;
    const std::string what = "review item " + std::to_string(item_id) + " (" + item.status + ")";
    std::string status;
    if (r.action == "adjudicate") {
      if (!r.supervisor) {
        return core::FailedPrecondition("only a methodologist or admin may adjudicate " + what);
      }
      if (item.status != "escalated" && item.status != "adjudication") {
        return core::FailedPrecondition(what + " is not escalated or awaiting adjudication");
      }
      status = "closed";
    } else {
      if (item.status != "open") return core::FailedPrecondition(what + " is not open");
      if (item.assigned_to != r.coder) {
        return core::FailedPrecondition(
            what + " is not leased to " + r.coder +
            (item.assigned_to.empty() ? "" : " but to " + item.assigned_to) +
            "; take items with GET /v1/review/next");
      }
      if (r.action == "skip") {
        status = "open";
      } else if (r.action == "escalate") {
        status = "escalated";
      } else if (item.kind == kAuditSample &&
                 (r.action == "uncodable" ||
                  !Agrees(r.code, item.suggestions.value("code", ""), codes))) {
        // The second coder disagrees with the auto code: a supervisor decides who was right.
        status = "adjudication";
      } else {
        status = "decided";
      }
    }
    const bool supervisor_view = r.action == "adjudicate";
    store::ReviewDecisionRow d{.item_id = item_id,
                               .coder = r.coder,
                               .time = r.time,
                               .action = r.action,
                               .code = r.code,
                               .comment = r.comment,
                               .suggestions_shown = ShownSuggestions(item, supervisor_view),
                               .blind = IsBlind(item, supervisor_view)};
    ASSIGN_OR_RETURN(out.decision_id, store.InsertReviewDecision(d));
    RETURN_IF_ERROR(store.UpdateReviewItem(item_id, status, "", ""));
    item.status = status;
    item.assigned_to.clear();
    item.assigned_at.clear();
    out.item = std::move(item);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<DecisionOutcome> ReopenItem(workspace::Workspace& ws, int64_t item_id,
                                         const ReopenRequest& r, bool* denied) {
  *denied = false;
  store::MetadataStore& store = ws.store();
  const char* action = r.undo ? "undo" : "reopen";
  if (!r.undo && !r.supervisor) {
    *denied = true;
    return core::FailedPrecondition("only a methodologist or admin may reopen review item " +
                                    std::to_string(item_id) + "; a coder may undo their own");
  }
  DecisionOutcome out;
  RETURN_IF_ERROR(store.Transaction([&]() -> core::Status {
    ASSIGN_OR_RETURN(std::optional<store::ReviewItemRow> found, store.FindReviewItem(item_id));
    if (!found) {
      return core::NotFound("review item " + std::to_string(item_id) + " does not exist");
    }
    store::ReviewItemRow& item = *found;
    const std::string what = "review item " + std::to_string(item_id) + " (" + item.status + ")";
    if (item.status == "open") return core::FailedPrecondition(what + " is already open");
    ASSIGN_OR_RETURN(std::vector<store::ReviewDecisionRow> decisions,
                     store.ListReviewDecisions(item_id));
    const store::ReviewDecisionRow* last = nullptr;
    for (auto d = decisions.rbegin(); d != decisions.rend(); ++d) {
      if (d->action != "skip") {
        last = &*d;
        break;
      }
    }
    if (r.undo) {
      if (last == nullptr || !IsOneOf(last->action, {"code", "uncodable", "escalate"})) {
        *denied = last != nullptr && last->coder != r.user;
        return core::FailedPrecondition(what + " has no coder's decision to undo" +
                                        (last == nullptr ? "" : " (last: " + last->action + ")"));
      }
      if (last->coder != r.user) {
        *denied = true;
        return core::FailedPrecondition(what + " was decided by " + last->coder + ", not " +
                                        r.user + "; a supervisor may reopen it");
      }
      if (last->time < r.undo_after) {
        return core::FailedPrecondition(what + " was decided at " + last->time + ", more than " +
                                        std::to_string(kUndoMinutes) +
                                        " minutes ago; a supervisor may reopen it");
      }
      ASSIGN_OR_RETURN(std::vector<store::AuditEntry> audit, store.ListAudit());
      for (const auto& e : audit) {
        if (e.action == "review_export" && e.time >= last->time) {
          return core::FailedPrecondition(what + " was exported at " + e.time +
                                          " after its decision; a supervisor may reopen it");
        }
      }
    }
    const std::string comment = last == nullptr ? "" : "of decision " + std::to_string(last->id);
    store::ReviewDecisionRow d{.item_id = item_id,
                               .coder = r.user,
                               .time = r.time,
                               .action = action,
                               .code = "",
                               .comment = comment,
                               .suggestions_shown = json::array(),
                               .blind = false};
    ASSIGN_OR_RETURN(out.decision_id, store.InsertReviewDecision(d));
    RETURN_IF_ERROR(store.UpdateReviewItem(item_id, "open", "", ""));
    RETURN_IF_ERROR(ws.Audit(std::string("review_") + action,
                             {{"item", item_id},
                              {"previous_status", item.status},
                              {"decision", out.decision_id},
                              {"undone", last == nullptr ? int64_t{0} : last->id}})
                        .status());
    item.status = "open";
    item.assigned_to.clear();
    item.assigned_at.clear();
    out.item = std::move(item);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<json> ReviewStats(store::MetadataStore& store, const std::string& user,
                               const std::string& today) {
  ASSIGN_OR_RETURN(std::vector<store::ReviewItemRow> items, store.ListReviewItems());
  ASSIGN_OR_RETURN(std::vector<store::ReviewDecisionRow> decisions, store.ListReviewDecisions(-1));
  // std::map: the output never depends on hash order.
  std::map<std::pair<std::string, std::string>, int64_t> depth;
  for (const auto& i : items) ++depth[{i.kind, i.status}];
  json queue = json::array();
  for (const auto& [key, n] : depth) {
    queue.push_back({{"kind", key.first}, {"status", key.second}, {"items", n}});
  }
  std::map<std::string, std::map<std::string, int64_t>> by_coder;
  int64_t mine_today = 0;
  for (const auto& d : decisions) {
    ++by_coder[d.coder][d.action];
    ++by_coder[d.coder]["total"];
    if (d.coder == user && d.time.compare(0, today.size(), today) == 0) ++mine_today;
  }
  return json{{"queue", queue},
              {"decisions_by_coder", by_coder},
              {"user", user},
              {"user_today", mine_today}};
}

std::string FinalCode(const store::ReviewItemRow& item,
                      const std::vector<store::ReviewDecisionRow>& decisions) {
  const char* wanted = item.status == "closed"    ? "adjudicate"
                       : item.status == "decided" ? "code"
                                                  : nullptr;
  if (wanted == nullptr) return "";
  for (auto d = decisions.rbegin(); d != decisions.rend(); ++d) {
    if (d->item_id != item.id) continue;
    // The last deciding action counts; a later uncodable would have left no code.
    if (d->action == wanted) return d->code;
    if (d->action == "uncodable") return "";
  }
  return "";
}

core::Result<ExportResult> ExportFeedback(workspace::Workspace& ws, const ExportOptions& options) {
  if (!options.item_kind.empty() && options.item_kind != "referred" &&
      options.item_kind != "audit_sample") {
    return core::InvalidArgument("review item kind '" + options.item_kind +
                                 "': referred or audit_sample");
  }
  if (options.snapshot_kind != "feedback" && options.snapshot_kind != "audit") {
    return core::InvalidArgument("a review export is a feedback or audit snapshot, not '" +
                                 options.snapshot_kind + "'");
  }
  store::MetadataStore& store = ws.store();
  ASSIGN_OR_RETURN(std::vector<store::ReviewItemRow> items, store.ListReviewItems());
  ASSIGN_OR_RETURN(std::vector<store::ReviewDecisionRow> all, store.ListReviewDecisions(-1));
  std::map<int64_t, std::vector<store::ReviewDecisionRow>> by_item;
  for (auto& d : all) by_item[d.item_id].push_back(std::move(d));

  const data::Schema& schema = ws.config().schema;
  std::vector<std::pair<const store::ReviewItemRow*, std::string>> chosen;
  for (const auto& item : items) {
    const auto& decisions = by_item[item.id];
    const std::string code = FinalCode(item, decisions);
    if (code.empty() || decisions.empty()) continue;
    if (!options.since.empty() && decisions.back().time < options.since) continue;
    if (!options.item_kind.empty() && item.kind != options.item_kind) continue;
    chosen.emplace_back(&item, code);
  }
  if (chosen.empty()) {
    return core::FailedPrecondition("no decided review items" +
                                    (options.item_kind.empty() ? "" : " of kind " + options.item_kind) +
                                    (options.since.empty() ? "" : " since " + options.since) +
                                    " to export; decide items with POST /v1/review/{id}/decision");
  }
  // The records as a table, validated like any data file (DatasetFromTable).
  data::Table table;
  table.name = "review decisions";
  table.num_rows = chosen.size();
  table.row_name = [&](size_t r) { return "review item " + std::to_string(chosen[r].first->id); };
  std::map<std::string, std::vector<std::string>> columns;
  for (size_t r = 0; r < chosen.size(); ++r) {
    const store::ReviewItemRow& item = *chosen[r].first;
    for (const auto& [name, value] : item.record.items()) {
      std::vector<std::string>& col = columns[name];
      col.resize(chosen.size());
      if (value.is_string()) {
        col[r] = value.get<std::string>();
      } else if (value.is_number()) {
        col[r] = value.dump();
      }
    }
    if (!schema.id_field.empty()) {
      columns[schema.id_field].resize(chosen.size());
      columns[schema.id_field][r] = item.record_id;
    }
    columns[schema.label_field].resize(chosen.size());
    columns[schema.label_field][r] = chosen[r].second;
  }
  for (auto& [name, values] : columns) {
    values.resize(chosen.size());
    table.header.push_back(name);
    table.values.push_back(std::move(values));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const data::CodeList> codes, ws.CodeList());
  ASSIGN_OR_RETURN(data::Dataset ds,
                   data::DatasetFromTable(std::move(table), schema, {}, codes.get()));
  lake::IngestOptions io;
  io.kind = options.snapshot_kind;
  io.data_source = "review decisions";
  // Lineage: the records came over the API or from coded batches, not from a snapshot, so the
  // link back is the models that referred them (each model names its training snapshots).
  std::map<std::string, size_t> by_model;
  for (const auto& [item, code] : chosen) ++by_model[item->model_version];
  io.transformation = "review export of items referred by model";
  if (by_model.size() > 1) io.transformation += "s";
  for (const auto& [version, n] : by_model) {
    io.transformation += (&version == &by_model.begin()->first ? " " : ", ") + version + " (" +
                         std::to_string(n) + ")";
  }
  ExportResult out;
  out.items = chosen.size();
  const std::string source =
      "review decisions" + (options.item_kind.empty() ? std::string() : " (" + options.item_kind + ")") +
      (options.since.empty() ? std::string() : " since " + options.since);
  // No source file, so no source hash: the snapshot id is the records' own hash.
  ASSIGN_OR_RETURN(out.snapshot, lake::AddSnapshot(ws, ds, schema, io, source, ""));
  RETURN_IF_ERROR(ws.Audit("review_export", {{"snapshot", out.snapshot.row.id},
                                             {"items", out.items},
                                             {"rows", out.snapshot.row.rows},
                                             {"since", options.since},
                                             {"item_kind", options.item_kind},
                                             {"created", out.snapshot.created}})
                      .status());
  return out;
}

}  // namespace statcoder::review
