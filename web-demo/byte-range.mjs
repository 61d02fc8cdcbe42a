// A Range header (RFC 9110 §14.2) against a representation of `length` bytes. Only one range is
// served: browsers ask for one (media, resumed downloads); a multi-range request gets the whole
// representation, as the RFC allows, instead of a multipart body.

/**
 * null: ignore the header, send 200 with everything; 'unsatisfiable': 416;
 * else { start, end } (inclusive) for a 206.
 */
export function byteRange(header, length) {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    // The last n bytes.
    const n = Number(m[2]);
    if (n === 0 || length === 0) return 'unsatisfiable';
    return { start: Math.max(0, length - n), end: length - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;  // invalid: ignored, per the RFC
  if (start >= length) return 'unsatisfiable';
  return { start, end };
}
