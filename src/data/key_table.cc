#include "data/key_table.h"

#include <set>

namespace statcoder::data {

core::Result<std::vector<std::vector<std::string>>> LoadKeyTable(
    const std::string& path, const std::vector<std::string>& fields,
    const ReaderOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader, RecordReader::Open(path, options));
  std::vector<size_t> columns;
  for (const std::string& f : fields) {
    const core::Result<size_t> col = reader->ColumnIndex(f);
    if (!col.ok()) {
      std::string header;
      for (const auto& h : reader->header()) header += (header.empty() ? "" : ", ") + h;
      return core::InvalidInput("key table '" + path + "' has no column '" + f +
                                "' (its header: " + header + "); it needs one column per "
                                "label field, named as the field");
    }
    columns.push_back(*col);
  }
  std::set<std::vector<std::string>> seen;
  std::vector<std::vector<std::string>> keys;
  RawRecord rec;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, reader->Next(&rec));
    if (!more) break;
    if (!rec.error.ok()) {
      return rec.error.WithContext(path + ":" + std::to_string(rec.line) +
                                   (rec.error_column.empty() ? "" : ": column '" + rec.error_column + "'"));
    }
    std::vector<std::string> key;
    for (size_t k = 0; k < columns.size(); ++k) {
      const std::string& code = rec.fields[columns[k]];
      if (code.empty()) {
        return core::InvalidInput(path + ":" + std::to_string(rec.line) + ": column '" +
                                  fields[k] + "' is empty; every allowed key gives a code for "
                                  "each field");
      }
      key.push_back(code);
    }
    if (seen.insert(key).second) keys.push_back(std::move(key));
  }
  if (keys.empty()) return core::InvalidInput("key table '" + path + "' lists no key");
  return keys;
}

}  // namespace statcoder::data
