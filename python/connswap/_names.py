"""The server-name check of the director's certificate, done here instead of in aioquic.

aioquic checks names with service-identity, which reads every subjectAltName URI as
`scheme://host` and fails on connswap's role URIs (`connswap:role:director`, PROTOCOL.md
§7.5) with "Certificate extensions could not be parsed". So the client lets aioquic verify
the chain against the CA without a name, and then checks the name itself: RFC 6125 DNS
names (a wildcard only as the whole left-most label) and IP addresses; URIs are ignored.
"""

from __future__ import annotations

import ipaddress

from cryptography import x509


def _dns_matches(pattern: str, name: str) -> bool:
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        head, sep, rest = name.partition(".")
        return bool(head) and bool(sep) and rest == pattern[2:]
    return pattern == name


def name_matches(certificate: x509.Certificate, name: str) -> bool:
    """True when `certificate`'s subjectAltName holds `name` (a DNS name or an IP)."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return any(_dns_matches(p, name) for p in san.get_values_for_type(x509.DNSName))
    return ip in san.get_values_for_type(x509.IPAddress)
