#include "text/featurizer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <set>
#include <string>
#include <system_error>

#include "core/stable_hash.h"
#include "core/status.h"
#include "text/internal/token_spans.h"

namespace statcoder::text {
namespace {

constexpr int kMaxWordNgrams = 5;
constexpr int kMaxCharNgram = 8;
constexpr char kSep = '\x1f';  // ASCII unit separator: cannot occur in a field name (Validate)

// Working memory of Featurize, one per thread so that concurrent calls never share it and a
// thread featurising many records allocates nothing once warmed up.
struct Scratch {
  std::string normalized;
  std::vector<int32_t> code_points;
  std::vector<std::string_view> tokens;
  std::string wrapped;             // "<token>"
  std::vector<size_t> cp_offsets;  // byte offset of each code point of `wrapped`, then its size
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// One pathological record must not pin megabytes per thread for the life of the process.
void TrimScratch(Scratch* s) {
  constexpr size_t kMaxRetainedBytes = size_t{1} << 20;
  if (s->normalized.capacity() > kMaxRetainedBytes ||
      s->code_points.capacity() * sizeof(int32_t) > kMaxRetainedBytes ||
      s->tokens.capacity() * sizeof(std::string_view) > kMaxRetainedBytes) {
    s->normalized = std::string();
    s->code_points = std::vector<int32_t>();
    s->tokens = std::vector<std::string_view>();
  }
}

enum class Kind { kWord, kWordNgram, kCharNgram, kCategorical, kNumeric };

// Everything FeaturizeNamed needs to rebuild a feature's string. Featurize never builds one:
// the sink receives it through a callback it does not call.
struct FeatureRef {
  Kind kind;
  size_t field;
  int n = 0;                                  // word n-grams: n
  std::span<const std::string_view> words{};  // word n-grams: the n tokens
  std::string_view value{};                   // char n-gram, categorical value
  int bin = -1;                               // numeric: bin index, -1 = missing
  size_t token = 0;                           // text features: index of the first token
};

std::string WordPrefix(std::string_view field, int n) {
  std::string s = "w" + std::to_string(n);
  s += kSep;
  s += field;
  s += kSep;
  return s;
}

std::string KindPrefix(char kind, std::string_view field) {
  std::string s(1, kind);
  s += kSep;
  s += field;
  s += kSep;
  return s;
}

// Shortest text that reads back as the same double; locale-independent.
std::string FormatDouble(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "?";
  return std::string(buf, end);
}

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

class IdSink {
 public:
  explicit IdSink(std::vector<uint64_t>* ids) : ids_(ids) {}
  template <typename Describe>
  void Add(uint64_t id, const Describe& /*describe*/) {
    ids_->push_back(id);
  }

 private:
  std::vector<uint64_t>* ids_;
};

// Rebuilds each feature string from its definition and hashes it with the one-shot Fnv1a64, not
// the incremental hashing of the walk, so that a test comparing Featurize with FeaturizeNamed
// checks the fast path against the specification.
class NamedSink {
 public:
  NamedSink(const FeaturizerConfig& config, std::vector<NamedFeature>* out)
      : config_(config), out_(out) {}

  template <typename Describe>
  void Add(uint64_t /*id*/, const Describe& describe) {
    const FeatureRef ref = describe();
    NamedFeature f;
    std::string key;
    switch (ref.kind) {
      case Kind::kWord:
      case Kind::kWordNgram:
        f.field = config_.text_fields[ref.field];
        f.kind = ref.kind == Kind::kWord ? "word" : "word_ngram";
        for (size_t i = 0; i < ref.words.size(); ++i) {
          if (i > 0) f.text += ' ';
          f.text += ref.words[i];
        }
        key = WordPrefix(config_.share_text_fields ? "" : f.field, ref.n) + f.text;
        f.token = static_cast<int32_t>(ref.token);
        f.token_count = static_cast<int32_t>(ref.words.size());
        break;
      case Kind::kCharNgram:
        f.field = config_.text_fields[ref.field];
        f.kind = "char_ngram";
        f.text = std::string(ref.value);
        key = KindPrefix('c', config_.share_text_fields ? "" : f.field) + f.text;
        f.token = static_cast<int32_t>(ref.token);
        f.token_count = 1;
        break;
      case Kind::kCategorical:
        f.field = config_.categorical_fields[ref.field];
        f.kind = "categorical";
        f.text = ref.value.empty() ? "(empty)" : std::string(ref.value);
        key = KindPrefix('k', f.field) + std::string(ref.value);
        break;
      case Kind::kNumeric: {
        const NumericBins& bins = config_.numeric_fields[ref.field];
        f.field = bins.field;
        f.kind = "numeric";
        if (ref.bin < 0) {
          f.text = "missing";
          key = KindPrefix('n', f.field) + "missing";
        } else {
          const auto b = static_cast<size_t>(ref.bin);
          const std::string lo = b == 0 ? "(-inf" : "[" + FormatDouble(bins.edges[b - 1]);
          const std::string hi =
              b == bins.edges.size() ? "+inf)" : FormatDouble(bins.edges[b]) + ")";
          f.text = "bin " + std::to_string(b) + " " + lo + ", " + hi;
          key = KindPrefix('n', f.field) + std::to_string(b);
        }
        break;
      }
    }
    f.id = core::Fnv1a64(key);
    out_->push_back(std::move(f));
  }

 private:
  const FeaturizerConfig& config_;
  std::vector<NamedFeature>* out_;
};

core::Status CheckFieldName(std::string_view list, const std::string& name,
                            std::set<std::string>* seen) {
  if (name.empty()) {
    return core::InvalidArgument("featurizer config: a " + std::string(list) +
                                 " field has an empty name; name every field");
  }
  if (name.find(kSep) != std::string::npos) {
    return core::InvalidArgument("featurizer config: " + std::string(list) + " field '" + name +
                                 "' contains the reserved character \\x1f; rename it");
  }
  if (!seen->insert(name).second) {
    return core::InvalidArgument("featurizer config: field '" + name +
                                 "' is listed twice; each field may appear once across text, "
                                 "categorical and numeric fields");
  }
  return core::Status::Ok();
}

}  // namespace

core::Status FeaturizerConfig::Validate() const {
  if (normalizer_version != kNormalizerVersion) {
    return core::UnsupportedVersion(
        "featurizer config: normalizer version " + std::to_string(normalizer_version) +
        " is not supported by this build (normalizer version " +
        std::to_string(kNormalizerVersion) + "); retrain the model with this build");
  }
  if (text_fields.empty()) {
    return core::InvalidArgument("featurizer config: no text field; name at least one");
  }
  if (word_ngrams < 1 || word_ngrams > kMaxWordNgrams) {
    return core::InvalidArgument("featurizer config: word_ngrams = " + std::to_string(word_ngrams) +
                                 " is outside 1..5");
  }
  if (char_ngram_min < 0 || char_ngram_min > kMaxCharNgram) {
    return core::InvalidArgument(
        "featurizer config: char_ngram_min = " + std::to_string(char_ngram_min) +
        " is outside 0..8 (0 disables character n-grams)");
  }
  const int max_lower_bound = char_ngram_min == 0 ? 0 : char_ngram_min;
  if (char_ngram_max < max_lower_bound || char_ngram_max > kMaxCharNgram) {
    return core::InvalidArgument(
        "featurizer config: char_ngram_max = " + std::to_string(char_ngram_max) + " is outside " +
        std::to_string(max_lower_bound) +
        "..8 (char_ngram_min = " + std::to_string(char_ngram_min) + ")");
  }
  std::set<std::string> seen;
  for (const std::string& name : text_fields) {
    RETURN_IF_ERROR(CheckFieldName("text", name, &seen));
  }
  for (const std::string& name : categorical_fields) {
    RETURN_IF_ERROR(CheckFieldName("categorical", name, &seen));
  }
  for (const NumericBins& bins : numeric_fields) {
    RETURN_IF_ERROR(CheckFieldName("numeric", bins.field, &seen));
    for (size_t i = 0; i < bins.edges.size(); ++i) {
      if (!std::isfinite(bins.edges[i]) || (i > 0 && !(bins.edges[i - 1] < bins.edges[i]))) {
        return core::InvalidArgument("featurizer config: numeric field '" + bins.field +
                                     "': bin edges must be finite and strictly ascending (edge " +
                                     std::to_string(i) + " is " + FormatDouble(bins.edges[i]) +
                                     "); relearn them with LearnNumericBins");
      }
    }
  }
  return core::Status::Ok();
}

Featurizer::Featurizer(FeaturizerConfig config)
    : config_(std::move(config)), normalizer_(config_.normalizer) {
  const auto n_max = static_cast<size_t>(config_.word_ngrams);
  word_prefix_hash_.reserve(config_.text_fields.size() * n_max);
  for (const std::string& name : config_.text_fields) {
    const std::string field = config_.share_text_fields ? "" : name;
    for (int n = 1; n <= config_.word_ngrams; ++n) {
      word_prefix_hash_.push_back(core::Fnv1a64(WordPrefix(field, n)));
    }
    char_prefix_hash_.push_back(core::Fnv1a64(KindPrefix('c', field)));
  }
  for (const std::string& field : config_.categorical_fields) {
    categorical_prefix_hash_.push_back(core::Fnv1a64(KindPrefix('k', field)));
  }
  for (const NumericBins& bins : config_.numeric_fields) {
    const std::string prefix = KindPrefix('n', bins.field);
    std::vector<uint64_t>& ids = numeric_ids_.emplace_back();
    for (size_t b = 0; b <= bins.edges.size(); ++b) {
      ids.push_back(core::Fnv1a64(prefix + std::to_string(b)));
    }
    ids.push_back(core::Fnv1a64(prefix + "missing"));
  }
}

core::Result<Featurizer> Featurizer::Create(FeaturizerConfig config) {
  RETURN_IF_ERROR(config.Validate());
  return Featurizer(std::move(config));
}

template <typename Sink>
core::Status Featurizer::Walk(const RecordView& record, Sink* sink) const {
  if (record.texts.size() != config_.text_fields.size() ||
      record.categoricals.size() != config_.categorical_fields.size() ||
      record.numerics.size() != config_.numeric_fields.size()) {
    return core::InvalidInput("record has " + std::to_string(record.texts.size()) + " text, " +
                              std::to_string(record.categoricals.size()) + " categorical and " +
                              std::to_string(record.numerics.size()) +
                              " numeric fields; the featurizer expects " +
                              std::to_string(config_.text_fields.size()) + ", " +
                              std::to_string(config_.categorical_fields.size()) + " and " +
                              std::to_string(config_.numeric_fields.size()));
  }
  Scratch& s = ThreadScratch();
  const auto word_ngrams = static_cast<size_t>(config_.word_ngrams);
  const auto char_min = static_cast<size_t>(config_.char_ngram_min);
  const auto char_max = static_cast<size_t>(config_.char_ngram_max);

  for (size_t f = 0; f < record.texts.size(); ++f) {
    const core::Status status =
        normalizer_.NormalizeInto(record.texts[f], &s.normalized, &s.code_points);
    if (!status.ok()) return status.WithContext("text field '" + config_.text_fields[f] + "'");
    internal::TokenizeSpans(s.normalized, &s.tokens);
    const std::span<const std::string_view> tokens(s.tokens);

    for (size_t n = 1; n <= word_ngrams && n <= tokens.size(); ++n) {
      const uint64_t prefix = word_prefix_hash_[f * word_ngrams + n - 1];
      const Kind kind = n == 1 ? Kind::kWord : Kind::kWordNgram;
      for (size_t start = 0; start + n <= tokens.size(); ++start) {
        uint64_t h = core::Fnv1a64Update(prefix, tokens[start]);
        for (size_t j = 1; j < n; ++j) {
          h = core::Fnv1a64Update(h, " ");
          h = core::Fnv1a64Update(h, tokens[start + j]);
        }
        sink->Add(h, [&] {
          return FeatureRef{.kind = kind,
                            .field = f,
                            .n = static_cast<int>(n),
                            .words = tokens.subspan(start, n),
                            .token = start};
        });
      }
    }

    if (char_min == 0) continue;
    const uint64_t char_prefix = char_prefix_hash_[f];
    for (size_t t = 0; t < tokens.size(); ++t) {
      const std::string_view token = tokens[t];
      s.wrapped.clear();
      s.wrapped += '<';
      s.wrapped += token;
      s.wrapped += '>';
      // The normaliser's output is valid UTF-8, so code points start at non-continuation bytes.
      s.cp_offsets.clear();
      for (size_t i = 0; i < s.wrapped.size(); ++i) {
        if (!IsUtf8Continuation(s.wrapped[i])) s.cp_offsets.push_back(i);
      }
      const size_t length = s.cp_offsets.size();  // in code points
      s.cp_offsets.push_back(s.wrapped.size());
      const std::string_view wrapped(s.wrapped);
      // Extending one start position by a code point at a time hashes each byte once per
      // start, rather than once per n-gram.
      for (size_t start = 0; start + char_min <= length; ++start) {
        uint64_t h = char_prefix;
        const size_t end_max = std::min(start + char_max, length);
        for (size_t end = start + 1; end <= end_max; ++end) {
          h = core::Fnv1a64Update(
              h, wrapped.substr(s.cp_offsets[end - 1], s.cp_offsets[end] - s.cp_offsets[end - 1]));
          if (end - start < char_min) continue;
          sink->Add(h, [&] {
            return FeatureRef{.kind = Kind::kCharNgram,
                              .field = f,
                              .value = wrapped.substr(s.cp_offsets[start],
                                                      s.cp_offsets[end] - s.cp_offsets[start]),
                              .token = t};
          });
        }
      }
    }
  }

  for (size_t f = 0; f < record.categoricals.size(); ++f) {
    const core::Status status =
        normalizer_.NormalizeInto(record.categoricals[f], &s.normalized, &s.code_points);
    if (!status.ok()) {
      return status.WithContext("categorical field '" + config_.categorical_fields[f] + "'");
    }
    const std::string_view value(s.normalized);
    sink->Add(core::Fnv1a64Update(categorical_prefix_hash_[f], value),
              [&] { return FeatureRef{.kind = Kind::kCategorical, .field = f, .value = value}; });
  }

  for (size_t f = 0; f < record.numerics.size(); ++f) {
    const double v = record.numerics[f];
    const std::vector<double>& edges = config_.numeric_fields[f].edges;
    const std::vector<uint64_t>& ids = numeric_ids_[f];
    // ids.back() is the "missing" feature.
    const size_t bin =
        std::isnan(v)
            ? ids.size() - 1
            : static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), v) - edges.begin());
    sink->Add(ids[bin], [&] {
      return FeatureRef{
          .kind = Kind::kNumeric, .field = f, .bin = std::isnan(v) ? -1 : static_cast<int>(bin)};
    });
  }
  TrimScratch(&s);
  return core::Status::Ok();
}

core::Status Featurizer::Featurize(const RecordView& record, std::vector<uint64_t>* ids) const {
  const size_t old_size = ids->size();
  IdSink sink(ids);
  core::Status status = Walk(record, &sink);
  if (!status.ok()) ids->resize(old_size);
  return status;
}

core::Status Featurizer::FeaturizeNamed(const RecordView& record,
                                        std::vector<NamedFeature>* out) const {
  const size_t old_size = out->size();
  NamedSink sink(config_, out);
  core::Status status = Walk(record, &sink);
  if (!status.ok()) out->resize(old_size);
  return status;
}

NumericBins LearnNumericBins(std::string field, std::vector<double> values, int max_bins) {
  NumericBins bins{.field = std::move(field), .edges = {}};
  std::erase_if(values, [](double v) { return !std::isfinite(v); });
  if (values.empty() || max_bins <= 1) return bins;
  for (double& v : values) {
    if (v == 0.0) v = 0.0;  // -0.0 == 0.0 would make the stored edge depend on the sort
  }
  std::sort(values.begin(), values.end());
  const size_t m = values.size();
  // With max_bins > m every index 0..m-1 is already a candidate, so capping at m + 1 yields the
  // same edges and keeps k * m from overflowing.
  const size_t k_max = std::min(static_cast<size_t>(max_bins), m + 1);
  for (size_t k = 1; k < k_max; ++k) {
    const double edge = values[k * m / k_max];
    if (edge > values.front() && (bins.edges.empty() || edge > bins.edges.back())) {
      bins.edges.push_back(edge);
    }
  }
  return bins;
}

}  // namespace statcoder::text
