#include "url.hpp"

#include <cstdint>

namespace tapgate::url {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool isLabelChar(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

// WHATWG "ends in a number": such a host is parsed as IPv4 (and fails unless it is one), e.g.
// `foo.123` and `foo.0x` are refused by browsers. A label is a number when it is all decimal
// digits or `0x` followed by hex digits (none included).
bool isNumericLabel(std::string_view label) {
  if (label.empty()) return false;
  if (label.size() >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X')) {
    for (char c : label.substr(2)) if (!isHex(c)) return false;
    return true;
  }
  for (char c : label) if (!isDigit(c)) return false;
  return true;
}

// Four decimal parts 0..255 without leading zeros: the one IPv4 form every parser reads alike
// (WHATWG would also take `127.1`, octal and hex parts; the core does not need them).
bool isDottedQuad(std::string_view host) {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t start = i;
    int value = 0;
    while (i < host.size() && isDigit(host[i]) && i - start < 3) value = value * 10 + (host[i++] - '0');
    const std::size_t len = i - start;
    if (len == 0 || value > 255 || (len > 1 && host[start] == '0')) return false;
    ++parts;
    if (i == host.size()) return parts == 4;
    if (host[i] != '.' || parts == 4) return false;
    ++i;
  }
}

bool isDomainOrIpv4(std::string_view host) {
  if (host.empty()) return false;
  std::string_view body = host.back() == '.' ? host.substr(0, host.size() - 1) : host;
  if (body.empty()) return false;
  std::string_view last;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t dot = body.find('.', start);
    if (dot == std::string_view::npos) dot = body.size();
    const std::string_view label = body.substr(start, dot - start);
    if (label.empty()) return false;
    for (char c : label) if (!isLabelChar(c)) return false;
    if (label.size() >= 4 && (label[0] | 0x20) == 'x' && (label[1] | 0x20) == 'n' && label[2] == '-' && label[3] == '-') {
      return false;
    }
    last = label;
    start = dot + 1;
  }
  if (!isNumericLabel(last)) return true;
  return host.back() != '.' && isDottedQuad(host);
}

// WHATWG's IPv6 parser (URL Standard §3.5), validity only: up to eight 16-bit pieces of 1-4 hex
// digits, one `::`, an optional dotted-quad tail in the last two pieces.
bool isIpv6(std::string_view in) {
  std::size_t p = 0;
  int piece = 0;
  int compress = -1;
  auto c = [&]() -> char { return p < in.size() ? in[p] : '\0'; };
  auto eof = [&]() { return p >= in.size(); };
  if (c() == ':') {
    if (p + 1 >= in.size() || in[p + 1] != ':') return false;
    p += 2;
    compress = ++piece;
  }
  while (!eof()) {
    if (piece == 8) return false;
    if (c() == ':') {
      if (compress != -1) return false;
      ++p;
      compress = ++piece;
      continue;
    }
    int length = 0;
    while (length < 4 && !eof() && isHex(c())) { ++p; ++length; }
    if (c() == '.') {
      if (length == 0 || piece > 6) return false;
      p -= length;
      int numbersSeen = 0;
      while (!eof()) {
        if (numbersSeen > 0) {
          if (c() != '.' || numbersSeen >= 4) return false;
          ++p;
        }
        if (!isDigit(c())) return false;
        int value = -1;
        while (!eof() && isDigit(c())) {
          if (value == 0) return false;  // a leading zero
          value = (value < 0 ? 0 : value * 10) + (c() - '0');
          if (value > 255) return false;
          ++p;
        }
        ++numbersSeen;
        if (numbersSeen == 2 || numbersSeen == 4) ++piece;
      }
      return numbersSeen == 4 && (compress != -1 || piece == 8);
    }
    if (c() == ':') {
      ++p;
      if (eof()) return false;
    } else if (!eof()) {
      return false;
    }
    ++piece;
  }
  return compress != -1 || piece == 8;
}

bool isPort(std::string_view digits) {
  std::uint32_t value = 0;
  for (char c : digits) {
    if (!isDigit(c)) return false;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
    if (value > 65535) return false;  // checked per digit: long runs of zeros stay valid, as in browsers
  }
  return true;
}

}  // namespace

bool isWebUrl(std::string_view text, Schemes schemes) {
  std::string_view rest;
  if (text.starts_with("https://")) rest = text.substr(8);
  else if (schemes == Schemes::HttpOrHttps && text.starts_with("http://")) rest = text.substr(7);
  else return false;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '#' || c == '\\') return false;
  }
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) return false;  // userinfo
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return false;
    if (!after.empty()) port = after.substr(1);
    if (!isIpv6(host.substr(1, host.size() - 2))) return false;
  } else {
    const std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (!isDomainOrIpv4(host)) return false;
  }
  return isPort(port);
}

bool isImageDataUrl(std::string_view text) {
  static constexpr std::string_view kPrefix = "data:image/";
  if (!text.starts_with(kPrefix)) return false;
  std::string_view rest = text.substr(kPrefix.size());
  bool typed = false;
  for (std::string_view type : {"png", "jpeg", "gif", "webp", "svg+xml"}) {
    if (rest.starts_with(type) && rest.substr(type.size()).starts_with(";base64,")) {
      rest = rest.substr(type.size() + 8);
      typed = true;
      break;
    }
  }
  if (!typed || rest.empty()) return false;
  std::size_t padding = 0;
  for (char c : rest) {
    const bool b64 = isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+' || c == '/';
    if (c == '=') ++padding;
    else if (!b64 || padding) return false;  // `=` only at the end
  }
  return padding <= 2 && padding < rest.size();
}

std::string webOrigin(std::string_view webUrl) {
  const std::size_t separator = webUrl.find("://");
  if (separator == std::string_view::npos) return {};  // not a web URL: no origin
  const std::size_t schemeEnd = separator + 3;
  const std::string_view scheme = webUrl.substr(0, schemeEnd);
  std::string_view authority = webUrl.substr(schemeEnd);
  authority = authority.substr(0, authority.find_first_of("/?"));
  // The port follows the last ':' after an IPv6 literal's ']' (or anywhere in a domain).
  const std::size_t close = authority.rfind(']');
  const std::size_t colon = authority.find(':', close == std::string_view::npos ? 0 : close);
  std::string host(authority.substr(0, colon));
  for (char& c : host) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  std::string_view port = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon + 1);
  while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);  // browsers drop leading zeros
  const bool defaultPort = (scheme == "https://" && port == "443") || (scheme == "http://" && port == "80");
  std::string origin = std::string(scheme) + host;
  if (!port.empty() && !defaultPort) origin += ":" + std::string(port);
  return origin;
}

bool isWebOrigin(std::string_view text) { return isWebUrl(text) && webOrigin(text) == text; }

}  // namespace tapgate::url
