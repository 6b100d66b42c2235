#pragma once
// connswap-impair's command line: links, the impairment profile, blackholes, seed. Each
// option also reads CONNECTION_SWAP_IMPAIR_<NAME>.

#include "relay.h"

namespace connswap::app {

// Parses argv into `config` (validated: links, probabilities, windows); returns the exit
// code to use now (help: 0, bad usage: 2 with one line on stderr), or -1 to go on.
int parse_impair_command_line(RelayConfig& config, int argc, const char* const* argv);

}  // namespace connswap::app
