#include "qr_payload.hpp"

#include "crypto.hpp"
#include "url.hpp"

namespace tapgate {
namespace {

constexpr std::size_t kHeaderSize = 2 + kServerIdSize + kSessionIdSize;  // 34: a whole login QR

Error parseError(std::string msg) { return makeError(ErrorCode::QR_PARSE_ERROR, std::move(msg)); }

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

Result<Bytes> payloadFromLink(std::string_view link) {
  std::string_view encoded = link;
  if (link.rfind("tapgate:", 0) == 0) {
    encoded = link.substr(8);
  } else if (link.rfind("https://", 0) == 0 || link.rfind("http://", 0) == 0) {
    const auto hash = link.find('#');
    if (hash == std::string_view::npos) return parseError("link carries no payload fragment");
    encoded = link.substr(hash + 1);
  }
  auto bytes = fromBase64url(encoded);
  if (!bytes) return parseError("link payload is not base64url");
  return *bytes;
}

}  // namespace tapgate
