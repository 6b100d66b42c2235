// The input of a request (chat `messages`, completions `prompt`) and the fields that shape
// the response (model, stream, stream_options, max_tokens).

#include <algorithm>
#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "openai/detail/decode.h"

namespace connswap::openai::detail {

namespace {

constexpr auto kRoles =
    std::to_array<std::string_view>({"system", "developer", "user", "assistant", "tool"});

ApiError missing(std::string param) {
  std::string message = "Missing required parameter: '" + param + "'.";
  return value_error(std::move(param), "missing_required_parameter", std::move(message));
}

const std::string& str(const Json& v) {
  return v.get_ref<const std::string&>();
}

// One content part: {"type": "text", "text": "..."}; appends its text.
Status append_part(const Json& part, const std::string& param, std::string& text) {
  if (!part.is_object()) {
    return Unexpected(type_error(param, "an object", part));
  }
  const Json* type = present(part, "type");
  if (type == nullptr || !type->is_string() || str(*type) != "text") {
    return Unexpected(value_error(
        param + ".type",
        "unsupported_value",
        "connswap supports only text content parts ('" + param + ".type' must be \"text\")."));
  }
  const Json* part_text = present(part, "text");
  if (part_text == nullptr) {
    return Unexpected(missing(param + ".text"));
  }
  if (!part_text->is_string()) {
    return Unexpected(type_error(param + ".text", "a string", *part_text));
  }
  text += str(*part_text);
  return {};
}

// A message's content: a string, an array of text parts, or null (assistant only).
Status decode_content(const Json& message, const std::string& param, ChatMessage& out) {
  const Json* content = present(message, "content");
  if (content == nullptr) {
    return out.role == "assistant" ? Status{} : Unexpected(missing(param + ".content"));
  }
  if (content->is_string()) {
    out.text = str(*content);
    return {};
  }
  if (!content->is_array()) {
    return Unexpected(
        type_error(param + ".content", "a string or an array of content parts", *content));
  }
  for (std::size_t j = 0; j < content->size(); ++j) {
    const std::string part_param = param + ".content[" + std::to_string(j) + "]";
    if (auto r = append_part((*content)[j], part_param, out.text); !r) {
      return r;
    }
  }
  return {};
}

Status decode_message(const Json& message, const std::string& param, ChatMessage& out) {
  if (!message.is_object()) {
    return Unexpected(type_error(param, "an object", message));
  }
  const Json* role = present(message, "role");
  if (role == nullptr) {
    return Unexpected(missing(param + ".role"));
  }
  if (!role->is_string()) {
    return Unexpected(type_error(param + ".role", "a string", *role));
  }
  if (std::find(kRoles.begin(), kRoles.end(), str(*role)) == kRoles.end()) {
    return Unexpected(value_error(param + ".role",
                                  "invalid_value",
                                  "Invalid value for '" + param +
                                      ".role': supported values "
                                      "are system, developer, user, assistant and tool."));
  }
  out.role = str(*role);
  if (const Json* name = present(message, "name"); name != nullptr && !name->is_string()) {
    return Unexpected(type_error(param + ".name", "a string", *name));
  }
  return decode_content(message, param, out);
}

// One max_tokens-like field: an integer in [1, limit].
Expected<std::uint32_t, ApiError> decode_token_limit(const Json& v,
                                                     const std::string& name,
                                                     std::uint32_t limit) {
  if (!v.is_number_integer()) {
    return Unexpected(type_error(name, "an integer", v));
  }
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0) {
    return Unexpected(
        value_error(name,
                    "invalid_value",
                    "Invalid value for '" + name + "': " + v.dump() + ". It must be at least 1."));
  }
  const std::uint64_t n = v.get<std::uint64_t>();
  if (n > limit) {
    return Unexpected(value_error(name,
                                  "invalid_value",
                                  "Invalid value for '" + name + "': " + std::to_string(n) +
                                      " is above this server's limit of " + std::to_string(limit) +
                                      "."));
  }
  return static_cast<std::uint32_t>(n);
}

}  // namespace

Status decode_messages(const Json& body, CompletionRequest& out) {
  const Json* messages = present(body, "messages");
  if (messages == nullptr) {
    return Unexpected(missing("messages"));
  }
  if (!messages->is_array()) {
    return Unexpected(type_error("messages", "an array", *messages));
  }
  if (messages->empty()) {
    return Unexpected(value_error(
        "messages", "empty_array", "Invalid 'messages': expected at least one message."));
  }
  for (std::size_t i = 0; i < messages->size(); ++i) {
    ChatMessage message;
    if (auto r = decode_message((*messages)[i], "messages[" + std::to_string(i) + "]", message);
        !r) {
      return r;
    }
    out.messages.push_back(std::move(message));
  }
  // Canonical: nlohmann objects keep keys sorted. Parsed strings are valid UTF-8.
  out.prompt = messages->dump(-1, ' ', false, Json::error_handler_t::replace);
  return {};
}

Status decode_prompt(const Json& body, CompletionRequest& out) {
  const Json* prompt = present(body, "prompt");
  if (prompt == nullptr) {
    return Unexpected(missing("prompt"));
  }
  if (prompt->is_string()) {
    out.prompt = str(*prompt);
    return {};
  }
  if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string()) {
    out.prompt = str((*prompt)[0]);
    return {};
  }
  if (prompt->is_array()) {
    return Unexpected(value_error("prompt",
                                  "unsupported_value",
                                  "connswap accepts one prompt string per request: 'prompt' "
                                  "must be a string or an array of exactly one string (no "
                                  "batches, no token arrays)."));
  }
  return Unexpected(type_error("prompt", "a string or an array of one string", *prompt));
}

Status decode_stream_fields(const Json& body, CompletionRequest& out) {
  if (const Json* model = present(body, "model"); model != nullptr) {
    if (!model->is_string()) {
      return Unexpected(type_error("model", "a string", *model));
    }
    out.model = str(*model);
  }
  if (const Json* stream = present(body, "stream"); stream != nullptr) {
    if (!stream->is_boolean()) {
      return Unexpected(type_error("stream", "a boolean", *stream));
    }
    out.stream = stream->get<bool>();
  }
  const Json* options = present(body, "stream_options");
  if (options == nullptr) {
    return {};
  }
  if (!options->is_object()) {
    return Unexpected(type_error("stream_options", "an object", *options));
  }
  if (!out.stream) {
    return Unexpected(value_error("stream_options",
                                  "invalid_value",
                                  "The 'stream_options' parameter is only allowed when "
                                  "'stream' is true."));
  }
  if (const Json* usage = present(*options, "include_usage"); usage != nullptr) {
    if (!usage->is_boolean()) {
      return Unexpected(type_error("stream_options.include_usage", "a boolean", *usage));
    }
    out.include_usage = usage->get<bool>();
  }
  return {};
}

Status decode_max_tokens(const Json& body, const DecodeLimits& limits, CompletionRequest& out) {
  out.max_tokens = limits.default_max_tokens;
  // max_completion_tokens is the newer name; when both are given, it wins.
  for (const char* name : {"max_tokens", "max_completion_tokens"}) {
    if (const Json* v = present(body, name); v != nullptr) {
      auto n = decode_token_limit(*v, name, limits.max_tokens);
      if (!n) {
        return Unexpected(std::move(n).error());
      }
      out.max_tokens = *n;
    }
  }
  return {};
}

}  // namespace connswap::openai::detail
