// For relying parties: check a transaction approval themselves, against the key of the account
// they expect (the one logged in on their session when they asked), not the key the server reports.
import { cryptoReady, fromB64u, verify } from './crypto';
import { rpSessionBinding, transactionSigningInput } from './transcript';

export interface TransactionApproval {
  /** The virtual server's id (base64url), as in the API paths. */
  serverId: string;
  /** The relying party's own session nonce (X-nonce) the transaction was created on. */
  nonce: string;
  tid: string;
  /** The exact transaction text (`text` of GET /transactions/{tid}), which the relying party compares with what it asked. */
  text: string;
  /** The account key the relying party expects (base64url), kept from when its user logged in. */
  expectedPk: string;
  /** `signature` of GET /transactions/{tid} (base64url). */
  signature: string;
}

/** True when `signature` is the expected account's approval of exactly this transaction on this session. */
export async function verifyTransactionApproval(a: TransactionApproval): Promise<boolean> {
  await cryptoReady();
  const serverId = fromB64u(a.serverId);
  const pk = fromB64u(a.expectedPk);
  const sig = fromB64u(a.signature);
  if (!serverId || !pk || !sig) return false;
  return verify(pk, transactionSigningInput(a.tid, rpSessionBinding(serverId, a.nonce), a.text), sig);
}
