#include "migration/types.h"

#include "base/random.h"

namespace connswap::migration {

void fill_from(const RandomFn& random, MutableByteSpan out) {
  if (random) {
    random(out);
  } else {
    fill_random(out);
  }
}

}  // namespace connswap::migration
