#include "text/featurizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/stable_hash.h"

namespace statcoder::text {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A record with owned storage, viewable as a RecordView.
struct Record {
  std::vector<std::string_view> texts{};
  std::vector<std::string_view> categoricals{};
  std::vector<double> numerics{};
  RecordView view() const { return RecordView{texts, categoricals, numerics}; }
};

FeaturizerConfig TextOnly(int word_ngrams, int char_min, int char_max,
                          std::vector<std::string> fields = {"title"}) {
  FeaturizerConfig c;
  c.text_fields = std::move(fields);
  c.word_ngrams = word_ngrams;
  c.char_ngram_min = char_min;
  c.char_ngram_max = char_max;
  return c;
}

Featurizer MustCreate(FeaturizerConfig config) {
  core::Result<Featurizer> f = Featurizer::Create(std::move(config));
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return std::move(f).value();
}

std::vector<uint64_t> Ids(const Featurizer& f, const Record& r) {
  std::vector<uint64_t> ids;
  const core::Status s = f.Featurize(r.view(), &ids);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return ids;
}

std::vector<NamedFeature> Named(const Featurizer& f, const Record& r) {
  std::vector<NamedFeature> out;
  const core::Status s = f.FeaturizeNamed(r.view(), &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::vector<std::string> Texts(const std::vector<NamedFeature>& named) {
  std::vector<std::string> out;
  for (const NamedFeature& f : named) out.push_back(f.text);
  return out;
}

// ---- Golden ids: these literals are the feature contract (docs/formats/features_v1.md). They
// were computed once and checked against an independent implementation of the spec. A change
// here invalidates every trained model.

TEST(FeaturizerTest, GoldenWordAndBigramIds) {
  const Featurizer f = MustCreate(TextOnly(2, 0, 0));
  EXPECT_EQ(Ids(f, {.texts = {"Retail SALE"}}),
            (std::vector<uint64_t>{
                5491713467601394674ULL,   // "w1\x1ftitle\x1fretail"
                13022951724993273390ULL,  // "w1\x1ftitle\x1fsale"
                10710721452174864752ULL,  // "w2\x1ftitle\x1fretail sale"
            }));
}

TEST(FeaturizerTest, GoldenCharNgramIds) {
  const Featurizer f = MustCreate(TextOnly(1, 3, 4));
  EXPECT_EQ(Ids(f, {.texts = {"Bic"}}), (std::vector<uint64_t>{
                                            14681224475682780725ULL,  // w1 "bic"
                                            16122887076374901937ULL,  // c "<bi"
                                            4842904915780894934ULL,   // c "<bic"
                                            3138239695691943834ULL,   // c "bic"
                                            13878637874309567404ULL,  // c "bic>"
                                            7312163956150891666ULL,   // c "ic>"
                                        }));
}

TEST(FeaturizerTest, GoldenNonAsciiCharNgramsAreOverCodePoints) {
  const Featurizer f = MustCreate(TextOnly(1, 3, 3, {"city"}));
  EXPECT_EQ(Ids(f, {.texts = {"ŁÓDŹ"}}), (std::vector<uint64_t>{
                                             14767560327657768030ULL,  // w1 "łódź"
                                             15166947025192213430ULL,  // c "<łó"
                                             5180972818700680368ULL,   // c "łód"
                                             14606733472802096558ULL,  // c "ódź"
                                             9496800407481902738ULL,   // c "dź>"
                                         }));
}

TEST(FeaturizerTest, GoldenCategoricalAndNumericIds) {
  FeaturizerConfig c = TextOnly(1, 0, 0);
  c.categorical_fields = {"country", "region"};
  c.numeric_fields = {{.field = "income", .edges = {10, 50}}, {.field = "age", .edges = {18}}};
  const Featurizer f = MustCreate(c);
  EXPECT_EQ(Ids(f, {.texts = {"Baker"}, .categoricals = {"FR", "  "}, .numerics = {20, kNaN}}),
            (std::vector<uint64_t>{
                17859554804412499142ULL,  // "w1\x1ftitle\x1fbaker"
                3155916853846851056ULL,   // "k\x1fcountry\x1ffr"
                7382153897095113640ULL,   // "k\x1fregion\x1f" (empty value)
                17032466607608560321ULL,  // "n\x1fincome\x1f1"
                16127063323634670578ULL,  // "n\x1fage\x1fmissing"
            }));
}

TEST(FeaturizerTest, IdIsFnv1a64OfTheDocumentedFeatureString) {
  EXPECT_EQ(core::Fnv1a64("w2\x1ftitle\x1fretail sale"), 10710721452174864752ULL);
  EXPECT_EQ(core::Fnv1a64("c\x1ftitle\x1f<bic"), 4842904915780894934ULL);
}

// ---- Behaviour.

TEST(FeaturizerTest, IdsAreStableAcrossRunsAndInstances) {
  FeaturizerConfig c = TextOnly(3, 2, 6, {"title", "qualifier"});
  c.categorical_fields = {"sector"};
  c.numeric_fields = {{.field = "employees", .edges = {1, 10, 100}}};
  const Record r{.texts = {"Wholesale of fruit & vegetables", "Fresh, not frozen"},
                 .categoricals = {"Private"},
                 .numerics = {42}};
  const Featurizer a = MustCreate(c);
  const Featurizer b = MustCreate(c);
  const std::vector<uint64_t> first = Ids(a, r);
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(Ids(a, r), first);
  EXPECT_EQ(Ids(b, r), first);
}

TEST(FeaturizerTest, FeaturizeNamedGivesTheSameIdsInTheSameOrder) {
  FeaturizerConfig c = TextOnly(5, 1, 8, {"title", "qualifier"});
  c.categorical_fields = {"sector", "blank"};
  c.numeric_fields = {{.field = "employees", .edges = {1, 10, 100}},
                      {.field = "turnover", .edges = {}},
                      {.field = "age", .edges = {18, 65}}};
  const Featurizer f = MustCreate(c);
  const Record r{.texts = {"Zażółć gęślą jaźń — Crème Brûlée ﬁ t-shirts", "a b c d e f g"},
                 .categoricals = {"Société  Générale", ""},
                 .numerics = {100, 3.5, kNaN}};
  const std::vector<uint64_t> ids = Ids(f, r);
  const std::vector<NamedFeature> named = Named(f, r);
  ASSERT_EQ(named.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(named[i].id, ids[i]) << i << ": " << named[i].kind << " '" << named[i].text << "'";
  }
}

TEST(FeaturizerTest, NamedFeaturesDescribeFieldKindAndText) {
  FeaturizerConfig c = TextOnly(2, 0, 0);
  c.categorical_fields = {"country"};
  c.numeric_fields = {{.field = "income", .edges = {10, 50}}};
  const Featurizer f = MustCreate(c);
  const std::vector<NamedFeature> named =
      Named(f, {.texts = {"Retail sale"}, .categoricals = {"FR"}, .numerics = {50}});
  ASSERT_EQ(named.size(), 5u);
  EXPECT_EQ(named[0].field, "title");
  EXPECT_EQ(named[0].kind, "word");
  EXPECT_EQ(named[0].text, "retail");
  EXPECT_EQ(named[2].kind, "word_ngram");
  EXPECT_EQ(named[2].text, "retail sale");
  EXPECT_EQ(named[3].field, "country");
  EXPECT_EQ(named[3].kind, "categorical");
  EXPECT_EQ(named[3].text, "fr");
  EXPECT_EQ(named[4].field, "income");
  EXPECT_EQ(named[4].kind, "numeric");
  EXPECT_EQ(named[4].text, "bin 2 [50, +inf)");
}

TEST(FeaturizerTest, NamedFeaturesSayWhichTokensTheyCover) {
  FeaturizerConfig c = TextOnly(2, 3, 3);
  c.categorical_fields = {"country"};
  const Featurizer f = MustCreate(c);
  const std::vector<NamedFeature> named =
      Named(f, {.texts = {"ab, cd ef"}, .categoricals = {"FR"}});
  // Words ab, cd, ef; bigrams "ab cd", "cd ef"; char 3-grams <ab, ab>, <cd, cd>, <ef, ef>.
  ASSERT_EQ(named.size(), 12u);
  const std::vector<std::pair<int32_t, int32_t>> expected = {{0, 1}, {1, 1}, {2, 1}, {0, 2},
                                                             {1, 2}, {0, 1}, {0, 1}, {1, 1},
                                                             {1, 1}, {2, 1}, {2, 1}, {-1, 0}};
  for (size_t i = 0; i < named.size(); ++i) {
    EXPECT_EQ(std::make_pair(named[i].token, named[i].token_count), expected[i])
        << i << ": " << named[i].text;
  }
}

TEST(FeaturizerTest, SameWordInTwoFieldsGivesDifferentIds) {
  const Featurizer f = MustCreate(TextOnly(1, 0, 0, {"title", "qualifier"}));
  const std::vector<uint64_t> ids = Ids(f, {.texts = {"bakery", "bakery"}});
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0], ids[1]);
}

TEST(FeaturizerTest, SharedTextFieldsGiveOneIdPerWordWhateverTheField) {
  FeaturizerConfig c = TextOnly(2, 3, 4, {"title", "qualifier"});
  c.share_text_fields = true;
  const Featurizer f = MustCreate(c);
  const std::vector<uint64_t> ids = Ids(f, {.texts = {"bakery", "bakery"}});
  ASSERT_EQ(ids.size() % 2, 0u);
  const size_t half = ids.size() / 2;
  EXPECT_EQ(std::vector<uint64_t>(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(half)),
            std::vector<uint64_t>(ids.begin() + static_cast<ptrdiff_t>(half), ids.end()));
  // Named features agree with the ids, and still say which field a feature came from.
  const std::vector<NamedFeature> named = Named(f, {.texts = {"bakery", "bakery"}});
  ASSERT_EQ(named.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(named[i].id, ids[i]);
  EXPECT_EQ(named.front().field, "title");
  EXPECT_EQ(named.back().field, "qualifier");
  // And it is a different id from the per-field one.
  EXPECT_NE(ids[0], Ids(MustCreate(TextOnly(2, 3, 4, {"title", "qualifier"})),
                        {.texts = {"bakery", "bakery"}})[0]);
}

TEST(FeaturizerTest, WordNgramsNeverSpanTwoFields) {
  const Featurizer f = MustCreate(TextOnly(2, 0, 0, {"title", "qualifier"}));
  EXPECT_EQ(Texts(Named(f, {.texts = {"retail sale", "of cars"}})),
            (std::vector<std::string>{"retail", "sale", "retail sale", "of", "cars", "of cars"}));
}

TEST(FeaturizerTest, WordNgramsFollowTheDocumentedOrder) {
  const Featurizer f = MustCreate(TextOnly(3, 0, 0));
  EXPECT_EQ(Texts(Named(f, {.texts = {"A b, C d"}})),
            (std::vector<std::string>{"a", "b", "c", "d", "a b", "b c", "c d", "a b c", "b c d"}));
  // Fewer tokens than n: the longer n-grams are simply absent.
  EXPECT_EQ(Texts(Named(f, {.texts = {"solo"}})), (std::vector<std::string>{"solo"}));
}

TEST(FeaturizerTest, CharNgramsCoverEveryLengthOfTheWrappedToken) {
  const Featurizer f = MustCreate(TextOnly(1, 1, 3));
  EXPECT_EQ(Texts(Named(f, {.texts = {"ab"}})),
            (std::vector<std::string>{"ab", "<", "<a", "<ab", "a", "ab", "ab>", "b", "b>", ">"}));
}

TEST(FeaturizerTest, CharNgramCountMatchesTheFormula) {
  // A token of L code points wraps to L + 2; each n in [min, max] gives max(0, L + 3 - n).
  const Featurizer f = MustCreate(TextOnly(1, 3, 6));
  const std::vector<NamedFeature> named = Named(f, {.texts = {"développeur ab"}});
  const auto count = [&](std::string_view kind) {
    return std::count_if(named.begin(), named.end(),
                         [&](const NamedFeature& n) { return n.kind == kind; });
  };
  EXPECT_EQ(count("word"), 2);
  // "<développeur>" has 13 code points: 11 + 10 + 9 + 8; "<ab>" has 4: 2 + 1.
  EXPECT_EQ(count("char_ngram"), 38 + 3);
}

TEST(FeaturizerTest, CharNgramMinZeroDisablesCharNgrams) {
  const Featurizer f = MustCreate(TextOnly(1, 0, 5));
  EXPECT_EQ(Ids(f, {.texts = {"retail trade"}}).size(), 2u);
}

TEST(FeaturizerTest, RepeatedWordsAreKept) {
  const Featurizer f = MustCreate(TextOnly(1, 0, 0));
  const std::vector<uint64_t> ids = Ids(f, {.texts = {"very very good"}});
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], ids[1]);
}

TEST(FeaturizerTest, FeaturizeAppendsToExistingIds) {
  const Featurizer f = MustCreate(TextOnly(1, 0, 0));
  std::vector<uint64_t> ids = {7};
  ASSERT_TRUE(f.Featurize(Record{.texts = {"x"}}.view(), &ids).ok());
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], 7u);
}

TEST(FeaturizerTest, TextIsNormalisedWithTheConfiguredOptions) {
  const Featurizer keep = MustCreate(TextOnly(1, 3, 5));
  EXPECT_EQ(Ids(keep, {.texts = {"ÉCOLE  Ｒｅｔａｉｌ"}}), Ids(keep, {.texts = {"école retail"}}));
  EXPECT_NE(Ids(keep, {.texts = {"école"}}), Ids(keep, {.texts = {"ecole"}}));

  FeaturizerConfig c = TextOnly(1, 3, 5);
  c.normalizer.strip_accents = true;
  const Featurizer strip = MustCreate(c);
  EXPECT_EQ(Ids(strip, {.texts = {"ÉCOLE"}}), Ids(strip, {.texts = {"ecole"}}));
}

TEST(FeaturizerTest, EmptyTextGivesNoFeatures) {
  const Featurizer f = MustCreate(TextOnly(2, 3, 5));
  EXPECT_TRUE(Ids(f, {.texts = {"  ,;  "}}).empty());
}

TEST(FeaturizerTest, CategoricalValuesAreNormalisedButNotTokenised) {
  FeaturizerConfig c = TextOnly(1, 0, 0);
  c.categorical_fields = {"city"};
  const Featurizer f = MustCreate(c);
  const auto cat_id = [&](std::string_view v) {
    return Ids(f, {.texts = {""}, .categoricals = {v}}).at(0);
  };
  EXPECT_EQ(cat_id("  PARIS   Nord "), cat_id("paris nord"));
  EXPECT_NE(cat_id("paris nord"), cat_id("paris-nord"));
  EXPECT_EQ(cat_id("paris nord"), core::Fnv1a64("k\x1f"
                                                "city\x1f"
                                                "paris nord"));
  const std::vector<NamedFeature> named = Named(f, {.texts = {""}, .categoricals = {"Łódź"}});
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0].text, "łódź");
}

TEST(FeaturizerTest, EmptyCategoricalIsAFeatureOfItsOwn) {
  FeaturizerConfig c = TextOnly(1, 0, 0);
  c.categorical_fields = {"city"};
  const Featurizer f = MustCreate(c);
  const std::vector<NamedFeature> named = Named(f, {.texts = {""}, .categoricals = {" \t"}});
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0].text, "(empty)");
  EXPECT_EQ(named[0].id, core::Fnv1a64("k\x1f"
                                       "city\x1f"));
  // Distinct from a literal "(empty)" answer.
  EXPECT_NE(Ids(f, {.texts = {""}, .categoricals = {"(empty)"}}).at(0), named[0].id);
}

TEST(FeaturizerTest, NumericBinIsTheNumberOfEdgesAtOrBelowTheValue) {
  FeaturizerConfig c = TextOnly(1, 0, 0);
  c.numeric_fields = {{.field = "income", .edges = {10, 50}}};
  const Featurizer f = MustCreate(c);
  const auto bin_text = [&](double v) {
    return Named(f, {.texts = {""}, .numerics = {v}}).at(0).text;
  };
  EXPECT_EQ(bin_text(-kInf), "bin 0 (-inf, 10)");
  EXPECT_EQ(bin_text(9.99), "bin 0 (-inf, 10)");
  EXPECT_EQ(bin_text(10), "bin 1 [10, 50)");  // an edge belongs to the bin above it
  EXPECT_EQ(bin_text(49.5), "bin 1 [10, 50)");
  EXPECT_EQ(bin_text(50), "bin 2 [50, +inf)");
  EXPECT_EQ(bin_text(kInf), "bin 2 [50, +inf)");
  EXPECT_EQ(bin_text(kNaN), "missing");
  const auto id = [&](double v) { return Ids(f, {.texts = {""}, .numerics = {v}}).at(0); };
  EXPECT_EQ(id(10), core::Fnv1a64("n\x1f"
                                  "income\x1f"
                                  "1"));
  EXPECT_EQ(id(kNaN), core::Fnv1a64("n\x1f"
                                    "income\x1f"
                                    "missing"));
}

TEST(FeaturizerTest, NumericFieldWithoutEdgesHasOneBinPlusMissing) {
  FeaturizerConfig c = TextOnly(1, 0, 0);
  c.numeric_fields = {{.field = "x", .edges = {}}};
  const Featurizer f = MustCreate(c);
  EXPECT_EQ(Named(f, {.texts = {""}, .numerics = {-3}}).at(0).text, "bin 0 (-inf, +inf)");
  EXPECT_EQ(Ids(f, {.texts = {""}, .numerics = {-3}}), Ids(f, {.texts = {""}, .numerics = {1e9}}));
  EXPECT_NE(Ids(f, {.texts = {""}, .numerics = {-3}}), Ids(f, {.texts = {""}, .numerics = {kNaN}}));
}

TEST(FeaturizerTest, InvalidUtf8FailsNamingTheFieldAndLeavesIdsUntouched) {
  FeaturizerConfig c = TextOnly(1, 3, 5, {"title", "qualifier"});
  c.categorical_fields = {"city"};
  const Featurizer f = MustCreate(c);
  for (const Record& r : {Record{.texts = {"fine", "bad \xff"}, .categoricals = {"ok"}},
                          Record{.texts = {"fine", "fine"}, .categoricals = {"\xc3"}}}) {
    std::vector<uint64_t> ids = {1, 2};
    const core::Status s = f.Featurize(r.view(), &ids);
    EXPECT_EQ(s.code(), core::StatusCode::kInvalidInput);
    EXPECT_EQ(ids, (std::vector<uint64_t>{1, 2}));
    std::vector<NamedFeature> named(1);
    EXPECT_EQ(f.FeaturizeNamed(r.view(), &named).code(), core::StatusCode::kInvalidInput);
    EXPECT_EQ(named.size(), 1u);
  }
  std::vector<uint64_t> ids;
  const core::Status s =
      f.Featurize(Record{.texts = {"fine", "bad \xff"}, .categoricals = {"ok"}}.view(), &ids);
  EXPECT_NE(s.message().find("text field 'qualifier'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("byte offset 4"), std::string::npos) << s.message();
}

TEST(FeaturizerTest, RecordNotMatchingTheConfigIsInvalidInput) {
  FeaturizerConfig c = TextOnly(1, 0, 0);
  c.categorical_fields = {"city"};
  c.numeric_fields = {{.field = "n", .edges = {}}};
  const Featurizer f = MustCreate(c);
  std::vector<uint64_t> ids;
  EXPECT_EQ(
      f.Featurize(Record{.texts = {"a", "b"}, .categoricals = {"c"}, .numerics = {1}}.view(), &ids)
          .code(),
      core::StatusCode::kInvalidInput);
  EXPECT_EQ(
      f.Featurize(Record{.texts = {"a"}, .categoricals = {}, .numerics = {1}}.view(), &ids).code(),
      core::StatusCode::kInvalidInput);
  EXPECT_EQ(f.Featurize(Record{.texts = {"a"}, .categoricals = {"c"}, .numerics = {}}.view(), &ids)
                .code(),
            core::StatusCode::kInvalidInput);
  EXPECT_TRUE(ids.empty());
}

TEST(FeaturizerTest, ConcurrentCallsGiveTheSameIds) {
  const Featurizer f = MustCreate(TextOnly(2, 3, 5));
  const Record r{.texts = {"Manufacture of other wearing apparel and accessories"}};
  const std::vector<uint64_t> expected = Ids(f, r);
  std::vector<std::vector<uint64_t>> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got) {
    threads.emplace_back([&f, &r, &g] {
      for (int i = 0; i < 50; ++i) {
        g.clear();
        if (!f.Featurize(r.view(), &g).ok()) return;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, expected);
}

TEST(FeaturizerTest, CreateUsesTheConfigAsGiven) {
  FeaturizerConfig c = TextOnly(4, 2, 7, {"a", "b"});
  c.normalizer.strip_accents = true;
  const Featurizer f = MustCreate(c);
  EXPECT_EQ(f.config().text_fields, c.text_fields);
  EXPECT_EQ(f.config().word_ngrams, 4);
  EXPECT_TRUE(f.config().normalizer.strip_accents);
}

// ---- Config validation.

core::StatusCode ValidateCode(const FeaturizerConfig& c) { return c.Validate().code(); }

TEST(FeaturizerConfigTest, DefaultsWithATextFieldAreValid) {
  EXPECT_TRUE(TextOnly(2, 3, 5).Validate().ok());
  EXPECT_TRUE(TextOnly(1, 0, 0).Validate().ok());
  EXPECT_TRUE(TextOnly(5, 8, 8).Validate().ok());
  EXPECT_TRUE(TextOnly(1, 1, 1).Validate().ok());
}

TEST(FeaturizerConfigTest, NeedsATextField) {
  FeaturizerConfig c;
  c.categorical_fields = {"city"};
  EXPECT_EQ(ValidateCode(c), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(Featurizer::Create(c).status().code(), core::StatusCode::kInvalidArgument);
}

TEST(FeaturizerConfigTest, WordNgramsMustBeOneToFive) {
  EXPECT_EQ(ValidateCode(TextOnly(0, 3, 5)), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCode(TextOnly(6, 3, 5)), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCode(TextOnly(-1, 3, 5)), core::StatusCode::kInvalidArgument);
}

TEST(FeaturizerConfigTest, CharNgramRangeMustBeOrderedAndAtMostEight) {
  EXPECT_EQ(ValidateCode(TextOnly(2, -1, 5)), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCode(TextOnly(2, 4, 3)), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCode(TextOnly(2, 3, 9)), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCode(TextOnly(2, 9, 9)), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCode(TextOnly(2, 0, -1)), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCode(TextOnly(2, 0, 9)), core::StatusCode::kInvalidArgument);
}

TEST(FeaturizerConfigTest, FieldNamesMustBeNonEmptyUniqueAndFreeOfTheSeparator) {
  EXPECT_EQ(ValidateCode(TextOnly(2, 3, 5, {""})), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCode(TextOnly(2, 3, 5, {"a", "a"})), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCode(TextOnly(2, 3, 5,
                                  {"a\x1f"
                                   "b"})),
            core::StatusCode::kInvalidArgument);
  FeaturizerConfig c = TextOnly(2, 3, 5, {"title"});
  c.categorical_fields = {"title"};  // duplicates across lists too
  EXPECT_EQ(ValidateCode(c), core::StatusCode::kInvalidArgument);
  c.categorical_fields = {"city"};
  c.numeric_fields = {{.field = "city", .edges = {}}};
  EXPECT_EQ(ValidateCode(c), core::StatusCode::kInvalidArgument);
  c.numeric_fields = {{.field = "", .edges = {}}};
  EXPECT_EQ(ValidateCode(c), core::StatusCode::kInvalidArgument);
  c.numeric_fields = {{.field = "age", .edges = {}}};
  EXPECT_TRUE(c.Validate().ok());
}

TEST(FeaturizerConfigTest, BinEdgesMustBeFiniteAndStrictlyAscending) {
  FeaturizerConfig c = TextOnly(2, 3, 5);
  for (const std::vector<double>& edges :
       std::vector<std::vector<double>>{{2, 1}, {1, 1}, {kNaN}, {1, kInf}, {-kInf, 1}}) {
    c.numeric_fields = {{.field = "x", .edges = edges}};
    EXPECT_EQ(ValidateCode(c), core::StatusCode::kInvalidArgument) << edges.size();
  }
  c.numeric_fields = {{.field = "x", .edges = {-1, 0, 2.5}}};
  EXPECT_TRUE(c.Validate().ok());
}

TEST(FeaturizerConfigTest, OtherNormalizerVersionIsUnsupported) {
  FeaturizerConfig c = TextOnly(2, 3, 5);
  c.normalizer_version = kNormalizerVersion + 1;
  EXPECT_EQ(ValidateCode(c), core::StatusCode::kUnsupportedVersion);
  c.normalizer_version = 0;
  EXPECT_EQ(ValidateCode(c), core::StatusCode::kUnsupportedVersion);
}

// ---- LearnNumericBins.

TEST(LearnNumericBinsTest, QuantileEdgesOfSortedValues) {
  std::vector<double> values;
  for (int i = 100; i >= 1; --i) values.push_back(i);  // input order must not matter
  const NumericBins bins = LearnNumericBins("age", values, 4);
  EXPECT_EQ(bins.field, "age");
  EXPECT_EQ(bins.edges, (std::vector<double>{26, 51, 76}));
}

TEST(LearnNumericBinsTest, AllEqualValuesGiveNoEdges) {
  EXPECT_TRUE(LearnNumericBins("x", {3, 3, 3, 3}, 10).edges.empty());
}

TEST(LearnNumericBinsTest, AllMissingOrNoValuesGiveNoEdges) {
  EXPECT_TRUE(LearnNumericBins("x", {kNaN, kNaN}, 10).edges.empty());
  EXPECT_TRUE(LearnNumericBins("x", {}, 10).edges.empty());
}

TEST(LearnNumericBinsTest, FewerDistinctValuesThanBinsGiveOneBinPerValue) {
  EXPECT_EQ(LearnNumericBins("x", {3, 1, 2}, 10).edges, (std::vector<double>{2, 3}));
  EXPECT_EQ(LearnNumericBins("x", {5, 5, 5, 5, 5, 5, 5, 9}, 10).edges, (std::vector<double>{9}));
}

TEST(LearnNumericBinsTest, SkewedValuesGiveDistinctEdgesAndNoEmptyFirstBin) {
  // Half the values are the minimum: an edge at 0 would leave bin 0 empty.
  const NumericBins bins = LearnNumericBins("x", {0, 0, 0, 0, 0, 1, 2, 3, 4, 5}, 5);
  EXPECT_EQ(bins.edges, (std::vector<double>{2, 4}));
}

TEST(LearnNumericBinsTest, MissingAndInfiniteValuesAreIgnored) {
  EXPECT_EQ(LearnNumericBins("x", {kNaN, 1, kInf, 2, -kInf, kNaN}, 2).edges,
            (std::vector<double>{2}));
}

TEST(LearnNumericBinsTest, AtMostOneBinGivesNoEdges) {
  EXPECT_TRUE(LearnNumericBins("x", {1, 2, 3}, 1).edges.empty());
  EXPECT_TRUE(LearnNumericBins("x", {1, 2, 3}, 0).edges.empty());
  EXPECT_TRUE(LearnNumericBins("x", {1, 2, 3}, -5).edges.empty());
}

TEST(LearnNumericBinsTest, NegativeZeroIsStoredAsZero) {
  const NumericBins bins = LearnNumericBins("x", {-1, -0.0, 0.0, -0.0, 1}, 2);
  ASSERT_EQ(bins.edges.size(), 1u);
  EXPECT_EQ(bins.edges[0], 0.0);
  EXPECT_FALSE(std::signbit(bins.edges[0]));
}

TEST(LearnNumericBinsTest, LearnedEdgesPassValidation) {
  FeaturizerConfig c = TextOnly(2, 3, 5);
  c.numeric_fields = {LearnNumericBins("x", {5, 1, kNaN, 3, 3, 8, 1e300, -2}, 4)};
  EXPECT_TRUE(c.Validate().ok()) << c.Validate().ToString();
}

}  // namespace
}  // namespace statcoder::text
