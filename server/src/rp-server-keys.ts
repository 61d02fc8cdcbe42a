// POST /servers/{sid}/keys/rotate and /keys/retire: signing-key rotation (docs/server-api.md §1,
// docs/protocol.md §6.1 `rekey`). Rotating makes a new key that signs everything from now on; the
// previous one signs beside it (`sigPrev`) until the overlap ends or the key is retired, and every
// account of the server gets a `rekey` message so its device pins the new key before then.
import { signKeyPair, toB64u } from './crypto';
import type { ServerRecord, Store } from './db';
import { HttpError } from './http';
import type { Messenger } from './messages';

/** Rotates, queues the rekey messages (in the same transaction); resolves with the server afterwards. */
export async function rotateServerKey(store: Store, messenger: Messenger, server: ServerRecord, until: number): Promise<{ server: ServerRecord; rekeyed: number }> {
  return store.transaction(async () => {
    const kp = signKeyPair();
    const rotated = await store.rotateServerKey(server.id, kp.publicKey, kp.secretKey, until);
    if (!rotated) throw new HttpError(409, 'a key rotation is still in its overlap: retire the previous key first (POST …/keys/retire)');
    const accounts = await store.listAccounts(server.id);
    // Signed by the new key (its proof of possession) and by the previous one, which devices pinned.
    for (const account of accounts) await messenger.send(rotated, account, { kind: 'rekey', pk: toB64u(kp.publicKey) }, until);
    return { server: rotated, rekeyed: accounts.length };
  });
}

/** Ends the overlap now; 409 when there is no previous key. */
export async function retireServerKey(store: Store, server: ServerRecord): Promise<ServerRecord> {
  if (!(await store.retireServerKey(server.id))) throw new HttpError(409, 'no rotated-out key to retire');
  return (await store.getServer(server.id))!;
}
