// SDMX-CSV 2.0 output of coded series keys (sdmx-twg/sdmx-csv, data-message field guide):
// STRUCTURE, STRUCTURE_ID, ACTION, then one column per dimension in the DSD's order, then custom
// columns (statcoder's record id, decision and confidence). Fields are quoted as RFC 4180 asks.
//
//   SdmxCsvWriter w({"dataflow", "IMF:IFS(1.0)", {"FREQ", "REF_AREA", "INDICATOR"},
//                    {"STATCODER_ID"}});
//   w.Header(&out);
//   w.Row({"M", "FR", "PCPI_IX"}, {"S1"}, &out);
// Thread-safety: plain value.
#pragma once

#include <string>
#include <vector>

namespace statcoder::sdmx {

struct SdmxCsvLayout {
  std::string structure = "dataflow";  // dataflow, datastructure or dataprovision
  std::string structure_id;            // AGENCY:ID(VERSION)
  std::vector<std::string> dimensions;
  std::vector<std::string> custom;     // extra column names, unique
  std::string action = "M";            // Merge: the default action of SDMX-CSV 2.0
};

class SdmxCsvWriter {
 public:
  explicit SdmxCsvWriter(SdmxCsvLayout layout) : layout_(std::move(layout)) {}
  void Header(std::string* out) const;
  // REQUIRES dimensions.size() and custom.size() as in the layout.
  void Row(const std::vector<std::string>& dimensions, const std::vector<std::string>& custom,
           std::string* out) const;

 private:
  SdmxCsvLayout layout_;
};

// A CSV field as RFC 4180 writes it: quoted when it holds a comma, quote, CR or LF.
std::string CsvField(const std::string& value);

}  // namespace statcoder::sdmx
