#include "kb/knowledge_base.h"

#include <algorithm>

#include "data/record_reader.h"
#include "text/normalizer.h"

namespace statcoder::kb {
namespace {

// The entry's context as field → value, for matching.
bool ContextMatches(const nlohmann::json& context, const data::Schema& schema,
                    const data::Record& r) {
  for (const auto& [field, value] : context.items()) {
    const auto it =
        std::find(schema.categorical_fields.begin(), schema.categorical_fields.end(), field);
    if (it == schema.categorical_fields.end()) return false;
    if (r.categoricals[static_cast<size_t>(it - schema.categorical_fields.begin())] != value) {
      return false;
    }
  }
  return true;
}

nlohmann::json ContextJson(const std::map<std::string, std::string>& context) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : context) {
    if (!v.empty()) j[k] = v;
  }
  return j;
}

}  // namespace

core::Result<std::string> KeyOf(const std::vector<std::string>& texts) {
  static const text::Normalizer normalizer;
  std::string key;
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSIGN_OR_RETURN(std::string n, normalizer.Normalize(texts[i]));
    if (i) key += " | ";
    key += n;
  }
  return key;
}

core::Result<KnowledgeBase> KnowledgeBase::Load(store::MetadataStore& store,
                                                const data::Schema& schema, int64_t version) {
  KnowledgeBase kb;
  kb.schema_ = schema;
  ASSIGN_OR_RETURN(kb.version_, store.KbVersion());
  if (version >= 0) kb.version_ = std::min(version, kb.version_);
  ASSIGN_OR_RETURN(kb.entries_, store.ListKbEntries(version < 0 ? -1 : kb.version_));
  for (size_t i = 0; i < kb.entries_.size(); ++i) kb.by_key_.emplace(kb.entries_[i].text, i);
  return kb;
}

const store::KbEntry* KnowledgeBase::Lookup(const data::Record& record) const {
  if (entries_.empty()) return nullptr;
  core::Result<std::string> key = KeyOf(record.texts);
  if (!key.ok()) return nullptr;
  const store::KbEntry* best = nullptr;
  const auto [lo, hi] = by_key_.equal_range(*key);
  for (auto it = lo; it != hi; ++it) {
    const store::KbEntry& e = entries_[it->second];
    if (!ContextMatches(e.context, schema_, record)) continue;
    if (!best || e.context.size() > best->context.size()) best = &e;
  }
  return best;
}

core::Result<KbEditResult> AddEntries(workspace::Workspace& ws, const std::vector<KbEdit>& edits,
                                      const std::string& source) {
  const data::Schema& schema = ws.config().schema;
  ASSIGN_OR_RETURN(std::shared_ptr<const data::CodeList> codes, ws.CodeList());
  std::vector<store::KbEntry> entries;
  for (size_t i = 0; i < edits.size(); ++i) {
    const KbEdit& e = edits[i];
    const std::string where = source.empty() ? "entry " + std::to_string(i + 1) : source;
    if (e.text.find_first_not_of(" \t") == std::string::npos) {
      return core::InvalidInput(where + ": empty text");
    }
    for (const auto& [field, value] : e.context) {
      if (std::find(schema.categorical_fields.begin(), schema.categorical_fields.end(), field) ==
          schema.categorical_fields.end()) {
        return core::InvalidInput(where + ": context field '" + field +
                                  "' is not a categorical field of the schema");
      }
    }
    if (e.code.empty()) return core::InvalidInput(where + ": empty code");
    if (codes && codes->Find(e.code) < 0) {
      return core::InvalidInput(where + ": code '" + e.code + "' is not in the code list '" +
                                ws.config().codelist_file + "'");
    }
    store::KbEntry entry;
    ASSIGN_OR_RETURN(entry.text, KeyOf(std::vector<std::string>{e.text}));
    if (schema.text_fields.size() > 1 && e.text.find(" | ") == std::string::npos) {
      return core::InvalidInput(where + ": the schema has " +
                                std::to_string(schema.text_fields.size()) +
                                " text fields; give the text as 'field1 | field2 | ...'");
    }
    entry.context = ContextJson(e.context);
    entry.code = e.code;
    entry.note = e.note;
    entry.actor = ws.actor();
    entry.created_at = workspace::UtcNow();
    entries.push_back(std::move(entry));
  }
  KbEditResult result;
  const core::Status committed = ws.store().Transaction([&]() -> core::Status {
    ASSIGN_OR_RETURN(std::vector<store::KbEntry> current, ws.store().ListKbEntries(-1));
    const bool changes_something =
        std::any_of(entries.begin(), entries.end(), [&](const store::KbEntry& entry) {
          return std::none_of(current.begin(), current.end(), [&](const store::KbEntry& c) {
            return c.text == entry.text && c.context == entry.context && c.code == entry.code &&
                   c.note == entry.note;
          });
        });
    if (!changes_something) {
      // Nothing new (e.g. the same file imported again): no new version, nothing to audit.
      ASSIGN_OR_RETURN(result.version, ws.store().KbVersion());
      result.unchanged = entries.size();
      return core::Status::Ok();
    }
    ASSIGN_OR_RETURN(result.version, ws.store().BumpKbVersion());
    nlohmann::json changes = nlohmann::json::array();
    for (store::KbEntry& entry : entries) {
      auto same = std::find_if(current.begin(), current.end(), [&](const store::KbEntry& c) {
        return c.removed_in == 0 && c.text == entry.text && c.context == entry.context;
      });
      if (same != current.end() && same->code == entry.code && same->note == entry.note) {
        ++result.unchanged;
        continue;
      }
      if (same != current.end()) {
        RETURN_IF_ERROR(ws.store().MarkKbEntryRemoved(same->id, result.version));
        same->removed_in = result.version;
        ++result.replaced;
      } else {
        ++result.added;
      }
      entry.added_in = result.version;
      ASSIGN_OR_RETURN(entry.id, ws.store().InsertKbEntry(entry));
      result.entry_ids.push_back(entry.id);
      current.push_back(entry);
      if (changes.size() < 100) changes.push_back({{"id", entry.id}, {"code", entry.code}});
    }
    return ws.Audit("kb_add", {{"version", result.version},
                               {"source", source},
                               {"added", result.added},
                               {"replaced", result.replaced},
                               {"unchanged", result.unchanged},
                               {"entries", changes}})
        .status();
  });
  RETURN_IF_ERROR(committed);
  return result;
}

core::Result<KbEditResult> RemoveEntries(workspace::Workspace& ws,
                                         const std::vector<int64_t>& ids) {
  KbEditResult result;
  const core::Status committed = ws.store().Transaction([&]() -> core::Status {
    ASSIGN_OR_RETURN(std::vector<store::KbEntry> current, ws.store().ListKbEntries(-1));
    for (int64_t id : ids) {
      if (std::none_of(current.begin(), current.end(),
                       [&](const store::KbEntry& e) { return e.id == id; })) {
        return core::NotFound("knowledge-base entry " + std::to_string(id) +
                              " is not in force; see 'statcoder kb list'");
      }
    }
    ASSIGN_OR_RETURN(result.version, ws.store().BumpKbVersion());
    for (int64_t id : ids) RETURN_IF_ERROR(ws.store().MarkKbEntryRemoved(id, result.version));
    result.removed = ids.size();
    return ws.Audit("kb_remove", {{"version", result.version}, {"entries", ids}}).status();
  });
  RETURN_IF_ERROR(committed);
  return result;
}

core::Result<KbEditResult> ImportEntries(workspace::Workspace& ws, const std::string& file) {
  ASSIGN_OR_RETURN(std::unique_ptr<data::RecordReader> reader,
                   data::RecordReader::Open(file, data::ReaderOptions{}));
  ASSIGN_OR_RETURN(size_t text_col, reader->ColumnIndex("text"));
  ASSIGN_OR_RETURN(size_t code_col, reader->ColumnIndex("code"));
  const std::vector<std::string>& header = reader->header();
  const auto note_it = std::find(header.begin(), header.end(), "note");
  std::vector<std::pair<std::string, size_t>> context_cols;
  for (size_t c = 0; c < header.size(); ++c) {
    const std::string& h = header[c];
    if (h == "text" || h == "code" || h == "note") continue;
    const auto& cats = ws.config().schema.categorical_fields;
    if (std::find(cats.begin(), cats.end(), h) == cats.end()) {
      return core::InvalidInput(file + ": column '" + h +
                                "' is neither text, code, note nor a categorical field of the "
                                "schema");
    }
    context_cols.emplace_back(h, c);
  }
  std::vector<KbEdit> edits;
  std::vector<uint64_t> lines;
  data::RawRecord raw;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->Next(&raw));
    if (!more) break;
    if (!raw.error.ok()) return raw.error;
    KbEdit e;
    e.text = raw.fields[text_col];
    e.code = raw.fields[code_col];
    if (note_it != header.end()) e.note = raw.fields[static_cast<size_t>(note_it - header.begin())];
    for (const auto& [name, c] : context_cols) {
      if (!raw.fields[c].empty()) e.context[name] = raw.fields[c];
    }
    edits.push_back(std::move(e));
    lines.push_back(raw.line);
  }
  if (edits.empty()) return core::InvalidInput(file + ": no entries");
  // Validate each with its line for the message, then apply all at once.
  for (size_t i = 0; i < edits.size(); ++i) {
    const std::string where = file + ":" + std::to_string(lines[i]);
    const KbEdit& e = edits[i];
    if (e.text.find_first_not_of(" \t") == std::string::npos) {
      return core::InvalidInput(where + ": column 'text': empty");
    }
    ASSIGN_OR_RETURN(std::shared_ptr<const data::CodeList> codes, ws.CodeList());
    if (e.code.empty()) return core::InvalidInput(where + ": column 'code': empty");
    if (codes && codes->Find(e.code) < 0) {
      return core::InvalidInput(where + ": column 'code': '" + e.code +
                                "' is not in the code list '" + ws.config().codelist_file +
                                "'; nothing was imported");
    }
  }
  return AddEntries(ws, edits, file);
}

namespace {

// Whether one code is the other or an ancestor of it.
bool OnOneBranch(const data::CodeList* codes, const std::string& a, const std::string& b) {
  if (a == b) return true;
  if (!codes) return false;
  const int32_t ia = codes->Find(a), ib = codes->Find(b);
  if (ia < 0 || ib < 0) return false;
  auto is_ancestor = [&](int32_t up, int32_t node) {
    for (int32_t n = codes->node(node).parent; n >= 0; n = codes->node(n).parent) {
      if (n == up) return true;
    }
    return false;
  };
  return is_ancestor(ia, ib) || is_ancestor(ib, ia);
}

}  // namespace

KbApplied ApplyKnowledgeBase(const KnowledgeBase& kb, const model::Model& model,
                             const data::Dataset& dataset, double disagreement_probability,
                             std::vector<model::Prediction>* predictions) {
  KbApplied out;
  out.entry_ids.assign(dataset.records.size(), 0);
  const data::CodeList* codes = model.code_list();
  for (size_t i = 0; i < dataset.records.size(); ++i) {
    const store::KbEntry* e = kb.Lookup(dataset.records[i]);
    if (!e) continue;
    model::Prediction& p = (*predictions)[i];
    out.entry_ids[i] = e->id;
    const bool strong = !p.top.empty() && p.top[0].probability >= disagreement_probability;
    const std::string model_code =
        p.top.empty() ? std::string() : model.label(static_cast<size_t>(p.top[0].label));
    if (strong && !OnOneBranch(codes, e->code, model_code)) {
      p.decision = model::Decision::kReview;
      p.reason = "kb_conflict";
      ++out.conflicts;
      continue;
    }
    p.code = e->code;
    p.confidence = 1.0;
    p.level = codes && codes->Find(e->code) >= 0 ? codes->node(codes->Find(e->code)).depth : 1;
    p.decision = model::Decision::kKb;
    p.reason = "";
    ++out.kb;
  }
  return out;
}

nlohmann::json KbEntryToJson(const store::KbEntry& e) {
  return {{"id", e.id},         {"text", e.text},         {"context", e.context},
          {"code", e.code},     {"note", e.note},         {"added_in", e.added_in},
          {"removed_in", e.removed_in}, {"actor", e.actor}, {"created_at", e.created_at}};
}

}  // namespace statcoder::kb
