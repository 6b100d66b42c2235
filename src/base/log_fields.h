#pragma once
// The structure of a connswap log line's text (`key=value key="a value": message`, the
// seed's shape): split into its fields and free-text message for structured output.

#include <string_view>
#include <utility>
#include <vector>

namespace connswap::log {

struct LogFields {
  // key -> value, in line order; views into the text given to split_fields (quotes removed).
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  std::string_view message;  // the text after the fields' `: ` (the whole text if no field)
};

// Splits `text` into leading `key=value` fields and the message. A key is a letter, then
// letters, digits, '_', '.' or '-'; a value runs to the next space (it may hold '=' or ':'),
// or is "quoted" (spaces and unescaped quotes allowed) up to the quote that ends the line or
// the fields or precedes ` key=`. The fields end at `: ` (or a final ':') after a value, or
// at the first token that is not key=value (the message starts there). Never fails.
LogFields split_fields(std::string_view text);

}  // namespace connswap::log
