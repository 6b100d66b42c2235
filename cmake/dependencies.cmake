# Every dependency comes from a Debian 12 package (scripts/setup.sh installs them).

find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(NGTCP2 REQUIRED IMPORTED_TARGET libngtcp2 libngtcp2_crypto_gnutls)
pkg_check_modules(GNUTLS REQUIRED IMPORTED_TARGET gnutls)
find_package(spdlog REQUIRED)
# protoc + libprotobuf 3.21 (libprotobuf-dev, protobuf-compiler); CMake's FindProtobuf.
find_package(Protobuf REQUIRED)
find_package(GTest REQUIRED)
# libcurl 7.88 (libcurl4-openssl-dev): CMake's FindCURL, CURL::libcurl, linked to connswap_net only.
find_package(CURL REQUIRED)
include(GoogleTest)

# Standalone asio (libasio-dev) is header only.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(connswap_asio INTERFACE)
target_include_directories(connswap_asio SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
target_compile_definitions(connswap_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED)
target_link_libraries(connswap_asio INTERFACE Threads::Threads)

find_package(CLI11 CONFIG QUIET)
if(NOT TARGET CLI11::CLI11)
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  target_include_directories(CLI11::CLI11 SYSTEM INTERFACE ${CLI11_INCLUDE_DIR})
endif()

# HTTP/1.1 request parser of src/http (libhttp-parser-dev 2.9.4): no pkg-config file, no CMake
# package, so found by hand as an IMPORTED target.
find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_LIBRARY http_parser REQUIRED)
add_library(http_parser::http_parser UNKNOWN IMPORTED)
set_target_properties(http_parser::http_parser PROPERTIES
  IMPORTED_LOCATION ${HTTP_PARSER_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${HTTP_PARSER_INCLUDE_DIR})

# Metrics endpoint of the programs (prometheus-cpp-dev: core + pull, civetweb inside).
find_package(prometheus-cpp CONFIG REQUIRED)

if(CONNSWAP_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# JSON for the OpenAI layer and the tests that read its output (nlohmann-json3-dev).
find_package(nlohmann_json 3 REQUIRED)
