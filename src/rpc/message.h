#pragma once
// Protobuf messages <-> bytes for the typed call wrappers. Works with any generated
// message type (full or lite runtime).

#include <climits>
#include <string>

#include "base/bytes.h"

namespace connswap::rpc {

// Parses `bytes` into `message`; false if they are not a valid encoding.
template <class Message>
bool parse_message(ByteSpan bytes, Message& message) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return false;
  }
  return message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

// The wire encoding of `message`.
template <class Message>
std::string serialize_message(const Message& message) {
  return message.SerializeAsString();
}

}  // namespace connswap::rpc
