# One interface target carries the warning and sanitizer flags, so no flag is global.
add_library(statcoder_build_flags INTERFACE)
target_compile_options(statcoder_build_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
if(STATCODER_WERROR)
  target_compile_options(statcoder_build_flags INTERFACE -Werror)
endif()
if(STATCODER_SANITIZE)
  target_compile_options(statcoder_build_flags INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(statcoder_build_flags INTERFACE -fsanitize=address,undefined)
endif()
if(STATCODER_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "STATCODER_BUILD_FUZZ needs clang (libFuzzer): use the 'fuzz' preset")
  endif()
  # Every library is instrumented for coverage and checked by ASan/UBSan; only the fuzz targets
  # link libFuzzer's main (fuzz/CMakeLists.txt).
  target_compile_options(statcoder_build_flags INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(statcoder_build_flags INTERFACE -fsanitize=address,undefined)
endif()

# statcoder_cc_library(NAME text SRCS a.cc b.cc DEPS statcoder::core ...)
# Creates statcoder_<NAME> with alias statcoder::<NAME>; includes are rooted at src/.
function(statcoder_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  set(target statcoder_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SRCS})
  add_library(statcoder::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE statcoder_build_flags)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# statcoder_cc_test(NAME featurizer_test SRCS featurizer_test.cc DEPS statcoder::text [LABELS unit])
function(statcoder_cc_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main
                        statcoder_build_flags)
  target_compile_definitions(${ARG_NAME} PRIVATE
    STATCODER_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    STATCODER_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
