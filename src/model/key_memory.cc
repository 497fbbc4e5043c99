#include "model/key_memory.h"

#include <set>

#include "data/record_reader.h"

namespace statcoder::model {

core::Result<std::string> KeyMemory::Key(std::string_view reporter,
                                         const std::vector<std::string>& texts) const {
  // The reporter first, then each text field; '\x1f' cannot occur in normalised text fields
  // joined with " | ", so no two different records share a key.
  std::string key(reporter);
  key += '\x1f';
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSIGN_OR_RETURN(std::string t, normalizer_.Normalize(texts[i]));
    if (i > 0) key += " | ";
    key += t;
  }
  return key;
}

core::Result<KeyMemory> KeyMemory::Load(const std::string& path,
                                        const std::string& reporter_column,
                                        const std::vector<std::string>& text_fields,
                                        const JointModel& model) {
  ASSIGN_OR_RETURN(std::unique_ptr<data::RecordReader> reader, data::RecordReader::Open(path, {}));
  const auto column = [&](const std::string& name, const char* role) -> core::Result<size_t> {
    const core::Result<size_t> c = reader->ColumnIndex(name);
    if (!c.ok()) {
      return core::InvalidInput("memory '" + path + "' has no column '" + name + "' (" + role +
                                "); it needs the reporter column, the model's text fields and "
                                "its label fields");
    }
    return *c;
  };
  ASSIGN_OR_RETURN(const size_t reporter_col, column(reporter_column, "the reporter"));
  std::vector<size_t> text_cols, label_cols;
  for (const auto& f : text_fields) {
    ASSIGN_OR_RETURN(const size_t c, column(f, "a text field"));
    text_cols.push_back(c);
  }
  for (const auto& f : model.label_fields()) {
    ASSIGN_OR_RETURN(const size_t c, column(f, "a label field"));
    label_cols.push_back(c);
  }
  std::set<std::vector<int32_t>> allowed(model.allowed().begin(), model.allowed().end());
  KeyMemory memory;
  data::RawRecord rec;
  std::vector<std::string> texts;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, reader->Next(&rec));
    if (!more) break;
    const std::string at = path + ":" + std::to_string(rec.line);
    if (!rec.error.ok()) return rec.error.WithContext(at);
    if (rec.fields[reporter_col].empty()) {
      return core::InvalidInput(at + ": column '" + reporter_column + "' is empty");
    }
    std::vector<std::string> codes;
    std::vector<int32_t> labels;
    for (size_t k = 0; k < label_cols.size(); ++k) {
      const std::string& code = rec.fields[label_cols[k]];
      const int32_t label = model.member(k)->FindLabel(code);
      if (label < 0) {
        return core::InvalidInput(at + ": column '" + model.label_field(k) + "': '" + code +
                                  "' is not a code the model knows");
      }
      codes.push_back(code);
      labels.push_back(label);
    }
    if (!allowed.count(labels)) {
      return core::InvalidInput(at + ": the confirmed codes are not an allowed key of the model");
    }
    texts.clear();
    for (size_t c : text_cols) texts.push_back(rec.fields[c]);
    core::Result<std::string> key = memory.Key(rec.fields[reporter_col], texts);
    if (!key.ok()) return key.status().WithContext(at);
    auto [it, inserted] = memory.by_key_.emplace(*std::move(key), codes);
    if (!inserted && it->second != codes) {
      it->second = std::move(codes);
      ++memory.overridden_;
    }
  }
  return memory;
}

core::Result<const std::vector<std::string>*> KeyMemory::Lookup(
    std::string_view reporter, const std::vector<std::string>& texts) const {
  ASSIGN_OR_RETURN(const std::string key, Key(reporter, texts));
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &it->second;
}

}  // namespace statcoder::model
