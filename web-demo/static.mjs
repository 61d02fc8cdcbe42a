import { stat } from 'node:fs/promises';
import { extname, join, normalize, relative, sep } from 'node:path';
import { byteRange } from './byte-range.mjs';
import { CODINGS, COMPRESSIBLE, negotiate } from './content-coding.mjs';
import { representations } from './representations.mjs';
import { contentSecurityPolicy } from './security-headers.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The decoded path, or null when its percent-encoding is malformed (`%ff`, `%zz`). */
function decodedPath(url) {
  try {
    return decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return null;
  }
}

/** Whether an If-None-Match value names `etag` (weak comparison, RFC 9110 §13.1.2). */
function matchesAny(header, etag) {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** Sends the chosen representation of a file: 200, 206 (one byte range), 304 or 416. */
function send(req, res, rep, headers) {
  headers.etag = rep.etag;
  if (matchesAny(req.headers['if-none-match'], rep.etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  const length = rep.bytes.length;
  // If-Range: a range of a representation the client no longer has would splice two versions.
  const ifRange = req.headers['if-range'];
  const range = ifRange === undefined || ifRange.trim() === rep.etag ? byteRange(req.headers.range, length) : null;
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${length}` }).end();
    return;
  }
  const [status, body] = range
    ? [206, rep.bytes.subarray(range.start, range.end + 1)]
    : [200, rep.bytes];
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${length}`;
  res.writeHead(status, { ...headers, 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Serves GET/HEAD from the first mount whose prefix matches; never outside the mounted folder.
 * A mount is [prefix, folder] or [prefix, folder, folder of its precompressed copies]. Text and
 * wasm files go out brotli or gzip encoded when the request accepts it (representations.mjs).
 * HTML pages get their Content-Security-Policy (security-headers.mjs). A malformed path is 400.
 */
export async function serveStatic(req, res, mounts) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const pathname = decodedPath(req.url);
  if (pathname === null) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('malformed percent-encoding in the path');
    return true;
  }
  for (const [prefix, dir, precompressedDir] of mounts) {
    if (!pathname.startsWith(prefix)) continue;
    let file = normalize(join(dir, pathname.slice(prefix.length)));
    if (file !== dir && !file.startsWith(dir + sep)) return false;
    let info;
    try {
      info = await stat(file);
      if (info.isDirectory()) {
        file = join(file, 'index.html');
        info = await stat(file);
      }
      if (!info.isFile()) continue;
    } catch {
      continue;
    }
    const ext = extname(file);
    let reps;
    try {
      reps = await representations(file, info, relative(dir, file), precompressedDir);
    } catch {
      continue;  // unreadable (or gone since the stat): as if absent, like a failed stat
    }
    const headers = { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-cache', 'accept-ranges': 'bytes' };
    if (COMPRESSIBLE.has(ext)) headers.vary = 'Accept-Encoding';
    if (ext === '.html') headers['content-security-policy'] = contentSecurityPolicy(pathname, reps.identity.bytes.toString('utf8'));
    const coding = negotiate(req.headers['accept-encoding'], CODINGS.map((c) => c.name).filter((name) => reps[name]));
    if (coding === null) {
      res.writeHead(406, { 'content-type': 'text/plain; charset=utf-8', vary: 'Accept-Encoding' }).end('no acceptable content coding');
      return true;
    }
    if (coding !== 'identity') headers['content-encoding'] = coding;
    send(req, res, reps[coding], headers);
    return true;
  }
  return false;
}
