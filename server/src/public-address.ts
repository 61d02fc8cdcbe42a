// Which IP addresses the server may connect to on a device's behalf (Web Push endpoints come from
// the device): public unicast only. Loopback, private (RFC 1918, CGNAT), link-local, unique-local,
// multicast, unspecified, documentation and reserved ranges are refused, and so are IPv6 forms that
// embed an IPv4 address (IPv4-mapped, NAT64, 6to4) of a refused one.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

const REFUSED_V4 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],        // "this network", unspecified
  ['10.0.0.0', 8],       // private (RFC 1918)
  ['100.64.0.0', 10],    // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8],      // loopback
  ['169.254.0.0', 16],   // link-local (cloud metadata services live here)
  ['172.16.0.0', 12],    // private
  ['192.0.0.0', 24],     // IETF protocol assignments
  ['192.0.2.0', 24],     // documentation
  ['192.88.99.0', 24],   // 6to4 relay anycast
  ['192.168.0.0', 16],   // private
  ['198.18.0.0', 15],    // benchmarking
  ['198.51.100.0', 24],  // documentation
  ['203.0.113.0', 24],   // documentation
  ['224.0.0.0', 4],      // multicast
  ['240.0.0.0', 4],      // reserved, broadcast
] as const) REFUSED_V4.addSubnet(net, bits, 'ipv4');

/** Refused parts of 2000::/3, the only IPv6 range with public unicast addresses. */
const REFUSED_V6 = new BlockList();
REFUSED_V6.addSubnet('2001::', 23, 'ipv6');      // IETF protocol assignments (Teredo, ORCHID, benchmarking)
REFUSED_V6.addSubnet('2001:db8::', 32, 'ipv6');  // documentation

/** The 16 bytes of an IPv6 address in text form (no zone id), or null. */
function ipv6Bytes(text: string): Uint8Array | null {
  if (!isIPv6(text) || text.includes('%')) return null;
  let head = text;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    head = dotted[1].endsWith('::') ? dotted[1] : dotted[1].slice(0, -1);
    const v4 = dotted[2].split('.').map(Number);
    tail.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const l = groups(left);
  const r = [...groups(right), ...tail];
  const words = right === undefined ? [...l, ...tail] : [...l, ...new Array(8 - l.length - r.length).fill(0), ...r];
  if (words.length !== 8) return null;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

const v4Of = (b: Uint8Array, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const zeros = (b: Uint8Array, from: number, to: number) => b.subarray(from, to).every((x) => x === 0);

/** True for an IP address (either family, text form) the server may connect to on a device's behalf. */
export function isPublicAddress(address: string): boolean {
  if (isIPv4(address)) return !REFUSED_V4.check(address, 'ipv4');
  const b = ipv6Bytes(address);
  if (!b) return false;
  // ::ffff:a.b.c.d (mapped) and 64:ff9b::a.b.c.d (NAT64) reach the IPv4 address they embed.
  if (zeros(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return isPublicAddress(v4Of(b, 12));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(b, 4, 12)) return isPublicAddress(v4Of(b, 12));
  // 2002:a.b.c.d::/48 (6to4) is routed to the IPv4 address it embeds.
  if (b[0] === 0x20 && b[1] === 0x02) return isPublicAddress(v4Of(b, 2));
  if ((b[0] & 0xe0) !== 0x20) return false;  // outside 2000::/3: ::, ::1, fc00::/7, fe80::/10, ff00::/8, …
  return !REFUSED_V6.check(address, 'ipv6');
}
