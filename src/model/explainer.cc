#include "model/explainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <string_view>

#include "text/token_locator.h"
#include "text/tokenizer.h"

namespace statcoder::model {
namespace {

constexpr int kMaxTopK = 100;
constexpr int kMaxTitleMatches = 20;

// The kinds of text::NamedFeature, in the order explanations list their totals.
constexpr std::string_view kKinds[] = {"word", "word_ngram", "char_ngram", "categorical",
                                       "numeric"};

constexpr std::string_view kTrainingMatchNote =
    "the model does not keep its training texts, so no training record can be shown; a "
    "knowledge base of confirmed texts will answer this";

size_t KindIndex(std::string_view kind) {
  for (size_t i = 0; i < std::size(kKinds); ++i) {
    if (kKinds[i] == kind) return i;
  }
  return std::size(kKinds);  // not reached: the featurizer only makes the kinds above
}

// The outputs whose sum is label c's score, as OutputMap stores them (identity: output c).
std::vector<uint32_t> PathOf(const OutputMap& map, size_t c) {
  if (map.identity()) return {static_cast<uint32_t>(c)};
  return std::vector<uint32_t>(map.outputs.begin() + map.offsets[c],
                               map.outputs.begin() + map.offsets[c + 1]);
}

std::string TitleOf(const Model& m, const std::string& code) {
  const data::CodeList* codes = m.code_list();
  if (codes == nullptr) return "";
  const int32_t node = codes->Find(code);
  return node < 0 ? "" : codes->node(node).title;
}

std::vector<std::string> SortedUnique(std::vector<std::string> words) {
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

std::string IdHex(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

nlohmann::json CodeJson(const ExplainedCode& c) {
  return {{"code", c.code}, {"title", c.title}, {"probability", c.probability}, {"logit", c.logit}};
}

nlohmann::json TotalJson(const char* key, const ContributionTotal& t, double temperature) {
  return {{key, t.name},
          {"features", t.features},
          {"contribution", t.contribution},
          {"log_odds", t.contribution / temperature},
          {"score_contribution", t.score_contribution}};
}

nlohmann::json OptionalJson(const std::optional<size_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

core::Status ExplainOptions::Validate() const {
  if (top_k < 1 || top_k > kMaxTopK) {
    return core::InvalidArgument("explain: top_k = " + std::to_string(top_k) +
                                 " is outside 1..100");
  }
  if (title_matches < 0 || title_matches > kMaxTitleMatches) {
    return core::InvalidArgument("explain: title_matches = " + std::to_string(title_matches) +
                                 " is outside 0..20");
  }
  return core::Status::Ok();
}

Explainer::Explainer(std::shared_ptr<const Model> model)
    : model_(std::move(model)), normalizer_(model_->data().featurizer.normalizer) {
  const data::CodeList* codes = model_->code_list();
  if (codes == nullptr) return;
  title_words_.resize(codes->size());
  std::unordered_map<std::string, uint32_t> df;
  size_t titled = 0;
  for (size_t n = 0; n < codes->size(); ++n) {
    // Titles come from a validated UTF-8 file; one that still fails to normalise matches
    // nothing rather than failing every explanation.
    core::Result<std::string> normalized =
        normalizer_.Normalize(codes->node(static_cast<int32_t>(n)).title);
    if (!normalized.ok()) continue;
    title_words_[n] = SortedUnique(text::Tokenize(*normalized));
    if (title_words_[n].empty()) continue;
    ++titled;
    for (const std::string& w : title_words_[n]) ++df[w];
  }
  // Smoothed IDF: words in many titles ("workers", "and") weigh little, a word in no title
  // weighs most.
  const auto n_titled = static_cast<double>(titled);
  for (const auto& [word, count] : df) {
    title_idf_[word] = std::log(1.0 + n_titled / (1.0 + static_cast<double>(count)));
  }
  unseen_word_idf_ = std::log(1.0 + n_titled);
  title_weight_.assign(codes->size(), 0.0);
  for (size_t n = 0; n < codes->size(); ++n) {
    for (const std::string& w : title_words_[n]) title_weight_[n] += WordIdf(w);
  }
}

double Explainer::WordIdf(const std::string& word) const {
  const auto it = title_idf_.find(word);
  return it == title_idf_.end() ? unseen_word_idf_ : it->second;
}

std::vector<TitleMatch> Explainer::MatchTitles(const std::vector<std::string>& words,
                                               int limit) const {
  std::vector<TitleMatch> matches;
  const data::CodeList* codes = model_->code_list();
  if (codes == nullptr || limit <= 0 || words.empty()) return matches;
  double record_weight = 0;
  for (const std::string& w : words) record_weight += WordIdf(w);
  struct Candidate {
    int32_t node;
    double score;
    bool trained;
  };
  std::vector<Candidate> candidates;
  for (size_t n = 0; n < title_words_.size(); ++n) {
    const std::vector<std::string>& title = title_words_[n];
    double shared = 0;
    for (auto i = words.begin(), j = title.begin(); i != words.end() && j != title.end();) {
      if (*i < *j) {
        ++i;
      } else if (*j < *i) {
        ++j;
      } else {
        shared += WordIdf(*i);
        ++i;
        ++j;
      }
    }
    if (shared <= 0) continue;
    const auto node = static_cast<int32_t>(n);
    candidates.push_back({node, shared / (record_weight + title_weight_[n] - shared),
                          model_->FindLabel(codes->node(node).code) >= 0});
  }
  // A group often carries its only child's title: prefer the code the model can predict, then
  // the finer level, then code-list order, so the order is deterministic.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [codes](const Candidate& a, const Candidate& b) {
                     if (a.score != b.score) return a.score > b.score;
                     if (a.trained != b.trained) return a.trained;
                     return codes->node(a.node).depth > codes->node(b.node).depth;
                   });
  candidates.resize(std::min(candidates.size(), static_cast<size_t>(limit)));
  for (const Candidate& c : candidates) {
    const data::CodeNode& node = codes->node(c.node);
    matches.push_back({node.code, node.title, node.depth, c.score, c.trained});
  }
  return matches;
}

core::Result<Explanation> Explainer::Explain(const text::RecordView& record,
                                             const ExplainOptions& options) const {
  RETURN_IF_ERROR(options.Validate());
  const Model& m = *model_;
  const ModelData& d = m.data();
  const size_t num_labels = m.num_labels();
  if (num_labels < 2) {
    return core::FailedPrecondition("the model has a single code ('" + m.label(0) +
                                    "'), so there is no other code to explain its choice against");
  }
  int32_t versus = -1;
  if (!options.versus.empty()) {
    versus = m.FindLabel(options.versus);
    if (versus < 0) {
      const data::CodeList* codes = m.code_list();
      const std::string why = codes != nullptr && codes->Find(options.versus) >= 0
                                  ? "' is in the model's code list, but the model was never "
                                    "trained on it, so it has no score"
                                  : "' is not a code of this model";
      return core::NotFound("code '" + options.versus + why + "; compare with one of its " +
                            std::to_string(num_labels) + " trained codes");
    }
  }

  Explanation e;
  e.model_version = m.version_id();
  e.temperature = d.temperature;
  // The decision comes from the Predictor itself, so it is the one `code` writes.
  Predictor predictor(model_);
  RETURN_IF_ERROR(predictor.Predict(record, std::max(options.top_k, 2), &e.prediction));
  const std::vector<float> probabilities(predictor.probabilities().begin(),
                                         predictor.probabilities().end());
  const int32_t a = e.prediction.top[0].label;
  const int32_t runner_up = e.prediction.top[1].label;
  if (versus < 0) versus = runner_up;
  if (versus == a) {
    return core::InvalidArgument("code '" + options.versus +
                                 "' is the chosen code itself; compare it with another code");
  }
  e.versus_is_runner_up = versus == runner_up;
  e.prediction.top.resize(std::min(e.prediction.top.size(), static_cast<size_t>(options.top_k)));

  // The same features, in the same order, as Predictor's Featurize, with their names.
  std::vector<text::NamedFeature> named;
  RETURN_IF_ERROR(m.featurizer().FeaturizeNamed(record, &named));
  std::vector<uint64_t> ids;
  ids.reserve(named.size());
  for (const text::NamedFeature& n : named) ids.push_back(n.id);
  SparseVector x;
  Vectorize(d.features, ids, &x);
  std::vector<float> outputs, logits(num_labels);
  ComputeLogits(d.linear, d.label_outputs, x, &outputs, logits);

  auto describe = [&](int32_t label) {
    const auto c = static_cast<size_t>(label);
    return ExplainedCode{.label = label,
                         .code = m.label(c),
                         .title = TitleOf(m, m.label(c)),
                         .probability = probabilities[c],
                         .logit = logits[c]};
  };
  for (const ScoredLabel& s : e.prediction.top) e.top.push_back(describe(s.label));
  e.code = describe(a);
  e.versus = describe(versus);
  e.decided_title = TitleOf(m, e.prediction.code);
  e.decided_level_name =
      m.code_list() != nullptr ? m.code_list()->LevelName(e.prediction.level) : "code";
  e.logit_difference = static_cast<double>(logits[static_cast<size_t>(a)]) -
                       static_cast<double>(logits[static_cast<size_t>(versus)]);

  // sign[o] = +1 for an output only on A's path, -1 only on B's, 0 on both (a shared ancestor
  // adds the same to both scores and cancels) or neither.
  const SparseLinear& lin = d.linear;
  std::vector<int8_t> sign(lin.num_outputs, 0);
  std::vector<uint8_t> on_a(lin.num_outputs, 0);
  for (uint32_t o : PathOf(d.label_outputs, static_cast<size_t>(a))) {
    ++sign[o];
    on_a[o] = 1;
    e.score_bias += lin.bias[o];
  }
  for (uint32_t o : PathOf(d.label_outputs, static_cast<size_t>(versus))) --sign[o];
  for (size_t o = 0; o < sign.size(); ++o) e.bias += sign[o] * static_cast<double>(lin.bias[o]);

  // One FeatureContribution per row of x, created at the row's first occurrence, so the list
  // starts in the record's feature order.
  std::vector<int32_t> feature_of_row(x.rows.size(), -1);
  std::vector<int32_t> occurrence_feature(named.size(), -1);  // -1: unknown to the model
  std::unordered_map<uint64_t, size_t> unknown_of_id;
  auto add_field = [](FeatureContribution* f, const std::string& field) {
    if (std::find(f->fields.begin(), f->fields.end(), field) == f->fields.end()) {
      f->fields.push_back(field);  // fields come in the model's order, as FeaturizeNamed walks
    }
  };
  for (size_t k = 0; k < named.size(); ++k) {
    const text::NamedFeature& n = named[k];
    const int64_t row = d.features.Find(n.id);
    if (row < 0) {
      const auto [it, added] = unknown_of_id.emplace(n.id, e.unknown_features.size());
      if (added) e.unknown_features.push_back({.id = n.id, .kind = n.kind, .text = n.text});
      FeatureContribution& f = e.unknown_features[it->second];
      ++f.count;
      add_field(&f, n.field);
      continue;
    }
    const auto i = static_cast<size_t>(
        std::lower_bound(x.rows.begin(), x.rows.end(), static_cast<uint32_t>(row)) -
        x.rows.begin());
    if (feature_of_row[i] < 0) {
      feature_of_row[i] = static_cast<int32_t>(e.features.size());
      const uint32_t r = x.rows[i];
      const double scale = lin.row_scale[r];
      double diff = 0, score = 0;
      for (uint32_t j = lin.row_offsets[r]; j < lin.row_offsets[r + 1]; ++j) {
        const double w = scale * static_cast<double>(lin.values[j]);
        diff += sign[lin.columns[j]] * w;
        if (on_a[lin.columns[j]]) score += w;
      }
      const double v = x.values[i];
      e.features.push_back({.id = n.id,
                            .kind = n.kind,
                            .text = n.text,
                            .value = v,
                            .contribution = v * diff,
                            .score_contribution = v * score});
    }
    FeatureContribution& f = e.features[static_cast<size_t>(feature_of_row[i])];
    ++f.count;
    add_field(&f, n.field);
    occurrence_feature[k] = feature_of_row[i];
  }
  e.contribution_sum = e.bias;
  for (const FeatureContribution& f : e.features) e.contribution_sum += f.contribution;

  // Totals: each occurrence carries an equal share of its feature's contribution, so a feature
  // seen in two fields (--share-text-fields) is split between them and every total stays exact.
  const text::FeaturizerConfig& config = d.featurizer;
  std::unordered_map<std::string, size_t> field_index;
  auto add_total = [&](const std::string& name) {
    field_index.emplace(name, e.field_totals.size());
    e.field_totals.push_back({.name = name});
  };
  for (const std::string& f : config.text_fields) add_total(f);
  for (const std::string& f : config.categorical_fields) add_total(f);
  for (const text::NumericBins& f : config.numeric_fields) add_total(f.field);
  for (std::string_view kind : kKinds) e.kind_totals.push_back({.name = std::string(kind)});

  std::vector<std::vector<TokenContribution>> tokens(config.text_fields.size());
  std::vector<std::string> words;  // for the title matches
  for (size_t t = 0; t < config.text_fields.size(); ++t) {
    ASSIGN_OR_RETURN(std::vector<text::LocatedToken> located,
                     text::LocateTokens(normalizer_, record.texts[t]));
    for (size_t i = 0; i < located.size(); ++i) {
      words.push_back(located[i].token);
      tokens[t].push_back({.field = config.text_fields[t],
                           .index = static_cast<uint32_t>(i),
                           .token = std::move(located[i].token),
                           .begin = located[i].begin,
                           .end = located[i].end});
    }
  }

  // Distinct features per total: the last feature credited to each total, as occurrences of
  // one feature may be far apart (a repeated word) but are counted once.
  std::vector<std::vector<int32_t>> field_features(e.field_totals.size());
  std::vector<std::vector<int32_t>> kind_features(e.kind_totals.size());
  for (size_t k = 0; k < named.size(); ++k) {
    if (occurrence_feature[k] < 0) continue;
    const text::NamedFeature& n = named[k];
    const FeatureContribution& f = e.features[static_cast<size_t>(occurrence_feature[k])];
    const double share = f.contribution / f.count;
    const double score_share = f.score_contribution / f.count;
    const size_t fi = field_index.at(n.field);
    const size_t ki = KindIndex(n.kind);
    for (auto [total, seen] : {std::pair{&e.field_totals[fi], &field_features[fi]},
                               std::pair{&e.kind_totals[ki], &kind_features[ki]}}) {
      total->contribution += share;
      total->score_contribution += score_share;
      if (std::find(seen->begin(), seen->end(), occurrence_feature[k]) == seen->end()) {
        seen->push_back(occurrence_feature[k]);
        ++total->features;
      }
    }
    if (n.token < 0) continue;  // categorical and numeric features belong to no word
    std::vector<TokenContribution>& field_tokens = tokens[fi];  // text fields come first
    const auto first = static_cast<size_t>(n.token), count = static_cast<size_t>(n.token_count);
    if (count == 0 || first + count > field_tokens.size()) {
      return core::Internal("explain: feature '" + n.text + "' covers tokens " +
                            std::to_string(first) + "+" + std::to_string(count) + " of field '" +
                            n.field + "', which has " + std::to_string(field_tokens.size()));
    }
    for (size_t t = first; t < first + count; ++t) {
      field_tokens[t].contribution += share / static_cast<double>(count);
      field_tokens[t].score_contribution += score_share / static_cast<double>(count);
    }
  }
  for (std::vector<TokenContribution>& field_tokens : tokens) {
    std::move(field_tokens.begin(), field_tokens.end(), std::back_inserter(e.tokens));
  }

  std::stable_sort(e.features.begin(), e.features.end(),
                   [](const FeatureContribution& p, const FeatureContribution& q) {
                     return std::abs(p.contribution) > std::abs(q.contribution);
                   });
  e.title_matches = MatchTitles(SortedUnique(std::move(words)), options.title_matches);
  return e;
}

nlohmann::json Explanation::ToJson() const {
  using nlohmann::json;
  const Prediction& p = prediction;
  json j = json::object();
  j["model_version"] = model_version;
  j["decision"] = {{"code", p.code},
                   {"title", decided_title},
                   {"level", p.level},
                   {"level_name", decided_level_name},
                   {"confidence", p.confidence},
                   {"decision", std::string(DecisionName(p.decision))},
                   {"reason", std::string(p.reason)}};
  j["num_features"] = p.num_features;
  j["known_features"] = p.known_features;
  json top_codes = json::array();
  for (const ExplainedCode& c : top) top_codes.push_back(CodeJson(c));
  j["top"] = std::move(top_codes);
  j["code"] = CodeJson(code);
  j["versus"] = CodeJson(versus);
  j["versus"]["runner_up"] = versus_is_runner_up;
  j["temperature"] = temperature;
  j["logit_difference"] = logit_difference;
  j["log_odds"] = logit_difference / temperature;
  j["bias"] = bias;
  j["contribution_sum"] = contribution_sum;
  j["score_bias"] = score_bias;
  json feats = json::array();
  for (const FeatureContribution& f : features) {
    feats.push_back({{"id", IdHex(f.id)},
                     {"kind", f.kind},
                     {"text", f.text},
                     {"fields", f.fields},
                     {"count", f.count},
                     {"value", f.value},
                     {"contribution", f.contribution},
                     {"log_odds", f.contribution / temperature},
                     {"score_contribution", f.score_contribution}});
  }
  j["features"] = std::move(feats);
  json unknown = json::array();
  for (const FeatureContribution& f : unknown_features) {
    unknown.push_back({{"id", IdHex(f.id)},
                       {"kind", f.kind},
                       {"text", f.text},
                       {"fields", f.fields},
                       {"count", f.count}});
  }
  j["unknown_features"] = std::move(unknown);
  json fields = json::array();
  for (const ContributionTotal& t : field_totals)
    fields.push_back(TotalJson("field", t, temperature));
  j["field_totals"] = std::move(fields);
  json kinds = json::array();
  for (const ContributionTotal& t : kind_totals) kinds.push_back(TotalJson("kind", t, temperature));
  j["kind_totals"] = std::move(kinds);
  json words = json::array();
  for (const TokenContribution& t : tokens) {
    words.push_back({{"field", t.field},
                     {"index", t.index},
                     {"token", t.token},
                     {"begin", OptionalJson(t.begin)},
                     {"end", OptionalJson(t.end)},
                     {"contribution", t.contribution},
                     {"log_odds", t.contribution / temperature},
                     {"score_contribution", t.score_contribution}});
  }
  j["tokens"] = std::move(words);
  json titles = json::array();
  for (const TitleMatch& t : title_matches) {
    titles.push_back({{"code", t.code},
                      {"title", t.title},
                      {"depth", t.depth},
                      {"score", t.score},
                      {"trained", t.trained}});
  }
  j["title_matches"] = std::move(titles);
  j["training_match"] = nullptr;
  j["training_match_note"] = std::string(kTrainingMatchNote);
  return j;
}

}  // namespace statcoder::model
