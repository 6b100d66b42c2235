#include "services/convert.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include "services/common.h"

namespace connswap::services {
namespace {

template <class Proto>
GenerateRequest request_fields(const Proto& p) {
  GenerateRequest r;
  r.prompt = p.prompt();
  r.max_tokens = p.max_tokens();
  r.start_seq = p.start_seq() == 0 ? kFirstSeq : p.start_seq();
  r.params.insert(p.params().begin(), p.params().end());
  r.model = p.model();
  return r;
}

// A tag's varint as protobuf's generated parser takes it: at most 5 bytes (bits past 32
// dropped), where CodedInputStream reads up to 10 (found by fuzz/worker_request_fuzz.cc:
// an 8-byte tag passed here and failed there).
bool tag_length_ok(int length) {
  return length <= 5;
}

}  // namespace

std::string connection_id_of(const rpc::Call& call) {
  const wire::CallHeader header = call.header();
  auto it = header.metadata.find(std::string(kConnectionIdKey));
  return it == header.metadata.end() ? std::string() : it->second;
}

Result<void> check_connection_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxConnectionIdBytes) {
    return make_error(Errc::kInvalidArgument,
                      "connection-id: must be 1-" + std::to_string(kMaxConnectionIdBytes) +
                          " bytes, got " + std::to_string(id.size()));
  }
  for (const char ch : id) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' || ch == '-';
    if (!ok) {
      return make_error(Errc::kInvalidArgument,
                        "connection-id: only letters, digits and . _ : - are allowed");
    }
  }
  return {};
}

GenerateRequest from_proto(const v1::GenerateRequest& request) {
  return request_fields(request);
}

GenerateRequest from_proto(const v1::WorkerGenerateRequest& request) {
  return request_fields(request);
}

v1::GenerateRequest to_proto(const GenerateRequest& request) {
  v1::GenerateRequest p;
  p.set_prompt(request.prompt);
  p.set_max_tokens(request.max_tokens);
  p.set_start_seq(request.start_seq);
  p.mutable_params()->insert(request.params.begin(), request.params.end());
  p.set_model(request.model);
  return p;
}

v1::WorkerGenerateRequest to_worker_request(const GenerateRequest& request,
                                            const std::vector<std::string>& prefix) {
  v1::WorkerGenerateRequest p;
  p.set_prompt(request.prompt);
  p.set_max_tokens(request.max_tokens);
  p.set_start_seq(request.start_seq);
  p.mutable_params()->insert(request.params.begin(), request.params.end());
  p.set_model(request.model);
  p.mutable_prefix()->Reserve(static_cast<int>(prefix.size()));
  for (const std::string& token : prefix) {
    p.add_prefix(token);
  }
  return p;
}

std::string encode_worker_request(const GenerateRequest& request,
                                  const director::TokenWindow& prefix) {
  using google::protobuf::internal::WireFormatLite;
  std::string out = to_worker_request(request, {}).SerializeAsString();
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    const std::uint32_t tag = WireFormatLite::MakeTag(v1::WorkerGenerateRequest::kPrefixFieldNumber,
                                                      WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
    prefix.for_each([&](std::string_view token) {
      coded.WriteTag(tag);
      coded.WriteVarint32(static_cast<std::uint32_t>(token.size()));
      coded.WriteRaw(token.data(), static_cast<int>(token.size()));
    });
  }  // the coded stream trims `out` to what it wrote
  return out;
}

bool WorkerRequest::ParseFromArray(const void* data, int size) {
  using google::protobuf::internal::WireFormatLite;
  constexpr std::uint32_t kPrefixTag = WireFormatLite::MakeTag(
      v1::WorkerGenerateRequest::kPrefixFieldNumber, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  prefix.clear();
  std::string rest;  // the other fields' bytes, for protobuf to parse
  {
    google::protobuf::io::CodedInputStream in(static_cast<const std::uint8_t*>(data), size);
    google::protobuf::io::StringOutputStream rest_stream(&rest);
    google::protobuf::io::CodedOutputStream rest_out(&rest_stream);
    for (;;) {
      const int at = in.CurrentPosition();
      const std::uint32_t tag = in.ReadTag();
      if (tag == 0) {
        if (at != size) {
          return false;  // a bad varint or field number 0
        }
        break;
      }
      if (!tag_length_ok(in.CurrentPosition() - at)) {
        return false;  // as protobuf's parser: a tag of more than 5 bytes
      }
      if (tag != kPrefixTag) {
        if (!WireFormatLite::SkipField(&in, tag, &rest_out)) {
          return false;
        }
        continue;
      }
      std::uint32_t length = 0;
      std::string& token = prefix.emplace_back();
      if (!in.ReadVarint32(&length) || !in.ReadString(&token, static_cast<int>(length)) ||
          !google::protobuf::internal::IsStructurallyValidUTF8(token.data(),
                                                               static_cast<int>(token.size()))) {
        return false;  // proto3 strings are UTF-8: protobuf rejects the message too
      }
    }
  }  // the coded stream trims `rest` to what it wrote
  return fields.ParseFromString(rest);
}

std::optional<client::StreamItem> to_stream_item(const v1::GenerateItem& item) {
  switch (item.item_case()) {
    case v1::GenerateItem::kAssigned:
      return client::Assigned{
          item.assigned().connection_id(), item.assigned().stream_id(), item.assigned().worker()};
    case v1::GenerateItem::kToken:
      return client::Token{item.token().seq(), item.token().text()};
    case v1::GenerateItem::kMigrated:
      return client::Migrated{item.migrated().from(),
                              item.migrated().to(),
                              item.migrated().reason(),
                              item.migrated().resume_seq()};
    case v1::GenerateItem::kDone:
      return client::Done{item.done().tokens(), item.done().finish_reason()};
    case v1::GenerateItem::kTicket:  // for GenerateClient's resume, not the verifier
    case v1::GenerateItem::ITEM_NOT_SET:
      break;
  }
  return std::nullopt;
}

}  // namespace connswap::services
