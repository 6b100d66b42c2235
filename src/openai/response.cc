#include "openai/response.h"

#include <utility>

#include <nlohmann/json.hpp>

#include "openai/detail/json_text.h"

namespace connswap::openai {

namespace {

using detail::json_string;
// Insertion-ordered, so the fields come out in OpenAI's order.
using OrderedJson = nlohmann::ordered_json;

std::string dump(const OrderedJson& json) {
  return json.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

bool is_chat(const StreamContext& context) {
  return context.endpoint == Endpoint::kChat;
}

OrderedJson usage_json(const Usage& usage) {
  return OrderedJson{{"prompt_tokens", usage.prompt_tokens},
                     {"completion_tokens", usage.completion_tokens},
                     {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
}

// The bytes of a UTF-8 sequence starting with `lead`, or 0 if it is no multi-byte lead.
std::size_t sequence_length(unsigned char lead) {
  if ((lead & 0xE0U) == 0xC0U) {
    return 2;
  }
  if ((lead & 0xF0U) == 0xE0U) {
    return 3;
  }
  return (lead & 0xF8U) == 0xF0U ? 4 : 0;
}

}  // namespace

std::string_view to_string(FinishReason reason) {
  return reason == FinishReason::kLength ? "length" : "stop";
}

FinishReason finish_reason_from_director(std::string_view reason) {
  return reason == "done" || reason == "length" ? FinishReason::kLength : FinishReason::kStop;
}

std::string_view id_prefix(Endpoint endpoint) {
  return endpoint == Endpoint::kChat ? "chatcmpl-" : "cmpl-";
}

ChunkEncoder::ChunkEncoder(StreamContext context) : context_(std::move(context)) {
  head_ = R"({"id":)" + json_string(context_.id) + R"(,"object":)" +
          (is_chat(context_) ? R"("chat.completion.chunk")" : R"("text_completion")") +
          R"(,"created":)" + std::to_string(context_.created) + R"(,"model":)" +
          json_string(context_.model) + R"(,"choices":[)";
  // OpenAI: with include_usage, every chunk but the last carries "usage":null.
  tail_ = context_.include_usage ? R"(],"usage":null})" : "]}";
}

std::string ChunkEncoder::choice_chunk(std::string_view choice_body) const {
  std::string out;
  out.reserve(head_.size() + choice_body.size() + tail_.size());
  out += head_;
  out += choice_body;
  out += tail_;
  return out;
}

std::optional<std::string> ChunkEncoder::opening() const {
  if (!is_chat(context_)) {
    return std::nullopt;
  }
  return choice_chunk(R"({"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,)"
                      R"("finish_reason":null})");
}

std::string ChunkEncoder::token(std::string_view text) const {
  const std::string escaped = json_string(text);
  if (is_chat(context_)) {
    return choice_chunk(R"({"index":0,"delta":{"content":)" + escaped +
                        R"(},"logprobs":null,"finish_reason":null})");
  }
  return choice_chunk(R"({"text":)" + escaped +
                      R"(,"index":0,"logprobs":null,"finish_reason":null})");
}

std::string ChunkEncoder::finish(FinishReason reason) const {
  const std::string why = json_string(to_string(reason));
  if (is_chat(context_)) {
    return choice_chunk(R"({"index":0,"delta":{},"logprobs":null,"finish_reason":)" + why + "}");
  }
  return choice_chunk(R"({"text":"","index":0,"logprobs":null,"finish_reason":)" + why + "}");
}

std::string ChunkEncoder::usage(const Usage& usage) const {
  return head_ + R"(],"usage":)" + dump(usage_json(usage)) + "}";
}

std::string encode_completion(const StreamContext& context,
                              std::string_view text,
                              FinishReason reason,
                              const Usage& usage) {
  OrderedJson choice;
  if (is_chat(context)) {
    choice["index"] = 0;
    choice["message"] = OrderedJson{{"role", "assistant"}, {"content", text}};
  } else {
    choice["text"] = text;
    choice["index"] = 0;
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = to_string(reason);
  const OrderedJson body{{"id", context.id},
                         {"object", is_chat(context) ? "chat.completion" : "text_completion"},
                         {"created", context.created},
                         {"model", context.model},
                         {"choices", OrderedJson::array({std::move(choice)})},
                         {"usage", usage_json(usage)}};
  return dump(body);
}

std::string encode_models(std::span<const std::string> models, std::int64_t created) {
  OrderedJson data = OrderedJson::array();
  for (const auto& id : models) {
    data.push_back(OrderedJson{
        {"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "connswap"}});
  }
  return dump(OrderedJson{{"object", "list"}, {"data", std::move(data)}});
}

std::string Utf8Joiner::push(std::string_view text) {
  std::string all = std::move(pending_);
  all += text;
  pending_.clear();
  // Look back at most 3 bytes for the lead byte of the last sequence.
  const std::size_t back = std::min<std::size_t>(all.size(), 3);
  for (std::size_t i = 1; i <= back; ++i) {
    const auto byte = static_cast<unsigned char>(all[all.size() - i]);
    if ((byte & 0xC0U) == 0x80U) {
      continue;  // continuation byte
    }
    if (sequence_length(byte) > i) {
      pending_ = all.substr(all.size() - i);
      all.resize(all.size() - i);
    }
    break;
  }
  return all;
}

std::string Utf8Joiner::flush() {
  return std::exchange(pending_, {});
}

}  // namespace connswap::openai
