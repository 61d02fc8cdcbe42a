// Every cryptographic primitive the core uses, all from libsodium.
#pragma once
#include <optional>
#include <string_view>

#include "bytes.hpp"

namespace tapgate::crypto {

constexpr std::size_t kSignPublicKeySize = 32;
constexpr std::size_t kSignatureSize = 64;
constexpr std::size_t kHashSize = 32;
constexpr std::size_t kPinSaltSize = 16;

bool init();  // sodium_init; idempotent

Bytes randomBytes(std::size_t n);

struct SignKeyPair {
  Bytes publicKey;        // 32 bytes
  SecretBytes secretKey;  // 64 bytes (seed ‖ public key)
};
SignKeyPair signKeyPair();
SignKeyPair signKeyPairFromSeed(const SecretBytes& seed);
Bytes sign(const SecretBytes& secretKey, const Bytes& message);
bool verify(const Bytes& publicKey, const Bytes& message, const Bytes& signature);

struct BoxKeyPair {
  Bytes publicKey;        // X25519, 32 bytes
  SecretBytes secretKey;  // 32 bytes
};
BoxKeyPair boxKeyPair();
// Anonymous sealed boxes (crypto_box_seal): what push messages travel in.
Bytes boxSeal(const Bytes& message, const Bytes& publicKey);
std::optional<Bytes> boxSealOpen(const Bytes& sealed, const Bytes& publicKey, const SecretBytes& secretKey);

// BLAKE2b-256 over the concatenation of the parts.
Bytes hash(std::initializer_list<const Bytes*> parts);
Bytes hash(const Bytes& data);

// The PIN key: Ed25519 key pair whose seed is Argon2id(pin, salt). The server holds only the
// public half and counts failures, so the PIN can't be guessed offline from device storage.
struct PinKdfParams {
  unsigned long long opsLimit;
  std::size_t memLimit;
};
PinKdfParams defaultPinKdf();
constexpr std::size_t kMinPinLength = 4, kMaxPinLength = 64;
inline bool validPinLength(std::string_view pin) { return pin.size() >= kMinPinLength && pin.size() <= kMaxPinLength; }
SignKeyPair pinKeyPair(std::string_view pin, const Bytes& salt, PinKdfParams params);

// The biometric key: Ed25519 key pair seeded by BLAKE2b keyed with the 32-byte secret a
// BiometricProvider releases after user verification, over "tapgate/v1/bio" ‖ the account's salt.
SignKeyPair biometricKeyPair(const SecretBytes& secret, const Bytes& salt);

// Human-comparable fingerprint of a server key ("visual hash"), e.g. "7KQD-M2XA-PF3H-9TWC".
std::string visualHash(const Bytes& serverId, const Bytes& serverPublicKey);

}  // namespace tapgate::crypto
