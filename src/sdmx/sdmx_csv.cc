#include "sdmx/sdmx_csv.h"

namespace statcoder::sdmx {

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void SdmxCsvWriter::Header(std::string* out) const {
  *out += "STRUCTURE,STRUCTURE_ID,ACTION";
  for (const auto& d : layout_.dimensions) *out += "," + CsvField(d);
  for (const auto& c : layout_.custom) *out += "," + CsvField(c);
  *out += "\r\n";  // RFC 4180 line breaks
}

void SdmxCsvWriter::Row(const std::vector<std::string>& dimensions,
                        const std::vector<std::string>& custom, std::string* out) const {
  *out += CsvField(layout_.structure) + "," + CsvField(layout_.structure_id) + "," +
          CsvField(layout_.action);
  for (const auto& v : dimensions) *out += "," + CsvField(v);
  for (const auto& v : custom) *out += "," + CsvField(v);
  *out += "\r\n";
}

}  // namespace statcoder::sdmx
