// Helpers for the data tests: a fresh directory per test and paths to checked-in test data.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace statcoder::data::testing {

// A directory of its own for the running test, emptied at first use.
inline std::string TestDir() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                              ("statcoder_data_" + std::to_string(::getpid())) /
                              (std::string(info->test_suite_name()) + "." + info->name());
  static std::string last;
  if (last != dir.string()) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    last = dir.string();
  }
  return dir.string();
}

// Writes `content` byte for byte to TestDir()/name and returns the path.
inline std::string WriteTestFile(const std::string& name, std::string_view content) {
  const std::string path = TestDir() + "/" + name;
  std::ofstream out(path, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return path;
}

inline std::string TestdataPath(const std::string& name) {
  return std::string(STATCODER_SOURCE_DIR) + "/tests/data/testdata/" + name;
}

}  // namespace statcoder::data::testing

namespace statcoder::data::testing {

inline ::testing::AssertionResult ContainsFormat(const char* haystack_expr, const char* needle_expr,
                                                 const std::string& haystack,
                                                 const std::string& needle) {
  if (haystack.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << haystack_expr << " does not contain " << needle_expr << "\n  text:   \"" << haystack
         << "\"\n  wanted: \"" << needle << "\"";
}

}  // namespace statcoder::data::testing

// EXPECT_CONTAINS(text, part): gtest alone (no gmock), with both strings in the failure.
#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_PRED_FORMAT2(::statcoder::data::testing::ContainsFormat, haystack, needle)
