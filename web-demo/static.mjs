import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
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

/**
 * Serves GET/HEAD from the first mount whose prefix matches; never outside the mounted folder.
 * HTML pages get their Content-Security-Policy (security-headers.mjs). A malformed path is 400.
 */
export async function serveStatic(req, res, mounts) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const pathname = decodedPath(req.url);
  if (pathname === null) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('malformed percent-encoding in the path');
    return true;
  }
  for (const [prefix, dir] of mounts) {
    if (!pathname.startsWith(prefix)) continue;
    let file = normalize(join(dir, pathname.slice(prefix.length)));
    if (file !== dir && !file.startsWith(dir + sep)) return false;
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        file = join(file, 'index.html');
        info = await stat(file);
      }
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      if (extname(file) === '.html') {
        // Read whole: its policy names the hashes of its inline scripts.
        const html = await readFile(file);
        res.writeHead(200, { 'content-type': type, 'content-length': html.length, 'cache-control': 'no-cache',
          'content-security-policy': contentSecurityPolicy(pathname, html.toString('utf8')) });
        res.end(req.method === 'HEAD' ? undefined : html);
        return true;
      }
      res.writeHead(200, { 'content-type': type, 'content-length': info.size, 'cache-control': 'no-cache' });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
      return true;
    } catch {
      continue;
    }
  }
  return false;
}
