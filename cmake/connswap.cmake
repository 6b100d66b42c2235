# Small hand-written helpers shared by every target (STYLE.md 2.9).

add_library(connswap_warnings INTERFACE)
target_compile_options(connswap_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  # GCC 12 reports false -Wrestrict/-Wstringop-overflow inside libstdc++ string code at -O3
  # (GCC bugs 105329, 105651); they fire on correct std::string concatenation.
  -Wno-restrict -Wno-stringop-overflow
  $<$<BOOL:${CONNSWAP_WERROR}>:-Werror>)

if(CONNSWAP_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(CONNSWAP_SANITIZE=1)
endif()

# Fuzz builds (clang only, see fuzz/): every target gets coverage instrumentation and
# ASan + UBSan; the fuzz executables themselves link libFuzzer's main.
if(CONNSWAP_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# connswap_add_library(name SOURCES a.cc b.cc DEPS public_deps... PRIVATE_DEPS ...)
function(connswap_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_compile_features(${name} PUBLIC cxx_std_20)
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS} connswap_warnings)
endfunction()

# connswap_add_executable(name SOURCES main.cc DEPS ...)
function(connswap_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_features(${name} PRIVATE cxx_std_20)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} connswap_warnings)
endfunction()

# connswap_add_test(name SOURCES x_test.cc DEPS ... [TIMEOUT seconds] [LABELS ...]
#                   [ENVIRONMENT VAR=value])
# One GoogleTest binary per module, each case discovered as its own CTest test.
function(connswap_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT;ENVIRONMENT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_compile_features(${name} PRIVATE cxx_std_20)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main connswap_warnings)
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}" ENVIRONMENT "${ARG_ENVIRONMENT}")
endfunction()
