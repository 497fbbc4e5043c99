#include "joint_commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>

#include "core/file_util.h"
#include "data/code_list.h"
#include "core/content_hash.h"
#include "data/crosswalk.h"
#include "data/key_table.h"
#include "data/record_reader.h"
#include "model/batch_coder.h"
#include "model/joint_model.h"
#include "model/joint_training.h"
#include "model/key_memory.h"
#include "model/plausibility.h"
#include "sdmx/context_constraints.h"
#include "sdmx/sdmx_csv.h"
#include "sdmx/structure.h"

namespace statcoder::cli {
namespace {

std::string Fixed6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

// Why a record is refused: the column and the reason (an empty reason keeps the record).
struct Refusal {
  std::string column, why;
};

// Moves the records `check` refuses into the rejections ("FILE:LINE: column 'C' why"), which
// stay in line order. Returns how many it moved.
size_t RejectRecords(data::Dataset* ds,
                     const std::function<Refusal(const data::Record&)>& check) {
  std::vector<data::Record> kept;
  size_t moved = 0;
  for (data::Record& r : ds->records) {
    const Refusal refusal = check(r);
    if (refusal.why.empty()) {
      kept.push_back(std::move(r));
      continue;
    }
    ds->rejections.push_back({r.line, refusal.column,
                              ds->path + ":" + std::to_string(r.line) + ": column '" +
                                  refusal.column + "' " + refusal.why,
                              r.id});
    ++moved;
  }
  ds->records = std::move(kept);
  if (moved > 0) {
    std::stable_sort(ds->rejections.begin(), ds->rejections.end(),
                     [](const auto& a, const auto& b) { return a.line < b.line; });
  }
  return moved;
}

// Moves the records with an empty or unknown code in one of the other label fields (held in
// Record::kept[0..]) into the rejections, so every record kept has a full tuple.
void RejectIncompleteTuples(const std::vector<std::string>& others,
                            const std::vector<const data::CodeList*>& codes,
                            data::Dataset* ds) {
  RejectRecords(ds, [&](const data::Record& r) -> Refusal {
    for (size_t k = 0; k < others.size(); ++k) {
      const std::string& code = r.kept[k];
      if (code.empty()) {
        return {others[k], "is empty; every record needs a code in each label field"};
      }
      if (codes[k] != nullptr && codes[k]->Find(code) < 0) {
        return {others[k],
                "code '" + code + "' is not in the code list '" + codes[k]->source() + "'"};
      }
    }
    return {};
  });
}

// The records of `path` read as the joint model's members read them, with the label fields
// `labels` (empty: none) as the first label and kept columns after any --keep columns.
core::Result<data::Dataset> LoadForJoint(const model::JointModel& joint,
                                         const CodingOptions& coding,
                                         const std::vector<std::string>& labels,
                                         const std::string& default_rejects) {
  data::LoadOptions load;
  ASSIGN_OR_RETURN(load.reader, coding.input.ToReaderOptions());
  ASSIGN_OR_RETURN(const std::string id,
                   IdFieldFor(coding, load.reader, *joint.member(0), labels));
  data::Schema schema =
      model::SchemaFor(*joint.member(0), id, labels.empty() ? std::string() : labels[0]);
  std::vector<std::string> others(labels.begin() + (labels.empty() ? 0 : 1), labels.end());
  schema.kept_fields = others;
  for (const auto& k : coding.keep) schema.kept_fields.push_back(k);
  const data::CodeList* first_codes = labels.empty() ? nullptr : joint.member(0)->code_list();
  ASSIGN_OR_RETURN(data::Dataset ds,
                   data::LoadDataset(coding.data_path, schema, load, first_codes));
  std::vector<const data::CodeList*> codes;
  for (size_t k = 1; k < labels.size(); ++k) codes.push_back(joint.member(k)->code_list());
  RejectIncompleteTuples(others, codes, &ds);
  RETURN_IF_ERROR(HandleRejects(ds, coding.input, default_rejects));
  return ds;
}

// The model's plausibility rules (model/plausibility.h), with the columns they read added to
// `coding`'s kept columns; `kept_offset` is where --keep columns start in a record's kept values
// (after the other label fields when evaluating).
struct Plausibility {
  std::vector<model::PlausibilityRule> rules;
  std::vector<size_t> kept_index;  // per PlausibilityColumns(rules), into Record::kept
};

core::Result<Plausibility> PlausibilityFor(const model::JointModel& joint, size_t kept_offset,
                                           CodingOptions* coding) {
  Plausibility out;
  if (!joint.metadata().contains("plausibility")) return out;
  ASSIGN_OR_RETURN(out.rules, model::PlausibilityRulesFromJson(joint.metadata()["plausibility"]));
  for (const std::string& column : model::PlausibilityColumns(out.rules)) {
    auto it = std::find(coding->keep.begin(), coding->keep.end(), column);
    out.kept_index.push_back(kept_offset + static_cast<size_t>(it - coding->keep.begin()));
    if (it == coding->keep.end()) coding->keep.push_back(column);
  }
  return out;
}

// The reporter memory, with the reporter column added to `coding`'s kept columns.
struct Memory {
  std::optional<model::KeyMemory> memory;
  size_t reporter_kept = 0;
};

core::Result<Memory> MemoryFor(const model::JointModel& joint, const KeyMemoryOptions& options,
                               size_t kept_offset, CodingOptions* coding) {
  Memory out;
  if (options.path.empty()) return out;
  if (options.reporter_column.empty()) {
    return core::InvalidArgument("--memory needs --reporter COLUMN: whose confirmed codes apply");
  }
  ASSIGN_OR_RETURN(out.memory,
                   model::KeyMemory::Load(options.path, options.reporter_column,
                                          joint.member(0)->data().featurizer.text_fields, joint));
  auto it = std::find(coding->keep.begin(), coding->keep.end(), options.reporter_column);
  out.reporter_kept = kept_offset + static_cast<size_t>(it - coding->keep.begin());
  if (it == coding->keep.end()) coding->keep.push_back(options.reporter_column);
  return out;
}

// The input column of each of `dimensions`: the one `flags` names ("DIM=COLUMN", from
// --sdmx-dimension), else a column of the dimension's name in any case; absent when none.
core::Result<std::map<std::string, std::string>> DimensionColumns(
    const CodingOptions& coding, const std::vector<std::string>& dimensions,
    const std::vector<std::string>& flags) {
  ASSIGN_OR_RETURN(data::ReaderOptions reader_options, coding.input.ToReaderOptions());
  ASSIGN_OR_RETURN(std::unique_ptr<data::RecordReader> reader,
                   data::RecordReader::Open(coding.data_path, reader_options));
  const std::vector<std::string>& header = reader->header();
  std::map<std::string, std::string> column_of;
  for (const std::string& pair : flags) {
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
      return core::InvalidArgument("--sdmx-dimension '" + pair + "': give DIMENSION=COLUMN");
    }
    const std::string dim = pair.substr(0, eq), column = pair.substr(eq + 1);
    if (std::find(dimensions.begin(), dimensions.end(), dim) == dimensions.end()) {
      return core::InvalidArgument("--sdmx-dimension: '" + dim + "' is not a dimension of the "
                                   "model's structure");
    }
    if (std::find(header.begin(), header.end(), column) == header.end()) {
      return core::InvalidArgument("--sdmx-dimension: '" + coding.data_path +
                                   "' has no column '" + column + "'");
    }
    column_of[dim] = column;
  }
  const auto lower = [](std::string t) {
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return t;
  };
  for (const std::string& dim : dimensions) {
    for (size_t h = 0; h < header.size() && !column_of.count(dim); ++h) {
      if (lower(header[h]) == lower(dim)) column_of[dim] = header[h];
    }
  }
  return column_of;
}

// The structure's constraints that tie the coded dimensions to dimensions the input carries
// (sdmx/context_constraints.h), and where each record's values of those are: restricts each
// record to the keys its own frequency, country... allow.
class KeyContext {
 public:
  KeyContext() = default;
  // Adds the context columns to `coding`'s kept columns (Record::kept from `kept_offset`).
  static core::Result<KeyContext> For(const model::JointModel& joint,
                                      const std::map<std::string, std::string>& column_of,
                                      size_t kept_offset, CodingOptions* coding, bool quiet) {
    KeyContext out;
    const nlohmann::json sdmx = joint.metadata().value("sdmx", nlohmann::json::object());
    if (!sdmx.contains("context_constraints")) return out;
    ASSIGN_OR_RETURN(sdmx::ContextConstraints rules,
                     sdmx::ContextConstraints::FromJson(sdmx["context_constraints"],
                                                        joint.label_fields()));
    if (rules.empty()) return out;
    std::vector<std::string> missing;
    for (const std::string& dim : rules.context_dimensions()) {
      auto col = column_of.find(dim);
      if (col == column_of.end()) {
        out.kept_index_.push_back(std::nullopt);
        missing.push_back(dim);
        continue;
      }
      out.columns_.push_back(col->second);
      auto it = std::find(coding->keep.begin(), coding->keep.end(), col->second);
      out.kept_index_.push_back(kept_offset + static_cast<size_t>(it - coding->keep.begin()));
      if (it == coding->keep.end()) coding->keep.push_back(col->second);
    }
    if (!missing.empty() && !quiet) {
      std::string names, ids;
      for (const auto& d : missing) names += (names.empty() ? "" : ", ") + d;
      for (const auto& c : rules.constraint_ids()) ids += (ids.empty() ? "" : ", ") + c;
      std::fprintf(stderr, "warning: the structure's constraints (%s) tie the coded dimensions "
                           "to %s, which the input has no column for: keys are checked on the "
                           "other dimensions only (give --sdmx-dimension DIM=COLUMN)\n",
                   ids.c_str(), names.c_str());
    }
    for (const auto& tuple : joint.allowed()) {
      std::vector<std::string> codes;
      for (size_t k = 0; k < tuple.size(); ++k) {
        codes.push_back(joint.member(k)->label(static_cast<size_t>(tuple[k])));
      }
      out.tuples_.push_back(std::move(codes));
    }
    out.rules_ = std::move(rules);
    return out;
  }

  bool active() const { return rules_.has_value(); }
  // The record's values of the context dimensions ("" where the input has no column).
  std::vector<std::string> ContextOf(const data::Record& r) const {
    std::vector<std::string> values;
    for (const auto& k : kept_index_) values.push_back(k ? r.kept[*k] : std::string());
    return values;
  }
  // Whether `codes` (one per member) may go with the record's context.
  bool Allows(const std::vector<std::string>& codes, const data::Record& r) const {
    return !rules_ || rules_->Allows(codes, ContextOf(r));
  }
  // One byte per allowed tuple of the model: 1 where the record's context allows it. Empty:
  // no restriction. Masks are kept per distinct context (few: frequencies times countries),
  // up to 64 MiB of them.
  std::span<const uint8_t> MaskFor(const data::Record& r) {
    if (!rules_) return {};
    std::vector<std::string> context = ContextOf(r);
    auto it = cache_.find(context);
    if (it == cache_.end()) {
      if ((cache_.size() + 1) * tuples_.size() > (64u << 20)) cache_.clear();
      std::vector<uint8_t> mask(tuples_.size());
      for (size_t t = 0; t < tuples_.size(); ++t) mask[t] = rules_->Allows(tuples_[t], context);
      it = cache_.emplace(std::move(context), std::move(mask)).first;
    }
    return it->second;
  }
  // Why a record no key can go with is refused: names its context values.
  Refusal NoKeyFor(const data::Record& r) const {
    std::string values;
    const std::vector<std::string> context = ContextOf(r);
    for (size_t d = 0; d < context.size(); ++d) {
      if (context[d].empty()) continue;
      values += (values.empty() ? "" : ", ") + rules_->context_dimensions()[d] + " '" +
                context[d] + "'";
    }
    return {columns_.empty() ? std::string() : columns_[0],
            "gives " + values + ", with which the structure allows none of the model's keys"};
  }

 private:
  std::optional<sdmx::ContextConstraints> rules_;
  std::vector<std::optional<size_t>> kept_index_;  // per context dimension, into Record::kept
  std::vector<std::string> columns_;               // the input columns found
  std::vector<std::vector<std::string>> tuples_;   // the model's allowed tuples, as codes
  std::map<std::vector<std::string>, std::vector<uint8_t>> cache_;
};

// Refuses the records whose context leaves none of the model's keys.
void RejectRecordsWithoutKey(KeyContext* context, data::Dataset* ds) {
  if (!context->active()) return;
  RejectRecords(ds, [&](const data::Record& r) -> Refusal {
    const std::span<const uint8_t> mask = context->MaskFor(r);
    if (std::find(mask.begin(), mask.end(), uint8_t{1}) != mask.end()) return {};
    return context->NoKeyFor(r);
  });
}

struct JointResults {
  std::vector<model::JointPrediction> predictions;
  std::vector<std::string> plausibility;  // per record: the rules it breaks, "; "-joined
  // Records breaking a rule for a code a member chose alone or the joint decision kept; of
  // them, those whose decided key holds such a code (referred).
  size_t implausible_records = 0;
  size_t implausible_decided = 0;
  size_t from_memory = 0;  // records coded by the reporter memory
};

core::Result<JointResults> PredictAll(const std::shared_ptr<const model::JointModel>& joint,
                                      const data::Dataset& ds, const Plausibility& plausible,
                                      const Memory& memory, KeyContext* context) {
  model::JointPredictor predictor(joint);
  JointResults out;
  out.predictions.resize(ds.records.size());
  out.plausibility.resize(ds.records.size());
  std::vector<std::string> cells;
  for (size_t i = 0; i < ds.records.size(); ++i) {
    const data::Record& r = ds.records[i];
    const std::string at = ds.path + ":" + std::to_string(r.line);
    model::JointPrediction& p = out.predictions[i];
    if (memory.memory) {
      // A mapping a person confirmed for this reporter and descriptor comes first.
      core::Result<const std::vector<std::string>*> hit =
          memory.memory->Lookup(r.kept[memory.reporter_kept], r.texts);
      if (!hit.ok()) return hit.status().WithContext(at);
      // A confirmed key the record's frequency or country does not allow is not reused.
      if (*hit != nullptr && context->Allows(**hit, r)) {
        const size_t m = joint->size();
        p.codes = **hit;
        p.independent_codes = p.codes;
        p.code_confidence.assign(m, 1.0);
        p.code_auto.assign(m, true);
        p.confidence = 1.0;
        p.decision = model::Decision::kKb;
        p.tuple_in_training = true;  // confirmed by a person
        p.independent_allowed = true;
        ++out.from_memory;
        continue;
      }
    }
    model::PlausibilityCheck check;
    if (!plausible.rules.empty()) {
      cells.clear();
      for (size_t k : plausible.kept_index) cells.push_back(r.kept[k]);
      core::Result<model::PlausibilityCheck> c =
          model::CheckPlausibility(plausible.rules, *joint, cells);
      if (!c.ok()) return c.status().WithContext(at);
      check = *std::move(c);
    }
    const std::vector<std::string_view> texts(r.texts.begin(), r.texts.end());
    const std::vector<std::string_view> cats(r.categoricals.begin(), r.categoricals.end());
    const core::Status s =
        predictor.Predict(text::RecordView{texts, cats, r.numerics}, &p, check.weights,
                          context->MaskFor(r));
    if (!s.ok()) return s.WithContext(at);
    // The rules that matter for this record: those on a code a member chose alone (which the
    // rule may have overturned) or on a decided code (which is then referred).
    bool decided = false, relevant = false;
    for (size_t w = 0; w < check.weights.size(); ++w) {
      const size_t k = check.weights[w].member;
      const int32_t label = check.weights[w].label;
      const bool is_decided = joint->member(k)->FindLabel(p.codes[k]) == label;
      const bool was_chosen = joint->member(k)->FindLabel(p.independent_codes[k]) == label;
      if (!is_decided && !was_chosen) continue;
      if (is_decided) {
        p.code_auto[k] = false;
        p.decision = model::Decision::kReview;
        decided = true;
      }
      relevant = true;
      out.plausibility[i] += (out.plausibility[i].empty() ? "" : "; ") + check.reasons[w];
    }
    out.implausible_records += relevant;
    out.implausible_decided += decided;
  }
  return out;
}

// The allowed keys and code lists an SDMX structure gives the label fields (its dimensions).
struct StructureKeys {
  std::vector<std::vector<std::string>> keys;
  std::vector<std::unique_ptr<data::CodeList>> code_lists;  // one per label field
  nlohmann::json sdmx;                                     // recorded in the model
};

core::Result<StructureKeys> KeysFromStructure(const JointTrainRequest& r) {
  ASSIGN_OR_RETURN(sdmx::StructureMessage msg, sdmx::LoadStructure(r.structure));
  ASSIGN_OR_RETURN(const sdmx::DataStructure* dsd, sdmx::SelectStructure(msg, r.structure_id));
  ASSIGN_OR_RETURN(sdmx::AllowedKeys allowed,
                   sdmx::AllowedKeysFor(msg, *dsd, r.labels, sdmx::kMaxAllowedKeys));
  StructureKeys out;
  out.keys = std::move(allowed.keys);
  for (const std::string& label : r.labels) {
    const sdmx::Dimension* dim = dsd->FindDimension(label);
    const sdmx::Codelist* list = msg.FindCodelist(dim->codelist);  // checked by AllowedKeysFor
    std::vector<data::CodeList::Entry> entries;
    for (const sdmx::Code& c : list->codes) entries.push_back({c.id, c.parent, c.name});
    core::Result<data::CodeList> codes = data::CodeList::FromEntries(std::move(entries));
    if (!codes.ok()) {
      return codes.status().WithContext(r.structure + ": Codelist " + list->ref.ToString());
    }
    out.code_lists.push_back(std::make_unique<data::CodeList>(*std::move(codes)));
  }
  // What SDMX-CSV output names: the dataflow when --structure-id named one, else the DSD.
  std::string type = "datastructure", id = dsd->ref.ToString();
  for (const sdmx::Dataflow& f : msg.dataflows) {
    if (!r.structure_id.empty() && f.ref.Matches(r.structure_id)) {
      type = "dataflow";
      id = f.ref.ToString();
    }
  }
  std::vector<std::string> dimensions;
  // The codes of the dimensions the model does not code (FREQ, REF_AREA...), copied from the
  // input when SDMX-CSV is written and checked against these.
  nlohmann::json copied_codes = nlohmann::json::object();
  for (const sdmx::Dimension& d : dsd->dimensions) {
    if (d.time) continue;
    dimensions.push_back(d.id);
    const sdmx::Codelist* list = d.codelist.id.empty() ? nullptr : msg.FindCodelist(d.codelist);
    if (list == nullptr || std::find(r.labels.begin(), r.labels.end(), d.id) != r.labels.end()) {
      continue;
    }
    std::vector<std::string> ids;
    for (const sdmx::Code& c : list->codes) ids.push_back(c.id);
    copied_codes[d.id] = {{"codelist", list->ref.ToString()}, {"codes", ids}};
  }
  // Constraints tying the coded dimensions to copied ones ("this indicator is quarterly"):
  // applied per record at coding, from the record's own FREQ, REF_AREA...
  ASSIGN_OR_RETURN(const sdmx::ContextConstraints context,
                   sdmx::ContextConstraints::From(msg, *dsd, r.labels));
  ASSIGN_OR_RETURN(std::string bytes, core::ReadFile(r.structure, sdmx::kMaxStructureFileBytes));
  out.sdmx = {{"structure", type},
              {"structure_id", id},
              {"data_structure", dsd->ref.ToString()},
              {"dimensions", dimensions},
              {"copied_dimension_codes", copied_codes},
              {"constraints", allowed.constraints},
              {"structure_file", r.structure},
              {"structure_sha256", core::Sha256Hex(bytes)},
              {"format", msg.format}};
  if (!context.empty()) out.sdmx["context_constraints"] = context.ToJson();
  return out;
}

}  // namespace

bool IsJointModelFile(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char head[8];
  const size_t got = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  return model::IsJointModelBytes(std::string_view(head, got));
}

core::Status RunJointTrain(const JointTrainRequest& r) {
  const size_t m = r.labels.size();
  for (size_t k = 0; k < m; ++k) {
    if (std::count(r.labels.begin(), r.labels.end(), r.labels[k]) > 1) {
      return core::InvalidArgument("--label names '" + r.labels[k] + "' twice");
    }
  }
  if (r.codelists.size() > 1 && r.codelists.size() != m) {
    return core::InvalidArgument("--codelist: give one file (for '" + r.labels[0] +
                                 "') or one per --label field (" + std::to_string(m) + ")");
  }
  std::vector<std::unique_ptr<data::CodeList>> owned(m);
  std::vector<const data::CodeList*> codes(m, nullptr);
  std::optional<StructureKeys> from_structure;
  if (!r.structure.empty()) {
    if (!r.codelists.empty()) {
      return core::InvalidArgument("--structure's code lists check the labels; leave out "
                                   "--codelist");
    }
    ASSIGN_OR_RETURN(from_structure, KeysFromStructure(r));
    for (size_t k = 0; k < m; ++k) codes[k] = from_structure->code_lists[k].get();
  }
  for (size_t k = 0; k < r.codelists.size(); ++k) {
    if (r.codelists[k].empty()) continue;
    ASSIGN_OR_RETURN(data::CodeList list, data::CodeList::Load(r.codelists[k], r.codelist_options));
    owned[k] = std::make_unique<data::CodeList>(std::move(list));
    codes[k] = owned[k].get();
  }
  data::Schema schema = r.schema;
  schema.label_field = r.labels[0];
  schema.kept_fields.assign(r.labels.begin() + 1, r.labels.end());
  RETURN_IF_ERROR(schema.Validate());
  data::LoadOptions load;
  ASSIGN_OR_RETURN(load.reader, r.input.ToReaderOptions());
  ASSIGN_OR_RETURN(data::Dataset ds, data::LoadDataset(r.data_path, schema, load, codes[0]));
  RejectIncompleteTuples(schema.kept_fields,
                         std::vector<const data::CodeList*>(codes.begin() + 1, codes.end()), &ds);
  RETURN_IF_ERROR(HandleRejects(ds, r.input, r.out_path + ".rejects.tsv"));
  std::vector<data::Dataset> per_label(m, ds);
  for (size_t k = 1; k < m; ++k) {
    for (data::Record& rec : per_label[k].records) rec.label = rec.kept[k - 1];
  }
  for (data::Dataset& d : per_label) {
    for (data::Record& rec : d.records) rec.kept.clear();
  }
  // The table of allowed pairs, oriented as the label fields are (its header names them; a
  // table without header is read in --label order).
  std::optional<std::vector<std::vector<std::string>>> table;
  if (!r.allowed_table.empty()) {
    data::CrosswalkOptions xo;
    ASSIGN_OR_RETURN(data::Crosswalk x, data::Crosswalk::Load(r.allowed_table, xo, nullptr,
                                                              nullptr));
    const bool reversed = x.from_name() == r.labels[1] && x.to_name() == r.labels[0];
    if (!reversed && (x.from_name() != r.labels[0] || x.to_name() != r.labels[1]) &&
        x.from_name() != "from") {
      return core::InvalidArgument("the table '" + r.allowed_table + "' pairs '" + x.from_name() +
                                   "' with '" + x.to_name() + "'; --label names '" + r.labels[0] +
                                   "' and '" + r.labels[1] + "'");
    }
    table.emplace();
    for (const data::CrosswalkPair& p : x.pairs()) {
      table->push_back(reversed ? std::vector<std::string>{p.to, p.from}
                                : std::vector<std::string>{p.from, p.to});
    }
  }
  std::vector<model::PlausibilityRule> rules;
  if (!r.plausibility.empty()) {
    ASSIGN_OR_RETURN(rules, model::LoadPlausibilityRules(r.plausibility, r.labels));
  }
  std::string allowed_from = "correspondence table";
  nlohmann::json sdmx_record;
  if (from_structure) {
    table = std::move(from_structure->keys);
    sdmx_record = std::move(from_structure->sdmx);
    allowed_from = "SDMX structure";
  } else if (!r.valid_keys.empty()) {
    ASSIGN_OR_RETURN(std::vector<std::vector<std::string>> keys,
                     data::LoadKeyTable(r.valid_keys, r.labels, load.reader));
    table = std::move(keys);
    allowed_from = "key table";
    if (!r.structure_id.empty()) {
      sdmx_record = {{"structure", "dataflow"},
                     {"structure_id", r.structure_id},
                     {"dimensions", r.labels}};
    }
  }
  if (table) {
    // Every code of an allowed tuple must exist in its field's code list, when one is given.
    for (const auto& tuple : *table) {
      for (size_t k = 0; k < m; ++k) {
        if (codes[k] != nullptr && codes[k]->Find(tuple[k]) < 0) {
          return core::InvalidInput("the allowed key (" + [&] {
            std::string t;
            for (const auto& c : tuple) t += (t.empty() ? "" : ", ") + c;
            return t;
          }() + ") has '" + r.labels[k] + "' code '" + tuple[k] + "', which is not in " +
                                    codes[k]->source());
        }
      }
    }
  }
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(model::JointModelData joint,
                   model::TrainJoint(per_label, r.labels, r.options, codes,
                                     MakeProgressBar(r.quiet || r.json),
                                     table ? &*table : nullptr));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (table) joint.metadata["allowed_tuples_from"] = allowed_from;
  if (!r.valid_keys.empty()) joint.metadata["key_table"] = r.valid_keys;
  if (!sdmx_record.is_null()) joint.metadata["sdmx"] = sdmx_record;
  size_t unused_rules = 0;
  if (!rules.empty()) {
    joint.metadata["plausibility"] = model::PlausibilityRulesToJson(rules);
    joint.metadata["plausibility_file"] = r.plausibility;
    for (const model::PlausibilityRule& rule : rules) {
      const size_t k = static_cast<size_t>(
          std::find(r.labels.begin(), r.labels.end(), rule.dimension) - r.labels.begin());
      const auto& labels = joint.members[k].labels;
      unused_rules += std::find(labels.begin(), labels.end(), rule.code) == labels.end();
    }
  }
  // Allowed keys no training record carries: what dimension coding can code and a flat
  // classifier cannot (referred, never auto-coded: model/joint_model.h).
  joint.metadata["allowed_tuples_not_in_training"] =
      std::count(joint.allowed_in_training.begin(), joint.allowed_in_training.end(), false);
  nlohmann::json per = nlohmann::json::object();
  for (size_t k = 0; k < m; ++k) {
    per[r.labels[k]] = {
        {"labels", joint.members[k].labels.size()},
        {"holdout_accuracy", joint.members[k].metadata["calibration"].value("holdout_accuracy", 0.0)}};
  }
  const size_t allowed = joint.allowed.size();
  const nlohmann::json outside = joint.metadata.value("records_outside_table", nlohmann::json(nullptr));
  ASSIGN_OR_RETURN(const std::string version, model::SaveJointModel(joint, r.out_path));
  const nlohmann::json summary = {{"model", r.out_path},
                                  {"model_version", version},
                                  {"label_fields", r.labels},
                                  {"records", ds.records.size()},
                                  {"rejected", ds.rejections.size()},
                                  {"allowed_tuples", allowed},
                                  {"allowed_tuples_from", joint.metadata["allowed_tuples_from"]},
                                  // Dimensions coding copies from the input that the
                                  // structure's constraints tie the coded ones to.
                                  {"context_dimensions",
                                   sdmx_record.is_object() &&
                                           sdmx_record.contains("context_constraints")
                                       ? sdmx_record["context_constraints"]["context_dimensions"]
                                       : nlohmann::json::array()},
                                  {"per_label", per},
                                  {"training_seconds", seconds},
                                  {"records_outside_table", outside},
                                  {"tuple_threshold", joint.tuple_threshold},
                                  {"tuple_certification", joint.metadata["tuple_certification"]},
                                  {"plausibility_rules", rules.size()},
                                  {"plausibility_rules_for_untrained_codes", unused_rules},
                                  {"allowed_tuples_not_in_training",
                                   joint.metadata["allowed_tuples_not_in_training"]},
                                  {"table_tuples_without_trained_codes",
                                   joint.metadata.value("table_tuples_without_trained_codes",
                                                        nlohmann::json(nullptr))},
                                  {"data_sha256", ds.content_hash}};
  if (r.json) {
    std::printf("%s\n", summary.dump(2).c_str());
  } else {
    std::printf("trained joint model %s (version %s) for %zu classifications on %zu records in "
                "%.1f s; %zu allowed code tuples (from the %s)\n",
                r.out_path.c_str(), version.c_str(), m, ds.records.size(), seconds, allowed,
                table ? allowed_from.c_str() : "training records");
  }
  return core::Status::Ok();
}

core::Status RunJointEvaluate(const CodingOptions& coding, const std::vector<std::string>& given,
                              bool json, bool quiet, const KeyMemoryOptions& memory_options,
                              const std::vector<std::string>& dimension_columns) {
  ASSIGN_OR_RETURN(std::shared_ptr<const model::JointModel> joint,
                   model::LoadJointModel(coding.model_path));
  std::vector<std::string> labels = given.empty() ? joint->label_fields() : given;
  std::vector<std::string> sorted_given = labels, sorted_model = joint->label_fields();
  std::sort(sorted_given.begin(), sorted_given.end());
  std::sort(sorted_model.begin(), sorted_model.end());
  if (sorted_given != sorted_model) {
    std::string names;
    for (const auto& l : joint->label_fields()) names += (names.empty() ? "" : ",") + l;
    return core::InvalidArgument("the joint model codes --label " + names +
                                 "; give those columns (in any order)");
  }
  labels = joint->label_fields();  // the model's order: member k is label k
  CodingOptions with_rules = coding;
  ASSIGN_OR_RETURN(const Plausibility plausible,
                   PlausibilityFor(*joint, labels.size() - 1, &with_rules));
  ASSIGN_OR_RETURN(const Memory memory,
                   MemoryFor(*joint, memory_options, labels.size() - 1, &with_rules));
  const nlohmann::json sdmx_meta = joint->metadata().value("sdmx", nlohmann::json::object());
  ASSIGN_OR_RETURN(const auto columns,
                   DimensionColumns(coding,
                                    sdmx_meta.value("dimensions", joint->label_fields()),
                                    dimension_columns));
  ASSIGN_OR_RETURN(KeyContext context,
                   KeyContext::For(*joint, columns, labels.size() - 1, &with_rules, quiet));
  const std::string rejects = coding.data_path + ".rejects.tsv";
  ASSIGN_OR_RETURN(data::Dataset ds, LoadForJoint(*joint, with_rules, labels, rejects));
  const size_t loaded_rejections = ds.rejections.size();
  RejectRecordsWithoutKey(&context, &ds);
  if (ds.rejections.size() > loaded_rejections) {
    RETURN_IF_ERROR(HandleRejects(ds, with_rules.input, rejects));
  }
  ASSIGN_OR_RETURN(JointResults results, PredictAll(joint, ds, plausible, memory, &context));
  const std::vector<model::JointPrediction>& preds = results.predictions;
  const size_t m = joint->size(), n = ds.records.size();
  std::vector<size_t> hits(m, 0), alone_hits(m, 0);
  size_t joint_hits = 0, alone_joint_hits = 0, consistent = 0, auto_count = 0, auto_hits = 0;
  size_t joint_allowed = 0, partial_count = 0, new_keys = 0, new_key_hits = 0;
  size_t memory_count = 0, memory_hits = 0;
  std::vector<size_t> member_auto(m, 0), member_auto_hits(m, 0);
  std::set<std::vector<std::string>> allowed;
  for (const auto& tuple : joint->allowed()) {
    std::vector<std::string> codes;
    for (size_t k = 0; k < tuple.size(); ++k) {
      codes.push_back(joint->member(k)->label(static_cast<size_t>(tuple[k])));
    }
    allowed.insert(std::move(codes));
  }
  for (size_t i = 0; i < n; ++i) {
    const data::Record& r = ds.records[i];
    bool all = true, all_alone = true;
    for (size_t k = 0; k < m; ++k) {
      const std::string& truth = k == 0 ? r.label : r.kept[k - 1];
      const bool hit = preds[i].codes[k] == truth;
      hits[k] += hit;
      all = all && hit;
      const bool alone = preds[i].independent_codes[k] == truth;
      alone_hits[k] += alone;
      all_alone = all_alone && alone;
    }
    joint_hits += all;
    alone_joint_hits += all_alone;
    consistent += preds[i].independent_allowed;
    joint_allowed += allowed.count(preds[i].codes) && context.Allows(preds[i].codes, r);
    if (preds[i].decision == model::Decision::kAuto) {
      ++auto_count;
      auto_hits += all;
    } else if (preds[i].decision == model::Decision::kKb) {
      ++memory_count;
      memory_hits += all;
    } else if (std::any_of(preds[i].code_auto.begin(), preds[i].code_auto.end(),
                           [](bool b) { return b; })) {
      ++partial_count;
    }
    new_keys += !preds[i].tuple_in_training;
    new_key_hits += !preds[i].tuple_in_training && all;
    for (size_t k = 0; k < m; ++k) {
      const std::string& truth = k == 0 ? r.label : r.kept[k - 1];
      member_auto[k] += preds[i].code_auto[k];
      member_auto_hits[k] += preds[i].code_auto[k] && preds[i].codes[k] == truth;
    }
  }
  const auto share = [n](size_t x) {
    return n ? static_cast<double>(x) / static_cast<double>(n) : 0.0;
  };
  nlohmann::json per = nlohmann::json::object();
  for (size_t k = 0; k < m; ++k) {
    per[labels[k]] = {{"accuracy", share(hits[k])},
                      {"independent_accuracy", share(alone_hits[k])},
                      {"auto_rate", share(member_auto[k])},
                      {"auto_precision",
                       member_auto[k] ? nlohmann::json(static_cast<double>(member_auto_hits[k]) /
                                                       static_cast<double>(member_auto[k]))
                                      : nlohmann::json(nullptr)}};
  }
  const nlohmann::json j = {
      {"model_version", joint->version_id()},
      {"label_fields", labels},
      {"records", n},
      {"rejected", ds.rejections.size()},
      {"data_sha256", ds.content_hash},
      {"per_label", per},
      {"accuracy", share(joint_hits)},
      {"joint_accuracy", share(joint_hits)},
      {"independent_joint_accuracy", share(alone_joint_hits)},
      {"consistency_rate", share(joint_allowed)},
      {"independent_consistency_rate", share(consistent)},
      // A tuple outside the allowed ones (an invalid SDMX key); the joint decision never makes one.
      {"invalid_key_rate", 1.0 - share(joint_allowed)},
      {"independent_invalid_key_rate", 1.0 - share(consistent)},
      {"partial_rate", share(partial_count)},
      {"implausible_records", results.implausible_records},
      {"implausible_decided", results.implausible_decided},
      {"memory_rate", share(memory_count)},
      {"memory_precision", memory_count ? nlohmann::json(static_cast<double>(memory_hits) /
                                                         static_cast<double>(memory_count))
                                        : nlohmann::json(nullptr)},
      {"new_key_rate", share(new_keys)},
      {"new_key_accuracy", new_keys ? nlohmann::json(static_cast<double>(new_key_hits) /
                                                     static_cast<double>(new_keys))
                                    : nlohmann::json(nullptr)},
      {"auto_rate", share(auto_count)},
      {"auto_records", auto_count},
      {"auto_precision", auto_count ? nlohmann::json(static_cast<double>(auto_hits) /
                                                     static_cast<double>(auto_count))
                                    : nlohmann::json(nullptr)},
  };
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return core::Status::Ok();
  }
  std::printf("%zu records, %zu rejected\n", n, ds.rejections.size());
  for (size_t k = 0; k < m; ++k) {
    std::printf("  %s: accuracy %.4f (alone %.4f)\n", labels[k].c_str(), share(hits[k]),
                share(alone_hits[k]));
  }
  std::printf("  joint accuracy %.4f (members alone %.4f); members alone give an allowed tuple for "
              "%.1f %% of records, the joint decision for all\n  auto-coded %.1f %%",
              share(joint_hits), share(alone_joint_hits), 100 * share(consistent),
              100 * share(auto_count));
  if (auto_count) {
    std::printf(", precision %.4f", static_cast<double>(auto_hits) / static_cast<double>(auto_count));
  }
  std::printf("\n");
  return core::Status::Ok();
}

core::Status RunJointCode(const CodingOptions& coding_in, const JointCodeRequest& r) {
  const std::string& out_path = r.out_path;
  const std::string& format = r.format;
  const bool json = r.json, quiet = r.quiet;
  const bool sdmx_csv = format == "sdmx-csv";
  if (!format.empty() && !sdmx_csv && format != "tsv") {
    return core::InvalidArgument("--format '" + format + "': a joint model writes tsv or sdmx-csv");
  }
  if (!sdmx_csv && out_path != "-" && data::FormatFromPath(out_path) != data::FileFormat::kTsv) {
    return core::InvalidArgument("a joint model writes TSV output (--out FILE.tsv or -), or "
                                 "SDMX-CSV with --format sdmx-csv");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const model::JointModel> joint,
                   model::LoadJointModel(coding_in.model_path));
  const nlohmann::json sdmx_meta = joint->metadata().value("sdmx", nlohmann::json::object());
  // The key's dimensions in the structure's order: those the model codes, and the others
  // (frequency, reporting country...) copied from the input's columns of the same name.
  std::vector<std::string> dimensions = joint->label_fields();
  if (sdmx_meta.contains("dimensions")) {
    dimensions = sdmx_meta["dimensions"].get<std::vector<std::string>>();
  }
  CodingOptions coding = coding_in;
  std::vector<int> source(dimensions.size(), -1);  // member index, or -2 - kept column index
  ASSIGN_OR_RETURN(const auto column_of, DimensionColumns(coding, dimensions, r.dimension_columns));
  if (sdmx_csv) {
    std::vector<std::string> unfilled;
    for (size_t d = 0; d < dimensions.size(); ++d) {
      const auto& labels = joint->label_fields();
      if (auto it = std::find(labels.begin(), labels.end(), dimensions[d]); it != labels.end()) {
        source[d] = static_cast<int>(it - labels.begin());
        continue;
      }
      auto found = column_of.find(dimensions[d]);
      if (found == column_of.end()) {
        unfilled.push_back(dimensions[d]);
        continue;
      }
      const std::string& column = found->second;
      auto kept = std::find(coding.keep.begin(), coding.keep.end(), column);
      source[d] = -2 - static_cast<int>(kept - coding.keep.begin());
      if (kept == coding.keep.end()) coding.keep.push_back(column);
    }
    if (!unfilled.empty() && !quiet) {
      std::string names;
      for (const auto& u : unfilled) names += (names.empty() ? "" : ", ") + u;
      std::fprintf(stderr, "warning: no input column for dimension(s) %s: their SDMX-CSV cells "
                           "are empty (give --sdmx-dimension DIM=COLUMN)\n",
                   names.c_str());
    }
  }
  ASSIGN_OR_RETURN(const Plausibility plausible, PlausibilityFor(*joint, 0, &coding));
  ASSIGN_OR_RETURN(const Memory memory, MemoryFor(*joint, r.memory, 0, &coding));
  ASSIGN_OR_RETURN(KeyContext context, KeyContext::For(*joint, column_of, 0, &coding, quiet));
  const std::string base = out_path == "-" ? coding.data_path : out_path;
  ASSIGN_OR_RETURN(data::Dataset ds, LoadForJoint(*joint, coding, {}, base + ".rejects.tsv"));
  if (sdmx_csv) {
    // A copied dimension's value must be a code of its code list: a key is never invalid.
    const nlohmann::json codes = sdmx_meta.value("copied_dimension_codes", nlohmann::json::object());
    std::vector<std::pair<size_t, std::set<std::string>>> checks;  // kept index, codes
    std::vector<std::string> check_names;
    for (size_t d = 0; d < dimensions.size(); ++d) {
      if (source[d] > -2 || !codes.contains(dimensions[d])) continue;
      const auto list = codes[dimensions[d]]["codes"].get<std::vector<std::string>>();
      checks.emplace_back(static_cast<size_t>(-2 - source[d]),
                          std::set<std::string>(list.begin(), list.end()));
      check_names.push_back(dimensions[d] + " (" +
                            codes[dimensions[d]]["codelist"].get<std::string>() + ")");
    }
    const size_t refused = RejectRecords(&ds, [&](const data::Record& rec) -> Refusal {
      for (size_t c = 0; c < checks.size(); ++c) {
        const std::string& v = rec.kept[checks[c].first];
        if (!checks[c].second.count(v)) {
          return {coding.keep[checks[c].first],
                  "value '" + v + "' is not a code of dimension " + check_names[c]};
        }
      }
      return {};
    });
    if (refused > 0) RETURN_IF_ERROR(HandleRejects(ds, coding.input, base + ".rejects.tsv"));
  }
  const size_t loaded_rejections = ds.rejections.size();
  RejectRecordsWithoutKey(&context, &ds);
  if (ds.rejections.size() > loaded_rejections) {
    RETURN_IF_ERROR(HandleRejects(ds, coding.input, base + ".rejects.tsv"));
  }
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(JointResults results, PredictAll(joint, ds, plausible, memory, &context));
  const std::vector<model::JointPrediction>& preds = results.predictions;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto decision_of = [](const model::JointPrediction& p) -> std::string {
    if (p.decision == model::Decision::kAuto) return "auto";
    if (p.decision == model::Decision::kKb) return "memory";
    return std::any_of(p.code_auto.begin(), p.code_auto.end(), [](bool b) { return b; })
               ? "partial"
               : "review";
  };
  std::string out = "id";
  for (const auto& l : joint->label_fields()) {
    out += "\t" + l + "_code\t" + l + "_confidence\t" + l + "_decision";
  }
  out += "\tconfidence\tdecision\tnew_key\tplausibility";
  for (const auto& k : coding_in.keep) out += "\t" + k;
  out += "\n";
  size_t auto_count = 0, partial_count = 0, new_keys = 0;
  for (size_t i = 0; i < preds.size(); ++i) {
    const model::JointPrediction& p = preds[i];
    out += ds.records[i].id;
    for (size_t k = 0; k < joint->size(); ++k) {
      out += "\t" + p.codes[k] + "\t" + Fixed6(p.code_confidence[k]) + "\t" +
             (p.code_auto[k] ? "auto" : "review");
    }
    const std::string decision = decision_of(p);
    out += "\t" + Fixed6(p.confidence) + "\t" + decision + "\t" +
           (p.tuple_in_training ? "no" : "yes") + "\t" + results.plausibility[i];
    new_keys += !p.tuple_in_training;
    for (size_t c = 0; c < coding_in.keep.size(); ++c) {
      std::string clean = ds.records[i].kept[c];
      std::replace(clean.begin(), clean.end(), '\t', ' ');
      std::replace(clean.begin(), clean.end(), '\n', ' ');
      out += "\t" + clean;
    }
    out += "\n";
    auto_count += p.decision == model::Decision::kAuto;
    partial_count += decision == "partial";
  }
  std::string tsv_path = out_path;
  if (sdmx_csv) {
    // Every key written is one the model's allowed keys hold (the joint decision never leaves
    // them); referred and partly coded keys are written too, marked, for the coders' review.
    std::string structure_id = r.structure_id;
    if (structure_id.empty()) structure_id = sdmx_meta.value("structure_id", "");
    if (structure_id.empty() && !quiet) {
      std::fprintf(stderr, "warning: the model records no SDMX structure (train with --structure, "
                           "or --structure-id with --valid-keys; or give --structure-id here): "
                           "STRUCTURE_ID is left empty\n");
    }
    sdmx::SdmxCsvWriter writer({.structure = sdmx_meta.value("structure", "dataflow"),
                                .structure_id = structure_id,
                                .dimensions = dimensions,
                                .custom = {"STATCODER_ID", "STATCODER_DECISION",
                                           "STATCODER_CONFIDENCE"},
                                .action = "M"});
    std::string csv;
    writer.Header(&csv);
    for (size_t i = 0; i < preds.size(); ++i) {
      std::vector<std::string> key(dimensions.size());
      for (size_t d = 0; d < dimensions.size(); ++d) {
        if (source[d] >= 0) {
          key[d] = preds[i].codes[static_cast<size_t>(source[d])];
        } else if (source[d] <= -2) {
          key[d] = ds.records[i].kept[static_cast<size_t>(-2 - source[d])];
        }
      }
      writer.Row(key, {ds.records[i].id, decision_of(preds[i]), Fixed6(preds[i].confidence)}, &csv);
    }
    if (out_path == "-") {
      // To standard output the SDMX-CSV goes alone: statcoder's TSV needs a file to go beside.
      if (std::fwrite(csv.data(), 1, csv.size(), stdout) != csv.size()) {
        return core::IoError("cannot write the SDMX-CSV keys to standard output");
      }
      tsv_path.clear();
    } else {
      RETURN_IF_ERROR(core::WriteFileAtomic(out_path, csv));
      tsv_path = out_path + ".statcoder.tsv";
    }
  }
  if (tsv_path.empty()) {
    // SDMX-CSV on standard output: nothing more to write.
  } else if (tsv_path == "-") {
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
      return core::IoError("cannot write coded records to standard output");
    }
  } else {
    RETURN_IF_ERROR(core::WriteFileAtomic(tsv_path, out));
  }
  const double n = static_cast<double>(std::max<size_t>(preds.size(), 1));
  nlohmann::json summary = {{"records", preds.size()},
                            {"rejected", ds.rejections.size()},
                            {"auto", auto_count},
                            {"partial", partial_count},
                            {"new_keys", new_keys},
                            {"implausible_records", results.implausible_records},
                            {"implausible_decided", results.implausible_decided},
                            {"memory", results.from_memory},
                            {"review", preds.size() - auto_count - results.from_memory},
                            {"auto_rate", static_cast<double>(auto_count) / n},
                            {"seconds", seconds},
                            {"model_version", joint->version_id()},
                            {"label_fields", joint->label_fields()},
                            {"out", out_path}};
  if (sdmx_csv) {
    summary["format"] = "sdmx-csv";
    summary["statcoder_out"] = tsv_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(tsv_path);
    summary["dimensions"] = dimensions;
  }
  if (json && out_path != "-") {
    std::printf("%s\n", summary.dump(2).c_str());
  } else if (!quiet) {
    std::fprintf(stderr, "coded %zu records with joint model %s: %zu from the reporter memory, "
                         "%zu auto, %zu partly, %zu to review\n",
                 preds.size(), joint->version_id().c_str(), results.from_memory, auto_count,
                 partial_count, preds.size() - auto_count - partial_count - results.from_memory);
  }
  return core::Status::Ok();
}

}  // namespace statcoder::cli
