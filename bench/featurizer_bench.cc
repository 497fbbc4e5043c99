// Featurizer::Featurize on typical records: a job title (one short text field) and a business
// description (two text fields, a categorical and a numeric field), with the default n-grams
// (words 1-2, characters 3-5).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "text/featurizer.h"

namespace statcoder::text {
namespace {

Featurizer MakeFeaturizer(FeaturizerConfig config) {
  auto f = Featurizer::Create(std::move(config));
  if (!f.ok()) {
    std::fprintf(stderr, "featurizer_bench: %s\n", f.status().ToString().c_str());
    std::abort();
  }
  return std::move(*f);
}

void RunFeaturize(benchmark::State& state, const Featurizer& featurizer, const RecordView& view,
                  size_t text_bytes) {
  std::vector<uint64_t> ids;
  for (auto _ : state) {
    ids.clear();
    if (!featurizer.Featurize(view, &ids).ok()) {
      state.SkipWithError("Featurize failed");
      break;
    }
    benchmark::DoNotOptimize(ids.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text_bytes));
  state.counters["features"] = static_cast<double>(ids.size());
}

void BM_FeaturizeJobTitle(benchmark::State& state) {
  FeaturizerConfig config;
  config.text_fields = {"title"};
  const Featurizer featurizer = MakeFeaturizer(config);
  const std::vector<std::string_view> texts = {"Senior Registered Nurse, Intensive Care Unit"};
  RunFeaturize(state, featurizer, {texts, {}, {}}, texts[0].size());
}
BENCHMARK(BM_FeaturizeJobTitle);

void BM_FeaturizeBusinessDescription(benchmark::State& state) {
  FeaturizerConfig config;
  config.text_fields = {"name", "activity"};
  config.categorical_fields = {"legal_form"};
  config.numeric_fields = {{"employees", {1, 5, 10, 50, 250}}};
  const Featurizer featurizer = MakeFeaturizer(config);
  const std::vector<std::string_view> texts = {
      "Müller & Sons Precision Engineering Ltd",
      "Manufacture of machined metal parts for the automotive and aerospace industries; "
      "repair and maintenance of industrial machinery"};
  const std::vector<std::string_view> categoricals = {"Private limited company"};
  const std::vector<double> numerics = {42};
  RunFeaturize(state, featurizer, {texts, categoricals, numerics},
               texts[0].size() + texts[1].size());
}
BENCHMARK(BM_FeaturizeBusinessDescription);

void BM_FeaturizeJobTitleWordsOnly(benchmark::State& state) {
  FeaturizerConfig config;
  config.text_fields = {"title"};
  config.char_ngram_min = config.char_ngram_max = 0;
  const Featurizer featurizer = MakeFeaturizer(config);
  const std::vector<std::string_view> texts = {"Senior Registered Nurse, Intensive Care Unit"};
  RunFeaturize(state, featurizer, {texts, {}, {}}, texts[0].size());
}
BENCHMARK(BM_FeaturizeJobTitleWordsOnly);

}  // namespace
}  // namespace statcoder::text
