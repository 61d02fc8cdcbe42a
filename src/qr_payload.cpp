#include "qr_payload.hpp"

#include "crypto.hpp"
#include "limits.hpp"
#include "url.hpp"

namespace tapgate {
namespace {

constexpr std::size_t kHeaderSize = 2 + kServerIdSize + kSessionIdSize;  // 34: a whole login QR

Error parseError(std::string msg) { return makeError(ErrorCode::QR_PARSE_ERROR, std::move(msg)); }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "return=<percent-encoded URL>", the one parameter a link may carry: decoded, it must be a web
// URL (no javascript:/data:, no credentials, no fragment: url.hpp) of at most kMaxReturnUrlBytes.
// Whether the server allows its origin is checked once the signed start response is in.
Result<std::string> parseReturnParameter(std::string_view query) {
  static constexpr std::string_view kName = "return=";
  if (!query.starts_with(kName)) return parseError("a link's only parameter is return=");
  const std::string_view encoded = query.substr(kName.size());
  std::string url;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      url += encoded[i];
      continue;
    }
    const int hi = i + 2 < encoded.size() ? hexValue(encoded[i + 1]) : -1;
    const int lo = hi >= 0 ? hexValue(encoded[i + 2]) : -1;
    if (lo < 0) return parseError("link return URL has a malformed percent escape");
    url += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  if (url.empty() || url.size() > limits::kMaxReturnUrlBytes) {
    return parseError("link return URL is empty or longer than " + std::to_string(limits::kMaxReturnUrlBytes) + " bytes");
  }
  if (!url::isWebUrl(url)) return parseError("link return URL is not an http(s) URL without credentials or fragment");
  return url;
}

}  // namespace

Result<QrPayload> parseQrPayload(const Bytes& raw) {
  if (raw.empty()) return parseError("empty QR payload");
  if (raw.size() < 2) return parseError("QR payload truncated");
  if (raw[0] != kQrVersion) return parseError("unsupported QR payload version " + std::to_string(raw[0]));
  QrPayload p;
  switch (raw[1]) {
    case static_cast<std::uint8_t>(QrType::Login): p.type = QrType::Login; break;
    case static_cast<std::uint8_t>(QrType::Enrol): p.type = QrType::Enrol; break;
    default: return makeError(ErrorCode::QR_UNKNOWN_TYPE, "unknown QR payload type " + std::to_string(raw[1]));
  }
  if (raw.size() < kHeaderSize) return parseError("QR payload truncated");
  auto at = raw.begin() + 2;
  p.serverId.assign(at, at + kServerIdSize);
  p.sessionId.assign(at + kServerIdSize, at + kServerIdSize + kSessionIdSize);
  if (p.type == QrType::Login) {
    if (raw.size() != kHeaderSize) return parseError("login QR payload has trailing bytes");
    return p;
  }
  const std::size_t keyEnd = kHeaderSize + crypto::kSignPublicKeySize;
  if (raw.size() < keyEnd + 1) return parseError("enrol QR payload truncated");
  p.serverPublicKey.assign(raw.begin() + kHeaderSize, raw.begin() + keyEnd);
  const std::size_t urlLen = raw[keyEnd];
  if (urlLen == 0) return parseError("enrol QR payload has no server URL");
  if (raw.size() != keyEnd + 1 + urlLen) return parseError("enrol QR payload length mismatch");
  p.url.assign(raw.begin() + keyEnd + 1, raw.end());
  // The host fetches this URL: it must parse in a browser exactly as the core read it (url.hpp).
  if (!url::isWebUrl(p.url)) return parseError("enrol QR payload has an invalid server URL");
  return p;
}

Bytes buildQrPayload(const QrPayload& p) {
  Bytes out{kQrVersion, static_cast<std::uint8_t>(p.type)};
  out.insert(out.end(), p.serverId.begin(), p.serverId.end());
  out.insert(out.end(), p.sessionId.begin(), p.sessionId.end());
  if (p.type == QrType::Enrol) {
    out.insert(out.end(), p.serverPublicKey.begin(), p.serverPublicKey.end());
    out.push_back(static_cast<std::uint8_t>(p.url.size()));
    out.insert(out.end(), p.url.begin(), p.url.end());
  }
  return out;
}

Result<Link> parseLink(std::string_view link) {
  std::string_view encoded = link;
  if (link.rfind("tapgate:", 0) == 0) {
    encoded = link.substr(8);
  } else if (link.rfind("https://", 0) == 0 || link.rfind("http://", 0) == 0) {
    const auto hash = link.find('#');
    if (hash == std::string_view::npos) return parseError("link carries no payload fragment");
    encoded = link.substr(hash + 1);
  }
  Link out;
  if (const auto query = encoded.find('?'); query != std::string_view::npos) {
    auto returnUrl = parseReturnParameter(encoded.substr(query + 1));
    if (!returnUrl) return returnUrl.error();
    out.returnUrl = std::move(returnUrl.value());
    encoded = encoded.substr(0, query);
  }
  auto bytes = fromBase64url(encoded);
  if (!bytes) return parseError("link payload is not base64url");
  out.payload = std::move(*bytes);
  return out;
}

}  // namespace tapgate
