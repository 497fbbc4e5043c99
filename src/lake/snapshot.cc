#include "lake/snapshot.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>

#include "core/content_hash.h"
#include "core/file_util.h"

namespace statcoder::lake {
namespace {

namespace fs = std::filesystem;

nlohmann::json SchemaToJson(const data::Schema& s) {
  return {{"id", s.id_field},
          {"text", s.text_fields},
          {"categorical", s.categorical_fields},
          {"numeric", s.numeric_fields},
          {"label", s.label_field},
          {"group", s.group_field}};
}

std::string NumberText(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// The canonical JSON Lines bytes of accepted records: one object per record, schema columns in
// schema order, every value a string. Its SHA-256 is the snapshot id.
std::string CanonicalRecords(const data::Dataset& ds, const data::Schema& s) {
  std::string out;
  for (const data::Record& r : ds.records) {
    nlohmann::ordered_json j;
    if (!s.id_field.empty()) j[s.id_field] = r.id;
    for (size_t i = 0; i < s.text_fields.size(); ++i) j[s.text_fields[i]] = r.texts[i];
    for (size_t i = 0; i < s.categorical_fields.size(); ++i) {
      j[s.categorical_fields[i]] = r.categoricals[i];
    }
    for (size_t i = 0; i < s.numeric_fields.size(); ++i) {
      j[s.numeric_fields[i]] = NumberText(r.numerics[i]);
    }
    if (!s.label_field.empty()) j[s.label_field] = r.label;
    if (!s.group_field.empty()) j[s.group_field] = r.group;
    out += j.dump();
    out += '\n';
  }
  return out;
}

core::Result<std::vector<std::string>> FileHeader(const std::string& file,
                                                  const data::ReaderOptions& reader) {
  ASSIGN_OR_RETURN(std::unique_ptr<data::RecordReader> r, data::RecordReader::Open(file, reader));
  return r->header();
}

// A record's feature fields joined, to match records without ids.
std::string ContentKey(const data::Record& r) {
  std::string key;
  for (const auto& t : r.texts) key += t + '\x1f';
  for (const auto& c : r.categoricals) key += c + '\x1f';
  for (double n : r.numerics) key += NumberText(n) + '\x1f';
  return key;
}

}  // namespace

bool KindNeedsLabels(const std::string& kind) { return kind != "batch"; }

nlohmann::json SnapshotToJson(const store::SnapshotRow& row) {
  return {{"id", row.id},
          {"kind", row.kind},
          {"rows", row.rows},
          {"rejected", row.rejected},
          {"schema", row.schema},
          {"data_source", row.data_source},
          {"source_file", row.source_file},
          {"source_sha256", row.source_sha256},
          {"parents", row.parents},
          {"transformation", row.transformation},
          {"path", row.path},
          {"rejects_path", row.rejects_path},
          {"rejects_sha256", row.rejects_sha256},
          {"actor", row.actor},
          {"created_at", row.created_at}};
}

core::Result<data::Schema> SnapshotSchema(const store::SnapshotRow& row) {
  try {
    data::Schema s;
    s.id_field = row.schema.at("id").get<std::string>();
    s.text_fields = row.schema.at("text").get<std::vector<std::string>>();
    s.categorical_fields = row.schema.at("categorical").get<std::vector<std::string>>();
    s.numeric_fields = row.schema.at("numeric").get<std::vector<std::string>>();
    s.label_field = row.schema.at("label").get<std::string>();
    s.group_field = row.schema.at("group").get<std::string>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    return core::DataLoss("snapshot " + row.id + ": stored schema is unreadable: " + e.what());
  }
}

core::Result<store::SnapshotRow> ResolveSnapshot(store::MetadataStore& store,
                                                 const std::string& id_or_prefix) {
  ASSIGN_OR_RETURN(std::optional<store::SnapshotRow> exact, store.FindSnapshot(id_or_prefix));
  if (exact) return *exact;
  ASSIGN_OR_RETURN(std::vector<store::SnapshotRow> all, store.ListSnapshots());
  std::vector<std::string> ids;
  for (const auto& r : all) ids.push_back(r.id);
  ASSIGN_OR_RETURN(size_t i, workspace::MatchIdPrefix(ids, id_or_prefix, "snapshot",
                                                      "statcoder snapshots list"));
  return all[i];
}

core::Result<IngestResult> AddSnapshot(workspace::Workspace& ws, const data::Dataset& dataset,
                                       const data::Schema& schema, const IngestOptions& options,
                                       const std::string& source_name,
                                       const std::string& source_sha256) {
  if (std::find(std::begin(kSnapshotKinds), std::end(kSnapshotKinds), options.kind) ==
      std::end(kSnapshotKinds)) {
    return core::InvalidArgument("unknown snapshot kind '" + options.kind +
                                 "'; use training, batch, feedback or audit");
  }
  store::MetadataStore& store = ws.store();
  std::vector<std::string> parents;
  for (const std::string& p : options.parents) {
    ASSIGN_OR_RETURN(store::SnapshotRow parent, ResolveSnapshot(store, p));
    parents.push_back(parent.id);
  }
  if (dataset.records.empty()) {
    return core::FailedPrecondition("'" + source_name + "' has no accepted record to ingest");
  }
  const std::string canonical = CanonicalRecords(dataset, schema);
  const std::string id = core::Sha256Hex(canonical);
  ASSIGN_OR_RETURN(std::optional<store::SnapshotRow> existing, store.FindSnapshot(id));
  if (existing) return IngestResult{*existing, false};

  store::SnapshotRow row;
  row.id = id;
  row.kind = options.kind;
  row.rows = dataset.records.size();
  row.rejected = dataset.rejections.size();
  row.schema = SchemaToJson(schema);
  row.source_file = source_name;
  row.data_source =
      options.data_source.empty() ? fs::path(source_name).filename().string() : options.data_source;
  row.source_sha256 = source_sha256;
  row.parents = parents;
  row.transformation = options.transformation;
  row.path = "lake/" + id + ".jsonl";
  row.actor = ws.actor();
  row.created_at = workspace::UtcNow();
  // Files first, each complete before it gets its name; the catalog row last.
  RETURN_IF_ERROR(ws.PutFile(row.path, canonical));
  if (!dataset.rejections.empty()) {
    const std::string tmp = ws.TempPath("rejects.tsv");
    RETURN_IF_ERROR(data::WriteRejects(dataset, tmp));
    ASSIGN_OR_RETURN(row.rejects_sha256, core::Sha256File(tmp));
    // Named by its own hash too: the same records ingested from another file have other
    // rejects, and a file the catalog may already name must never be replaced.
    row.rejects_path = "lake/" + id + "." + row.rejects_sha256.substr(0, 16) + ".rejects.tsv";
    RETURN_IF_ERROR(ws.PlaceIfAbsent(tmp, row.rejects_path).status());
  }
  const core::Status committed = store.Transaction([&]() -> core::Status {
    RETURN_IF_ERROR(store.InsertSnapshot(row));
    return ws.Audit("ingest", {{"snapshot", row.id},
                               {"kind", row.kind},
                               {"rows", row.rows},
                               {"rejected", row.rejected},
                               {"source_file", row.source_file},
                               {"source_sha256", row.source_sha256},
                               {"data_source", row.data_source},
                               {"parents", row.parents}})
        .status();
  });
  if (committed.code() == core::StatusCode::kAlreadyExists) {
    // Another process catalogued the same records first: the same snapshot.
    ASSIGN_OR_RETURN(std::optional<store::SnapshotRow> now, store.FindSnapshot(id));
    if (now) return IngestResult{*now, false};
  }
  RETURN_IF_ERROR(committed);
  return IngestResult{row, true};
}

core::Result<IngestResult> Ingest(workspace::Workspace& ws, const std::string& file,
                                  const IngestOptions& options) {
  const workspace::WorkspaceConfig& config = ws.config();
  data::Schema schema = config.schema;
  data::LoadOptions load;
  load.reader.format = options.format;
  load.reader.max_field_bytes = config.ingest.max_field_bytes;
  if (!KindNeedsLabels(options.kind)) {
    // A batch to code may come without its code column, or with some codes filled in.
    ASSIGN_OR_RETURN(std::vector<std::string> header, FileHeader(file, load.reader));
    if (std::find(header.begin(), header.end(), schema.label_field) == header.end()) {
      schema.label_field.clear();
    }
    load.allow_empty_label = true;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const data::CodeList> codes, ws.CodeList());
  ASSIGN_OR_RETURN(data::Dataset ds, data::LoadDataset(file, schema, load, codes.get()));
  const core::Status share = data::CheckRejectShare(ds, config.ingest.max_reject_share);
  if (!share.ok()) {
    const std::string rejects =
        options.failed_rejects_path.empty() ? file + ".rejects.tsv" : options.failed_rejects_path;
    if (!ds.rejections.empty()) RETURN_IF_ERROR(data::WriteRejects(ds, rejects));
    return core::Status(share.code(),
                        share.message() + "; nothing was ingested" +
                            (ds.rejections.empty() ? "" : "; rejected rows in '" + rejects + "'") +
                            " (limit: [ingest] max_reject_share in statcoder.toml)");
  }
  return AddSnapshot(ws, ds, schema, options, file, ds.content_hash);
}

core::Result<data::Dataset> LoadSnapshot(const workspace::Workspace& ws,
                                         const store::SnapshotRow& row) {
  const std::string path = ws.Path(row.path);
  ASSIGN_OR_RETURN(std::string hash, core::Sha256File(path));
  if (hash != row.id) {
    return core::DataLoss("snapshot file '" + path + "' does not match its id " + row.id +
                          " (changed or damaged on disk)");
  }
  ASSIGN_OR_RETURN(data::Schema schema, SnapshotSchema(row));
  data::LoadOptions load;
  load.reader.format = data::FileFormat::kJsonl;
  load.reader.max_field_bytes = SIZE_MAX / 2;  // validated at ingest
  load.allow_empty_label = true;
  ASSIGN_OR_RETURN(data::Dataset ds, data::LoadDataset(path, schema, load, nullptr));
  if (!ds.rejections.empty() || ds.records.size() != row.rows) {
    return core::DataLoss("snapshot " + row.id + ": " + std::to_string(ds.records.size()) +
                          " readable records, catalog says " + std::to_string(row.rows));
  }
  return ds;
}

core::Result<SnapshotDiff> DiffSnapshots(const workspace::Workspace& ws,
                                         const store::SnapshotRow& from,
                                         const store::SnapshotRow& to, size_t max_examples) {
  ASSIGN_OR_RETURN(data::Dataset a, LoadSnapshot(ws, from));
  ASSIGN_OR_RETURN(data::Dataset b, LoadSnapshot(ws, to));
  ASSIGN_OR_RETURN(data::Schema sa, SnapshotSchema(from));
  ASSIGN_OR_RETURN(data::Schema sb, SnapshotSchema(to));
  SnapshotDiff diff;
  const bool by_id = !sa.id_field.empty() && !sb.id_field.empty();
  diff.key = by_id ? "id" : "content";
  auto key_of = [&](const data::Record& r) { return by_id ? r.id : ContentKey(r); };
  auto shown = [&](const data::Record& r) {
    return by_id ? r.id : (r.texts.empty() ? std::string() : r.texts[0]);
  };
  // key → codes of the records with it, on each side (several records may share a key).
  struct Side {
    std::vector<std::string> from, to;
    std::string shown;
  };
  std::map<std::string, Side> keys;
  for (const auto& r : a.records) {
    Side& s = keys[key_of(r)];
    s.from.push_back(r.label);
    s.shown = shown(r);
  }
  for (const auto& r : b.records) {
    Side& s = keys[key_of(r)];
    s.to.push_back(r.label);
    s.shown = shown(r);
  }
  auto example = [&](const char* kind, const std::string& key, std::string old_code,
                     std::string new_code) {
    if (diff.examples.size() < max_examples * 3) {
      size_t same = 0;
      for (const auto& e : diff.examples) same += e.kind == kind;
      if (same < max_examples) diff.examples.push_back({kind, key, old_code, new_code});
    }
  };
  for (auto& [key, side] : keys) {
    std::sort(side.from.begin(), side.from.end());
    std::sort(side.to.begin(), side.to.end());
    std::vector<std::string> only_from, only_to;
    std::set_difference(side.from.begin(), side.from.end(), side.to.begin(), side.to.end(),
                        std::back_inserter(only_from));
    std::set_difference(side.to.begin(), side.to.end(), side.from.begin(), side.from.end(),
                        std::back_inserter(only_to));
    diff.unchanged += side.from.size() - only_from.size();
    const size_t relabelled = std::min(only_from.size(), only_to.size());
    for (size_t i = 0; i < relabelled; ++i) example("relabelled", side.shown, only_from[i], only_to[i]);
    for (size_t i = relabelled; i < only_from.size(); ++i) example("removed", side.shown, only_from[i], "");
    for (size_t i = relabelled; i < only_to.size(); ++i) example("added", side.shown, "", only_to[i]);
    diff.relabelled += relabelled;
    diff.removed += only_from.size() - relabelled;
    diff.added += only_to.size() - relabelled;
  }
  return diff;
}

core::Status ExportSnapshot(const workspace::Workspace& ws, const store::SnapshotRow& row,
                            const std::string& out) {
  const data::FileFormat format = data::FormatFromPath(out);
  if (format == data::FileFormat::kJsonl) {
    ASSIGN_OR_RETURN(std::string bytes, core::ReadFile(ws.Path(row.path)));
    if (core::Sha256Hex(bytes) != row.id) {
      return core::DataLoss("snapshot file '" + ws.Path(row.path) + "' does not match its id");
    }
    return core::WriteFileAtomic(out, bytes);
  }
  ASSIGN_OR_RETURN(data::Dataset ds, LoadSnapshot(ws, row));
  ASSIGN_OR_RETURN(data::Schema s, SnapshotSchema(row));
  const char sep = format == data::FileFormat::kCsv ? ',' : '\t';
  std::string text;
  auto field = [&](const std::string& v, bool first) -> core::Status {
    if (!first) text.push_back(sep);
    if (format == data::FileFormat::kCsv) {
      if (v.find_first_of(",\"\r\n") == std::string::npos) {
        text += v;
      } else {
        text.push_back('"');
        for (char c : v) {
          if (c == '"') text.push_back('"');
          text.push_back(c);
        }
        text.push_back('"');
      }
      return core::Status::Ok();
    }
    if (v.find_first_of("\t\r\n") != std::string::npos) {
      return core::InvalidInput("snapshot " + row.id + ": a value holds a tab or line break, "
                                "which TSV cannot carry; export to .csv or .jsonl");
    }
    text += v;
    return core::Status::Ok();
  };
  std::vector<std::string> header;
  if (!s.id_field.empty()) header.push_back(s.id_field);
  for (const auto& c : {s.text_fields, s.categorical_fields, s.numeric_fields}) {
    header.insert(header.end(), c.begin(), c.end());
  }
  if (!s.label_field.empty()) header.push_back(s.label_field);
  if (!s.group_field.empty()) header.push_back(s.group_field);
  for (size_t i = 0; i < header.size(); ++i) RETURN_IF_ERROR(field(header[i], i == 0));
  text.push_back('\n');
  for (const data::Record& r : ds.records) {
    std::vector<std::string> values;
    if (!s.id_field.empty()) values.push_back(r.id);
    values.insert(values.end(), r.texts.begin(), r.texts.end());
    values.insert(values.end(), r.categoricals.begin(), r.categoricals.end());
    for (double n : r.numerics) values.push_back(NumberText(n));
    if (!s.label_field.empty()) values.push_back(r.label);
    if (!s.group_field.empty()) values.push_back(r.group);
    for (size_t i = 0; i < values.size(); ++i) RETURN_IF_ERROR(field(values[i], i == 0));
    text.push_back('\n');
  }
  return core::WriteFileAtomic(out, text);
}

}  // namespace statcoder::lake
