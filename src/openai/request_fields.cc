// The top-level fields of a request other than its input (messages / prompt).

#include <algorithm>
#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "openai/detail/decode.h"

namespace connswap::openai::detail {

namespace {

// The JSON types a parameter may take.
enum class Kind : std::uint8_t { kAny, kBool, kInteger, kNumber, kString, kObject, kArray, kStop };

struct Param {
  std::string_view name;
  Kind kind;
};

// Sampling parameters forwarded to workers untouched (OpenAI, vLLM and llama.cpp names).
// Anything not listed here or handled elsewhere is ignored and reported in ignored_keys.
constexpr auto kPassThrough = std::to_array<Param>({
    {"frequency_penalty", Kind::kNumber},
    {"ignore_eos", Kind::kBool},
    {"include_stop_str_in_output", Kind::kBool},
    {"length_penalty", Kind::kNumber},
    {"logit_bias", Kind::kObject},
    {"min_p", Kind::kNumber},
    {"min_tokens", Kind::kInteger},
    {"mirostat", Kind::kInteger},
    {"mirostat_eta", Kind::kNumber},
    {"mirostat_tau", Kind::kNumber},
    {"presence_penalty", Kind::kNumber},
    {"repeat_last_n", Kind::kInteger},
    {"repeat_penalty", Kind::kNumber},
    {"repetition_penalty", Kind::kNumber},
    {"seed", Kind::kInteger},
    {"skip_special_tokens", Kind::kBool},
    {"stop", Kind::kStop},
    {"stop_token_ids", Kind::kArray},
    {"temperature", Kind::kNumber},
    {"top_k", Kind::kInteger},
    {"top_p", Kind::kNumber},
    {"typical_p", Kind::kNumber},
    {"user", Kind::kString},
});

// Parameters connswap cannot honour except at their neutral value.
struct Unsupported {
  std::string_view name;
  Kind kind;
  bool (*neutral)(const Json&);
  std::string_view what;  // completes "connswap does not support ..."
};

bool is_false(const Json& v) {
  return v.is_boolean() && !v.get<bool>();
}
bool is_zero(const Json& v) {
  return v.is_number_integer() && v.get<std::int64_t>() == 0;
}
bool is_one(const Json& v) {
  return v.is_number_integer() && v.get<std::int64_t>() == 1;
}
bool is_empty(const Json& v) {
  return v.empty();
}  // arrays and objects only
bool is_empty_string(const Json& v) {
  return v.is_string() && v.get_ref<const std::string&>().empty();
}
bool is_none(const Json& v) {
  return v.is_string() && v.get_ref<const std::string&>() == "none";
}
bool is_never(const Json& /*v*/) {
  return false;
}
bool is_false_or_zero(const Json& v) {
  return is_false(v) || is_zero(v);
}
bool is_text_format(const Json& v) {
  const auto type = v.find("type");
  return type != v.end() && type->is_string() && type->get_ref<const std::string&>() == "text";
}
bool is_text_only(const Json& v) {
  return v.size() == 1 && v[0].is_string() && v[0].get_ref<const std::string&>() == "text";
}

const auto kUnsupported = std::to_array<Unsupported>({
    {"n", Kind::kInteger, is_one, "n other than 1"},
    {"best_of", Kind::kInteger, is_one, "best_of other than 1"},
    {"tools", Kind::kArray, is_empty, "tools"},
    {"functions", Kind::kArray, is_empty, "functions"},
    {"tool_choice", Kind::kAny, is_none, "tool_choice other than \"none\""},
    {"function_call", Kind::kAny, is_none, "function_call other than \"none\""},
    {"logprobs", Kind::kAny, is_false_or_zero, "logprobs"},
    {"top_logprobs", Kind::kInteger, is_zero, "top_logprobs"},
    {"response_format", Kind::kObject, is_text_format, "response_format other than text"},
    {"echo", Kind::kBool, is_false, "echo"},
    {"suffix", Kind::kString, is_empty_string, "suffix"},
    {"audio", Kind::kAny, is_never, "audio output"},
    {"modalities", Kind::kArray, is_text_only, "modalities other than [\"text\"]"},
});

// Keys decode_request reads besides the tables above.
constexpr auto kHandled = std::to_array<std::string_view>(
    {"model", "stream", "stream_options", "max_tokens", "max_completion_tokens"});

bool has_kind(const Json& v, Kind kind) {
  switch (kind) {
    case Kind::kAny:
      return true;
    case Kind::kBool:
      return v.is_boolean();
    case Kind::kInteger:
      return v.is_number_integer();
    case Kind::kNumber:
      return v.is_number();
    case Kind::kString:
      return v.is_string();
    case Kind::kObject:
      return v.is_object();
    case Kind::kArray:
      return v.is_array();
    case Kind::kStop:
      return v.is_string() || (v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& s) {
                                 return s.is_string();
                               }));
  }
  return false;
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::kAny:
      return "any value";
    case Kind::kBool:
      return "a boolean";
    case Kind::kInteger:
      return "an integer";
    case Kind::kNumber:
      return "a number";
    case Kind::kString:
      return "a string";
    case Kind::kObject:
      return "an object";
    case Kind::kArray:
      return "an array";
    case Kind::kStop:
      return "a string or an array of strings";
  }
  return "?";
}

std::string_view value_kind(const Json& v) {
  if (v.is_number_float()) {
    return "a decimal number";
  }
  if (v.is_number_integer()) {
    return "an integer";
  }
  if (v.is_string()) {
    return "a string";
  }
  if (v.is_boolean()) {
    return "a boolean";
  }
  if (v.is_array()) {
    return "an array";
  }
  return v.is_object() ? "an object" : "null";
}

}  // namespace

const Json* present(const Json& body, std::string_view key) {
  const auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

ApiError type_error(std::string param, std::string_view expected, const Json& actual) {
  std::string message = "Invalid type for '" + param + "': expected " + std::string(expected) +
                        ", but got " + std::string(value_kind(actual)) + " instead.";
  return invalid_request(std::move(param), "invalid_type", std::move(message));
}

ApiError value_error(std::string param, std::string_view code, std::string message) {
  return invalid_request(std::move(param), std::string(code), std::move(message));
}

Status check_unsupported(const Json& body) {
  for (const auto& u : kUnsupported) {
    const Json* v = present(body, u.name);
    if (v == nullptr) {
      continue;
    }
    if (!has_kind(*v, u.kind)) {
      return Unexpected(type_error(std::string(u.name), kind_name(u.kind), *v));
    }
    if (!u.neutral(*v)) {
      return Unexpected(value_error(std::string(u.name),
                                    "unsupported_parameter",
                                    "connswap does not support " + std::string(u.what) +
                                        " (parameter '" + std::string(u.name) + "')."));
    }
  }
  return {};
}

Status copy_pass_through(const Json& body, CompletionRequest& out) {
  for (const auto& p : kPassThrough) {
    const Json* v = present(body, p.name);
    if (v == nullptr) {
      continue;
    }
    if (!has_kind(*v, p.kind)) {
      return Unexpected(type_error(std::string(p.name), kind_name(p.kind), *v));
    }
    // Strings in a parsed value are valid UTF-8 (the lexer checks), so dump() cannot throw;
    // replace is belt and braces.
    out.params[std::string(p.name)] = v->dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  return {};
}

bool is_known_key(std::string_view key, Endpoint endpoint) {
  const auto named = [key](const auto& entry) { return entry.name == key; };
  return key == (endpoint == Endpoint::kChat ? "messages" : "prompt") ||
         std::find(kHandled.begin(), kHandled.end(), key) != kHandled.end() ||
         std::any_of(kPassThrough.begin(), kPassThrough.end(), named) ||
         std::any_of(kUnsupported.begin(), kUnsupported.end(), named);
}

}  // namespace connswap::openai::detail

namespace connswap::openai {

const std::vector<std::string_view>& pass_through_parameters() {
  static const std::vector<std::string_view> kNames = [] {
    std::vector<std::string_view> names;
    names.reserve(detail::kPassThrough.size());
    for (const auto& p : detail::kPassThrough) {
      names.push_back(p.name);
    }
    return names;
  }();
  return kNames;
}

}  // namespace connswap::openai
