#include "metrics_scrape.h"

#include <regex>
#include <sstream>

#include <curl/curl.h>

namespace connswap::bench {
namespace {

std::size_t append(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// The metric name of a sample line: up to '{' or ' '.
std::string metric_name(const std::string& line) {
  return line.substr(0, line.find_first_of("{ "));
}

}  // namespace

Result<std::vector<std::string>> scrape_metrics(const std::string& host_port,
                                                const std::string& pattern,
                                                long timeout_ms) {
  CURL* easy = curl_easy_init();
  if (easy == nullptr) {
    return make_error(Errc::kIo, "curl_easy_init failed");
  }
  const std::string url = "http://" + host_port + "/metrics";
  std::string body;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(easy);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(easy);
  if (rc != CURLE_OK || status != 200) {
    return make_error(Errc::kIo,
                      "GET " + url + ": " +
                          (rc != CURLE_OK ? std::string(curl_easy_strerror(rc))
                                          : "status " + std::to_string(status)));
  }
  const std::regex keep(pattern);
  std::vector<std::string> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const std::string name = metric_name(line);
    if (!name.ends_with("_bucket") && std::regex_search(name, keep)) {
      out.push_back(line);
    }
  }
  return out;
}

}  // namespace connswap::bench
