#include "model/train_options.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace statcoder::model {
namespace {

using O = TrainOptions;
using V = OptionValue;

int64_t Int(const V& v) { return std::get<int64_t>(v); }
uint64_t Unsigned(const V& v) { return std::get<uint64_t>(v); }
double Double(const V& v) { return std::get<double>(v); }

// "3-5" → (3, 5); "off" or "0" → (0, 0) (no character n-grams). Lengths are checked by the
// featurizer (1..8, min <= max).
std::optional<std::pair<int, int>> ParseCharNgrams(std::string_view spec) {
  if (spec == "off" || spec == "0") return std::pair{0, 0};
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  int lo = 0, hi = 0;
  const char* begin = spec.data();
  const char* end = spec.data() + spec.size();
  const auto a = std::from_chars(begin, begin + dash, lo);
  const auto b = std::from_chars(begin + dash + 1, end, hi);
  if (a.ec != std::errc() || a.ptr != begin + dash || b.ec != std::errc() || b.ptr != end) {
    return std::nullopt;
  }
  return std::pair{lo, hi};
}

std::string CharNgramsText(int lo, int hi) {
  return lo == 0 && hi == 0 ? "off" : std::to_string(lo) + "-" + std::to_string(hi);
}

// The model stores the training mode by name, which says what a reader needs to know.
nlohmann::json ModeToJson(const V& v) { return std::get<bool>(v) ? "deterministic" : "hogwild"; }
V ModeFromJson(const nlohmann::json& j) { return j.get<std::string>() == "deterministic"; }

// Rules. Integers are checked as int64_t / uint64_t before they are narrowed to the member.
template <int64_t kLo, int64_t kHi>
bool IntIn(const V& v) {
  return Int(v) >= kLo && Int(v) <= kHi;
}
template <uint64_t kLo, uint64_t kHi>
bool UnsignedIn(const V& v) {
  return Unsigned(v) >= kLo && Unsigned(v) <= kHi;
}

// One table entry's accessors: a generic lambda turned into the function pointers of the spec.
#define SC_INT(member)                                                              \
  [](const O& o) -> V { return static_cast<int64_t>(o.member); },                   \
      [](O& o, const V& v) { o.member = static_cast<decltype(o.member)>(Int(v)); }
#define SC_UNSIGNED(member)                                                         \
  [](const O& o) -> V { return static_cast<uint64_t>(o.member); },                  \
      [](O& o, const V& v) { o.member = static_cast<decltype(o.member)>(Unsigned(v)); }
#define SC_DOUBLE(member)                                  \
  [](const O& o) -> V { return o.member; }, [](O& o, const V& v) { o.member = Double(v); }
#define SC_BOOL(member)                                    \
  [](const O& o) -> V { return o.member; },                \
      [](O& o, const V& v) { o.member = std::get<bool>(v); }
#define SC_STRING(member)                                  \
  [](const O& o) -> V { return o.member; },                \
      [](O& o, const V& v) { o.member = std::get<std::string>(v); }

struct Entry {
  TrainOptionSpec spec;
  nlohmann::json (*to_json)(const V&) = nullptr;  // nullptr: the value as it is
  V (*from_json)(const nlohmann::json&) = nullptr;
};

const std::vector<Entry>& Entries() {
  using T = OptionType;
  // Fields: name, type, flag, flag_true, flag_false, toml, python, json_key, in_model,
  // json_absent, rule, doc, get, set, valid.
  static const std::vector<Entry> kEntries = {
      {{"seed", T::kUnsigned, "--seed", "", "", true, true, "seed", InModel::kAlways, nullptr,
        "in 0..18446744073709551615", "Random seed.", SC_UNSIGNED(seed), nullptr}},
      {{"deterministic", T::kBool, "", "--deterministic", "--hogwild", true, true, "mode",
        InModel::kAlways, nullptr, "true or false",
        "Byte-identical model for the same data, options and seed at any thread count (the "
        "default); false (--hogwild): fast mode, NOT reproducible, threads update shared "
        "weights without locks.",
        SC_BOOL(deterministic), nullptr},
       ModeToJson, ModeFromJson},
      // Models of statcoder <= 0.2 trained deterministically one example at a time.
      {{"minibatch", T::kInt, "--minibatch", "", "", true, true, "minibatch",
        InModel::kIfDeterministic, "1", "in 1..4096",
        "Deterministic mode: examples per mini-batch (1: sequential SGD).", SC_INT(minibatch),
        IntIn<1, 4096>}},
      {{"threads", T::kInt, "--threads", "", "", true, true, "threads", InModel::kIfHogwild, "1",
        "in 1..256", "Training threads; no effect on results when deterministic.",
        SC_INT(threads), IntIn<1, 256>}},
      {{"epochs", T::kInt, "--epochs", "", "", true, true, "epochs", InModel::kAlways, nullptr,
        "in 1..1000", "Passes over the data.", SC_INT(epochs), IntIn<1, 1000>}},
      {{"lr", T::kDouble, "--lr", "", "", true, true, "learning_rate", InModel::kAlways, nullptr,
        "in (0, 10]", "Initial learning rate, decaying linearly to 0.", SC_DOUBLE(learning_rate),
        [](const V& v) { return Double(v) > 0 && Double(v) <= 10; }}},
      {{"optimizer", T::kString, "--optimizer", "", "", true, true, "optimizer",
        InModel::kAlways, nullptr, "'sgd' or 'adagrad'",
        "Update rule: plain SGD steps, or AdaGrad's per-weight step sizes.",
        SC_STRING(optimizer),
        [](const V& v) {
          const std::string& s = std::get<std::string>(v);
          return s == "sgd" || s == "adagrad";
        }}},
      {{"word_ngrams", T::kInt, "--word-ngrams", "", "", true, true, "", InModel::kNever,
        nullptr, "in 1..5", "Longest word n-gram (1: words only).", SC_INT(featurizer.word_ngrams),
        IntIn<1, 5>}},
      {{"char_ngrams", T::kString, "--char-ngrams", "", "", true, false, "", InModel::kNever,
        nullptr, "like \"3-5\" (lengths 1..8) or \"off\"",
        "Character n-gram lengths \"min-max\", or \"off\".",
        [](const O& o) -> V {
          return CharNgramsText(o.featurizer.char_ngram_min, o.featurizer.char_ngram_max);
        },
        [](O& o, const V& v) {
          const auto range = ParseCharNgrams(std::get<std::string>(v));
          if (!range) return;  // SetTrainOption checked it
          o.featurizer.char_ngram_min = range->first;
          o.featurizer.char_ngram_max = range->second;
        },
        [](const V& v) { return ParseCharNgrams(std::get<std::string>(v)).has_value(); }}},
      {{"strip_accents", T::kBool, "", "--strip-accents", "", true, true, "", InModel::kNever,
        nullptr, "true or false", "Remove accents before featurising (\"é\" -> \"e\").",
        SC_BOOL(featurizer.normalizer.strip_accents), nullptr}},
      {{"share_text_fields", T::kBool, "", "--share-text-fields", "", true, true, "",
        InModel::kNever, nullptr, "true or false",
        "The same word in two text columns is one feature (false: chosen by the trainer, see "
        "choose_text_field_sharing).",
        SC_BOOL(featurizer.share_text_fields), nullptr}},
      {{"choose_text_field_sharing", T::kBool, "", "", "--per-field-text", true, true,
        "choose_text_field_sharing", InModel::kAlways, "false", "true or false",
        "With several text columns, the trainer chooses share_text_fields on its held-out "
        "part; false (--per-field-text) keeps them apart.",
        SC_BOOL(choose_text_field_sharing), nullptr}},
      {{"codelist_titles", T::kBool, "", "", "--no-codelist-titles", true, true,
        "codelist_titles", InModel::kAlways, "false", "true or false",
        "The code list's titles are extra training records.", SC_BOOL(codelist_titles),
        nullptr}},
      {{"min_count", T::kUnsigned, "--min-count", "", "", true, true, "min_feature_count",
        InModel::kAlways, nullptr, "in 1..4294967295", "Drop features seen in fewer records.",
        SC_UNSIGNED(min_feature_count), UnsignedIn<1, std::numeric_limits<uint32_t>::max()>}},
      {{"mean_weights_per_feature", T::kUnsigned, "--mean-weights-per-feature", "", "", true,
        true, "mean_weights_per_feature", InModel::kAlways, nullptr, "in 1..65535",
        "Weights kept per feature on average after training (model size).",
        SC_UNSIGNED(mean_weights_per_feature), UnsignedIn<1, 65535>}},
      {{"max_weights_per_feature", T::kUnsigned, "--max-weights-per-feature", "", "", true, true,
        "max_weights_per_feature", InModel::kAlways, nullptr, "in 1..65535",
        "Most weights kept for any one feature.", SC_UNSIGNED(max_weights_per_feature),
        UnsignedIn<1, 65535>}},
      {{"numeric_bins", T::kInt, "--numeric-bins", "", "", true, true, "numeric_bins",
        InModel::kAlways, nullptr, "in 2..100", "Quantile bins per numeric column.",
        SC_INT(numeric_bins), IntIn<2, 100>}},
      {{"holdout", T::kDouble, "--holdout", "", "", true, true, "holdout_fraction",
        InModel::kAlways, nullptr, "in [0, 0.5]",
        "Share of records held out to calibrate confidence and thresholds (with "
        "calibration_folds = 0) and to choose text-field sharing.",
        SC_DOUBLE(holdout_fraction), [](const V& v) { return Double(v) >= 0 && Double(v) <= 0.5; }}},
      {{"target_precision", T::kDouble, "--target-precision", "", "", true, true,
        "target_precision", InModel::kAlways, nullptr, "in (0, 1]",
        "Precision the auto-coding thresholds are chosen for.", SC_DOUBLE(target_precision),
        [](const V& v) { return Double(v) > 0 && Double(v) <= 1; }}},
      {{"risk", T::kDouble, "--risk", "", "", true, true, "risk", InModel::kAlways, "0.05",
        "in (0, 0.5]",
        "Chance allowed that the auto-coded precision falls below the target (certified "
        "thresholds).",
        SC_DOUBLE(risk), [](const V& v) { return Double(v) > 0 && Double(v) <= 0.5; }}},
      // Absent before statcoder 0.3, which calibrated on a held-out part.
      {{"calibration_folds", T::kInt, "--calibration-folds", "", "", true, true,
        "calibration_folds", InModel::kAlways, "0", "0 (a held-out part) or in 2..20",
        "Cross-fitting folds scoring every record out of sample for calibration and "
        "thresholds; 0: a held-out part (holdout).",
        SC_INT(calibration_folds),
        [](const V& v) { return Int(v) == 0 || (Int(v) >= 2 && Int(v) <= 20); }}},
      {{"refit_epochs", T::kInt, "--refit-epochs", "", "", true, true, "refit_epochs",
        InModel::kAlways, nullptr, "in 0..1000",
        "With refit: 0 retrains on all records from scratch, N continues the calibrated model "
        "N passes.",
        SC_INT(refit_epochs), IntIn<0, 1000>}},
      {{"refit", T::kBool, "", "", "--no-refit", true, true, "refit", InModel::kAlways, nullptr,
        "true or false",
        "Retrain on all records after calibration (false: keep the model trained without the "
        "held-out part).",
        SC_BOOL(refit), nullptr}},
      {{"hierarchical_sharing", T::kBool, "", "", "--no-hierarchical-sharing", true, true,
        "hierarchical_sharing", InModel::kAlways, nullptr, "true or false",
        "A code's score adds its code-list ancestors' outputs (few-example codes learn from "
        "their group).",
        SC_BOOL(hierarchical_sharing), nullptr}},
      // Python's spelling of char_ngrams, one length each.
      {{"char_ngram_min", T::kInt, "", "", "", false, true, "", InModel::kNever, nullptr,
        "in 0..8", "Shortest character n-gram (0 with char_ngram_max 0: none).",
        SC_INT(featurizer.char_ngram_min), IntIn<0, 8>}},
      {{"char_ngram_max", T::kInt, "", "", "", false, true, "", InModel::kNever, nullptr,
        "in 0..8", "Longest character n-gram.", SC_INT(featurizer.char_ngram_max),
        IntIn<0, 8>}},
  };
  return kEntries;
}

#undef SC_INT
#undef SC_UNSIGNED
#undef SC_DOUBLE
#undef SC_BOOL
#undef SC_STRING

const std::vector<TrainOptionSpec>& Specs() {
  static const std::vector<TrainOptionSpec> kSpecs = [] {
    std::vector<TrainOptionSpec> specs;
    for (const Entry& e : Entries()) specs.push_back(e.spec);
    return specs;
  }();
  return kSpecs;
}

const Entry& EntryOf(const TrainOptionSpec& spec) {
  return Entries()[static_cast<size_t>(&spec - Specs().data())];
}

std::string_view TypeWord(OptionType type) {
  switch (type) {
    case OptionType::kBool: return "true or false";
    case OptionType::kInt: return "an integer";
    case OptionType::kUnsigned: return "a non-negative integer";
    case OptionType::kDouble: return "a number";
    case OptionType::kString: return "a string";
  }
  return "a value";
}

// `value` as the option's own alternative (integers and numbers convert where exact), or
// nullopt.
std::optional<V> Coerce(OptionType type, const V& value) {
  switch (type) {
    case OptionType::kBool:
      if (std::holds_alternative<bool>(value)) return value;
      return std::nullopt;
    case OptionType::kString:
      if (std::holds_alternative<std::string>(value)) return value;
      return std::nullopt;
    case OptionType::kInt:
      if (std::holds_alternative<int64_t>(value)) return value;
      if (const auto* u = std::get_if<uint64_t>(&value)) {
        if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return V{static_cast<int64_t>(*u)};
        }
      }
      return std::nullopt;
    case OptionType::kUnsigned:
      if (std::holds_alternative<uint64_t>(value)) return value;
      if (const auto* i = std::get_if<int64_t>(&value)) {
        if (*i >= 0) return V{static_cast<uint64_t>(*i)};
      }
      return std::nullopt;
    case OptionType::kDouble:
      if (const auto* d = std::get_if<double>(&value)) {
        if (std::isfinite(*d)) return value;
        return std::nullopt;
      }
      if (const auto* i = std::get_if<int64_t>(&value)) return V{static_cast<double>(*i)};
      if (const auto* u = std::get_if<uint64_t>(&value)) return V{static_cast<double>(*u)};
      return std::nullopt;
  }
  return std::nullopt;
}

nlohmann::json ValueToJson(const V& v) {
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

V ValueFromJson(OptionType type, const nlohmann::json& j) {
  switch (type) {
    case OptionType::kBool: return j.get<bool>();
    case OptionType::kInt: return j.get<int64_t>();
    case OptionType::kUnsigned: return j.get<uint64_t>();
    case OptionType::kDouble: return j.get<double>();
    case OptionType::kString: return j.get<std::string>();
  }
  return false;
}

bool Stored(InModel when, bool deterministic) {
  switch (when) {
    case InModel::kNever: return false;
    case InModel::kAlways: return true;
    case InModel::kIfDeterministic: return deterministic;
    case InModel::kIfHogwild: return !deterministic;
  }
  return false;
}

}  // namespace

std::span<const TrainOptionSpec> TrainOptionTable() { return Specs(); }

const TrainOptionSpec* FindTrainOption(std::string_view name) {
  for (const TrainOptionSpec& spec : Specs()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string FormatOptionValue(const OptionValue& value) {
  return std::visit(
      [](const auto& x) -> std::string {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<X, std::string>) {
          return x;
        } else if constexpr (std::is_same_v<X, double>) {
          return nlohmann::json(x).dump();  // shortest text that reads back exactly
        } else {
          return std::to_string(x);
        }
      },
      value);
}

core::Status SetTrainOption(const TrainOptionSpec& spec, const OptionValue& value,
                            TrainOptions* options) {
  const std::optional<V> typed = Coerce(spec.type, value);
  if (!typed) {
    return core::InvalidArgument("must be " + std::string(TypeWord(spec.type)) + ", got " +
                                 FormatOptionValue(value));
  }
  if (spec.valid != nullptr && !spec.valid(*typed)) {
    return core::InvalidArgument("must be " + std::string(spec.rule) + ", got " +
                                 FormatOptionValue(*typed));
  }
  spec.set(*options, *typed);
  return core::Status::Ok();
}

core::Result<OptionValue> ParseOptionValue(const TrainOptionSpec& spec, std::string_view text) {
  const auto fail = [&] {
    return core::InvalidArgument("must be " + std::string(TypeWord(spec.type)) + ", got '" +
                                 std::string(text) + "'");
  };
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  switch (spec.type) {
    case OptionType::kBool:
      if (text == "true") return V{true};
      if (text == "false") return V{false};
      return fail();
    case OptionType::kString:
      return V{std::string(text)};
    case OptionType::kInt: {
      int64_t x = 0;
      const auto r = std::from_chars(begin, end, x);
      if (text.empty() || r.ec != std::errc() || r.ptr != end) return fail();
      return V{x};
    }
    case OptionType::kUnsigned: {
      uint64_t x = 0;
      const auto r = std::from_chars(begin, end, x);
      if (text.empty() || r.ec != std::errc() || r.ptr != end) return fail();
      return V{x};
    }
    case OptionType::kDouble: {
      // strtod reads every form people type ("1e-3", ".5", "0.95"); the copy ends the text.
      const std::string copy(text);
      char* stop = nullptr;
      const double x = std::strtod(copy.c_str(), &stop);
      if (copy.empty() || stop != copy.c_str() + copy.size() || !std::isfinite(x)) return fail();
      return V{x};
    }
  }
  return fail();
}

core::Status TrainOptions::Validate() const {
  for (const TrainOptionSpec& spec : Specs()) {
    if (spec.valid != nullptr && !spec.valid(spec.get(*this))) {
      return core::InvalidArgument("training option '" + std::string(spec.name) +
                                   "' must be " + std::string(spec.rule) + ", got " +
                                   FormatOptionValue(spec.get(*this)));
    }
  }
  return featurizer.Validate();
}

nlohmann::json TrainOptions::ToJson() const {
  nlohmann::json j = nlohmann::json::object();
  for (const Entry& e : Entries()) {
    const TrainOptionSpec& spec = e.spec;
    if (!Stored(spec.in_model, deterministic)) continue;
    const V value = spec.get(*this);
    j[std::string(spec.json_key)] = e.to_json ? e.to_json(value) : ValueToJson(value);
  }
  return j;
}

core::Result<TrainOptions> TrainOptions::FromJson(const nlohmann::json& j,
                                                  const text::FeaturizerConfig& featurizer) {
  TrainOptions o;
  o.featurizer = featurizer;
  if (!j.is_object()) return core::DataLoss("training options in the model: not an object");
  // The mode first: whether minibatch or threads were written depends on it.
  const Entry& mode = EntryOf(*FindTrainOption("deterministic"));
  try {
    mode.spec.set(o, mode.from_json(j.at(std::string(mode.spec.json_key))));
  } catch (const nlohmann::json::exception& ex) {
    return core::DataLoss(std::string("training options in the model: 'mode': ") + ex.what());
  }
  for (const Entry& e : Entries()) {
    const TrainOptionSpec& spec = e.spec;
    if (spec.in_model == InModel::kNever || &e == &mode) continue;
    const std::string key(spec.json_key);
    try {
      nlohmann::json value;
      if (j.contains(key) && Stored(spec.in_model, o.deterministic)) {
        value = j[key];
      } else if (spec.json_absent != nullptr) {
        value = nlohmann::json::parse(spec.json_absent);
      } else {
        return core::DataLoss("training options in the model: key '" + key + "' is missing");
      }
      spec.set(o, e.from_json ? e.from_json(value) : ValueFromJson(spec.type, value));
    } catch (const nlohmann::json::exception& ex) {
      return core::DataLoss("training options in the model: '" + key + "': " + ex.what());
    }
  }
  return o;
}

}  // namespace statcoder::model
