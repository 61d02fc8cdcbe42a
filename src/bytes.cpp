#include "bytes.hpp"

#include <sodium.h>

namespace tapgate {

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    wipe();
    data_ = other.data_;
  }
  return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = std::move(other.data_);
  }
  return *this;
}

SecretBytes::~SecretBytes() { wipe(); }

void wipeBytes(void* data, std::size_t size) {
  if (size) sodium_memzero(data, size);
}

void SecretBytes::wipe() {
  if (!data_.empty()) sodium_memzero(data_.data(), data_.size());
  data_.clear();
}

Bytes toBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
std::string toString(const Bytes& b) { return std::string(b.begin(), b.end()); }

std::string base64url(const std::uint8_t* data, std::size_t size) {
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(size, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, variant);
  out.resize(out.find('\0'));
  return out;
}

std::optional<Bytes> fromBase64url(std::string_view text) {
  // Only the base64url alphabet. libsodium 1.0.18 reads each character as a (signed) char, and its
  // constant-time lookup then takes some bytes >= 0x80 for '-' or '_' (found by fuzz_pin_challenge:
  // "…W\xd8\x9bxXl8" decoded like "…W__xXl8"). Checking here keeps decoding canonical.
  for (unsigned char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return std::nullopt;
  }
  Bytes out(text.size() * 3 / 4 + 3);
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

bool equalConstantTime(const Bytes& a, const Bytes& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tapgate
