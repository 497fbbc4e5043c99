#include "data/crosswalk.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "core/content_hash.h"
#include "core/file_util.h"

namespace statcoder::data {
namespace {

using core::Result;
using core::Status;

void HashString(core::ContentHasher* hasher, std::string_view s) {
  hasher->Update(std::to_string(s.size()));
  hasher->Update(":");
  hasher->Update(s);
}

std::string FormatWeight(double w) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, w);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(w);
}

// Depth most codes of `codes` (a set of codes of the list) sit at: coverage is measured there.
int CommonDepth(const CodeList& list, const std::set<std::string>& codes) {
  std::map<int, size_t> count;
  for (const auto& c : codes) {
    const int32_t node = list.Find(c);
    if (node >= 0) ++count[list.node(node).depth];
  }
  int depth = 0;
  size_t most = 0;
  for (const auto& [d, n] : count) {
    if (n > most) most = n, depth = d;
  }
  return depth;
}

nlohmann::json Coverage(const CodeList& list, const std::set<std::string>& used) {
  const int depth = CommonDepth(list, used);
  size_t total = 0, reached = 0;
  nlohmann::json missing = nlohmann::json::array();
  for (size_t i = 0; i < list.size(); ++i) {
    const CodeNode& node = list.node(static_cast<int32_t>(i));
    if (node.depth != depth) continue;
    ++total;
    if (used.count(node.code)) {
      ++reached;
    } else if (missing.size() < 10) {
      missing.push_back(node.code);
    }
  }
  return {{"code_list", list.source()},
          {"level", depth > 0 ? list.LevelName(depth) : std::string()},
          {"codes", total},
          {"in_table", reached},
          {"coverage", total ? static_cast<double>(reached) / static_cast<double>(total) : 0.0},
          {"missing_examples", missing}};
}

}  // namespace

Result<Crosswalk> Crosswalk::Load(const std::string& path, const CrosswalkOptions& options,
                                  const CodeList* from_codes, const CodeList* to_codes) {
  ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader, RecordReader::Open(path, options.reader));
  const std::vector<std::string>& header = reader->header();
  size_t from_col = 0;
  if (!options.from_column.empty()) {
    ASSIGN_OR_RETURN(from_col, reader->ColumnIndex(options.from_column));
  }
  std::optional<size_t> weight_col;
  if (!options.weight_column.empty()) {
    if (const Result<size_t> col = reader->ColumnIndex(options.weight_column); col.ok()) {
      weight_col = *col;
    }
  }
  if (options.from_column.empty() && weight_col == from_col) {
    from_col = from_col + 1 < header.size() ? from_col + 1 : from_col;  // the weight came first
  }
  std::optional<size_t> to_col;
  if (!options.to_column.empty()) {
    ASSIGN_OR_RETURN(to_col, reader->ColumnIndex(options.to_column));
  } else {
    for (size_t c = 0; c < header.size(); ++c) {
      if (c != from_col && c != weight_col) {
        to_col = c;
        break;
      }
    }
  }
  if (!to_col || *to_col == from_col) {
    return core::InvalidInput("crosswalk '" + path +
                              "' needs two code columns (from, to) and an optional 'weight'; "
                              "its header has " + std::to_string(header.size()) + " column(s)");
  }
  std::vector<CrosswalkPair> pairs;
  std::string from_name = header[from_col], to_name = header[*to_col];
  // A table without a header: the reader took its first pair for one.
  const bool headerless = options.from_column.empty() && options.to_column.empty() &&
                          !weight_col && header.size() <= 3 && to_codes != nullptr &&
                          to_codes->Find(to_name) >= 0;
  if (headerless) {
    double weight = 1.0;
    if (header.size() == 3) {
      const std::string& w = header[3 - from_col - *to_col];
      std::string why;
      if (!ParseNumericField(w, &weight, &why) || std::isnan(weight) || !(weight > 0)) {
        return core::InvalidInput(path + ":1: the first line is a pair of codes with a third "
                                  "field '" + w + "' that is not a weight > 0");
      }
      weight_col = 3 - from_col - *to_col;
    }
    pairs.push_back({from_name, to_name, weight, 1});
    from_name = "from";
    to_name = "to";
  }
  const auto where = [&](uint64_t line, const std::string& column) {
    return path + ":" + std::to_string(line) + ": column '" + column + "': ";
  };
  const std::string weight_name = weight_col ? header[*weight_col] : std::string();
  RawRecord rec;
  while (true) {
    ASSIGN_OR_RETURN(const bool more, reader->Next(&rec));
    if (!more) break;
    if (!rec.error.ok()) {
      return Status(rec.error.code(),
                    rec.error.message() + "; a crosswalk must have no bad lines");
    }
    CrosswalkPair pair{rec.fields[from_col], rec.fields[*to_col], 1.0, rec.line};
    if (weight_col) {
      std::string why;
      const std::string& w = rec.fields[*weight_col];
      if (w.empty()) {
        pair.weight = 1.0;
      } else if (!ParseNumericField(w, &pair.weight, &why) || !(pair.weight > 0)) {
        return core::InvalidInput(where(rec.line, weight_name) + "weight '" + w +
                                  "' must be a number > 0" + (why.empty() ? "" : " (" + why + ")"));
      }
    }
    pairs.push_back(std::move(pair));
  }
  // Codes against their lists, before the shape checks of FromPairs.
  for (const CrosswalkPair& p : pairs) {
    if (from_codes != nullptr && !p.from.empty() && from_codes->Find(p.from) < 0) {
      return core::InvalidInput(where(p.line, from_name) + "code '" + p.from +
                                "' is not in the code list '" + from_codes->source() + "'");
    }
    if (to_codes != nullptr && !p.to.empty() && to_codes->Find(p.to) < 0) {
      return core::InvalidInput(where(p.line, to_name) + "code '" + p.to +
                                "' is not in the code list '" + to_codes->source() + "'");
    }
  }
  return FromPairs(std::move(from_name), std::move(to_name), std::move(pairs), path);
}

Result<Crosswalk> Crosswalk::FromPairs(std::string from_name, std::string to_name,
                                       std::vector<CrosswalkPair> pairs, std::string source) {
  Crosswalk x;
  x.from_name_ = std::move(from_name);
  x.to_name_ = std::move(to_name);
  x.source_ = std::move(source);
  x.pairs_ = std::move(pairs);
  RETURN_IF_ERROR(x.Index());
  return x;
}

Status Crosswalk::Index() {
  const std::string name = source_.empty() ? "crosswalk" : "crosswalk '" + source_ + "'";
  const auto where = [&](const CrosswalkPair& p) {
    return p.line > 0 ? source_ + ":" + std::to_string(p.line) + ": " : name + ": ";
  };
  if (pairs_.empty()) return core::InvalidInput(name + " has no pairs");
  std::map<std::pair<std::string, std::string>, uint64_t> seen;
  std::unordered_map<std::string, double> totals;
  targets_.clear();
  weighted_ = false;
  for (const CrosswalkPair& p : pairs_) {
    if (p.from.empty() || p.to.empty()) {
      return core::InvalidInput(where(p) + "column '" + (p.from.empty() ? from_name_ : to_name_) +
                                "' is empty; every pair needs both codes");
    }
    if (!std::isfinite(p.weight) || !(p.weight > 0)) {
      return core::InvalidInput(where(p) + "weight " + FormatWeight(p.weight) +
                                " must be a finite number > 0");
    }
    const auto [it, inserted] = seen.emplace(std::pair{p.from, p.to}, p.line);
    if (!inserted) {
      return core::InvalidInput(where(p) + "pair '" + p.from + "' → '" + p.to +
                                "' appears twice (lines " + std::to_string(it->second) + " and " +
                                std::to_string(p.line) + "); remove one");
    }
    weighted_ = weighted_ || p.weight != 1.0;
    targets_[p.from].push_back({p.to, p.weight});
    totals[p.from] += p.weight;
  }
  for (auto& [from, targets] : targets_) {
    for (CrosswalkTarget& t : targets) t.share /= totals[from];
  }
  core::ContentHasher hasher;
  hasher.Update("statcoder.crosswalk.v1\n");
  HashString(&hasher, from_name_);
  HashString(&hasher, to_name_);
  for (const CrosswalkPair& p : pairs_) {
    HashString(&hasher, p.from);
    HashString(&hasher, p.to);
    HashString(&hasher, FormatWeight(p.weight));
  }
  fingerprint_ = hasher.FinishHex();
  return Status::Ok();
}

std::span<const CrosswalkTarget> Crosswalk::TargetsOf(std::string_view from) const {
  const auto it = targets_.find(std::string(from));
  if (it == targets_.end()) return {};
  return it->second;
}

nlohmann::json Crosswalk::Summary(const CodeList* from_codes, const CodeList* to_codes) const {
  std::set<std::string> froms, tos;
  std::unordered_map<std::string, size_t> sources_of;
  for (const CrosswalkPair& p : pairs_) {
    froms.insert(p.from);
    tos.insert(p.to);
    ++sources_of[p.to];
  }
  size_t one_to_one = 0, split = 0, most_targets = 0;
  for (const auto& [from, targets] : targets_) {
    if (targets.size() == 1) {
      ++one_to_one;
    } else {
      ++split;
    }
    most_targets = std::max(most_targets, targets.size());
  }
  size_t merged = 0;
  for (const auto& [to, n] : sources_of) merged += n > 1;
  nlohmann::json j = {{"from", from_name_},
                      {"to", to_name_},
                      {"source", source_},
                      {"fingerprint", fingerprint_},
                      {"pairs", pairs_.size()},
                      {"weighted", weighted_},
                      {"from_codes", froms.size()},
                      {"from_codes_one_to_one", one_to_one},
                      {"from_codes_split", split},
                      {"most_targets_of_one_code", most_targets},
                      {"to_codes", tos.size()},
                      {"to_codes_merged", merged}};
  if (from_codes != nullptr) j["from_coverage"] = Coverage(*from_codes, froms);
  if (to_codes != nullptr) j["to_coverage"] = Coverage(*to_codes, tos);
  return j;
}

Status Crosswalk::Write(const std::string& path) const {
  std::string out = from_name_ + "\t" + to_name_ + "\tweight\n";
  for (const CrosswalkPair& p : pairs_) {
    out += p.from + "\t" + p.to + "\t" + FormatWeight(p.weight) + "\n";
  }
  return core::WriteFileAtomic(path, out);
}

Result<DerivedCrosswalk> DeriveCrosswalk(const std::string& path, const std::string& from_column,
                                         const std::string& to_column,
                                         const ReaderOptions& reader_options,
                                         const CodeList* from_codes, const CodeList* to_codes) {
  if (from_column.empty() || to_column.empty() || from_column == to_column) {
    return core::InvalidArgument("a derived crosswalk needs two different columns, got '" +
                                 from_column + "' and '" + to_column + "'");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader, RecordReader::Open(path, reader_options));
  ASSIGN_OR_RETURN(const size_t from_col, reader->ColumnIndex(from_column));
  ASSIGN_OR_RETURN(const size_t to_col, reader->ColumnIndex(to_column));
  DerivedCrosswalk out;
  std::map<std::string, std::map<std::string, uint64_t>> counts;
  RawRecord rec;
  const auto reject = [&](const std::string& column, std::string reason) {
    out.rejections.push_back({rec.line, column, std::move(reason), rec.raw});
  };
  while (true) {
    ASSIGN_OR_RETURN(const bool more, reader->Next(&rec));
    if (!more) break;
    ++out.rows;
    if (!rec.error.ok()) {
      reject(rec.error_column, rec.error.message());
      continue;
    }
    const std::string& from = rec.fields[from_col];
    const std::string& to = rec.fields[to_col];
    if (from.empty() || to.empty()) {
      ++out.not_dual_coded;
      continue;
    }
    const std::string where = path + ":" + std::to_string(rec.line) + ": column '";
    if (from_codes != nullptr && from_codes->Find(from) < 0) {
      reject(from_column, where + from_column + "': code '" + from +
                              "' is not in the code list '" + from_codes->source() + "'");
      continue;
    }
    if (to_codes != nullptr && to_codes->Find(to) < 0) {
      reject(to_column, where + to_column + "': code '" + to + "' is not in the code list '" +
                            to_codes->source() + "'");
      continue;
    }
    ++counts[from][to];
    ++out.used;
  }
  std::vector<CrosswalkPair> pairs;
  for (const auto& [from, tos] : counts) {
    std::vector<std::pair<std::string, uint64_t>> sorted(tos.begin(), tos.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [to, n] : sorted) {
      pairs.push_back({from, to, static_cast<double>(n), 0});
    }
  }
  if (pairs.empty()) {
    return core::InvalidInput("'" + path + "' has no row coded in both '" + from_column +
                              "' and '" + to_column + "' (" + std::to_string(out.rows) +
                              " rows, " + std::to_string(out.rejections.size()) + " rejected)");
  }
  ASSIGN_OR_RETURN(out.crosswalk, Crosswalk::FromPairs(from_column, to_column, std::move(pairs),
                                                       "derived from " + path));
  return out;
}

}  // namespace statcoder::data
