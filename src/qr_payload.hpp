// The binary QR payload (docs/protocol.md §2) and the deep-link forms that carry it.
#pragma once
#include <string>
#include <string_view>

#include "bytes.hpp"
#include "error.hpp"

namespace tapgate {

constexpr std::uint8_t kQrVersion = 1;
constexpr std::size_t kServerIdSize = 16;
constexpr std::size_t kSessionIdSize = 16;

enum class QrType : std::uint8_t { Login = 1, Enrol = 2 };

struct QrPayload {
  QrType type = QrType::Login;
  Bytes serverId;   // 16 bytes
  Bytes sessionId;  // 16 bytes
  // Enrol only: the server key the device pins, and where its device API lives.
  Bytes serverPublicKey;  // 32 bytes
  std::string url;        // 1..255 bytes, http(s)
};

Result<QrPayload> parseQrPayload(const Bytes& raw);
Bytes buildQrPayload(const QrPayload& payload);

// A link's parts: the QR payload bytes and, for an app-to-app login, where to send the user back.
struct Link {
  Bytes payload;
  std::string returnUrl;  // "" when the link names none; else a web URL (url::isWebUrl)
};

// Accepts "tapgate:<base64url>", "https://host/...#<base64url>" and bare base64url text, each
// optionally followed by "?return=<percent-encoded URL>" (docs/protocol.md §2).
Result<Link> parseLink(std::string_view link);

}  // namespace tapgate
