# Sanitizer and fuzzing builds of the native core (issue 5). Included from the end of
# CMakeLists.txt; does nothing unless one of the options is set, and nothing at all for WASM.
#
#   build/asan:  CC=clang-14 CXX=clang++-14 cmake -S . -B build/asan -G Ninja -DTAPGATE_SANITIZE=ON
#                → core_tests and secret_tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   build/fuzz:  CC=clang-14 CXX=clang++-14 cmake -S . -B build/fuzz -G Ninja -DTAPGATE_FUZZ=ON
#                → one libFuzzer binary per parser in tests/fuzz/ (with ASan + UBSan)
#
# scripts/test.sh and scripts/fuzz.sh configure and run both; build/native and build/wasm are
# never touched.
if(EMSCRIPTEN)
  return()
endif()

option(TAPGATE_SANITIZE "Build the core and its native tests with -fsanitize=address,undefined" OFF)
option(TAPGATE_FUZZ "Build the libFuzzer targets of tests/fuzz (needs clang)" OFF)

set(_tapgate_san_flags -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

# Secret hygiene: SecretBytes must wipe its buffer before the allocator gets it back. Its own test
# binary, because it watches the allocator (a replaced operator delete, or ASan's free hook).
if(TARGET core_tests)
  add_executable(secret_tests tests/native/secret_wipe_test.cpp)
  target_link_libraries(secret_tests PRIVATE tapgate_core GTest::gtest_main)
  gtest_discover_tests(secret_tests DISCOVERY_TIMEOUT 30)
endif()

if(TAPGATE_SANITIZE OR TAPGATE_FUZZ)
  if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
    # Keep optimisation (the suite stays fast) but keep frames and line info for reports.
    target_compile_options(tapgate_core PUBLIC -g $<IF:$<BOOL:${TAPGATE_FUZZ}>,-O1,-O0>)
  endif()
  target_compile_options(tapgate_core PUBLIC ${_tapgate_san_flags})
  target_link_options(tapgate_core PUBLIC ${_tapgate_san_flags})
  # Headers that dominate compile time under instrumentation: precompiled once per target
  # (nlohmann/json only for the tests, which compare the core's JSON with it).
  set(_tapgate_pch <sodium.h> <string> <vector> <optional> <map>)
  target_precompile_headers(tapgate_core PRIVATE ${_tapgate_pch})
  foreach(t core_tests secret_tests)
    if(TARGET ${t})
      target_precompile_headers(${t} PRIVATE ${_tapgate_pch} <nlohmann/json.hpp> <gtest/gtest.h>)
    endif()
  endforeach()
endif()

if(TAPGATE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TAPGATE_FUZZ needs clang (libFuzzer): configure with CXX=clang++-14")
  endif()
  # The library is instrumented for coverage; each target links libFuzzer's main.
  target_compile_options(tapgate_core PUBLIC -fsanitize=fuzzer-no-link)
  set(TAPGATE_FUZZ_TARGETS qr_payload link response start_response verify_response pin_challenge state config
      push messages_response)
  add_custom_target(fuzzers)
  foreach(name IN LISTS TAPGATE_FUZZ_TARGETS)
    add_executable(fuzz_${name} tests/fuzz/fuzz_${name}.cpp)
    target_link_libraries(fuzz_${name} PRIVATE tapgate_core)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_precompile_headers(fuzz_${name} REUSE_FROM tapgate_core)
    set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/fuzz")
    add_dependencies(fuzzers fuzz_${name})
  endforeach()
  # Writes the checked-in seed corpora (tests/fuzz/corpus); run by hand after a format change.
  add_executable(fuzz_make_seeds tests/fuzz/make_seeds.cpp)
  target_link_libraries(fuzz_make_seeds PRIVATE tapgate_core)
  set_target_properties(fuzz_make_seeds PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/fuzz")
endif()
