// libFuzzer target for services::WorkerRequest::ParseFromArray, the worker's own reader of
// Worker/Generate requests (the prefix straight into one vector, issue 18), against
// protobuf's parser of the same message as the reference: both accept or both refuse the
// same bytes, and an accepted request has the same fields and the same prefix tokens, in
// order. Input: the bytes of one request (seeds: fuzz/corpus/worker_request, requests as
// the director encodes them). Run: scripts/fuzz.sh.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include "services/convert.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);  // invalid UTF-8 in string fields is expected
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  connswap::v1::WorkerGenerateRequest reference;
  const bool want = reference.ParseFromArray(data, static_cast<int>(size));
  connswap::services::WorkerRequest mine;
  const bool got = mine.ParseFromArray(data, static_cast<int>(size));
  if (want != got) {
    std::abort();  // one parser accepts what the other refuses
  }
  if (!got) {
    return 0;
  }
  if (static_cast<int>(mine.prefix.size()) != reference.prefix_size()) {
    std::abort();
  }
  for (int i = 0; i < reference.prefix_size(); ++i) {
    if (mine.prefix[static_cast<std::size_t>(i)] != reference.prefix(i)) {
      std::abort();
    }
  }
  reference.clear_prefix();
  if (!google::protobuf::util::MessageDifferencer::Equals(reference, mine.fields)) {
    std::abort();
  }
  return 0;
}
