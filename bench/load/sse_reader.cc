#include "sse_reader.h"

#include <nlohmann/json.hpp>

namespace connswap::bench {

ChunkKind classify_chunk(std::string_view data) {
  if (data == "[DONE]") {
    return ChunkKind::kDone;
  }
  const auto j = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return ChunkKind::kBad;
  }
  if (j.contains("error")) {
    return ChunkKind::kError;
  }
  const auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty() ||
      !(*choices)[0].is_object()) {
    return ChunkKind::kBad;
  }
  const auto& choice = (*choices)[0];
  const auto finish = choice.find("finish_reason");
  if (finish != choice.end() && !finish->is_null()) {
    return ChunkKind::kFinish;
  }
  const auto text = choice.find("text");
  return text != choice.end() && text->is_string() ? ChunkKind::kToken : ChunkKind::kBad;
}

void SseReader::feed(std::string_view bytes) {
  buffer_.append(bytes);
  std::size_t start = 0;
  for (std::size_t end = buffer_.find("\n\n"); end != std::string::npos;
       end = buffer_.find("\n\n", start)) {
    event(std::string_view(buffer_).substr(start, end - start));
    start = end + 2;
  }
  buffer_.erase(0, start);
}

void SseReader::reset() {
  buffer_.clear();
  data_.clear();
}

void SseReader::event(std::string_view block) {
  data_.clear();
  bool any = false;
  while (!block.empty()) {
    const std::size_t nl = block.find('\n');
    std::string_view line = block.substr(0, nl);
    block = nl == std::string_view::npos ? std::string_view() : block.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (!line.starts_with("data:")) {
      continue;  // ": comment", "event:", "id:"
    }
    line.remove_prefix(5);
    if (line.starts_with(' ')) {
      line.remove_prefix(1);
    }
    if (any) {
      data_ += '\n';
    }
    data_.append(line);
    any = true;
  }
  if (any) {
    on_event_(data_);
  }
}

}  // namespace connswap::bench
