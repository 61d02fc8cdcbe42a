// Byte buffers, secret buffers that wipe themselves, and base64url.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tapgate {

using Bytes = std::vector<std::uint8_t>;

// Owns secret bytes (keys, seeds) and zeroes them with sodium_memzero when it goes away.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t n) : data_(n) {}
  explicit SecretBytes(Bytes b) : data_(std::move(b)) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) {}
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  std::uint8_t* data() { return data_.data(); }
  const std::uint8_t* data() const { return data_.data(); }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  const Bytes& bytes() const { return data_; }

 private:
  void wipe();
  Bytes data_;
};

Bytes toBytes(std::string_view s);
std::string toString(const Bytes& b);

// Zeroes a buffer that held secrets (sodium_memzero: not optimised away, and a word at a time).
void wipeBytes(void* data, std::size_t size);

// RFC 4648 §5 base64url without padding: the encoding of every binary field on the wire.
std::string base64url(const std::uint8_t* data, std::size_t size);
inline std::string base64url(const Bytes& b) { return base64url(b.data(), b.size()); }
std::optional<Bytes> fromBase64url(std::string_view text);

// Constant-time equality (sodium_memcmp); false when the sizes differ.
bool equalConstantTime(const Bytes& a, const Bytes& b);

}  // namespace tapgate
