#include "text/token_locator.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace statcoder::text {
namespace {

std::vector<LocatedToken> Locate(std::string_view text, bool strip_accents = false) {
  const Normalizer normalizer(NormalizerOptions{.strip_accents = strip_accents});
  core::Result<std::vector<LocatedToken>> r = LocateTokens(normalizer, text);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<LocatedToken>{};
}

// The original text each token was located in.
std::vector<std::string> Sources(std::string_view text, const std::vector<LocatedToken>& tokens) {
  std::vector<std::string> out;
  for (const LocatedToken& t : tokens) {
    if (!t.begin || !t.end) {
      out.push_back("?");
    } else {
      out.emplace_back(text.substr(*t.begin, *t.end - *t.begin));
    }
  }
  return out;
}

using Strings = std::vector<std::string>;

TEST(TokenLocatorTest, AsciiTokensPointAtTheirOriginalSpelling) {
  const std::string text = "  Retail,  SALE of\tbicycles ";
  const std::vector<LocatedToken> tokens = Locate(text);
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens[0].token, "retail");
  EXPECT_EQ(*tokens[0].begin, 2u);
  EXPECT_EQ(*tokens[0].end, 8u);
  EXPECT_EQ(Sources(text, tokens), (Strings{"Retail", "SALE", "of", "bicycles"}));
}

TEST(TokenLocatorTest, NonAsciiCaseFoldingAndAccentsKeepTheirOriginalBytes) {
  const std::string text = "Crème BRÛLÉE Straße";
  EXPECT_EQ(Sources(text, Locate(text)), (Strings{"Crème", "BRÛLÉE", "Straße"}));
  const std::vector<LocatedToken> stripped = Locate(text, /*strip_accents=*/true);
  ASSERT_EQ(stripped.size(), 3u);
  EXPECT_EQ(stripped[1].token, "brulee");
  EXPECT_EQ(stripped[2].token, "strasse");
  EXPECT_EQ(Sources(text, stripped), (Strings{"Crème", "BRÛLÉE", "Straße"}));
}

TEST(TokenLocatorTest, DecomposedAccentsAndIgnorablesStayInsideTheirWord) {
  const std::string text = "cre\u0300me re\u00ADtail";  // combining grave; soft hyphen
  const std::vector<LocatedToken> tokens = Locate(text);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].token, "crème");
  EXPECT_EQ(tokens[1].token, "retail");
  EXPECT_EQ(Sources(text, tokens), (Strings{"cre\u0300me", "re\u00ADtail"}));
}

TEST(TokenLocatorTest, CompatibilityCharactersMapToTheCharacterTheyCameFrom) {
  const std::string text = "ｆｕｌｌ ﬁsh";  // fullwidth letters, fi ligature
  const std::vector<LocatedToken> tokens = Locate(text);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].token, "full");
  EXPECT_EQ(tokens[1].token, "fish");
  EXPECT_EQ(Sources(text, tokens), (Strings{"ｆｕｌｌ", "ﬁsh"}));
}

TEST(TokenLocatorTest, TokensThatCannotBeLocatedExactlyGetNoOffsets) {
  // Conjoining Hangul jamo compose across pieces into one syllable: no offsets, same tokens.
  const std::string text = "\u1100\u1161 ok";
  const std::vector<LocatedToken> tokens = Locate(text);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].token, "\uAC00");
  EXPECT_FALSE(tokens[0].begin.has_value());
  EXPECT_FALSE(tokens[1].end.has_value());
}

TEST(TokenLocatorTest, EmptyTextHasNoTokensAndInvalidUtf8Fails) {
  EXPECT_TRUE(Locate(" ,. ").empty());
  const Normalizer normalizer;
  EXPECT_EQ(LocateTokens(normalizer, "ab\xff").status().code(), core::StatusCode::kInvalidInput);
}

}  // namespace
}  // namespace statcoder::text
