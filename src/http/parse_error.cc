#include "http/parse_error.h"

namespace connswap::http {

std::string_view to_string(ParseError error) {
  switch (error) {
    case ParseError::kMalformed:
      return "malformed request";
    case ParseError::kHeaderTooLarge:
      return "header section too large";
    case ParseError::kTooManyHeaders:
      return "too many header fields";
    case ParseError::kBodyTooLarge:
      return "request body too large";
    case ParseError::kLengthWithTransferEncoding:
      return "both Content-Length and Transfer-Encoding";
    case ParseError::kDuplicateContentLength:
      return "Content-Length given more than once";
    case ParseError::kInvalidTransferEncoding:
      return "invalid Transfer-Encoding";
    case ParseError::kUnsupportedTransferEncoding:
      return "unsupported transfer coding";
    case ParseError::kVersionNotSupported:
      return "HTTP version not supported";
    case ParseError::kExpectationFailed:
      return "unsupported expectation";
    case ParseError::kBadHost:
      return "missing or repeated Host";
    case ParseError::kMethodNotImplemented:
      return "method not implemented";
  }
  return "unknown parse error";
}

int status_for(ParseError error) {
  switch (error) {
    case ParseError::kHeaderTooLarge:
    case ParseError::kTooManyHeaders:
      return 431;  // RFC 6585 §5
    case ParseError::kBodyTooLarge:
      return 413;  // RFC 9110 §15.5.14
    case ParseError::kUnsupportedTransferEncoding:
    case ParseError::kMethodNotImplemented:
      return 501;  // RFC 9112 §6.1: a transfer coding the server does not understand
    case ParseError::kVersionNotSupported:
      return 505;
    case ParseError::kExpectationFailed:
      return 417;  // RFC 9110 §10.1.1
    default:
      return 400;
  }
}

}  // namespace connswap::http
