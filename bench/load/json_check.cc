#include "json_check.h"

namespace connswap::bench {
namespace {

constexpr int kMaxDepth = 64;

class Checker {
 public:
  explicit Checker(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool document() {
    skip_space();
    if (!value(0)) {
      return false;
    }
    skip_space();
    return p_ == end_;
  }

 private:
  bool value(int depth) {
    if (p_ == end_ || depth > kMaxDepth) {
      return false;
    }
    switch (*p_) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  bool object(int depth) {
    ++p_;
    skip_space();
    if (eat('}')) {
      return true;
    }
    do {
      skip_space();
      if (p_ == end_ || *p_ != '"' || !string()) {
        return false;
      }
      skip_space();
      if (!eat(':')) {
        return false;
      }
      skip_space();
      if (!value(depth)) {
        return false;
      }
      skip_space();
    } while (eat(','));
    return eat('}');
  }

  bool array(int depth) {
    ++p_;
    skip_space();
    if (eat(']')) {
      return true;
    }
    do {
      skip_space();
      if (!value(depth)) {
        return false;
      }
      skip_space();
    } while (eat(','));
    return eat(']');
  }

  bool string() {
    ++p_;  // the opening quote
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_++);
      if (c == '"') {
        return true;
      }
      if (c < 0x20) {
        return false;
      }
      if (c == '\\' && !escape()) {
        return false;
      }
    }
    return false;
  }

  bool escape() {
    if (p_ == end_) {
      return false;
    }
    const char c = *p_++;
    if (c != 'u') {
      return std::string_view("\"\\/bfnrt").find(c) != std::string_view::npos;
    }
    for (int i = 0; i < 4; ++i, ++p_) {
      if (p_ == end_ || !is_hex(*p_)) {
        return false;
      }
    }
    return true;
  }

  bool number() {
    eat('-');
    if (eat('0')) {
      // no leading zeros
    } else if (!digits()) {
      return false;
    }
    if (eat('.') && !digits()) {
      return false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (!eat('+')) {
        eat('-');
      }
      return digits();
    }
    return true;
  }

  bool digits() {
    const char* start = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
      ++p_;
    }
    return p_ != start;
  }

  bool literal(std::string_view word) {
    if (std::string_view(p_, static_cast<std::size_t>(end_ - p_)).starts_with(word)) {
      p_ += word.size();
      return true;
    }
    return false;
  }

  bool eat(char c) {
    if (p_ != end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) {
      ++p_;
    }
  }

  static bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  const char* p_;
  const char* end_;
};

}  // namespace

bool valid_json(std::string_view text) {
  return Checker(text).document();
}

}  // namespace connswap::bench
