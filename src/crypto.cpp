#include "crypto.hpp"

#include <sodium.h>

#include <stdexcept>

namespace tapgate::crypto {

bool init() { return sodium_init() >= 0; }

Bytes randomBytes(std::size_t n) {
  Bytes out(n);
  randombytes_buf(out.data(), n);
  return out;
}

SignKeyPair signKeyPair() {
  SignKeyPair kp{Bytes(crypto_sign_PUBLICKEYBYTES), SecretBytes(crypto_sign_SECRETKEYBYTES)};
  crypto_sign_keypair(kp.publicKey.data(), kp.secretKey.data());
  return kp;
}

SignKeyPair signKeyPairFromSeed(const SecretBytes& seed) {
  SignKeyPair kp{Bytes(crypto_sign_PUBLICKEYBYTES), SecretBytes(crypto_sign_SECRETKEYBYTES)};
  crypto_sign_seed_keypair(kp.publicKey.data(), kp.secretKey.data(), seed.data());
  return kp;
}

Bytes sign(const SecretBytes& secretKey, const Bytes& message) {
  Bytes sig(crypto_sign_BYTES);
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secretKey.data());
  return sig;
}

bool verify(const Bytes& publicKey, const Bytes& message, const Bytes& signature) {
  if (publicKey.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), publicKey.data()) == 0;
}

BoxKeyPair boxKeyPair() {
  BoxKeyPair kp{Bytes(crypto_box_PUBLICKEYBYTES), SecretBytes(crypto_box_SECRETKEYBYTES)};
  crypto_box_keypair(kp.publicKey.data(), kp.secretKey.data());
  return kp;
}

Bytes boxSeal(const Bytes& message, const Bytes& publicKey) {
  Bytes out(message.size() + crypto_box_SEALBYTES);
  crypto_box_seal(out.data(), message.data(), message.size(), publicKey.data());
  return out;
}

std::optional<Bytes> boxSealOpen(const Bytes& sealed, const Bytes& publicKey, const SecretBytes& secretKey) {
  if (sealed.size() < crypto_box_SEALBYTES || publicKey.size() != crypto_box_PUBLICKEYBYTES ||
      secretKey.size() != crypto_box_SECRETKEYBYTES) {
    return std::nullopt;
  }
  Bytes out(sealed.size() - crypto_box_SEALBYTES);
  if (crypto_box_seal_open(out.data(), sealed.data(), sealed.size(), publicKey.data(), secretKey.data()) != 0) {
    return std::nullopt;
  }
  return out;
}

Bytes hash(std::initializer_list<const Bytes*> parts) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kHashSize);
  for (const Bytes* p : parts) crypto_generichash_update(&st, p->data(), p->size());
  Bytes out(kHashSize);
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

Bytes hash(const Bytes& data) { return hash({&data}); }

PinKdfParams defaultPinKdf() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

SignKeyPair pinKeyPair(std::string_view pin, const Bytes& salt, PinKdfParams params) {
  if (salt.size() != crypto_pwhash_SALTBYTES) throw std::invalid_argument("pin salt size");
  SecretBytes seed(crypto_sign_SEEDBYTES);
  if (crypto_pwhash(seed.data(), seed.size(), pin.data(), pin.size(), salt.data(), params.opsLimit,
                    params.memLimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("argon2id: out of memory");
  }
  return signKeyPairFromSeed(seed);
}

SignKeyPair biometricKeyPair(const SecretBytes& secret, const Bytes& salt) {
  static const Bytes domain = toBytes("tapgate/v1/bio");
  SecretBytes seed(crypto_sign_SEEDBYTES);
  crypto_generichash_state st;
  crypto_generichash_init(&st, secret.data(), secret.size(), seed.size());
  crypto_generichash_update(&st, domain.data(), domain.size());
  crypto_generichash_update(&st, salt.data(), salt.size());
  crypto_generichash_final(&st, seed.data(), seed.size());
  sodium_memzero(&st, sizeof st);
  return signKeyPairFromSeed(seed);
}

std::string visualHash(const Bytes& serverId, const Bytes& serverPublicKey) {
  static const Bytes domain = toBytes("tapgate/v1/vash");
  Bytes digest = hash({&domain, &serverId, &serverPublicKey});
  // Crockford base32 of the first 80 bits: 16 symbols without look-alikes, in groups of four.
  static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string out;
  unsigned bits = 0, acc = 0;
  std::size_t i = 0;
  while (out.size() < 19) {
    if (bits < 5) { acc = (acc << 8) | digest[i++]; bits += 8; }
    if (out.size() % 5 == 4) { out += '-'; continue; }
    out += alphabet[(acc >> (bits - 5)) & 31];
    bits -= 5;
  }
  return out;
}

}  // namespace tapgate::crypto
