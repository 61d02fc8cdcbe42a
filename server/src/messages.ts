// Server messages to devices (protocol.md §6): signed by the server, sealed to the account's box
// key, kept for retrieveMessages until they expire, and pushed when the account has a token.
import { boxSeal, concat, randomBytes, toB64u, utf8 } from './crypto';
import type { AccountRecord, ServerRecord, Store } from './db';
import type { PushSender } from './push';

const MESSAGE_DOMAIN = utf8('tapgate/v1/message');
export const MESSAGE_LIFETIME_MS = 10 * 60 * 1000;

export type MessageContent =
  | { kind: 'login'; qr: string; start?: string }
  | { kind: 'logout'; session: string }
  | { kind: 'delete' }
  | { kind: 'message'; text: string; data?: Record<string, string> }
  /** A key rotation (§6.1): the server's new public key; lives until the overlap ends. */
  | { kind: 'rekey'; pk: string };

export class Messenger {
  constructor(
    private readonly store: Store,
    private readonly sender: PushSender,
    private readonly now: () => number,
  ) {}

  /**
   * Stores the message for retrieveMessages and pushes it once that is committed. Signed by the
   * server's current key and, during a rotation's overlap, by the previous one too (`sigPrev`).
   */
  async send(server: ServerRecord, account: AccountRecord, content: MessageContent, expires = this.now() + MESSAGE_LIFETIME_MS): Promise<void> {
    const id = randomBytes(16);
    const now = this.now();
    const body = JSON.stringify({
      id: toB64u(id),
      serverId: toB64u(server.id),
      accountId: account.id,
      time: now,
      expires,
      ...content,
    });
    const bodyBytes = utf8(body);
    const { sig, sigPrev } = server.sk.sign(concat(MESSAGE_DOMAIN, bodyBytes));
    const signed = JSON.stringify({ body, sig: toB64u(sig), ...(sigPrev ? { sigPrev: toB64u(sigPrev) } : {}) });
    const sealed = boxSeal(utf8(signed), account.boxPk);
    await this.store.addMessage({ id, account: account.id, sealed, now, expires });
    const token = account.pushToken;
    if (token) this.store.sql.afterCommit(() => this.sender.send(token, toB64u(sealed)));
  }
}
