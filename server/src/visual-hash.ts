// The visual hash ("vash") of a server's signing key: the fingerprint the app shows at enrolment
// (confirmenrol visualHash) and after a rotation (serverkey), for the user to compare with the
// relying party's page. The same derivation as the core's crypto::visualHash (src/crypto.cpp,
// docs/protocol.md): BLAKE2b-256 of "tapgate/v1/vash" || server id || public key, first 80 bits
// in Crockford base32, four groups of four.
import { hash, utf8 } from './crypto';

const DOMAIN = utf8('tapgate/v1/vash');
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function visualHash(serverId: Uint8Array, publicKey: Uint8Array): string {
  const digest = hash(DOMAIN, serverId, publicKey);
  let bits = 0;
  let acc = 0;
  let at = 0;
  let out = '';
  for (let symbols = 0; symbols < 16; symbols++) {
    if (bits < 5) {
      acc = ((acc << 8) | digest[at++]) & 0xffff; // at most 12 live bits: keep the accumulator small
      bits += 8;
    }
    if (symbols > 0 && symbols % 4 === 0) out += '-';
    out += ALPHABET[(acc >> (bits - 5)) & 31];
    bits -= 5;
  }
  return out;
}
