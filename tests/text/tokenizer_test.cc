#include "text/tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "text/internal/token_spans.h"

namespace statcoder::text {
namespace {

using Tokens = std::vector<std::string>;

TEST(TokenizerTest, SplitsOnSpacesAndPunctuation) {
  EXPECT_EQ(Tokenize("retail sale, of motor-vehicles."),
            (Tokens{"retail", "sale", "of", "motor", "vehicles"}));
}

TEST(TokenizerTest, ApostrophesAndHyphensSplit) {
  EXPECT_EQ(Tokenize("t-shirt"), (Tokens{"t", "shirt"}));
  EXPECT_EQ(Tokenize("l'école d’art"), (Tokens{"l", "école", "d", "art"}));
}

TEST(TokenizerTest, LettersAndDigitsFormOneToken) {
  EXPECT_EQ(Tokenize("mp3 4x4 2024"), (Tokens{"mp3", "4x4", "2024"}));
  EXPECT_EQ(Tokenize("3.5 kg"), (Tokens{"3", "5", "kg"}));
  EXPECT_EQ(Tokenize("½ ⅷ"), (Tokens{"½", "ⅷ"}));  // No and Nl count as digits
}

TEST(TokenizerTest, NonAsciiLettersAreTokenCharacters) {
  EXPECT_EQ(Tokenize("zażółć gęślą jaźń"), (Tokens{"zażółć", "gęślą", "jaźń"}));
  EXPECT_EQ(Tokenize("niño ¿qué?"), (Tokens{"niño", "qué"}));
}

TEST(TokenizerTest, CombiningMarksStayInsideTheirToken) {
  EXPECT_EQ(Tokenize("q\u0303a x"), (Tokens{"q\u0303a", "x"}));  // Mn
  EXPECT_EQ(Tokenize("\u0301a"), (Tokens{"\u0301a"}));           // even a leading mark
}

TEST(TokenizerTest, SymbolsAndEmojiSeparate) {
  EXPECT_EQ(Tokenize("c++ €5 a+b 😀x"), (Tokens{"c", "5", "a", "b", "x"}));
}

TEST(TokenizerTest, UnsegmentedScriptsAreOneTokenPerRun) {
  EXPECT_EQ(Tokenize("日本語 テキスト"), (Tokens{"日本語", "テキスト"}));
}

TEST(TokenizerTest, EmptyAndSeparatorOnlyInputGiveNoTokens) {
  EXPECT_TRUE(Tokenize("").empty());
  EXPECT_TRUE(Tokenize(" ,.-' ").empty());
}

TEST(TokenizerTest, InvalidBytesSeparateInsteadOfCrashing) {
  EXPECT_EQ(Tokenize("ab\xff"
                     "cd\xc3"),
            (Tokens{"ab", "cd"}));
}

TEST(TokenizerTest, SpansMatchTokensAndPointIntoTheInput) {
  const std::string text = "retail, sale é";
  std::vector<std::string_view> spans = {"stale"};
  internal::TokenizeSpans(text, &spans);
  ASSERT_EQ(spans.size(), 3u);
  const Tokens tokens = Tokenize(text);
  for (size_t i = 0; i < spans.size(); ++i) {
    EXPECT_EQ(spans[i], tokens[i]);
    EXPECT_GE(spans[i].data(), text.data());
    EXPECT_LE(spans[i].data() + spans[i].size(), text.data() + text.size());
  }
}

}  // namespace
}  // namespace statcoder::text
