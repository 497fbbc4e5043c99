// statcoder explain: why a model chose a code for one record, as the exact contribution of each
// feature, field and word to the chosen code's score against the runner-up (model/explainer.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli_common.h"
#include "commands.h"
#include "model/explainer.h"
#include "model/model_io.h"

namespace statcoder::cli {
namespace {

struct ExplainFlags {
  std::string model_path;
  std::string text;
  bool has_text = false;            // --text given (possibly empty)
  std::vector<std::string> fields;  // NAME=VALUE
  std::string versus;
  int top = 5;
  int features = 15;
  bool json = false;
};

// A record in the model's field order, owning its values.
struct OwnedRecord {
  std::vector<std::string> texts, categoricals;
  std::vector<double> numerics;
  std::vector<std::string_view> text_views, categorical_views;

  text::RecordView View() {
    text_views.assign(texts.begin(), texts.end());
    categorical_views.assign(categoricals.begin(), categoricals.end());
    return {text_views, categorical_views, numerics};
  }
};

// The same rule as numeric columns of data files (data::ParseNumericField).
core::Result<double> ParseNumber(const std::string& name, std::string_view text) {
  double value = 0;
  std::string why;
  if (!data::ParseNumericField(text, &value, &why)) {
    return core::InvalidArgument("--field " + name + "=" + std::string(text) + ": " + why +
                                 "; '" + name +
                                 "' is a numeric field (give e.g. 12.5, or nothing for missing)");
  }
  return value;
}

std::string FieldList(const text::FeaturizerConfig& c) {
  std::string s;
  auto add = [&s](const std::string& name, const char* role) {
    s += (s.empty() ? "" : ", ") + name + " (" + role + ")";
  };
  for (const auto& f : c.text_fields) add(f, "text");
  for (const auto& f : c.categorical_fields) add(f, "categorical");
  for (const auto& f : c.numeric_fields) add(f.field, "numeric");
  return s;
}

// Fills the record from --text (the first text field) and --field NAME=VALUE; fields not given
// are empty (numeric: missing), as an empty column of a data file would be.
core::Status BuildRecord(const ExplainFlags& f, const text::FeaturizerConfig& c, OwnedRecord* r) {
  if (!f.has_text && f.fields.empty()) {
    return core::InvalidArgument(
        "give the record to explain with --text and/or --field NAME=VALUE");
  }
  r->texts.assign(c.text_fields.size(), "");
  r->categoricals.assign(c.categorical_fields.size(), "");
  r->numerics.assign(c.numeric_fields.size(), std::numeric_limits<double>::quiet_NaN());
  std::vector<std::string> given;
  if (f.has_text) {
    r->texts[0] = f.text;
    given.push_back(c.text_fields[0]);
  }
  for (const std::string& spec : f.fields) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return core::InvalidArgument("--field '" + spec + "' must look like NAME=VALUE");
    }
    const std::string name = spec.substr(0, eq), value = spec.substr(eq + 1);
    if (std::find(given.begin(), given.end(), name) != given.end()) {
      return core::InvalidArgument("field '" + name + "' is given twice" +
                                   (f.has_text && name == c.text_fields[0]
                                        ? " (--text fills the first text field, '" + name + "')"
                                        : std::string()) +
                                   "; give each field once");
    }
    given.push_back(name);
    auto find = [&name](const auto& list, auto name_of) -> std::ptrdiff_t {
      for (size_t i = 0; i < list.size(); ++i) {
        if (name_of(list[i]) == name) return static_cast<std::ptrdiff_t>(i);
      }
      return -1;
    };
    auto same = [](const std::string& s) -> const std::string& { return s; };
    if (const auto i = find(c.text_fields, same); i >= 0) {
      r->texts[static_cast<size_t>(i)] = value;
    } else if (const auto k = find(c.categorical_fields, same); k >= 0) {
      r->categoricals[static_cast<size_t>(k)] = value;
    } else if (const auto n =
                   find(c.numeric_fields,
                        [](const text::NumericBins& b) -> const std::string& { return b.field; });
               n >= 0) {
      ASSIGN_OR_RETURN(r->numerics[static_cast<size_t>(n)], ParseNumber(name, value));
    } else {
      return core::InvalidArgument("--field " + name + "=...: the model has no field '" + name +
                                   "'; its fields are " + FieldList(c));
    }
  }
  return core::Status::Ok();
}

std::string Signed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.4f", v);
  return buf;
}

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : sep) + p;
  return s;
}

void PrintHuman(const model::Explanation& e, const text::FeaturizerConfig& c, const OwnedRecord& r,
                int max_features) {
  std::printf("model %s\nrecord:", e.model_version.c_str());
  for (size_t i = 0; i < c.text_fields.size(); ++i) {
    std::printf(" %s=\"%s\"", c.text_fields[i].c_str(), r.texts[i].c_str());
  }
  for (size_t i = 0; i < c.categorical_fields.size(); ++i) {
    std::printf(" %s=\"%s\"", c.categorical_fields[i].c_str(), r.categoricals[i].c_str());
  }
  for (size_t i = 0; i < c.numeric_fields.size(); ++i) {
    if (std::isnan(r.numerics[i])) {
      std::printf(" %s=(missing)", c.numeric_fields[i].field.c_str());
    } else {
      std::printf(" %s=%g", c.numeric_fields[i].field.c_str(), r.numerics[i]);
    }
  }
  const model::Prediction& p = e.prediction;
  std::printf("\n\ndecision: %s %s", std::string(model::DecisionName(p.decision)).c_str(),
              p.code.c_str());
  if (!e.decided_title.empty()) std::printf(" \"%s\"", e.decided_title.c_str());
  std::printf(" (level %d, %s), confidence %.4f", p.level, e.decided_level_name.c_str(),
              p.confidence);
  if (!p.reason.empty()) std::printf(" [%s]", std::string(p.reason).c_str());
  std::printf("\n\ntop codes:\n");
  for (size_t i = 0; i < e.top.size(); ++i) {
    std::printf("  %2zu. %-12s %.4f  %s\n", i + 1, e.top[i].code.c_str(), e.top[i].probability,
                e.top[i].title.c_str());
  }

  std::printf("\nwhy %s rather than %s (%s): contributions to logit(%s) - logit(%s)\n",
              e.code.code.c_str(), e.versus.code.c_str(),
              e.versus_is_runner_up ? "the runner-up" : "--versus", e.code.code.c_str(),
              e.versus.code.c_str());
  std::printf("  logit difference %s; divided by the temperature %.4f: log-odds %s\n",
              Signed(e.logit_difference).c_str(), e.temperature,
              Signed(e.logit_difference / e.temperature).c_str());
  std::printf("  %12s  %-30s %-11s %s\n", "contribution", "feature", "kind", "field");
  const size_t shown = max_features == 0
                           ? e.features.size()
                           : std::min(e.features.size(), static_cast<size_t>(max_features));
  for (size_t i = 0; i < shown; ++i) {
    const model::FeatureContribution& f = e.features[i];
    std::string text = f.text;
    if (f.count > 1) text += " (x" + std::to_string(f.count) + ")";
    std::printf("  %12s  %-30s %-11s %s\n", Signed(f.contribution).c_str(), text.c_str(),
                f.kind.c_str(), Join(f.fields, "+").c_str());
  }
  if (shown < e.features.size()) {
    double rest = 0;
    for (size_t i = shown; i < e.features.size(); ++i) rest += e.features[i].contribution;
    std::printf("  %12s  (the other %zu features together; --features 0 lists them)\n",
                Signed(rest).c_str(), e.features.size() - shown);
  }
  std::printf("  %12s  (bias)\n", Signed(e.bias).c_str());

  std::printf("\nby field:");
  for (const auto& t : e.field_totals) {
    std::printf("  %s %s", t.name.c_str(), Signed(t.contribution).c_str());
  }
  std::printf("\nby kind: ");
  for (const auto& t : e.kind_totals) {
    if (t.features > 0) std::printf("  %s %s", t.name.c_str(), Signed(t.contribution).c_str());
  }
  std::printf("\nby word: ");
  for (const auto& t : e.tokens) {
    std::printf("  %s %s", t.token.c_str(), Signed(t.contribution).c_str());
  }
  std::printf("\n");
  if (!e.unknown_features.empty()) {
    // Character n-grams of unknown words are many and say little; name the rest.
    std::vector<std::string> named;
    size_t char_ngrams = 0;
    for (const auto& f : e.unknown_features) {
      if (f.kind == "char_ngram") {
        ++char_ngrams;
      } else {
        named.push_back("\"" + f.text + "\" (" + Join(f.fields, "+") + ")");
      }
    }
    std::printf("unknown to the model (no contribution): %s%s%zu character n-grams\n",
                Join(named, ", ").c_str(), named.empty() ? "" : "; ", char_ngrams);
  }

  if (!e.code.title.empty() || !e.versus.title.empty()) {
    std::printf("\ncode list: %s \"%s\"; %s \"%s\"\n", e.code.code.c_str(), e.code.title.c_str(),
                e.versus.code.c_str(), e.versus.title.c_str());
  }
  if (!e.title_matches.empty()) {
    std::printf("code-list titles matching the text:\n");
    for (const auto& t : e.title_matches) {
      std::printf("  %-12s %.3f  %s\n", t.code.c_str(), t.score, t.title.c_str());
    }
  }
  std::printf("training match: none (the model does not keep its training texts)\n");
  std::printf("\ncheck: sum of contributions + bias = %s, logit difference = %s\n",
              Signed(e.contribution_sum).c_str(), Signed(e.logit_difference).c_str());
}

core::Status RunExplain(const ExplainFlags& f) {
  if (f.top < 1 || f.top > 100) return core::InvalidArgument("--top must be in 1..100");
  if (f.features < 0) return core::InvalidArgument("--features must be 0 (all) or more");
  ASSIGN_OR_RETURN(std::shared_ptr<const model::Model> m, model::LoadModel(f.model_path));
  const text::FeaturizerConfig& config = m->data().featurizer;
  OwnedRecord record;
  RETURN_IF_ERROR(BuildRecord(f, config, &record));
  const model::Explainer explainer(m);
  model::ExplainOptions options;
  options.top_k = f.top;
  options.versus = f.versus;
  ASSIGN_OR_RETURN(model::Explanation e, explainer.Explain(record.View(), options));
  if (!f.json) {
    PrintHuman(e, config, record, f.features);
    return core::Status::Ok();
  }
  nlohmann::json j = e.ToJson();
  nlohmann::json fields = nlohmann::json::object();
  for (size_t i = 0; i < config.text_fields.size(); ++i) {
    fields[config.text_fields[i]] = record.texts[i];
  }
  for (size_t i = 0; i < config.categorical_fields.size(); ++i) {
    fields[config.categorical_fields[i]] = record.categoricals[i];
  }
  for (size_t i = 0; i < config.numeric_fields.size(); ++i) {
    const double v = record.numerics[i];
    fields[config.numeric_fields[i].field] =
        std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
  }
  j["record"] = std::move(fields);
  std::printf("%s\n", j.dump(2).c_str());
  return core::Status::Ok();
}

}  // namespace

Command AddExplainCommand(CLI::App& app) {
  auto flags = std::make_shared<ExplainFlags>();
  CLI::App* sub = app.add_subcommand(
      "explain", "Show exactly which words and fields made a model choose a code for one record");
  sub->add_option("--model", flags->model_path, "Model file (.stc)")->required();
  CLI::Option* text =
      sub->add_option("--text", flags->text, "Text of the model's first text field");
  sub->add_option("--field", flags->fields,
                  "NAME=VALUE for any field of the model (text, categorical or numeric); "
                  "repeat for several fields")
      ->allow_extra_args(false);
  sub->add_option("--versus", flags->versus,
                  "Compare the chosen code with this code instead of the runner-up");
  sub->add_option("--top", flags->top, "Codes listed with their probabilities (1..100)")
      ->capture_default_str();
  sub->add_option("--features", flags->features,
                  "Features listed in the table, strongest first (0 = all; --json lists all)")
      ->capture_default_str();
  sub->add_flag("--json", flags->json, "Print the explanation as one JSON object");
  return {sub, [flags, text] {
            flags->has_text = text->count() > 0;
            core::Status s = RunExplain(*flags);
            return s.ok() ? kExitOk : ReportError("explain", s, flags->json);
          }};
}

}  // namespace statcoder::cli
