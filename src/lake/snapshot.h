// Snapshots: the data lake's immutable, content-addressed datasets (docs/formats/
// workspace_v1.md, "Snapshot files"). Ingesting validates a file against the workspace schema,
// writes the accepted records in one canonical form (JSON Lines, schema columns in schema order,
// every value a string) whose SHA-256 is the snapshot id, keeps the rejected rows beside it with
// their reasons, and catalogues it. The same records give the same id whatever the source
// format, so ingesting twice is a no-op.
//
//   ASSIGN_OR_RETURN(IngestResult r, Ingest(ws, "coded_2024.tsv", {.kind = "training"}));
//   ASSIGN_OR_RETURN(data::Dataset ds, LoadSnapshot(ws, r.row));
//
// Thread-safety: functions of one Workspace, which is used by one thread.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "data/dataset.h"
#include "data/record_reader.h"
#include "store/metadata_store.h"
#include "workspace/workspace.h"

namespace statcoder::lake {

// training, feedback and audit snapshots carry a code for every record; batch ones need not.
inline constexpr const char* kSnapshotKinds[] = {"training", "batch", "feedback", "audit"};
bool KindNeedsLabels(const std::string& kind);

struct IngestOptions {
  std::string kind = "training";
  std::string data_source;           // provenance name; default: the file name
  std::vector<std::string> parents;  // snapshot ids (or unique prefixes)
  std::string transformation = "ingest";
  data::FileFormat format = data::FileFormat::kAuto;
  // Where rejected rows go when the ingest fails on them; default "<file>.rejects.tsv".
  std::string failed_rejects_path;
};

struct IngestResult {
  store::SnapshotRow row;
  bool created = false;  // false: these records were already a snapshot
};

// Errors: kInvalidArgument (unknown kind, unknown parent), kNotFound/kInvalidInput from reading,
// kFailedPrecondition when rejects exceed [ingest] max_reject_share (they are written to
// failed_rejects_path; nothing enters the lake).
core::Result<IngestResult> Ingest(workspace::Workspace& ws, const std::string& file,
                                  const IngestOptions& options);

// Catalogues records already validated (e.g. review decisions exported as feedback).
// `source_name` and `source_sha256` describe where they came from.
core::Result<IngestResult> AddSnapshot(workspace::Workspace& ws, const data::Dataset& dataset,
                                       const data::Schema& schema, const IngestOptions& options,
                                       const std::string& source_name,
                                       const std::string& source_sha256);

// The snapshot with this id or unique id prefix (at least 6 hex digits). kNotFound with the way
// out ('statcoder snapshots list'), kInvalidArgument when the prefix is ambiguous or too short.
core::Result<store::SnapshotRow> ResolveSnapshot(store::MetadataStore& store,
                                                 const std::string& id_or_prefix);

// Reads a snapshot's records back, after checking the file's SHA-256 against its id (kDataLoss
// when they differ). The schema is the one stored with the snapshot.
core::Result<data::Dataset> LoadSnapshot(const workspace::Workspace& ws,
                                         const store::SnapshotRow& row);

// The schema stored with a snapshot.
core::Result<data::Schema> SnapshotSchema(const store::SnapshotRow& row);

struct SnapshotDiff {
  std::string key;  // "id" when records are matched by the id column, else "content"
  uint64_t added = 0, removed = 0, relabelled = 0, unchanged = 0;
  // Up to `max_examples` keys of each kind, with old and new code for relabelled ones.
  struct Change {
    std::string kind;  // added, removed, relabelled
    std::string key;   // the record id, or the record's first text
    std::string old_code, new_code;
  };
  std::vector<Change> examples;
};

// Rows of `to` not in `from` (added), of `from` not in `to` (removed), and in both with another
// code (relabelled). Records match by the id column when both snapshots have one, else by their
// feature fields (texts, categoricals, numerics).
core::Result<SnapshotDiff> DiffSnapshots(const workspace::Workspace& ws,
                                         const store::SnapshotRow& from,
                                         const store::SnapshotRow& to, size_t max_examples);

// Writes a snapshot's records to `out` as TSV, CSV or JSON Lines (by extension), columns as in
// the schema. TSV fields with tabs or line breaks are refused (kInvalidInput) rather than mangled.
core::Status ExportSnapshot(const workspace::Workspace& ws, const store::SnapshotRow& row,
                            const std::string& out);

// nlohmann::json form of a catalog row, as `snapshots show --json` prints it.
nlohmann::json SnapshotToJson(const store::SnapshotRow& row);

}  // namespace statcoder::lake
