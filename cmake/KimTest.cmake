# One GoogleTest executable per module, registered with ctest (fmt's habit).
#
# kim_add_test(<name> SOURCES ... LIBS ... [LABELS ...] [BOTH_STORES])
#
# BOTH_STORES registers every test a second time, named postgres.<test> and
# labelled postgres-<labels>, to run on the server's PostgreSQL store: with
# KIM_TEST_STORE=postgres, on the cluster named by $KIM_TEST_POSTGRES, which
# scripts/test starts (tests/support/test_postgres.hpp).
function(kim_add_test name)
  cmake_parse_arguments(ARG "BOTH_STORES" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} kim_test_support GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    KIM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    KIM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # Batched, the tests' string building inlines far enough for g++ 12's known
  # false -Warray-bounds, -Wstringop-overflow and -Wrestrict inside
  # libstdc++'s char_traits (GCC bugs 105329, 105651).
  if(CMAKE_UNITY_BUILD AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${name} PRIVATE -Wno-array-bounds -Wno-stringop-overflow -Wno-restrict)
  endif()
  # The headers every test parses, once per executable, in the batched CI
  # builds only: file by file (default, debug) a missing include still shows.
  if(CMAKE_UNITY_BUILD)
    target_precompile_headers(${name} PRIVATE <gtest/gtest.h> <nlohmann/json.hpp> <filesystem> <string> <vector>)
  endif()
  include(GoogleTest)
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
  if(ARG_BOTH_STORES)
    # One label (gtest_discover_tests passes only the first of a list):
    # postgres-unit, postgres-integration-resilience... `ctest -L` takes a
    # regular expression, so -L postgres and -L integration both find them.
    string(REPLACE ";" "-" joined "${ARG_LABELS}")
    gtest_discover_tests(${name} TEST_PREFIX "postgres." DISCOVERY_TIMEOUT 60
      PROPERTIES ENVIRONMENT "KIM_TEST_STORE=postgres" LABELS "postgres-${joined}")
  endif()
endfunction()
