// What processes sharing one database tell each other when the database cannot (SQLite has no
// NOTIFY): the relying-party session changes the status channel streams, and which servers rows
// changed (their cached copies must go). The CLI's cluster relays over IPC through the primary
// (cluster.ts); on PostgreSQL every instance hears the others through LISTEN/NOTIFY instead.

/** The relay's channels: session changes (observed-store.ts encodeChange) and servers rows (hex id or '*'). */
export type RelayChannel = 'rp' | 'server';

export interface InstanceRelay {
  /** Sends `payload` to every other process; never to this one. */
  publish(channel: RelayChannel, payload: string): void;
  /** Calls `onPayload` with what the other processes publish on `channel`; returns the function that stops it. */
  subscribe(channel: RelayChannel, onPayload: (payload: string) => void): () => void;
}
