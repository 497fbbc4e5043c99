// KnowledgeBase: expert-confirmed mappings from a record's normalised text (optionally with the
// values of some categorical fields) to a code, consulted before the model by `code`. Editable
// without retraining; every edit makes a new knowledge-base version and keeps the old entries
// (removed_in), so the base as used for any coded batch can be listed again.
//
// Keys: the record's text fields, each normalised (Unicode NFKC, case folding, collapsed
// whitespace: text/normalizer.h with default options) and joined with " | ". An entry with a
// context matches only records whose categorical fields have those values; the entry with the
// most context fields wins.
//
//   ASSIGN_OR_RETURN(KnowledgeBase kb, KnowledgeBase::Load(ws.store(), ws.config().schema));
//   if (const store::KbEntry* e = kb.Lookup(record)) ... e->code
//
// Thread-safety: a loaded KnowledgeBase is immutable; Lookup may be called concurrently.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "data/dataset.h"
#include "model/model.h"
#include "model/predictor.h"
#include "store/metadata_store.h"
#include "workspace/workspace.h"

namespace statcoder::kb {

// The key of these texts (one per schema text field). kInvalidInput on invalid UTF-8.
core::Result<std::string> KeyOf(const std::vector<std::string>& texts);

class KnowledgeBase {
 public:
  // The entries in force at `version` (< 0: now).
  static core::Result<KnowledgeBase> Load(store::MetadataStore& store, const data::Schema& schema,
                                          int64_t version = -1);

  int64_t version() const { return version_; }
  size_t size() const { return entries_.size(); }
  const std::vector<store::KbEntry>& entries() const { return entries_; }

  // The matching entry for a record read with `schema`'s fields, or null.
  const store::KbEntry* Lookup(const data::Record& record) const;

 private:
  data::Schema schema_;
  int64_t version_ = 0;
  std::vector<store::KbEntry> entries_;
  std::multimap<std::string, size_t> by_key_;  // key → entry index
};

struct KbEdit {
  std::string text;                                   // raw; normalised into the key
  std::map<std::string, std::string> context;         // categorical field → value
  std::string code;
  std::string note;
};

struct KbEditResult {
  int64_t version = 0;  // the knowledge-base version after the edit
  uint64_t added = 0, replaced = 0, unchanged = 0, removed = 0;
  std::vector<int64_t> entry_ids;  // of added entries
};

// Adds entries (an entry with the same key and context is replaced) in one transaction and one
// new version; nothing is applied when any is invalid. Checks: non-empty text, context fields
// that are categorical fields of the schema, code in the workspace's code list (when it has one).
// `source` names the input in messages ("kb.tsv:12").
core::Result<KbEditResult> AddEntries(workspace::Workspace& ws, const std::vector<KbEdit>& edits,
                                      const std::string& source);

// Removes the entries with these ids (kNotFound for an id not in force).
core::Result<KbEditResult> RemoveEntries(workspace::Workspace& ws, const std::vector<int64_t>& ids);

// Reads a TSV/CSV/JSONL file with columns text, code, optional note, and optional columns named
// after categorical fields (context; empty = any), then AddEntries. Errors name file:line and
// column; a code not in the code list is kInvalidInput and nothing is imported.
core::Result<KbEditResult> ImportEntries(workspace::Workspace& ws, const std::string& file);

struct KbApplied {
  uint64_t kb = 0;         // records coded from the knowledge base
  uint64_t conflicts = 0;  // matched, but the model strongly disagreed: referred for review
  // Per record: the entry that matched (0 = none).
  std::vector<int64_t> entry_ids;
};

// Consults the knowledge base for each record (loaded with the model's schema) before the
// model's decision: a match becomes decision kKb with the entry's code (confidence 1), unless
// the model's top code has at least `disagreement_probability` and is neither the entry's code
// nor above or below it in the code list — then the record is referred (reason "kb_conflict").
KbApplied ApplyKnowledgeBase(const KnowledgeBase& kb, const model::Model& model,
                             const data::Dataset& dataset, double disagreement_probability,
                             std::vector<model::Prediction>* predictions);

nlohmann::json KbEntryToJson(const store::KbEntry& e);

}  // namespace statcoder::kb
