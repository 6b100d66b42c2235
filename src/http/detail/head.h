#pragma once
// Checks on a complete request head that libhttp-parser leaves to its user (RFC 9110,
// RFC 9112). Internal to src/http: RequestParser calls these once per head.

#include <optional>
#include <vector>

#include "http/parse_error.h"
#include "http/request.h"

namespace connswap::http::detail {

// Lower-cases every name and trims spaces and tabs around every value, in place.
void normalize(std::vector<Header>& headers);

// Target and name syntax, then Host, Transfer-Encoding and Expect rules for a normalized head;
// nullopt if it is fine. `request.minor_version` must be set (0 or 1).
std::optional<ParseError> check_head(const Request& request);

// True when an HTTP/1.1 head carries `Expect: 100-continue` (check_head passed).
bool expects_continue(const Request& request);

// Number of header lines named `name` (case-insensitive; normalized or not).
std::size_t count(const std::vector<Header>& headers, std::string_view name);

}  // namespace connswap::http::detail
