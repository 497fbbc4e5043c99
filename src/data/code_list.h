// CodeList: a hierarchical classification (NAICS, SOC, ISCO, COICOP, ...): codes with a parent,
// a depth (1 = top level) and a title. It validates labels and rolls probabilities up the tree.
//
//   CodeListOptions opts;                   // columns "code", "title"; parents from prefixes
//   ASSIGN_OR_RETURN(CodeList naics, CodeList::Load("naics2022_structure.tsv", opts));
//   int32_t i = naics.Find("111110");        // -1 if unknown
//   int32_t sector = naics.AncestorAtDepth(i, 1);   // "11"
//
// Shapes accepted (through options, never by editing the file):
//  - an explicit parent column (parent_column, or a column named "parent" when none is named):
//    empty parent = top level;
//  - parents implied by code prefixes (the default when no parent column is named): the parent
//    of a code is the longest other code that is a proper prefix of it, comparing only letters
//    and digits ("1111/01" → "1111", "11-1011" → "11-101" if present). Range codes such as
//    NAICS "31-33" (two digit runs of equal length, the first smaller, at most 100 apart) stand
//    for each prefix in the range (31, 32, 33), so "311" gets parent "31-33";
//  - a level column (level_column: "level", "digits", "code_length") orders codes when a prefix
//    is ambiguous (several codes share it: the candidate with the highest level below the
//    code's own wins; textual levels rank in order of first appearance) and gives level names:
//    numeric values are only ranks, textual values ("major", "unit") become the name of the
//    depth whose codes all carry that value.
// Titles are optional. Codes must be unique, non-empty and without surrounding spaces; a parent
// that does not exist, a cycle or an ambiguous prefix is an error naming the file and line.
// Any per-record reader error is fatal: a classification must load completely or not at all.
//
// Thread-safety: immutable after Load; all const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace statcoder::data {

struct CodeListOptions {
  std::string code_column = "code";
  std::string parent_column;  // empty: a column named "parent" if any, else code prefixes
  std::string level_column;            // empty: look for "level", "digits", "code_length"
  std::string title_column = "title";  // missing column → no titles
};

struct CodeNode {
  std::string code;
  std::string title;
  int32_t parent = -1;  // index in the list, -1 for top level
  int depth = 1;        // 1 = top level
  std::vector<int32_t> children;
};

class CodeList {
 public:
  CodeList() = default;

  // Reads a TSV/CSV/JSONL file (format from the extension) through RecordReader.
  // Errors: kNotFound (file, or a named column), kInvalidInput (bad record, duplicate code,
  // unknown parent, cycle, ambiguous prefix), kLimitExceeded, kIoError.
  static core::Result<CodeList> Load(const std::string& path, const CodeListOptions& options);

  // Builds from (code, parent code, title) triples; parent "" = top level. Used by tests and by
  // model deserialisation. Order is preserved. `level_names` (index depth-1, as level_names()
  // returns them) restores the names of the depths; an empty or missing name gives "level N".
  // More names than depths is kInvalidInput.
  struct Entry {
    std::string code, parent, title;
  };
  static core::Result<CodeList> FromEntries(std::vector<Entry> entries,
                                            std::vector<std::string> level_names = {});
  std::vector<Entry> ToEntries() const;

  size_t size() const { return nodes_.size(); }
  bool empty() const { return nodes_.empty(); }
  const CodeNode& node(int32_t index) const { return nodes_[static_cast<size_t>(index)]; }
  int32_t Find(std::string_view code) const;  // -1 if absent

  int max_depth() const { return max_depth_; }
  // Name of a depth: the level column's text value where it had one ("unit"), else "level N".
  std::string LevelName(int depth) const;
  std::vector<std::string> level_names() const { return level_names_; }

  // Ancestor of `index` at `depth` (the node itself if its depth equals `depth`); -1 if the node
  // is shallower than `depth`, if depth < 1, or if index is -1 (as returned by Find).
  // REQUIRES: index < size().
  int32_t AncestorAtDepth(int32_t index, int depth) const;

  // Every node, deepest first: adding each node's value into its parent in this order sums a
  // tree bottom-up in one pass (probability roll-up).
  const std::vector<int32_t>& bottom_up() const { return bottom_up_; }

  // SHA-256 of a canonical serialisation (codes, parents, titles in order, each string
  // length-prefixed): identifies the classification version a model was trained for. It does
  // not depend on the file's format, columns or path, nor on level names.
  std::string Fingerprint() const { return fingerprint_; }

  // The path given to Load, for messages ("not in the code list 'naics.tsv'"); empty when
  // built by FromEntries.
  const std::string& source() const { return source_; }

 private:
  // Builds from entries whose parents are codes; lines[i] (when not empty) is entry i's source
  // line, and level_texts[i] (when not empty) its textual level, used for level names.
  static core::Result<CodeList> Build(std::vector<Entry> entries, const std::string& source,
                                      const std::vector<uint64_t>& lines,
                                      const std::vector<std::string>& level_texts);
  // Computes children, depths, level names and the fingerprint; checks cycles.
  core::Status Link(const std::vector<uint64_t>& lines,
                    const std::vector<std::string>& level_texts);
  std::string Where(const std::vector<uint64_t>& lines, size_t i) const;

  std::vector<CodeNode> nodes_;
  std::vector<std::string> level_names_;  // index depth-1
  std::unordered_map<std::string, int32_t> index_;
  int max_depth_ = 0;
  std::vector<int32_t> bottom_up_;
  std::string source_;
  std::string fingerprint_;
};

}  // namespace statcoder::data
