#include "quality/report_html.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

#include "core/file_util.h"

namespace statcoder::quality {
namespace {

constexpr std::string_view kDataOpen = R"(<script type="application/json" id="report-data">)";
constexpr std::string_view kHostileTitle = "</script><script>alert(1)</script>";

std::string ReadOrDie(const std::string& path) {
  auto text = core::ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : std::string();
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string_view::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// What a browser takes as the embedded report: the text from the block's opening tag to the
// first "</script" after it, which is where the HTML parser ends the element.
std::string EmbeddedData(const std::string& page) {
  const size_t open = page.find(kDataOpen);
  if (open == std::string::npos) return "";
  const size_t start = open + kDataOpen.size();
  const size_t end = Lower(page).find("</script", start);
  return page.substr(start, end - start);
}

nlohmann::json SmallReport() {
  return {
      {"format", "statcoder-quality-report"},
      {"format_version", 1},
      {"warnings", {"thresholds chosen on 40 records"}},
      {"accuracy",
       {{"records", 10},
        {"top_k", 5},
        {"top1", {{"value", 0.9}, {"low", 0.7}, {"high", 0.97}, {"method", "bootstrap"}}},
        {"classes",
         {{{"code", "11-1011"},
           {"title", std::string("Chief Executives ") + std::string(kHostileTitle)},
           {"support", 10},
           {"predicted", 9},
           {"precision", 1.0},
           {"recall", 0.9},
           {"f1", 0.947}}}}}},
  };
}

TEST(ReportHtmlTest, HostileTitleCannotEndTheDataBlock) {
  const std::string page = RenderReportHtml(SmallReport());
  EXPECT_EQ(page.find(kHostileTitle), std::string::npos);
  EXPECT_NE(page.find(R"(\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e)"),
            std::string::npos);
  // The page has the same elements whatever the data: the template's five <script>s.
  EXPECT_EQ(Count(Lower(page), "<script"),
            Count(Lower(RenderReportHtml(nlohmann::json())), "<script"));
  // And the block a browser sees holds the whole report, hostile title included.
  EXPECT_EQ(nlohmann::json::parse(EmbeddedData(page)), SmallReport());
}

TEST(ReportHtmlTest, JsonForScriptElementEscapesWhatHtmlOrJavaScriptWouldTakeAsSyntax) {
  const nlohmann::json value = {
      {"title", "a </script> b <!-- c --> d & e"},
      {"texts", {"line\xE2\x80\xA8separator", "paragraph\xE2\x80\xA9separator", "<SCRIPT>"}},
      {"plain", "naïve café"},
  };
  const std::string out = JsonForScriptElement(value);
  EXPECT_EQ(out.find('<'), std::string::npos);
  EXPECT_EQ(out.find('>'), std::string::npos);
  EXPECT_EQ(out.find('&'), std::string::npos);
  EXPECT_EQ(out.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_EQ(out.find("\xE2\x80\xA9"), std::string::npos);
  EXPECT_NE(out.find(R"(\u2028)"), std::string::npos);
  EXPECT_NE(out.find(R"(\u003c!--)"), std::string::npos);
  EXPECT_NE(out.find("naïve café"), std::string::npos);  // other UTF-8 is kept as it is
  EXPECT_EQ(nlohmann::json::parse(out), value);
}

TEST(ReportHtmlTest, InvalidUtf8IsReplacedNotFatal) {
  const nlohmann::json value = {{"title", "Caf\xE9 workers"}};  // a Latin-1 byte
  const std::string out = JsonForScriptElement(value);
  EXPECT_NE(out.find("Caf\xEF\xBF\xBD workers"), std::string::npos);  // U+FFFD
  EXPECT_NE(RenderReportHtml(value).find("Caf\xEF\xBF\xBD"), std::string::npos);
}

TEST(ReportHtmlTest, ChartJsAndThePageAssetsAreInlined) {
  const std::string page = RenderReportHtml(SmallReport());
  const std::string chart_js = ReadOrDie(STATCODER_CHARTJS);
  ASSERT_FALSE(chart_js.empty());
  EXPECT_NE(page.find(chart_js), std::string::npos);
  const std::string assets = STATCODER_SOURCE_DIR "/src/quality/report_page/";
  EXPECT_NE(page.find(ReadOrDie(assets + "report.js")), std::string::npos);
  EXPECT_NE(page.find(ReadOrDie(assets + "report.css")), std::string::npos);
  EXPECT_EQ(page.find("@@"), std::string::npos) << "a template placeholder was left unfilled";
}

TEST(ReportHtmlTest, InlinedAssetsCannotEndTheirOwnElements) {
  // An inlined script or style sheet must not contain the text that ends its element early.
  const std::string assets = STATCODER_SOURCE_DIR "/src/quality/report_page/";
  for (const std::string& script :
       {ReadOrDie(STATCODER_CHARTJS), ReadOrDie(assets + "report.js")}) {
    EXPECT_EQ(Lower(script).find("</script"), std::string::npos);
    EXPECT_EQ(script.find("<!--"), std::string::npos);
  }
  EXPECT_EQ(Lower(ReadOrDie(assets + "report.css")).find("</style"), std::string::npos);
}

TEST(ReportHtmlTest, PageLoadsNothingFromTheNetwork) {
  const std::string page = Lower(RenderReportHtml(SmallReport()));
  for (std::string_view attribute : {"src", "href", "srcset", "action"}) {
    for (size_t pos = page.find(attribute); pos != std::string::npos;
         pos = page.find(attribute, pos + 1)) {
      size_t v = pos + attribute.size();
      while (v < page.size() && std::isspace(static_cast<unsigned char>(page[v]))) ++v;
      if (v >= page.size() || page[v] != '=') continue;
      ++v;
      while (v < page.size() && (std::isspace(static_cast<unsigned char>(page[v])) ||
                                 page[v] == '"' || page[v] == '\'')) {
        ++v;
      }
      const std::string_view value = std::string_view(page).substr(v, 8);
      EXPECT_FALSE(value.starts_with("http:") || value.starts_with("https:") ||
                   value.starts_with("//"))
          << "outside resource at: " << page.substr(pos, 60);
    }
  }
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  // And the browser is told to refuse any request the page might still make.
  EXPECT_NE(page.find("content-security-policy"), std::string::npos);
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
}

TEST(ReportHtmlTest, OnlyThePagesOwnScriptsMayRun) {
  const std::string page = RenderReportHtml(SmallReport());
  const size_t policy = page.find("Content-Security-Policy");
  ASSERT_NE(policy, std::string::npos);
  const size_t start = page.find("script-src", policy);
  const std::string script_src = page.substr(start, page.find(';', start) - start);
  // One hash per executable script (error recorder, Chart.js, report.js) and nothing that
  // would let an inline event handler run.
  EXPECT_EQ(Count(script_src, "'sha256-"), Count(page, "<script>"));
  EXPECT_EQ(Count(page, "<script>"), 3u);
  EXPECT_EQ(script_src.find("unsafe"), std::string::npos) << script_src;
}

TEST(ReportHtmlTest, NullsMissingSectionsAndNonObjectsStillRender) {
  nlohmann::json report = SmallReport();
  report["accuracy"]["top1"] = nullptr;
  report["coding"] = nullptr;
  report["subgroups"] = nullptr;
  report.erase("warnings");
  for (const nlohmann::json& r :
       {report, nlohmann::json(), nlohmann::json::array(), nlohmann::json("text")}) {
    const std::string page = RenderReportHtml(r);
    EXPECT_EQ(nlohmann::json::parse(EmbeddedData(page)), r);
  }
}

TEST(ReportHtmlTest, SampleFixtureIsEmbeddedWhole) {
  const nlohmann::json sample = nlohmann::json::parse(
      ReadOrDie(STATCODER_SOURCE_DIR "/tests/quality/testdata/report_sample.json"));
  const std::string page = RenderReportHtml(sample);
  EXPECT_EQ(nlohmann::json::parse(EmbeddedData(page)), sample);
  EXPECT_EQ(Count(Lower(page), "<script"),
            Count(Lower(RenderReportHtml(nlohmann::json())), "<script"));
}

TEST(ReportHtmlTest, WriteReportHtmlWritesThePage) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("report_html_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "report.html").string();
  ASSERT_TRUE(WriteReportHtml(SmallReport(), path).ok());
  EXPECT_EQ(ReadOrDie(path), RenderReportHtml(SmallReport()));

  const core::Status missing_dir =
      WriteReportHtml(SmallReport(), (dir / "no/such/report.html").string());
  EXPECT_EQ(missing_dir.code(), core::StatusCode::kIoError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace statcoder::quality
