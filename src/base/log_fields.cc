#include "base/log_fields.h"

#include <cstddef>

namespace connswap::log {
namespace {

bool is_key_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_key_char(char c) {
  return is_key_start(c) || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

// The length of the key at `text`'s start if it is followed by '=', else 0.
std::size_t key_length(std::string_view text) {
  if (text.empty() || !is_key_start(text[0])) {
    return 0;
  }
  std::size_t n = 1;
  while (n < text.size() && is_key_char(text[n])) {
    ++n;
  }
  return n < text.size() && text[n] == '=' ? n : 0;
}

// Where a quoted value that starts at text[0] == '"' closes. Values are not escaped, so
// the first quote that ends the line, the fields (`: `) or comes before another `key=` wins;
// failing that, the first quote followed by a space. npos when nothing closes it.
std::size_t closing_quote(std::string_view text) {
  std::size_t before_space = std::string_view::npos;
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] != '"') {
      continue;
    }
    const std::string_view after = text.substr(i + 1);
    if (after.empty() || (after[0] == ':' && (after.size() == 1 || after[1] == ' '))) {
      return i;
    }
    if (after[0] == ' ') {
      if (key_length(after.substr(1)) > 0) {
        return i;
      }
      if (before_space == std::string_view::npos) {
        before_space = i;
      }
    }
  }
  return before_space;
}

// After a value ending at `rest`'s start: true (and `rest` set to the message) when the
// fields end here with ": " or a final ':'.
bool ends_fields(std::string_view& rest) {
  if (rest.empty() || rest[0] != ':') {
    return false;
  }
  if (rest.size() == 1) {
    rest = {};
    return true;
  }
  if (rest[1] != ' ') {
    return false;
  }
  rest.remove_prefix(2);
  return true;
}

}  // namespace

LogFields split_fields(std::string_view text) {
  LogFields out;
  std::string_view rest = text;
  while (true) {
    const std::size_t key_len = key_length(rest);
    if (key_len == 0) {
      break;  // not key=value: the message starts here
    }
    std::string_view key = rest.substr(0, key_len);
    std::string_view after = rest.substr(key_len + 1);
    std::string_view value;
    if (!after.empty() && after[0] == '"') {
      const std::size_t close = closing_quote(after);
      if (close == std::string_view::npos) {
        break;  // an unclosed quote: leave it to the message, as written
      }
      value = after.substr(1, close - 1);
      after.remove_prefix(close + 1);
    } else {
      std::size_t end = after.find(' ');
      end = end == std::string_view::npos ? after.size() : end;
      // A value's last ':' before a space (or the end) is the fields' end, not the value's.
      if (end > 0 && after[end - 1] == ':') {
        --end;
      }
      value = after.substr(0, end);
      after.remove_prefix(end);
    }
    out.fields.emplace_back(key, value);
    rest = after;
    if (ends_fields(rest)) {
      out.message = rest;
      return out;
    }
    if (rest.empty()) {
      return out;
    }
    if (rest[0] != ' ') {
      break;  // junk right after a quoted value: the rest is message
    }
    rest.remove_prefix(1);
  }
  out.message = rest;
  return out;
}

}  // namespace connswap::log
