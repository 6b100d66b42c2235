#pragma once
// Cryptographically secure random bytes from the kernel (getrandom(2)). Used for
// connection ids, stateless-reset secrets and nonces. Never fails in practice; a failure
// is fatal (CONNSWAP_CHECK) because continuing with weak ids would be worse.

#include <cstdint>

#include "base/bytes.h"

namespace connswap {

void fill_random(MutableByteSpan out);
std::uint64_t random_u64();

}  // namespace connswap
