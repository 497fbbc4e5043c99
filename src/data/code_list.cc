#include "data/code_list.h"

#include <algorithm>

#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <utility>

#include "core/content_hash.h"
#include "data/record_reader.h"

namespace statcoder::data {
namespace {

using core::Result;
using core::Status;

// Level columns looked for, in this order, when CodeListOptions::level_column is empty.
constexpr const char* kLevelColumns[] = {"level", "digits", "code_length"};

// A range such as NAICS "31-33" may stand for at most this many prefixes; a wider "range" is
// more likely a code that merely contains a dash, and expanding it would cost memory.
constexpr unsigned long kMaxRangeWidth = 100;

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Recognises "lo-hi" with digit runs of equal length and lo < hi (NAICS sector ranges).
bool ParseRange(std::string_view code, std::string* lo, std::string* hi) {
  const size_t dash = code.find('-');
  if (dash == std::string_view::npos) return false;
  const std::string_view a = code.substr(0, dash);
  const std::string_view b = code.substr(dash + 1);
  // Nine digits keep the values inside unsigned long on every platform.
  if (!AllDigits(a) || !AllDigits(b) || a.size() != b.size() || a.size() > 9) return false;
  unsigned long va = 0, vb = 0;
  std::from_chars(a.data(), a.data() + a.size(), va);
  std::from_chars(b.data(), b.data() + b.size(), vb);
  if (va >= vb || vb - va > kMaxRangeWidth) return false;
  lo->assign(a);
  hi->assign(b);
  return true;
}

// The letters and digits of a code: punctuation ("/", "-", ".", " ") is not part of the
// hierarchy. Bytes of multi-byte UTF-8 characters are kept as letters.
std::string PrefixKey(std::string_view code) {
  std::string key;
  key.reserve(code.size());
  for (const char c : code) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || u >= 0x80) {
      key.push_back(c);
    }
  }
  return key;
}

// "lines" for messages from a file; "entries" for FromEntries.
std::string Locate(const std::string& source, const std::vector<uint64_t>& lines, size_t i) {
  if (!source.empty() && i < lines.size()) return source + ":" + std::to_string(lines[i]);
  return "code list entry " + std::to_string(i + 1);
}

// Fills entries[i].parent from code prefixes. ranks[i] is NaN when entry i has no level.
Status InferParents(std::vector<CodeList::Entry>* entries, const std::string& source,
                    const std::vector<uint64_t>& lines, const std::vector<double>& ranks) {
  const size_t n = entries->size();
  std::vector<std::string> bases(n);    // the prefixes of this are looked up
  std::vector<bool> base_is_proper(n);  // a range's base is already a proper prefix
  std::unordered_map<std::string, std::vector<int32_t>> by_key;
  by_key.reserve(n);
  std::string lo, hi;
  for (size_t i = 0; i < n; ++i) {
    const std::string& code = (*entries)[i].code;
    const auto id = static_cast<int32_t>(i);
    if (ParseRange(code, &lo, &hi)) {
      const unsigned long first = std::stoul(lo), last = std::stoul(hi);
      for (unsigned long v = first; v <= last; ++v) {
        std::string key = std::to_string(v);
        key.insert(0, lo.size() - key.size(), '0');
        by_key[key].push_back(id);
      }
      size_t common = 0;
      while (common < lo.size() && lo[common] == hi[common]) ++common;
      bases[i] = lo.substr(0, common);
      base_is_proper[i] = true;
      continue;
    }
    std::string key = PrefixKey(code);
    if (key.empty()) {
      return core::InvalidInput(Locate(source, lines, i) + ": code '" + code +
                                "' has no letters or digits, so its parent cannot be inferred "
                                "from prefixes; name a parent column "
                                "(--codelist-parent-column)");
    }
    bases[i] = key;
    by_key[std::move(key)].push_back(id);
  }

  for (size_t i = 0; i < n; ++i) {
    const std::string& base = bases[i];
    const size_t longest = base_is_proper[i] ? base.size() : base.size() - 1;
    for (size_t len = longest; len >= 1; --len) {
      const auto it = by_key.find(base.substr(0, len));
      if (it == by_key.end()) continue;
      std::vector<int32_t> candidates;
      for (const int32_t c : it->second) {
        if (static_cast<size_t>(c) != i) candidates.push_back(c);
      }
      if (candidates.empty()) continue;
      int32_t parent = candidates.front();
      if (candidates.size() > 1) {
        // Several codes share the prefix: the level decides (the deepest level above ours).
        parent = -1;
        bool tie = false;
        for (const int32_t c : candidates) {
          const double r = ranks[static_cast<size_t>(c)];
          if (std::isnan(r) || (!std::isnan(ranks[i]) && r >= ranks[i])) continue;
          if (parent < 0 || r > ranks[static_cast<size_t>(parent)]) {
            parent = c;
            tie = false;
          } else if (r == ranks[static_cast<size_t>(parent)]) {
            tie = true;
          }
        }
        if (parent < 0 || tie) {
          const auto a = static_cast<size_t>(candidates[0]);
          const auto b = static_cast<size_t>(candidates[1]);
          return core::InvalidInput(
              Locate(source, lines, i) + ": the parent of code '" + (*entries)[i].code +
              "' is ambiguous: '" + (*entries)[a].code + "' (" + Locate(source, lines, a) +
              ") and '" + (*entries)[b].code + "' (" + Locate(source, lines, b) +
              ") both stand for its prefix '" + base.substr(0, len) +
              "'; name a level column (--codelist-level-column) or a parent column (--codelist-parent-column)");
        }
      }
      (*entries)[i].parent = (*entries)[static_cast<size_t>(parent)].code;
      break;
    }
  }
  return Status::Ok();
}

void HashString(core::ContentHasher* hasher, std::string_view s) {
  // Length-prefixed, so that no choice of code or title can make two lists serialise alike.
  hasher->Update(std::to_string(s.size()));
  hasher->Update(":");
  hasher->Update(s);
}

}  // namespace

Result<CodeList> CodeList::Load(const std::string& path, const CodeListOptions& options) {
  if (options.code_column.empty()) {
    return core::InvalidArgument("the code list's code column name is empty (--codelist-code-column)");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader, RecordReader::Open(path, {}));
  ASSIGN_OR_RETURN(const size_t code_col, reader->ColumnIndex(options.code_column));
  std::optional<size_t> parent_col, level_col, title_col;
  if (!options.parent_column.empty()) {
    ASSIGN_OR_RETURN(parent_col, reader->ColumnIndex(options.parent_column));
  } else if (const Result<size_t> col = reader->ColumnIndex("parent"); col.ok()) {
    parent_col = *col;  // a column named "parent" says more than any prefix guess
  }
  if (!options.level_column.empty()) {
    ASSIGN_OR_RETURN(level_col, reader->ColumnIndex(options.level_column));
  } else {
    for (const char* name : kLevelColumns) {
      const Result<size_t> col = reader->ColumnIndex(name);
      if (col.ok()) {
        level_col = *col;
        break;
      }
    }
  }
  if (!options.title_column.empty()) {
    const Result<size_t> col = reader->ColumnIndex(options.title_column);
    if (col.ok()) title_col = *col;
  }

  std::vector<Entry> entries;
  std::vector<uint64_t> lines;
  std::vector<std::string> levels;
  std::unordered_map<std::string, size_t> first_of;  // duplicates before inference muddles them
  RawRecord rec;
  while (true) {
    ASSIGN_OR_RETURN(const bool more, reader->Next(&rec));
    if (!more) break;
    if (!rec.error.ok()) {
      return Status(rec.error.code(),
                    rec.error.message() + "; a code list must have no bad records");
    }
    Entry entry;
    entry.code = rec.fields[code_col];
    if (entry.code.empty()) {
      return core::InvalidInput(path + ":" + std::to_string(rec.line) + ": column '" +
                                options.code_column + "' is empty; every row needs a code");
    }
    if (parent_col) entry.parent = rec.fields[*parent_col];
    if (title_col) entry.title = rec.fields[*title_col];
    const auto [it, inserted] = first_of.emplace(entry.code, entries.size());
    if (!inserted) {
      return core::InvalidInput(path + ":" + std::to_string(rec.line) + ": code '" + entry.code +
                                "' appears twice (lines " + std::to_string(lines[it->second]) +
                                " and " + std::to_string(rec.line) + "); remove one");
    }
    entries.push_back(std::move(entry));
    lines.push_back(rec.line);
    levels.push_back(level_col ? rec.fields[*level_col] : std::string());
  }
  if (entries.empty()) {
    return core::InvalidInput("code list '" + path + "' has a header but no codes");
  }

  // Numeric levels ("digits") rank by value; textual ones ("major", "unit") by first
  // appearance, which in every published structure file is top-down.
  bool numeric = true;
  for (const std::string& l : levels) {
    if (l.empty()) continue;
    double v = 0;
    const auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), v);
    if (ec != std::errc() || end != l.data() + l.size()) numeric = false;
  }
  std::vector<double> ranks(levels.size(), std::numeric_limits<double>::quiet_NaN());
  std::unordered_map<std::string, double> text_rank;
  for (size_t i = 0; i < levels.size(); ++i) {
    const std::string& l = levels[i];
    if (l.empty()) continue;
    if (numeric) {
      std::from_chars(l.data(), l.data() + l.size(), ranks[i]);
    } else {
      ranks[i] = text_rank.emplace(l, static_cast<double>(text_rank.size())).first->second;
    }
  }
  if (numeric) levels.clear();  // numbers are ranks, not names

  if (!parent_col) RETURN_IF_ERROR(InferParents(&entries, path, lines, ranks));
  return Build(std::move(entries), path, lines, levels);
}

Result<CodeList> CodeList::FromEntries(std::vector<Entry> entries,
                                       std::vector<std::string> level_names) {
  ASSIGN_OR_RETURN(CodeList list, Build(std::move(entries), "", {}, {}));
  if (level_names.size() > list.level_names_.size()) {
    return core::InvalidInput(std::to_string(level_names.size()) +
                              " level names given for a hierarchy of " +
                              std::to_string(list.level_names_.size()) + " levels");
  }
  for (size_t d = 0; d < level_names.size(); ++d) {
    if (!level_names[d].empty()) list.level_names_[d] = std::move(level_names[d]);
  }
  return list;
}

std::string CodeList::Where(const std::vector<uint64_t>& lines, size_t i) const {
  return Locate(source_, lines, i);
}

Result<CodeList> CodeList::Build(std::vector<Entry> entries, const std::string& source,
                                 const std::vector<uint64_t>& lines,
                                 const std::vector<std::string>& level_texts) {
  if (entries.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return core::LimitExceeded("code list '" + source + "' has more than 2^31-1 codes");
  }
  CodeList list;
  list.source_ = source;
  list.nodes_.resize(entries.size());
  list.index_.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& code = entries[i].code;
    if (code.empty()) {
      return core::InvalidInput(list.Where(lines, i) + ": empty code; every row needs a code");
    }
    if (IsAsciiSpace(code.front()) || IsAsciiSpace(code.back())) {
      return core::InvalidInput(list.Where(lines, i) + ": code '" + code +
                                "' has leading or trailing spaces; remove them");
    }
    const auto [it, inserted] = list.index_.emplace(code, static_cast<int32_t>(i));
    if (!inserted) {
      return core::InvalidInput(
          list.Where(lines, i) + ": code '" + code + "' appears twice (also at " +
          list.Where(lines, static_cast<size_t>(it->second)) + "); remove one");
    }
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    CodeNode& node = list.nodes_[i];
    node.code = std::move(entries[i].code);
    node.title = std::move(entries[i].title);
    const std::string& parent = entries[i].parent;
    if (parent.empty()) continue;
    const auto it = list.index_.find(parent);
    if (it == list.index_.end()) {
      return core::InvalidInput(list.Where(lines, i) + ": parent '" + parent + "' of code '" +
                                node.code +
                                "' is not in the code list; add it, or leave the parent empty "
                                "for a top-level code");
    }
    node.parent = it->second;
  }
  RETURN_IF_ERROR(list.Link(lines, level_texts));
  return list;
}

Status CodeList::Link(const std::vector<uint64_t>& lines,
                      const std::vector<std::string>& level_texts) {
  const size_t n = nodes_.size();
  for (CodeNode& node : nodes_) node.children.clear();
  for (size_t i = 0; i < n; ++i) {
    if (nodes_[i].parent >= 0) {
      nodes_[static_cast<size_t>(nodes_[i].parent)].children.push_back(static_cast<int32_t>(i));
    }
  }

  // Depths by walking up to a node already done; a node met twice on one walk is on a cycle.
  enum : char { kTodo, kOnPath, kDone };
  std::vector<char> state(n, kTodo);
  std::vector<int32_t> path;
  max_depth_ = 0;
  for (size_t i = 0; i < n; ++i) {
    if (state[i] == kDone) continue;
    path.clear();
    int32_t cur = static_cast<int32_t>(i);
    while (cur >= 0 && state[static_cast<size_t>(cur)] == kTodo) {
      state[static_cast<size_t>(cur)] = kOnPath;
      path.push_back(cur);
      cur = nodes_[static_cast<size_t>(cur)].parent;
    }
    if (cur >= 0 && state[static_cast<size_t>(cur)] == kOnPath) {
      std::string chain = nodes_[static_cast<size_t>(cur)].code;
      int32_t k = cur;
      do {
        k = nodes_[static_cast<size_t>(k)].parent;
        chain += " -> " + nodes_[static_cast<size_t>(k)].code;
      } while (k != cur);
      return core::InvalidInput(Where(lines, static_cast<size_t>(cur)) + ": code '" +
                                nodes_[static_cast<size_t>(cur)].code + "' is its own ancestor (" +
                                chain + "); fix its parent");
    }
    int depth = cur < 0 ? 0 : nodes_[static_cast<size_t>(cur)].depth;
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      CodeNode& node = nodes_[static_cast<size_t>(*it)];
      node.depth = ++depth;
      state[static_cast<size_t>(*it)] = kDone;
    }
    if (depth > max_depth_) max_depth_ = depth;
  }

  // A depth takes the level column's text when all its codes agree on one; otherwise (no
  // column, numbers, or a mix) a neutral "level N".
  level_names_.assign(static_cast<size_t>(max_depth_), std::string());
  std::vector<bool> mixed(static_cast<size_t>(max_depth_), level_texts.empty());
  for (size_t i = 0; i < n && !level_texts.empty(); ++i) {
    const auto d = static_cast<size_t>(nodes_[i].depth - 1);
    const std::string& text = i < level_texts.size() ? level_texts[i] : std::string();
    if (text.empty() || (!level_names_[d].empty() && level_names_[d] != text)) {
      mixed[d] = true;
    } else {
      level_names_[d] = text;
    }
  }
  for (size_t d = 0; d < level_names_.size(); ++d) {
    if (mixed[d] || level_names_[d].empty()) level_names_[d] = "level " + std::to_string(d + 1);
  }

  // Deepest first, file order within a depth: summing children into parents in this order
  // rolls probabilities up the whole tree in one pass.
  bottom_up_.resize(n);
  for (size_t i = 0; i < n; ++i) bottom_up_[i] = static_cast<int32_t>(i);
  std::stable_sort(bottom_up_.begin(), bottom_up_.end(), [this](int32_t a, int32_t b) {
    return nodes_[static_cast<size_t>(a)].depth > nodes_[static_cast<size_t>(b)].depth;
  });

  core::ContentHasher hasher;
  hasher.Update("statcoder.codelist.v1\n");
  for (const CodeNode& node : nodes_) {
    HashString(&hasher, node.code);
    HashString(&hasher,
               node.parent >= 0 ? nodes_[static_cast<size_t>(node.parent)].code : std::string());
    HashString(&hasher, node.title);
  }
  fingerprint_ = hasher.FinishHex();
  return Status::Ok();
}

std::vector<CodeList::Entry> CodeList::ToEntries() const {
  std::vector<Entry> out;
  out.reserve(nodes_.size());
  for (const CodeNode& node : nodes_) {
    out.push_back({node.code,
                   node.parent >= 0 ? nodes_[static_cast<size_t>(node.parent)].code : std::string(),
                   node.title});
  }
  return out;
}

int32_t CodeList::Find(std::string_view code) const {
  const auto it = index_.find(std::string(code));
  return it == index_.end() ? -1 : it->second;
}

std::string CodeList::LevelName(int depth) const {
  if (depth >= 1 && static_cast<size_t>(depth) <= level_names_.size()) {
    return level_names_[static_cast<size_t>(depth - 1)];
  }
  return "level " + std::to_string(depth);
}

int32_t CodeList::AncestorAtDepth(int32_t index, int depth) const {
  if (index < 0 || depth < 1) return -1;
  SC_CHECK(static_cast<size_t>(index) < nodes_.size());
  if (nodes_[static_cast<size_t>(index)].depth < depth) return -1;
  while (nodes_[static_cast<size_t>(index)].depth > depth) {
    index = nodes_[static_cast<size_t>(index)].parent;
  }
  return index;
}

}  // namespace statcoder::data
