// URL checks for what servers and QR codes hand the core: the device API base URL of an enrol QR
// and the server's logo. Every URL the core accepts must also be accepted, with the same host and
// port, by a browser's URL parser (the WHATWG URL Standard, which Node's `new URL()` implements):
// a URL only the core accepts makes the host's fetch throw where nothing expects it (issue 12,
// item 3). The rules are a strict subset of WHATWG's, small enough to read in full:
//   scheme    `http://` or `https://`, lowercase, followed directly by the host (no `http:/h`,
//             `http:///h` or backslashes, which browsers repair)
//   host      a domain of ASCII letters, digits, `-` and `_` in non-empty dot-separated labels
//             (one trailing dot allowed); no label starting `xn--` (punycode would need the IDNA
//             tables to validate as browsers do); a host whose last label is a number is an IPv4
//             address and must be a dotted quad of decimal 0..255 without leading zeros;
//             or `[IPv6]`, parsed exactly as WHATWG's IPv6 parser does (no zone id)
//   port      optional, decimal digits, value 0..65535
//   then      nothing, or a path (`/…`) and/or query (`?…`) of printable ASCII; no fragment
//   never     userinfo (`@` before the path), `%` in the host, spaces, controls, non-ASCII
#pragma once
#include <string>
#include <string_view>

namespace tapgate::url {

enum class Schemes { HttpOrHttps, HttpsOnly };

bool isWebUrl(std::string_view text, Schemes schemes = Schemes::HttpOrHttps);

// `data:image/(png|jpeg|gif|webp|svg+xml);base64,<standard base64>`: the server's logo inline
// (server/src/rp-api.ts accepts exactly this form).
bool isImageDataUrl(std::string_view text);

// The origin of a URL isWebUrl accepts, as browsers serialise it: `scheme://host[:port]` with the
// host in lowercase and the scheme's default port (80, 443) left out.
std::string webOrigin(std::string_view webUrl);

// An origin a server registers (a return origin, docs/protocol.md §2): a web URL that is its own
// origin, so `https://rp.example` but not `https://RP.example`, `https://rp.example/` or `…:443`.
bool isWebOrigin(std::string_view text);

}  // namespace tapgate::url
