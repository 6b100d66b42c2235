#include "sse_reader.h"

#include "json_check.h"

namespace connswap::bench {

// Valid JSON (json_check.h: no DOM, no allocation), then classified by its keys. A quote
// inside a JSON string is escaped (\"), so `"error":` and the like can only match a key.
ChunkKind classify_chunk(std::string_view data) {
  if (data == "[DONE]") {
    return ChunkKind::kDone;
  }
  if (!data.starts_with('{') || !valid_json(data)) {
    return ChunkKind::kBad;
  }
  if (data.find("\"error\":") != std::string_view::npos) {
    return ChunkKind::kError;
  }
  const std::size_t choices = data.find("\"choices\":[{");
  if (choices == std::string_view::npos) {
    return ChunkKind::kBad;
  }
  const std::size_t finish = data.find("\"finish_reason\":", choices);
  if (finish != std::string_view::npos && data.substr(finish + 16, 4) != "null") {
    return ChunkKind::kFinish;
  }
  return data.find("\"text\":\"", choices) != std::string_view::npos ? ChunkKind::kToken
                                                                     : ChunkKind::kBad;
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
    if (line.starts_with(':') && on_comment_) {
      on_comment_(line.substr(line.starts_with(": ") ? 2 : 1));
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
