#include "e2e/http_client.h"

#include <gtest/gtest.h>

namespace connswap::e2e {

using nlohmann::json;

namespace {

void add_choices(SseAnswer& a, const json& chunk) {
  for (const json& choice : chunk.value("choices", json::array())) {
    if (choice.contains("delta") && choice["delta"].contains("content")) {
      a.text += choice["delta"]["content"].get<std::string>();
    }
    if (choice.contains("text")) {
      a.text += choice["text"].get<std::string>();
    }
    if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
      a.finish_reason = choice["finish_reason"].get<std::string>();
    }
  }
}

void add_data(SseAnswer& a, const std::string& data) {
  a.event_after_done = a.event_after_done || a.done;
  if (data == "[DONE]") {
    a.done = true;
    return;
  }
  const json j = json::parse(data, nullptr, false);
  if (j.is_discarded() || j.contains("error")) {
    a.errors.push_back(j.is_discarded() ? json(data) : j);
    return;
  }
  ++a.chunks;
  const std::string id = j.value("id", "");
  a.ids_equal = a.ids_equal && (a.id.empty() || a.id == id);
  a.id = id;
  if (j.contains("usage") && j["usage"].is_object()) {
    a.usage = j["usage"];
  }
  add_choices(a, j);
}

}  // namespace

int SseAnswer::completion_tokens() const {
  return usage.is_object() ? usage.value("completion_tokens", -1) : -1;
}

SseAnswer parse_sse(const std::string& body) {
  SseAnswer a;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    if (end == std::string::npos) {
      end = body.size();
    }
    const std::string line = body.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind(": ", 0) == 0) {
      a.comments.push_back(line.substr(2));
    } else if (line.rfind("id: ", 0) == 0) {
      a.last_id = line.substr(4);
      ++a.event_ids;
    } else if (line.rfind("data: ", 0) == 0) {
      add_data(a, line.substr(6));
    }
  }
  return a;
}

std::string complete_events(const std::string& body) {
  const std::size_t end = body.rfind("\n\n");
  return end == std::string::npos ? std::string() : body.substr(0, end + 2);
}

std::string http_addr(Cluster& c) {
  return c.director().field("http");
}

json chat_body(int max_tokens, bool stream, const std::string& prompt) {
  json body = {{"model", kSyntheticModel},
               {"messages", json::array({{{"role", "user"}, {"content", prompt}}})},
               {"max_tokens", max_tokens},
               {"stream", stream}};
  if (stream) {
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

namespace {

testing::Process& curl(Cluster& c,
                       const std::string& name,
                       const std::string& path,
                       const json* body,
                       const CurlTarget& target) {
  std::vector<std::string> args = {kCurl, "-sS", "-N", "--fail-with-body"};
  for (const std::string& header : target.headers) {
    args.insert(args.end(), {"-H", header});
  }
  if (body != nullptr) {
    args.insert(args.end(), {"-H", "Content-Type: application/json", "-d", body->dump()});
  }
  if (!target.ca_file.empty()) {
    args.insert(args.end(), {"--cacert", target.ca_file});
  }
  if (!target.cert.empty()) {
    args.insert(args.end(),
                {"--cert",
                 (c.certs() / (target.cert + ".pem")).string(),
                 "--key",
                 (c.certs() / (target.cert + "-key.pem")).string()});
  }
  args.push_back((target.ca_file.empty() ? "http://" : "https://") +
                 (target.addr.empty() ? http_addr(c) : target.addr) + path);
  return c.start_tool(name, args);
}

}  // namespace

testing::Process& curl_post(Cluster& c,
                            const std::string& name,
                            const std::string& path,
                            const json& body,
                            const CurlTarget& target) {
  return curl(c, name, path, &body, target);
}

testing::Process& curl_get(Cluster& c,
                           const std::string& name,
                           const std::string& path,
                           const CurlTarget& target) {
  return curl(c, name, path, nullptr, target);
}

bool wait_events(testing::Process& curl, std::size_t n) {
  return testing::poll_until(
      [&] {
        const std::string out = curl.stdout_text();
        std::size_t count = 0;
        for (std::size_t p = out.find("data: "); p != std::string::npos;
             p = out.find("data: ", p + 1)) {
          ++count;
        }
        return count >= n;
      },
      kStreamBudget);
}

std::string curl_output(Cluster& c, testing::Process& curl) {
  auto status = curl.wait_exit(kStreamBudget);
  EXPECT_TRUE(status && status->ok()) << (status ? testing::to_string(*status) : "timeout") << "\n"
                                      << curl.stderr_text() << c.logs();
  return curl.stdout_text();
}

}  // namespace connswap::e2e
