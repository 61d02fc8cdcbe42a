// A static file's representations (identity, br, gzip), each with its bytes and a strong ETag, made
// once per file version and kept in memory: the demo's static files are a few MB in all.
//
// Compressed bytes come from the build's precompressed copy (scripts/build.mjs, for the large
// wasm files whose brotli takes seconds) when that copy decodes to exactly the file's current
// bytes, else they are compressed here on first request (milliseconds for the small files, and a
// stale or tampered copy is never served). A coding that does not make the file smaller is left out.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CODINGS, COMPRESSIBLE } from './content-coding.mjs';

const cache = new Map();  // file path → { version, promise }

/** The precompressed copy of `rel` for `coding` under `dir`, if it decodes to `identity`; else null. */
async function precompressed(dir, rel, coding, identity) {
  if (!dir) return null;
  try {
    // `rel` is the path inside a mount that serveStatic has already confined to its folder.
    const bytes = await readFile(join(dir, rel + coding.ext));
    return (await coding.decompress(bytes)).equals(identity) ? bytes : null;
  } catch {
    return null;  // absent, unreadable or not valid for this coding: compress here instead
  }
}

async function load(file, rel, precompressedDir) {
  const identity = await readFile(file);
  const tag = createHash('sha256').update(identity).digest('base64url').slice(0, 27);
  const reps = { identity: { bytes: identity, etag: `"${tag}"` } };
  if (!COMPRESSIBLE.has(extname(file))) return reps;
  for (const coding of CODINGS) {
    const bytes = (await precompressed(precompressedDir, rel, coding, identity)) ?? (await coding.compress(identity));
    if (bytes.length < identity.length) reps[coding.name] = { bytes, etag: `"${tag}-${coding.name}"` };
  }
  return reps;
}

/**
 * The representations of `file` (stat result `info`; `rel` its path inside the mount, whose
 * precompressed copies live under `precompressedDir`). A changed file (size, mtime, inode) is
 * read again; concurrent first requests share one load.
 */
export function representations(file, info, rel, precompressedDir) {
  const version = `${info.ino}:${info.size}:${info.mtimeMs}`;
  const hit = cache.get(file);
  if (hit?.version === version) return hit.promise;
  const promise = load(file, rel, precompressedDir);
  cache.set(file, { version, promise });
  promise.catch(() => cache.get(file)?.promise === promise && cache.delete(file));
  return promise;
}
