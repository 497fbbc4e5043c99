#include "joint_commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>

#include "core/file_util.h"
#include "data/code_list.h"
#include "data/crosswalk.h"
#include "data/record_reader.h"
#include "model/batch_coder.h"
#include "model/joint_model.h"
#include "model/joint_training.h"

namespace statcoder::cli {
namespace {

std::string Fixed6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

// Moves the records with an empty or unknown code in one of the other label fields (held in
// Record::kept[0..]) into the rejections, so every record kept has a full tuple.
void RejectIncompleteTuples(const std::vector<std::string>& others,
                            const std::vector<const data::CodeList*>& codes,
                            data::Dataset* ds) {
  std::vector<data::Record> kept;
  for (data::Record& r : ds->records) {
    std::string why, column;
    for (size_t k = 0; k < others.size() && why.empty(); ++k) {
      const std::string& code = r.kept[k];
      if (code.empty()) {
        why = "is empty; every record needs a code in each label field";
      } else if (codes[k] != nullptr && codes[k]->Find(code) < 0) {
        why = "code '" + code + "' is not in the code list '" + codes[k]->source() + "'";
      }
      column = others[k];
    }
    if (why.empty()) {
      kept.push_back(std::move(r));
      continue;
    }
    ds->rejections.push_back({r.line, column,
                              ds->path + ":" + std::to_string(r.line) + ": column '" + column +
                                  "' " + why,
                              r.id});
  }
  ds->records = std::move(kept);
  std::stable_sort(ds->rejections.begin(), ds->rejections.end(),
                   [](const auto& a, const auto& b) { return a.line < b.line; });
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

core::Result<std::vector<model::JointPrediction>> PredictAll(
    const std::shared_ptr<const model::JointModel>& joint, const data::Dataset& ds) {
  model::JointPredictor predictor(joint);
  std::vector<model::JointPrediction> out(ds.records.size());
  for (size_t i = 0; i < ds.records.size(); ++i) {
    const data::Record& r = ds.records[i];
    const std::vector<std::string_view> texts(r.texts.begin(), r.texts.end());
    const std::vector<std::string_view> cats(r.categoricals.begin(), r.categoricals.end());
    const core::Status s = predictor.Predict(text::RecordView{texts, cats, r.numerics}, &out[i]);
    if (!s.ok()) return s.WithContext(ds.path + ":" + std::to_string(r.line));
  }
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
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(model::JointModelData joint,
                   model::TrainJoint(per_label, r.labels, r.options, codes,
                                     MakeProgressBar(r.quiet || r.json),
                                     table ? &*table : nullptr));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
                                  {"per_label", per},
                                  {"training_seconds", seconds},
                                  {"records_outside_table", outside},
                                  {"data_sha256", ds.content_hash}};
  if (r.json) {
    std::printf("%s\n", summary.dump(2).c_str());
  } else {
    std::printf("trained joint model %s (version %s) for %zu classifications on %zu records in "
                "%.1f s; %zu allowed code tuples (from the %s)\n",
                r.out_path.c_str(), version.c_str(), m, ds.records.size(), seconds, allowed,
                table ? "correspondence table" : "training records");
  }
  return core::Status::Ok();
}

core::Status RunJointEvaluate(const CodingOptions& coding, const std::vector<std::string>& given,
                              bool json, bool quiet) {
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
  (void)quiet;
  ASSIGN_OR_RETURN(data::Dataset ds,
                   LoadForJoint(*joint, coding, labels, coding.data_path + ".rejects.tsv"));
  ASSIGN_OR_RETURN(std::vector<model::JointPrediction> preds, PredictAll(joint, ds));
  const size_t m = joint->size(), n = ds.records.size();
  std::vector<size_t> hits(m, 0), alone_hits(m, 0);
  size_t joint_hits = 0, alone_joint_hits = 0, consistent = 0, auto_count = 0, auto_hits = 0;
  size_t joint_allowed = 0;
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
    joint_allowed += allowed.count(preds[i].codes);
    if (preds[i].decision == model::Decision::kAuto) {
      ++auto_count;
      auto_hits += all;
    }
  }
  const auto share = [n](size_t x) {
    return n ? static_cast<double>(x) / static_cast<double>(n) : 0.0;
  };
  nlohmann::json per = nlohmann::json::object();
  for (size_t k = 0; k < m; ++k) {
    per[labels[k]] = {{"accuracy", share(hits[k])}, {"independent_accuracy", share(alone_hits[k])}};
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

core::Status RunJointCode(const CodingOptions& coding, const std::string& out_path, bool json,
                          bool quiet) {
  if (out_path != "-" && data::FormatFromPath(out_path) != data::FileFormat::kTsv) {
    return core::InvalidArgument("a joint model writes TSV output (--out FILE.tsv or -)");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const model::JointModel> joint,
                   model::LoadJointModel(coding.model_path));
  const std::string base = out_path == "-" ? coding.data_path : out_path;
  ASSIGN_OR_RETURN(data::Dataset ds, LoadForJoint(*joint, coding, {}, base + ".rejects.tsv"));
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::vector<model::JointPrediction> preds, PredictAll(joint, ds));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string out = "id";
  for (const auto& l : joint->label_fields()) out += "\t" + l + "_code\t" + l + "_confidence";
  out += "\tconfidence\tdecision";
  for (const auto& k : coding.keep) out += "\t" + k;
  out += "\n";
  size_t auto_count = 0;
  for (size_t i = 0; i < preds.size(); ++i) {
    const model::JointPrediction& p = preds[i];
    out += ds.records[i].id;
    for (size_t k = 0; k < joint->size(); ++k) {
      out += "\t" + p.codes[k] + "\t" + Fixed6(p.code_confidence[k]);
    }
    out += "\t" + Fixed6(p.confidence) + "\t" + std::string(model::DecisionName(p.decision));
    for (const std::string& v : ds.records[i].kept) {
      std::string clean = v;
      std::replace(clean.begin(), clean.end(), '\t', ' ');
      std::replace(clean.begin(), clean.end(), '\n', ' ');
      out += "\t" + clean;
    }
    out += "\n";
    auto_count += p.decision == model::Decision::kAuto;
  }
  if (out_path == "-") {
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
      return core::IoError("cannot write coded records to standard output");
    }
  } else {
    RETURN_IF_ERROR(core::WriteFileAtomic(out_path, out));
  }
  const double n = static_cast<double>(std::max<size_t>(preds.size(), 1));
  const nlohmann::json summary = {{"records", preds.size()},
                                  {"rejected", ds.rejections.size()},
                                  {"auto", auto_count},
                                  {"review", preds.size() - auto_count},
                                  {"auto_rate", static_cast<double>(auto_count) / n},
                                  {"seconds", seconds},
                                  {"model_version", joint->version_id()},
                                  {"label_fields", joint->label_fields()},
                                  {"out", out_path}};
  if (json && out_path != "-") {
    std::printf("%s\n", summary.dump(2).c_str());
  } else if (!quiet) {
    std::fprintf(stderr, "coded %zu records with joint model %s: %zu auto, %zu to review\n",
                 preds.size(), joint->version_id().c_str(), auto_count,
                 preds.size() - auto_count);
  }
  return core::Status::Ok();
}

}  // namespace statcoder::cli
