#include "workspace/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/file_util.h"

namespace statcoder::workspace {
namespace {

using core::Status;

// ---- Formatting values as TOML ------------------------------------------------------------

// Basic strings with escapes, but UTF-8 kept as is so that "libellé" stays readable.
constexpr auto kFormatFlags = toml::format_flags::allow_unicode_strings;

std::string FormatString(const std::string& s) {
  std::ostringstream out;
  out << toml::toml_formatter{toml::value<std::string>{s}, kFormatFlags};
  return out.str();
}

// Shortest text that reads back as the same double (toml++ would print 17 digits).
std::string FormatDouble(double d) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".eni") == std::string::npos) s += ".0";  // TOML floats need '.' or 'e'
  return s;
}

std::string FormatStrings(const std::vector<std::string>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + FormatString(list[i]);
  return out + "]";
}

template <typename T>
std::string Format(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return FormatString(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    return FormatDouble(v);
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    // TOML integers are signed 64-bit: larger seeds are written as strings (see GetSeed).
    const auto max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    return v > max ? FormatString(std::to_string(v)) : std::to_string(v);
  } else {
    return std::to_string(v);
  }
}

std::string FormatNode(const toml::node& node) {
  if (const auto* d = node.as_floating_point()) return FormatDouble(d->get());
  std::ostringstream out;
  out << toml::toml_formatter{node, kFormatFlags};
  return out.str();
}

std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

// "statcoder.toml:12", or only the path when toml++ has no position (an implicit table).
std::string At(const std::string& path, const toml::source_region& where) {
  return where.begin.line ? path + ":" + std::to_string(where.begin.line) : path;
}

// ---- Reading typed values -----------------------------------------------------------------

// One value of the file, with what messages need to name it.
struct Value {
  const toml::node& node;
  std::string key;    // dotted: "training.epochs"
  std::string where;  // "statcoder.toml:14"
};

Status WrongType(const Value& v, std::string_view want) {
  return core::InvalidInput(v.where + ": '" + v.key + "' must be " + std::string(want) + ", got " +
                            TypeName(v.node));
}

Status Invalid(const Value& v, std::string_view why) {
  return core::InvalidInput(v.where + ": '" + v.key + "' = " + FormatNode(v.node) + " " +
                            std::string(why));
}

template <typename T>
core::Result<T> Get(const Value& v) {
  if constexpr (std::is_same_v<T, bool>) {
    if (const auto* b = v.node.as_boolean()) return b->get();
    return WrongType(v, "true or false");
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (const auto* s = v.node.as_string()) return s->get();
    return WrongType(v, "a string");
  } else if constexpr (std::is_floating_point_v<T>) {
    double d = 0;
    if (const auto* i = v.node.as_integer()) {
      d = static_cast<double>(i->get());
    } else if (const auto* f = v.node.as_floating_point()) {
      d = f->get();
    } else {
      return WrongType(v, "a number");
    }
    if (!std::isfinite(d)) return Invalid(v, "must be a finite number");
    return d;
  } else {
    const auto* i = v.node.as_integer();
    if (!i) return WrongType(v, "an integer");
    const int64_t x = i->get();
    // Compared as long double so that neither bound wraps (uint64_t, int64_t).
    using Limits = std::numeric_limits<T>;
    if (static_cast<long double>(x) < static_cast<long double>(Limits::min()) ||
        static_cast<long double>(x) > static_cast<long double>(Limits::max())) {
      return Invalid(
          v, "must be in " + std::to_string(Limits::min()) + ".." + std::to_string(Limits::max()));
    }
    return static_cast<T>(x);
  }
}

// A seed is any uint64 (as `train --seed`); one above TOML's int64 range is written as a
// decimal string.
core::Result<uint64_t> GetSeed(const Value& v) {
  if (const auto* s = v.node.as_string()) {
    const std::string& text = s->get();
    uint64_t x = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), x);
    if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size()) {
      return Invalid(v, "must be an integer in 0..18446744073709551615");
    }
    return x;
  }
  return Get<uint64_t>(v);
}

core::Result<std::vector<std::string>> GetStrings(const Value& v) {
  const auto* array = v.node.as_array();
  if (!array) return WrongType(v, "an array of strings");
  std::vector<std::string> out;
  for (const toml::node& item : *array) {
    const auto* s = item.as_string();
    if (!s) {
      return core::InvalidInput(v.where + ": '" + v.key + "' must be an array of strings; item " +
                                std::to_string(out.size() + 1) + " is " + TypeName(item));
    }
    out.push_back(s->get());
  }
  return out;
}

// ---- The keys: one table from which parsing, rendering and the known-key lists derive -----

struct KeyDef {
  std::string_view name;
  std::string_view comment;  // rendered above the key: meaning and range
  std::function<Status(const Value&, WorkspaceConfig*)> read;
  // The value as TOML; nullopt writes the key commented out with `example`.
  std::function<std::optional<std::string>(const WorkspaceConfig&)> write;
  std::string_view example = {};
};

struct Section {
  std::string_view name;  // "" for the top level
  std::string_view comment;
  std::vector<KeyDef> keys;
};

// Refs are generic lambdas `[](auto& c) -> auto& { return c.member; }`, so one serves reading
// (mutable) and writing (const).
template <typename T, typename Ref>
KeyDef Plain(std::string_view name, std::string_view comment, Ref ref) {
  return {name, comment,
          [ref](const Value& v, WorkspaceConfig* c) -> Status {
            ASSIGN_OR_RETURN(ref(*c), Get<T>(v));
            return Status::Ok();
          },
          [ref](const WorkspaceConfig& c) { return std::optional(Format<T>(ref(c))); }};
}

template <typename Ref>
KeyDef Strings(std::string_view name, std::string_view comment, Ref ref) {
  return {name, comment,
          [ref](const Value& v, WorkspaceConfig* c) -> Status {
            ASSIGN_OR_RETURN(ref(*c), GetStrings(v));
            return Status::Ok();
          },
          [ref](const WorkspaceConfig& c) { return std::optional(FormatStrings(ref(c))); }};
}

// Reads a number in [0, 1] into ref(config), a double or an optional<double>.
template <typename Ref>
auto ReadProbability(Ref ref) {
  return [ref](const Value& v, WorkspaceConfig* c) -> Status {
    ASSIGN_OR_RETURN(double x, Get<double>(v));
    if (!(x >= 0 && x <= 1)) return Invalid(v, "must be in [0, 1]");
    ref(*c) = x;
    return Status::Ok();
  };
}

template <typename Ref>
KeyDef Probability(std::string_view name, std::string_view comment, Ref ref) {
  return {name, comment, ReadProbability(ref),
          [ref](const WorkspaceConfig& c) { return std::optional(FormatDouble(ref(c))); }};
}

// An optional gate: unset is "not checked" and is written commented out.
template <typename Ref>
KeyDef OptionalProbability(std::string_view name, std::string_view comment,
                           std::string_view example, Ref ref) {
  return {name, comment, ReadProbability(ref),
          [ref](const WorkspaceConfig& c) -> std::optional<std::string> {
            if (!ref(c)) return std::nullopt;
            return FormatDouble(*ref(c));
          },
          example};
}

// A [training] key from the training option table (model/train_options.h): read by the
// option's type, checked by its rule and then with the other options at their defaults (so a
// value that breaks a rule joining two options, char_ngrams = "3-9", is reported at its own
// line), written as TOML.
template <typename T>
core::Result<model::OptionValue> AsOption(core::Result<T> r) {
  if (!r.ok()) return r.status();
  return model::OptionValue{*std::move(r)};
}

core::Result<model::OptionValue> ReadOptionValue(const model::TrainOptionSpec& spec,
                                                 const Value& v) {
  switch (spec.type) {
    case model::OptionType::kBool: return AsOption(Get<bool>(v));
    case model::OptionType::kInt: return AsOption(Get<int64_t>(v));
    case model::OptionType::kUnsigned: return AsOption(GetSeed(v));  // large ones may be strings
    case model::OptionType::kDouble: return AsOption(Get<double>(v));
    case model::OptionType::kString: return AsOption(Get<std::string>(v));
  }
  return WrongType(v, "a value");
}

std::string FormatOption(const model::OptionValue& value) {
  return std::visit([](const auto& x) { return Format(x); }, value);
}

KeyDef TrainingKey(const model::TrainOptionSpec& spec) {
  // The comment above the key: what it does and the values it takes. Kept for the process's
  // life, as KeyDef holds views.
  static std::deque<std::string> comments;
  std::string comment(spec.doc);
  if (spec.type != model::OptionType::kBool) comment += " Must be " + std::string(spec.rule) + ".";
  comments.push_back(std::move(comment));
  const model::TrainOptionSpec* option = &spec;
  return {spec.name, comments.back(),
          [option](const Value& v, WorkspaceConfig* c) -> Status {
            ASSIGN_OR_RETURN(model::OptionValue x, ReadOptionValue(*option, v));
            model::TrainOptions probe;
            probe.featurizer.text_fields = {"text"};
            Status s = model::SetTrainOption(*option, x, &probe);
            if (s.ok()) s = probe.Validate();
            if (!s.ok()) return Invalid(v, "is invalid: " + s.message());
            RETURN_IF_ERROR(model::SetTrainOption(*option, x, &c->training.options));
            const model::TrainOptions& o = c->training.options;
            c->training.char_ngrams =
                model::FormatOptionValue(model::FindTrainOption("char_ngrams")->get(o));
            return Status::Ok();
          },
          [option](const WorkspaceConfig& c) {
            return std::optional(FormatOption(option->get(c.training.options)));
          }};
}

// The [training] section: every option of the table that has a key, then test_fraction (the
// workspace's own: records held out for the quality report).
std::vector<KeyDef> TrainingKeys() {
  std::vector<KeyDef> keys;
  for (const model::TrainOptionSpec& spec : model::TrainOptionTable()) {
    if (spec.toml) keys.push_back(TrainingKey(spec));
  }
  keys.push_back(
      {"test_fraction",
       "Share of records held out for the quality report when no evaluation snapshot is "
       "given; (0, 0.5].",
       [](const Value& v, WorkspaceConfig* c) -> Status {
         ASSIGN_OR_RETURN(double x, Get<double>(v));
         if (!(x > 0 && x <= 0.5)) return Invalid(v, "must be in (0, 0.5]");
         c->training.test_fraction = x;
         return Status::Ok();
       },
       [](const WorkspaceConfig& c) {
         return std::optional(FormatDouble(c.training.test_fraction));
       }});
  return keys;
}

#define SC_REF(member) \
  [](auto& c) -> auto& { return c.member; }

const std::vector<Section>& Sections() {
  static const std::vector<Section> kSections = {
      {"",
       "",
       {{"format_version",
         "Format of this file; statcoder refuses a newer one than it reads (upgrade statcoder).",
         [](const Value&, WorkspaceConfig*) { return Status::Ok(); },  // read first, by ParseConfig
         [](const WorkspaceConfig&) { return std::optional(Format(kConfigFormatVersion)); }},
        Plain<std::string>("classification",
                           "Names the production slot of this workspace's models; default: the "
                           "label column.",
                           SC_REF(classification))}},
      {"schema",
       "Columns of the data files and their roles. Each column has at most one role.",
       {Strings("text", "Free-text columns, in this order; at least one.",
                SC_REF(schema.text_fields)),
        Strings("categorical", "Columns whose whole (normalised) value is one feature.",
                SC_REF(schema.categorical_fields)),
        Strings("numeric", "Numeric columns, binned into quantiles ([training] numeric_bins).",
                SC_REF(schema.numeric_fields)),
        Plain<std::string>("label", "The column holding the code; required.",
                           SC_REF(schema.label_field)),
        Plain<std::string>("id", "Record id column, for messages and rejects; \"\": row number.",
                           SC_REF(schema.id_field)),
        Plain<std::string>("group",
                           "Subgroup column for quality by group (region, mode...); never a "
                           "feature. \"\": none.",
                           SC_REF(schema.group_field))}},
      {"codelist",
       "The classification's structure: validates labels, rolls probabilities up the tree.",
       {{"file", "Code list file (TSV, CSV or JSON Lines), relative to the workspace folder.",
         [](const Value& v, WorkspaceConfig* c) -> Status {
           ASSIGN_OR_RETURN(c->codelist_file, Get<std::string>(v));
           return Status::Ok();
         },
         [](const WorkspaceConfig& c) -> std::optional<std::string> {
           if (c.codelist_file.empty()) return std::nullopt;
           return FormatString(c.codelist_file);
         },
         "\"codelist/structure.tsv\""},
        Plain<std::string>("code_column", "Column holding the codes.",
                           SC_REF(codelist.code_column)),
        Plain<std::string>("parent_column",
                           "Parent code column; \"\": a column named \"parent\", else code "
                           "prefixes.",
                           SC_REF(codelist.parent_column)),
        Plain<std::string>("level_column",
                           "Level column; \"\": one named level, digits or code_length if any.",
                           SC_REF(codelist.level_column)),
        Plain<std::string>("title_column", "Column holding the titles; missing: no titles.",
                           SC_REF(codelist.title_column))}},
      {"training",
       "Options of `statcoder train` (its flags, with '_' for '-'); see docs/model.md.",
       TrainingKeys()},
      {"gates",
       "What `promote` requires of a model's quality report and review. A commented-out gate "
       "is not checked.",
       {OptionalProbability("min_accuracy",
                            "Lowest top-1 accuracy at the finest level; [0, 1]. init writes "
                            "0.5, a floor, not a target: raise it to what the office needs.",
                            "0.80", SC_REF(gates.min_accuracy)),
        OptionalProbability("min_auto_rate",
                            "Lowest auto-coding rate at gates.target_precision; [0, 1]. Off "
                            "by default: what share is worth it depends on the data (5-40 % on "
                            "the shared indexes at 0.95).", "0.50",
                            SC_REF(gates.min_auto_rate)),
        {"target_precision", "Precision the auto-coding rate is read at: 0.90, 0.95, 0.97, 0.99.",
         [](const Value& v, WorkspaceConfig* c) -> Status {
           ASSIGN_OR_RETURN(double x, Get<double>(v));
           if (x != 0.90 && x != 0.95 && x != 0.97 && x != 0.99) {
             return Invalid(v, "must be one of 0.90, 0.95, 0.97, 0.99");
           }
           c->gates.target_precision = x;
           return Status::Ok();
         },
         [](const WorkspaceConfig& c) {
           return std::optional(FormatDouble(c.gates.target_precision));
         }},
        OptionalProbability("max_ece",
                            "Highest expected calibration error after calibration; [0, 1]. "
                            "init writes 0.1: above it, thresholds on confidence mean little.",
                            "0.05",
                            SC_REF(gates.max_ece)),
        Plain<bool>("allow_flagged_subgroups",
                    "false: a subgroup the quality report flags blocks promotion.",
                    SC_REF(gates.allow_flagged_subgroups)),
        Plain<bool>("require_ethics", "An approved ethics self-assessment is needed.",
                    SC_REF(gates.require_ethics))}},
      {"kb",
       "The knowledge base of known answers.",
       {Probability("disagreement_probability",
                    "A knowledge-base match goes to review when the model's top code has at "
                    "least this probability and lies on another branch of the code list; "
                    "[0, 1].",
                    SC_REF(kb.disagreement_probability))}},
      {"ingest",
       "Checks on data files added to the workspace.",
       {Probability("max_reject_share",
                    "More rejected rows than this share fails the ingest; [0, 1].",
                    SC_REF(ingest.max_reject_share)),
        {"max_field_bytes",
         "A longer field rejects its row; 1..16777216 (the reader's line limit).",
         [](const Value& v, WorkspaceConfig* c) -> Status {
           ASSIGN_OR_RETURN(int64_t x, Get<int64_t>(v));
           if (x < 1 || x > 16 * 1024 * 1024) return Invalid(v, "must be in 1..16777216");
           c->ingest.max_field_bytes = static_cast<size_t>(x);
           return Status::Ok();
         },
         [](const WorkspaceConfig& c) {
           return std::optional(Format(c.ingest.max_field_bytes));
         }}}},
      {"review",
       "The clerical review queue of `statcoder serve`.",
       {Probability("audit_rate",
                    "Share of auto-coded records drawn for blind second coding; [0, 1].",
                    SC_REF(review.audit_rate)),
        Plain<uint64_t>("audit_seed", "Seed of the audit draw, 0..9223372036854775807.",
                        SC_REF(review.audit_seed))}},
      {"monitor",
       "Monitoring of coded batches (docs/monitoring.md).",
       {{"window_records",
         "`statcoder serve` stores its traffic as one batch per this many records; "
         "1..10000000.",
         [](const Value& v, WorkspaceConfig* c) -> Status {
           ASSIGN_OR_RETURN(int64_t x, Get<int64_t>(v));
           if (x < 1 || x > 10'000'000) return Invalid(v, "must be in 1..10000000");
           c->monitor.window_records = x;
           return Status::Ok();
         },
         [](const WorkspaceConfig& c) { return std::optional(Format(c.monitor.window_records)); }},
        {"window_minutes",
         "... or per this many minutes, whichever comes first; 1..10080.",
         [](const Value& v, WorkspaceConfig* c) -> Status {
           ASSIGN_OR_RETURN(int64_t x, Get<int64_t>(v));
           if (x < 1 || x > 10080) return Invalid(v, "must be in 1..10080");
           c->monitor.window_minutes = x;
           return Status::Ok();
         },
         [](const WorkspaceConfig& c) { return std::optional(Format(c.monitor.window_minutes)); }},
        {"alpha",
         "Family-wise error rate of one batch's drift tests (Holm); (0, 0.5].",
         [](const Value& v, WorkspaceConfig* c) -> Status {
           ASSIGN_OR_RETURN(double x, Get<double>(v));
           if (!(x > 0 && x <= 0.5)) return Invalid(v, "must be in (0, 0.5]");
           c->monitor.alpha = x;
           return Status::Ok();
         },
         [](const WorkspaceConfig& c) { return std::optional(FormatDouble(c.monitor.alpha)); }}}},
      {"cycle",
       "`statcoder cycle`: when a production cycle retrains (docs/cycle.md).",
       {{"retrain",
         "\"auto\" (when the monitor recommends it, retrain_every or min_new_reviewed say so), "
         "\"always\" or \"never\".",
         [](const Value& v, WorkspaceConfig* c) -> Status {
           ASSIGN_OR_RETURN(std::string x, Get<std::string>(v));
           if (x != "auto" && x != "always" && x != "never") {
             return Invalid(v, "must be \"auto\", \"always\" or \"never\"");
           }
           c->cycle.retrain = x;
           return Status::Ok();
         },
         [](const WorkspaceConfig& c) { return std::optional(FormatString(c.cycle.retrain)); }},
        {"retrain_every",
         "Retrain once the production model has coded this many cycles; 0: no schedule; "
         "0..1000.",
         [](const Value& v, WorkspaceConfig* c) -> Status {
           ASSIGN_OR_RETURN(int64_t x, Get<int64_t>(v));
           if (x < 0 || x > 1000) return Invalid(v, "must be in 0..1000");
           c->cycle.retrain_every = x;
           return Status::Ok();
         },
         [](const WorkspaceConfig& c) { return std::optional(Format(c.cycle.retrain_every)); }},
        {"min_new_reviewed",
         "Retrain when at least this many reviewed records are not yet learned from; 0: off; "
         "0..100000000.",
         [](const Value& v, WorkspaceConfig* c) -> Status {
           ASSIGN_OR_RETURN(int64_t x, Get<int64_t>(v));
           if (x < 0 || x > 100'000'000) return Invalid(v, "must be in 0..100000000");
           c->cycle.min_new_reviewed = x;
           return Status::Ok();
         },
         [](const WorkspaceConfig& c) { return std::optional(Format(c.cycle.min_new_reviewed)); }},
        {"evaluation_snapshot",
         "Frozen labelled snapshot (id or prefix) champion and challenger are compared on; "
         "\"\": the production model's evaluation snapshot.",
         [](const Value& v, WorkspaceConfig* c) -> Status {
           ASSIGN_OR_RETURN(c->cycle.evaluation_snapshot, Get<std::string>(v));
           return Status::Ok();
         },
         [](const WorkspaceConfig& c) {
           return std::optional(FormatString(c.cycle.evaluation_snapshot));
         }},
        {"wait_for_review",
         "true: the cycle waits (exit 10) until coders have decided all its queued items and "
         "its final codes are written; false: it finishes, and a rerun writes them once all are "
         "decided.",
         [](const Value& v, WorkspaceConfig* c) -> Status {
           ASSIGN_OR_RETURN(c->cycle.wait_for_review, Get<bool>(v));
           return Status::Ok();
         },
         [](const WorkspaceConfig& c) {
           return std::optional(Format(c.cycle.wait_for_review));
         }}}},
  };
  return kSections;
}

#undef SC_REF

// ---- Parsing ------------------------------------------------------------------------------

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// "training.epochs"; a top-level key is just its name.
std::string Dotted(const Section& section, const toml::key& key) {
  const std::string name(key.str());
  return section.name.empty() ? name : std::string(section.name) + "." + name;
}

Status UnknownKey(const std::string& path, const toml::key& key, const Section& section,
                  const std::vector<std::string_view>& known) {
  std::string msg = At(path, key.source()) + ": unknown key '" + Dotted(section, key) + "'";
  const auto closest = std::min_element(known.begin(), known.end(), [&](auto a, auto b) {
    return EditDistance(key.str(), a) < EditDistance(key.str(), b);
  });
  if (closest != known.end() && EditDistance(key.str(), *closest) <= 2) {
    msg += " (did you mean '" + std::string(*closest) + "'?)";
  }
  msg += section.name.empty() ? "; known top-level keys: "
                              : "; known keys of [" + std::string(section.name) + "]: ";
  for (size_t i = 0; i < known.size(); ++i) msg += (i ? ", " : "") + std::string(known[i]);
  return core::InvalidInput(msg);
}

// The entries of a table in file order, so that the first error reported is the first in the
// file (toml++ iterates tables in key order).
std::vector<std::pair<const toml::key*, const toml::node*>> InFileOrder(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, node] : t) entries.emplace_back(&key, &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.first->source().begin < b.first->source().begin;
  });
  return entries;
}

// Reads the keys of `table` into *config; at the top level, a key naming a section reads that
// table.
Status ReadTable(const std::string& path, const toml::table& table, const Section& section,
                 WorkspaceConfig* config) {
  std::vector<std::string_view> known;
  for (const KeyDef& k : section.keys) known.push_back(k.name);
  if (section.name.empty()) {
    for (const Section& s : Sections()) {
      if (!s.name.empty()) known.push_back(s.name);
    }
  }
  for (const auto& [key, node] : InFileOrder(table)) {
    const std::string dotted = Dotted(section, *key);
    const Value value{*node, dotted, At(path, node->source())};
    // A plain name for the lambdas: clang before 16 cannot capture structured bindings.
    const std::string_view key_name = key->str();
    const auto def = std::find_if(section.keys.begin(), section.keys.end(),
                                  [&](const KeyDef& k) { return k.name == key_name; });
    if (def != section.keys.end()) {
      RETURN_IF_ERROR(def->read(value, config));
      continue;
    }
    const auto sub = std::find_if(Sections().begin(), Sections().end(), [&](const Section& s) {
      return !s.name.empty() && s.name == key_name;
    });
    if (!section.name.empty() || sub == Sections().end()) {
      return UnknownKey(path, *key, section, known);
    }
    const auto* sub_table = node->as_table();
    if (!sub_table) return WrongType(value, "a table ([" + dotted + "])");
    RETURN_IF_ERROR(ReadTable(path, *sub_table, *sub, config));
  }
  return Status::Ok();
}

Status CheckFormatVersion(const std::string& path, const toml::table& root, int* version) {
  const toml::node* node = root.get("format_version");
  if (!node) {
    return core::InvalidInput(path +
                              ": 'format_version' is missing; a statcoder.toml starts with "
                              "format_version = " +
                              std::to_string(kConfigFormatVersion));
  }
  const Value v{*node, "format_version", At(path, node->source())};
  ASSIGN_OR_RETURN(*version, Get<int>(v));
  if (*version > kConfigFormatVersion) {
    return core::UnsupportedVersion(v.where + ": format_version " + std::to_string(*version) +
                                    " is newer than this statcoder reads (" +
                                    std::to_string(kConfigFormatVersion) + "); upgrade statcoder");
  }
  if (*version < 1) return Invalid(v, "must be 1.." + std::to_string(kConfigFormatVersion));
  return Status::Ok();
}

// A Validate() failure (kInvalidArgument, about a whole table) as an error of this file.
Status InFile(const std::string& where, const Status& s) {
  if (s.ok()) return s;
  if (s.code() == core::StatusCode::kUnsupportedVersion) return s.WithContext(where);
  return core::InvalidInput(where + ": " + s.message());
}

std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string_view::npos) end = s.size();
    const std::string_view item = s.substr(start, end - start);
    const size_t b = item.find_first_not_of(" \t");
    const size_t e = item.find_last_not_of(" \t");
    if (b != std::string_view::npos) out.emplace_back(item.substr(b, e - b + 1));
    start = end + 1;
  }
  return out;
}

}  // namespace

core::Result<WorkspaceConfig> ParseConfig(const std::string& text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& e) {
    return core::InvalidInput(path + ":" + std::to_string(e.source().begin.line) + ":" +
                              std::to_string(e.source().begin.column) + ": " +
                              std::string(e.description()));
  }
  WorkspaceConfig config;
  // First, as a newer file may well have keys this build does not know.
  RETURN_IF_ERROR(CheckFormatVersion(path, root, &config.format_version));
  RETURN_IF_ERROR(ReadTable(path, root, Sections().front(), &config));

  const toml::table* schema = root["schema"].as_table();
  if (!schema) return core::InvalidInput(path + ": the [schema] table is missing");
  const std::string schema_at = At(path, schema->source());
  for (const char* key : {"text", "label"}) {
    if (!schema->contains(key)) {
      return core::InvalidInput(schema_at + ": [schema] needs '" + std::string(key) + "'");
    }
  }
  if (config.schema.label_field.empty()) {
    return core::InvalidInput(schema_at + ": 'schema.label' must name the code column");
  }
  RETURN_IF_ERROR(InFile(schema_at + ": [schema]", config.schema.Validate()));
  if (!root.contains("classification")) config.classification = config.schema.label_field;
  if (config.classification.empty()) {
    return core::InvalidInput(path + ": 'classification' must not be empty");
  }
  if (config.codelist.code_column.empty()) {
    return core::InvalidInput(path + ": 'codelist.code_column' must not be empty");
  }

  // As `statcoder train` does, so that a workspace model equals one trained with the same flags.
  text::FeaturizerConfig& f = config.training.options.featurizer;
  f.text_fields = config.schema.text_fields;
  f.categorical_fields = config.schema.categorical_fields;
  for (const auto& n : config.schema.numeric_fields) f.numeric_fields.push_back({n, {}});
  // Each [training] key was checked on its own above, so what fails here is a column name.
  RETURN_IF_ERROR(InFile(schema_at + ": [schema]", config.training.options.Validate()));
  return config;
}

core::Result<WorkspaceConfig> LoadConfig(const std::string& path) {
  // A configuration is a few kilobytes; anything near this is not one.
  constexpr uint64_t kMaxConfigBytes = 1 << 20;
  ASSIGN_OR_RETURN(std::string text, core::ReadFile(path, kMaxConfigBytes));
  return ParseConfig(text, path);
}

namespace {

// `text` as "# " comment lines of at most 100 columns (the style's limit), broken at spaces.
std::string Comment(std::string_view text) {
  constexpr size_t kWidth = 100;
  std::string out, line = "#";
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(start, end - start);
    if (line.size() > 1 && line.size() + 1 + word.size() > kWidth) {
      out += line + "\n";
      line = "#";
    }
    line += " " + std::string(word);
    start = end + 1;
  }
  return out + line + "\n";
}

}  // namespace

GateConfig RecommendedGates() {
  GateConfig g;
  g.min_accuracy = 0.50;
  g.max_ece = 0.10;
  return g;
}

std::string RenderConfig(const WorkspaceConfig& config) {
  WorkspaceConfig c = config;
  if (c.classification.empty()) c.classification = c.schema.label_field;
  std::string out =
      "# statcoder workspace configuration; reference: docs/formats/statcoder_toml.md.\n"
      "# Unknown keys are errors. A key left out takes its default.\n\n";
  for (const Section& section : Sections()) {
    if (!section.name.empty()) {
      out += "\n" + Comment(section.comment) + "[" + std::string(section.name) + "]\n";
    }
    for (const KeyDef& key : section.keys) {
      out += Comment(key.comment);
      const std::optional<std::string> value = key.write(c);
      out += value ? std::string(key.name) + " = " + *value + "\n"
                   : "# " + std::string(key.name) + " = " + std::string(key.example) + "\n";
    }
  }
  return out;
}

core::Result<data::Schema> ParseSchemaSpec(const std::string& spec) {
  static constexpr std::string_view kRoles = "text, categorical, numeric, label, id, group";
  data::Schema schema;
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(';', start);
    if (end == std::string::npos) end = spec.size();
    const std::string part = spec.substr(start, end - start);
    start = end + 1;
    if (part.find_first_not_of(" \t") == std::string::npos) continue;  // "a=b;" is fine
    const size_t eq = part.find('=');
    if (eq == std::string::npos) {
      return core::InvalidArgument("schema part '" + part + "' must look like role=column[,...]" +
                                   " with a role among " + std::string(kRoles));
    }
    const std::vector<std::string> role_words = SplitList(std::string_view(part).substr(0, eq));
    const std::string role = role_words.size() == 1 ? role_words[0] : "";
    std::vector<std::string> columns = SplitList(std::string_view(part).substr(eq + 1));
    if (columns.empty()) return core::InvalidArgument("schema part '" + part + "' names no column");
    if (!seen.insert(role).second) {
      return core::InvalidArgument("schema part '" + part + "': role '" + role +
                                   "' is given twice; list its columns once, comma-separated");
    }
    const bool single = role == "label" || role == "id" || role == "group";
    if (single && columns.size() != 1) {
      return core::InvalidArgument("schema part '" + part + "' must name one column");
    }
    if (role == "text") {
      schema.text_fields = std::move(columns);
    } else if (role == "categorical") {
      schema.categorical_fields = std::move(columns);
    } else if (role == "numeric") {
      schema.numeric_fields = std::move(columns);
    } else if (role == "label") {
      schema.label_field = columns[0];
    } else if (role == "id") {
      schema.id_field = columns[0];
    } else if (role == "group") {
      schema.group_field = columns[0];
    } else {
      return core::InvalidArgument("schema part '" + part + "': unknown role '" +
                                   std::string(part.substr(0, eq)) + "'; roles are " +
                                   std::string(kRoles));
    }
  }
  RETURN_IF_ERROR(schema.Validate());
  if (schema.label_field.empty()) {
    return core::InvalidArgument("schema '" + spec + "' has no label; add ';label=<code column>'");
  }
  return schema;
}

}  // namespace statcoder::workspace
