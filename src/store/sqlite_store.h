// The embedded MetadataStore: one SQLite database file (WS/statcoder.db) in WAL mode, so readers
// never block the writer and a crash at any point leaves the last committed state. The only
// file of statcoder that includes sqlite3.h. Catalog schema and migrations:
// docs/formats/workspace_v1.md.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<MetadataStore> store, OpenSqliteStore(path, {.create = true}));
//
// Thread-safety: a store object is used by one thread; several processes may open one file
// (writers take the database lock at BEGIN IMMEDIATE and wait up to busy_timeout_ms).
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/metadata_store.h"

namespace statcoder::store {

// The catalog schema version this build writes; older databases are migrated on open.
inline constexpr int kCatalogSchemaVersion = 5;

struct SqliteStoreOptions {
  bool create = false;         // create the file when missing (else kNotFound)
  int busy_timeout_ms = 30000;  // how long a writer waits for another process's transaction
};

// Opens (and migrates) the database. kNotFound when missing and !create; kUnsupportedVersion
// when written by a newer statcoder; kDataLoss when the file is not a statcoder catalog, is
// empty (0 bytes or no tables) without `create`, or SQLite finds it damaged (no full integrity
// check is run on open: MetadataStore::CheckIntegrity); kIoError when SQLite cannot open it.
// An empty database is given the schema only with `create`: never over an existing workspace.
core::Result<std::unique_ptr<MetadataStore>> OpenSqliteStore(const std::string& path,
                                                             const SqliteStoreOptions& options);

}  // namespace statcoder::store
