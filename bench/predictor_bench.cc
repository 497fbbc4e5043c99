// Predictor::Predict (featurise, look up, sparse dot products, calibrated softmax, top-5,
// hierarchy roll-up, decision) on models trained in the setup: the bundled O*NET sample
// (74 SOC codes with a code list) and a synthetic classification with 1000 codes.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "data/code_list.h"
#include "data/dataset.h"
#include "model/model_io.h"
#include "model/predictor.h"
#include "model/trainer.h"

namespace statcoder::model {
namespace {

template <typename T>
T OrDie(core::Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "predictor_bench: %s: %s\n", what, r.status().ToString().c_str());
    std::abort();
  }
  return std::move(*r);
}

// A trained model and the texts to code with it.
struct Fixture {
  std::shared_ptr<const Model> model;
  std::vector<std::string> texts;
};

const Fixture& OnetFixture() {
  static const Fixture fixture = [] {
    const std::string dir = STATCODER_SOURCE_DIR "/examples/onet/";
    data::CodeListOptions codes_options;
    codes_options.parent_column = "parent";
    const data::CodeList codes =
        OrDie(data::CodeList::Load(dir + "soc2018_codelist.tsv", codes_options), "code list");
    data::Schema schema;
    schema.text_fields = {"title"};
    schema.label_field = "soc2018";
    const data::Dataset train =
        OrDie(data::LoadDataset(dir + "train.tsv", schema, {}, &codes), "train.tsv");
    TrainOptions options;
    options.featurizer.text_fields = schema.text_fields;
    options.deterministic = true;
    Fixture f;
    f.model = OrDie(BuildModel(OrDie(Train(train, options, &codes), "train")), "model");
    const data::Dataset test =
        OrDie(data::LoadDataset(dir + "test.tsv", schema, {}, &codes), "test.tsv");
    for (const auto& r : test.records) f.texts.push_back(r.texts[0]);
    return f;
  }();
  return fixture;
}

// 1000 codes in groups of 10 under 100 sectors; each code has three words of its own and shares
// a pool of common words, like short index entries of a real classification.
const Fixture& SyntheticFixture() {
  static const Fixture fixture = [] {
    constexpr int kCodes = 1000;
    core::Random rng(7);
    auto word = [&rng] {
      static constexpr std::string_view kSyllables[] = {"ka", "lo", "mi",  "ne",  "ru",  "sa",
                                                        "ti", "vo", "ber", "dan", "gor", "hel"};
      std::string w;
      const uint64_t n = 2 + rng.Uniform(3);
      for (uint64_t i = 0; i < n; ++i) w += kSyllables[rng.Uniform(std::size(kSyllables))];
      return w;
    };
    std::vector<std::string> common(50);
    for (auto& w : common) w = word();
    std::vector<data::CodeList::Entry> entries;
    std::vector<std::string> code_of;
    std::vector<std::vector<std::string>> own(kCodes);
    for (int c = 0; c < kCodes; ++c) {
      char sector[8], code[16];
      std::snprintf(sector, sizeof sector, "S%03d", c / 10);
      std::snprintf(code, sizeof code, "S%03d.%d", c / 10, c % 10);
      if (c % 10 == 0) entries.push_back({sector, "", ""});
      entries.push_back({code, sector, ""});
      code_of.push_back(code);
      for (int w = 0; w < 3; ++w) own[static_cast<size_t>(c)].push_back(word());
    }
    const data::CodeList codes = OrDie(data::CodeList::FromEntries(entries), "code list");
    auto make_text = [&](size_t c) {
      std::string text;
      for (int w = 0; w < 4; ++w) {
        if (!text.empty()) text += ' ';
        text += rng.Uniform(4) == 0 ? common[rng.Uniform(common.size())]
                                    : own[c][rng.Uniform(own[c].size())];
      }
      return text;
    };
    data::Dataset train;
    train.path = "synthetic.tsv";
    train.content_hash = "synthetic";
    constexpr int kRecordsPerCode = 8;
    for (int i = 0; i < kRecordsPerCode; ++i) {
      for (size_t c = 0; c < own.size(); ++c) {
        data::Record r;
        r.line = train.records.size() + 2;
        r.id = std::to_string(r.line - 1);
        r.texts = {make_text(c)};
        r.label = code_of[c];
        train.records.push_back(std::move(r));
      }
    }
    TrainOptions options;
    options.featurizer.text_fields = {"text"};
    options.epochs = 5;
    options.deterministic = true;
    Fixture f;
    f.model = OrDie(BuildModel(OrDie(Train(train, options, &codes), "train")), "model");
    for (size_t i = 0; i < 1000; ++i) f.texts.push_back(make_text(rng.Uniform(own.size())));
    return f;
  }();
  return fixture;
}

void RunPredict(benchmark::State& state, const Fixture& fixture) {
  Predictor predictor(fixture.model);
  Prediction p;
  size_t i = 0;
  for (auto _ : state) {
    const std::string_view text = fixture.texts[i];
    if (++i == fixture.texts.size()) i = 0;
    const text::RecordView view{std::span<const std::string_view>(&text, 1), {}, {}};
    if (!predictor.Predict(view, static_cast<int>(state.range(0)), &p).ok()) {
      state.SkipWithError("Predict failed");
      break;
    }
    benchmark::DoNotOptimize(p.confidence);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["labels"] = static_cast<double>(fixture.model->num_labels());
}

void BM_PredictOnetSoc(benchmark::State& state) { RunPredict(state, OnetFixture()); }
BENCHMARK(BM_PredictOnetSoc)->Arg(1)->Arg(5);

void BM_PredictSynthetic1000Codes(benchmark::State& state) {
  RunPredict(state, SyntheticFixture());
}
BENCHMARK(BM_PredictSynthetic1000Codes)->Arg(1)->Arg(5);

}  // namespace
}  // namespace statcoder::model
