// Allowed tuples of codes from a table file (TSV, CSV or JSON Lines): the header names the
// fields (the label fields of a joint model, or the dimensions of an SDMX key), each row is one
// allowed combination. Other columns (names, weights, comments) are ignored.
//
//   ASSIGN_OR_RETURN(std::vector<std::vector<std::string>> keys,
//                    data::LoadKeyTable("valid_keys.tsv", {"CONCEPT", "UNIT"}, {}));
//   // keys[i][k]: the code of field k in allowed tuple i, in the order of `fields`
//
// Errors name the file, line and column: a missing field column, an empty code, a row the
// reader rejects. A repeated tuple is kept once. A table with no tuple is an error.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "data/record_reader.h"

namespace statcoder::data {

core::Result<std::vector<std::vector<std::string>>> LoadKeyTable(
    const std::string& path, const std::vector<std::string>& fields,
    const ReaderOptions& options);

}  // namespace statcoder::data
