# One GoogleTest executable per module, registered with ctest (fmt's habit).
#
# kim_add_test(<name> SOURCES ... LIBS ... [LABELS ...])
function(kim_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} kim_test_support GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    KIM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    KIM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  include(GoogleTest)
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
