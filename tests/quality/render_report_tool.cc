// Renders a report.json to report.html, so that the browser test (tests/browser/) can check the
// page drawn from a fixture without running an evaluation.
//
//   render_report_tool REPORT_JSON OUT_HTML
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "quality/report_html.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: render_report_tool REPORT_JSON OUT_HTML\n");
    return 2;
  }
  auto text = statcoder::core::ReadFile(argv[1]);
  if (!text.ok()) {
    std::fprintf(stderr, "render_report_tool: %s\n", text.status().ToString().c_str());
    return 1;
  }
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(*text);
  } catch (const nlohmann::json::exception& e) {
    std::fprintf(stderr, "render_report_tool: %s: %s\n", argv[1], e.what());
    return 1;
  }
  statcoder::core::Status written = statcoder::quality::WriteReportHtml(report, argv[2]);
  if (!written.ok()) {
    std::fprintf(stderr, "render_report_tool: %s\n", written.ToString().c_str());
    return 1;
  }
  return 0;
}
