// Small synthetic coded data for model tests: two sectors (A, B), two codes each, with texts
// built from code-specific and shared words.
#pragma once

#include <string>
#include <vector>

#include "core/random.h"
#include "data/code_list.h"
#include "data/dataset.h"
#include "model/trainer.h"

namespace statcoder::model::testing {

inline data::CodeList TestCodeList() {
  auto list = data::CodeList::FromEntries({{"A", "", "Agriculture"},
                                           {"A1", "A", "Apple growing"},
                                           {"A2", "A", "Apple juice"},
                                           {"B", "", "Bicycles"},
                                           {"B1", "B", "Bicycle retail"},
                                           {"B2", "B", "Bicycle repair"}});
  return std::move(list).value();
}

inline data::Dataset TestDataset(size_t per_code, uint64_t seed = 11) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> vocab = {
      {"A1", {"apple", "orchard", "growing", "trees", "fruit"}},
      {"A2", {"apple", "juice", "pressing", "cider", "fruit"}},
      {"B1", {"bicycle", "retail", "shop", "sale", "store"}},
      {"B2", {"bicycle", "repair", "service", "mending", "workshop"}},
  };
  const std::vector<std::string> shared = {"local", "small", "family", "business", "and"};
  core::Random rng(seed);
  data::Dataset ds;
  ds.path = "synthetic.tsv";
  ds.content_hash = "0000";
  uint64_t line = 2;
  for (size_t i = 0; i < per_code; ++i) {
    for (const auto& [code, words] : vocab) {
      std::string text;
      for (int w = 0; w < 4; ++w) {
        const auto& pool = rng.Uniform(4) == 0 ? shared : words;
        if (!text.empty()) text += ' ';
        text += pool[rng.Uniform(pool.size())];
      }
      data::Record r;
      r.line = line++;
      r.id = std::to_string(r.line - 1);
      r.texts = {text};
      r.label = code;
      ds.records.push_back(std::move(r));
    }
  }
  return ds;
}

inline TrainOptions TestOptions() {
  TrainOptions o;
  o.featurizer.text_fields = {"text"};
  o.epochs = 5;
  o.seed = 1;
  return o;
}

}  // namespace statcoder::model::testing
