// The model server's side: request bodies out, stream chunks and error bodies in. Every
// untrusted text is parsed without exceptions and with bounded nesting (dump() and copies
// of nlohmann values recurse); every string is dumped with error_handler_t::replace.

#include "openai/upstream.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include <nlohmann/json.hpp>

namespace connswap::openai {

namespace {

using Json = nlohmann::json;                 // parsed chunks and error bodies: lookups by key
using OrderedJson = nlohmann::ordered_json;  // the request body: keys in insertion order

// Deeper nesting is not built (see parse_bounded): real chunks nest 4-6 levels.
constexpr int kMaxDepth = 64;
// Bounds of the texts made for logs (upstream_error_message, ChunkError::message).
constexpr std::size_t kMaxMessageBytes = 256;
constexpr std::size_t kMaxBodyBytes = 200;

// The fields this module sets itself; a parameter or default with one of these names is not
// sent. max_completion_tokens too: the server would prefer it to the reduced max_tokens.
constexpr auto kReserved = std::to_array<std::string_view>({"max_completion_tokens",
                                                            "max_tokens",
                                                            "messages",
                                                            "model",
                                                            "n",
                                                            "prompt",
                                                            "stream",
                                                            "stream_options"});
// Set on a chat continuation only (vLLM's names; other servers ignore unknown fields).
constexpr std::string_view kAddGenerationPrompt = "add_generation_prompt";
constexpr std::string_view kContinueFinalMessage = "continue_final_message";

// Parses `text` without exceptions (discarded if not JSON or not UTF-8). Containers deeper
// than kMaxDepth are skipped by the parser callback, never built, and set `too_deep`.
template <class J>
J parse_bounded(std::string_view text, bool& too_deep) {
  too_deep = false;
  typename J::parser_callback_t keep =
      [&too_deep](int depth, typename J::parse_event_t /*event*/, J& /*parsed*/) {
        if (depth > kMaxDepth) {
          too_deep = true;
          return false;
        }
        return true;
      };
  return J::parse(text, keep, /*allow_exceptions=*/false);
}

bool is_reserved(std::string_view name, bool chat_continuation) {
  return name.starts_with("connswap_") ||
         std::find(kReserved.begin(), kReserved.end(), name) != kReserved.end() ||
         (chat_continuation && (name == kAddGenerationPrompt || name == kContinueFinalMessage));
}

// A parameter's value: the JSON it parses as, or else the text as a JSON string. A number
// out of range (1e999 parses as infinity, which would be dumped as null) stays a string.
OrderedJson param_value(const std::string& text) {
  bool too_deep = false;
  OrderedJson value = parse_bounded<OrderedJson>(text, too_deep);
  if (value.is_discarded() || too_deep ||
      (value.is_number_float() && !std::isfinite(value.get<double>()))) {
    return OrderedJson(text);
  }
  return value;
}

// The chat `messages`: the prompt's JSON array, or (a prompt that is no JSON array) one user
// message holding the prompt; then the continuation as a final assistant message.
OrderedJson messages_of(const UpstreamRequest& request) {
  bool too_deep = false;
  OrderedJson messages = parse_bounded<OrderedJson>(request.prompt, too_deep);
  // An empty array is no conversation (servers answer 400): it is sent as text, like any
  // other prompt that is not a messages array.
  if (!messages.is_array() || messages.empty() || too_deep) {
    messages = OrderedJson::array();
    messages.push_back(OrderedJson{{"role", "user"}, {"content", request.prompt}});
  }
  if (!request.continuation.empty()) {
    messages.push_back(OrderedJson{{"role", "assistant"}, {"content", request.continuation}});
  }
  return messages;
}

// `text` for a log line: control characters become spaces; longer than `max` bytes, it is
// cut at a UTF-8 character boundary and "..." appended.
std::string printable(std::string_view text, std::size_t max) {
  const bool cut = text.size() > max;
  std::size_t end = std::min(text.size(), max);
  while (cut && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
    --end;  // text[end] continues the character that starts before it
  }
  std::string out(text.substr(0, end));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      c = ' ';
    }
  }
  if (cut) {
    out += "...";
  }
  return out;
}

std::string dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The string at `key` in `object` if it is a non-empty string.
const std::string* string_at(const Json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return nullptr;
  }
  return &it->get_ref<const std::string&>();
}

// The message of an error object ({"error": {"message"}}, {"error": "..."}, FastAPI's
// {"detail": ...}, vLLM's older {"object": "error", "message"}), or nullopt.
std::optional<std::string> error_message(const Json& body) {
  if (const auto error = body.find("error"); error != body.end() && error->is_object()) {
    if (const std::string* message = string_at(*error, "message")) {
      return *message;
    }
  }
  if (const std::string* error = string_at(body, "error")) {
    return *error;
  }
  if (const std::string* detail = string_at(body, "detail")) {
    return *detail;
  }
  if (const auto detail = body.find("detail"); detail != body.end() && !detail->is_null()) {
    return dump(*detail);  // FastAPI's validation errors: a list of objects
  }
  if (const std::string* message = string_at(body, "message")) {
    return *message;
  }
  return std::nullopt;
}

Unexpected<ChunkError> bad_shape(std::string message) {
  return Unexpected(ChunkError{.code = ChunkErrc::kBadShape, .message = std::move(message)});
}

// "<field> is <a type>, not <expected>", for kBadShape messages.
Unexpected<ChunkError> wrong_type(std::string_view field,
                                  const Json& value,
                                  std::string_view expected) {
  return bad_shape(std::string(field) + " is " + value.type_name() + ", not " +
                   std::string(expected));
}

// The value at `key`, or nullptr when absent or null (null means "not set").
const Json* present(const Json& object, std::string_view key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

// The string at `key` of `object` (absent or null: empty), checked.
Expected<std::string, ChunkError> optional_string(const Json& object,
                                                  std::string_view key,
                                                  std::string_view field) {
  const Json* value = present(object, key);
  if (value == nullptr) {
    return std::string();
  }
  if (!value->is_string()) {
    return wrong_type(field, *value, "a string or null");
  }
  return value->get<std::string>();
}

// choices[0] into out.text and out.finish_reason.
Expected<void, ChunkError> decode_choice(Endpoint endpoint,
                                         const Json& choice,
                                         UpstreamChunk& out) {
  if (!choice.is_object()) {
    return wrong_type("choices[0]", choice, "an object");
  }
  const Json* holder = &choice;
  std::string_view field = "choices[0].text";
  if (endpoint == Endpoint::kChat) {
    holder = present(choice, "delta");
    field = "choices[0].delta.content";
    if (holder != nullptr && !holder->is_object()) {
      return wrong_type("choices[0].delta", *holder, "an object");
    }
  }
  if (holder != nullptr) {
    auto text = optional_string(*holder, endpoint == Endpoint::kChat ? "content" : "text", field);
    if (!text) {
      return Unexpected(std::move(text).error());
    }
    out.text = std::move(*text);
  }
  if (const Json* reason = present(choice, "finish_reason"); reason != nullptr) {
    if (!reason->is_string()) {
      return wrong_type("choices[0].finish_reason", *reason, "a string or null");
    }
    out.finish_reason = reason->get<std::string>();
  }
  return {};
}

// The usage object (absent or null: none); each count a non-negative integer, absent = 0.
Expected<void, ChunkError> decode_usage(const Json& chunk, UpstreamChunk& out) {
  const Json* usage = present(chunk, "usage");
  if (usage == nullptr) {
    return {};
  }
  if (!usage->is_object()) {
    return wrong_type("usage", *usage, "an object");
  }
  UpstreamUsage counts;
  for (auto [key, count] : {std::pair{"prompt_tokens", &counts.prompt_tokens},
                            std::pair{"completion_tokens", &counts.completion_tokens}}) {
    const Json* value = present(*usage, key);
    if (value == nullptr) {
      continue;
    }
    if (!value->is_number_unsigned()) {  // nlohmann: unsigned = non-negative integer
      return bad_shape(std::string("usage.") + key + " is not a non-negative integer");
    }
    *count = value->get<std::uint64_t>();
  }
  out.usage = counts;
  return {};
}

}  // namespace

std::string_view upstream_path(Endpoint endpoint) {
  return endpoint == Endpoint::kChat ? "/chat/completions" : "/completions";
}

std::string upstream_body(const UpstreamRequest& request) {
  const bool chat = request.endpoint == Endpoint::kChat;
  const bool chat_continuation = chat && !request.continuation.empty();
  OrderedJson body = OrderedJson::object();
  if (!request.model.empty()) {
    body["model"] = request.model;
  }
  if (chat) {
    body["messages"] = messages_of(request);
  } else {
    body["prompt"] = request.prompt + request.continuation;
  }
  if (request.max_tokens > 0) {
    body["max_tokens"] = request.max_tokens;
  }
  // Sorted by name; a parameter replaces the operator's default of the same name.
  std::map<std::string_view, const std::string*> values;
  for (const auto* source : {&request.defaults, &request.params}) {
    for (const auto& [name, value] : *source) {
      if (!is_reserved(name, chat_continuation)) {
        values[name] = &value;
      }
    }
  }
  for (const auto& [name, value] : values) {
    body[std::string(name)] = param_value(*value);
  }
  body["stream"] = true;
  body["stream_options"] = OrderedJson{{"include_usage", true}};
  if (chat_continuation) {
    body[std::string(kAddGenerationPrompt)] = false;
    body[std::string(kContinueFinalMessage)] = true;
  }
  return body.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

Expected<UpstreamChunk, ChunkError> decode_upstream_chunk(Endpoint endpoint,
                                                          std::string_view data) {
  bool too_deep = false;
  const Json chunk = parse_bounded<Json>(data, too_deep);
  if (chunk.is_discarded()) {
    return Unexpected(ChunkError{.code = ChunkErrc::kNotJson,
                                 .message = "not JSON (or not UTF-8): " + printable(data, 64)});
  }
  if (!chunk.is_object()) {
    return wrong_type("the chunk", chunk, "an object");
  }
  if (too_deep) {
    return bad_shape("the chunk nests deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  const Json* error = present(chunk, "error");
  const std::string* object = string_at(chunk, "object");
  if (error != nullptr || (object != nullptr && *object == "error")) {
    const auto message = error_message(chunk);
    return Unexpected(ChunkError{
        .code = ChunkErrc::kServerError,
        .message = printable(message ? *message : dump(error != nullptr ? *error : chunk),
                             kMaxMessageBytes)});
  }
  UpstreamChunk out;
  if (auto r = decode_usage(chunk, out); !r) {
    return Unexpected(std::move(r).error());
  }
  const Json* choices = present(chunk, "choices");
  if (choices != nullptr && !choices->is_array()) {
    return wrong_type("choices", *choices, "an array");
  }
  if (choices == nullptr || choices->empty()) {
    if (!out.usage) {
      return bad_shape("the chunk has no choices and no usage");
    }
    return out;
  }
  if (auto r = decode_choice(endpoint, choices->front(), out); !r) {
    return Unexpected(std::move(r).error());
  }
  return out;
}

std::string upstream_error_message(std::string_view body) {
  bool too_deep = false;
  const Json json = parse_bounded<Json>(body, too_deep);
  if (json.is_object()) {
    if (auto message = error_message(json)) {
      return printable(*message, kMaxMessageBytes);
    }
  }
  return printable(body, kMaxBodyBytes);
}

}  // namespace connswap::openai
